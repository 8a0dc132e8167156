//! `amana-review pull` of many cases, run twice (the first pull, then again: whatever the
//! CLI does when it already holds them), with the real release CLI: wall time and the peak
//! RSS of both processes.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::server::{reset_peak, status_kib, Server};

pub struct Pull {
    pub secs: f64,
    pub cli_peak_kib: u64,
    pub server_peak_kib: u64,
    pub ok: bool,
}

/// The release `amana-review` beside the release `amana`.
pub fn review_bin() -> PathBuf {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_amana")).with_file_name("amana-review");
    assert!(bin.exists(), "{} is missing: run `cargo build --release -p amana-review` first", bin.display());
    bin
}

/// Submits reports from 64 clients until `n` are stored: how long it took.
pub async fn seed(url: &str, n: usize) -> f64 {
    let c = crate::load::client();
    let left = std::sync::Arc::new(std::sync::atomic::AtomicIsize::new(n as isize));
    let t = Instant::now();
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let (c, url, left) = (c.clone(), url.to_string(), left.clone());
            tokio::spawn(async move {
                while left.fetch_sub(1, std::sync::atomic::Ordering::Relaxed) > 0 {
                    if crate::load::submit(&c, &url).await.is_none() {
                        left.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("seeding client");
    }
    t.elapsed().as_secs_f64()
}

/// One `amana-review pull` as oversight (every case is in its scope), bounded by `limit`.
pub fn pull(server: &Server, home: &Path, limit: Duration) -> Pull {
    reset_peak(server.pid);
    let t = Instant::now();
    let mut child = Command::new(review_bin())
        .args(["--home", home.to_str().expect("utf-8"), "--server", &server.url, "pull"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run amana-review pull");
    let mut cli_peak = 0;
    let status = loop {
        cli_peak = cli_peak.max(status_kib(child.id(), "VmHWM"));
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if t.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let secs = t.elapsed().as_secs_f64();
    let ok = status.is_some_and(|s| s.success());
    if !ok {
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut err);
        }
        eprintln!(
            "pull did not finish cleanly ({status:?}): {}",
            err.lines().take(5).collect::<Vec<_>>().join(" | ")
        );
    }
    Pull { secs, cli_peak_kib: cli_peak, server_peak_kib: status_kib(server.pid, "VmHWM"), ok }
}

/// Bytes under `dir`.
pub fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_bytes(&e.path()),
            _ => e.metadata().map(|m| m.len()).unwrap_or(0),
        })
        .sum()
}

/// Moves every case's last change `days` back, as if the seeded cases had been filed weeks
/// ago: the next incremental pull's cursor (the day before the last pull) is after them all.
/// The bench plays the calendar here; nothing else about the cases changes.
pub async fn age_cases(data_dir: &Path, db_url: Option<&str>, days: i64) {
    let on = (time::OffsetDateTime::now_utc().date() - time::Duration::days(days)).to_string();
    let sql = "UPDATE cases SET changed_on = $1";
    match db_url {
        Some(url) => {
            let pool = sqlx::PgPool::connect(url).await.expect("connect to the bench database");
            sqlx::query(sql).bind(&on).execute(&pool).await.expect("age the cases");
            // Rows changed weeks ago were long since vacuumed; without this the next query
            // would wade through the dead versions this one bulk update just left.
            sqlx::query("VACUUM ANALYZE cases").execute(&pool).await.expect("vacuum");
            pool.close().await;
        }
        None => {
            let url = format!("sqlite://{}", data_dir.join("amana.db").display());
            let pool = sqlx::SqlitePool::connect(&url).await.expect("open the bench database");
            sqlx::query(sql).bind(&on).execute(&pool).await.expect("age the cases");
            pool.close().await;
        }
    }
}
