//! The operations room at national scale (BENCHMARKS.md, "Operations room"); never in CI.
//!
//! `cargo bench -p amana-review --bench room` times the real `amana-review kpis` (release
//! build) on synthetic homes:
//!
//! 1. `AMANA_ROOM_FILES` cases (default 20,000) written as case files, as a pull stores them:
//!    the first `kpis` reads every history and writes the index, the next ones read the index;
//! 2. `AMANA_ROOM_INDEX` cases (default 1,000,000) in the index alone (`facts.tsv`, the format
//!    of `facts/index.rs`; a million case folders would take ~8 GB of disk): the one-year
//!    dashboard as JSON, as a table, and as the HTML report.
//!
//! The cases are spread over 2026 across 12 agencies, 40 centres and every kind; 20 % are
//! evaluations with five answers, most are acknowledged, a third have a reply, a few are junk,
//! escalated or oversight-only. A fixed seed makes every run the same.

// A benchmark may unwrap: a failure is the benchmark failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// It prints its figures to a terminal, never to a closed pipe.
#![allow(clippy::disallowed_macros)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use amana_core::case::{Kind, Status};
use amana_core::events::EventKind;
use amana_testkit::chain::{empty_bundle, Attesters, NewEvent};
use serde_json::json;
use time::{Date, Month};

const BIN: &str = env!("CARGO_BIN_EXE_amana-review");

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One synthetic case: what the index holds for it.
struct Case {
    id: String,
    agency: String,
    kind: Kind,
    oversight_only: bool,
    status: Status,
    escalated: bool,
    received: Date,
    acknowledge_by: Date,
    feedback_by: Date,
    acknowledged: Option<Date>,
    replied: Option<Date>,
    rating: Option<u8>,
    evaluation: Option<serde_json::Value>,
}

fn case(rng: &mut Rng, i: usize) -> Case {
    let start = Date::from_calendar_date(2026, Month::January, 1).unwrap_or(Date::MIN);
    let received = start + time::Duration::days(rng.below(365) as i64);
    let kind = Kind::ALL[rng.below(Kind::ALL.len() as u64) as usize];
    let day = |d: u64| received + time::Duration::days(d as i64);
    let acknowledged = (rng.below(10) < 8).then(|| day(rng.below(12)));
    let replied =
        acknowledged.filter(|_| rng.below(3) == 0).map(|a| a + time::Duration::days(rng.below(40) as i64));
    let status = match (acknowledged, rng.below(20)) {
        (None, 0) => Status::ClosedSpam,
        (None, _) => Status::Received,
        (Some(_), 0..=5) => Status::ClosedActionTaken,
        (Some(_), 6..=7) => Status::ClosedUnfounded,
        (Some(_), 8) => Status::ClosedReferred,
        (Some(_), _) => Status::InReview,
    };
    let evaluation = (rng.below(5) == 0).then(|| {
        let answers: Vec<_> = ["access", "waiting", "clarity", "courtesy", "cleanliness"]
            .iter()
            .map(|c| json!([c, (rng.below(6) != 0).then(|| 1 + rng.below(5))]))
            .collect();
        json!({
            "centre": format!("centre-{}", rng.below(40)),
            "ratings": {"questionnaire": "office", "version": 1, "answers": answers},
            "commissioned": rng.below(10) == 0,
        })
    });
    Case {
        id: format!("{i:020x}"),
        agency: format!("agency-{}", rng.below(12)),
        kind,
        oversight_only: rng.below(100) == 0,
        status,
        escalated: acknowledged.is_none() && rng.below(4) == 0,
        received,
        acknowledge_by: day(7),
        feedback_by: day(30),
        acknowledged,
        replied,
        rating: (rng.below(5) == 0).then(|| 1 + rng.below(5) as u8),
        evaluation,
    }
}

fn index_line(c: &Case) -> String {
    let opt = |d: Option<Date>| d.map_or("-".to_string(), |d| d.to_string());
    format!(
        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
        c.id,
        c.agency,
        c.kind,
        u8::from(c.oversight_only),
        c.status,
        u8::from(c.escalated),
        c.received,
        c.acknowledge_by,
        c.feedback_by,
        opt(c.acknowledged),
        opt(c.replied),
        c.rating.map_or("-".to_string(), |r| r.to_string()),
        c.evaluation.as_ref().map_or("-".to_string(), |e| e.to_string())
    )
}

/// The case as a pull stores it: a hash-chained history of its events.
fn case_file(a: &Attesters, c: &Case) -> Vec<u8> {
    let mut b = empty_bundle(&c.id, c.kind, c.received, c.oversight_only);
    b.agency = c.agency.clone();
    b.deadlines.acknowledge_by = c.acknowledge_by;
    b.deadlines.feedback_by = c.feedback_by;
    b.escalated = c.escalated;
    b.rating = c.rating;
    let mut detail = json!({ "envelope_id": "rep" });
    if let Some(e) = &c.evaluation {
        detail["centre"] = e["centre"].clone();
        detail["ratings"] = e["ratings"].clone();
        detail["commissioned"] = e["commissioned"].clone();
    }
    let push = |b: &mut amana_core::wire::CaseBundle,
                on: Date,
                kind: EventKind,
                status: Status,
                actor: Option<&str>| {
        a.push(
            b,
            NewEvent {
                on,
                kind,
                status,
                detail: detail.clone(),
                actor: actor.map(str::to_string),
                signed: None,
            },
        )
    };
    push(&mut b, c.received, EventKind::Submitted, Status::Received, None);
    if let Some(on) = c.acknowledged {
        push(&mut b, on, EventKind::StatusChanged, Status::Acknowledged, Some("officer"));
    }
    if let Some(on) = c.replied {
        push(&mut b, on, EventKind::Reply, Status::Acknowledged, Some("officer"));
    }
    if c.status != Status::Received && c.status != Status::Acknowledged {
        let on = c.replied.or(c.acknowledged).unwrap_or(c.received);
        push(&mut b, on, EventKind::StatusChanged, c.status, Some("officer"));
    }
    b.status = c.status;
    serde_json::to_vec_pretty(&b).unwrap_or_default()
}

/// Runs `kpis` with `args` in `home` `runs` times; the wall times, sorted.
fn time_kpis(home: &Path, args: &[&str], runs: usize) -> Vec<Duration> {
    let mut times: Vec<Duration> = (0..runs)
        .map(|i| {
            let html = home.join(format!("report-{i}-{}.html", args.len()));
            let _ = std::fs::remove_file(&html);
            let mut cmd = Command::new(BIN);
            cmd.arg("--home").arg(home).arg("kpis").args(args);
            if args.contains(&"--html") {
                cmd.arg(&html);
            }
            let t = Instant::now();
            let out = cmd.output().unwrap_or_else(|e| panic!("{BIN}: {e}"));
            let elapsed = t.elapsed();
            assert!(out.status.success(), "kpis {args:?}: {}", String::from_utf8_lossy(&out.stderr));
            elapsed
        })
        .collect();
    times.sort();
    times
}

fn show(what: &str, t: &[Duration]) {
    let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{what:<58} median {:>7.0} ms   min {:>7.0} ms   max {:>7.0} ms   (n {})",
        ms(&t[t.len() / 2]),
        ms(&t[0]),
        ms(&t[t.len() - 1]),
        t.len()
    );
}

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let files = env_count("AMANA_ROOM_FILES", 20_000);
    let indexed = env_count("AMANA_ROOM_INDEX", 1_000_000);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    // AMANA_ROOM_KEEP=DIR keeps the homes there, to run `kpis` on them by hand.
    let dir = match std::env::var_os("AMANA_ROOM_KEEP") {
        Some(keep) => tempfile::Builder::new()
            .prefix("room-")
            .tempdir_in(keep)
            .map(|d| d.keep())
            .unwrap_or_else(|e| panic!("{e}")),
        None => dir.path().to_path_buf(),
    };
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);

    // 1. Case files, as pulled.
    let home = dir.join("files");
    let attesters = Attesters::fixed("bench");
    let t = Instant::now();
    for i in 0..files {
        let c = case(&mut rng, i);
        let folder = home.join("cases").join(&c.id);
        std::fs::create_dir_all(&folder).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(folder.join("case.json"), case_file(&attesters, &c)).unwrap_or_else(|e| panic!("{e}"));
    }
    println!("{files} case files written in {:.1} s", t.elapsed().as_secs_f64());
    show(
        &format!("{files} case files, no index (reads every history)"),
        &time_kpis(&home, &["--period", "2026", "--json"], 1),
    );
    show(
        &format!("{files} case files, with the index"),
        &time_kpis(&home, &["--period", "2026", "--json"], 5),
    );

    // 2. The index of a national deployment.
    let home = dir.join("national");
    std::fs::create_dir_all(home.join("cases")).unwrap_or_else(|e| panic!("{e}"));
    let t = Instant::now();
    let mut text = String::with_capacity(indexed * 160);
    text.push_str("amana-facts-1\n");
    for i in 0..indexed {
        text.push_str(&index_line(&case(&mut rng, i)));
    }
    std::fs::write(home.join("facts.tsv"), &text).unwrap_or_else(|e| panic!("{e}"));
    println!("{indexed} cases indexed ({} MB) in {:.1} s", text.len() >> 20, t.elapsed().as_secs_f64());
    for args in [&["--period", "2026", "--json"][..], &["--period", "2026"], &["--period", "2026", "--html"]]
    {
        show(&format!("{indexed} cases, kpis {}", args.join(" ")), &time_kpis(&home, args, 5));
    }
}
