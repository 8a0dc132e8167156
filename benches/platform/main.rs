//! The one platform benchmark: every figure of issue #17 in one table, each next to its
//! floor measured in the same run (one Argon2id derivation, age encryption to 3
//! recipients, one durable commit, the disk's write rate) as a ratio, on SQLite and — when
//! `AMANA_TEST_DATABASE_URL` names a server (`bash .ci/with-postgres cargo bench --bench
//! platform`) — on PostgreSQL.
//!
//! Run: `cargo build --release -p amana-review && cargo bench --bench platform` (~10 min on
//! 2 cores), or `-- --quick` (smaller counts, ~3 min). The real release server on
//! 127.0.0.1 port 0 in a temp directory, the real CLI; bounded in count and time, loopback
//! only, never in CI. Figures go in BENCHMARKS.md.

// Benchmarks may unwrap: a failed expectation is the run failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code, unused_imports)]
#[path = "../../tests/api/helpers.rs"]
mod helpers;

mod floors;
mod form;
mod load;
mod pull;
mod server;
mod upload;

use std::time::Duration;

use server::{start, status_kib, Kdf};

/// Counts and durations of one run.
struct Plan {
    load_secs: f64,
    status_rounds: usize,
    upload_mib: u64,
    pull_cases: usize,
    pull_limit: Duration,
    /// `--pull-only`: the floors and the pull rows alone (for before/after a CLI change).
    pull_only: bool,
}

impl Plan {
    fn new(quick: bool) -> Self {
        if quick {
            Plan {
                load_secs: 4.0,
                status_rounds: 5,
                upload_mib: 256,
                pull_cases: 5_000,
                pull_limit: Duration::from_secs(120),
                pull_only: false,
            }
        } else {
            Plan {
                load_secs: 12.0,
                status_rounds: 10,
                upload_mib: 2048,
                pull_cases: 100_000,
                pull_limit: Duration::from_secs(900),
                pull_only: false,
            }
        }
    }
}

/// One line of the table.
struct Row {
    what: String,
    figure: String,
    floor: String,
    ratio: String,
}

fn row(
    what: impl Into<String>,
    figure: impl Into<String>,
    floor: impl Into<String>,
    ratio: impl Into<String>,
) -> Row {
    Row { what: what.into(), figure: figure.into(), floor: floor.into(), ratio: ratio.into() }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn mib(kib: u64) -> String {
    format!("{:.0} MiB", kib as f64 / 1024.0)
}

#[tokio::main]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick" || a == "quick");
    let plan = Plan { pull_only: std::env::args().any(|a| a == "--pull-only"), ..Plan::new(quick) };
    if std::env::args().any(|a| a == "--tail-only") {
        // Only the store-bound intake rows (test KDF), for before/after comparisons.
        // AMANA_BENCH_BINS="A:B" alternates two server builds, A, B, A, B…, so the other
        // load on the machine falls on both alike.
        let bins = std::env::var("AMANA_BENCH_BINS").unwrap_or_default();
        let bins: Vec<&str> = bins.split(':').filter(|b| !b.is_empty()).collect();
        let rounds = if bins.is_empty() { 1 } else { 3 };
        let mut rows = Vec::new();
        for round in 0..rounds {
            for bin in bins.iter().map(Some).chain(bins.is_empty().then_some(None)) {
                if let Some(bin) = bin {
                    std::env::set_var("AMANA_BENCH_BIN", bin);
                }
                let t = start(Kdf::Test, None, 0);
                let commit = floors::commit_floor(t.dep.root(), None, 100).await;
                let before = rows.len();
                tail_rows(&mut rows, &t, commit, &plan).await;
                let label = bin.map(|b| b.rsplit('/').next().unwrap_or(b)).unwrap_or("this build");
                for r in &mut rows[before..] {
                    r.what = format!("{} [{label}, round {}]", r.what, round + 1);
                }
            }
        }
        print_table("SQLite, test KDF", &rows);
        return;
    }
    pull::review_bin();
    let pg_admin = std::env::var(amana_testkit::postgres::PG_ENV).ok().filter(|u| !u.is_empty());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!("platform bench ({}), {cores} cores", if quick { "quick" } else { "full" });
    if !std::env::args().any(|a| a == "--postgres-only") {
        run_backend("SQLite", None, &plan, cores).await;
    }
    if let Some(admin) = pg_admin {
        let floor_db = amana_testkit::postgres::PgDatabase::create(&admin, "amana_bench_floor").await;
        run_backend("PostgreSQL", Some((&floor_db.url, &admin)), &plan, cores).await;
    } else {
        println!("\n(PostgreSQL skipped: run under `bash .ci/with-postgres` to include it)");
    }
}

/// Every measurement on one database; prints its table.
async fn run_backend(name: &str, pg: Option<(&str, &str)>, plan: &Plan, cores: usize) {
    let scratch = tempfile::tempdir().expect("tempdir");
    let f = floors::Floors {
        argon2id: floors::argon2id_floor(5),
        age3: floors::age3_floor(200),
        commit: floors::commit_floor(scratch.path(), pg.map(|p| p.0), 100).await,
        disk_mbps: floors::disk_floor(scratch.path(), if plan.upload_mib >= 2048 { 1024 } else { 256 }),
    };
    let new_db = || async {
        match pg {
            Some((_, admin)) => Some(amana_testkit::postgres::PgDatabase::create(admin, "amana_bench").await),
            None => None,
        }
    };
    let mut rows = vec![
        row("floor: one Argon2id (m=64 MiB, t=3)", ms(f.argon2id), "", ""),
        row("floor: age to 3 recipients (1 KiB)", ms(f.age3), "", ""),
        row("floor: one durable commit", ms(f.commit), "", ""),
        row("floor: disk write + fdatasync", format!("{:.0} MB/s", f.disk_mbps), "", ""),
    ];
    if !plan.pull_only {
        let db = new_db().await;
        production_rows(&mut rows, db.as_ref().map(|d| d.url.as_str()), &f, plan, cores).await;
    }
    let db = new_db().await;
    let db_url = db.as_ref().map(|d| d.url.as_str());
    let t = start(Kdf::Test, db_url, 0);
    if !plan.pull_only {
        tail_rows(&mut rows, &t, f.commit, plan).await;
    }
    pull_rows(&mut rows, &t, db_url, &f, plan).await;
    drop(t);
    print_table(name, &rows);
}

/// The rows measured with the production KDF: readiness, idle memory, intake, status, upload.
async fn production_rows(
    rows: &mut Vec<Row>,
    db_url: Option<&str>,
    f: &floors::Floors,
    plan: &Plan,
    cores: usize,
) {
    let s = start(Kdf::Production, db_url, plan.upload_mib);
    std::thread::sleep(Duration::from_secs(1));
    rows.push(row("time to ready", ms(s.ready), "", ""));
    rows.push(row("idle RSS", mib(status_kib(s.pid, "VmRSS")), "", ""));
    intake_rows(rows, &s, f, plan, cores).await;
    let u = upload::upload(&s.url, s.pid, plan.upload_mib).await;
    rows.push(row(
        format!("upload {} MiB", plan.upload_mib),
        format!("{:.0} MB/s ({:.1} s), server peak {}", u.mbps, u.secs, mib(u.peak_kib)),
        format!("disk {:.0} MB/s", f.disk_mbps),
        format!("{:.2}", u.mbps / f.disk_mbps),
    ));
    drop(s);
}

async fn intake_rows(rows: &mut Vec<Row>, s: &server::Server, f: &floors::Floors, plan: &Plan, cores: usize) {
    let ceiling = cores as f64 / f.argon2id.as_secs_f64();
    let alone = f.argon2id + f.age3 + f.commit;
    let mut code = String::new();
    for clients in [1usize, 16, 64] {
        let r = load::intake(&s.url, clients, plan.load_secs).await;
        if let Some(c) = r.codes.first() {
            code.clone_from(c);
        }
        rows.push(row(
            format!("intake, {clients} client(s)"),
            format!(
                "{:.1}/s; at {:.1}/s p50 {} p99 {} ({} refused)",
                r.rate,
                r.offered,
                ms(r.p50),
                ms(r.p99),
                r.refused
            ),
            format!("{:.1}/s ({cores} cores / Argon2id); {} alone", ceiling, ms(alone)),
            format!("{:.2}; p50 {:.1}×", r.rate / ceiling, r.p50.as_secs_f64() / alone.as_secs_f64()),
        ));
    }
    let (hit, miss) = load::status(&s.url, &code, plan.status_rounds).await;
    rows.push(row(
        "status hit / miss (median)",
        format!("{} / {}", ms(hit), ms(miss)),
        format!("Argon2id {}", ms(f.argon2id)),
        format!(
            "{:.2} / {:.2}; miss/hit {:.2}",
            hit.as_secs_f64() / f.argon2id.as_secs_f64(),
            miss.as_secs_f64() / f.argon2id.as_secs_f64(),
            miss.as_secs_f64() / hit.as_secs_f64()
        ),
    ));
}

/// Intake without the KDF (test setting): what the store and the rest of the request cost.
async fn tail_rows(rows: &mut Vec<Row>, t: &server::Server, commit: Duration, plan: &Plan) {
    for clients in [16usize, 64] {
        let r = load::intake(&t.url, clients, plan.load_secs).await;
        rows.push(row(
            format!("intake, test KDF, {clients} clients"),
            format!(
                "{:.0}/s; at {:.0}/s p50 {} p99 {} ({} refused)",
                r.rate,
                r.offered,
                ms(r.p50),
                ms(r.p99),
                r.refused
            ),
            format!("commit {}", ms(commit)),
            format!("p99/p50 {:.1}", r.p99.as_secs_f64() / r.p50.as_secs_f64().max(1e-9)),
        ));
    }
}

async fn pull_rows(
    rows: &mut Vec<Row>,
    t: &server::Server,
    db_url: Option<&str>,
    f: &floors::Floors,
    plan: &Plan,
) {
    let seeded = pull::seed(&t.url, plan.pull_cases).await;
    rows.push(row(
        format!("seed {} cases (test KDF, 64 clients)", plan.pull_cases),
        format!("{seeded:.1} s ({:.0}/s)", plan.pull_cases as f64 / seeded),
        "",
        "",
    ));
    let home = t.dep.reviewer(helpers::OVERSIGHT).home.clone();
    let runs = [
        ("first", false),
        ("again, all changed today", false),
        ("again, none changed since the day before", true),
    ];
    for (which, aged) in runs {
        if aged {
            // What a daily pull meets: the cases last changed weeks ago, before its cursor.
            pull::age_cases(&t.dep.data_dir(), db_url, 30).await;
        }
        let p = pull::pull(t, &home, plan.pull_limit);
        let bytes = pull::dir_bytes(&home);
        let floor = bytes as f64 / 1e6 / f.disk_mbps;
        // The seeded cases and those the intake rows filed before them.
        let held = std::fs::read_dir(home.join("cases")).map(|d| d.count()).unwrap_or(0);
        rows.push(row(
            format!("pull {held} cases, {which}"),
            format!(
                "{}{}; RSS CLI {} server {}",
                if p.secs < 1.0 { ms(Duration::from_secs_f64(p.secs)) } else { format!("{:.1} s", p.secs) },
                if p.ok { "" } else { " (DID NOT FINISH)" },
                // Sampled every 20 ms: a pull that ended sooner was never seen running.
                if p.cli_peak_kib == 0 { "not sampled".to_string() } else { mib(p.cli_peak_kib) },
                mib(p.server_peak_kib)
            ),
            format!("home {:.0} MB at disk rate: {floor:.2} s", bytes as f64 / 1e6),
            format!("{:.0}", p.secs / floor.max(1e-9)),
        ));
    }
}

fn print_table(name: &str, rows: &[Row]) {
    println!("\n### {name}\n");
    println!("| measure | figure | floor | ratio |");
    println!("|---|---|---|---|");
    for r in rows {
        println!("| {} | {} | {} | {} |", r.what, r.figure, r.floor, r.ratio);
    }
}
