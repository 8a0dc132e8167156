//! Cost of the follow-up code's Argon2id + HKDF derivation, and the hit/miss symmetry.
//! Run: `cargo bench --bench kdf` (release profile). Figures go in BENCHMARKS.md.

// Tests may unwrap: a failed expectation is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use amana_core::kdf::{self, KdfParams};
use std::time::{Duration, Instant};

fn time_derivations(params: KdfParams, n: u32) -> Vec<Duration> {
    (0..n)
        .map(|_| {
            let salt = kdf::new_salt();
            let t = Instant::now();
            let d = kdf::derive("1234567890123456", &salt, params).expect("derive");
            std::hint::black_box(d.verifier);
            t.elapsed()
        })
        .collect()
}

fn summary(label: &str, mut v: Vec<Duration>) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mean = v.iter().map(|d| ms(*d)).sum::<f64>() / v.len() as f64;
    println!(
        "{label:<34} n={:<3} min={:>7.1} ms  median={:>7.1} ms  max={:>7.1} ms  mean={mean:>7.1} ms",
        v.len(),
        ms(v[0]),
        ms(v[v.len() / 2]),
        ms(v[v.len() - 1])
    );
}

fn main() {
    let n = std::env::var("KDF_BENCH_N").ok().and_then(|s| s.parse().ok()).unwrap_or(20);
    println!("Argon2id + HKDF, one thread, {n} runs each");
    summary("production m=64MiB t=3 p=1", time_derivations(KdfParams::PRODUCTION, n));
    summary("test-only  m=256KiB t=1 p=1", time_derivations(KdfParams::INSECURE_TEST, n));
    let stronger = KdfParams { m_kib: 128 * 1024, t: 3, p: 1 };
    summary("stronger   m=128MiB t=3 p=1", time_derivations(stronger, n.min(10)));
}
