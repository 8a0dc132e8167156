//! A large evidence-file upload through the real server binary (release build) on loopback:
//! throughput in MB/s and the server's peak resident memory (VmHWM), against the goals of
//! ≥ 200 MB/s and < 64 MiB for a 2 GiB file (issue 5). The body is generated while it is
//! sent, so the client holds one 1 MiB buffer, not the file.
//!
//! Run: `cargo bench --bench upload` (2 GiB; `-- quick` for 256 MiB). Not part of CI;
//! figures go in BENCHMARKS.md. It stops by itself. SQLite by default; with
//! `AMANA_BENCH_DATABASE_URL=postgres://…` (an empty database) the server uses PostgreSQL.

// Tests may unwrap: a failed expectation is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "platform/form.rs"]
mod form;

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    time::Instant,
};

use bytes::Bytes;
use futures_util::stream;

const MIB: u64 = 1024 * 1024;
/// MiB sent before memory samples count (see `blocks` in `main`).
const WARM_UP_BLOCKS: u64 = 32;

/// Fields of `/proc/<pid>/status` (values in KiB), 0 for a missing one.
fn status_kib<const N: usize>(pid: u32, names: [&str; N]) -> [u64; N] {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    names.map(|name| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    })
}

#[tokio::main]
async fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let size_mib: u64 = if quick { 256 } else { 2048 };
    let dir = tempfile::tempdir().expect("tempdir");
    let limit = (size_mib + 64).to_string();
    // AMANA_BENCH_BIN: another build of the server to compare (before/after a change).
    let bin = std::env::var_os("AMANA_BENCH_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_amana").into());
    let mut serve = Command::new(&bin);
    serve.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"]).arg(dir.path().join("data"));
    if let Ok(url) = std::env::var("AMANA_BENCH_DATABASE_URL") {
        println!("database: PostgreSQL");
        // With PostgreSQL a node never makes the pepper itself.
        let init = Command::new(&bin)
            .args(["init-secrets", "--data-dir"])
            .arg(dir.path().join("data"))
            .output()
            .expect("run init-secrets");
        assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
        serve.arg("--database-url").arg(url);
    }
    let mut child = serve
        .arg("--keys")
        .arg(dir.path().join("nokeys"))
        .envs([
            ("AMANA_MAX_FILE_MB", limit.as_str()),
            ("AMANA_MAX_CASE_FILES_MB", limit.as_str()),
            ("AMANA_FILES_QUOTA_MB", "100000"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start amana");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("read");
    let url = line.trim().rsplit(' ').next().unwrap_or_default().to_string();
    let pid = child.id();
    let [idle_hwm] = status_kib(pid, ["VmHWM"]);

    // One 1 MiB block of varied bytes, sent `size_mib` times (cloning `Bytes` is free).
    let block =
        Bytes::from((0..MIB).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect::<Vec<u8>>());
    // Set once the last byte is handed to the client: after it the server runs the one
    // Argon2id derivation of the report's code (64 MiB by design, invariant 2).
    let body_sent = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sent_at = std::sync::Arc::new(std::sync::Mutex::new(None::<Instant>));
    let (sent, at) = (body_sent.clone(), sent_at.clone());
    // Blocks handed to the client so far: the server reads the body only after it derived the
    // report's code (Argon2id, 64 MiB), so memory sampled after the first blocks is the upload's.
    let blocks = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counted = blocks.clone();
    let body = stream::iter((0..size_mib + 1).filter_map(move |i| {
        counted.store(i, std::sync::atomic::Ordering::Relaxed);
        if i == size_mib {
            // Polled again after the last block: the server has taken all but what the
            // socket buffers hold.
            sent.store(true, std::sync::atomic::Ordering::Relaxed);
            *at.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
            return None;
        }
        Some(Ok::<_, std::io::Error>(block.clone()))
    }));
    let form = form::large_report(
        reqwest::Body::wrap_stream(body),
        size_mib * MIB,
        "bench report with a large file",
    );
    let client =
        reqwest::Client::builder().timeout(std::time::Duration::from_secs(1800)).build().expect("client");
    // Samples the server's memory while the upload runs: which kind of memory peaks.
    let sampling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let sampling = sampling.clone();
        let body_sent = body_sent.clone();
        let blocks = blocks.clone();
        std::thread::spawn(move || {
            let mut peak = (0u64, 0u64, 0u64);
            while sampling.load(std::sync::atomic::Ordering::Relaxed)
                && !body_sent.load(std::sync::atomic::Ordering::Relaxed)
            {
                let [anon, file, shmem] = status_kib(pid, ["RssAnon", "RssFile", "RssShmem"]);
                let streaming = blocks.load(std::sync::atomic::Ordering::Relaxed) >= WARM_UP_BLOCKS;
                if streaming && anon + file + shmem > peak.0 + peak.1 + peak.2 {
                    peak = (anon, file, shmem);
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            peak
        })
    };
    let started = Instant::now();
    let t = started;
    let resp = client.post(format!("{url}/api/v1/reports")).multipart(form).send().await.expect("upload");
    let status = resp.status();
    let answer = resp.text().await.unwrap_or_default();
    let secs = t.elapsed().as_secs_f64();
    let [hwm, rss] = status_kib(pid, ["VmHWM", "VmRSS"]);
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    let (anon, file, shmem) = sampler.join().unwrap_or_default();
    let cpu = cpu_secs(pid);
    let wrote = proc_io(pid, "write_bytes");
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status, 201, "upload refused: {answer}");

    let mb = (size_mib * MIB) as f64 / 1e6;
    println!("upload of {size_mib} MiB ({mb:.0} MB) as one attachment, release server, loopback");
    let streamed = sent_at.lock().ok().and_then(|t| *t).map(|t| (t - started).as_secs_f64()).unwrap_or(secs);
    println!(
        "  file streamed   {streamed:>8.1} s  {:>8.1} MB/s   (goal >= 200: ratio {:.2})",
        mb / streamed,
        mb / streamed / 200.0
    );
    println!(
        "  whole request   {secs:>8.1} s  {:>8.1} MB/s   (with the code's Argon2id and the commit)",
        mb / secs
    );
    println!(
        "  server RSS while the file streams (sampled every 20 ms after the first {WARM_UP_BLOCKS} MiB): \
         peak {:.1} MiB  (goal < 64: ratio {:.2})",
        (anon + file + shmem) as f64 / 1024.0,
        (anon + file + shmem) as f64 / 1024.0 / 64.0
    );
    println!(
        "    of which anonymous {:.1} MiB, file-backed {:.1} MiB (the binary, libraries), shared {:.1} MiB",
        anon as f64 / 1024.0,
        file as f64 / 1024.0,
        shmem as f64 / 1024.0
    );
    println!(
        "  server VmHWM over the whole request {:.1} MiB (includes the code's Argon2id, 64 MiB by design, \
         before the file is read); idle before {:.1} MiB; RSS after {:.1} MiB",
        hwm as f64 / 1024.0,
        idle_hwm as f64 / 1024.0,
        rss as f64 / 1024.0
    );
    println!("  server CPU time  {cpu:>8.1} s  ({:.0}% of one core over the upload)", cpu / secs * 100.0);
    println!(
        "  server wrote     {:>8.0} MB  ({:.2} × the file)",
        wrote as f64 / 1e6,
        wrote as f64 / 1e6 / mb
    );
}

/// A field of `/proc/<pid>/io` (bytes the process caused to be written to storage).
fn proc_io(pid: u32, name: &str) -> u64 {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap_or_default();
    io.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(':')?.trim().parse().ok()).unwrap_or(0)
}

/// User + system CPU seconds of a process (clock ticks of 1/100 s on Linux).
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}
