//! The real release server for the benchmark: a throw-away deployment (keys, roster,
//! reviewer homes), SQLite in its data directory or a fresh PostgreSQL database, on
//! 127.0.0.1 port 0; killed on drop.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{amana_command, serve_args, Deployment, KeyGen, RELAXED_LIMITS};

pub struct Server {
    child: Child,
    pub url: String,
    pub pid: u32,
    /// From spawn to the listening line (migrations, keys and roster checked).
    pub ready: Duration,
    pub dep: Deployment,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Which KDF the server runs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kdf {
    Production,
    /// `--insecure-test-kdf`: what is left when the code's Argon2id is taken out.
    Test,
}

/// Starts a server on a new deployment; `database_url` selects PostgreSQL.
pub fn start(kdf: Kdf, database_url: Option<&str>, upload_mib: u64) -> Server {
    let dep = Deployment::standard(KeyGen::InProcess);
    let mut args = serve_args(&dep, "127.0.0.1:0");
    if kdf == Kdf::Production {
        args.retain(|a| a != "--insecure-test-kdf");
    }
    if let Some(url) = database_url {
        // A PostgreSQL node never makes its pepper and signing key: the operator does, once.
        dep.init_secrets();
        args.extend(["--database-url".to_string(), url.to_string()]);
    }
    let limit = (upload_mib + 64).to_string();
    // AMANA_BENCH_BIN: another build of the server to compare (before/after a change).
    let mut cmd = match std::env::var_os("AMANA_BENCH_BIN") {
        Some(bin) => {
            let mut c = std::process::Command::new(bin);
            c.stdin(Stdio::null());
            c
        }
        None => amana_command(),
    };
    // The server's log, read only when it fails to start (a bench must say why).
    let log_path = dep.root().join("server.log");
    let log = std::fs::File::create(&log_path).expect("server log");
    cmd.args(&args).envs(RELAXED_LIMITS).stdout(Stdio::piped()).stderr(log);
    cmd.envs([
        ("AMANA_MAX_FILE_MB", limit.as_str()),
        ("AMANA_MAX_CASE_FILES_MB", limit.as_str()),
        ("AMANA_FILES_QUOTA_MB", "1000000"),
    ]);
    let t = Instant::now();
    let mut child = cmd.spawn().expect("start amana serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let prefix = "amana listening on ";
    let url = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix(prefix).map(|u| u.trim().to_string()))
        .unwrap_or_else(|| {
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(10).collect();
            panic!("amana serve printed no listening line; its log ends: {:?}", tail)
        });
    let ready = t.elapsed();
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    let pid = child.id();
    Server { child, url, pid, ready, dep }
}

/// Fields of `/proc/<pid>/status` in KiB, 0 for a missing one.
pub fn status_kib(pid: u32, name: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Resets a process's peak RSS (VmHWM) to its current RSS, so a later read gives the peak
/// of what happened in between (Linux `clear_refs` 5).
pub fn reset_peak(pid: u32) {
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
}
