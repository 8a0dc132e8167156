//! End-to-end figures from the real server binary (release build) on loopback:
//!
//! 1. submit latency;
//! 2. code-check latency for a hit, a miss (valid shape, unknown lookup part) and a
//!    malformed code — they must be equal within noise (SECURITY.md invariant 2);
//! 3. goodput of genuine status checks while a bounded flood hits submit (invariant 5).
//!
//! Run: `cargo bench --bench server` (add `-- quick` for fewer rounds). Not part of CI;
//! figures go in BENCHMARKS.md. Everything stops by itself.

// Tests may unwrap: a failed expectation is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

struct Server {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(extra: &[&str]) -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_amana"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("--keys")
        .arg(dir.path().join("nokeys"))
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start amana");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("read");
    let url = line.trim().rsplit(' ').next().unwrap_or_default().to_string();
    Server { child, url, _dir: dir }
}

fn stats(label: &str, mut v: Vec<Duration>) -> f64 {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let mean = v.iter().map(|d| ms(*d)).sum::<f64>() / v.len() as f64;
    println!(
        "{label:<28} n={:<4} median={:>7.1} ms  p90={:>7.1} ms  mean={mean:>7.1} ms",
        v.len(),
        ms(v[v.len() / 2]),
        ms(v[v.len() * 9 / 10])
    );
    mean
}

async fn submit(c: &reqwest::Client, url: &str) -> (Duration, String) {
    let t = Instant::now();
    let r = c
        .post(format!("{url}/api/v1/reports"))
        .json(&serde_json::json!({"kind": "violation", "agency": "health", "body": "bench report text"}))
        .send()
        .await
        .expect("submit");
    let d = t.elapsed();
    let v: serde_json::Value = r.json().await.unwrap_or_default();
    (d, v["code"].as_str().unwrap_or_default().to_string())
}

async fn check(c: &reqwest::Client, url: &str, code: &str) -> (Duration, u16) {
    let t = Instant::now();
    let r = c
        .post(format!("{url}/api/v1/status"))
        .json(&serde_json::json!({ "code": code }))
        .send()
        .await
        .expect("status");
    (t.elapsed(), r.status().as_u16())
}

const LOOSE: [&str; 12] = [
    "--peer-costly-every-ms",
    "1",
    "--peer-costly-burst",
    "100000",
    "--global-costly-every-ms",
    "1",
    "--global-costly-burst",
    "100000",
    "--peer-every-ms",
    "1",
    "--peer-burst",
    "100000",
];

async fn latency(rounds: usize) {
    let s = start(&LOOSE);
    let c = reqwest::Client::new();
    let mut subs = Vec::new();
    let mut code = String::new();
    for _ in 0..rounds {
        let (d, k) = submit(&c, &s.url).await;
        subs.push(d);
        code = k;
    }
    println!("\n-- latency, sequential, production KDF (64 MiB, t=3) --");
    stats("submit (201)", subs);
    // A valid-looking code with an unknown lookup part: keep the secret, change the lookup.
    let digits: String = code.chars().filter(|c| c.is_ascii_digit()).collect();
    let miss = unknown_lookup(&digits);
    let (mut hit, mut mis, mut bad) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        // Interleaved so drift affects all three alike.
        hit.push(check(&c, &s.url, &code).await.0);
        mis.push(check(&c, &s.url, &miss).await.0);
        bad.push(check(&c, &s.url, "12345").await.0);
    }
    let h = stats("status hit (200)", hit);
    let m = stats("status miss (404)", mis);
    let b = stats("status malformed (404)", bad);
    println!("ratios: miss/hit = {:.3}, malformed/hit = {:.3}", m / h, b / h);
}

/// Same secret part, a different lookup part, a correct check digit.
fn unknown_lookup(digits: &str) -> String {
    let mut body: String = digits.chars().take(24).collect();
    body.replace_range(0..8, "00000000");
    for d in '0'..='9' {
        let candidate = format!("{body}{d}");
        if amana_core::damm::is_valid(&candidate) {
            return candidate;
        }
    }
    body
}

async fn flood(seconds: u64) {
    // Default limits: this is what a deployment runs with.
    let s = start(&[]);
    let c = reqwest::Client::new();
    // One genuine report, submitted before the flood.
    let (_, code) = submit(&c, &s.url).await;
    let until = Instant::now() + Duration::from_secs(seconds);
    let flood_url = s.url.clone();
    let mut flooders = Vec::new();
    for _ in 0..16 {
        let c = c.clone();
        let url = flood_url.clone();
        flooders.push(tokio::spawn(async move {
            let (mut ok, mut limited) = (0u64, 0u64);
            while Instant::now() < until {
                match c
                    .post(format!("{url}/api/v1/reports"))
                    .json(&serde_json::json!({"kind": "complaint", "agency": "health", "body": "flood"}))
                    .send()
                    .await
                {
                    Ok(r) if r.status() == 201 => ok += 1,
                    Ok(_) => limited += 1,
                    Err(_) => limited += 1,
                }
            }
            (ok, limited)
        }));
    }
    let (mut good, mut other, mut lat) = (0u64, 0u64, Vec::new());
    while Instant::now() < until {
        let (d, st) = check(&c, &s.url, &code).await;
        if st == 200 {
            good += 1;
            lat.push(d);
        } else {
            other += 1;
        }
        tokio::time::sleep(Duration::from_millis(2500)).await;
    }
    let (mut fok, mut flim) = (0, 0);
    for f in flooders {
        let (o, l) = f.await.unwrap_or((0, 0));
        fok += o;
        flim += l;
    }
    println!("\n-- flood on submit for {seconds} s (16 loopback clients, default limits) --");
    println!("flood: {fok} accepted, {flim} refused (429/503)");
    println!("genuine status checks (one per 2.5 s): {good} ok, {other} refused");
    if !lat.is_empty() {
        stats("genuine status during flood", lat);
    }
}

#[tokio::main]
async fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    latency(if quick { 10 } else { 40 }).await;
    flood(if quick { 15 } else { 40 }).await;
}
