//! Cost of the follow-up code's Argon2id + HKDF derivation, and the two Argon2id
//! implementations side by side (libsodium, which the server uses, and RustCrypto's
//! reference), interleaved in one process so other load on the machine hits both alike.
//! Run: `cargo bench --bench kdf` (release profile). Figures go in BENCHMARKS.md.

// Tests may unwrap: a failed expectation is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use amana_core::kdf::{self, argon2id, KdfParams};
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

/// Argon2id alone at `params`, alternating the implementations (A, B, A, B, …, the order
/// swapped every round) so drift and other builds' load fall on both.
fn compare_implementations(params: KdfParams, n: u32) {
    type Hash = fn(&[u8], &[u8], KdfParams) -> Result<zeroize::Zeroizing<[u8; 32]>, kdf::KdfError>;
    let impls: [(&str, Hash); 2] = [
        (argon2id::implementation(params, kdf::SALT_LEN), argon2id::hash),
        ("RustCrypto argon2 (reference)", argon2id::reference),
    ];
    let mut times = [Vec::new(), Vec::new()];
    for round in 0..n as usize {
        for k in 0..2 {
            let i = (k + round) % 2;
            let salt = kdf::new_salt();
            let t = Instant::now();
            std::hint::black_box(impls[i].1(b"1234567890123456", &salt, params).expect("hash"));
            times[i].push(t.elapsed());
        }
    }
    println!("Argon2id alone, {params}, interleaved, {n} runs each");
    let mut medians = Vec::new();
    for ((label, _), mut v) in impls.iter().zip(times) {
        v.sort();
        medians.push(v[v.len() / 2].as_secs_f64());
        summary(label, v);
    }
    println!("ratio of medians (first / reference): {:.2}", medians[0] / medians[1]);
}

fn main() {
    let n = std::env::var("KDF_BENCH_N").ok().and_then(|s| s.parse().ok()).unwrap_or(20);
    compare_implementations(KdfParams::PRODUCTION, n);
    println!("Argon2id + HKDF, one thread, {n} runs each");
    summary("production m=64MiB t=3 p=1", time_derivations(KdfParams::PRODUCTION, n));
    summary("test-only  m=256KiB t=1 p=1", time_derivations(KdfParams::INSECURE_TEST, n));
    let stronger = KdfParams { m_kib: 128 * 1024, t: 3, p: 1 };
    summary("stronger   m=128MiB t=3 p=1", time_derivations(stronger, n.min(10)));
}
