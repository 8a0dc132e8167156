//! The floors each figure is set against, measured in the same run on the same machine: one
//! Argon2id derivation, age encryption to 3 recipients, one durable commit, the disk's
//! sequential write rate.

use std::io::Write;
use std::time::{Duration, Instant};

use amana_core::kdf::{self, argon2id, KdfParams};
use sqlx::Connection;

pub struct Floors {
    pub argon2id: Duration,
    pub age3: Duration,
    pub commit: Duration,
    /// MB/s (10^6 bytes), written and synced.
    pub disk_mbps: f64,
}

pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// One derivation at production parameters, on the implementation the server uses.
pub fn argon2id_floor(n: usize) -> Duration {
    median(
        (0..n)
            .map(|_| {
                let salt = kdf::new_salt();
                let t = Instant::now();
                std::hint::black_box(
                    argon2id::hash(b"1234567890123456", &salt, KdfParams::PRODUCTION).expect("hash"),
                );
                t.elapsed()
            })
            .collect(),
    )
}

/// A 1 KiB payload (the smallest padding bucket) encrypted to 3 X25519 recipients.
pub fn age3_floor(n: usize) -> Duration {
    let ids: Vec<age::x25519::Identity> = (0..3).map(|_| age::x25519::Identity::generate()).collect();
    let recipients: Vec<age::x25519::Recipient> = ids.iter().map(|i| i.to_public()).collect();
    let payload = vec![7u8; 1024];
    median(
        (0..n)
            .map(|_| {
                let t = Instant::now();
                let enc =
                    age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
                        .expect("recipients");
                let mut out = Vec::with_capacity(2048);
                let mut w = enc.wrap_output(&mut out).expect("wrap");
                w.write_all(&payload).expect("write");
                w.finish().expect("finish");
                std::hint::black_box(out);
                t.elapsed()
            })
            .collect(),
    )
}

/// `n` single-row inserts, each its own (autocommit) transaction: the median.
macro_rules! time_inserts {
    ($conn:expr, $n:expr) => {{
        let mut times = Vec::new();
        for i in 0..$n {
            let key = format!("{i:08}-{}", hex::encode(rand::random::<[u8; 8]>()));
            let t = Instant::now();
            sqlx::query("INSERT INTO floor_t (k, v) VALUES ($1, $2)")
                .bind(key.into_bytes())
                .bind(vec![1u8; 64])
                .execute(&mut $conn)
                .await
                .expect("insert");
            times.push(t.elapsed());
        }
        median(times)
    }};
}

/// One small row committed durably: SQLite in WAL mode with `synchronous=FULL` (the
/// server's settings) in `dir`, or PostgreSQL at `pg_url`.
pub async fn commit_floor(dir: &std::path::Path, pg_url: Option<&str>, n: usize) -> Duration {
    match pg_url {
        Some(url) => {
            let mut c = sqlx::PgConnection::connect(url).await.expect("connect");
            sqlx::query("CREATE TABLE IF NOT EXISTS floor_t (k BYTEA PRIMARY KEY, v BYTEA)")
                .execute(&mut c)
                .await
                .expect("create");
            time_inserts!(c, n)
        }
        None => {
            let opts = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(dir.join("floor.db"))
                .create_if_missing(true)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Full);
            let mut c = sqlx::SqliteConnection::connect_with(&opts).await.expect("open");
            sqlx::query("CREATE TABLE floor_t (k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID")
                .execute(&mut c)
                .await
                .expect("create");
            time_inserts!(c, n)
        }
    }
}

/// Sequential write of `mib` MiB into `dir`, then `fdatasync`: MB/s.
pub fn disk_floor(dir: &std::path::Path, mib: usize) -> f64 {
    let path = dir.join("floor.bin");
    let block: Vec<u8> = (0..1 << 20).map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let t = Instant::now();
    let mut f = std::fs::File::create(&path).expect("create");
    for _ in 0..mib {
        f.write_all(&block).expect("write");
    }
    f.sync_data().expect("sync");
    let secs = t.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&path);
    (mib as f64 * 1_048_576.0) / 1e6 / secs
}
