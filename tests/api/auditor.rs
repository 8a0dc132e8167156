//! The auditor (SECURITY.md, "Published figures"): a deployment with two agencies — health,
//! with dozens of cases a quarter, a complaints cell of 3 and an oversight-only violation in
//! the second quarter; transport, with 1 to 4 cases in every cell — whose oversight unit
//! publishes the four quarters of 2025 with the real `amana-review kpis --publish` and
//! `publish-figures`, and whose server then serves the quarters, the year and the page.
//!
//! The auditor holds every published artifact (the list, each quarter's signed JSON and CSV,
//! the year's JSON and CSV, the page) plus health's own home (`kpis --json` per quarter).
//! The test checks, precisely:
//!
//! 1. **No artifact adds information to another.** Each quarter's CSV carries exactly the
//!    values of its signed JSON; the year is exactly `publication::year::sum` of the four
//!    signed quarters (which the auditor recomputes), so it is a function of them; every
//!    figure belongs to one agency (no cross-agency total exists to subtract from).
//! 2. **A small cell cannot be derived.** For every agency and quarter, the auditor lists every
//!    assignment of case counts to the six kinds that the published values allow (each kind's
//!    published count and the published total, under the rounding and suppression rules);
//!    for every cell whose true count is 1 to 4, at least two values stay possible, and
//!    0 is one of them wherever the true count is below k — the auditor cannot tell it from
//!    none.
//! 3. **The oversight-only case leaves no trace.** Each quarter's published health figures
//!    are exactly what the disclosure rules make of health's own home's counts (which cannot
//!    hold the case): so they are a function of what health already knows, and the extra
//!    case (which would move the second quarter's violations from 12 to 13, i.e. from "10"
//!    to "15") changes nothing; no artifact names it.
//! 4. **Rankings honour k and only commissioned visits rank.** Health's commissioned score
//!    (2.5, six visits a quarter) ranks with its n; its perfect public ratings do not;
//!    transport's three commissioned visits a quarter (below k every quarter) never rank.

use std::collections::BTreeMap;
use std::path::Path;

use amana_core::case::{Kind, Status};
use amana_core::disclosure::{Count, Rules};
use amana_core::events::EventKind;
use amana_core::publication::{self, year, Document, Signed};
use amana_core::wire::CaseBundle;
use amana_testkit::chain::{empty_bundle, Attesters, NewEvent};
use serde_json::{json, Value};
use time::{Date, Duration, Month};

use crate::helpers::{review_cli, Deployment, KeyGen, Reviewer, TestApp, DEPLOYMENT_ID, HEALTH, OVERSIGHT};

const SECRET: &str = "oversight-only-about-health";

/// One planned case.
struct Plan {
    agency: &'static str,
    kind: Kind,
    ack_after: Option<i64>,
    reply_after: Option<i64>,
    oversight_only: bool,
    /// `(centre, commissioned, answers)`.
    evaluation: Option<(&'static str, bool, [u8; 2])>,
}

fn plan(agency: &'static str, kind: Kind) -> Plan {
    Plan { agency, kind, ack_after: None, reply_after: None, oversight_only: false, evaluation: None }
}

/// Every case of quarter `q`, by agency: see the module documentation.
fn quarter_plan(q: u8) -> Vec<Plan> {
    let mut all = Vec::new();
    for _ in 0..12 {
        all.push(Plan { ack_after: Some(2), reply_after: Some(10), ..plan("health", Kind::Violation) });
    }
    for _ in 0..3 {
        all.push(Plan { ack_after: Some(4), ..plan("health", Kind::Complaint) });
    }
    for i in 0..16 {
        let evaluation = if i < 6 { ("h-north", true, [3, 2]) } else { ("h-north", false, [5, 5]) };
        all.push(Plan { evaluation: Some(evaluation), ..plan("health", Kind::ServiceEvaluation) });
    }
    if q == 2 {
        all.push(Plan { oversight_only: true, ..plan("health", Kind::Violation) });
    }
    let small: &[(Kind, usize)] = match q {
        1 => &[(Kind::Complaint, 2), (Kind::ServiceEvaluation, 3)],
        2 => &[(Kind::Violation, 3), (Kind::Inquiry, 1)],
        3 => &[(Kind::Complaint, 4)],
        _ => &[(Kind::Suggestion, 1), (Kind::ServiceEvaluation, 3)],
    };
    for (kind, n) in small {
        for _ in 0..*n {
            let evaluation = (*kind == Kind::ServiceEvaluation).then_some(("t-south", true, [5, 5]));
            all.push(Plan { evaluation, ack_after: Some(1), ..plan("transport", *kind) });
        }
    }
    all
}

fn quarter_start(q: u8) -> Date {
    Date::from_calendar_date(2025, Month::try_from(3 * q - 2).expect("month"), 1).expect("date")
}

/// The case as a pull would have stored it: a hash-chained history with its dates.
fn bundle(id: &str, p: &Plan, received: Date, at: &Attesters) -> CaseBundle {
    let mut b = empty_bundle(id, p.kind, received, p.oversight_only);
    b.agency = p.agency.into();
    let mut detail = json!({});
    if let Some((centre, commissioned, [a, w])) = p.evaluation {
        detail = json!({"centre": centre, "commissioned": commissioned,
            "ratings": {"questionnaire": "office", "version": 1, "answers": [["access", a], ["waiting", w]]}});
    }
    let event = |on, kind, status, detail| NewEvent { on, kind, status, detail, actor: None, signed: None };
    at.push(&mut b, event(received, EventKind::Submitted, Status::Received, detail));
    if let Some(d) = p.ack_after {
        at.push(
            &mut b,
            event(received + Duration::days(d), EventKind::StatusChanged, Status::Acknowledged, json!({})),
        );
        b.status = Status::Acknowledged;
    }
    let status = b.status;
    if let Some(d) = p.reply_after {
        at.push(&mut b, event(received + Duration::days(d), EventKind::Reply, status, json!({})));
    }
    b
}

fn write_case(home: &Path, b: &CaseBundle) {
    let dir = home.join("cases").join(&b.id);
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("case.json"), serde_json::to_vec(b).expect("json")).expect("write case");
    // As the CLI's own case writes do: the figures' index (`facts.tsv`) is rebuilt by the next
    // `kpis` rather than read stale.
    let _ = std::fs::remove_file(home.join("facts.tsv"));
}

/// The true counts per (quarter, agency, kind), and the homes filled: oversight holds
/// every case, health only its own (never the oversight-only one).
fn fill_homes(oversight: &Reviewer, health: &Reviewer) -> BTreeMap<(u8, String, String), u64> {
    let at = Attesters::fixed(DEPLOYMENT_ID);
    let mut truth = BTreeMap::new();
    for q in 1..=4u8 {
        for (i, p) in quarter_plan(q).iter().enumerate() {
            let id = if p.oversight_only { SECRET.to_string() } else { format!("q{q}-{}-{i}", p.agency) };
            let b = bundle(&id, p, quarter_start(q) + Duration::days(5 + (i % 20) as i64), &at);
            write_case(&oversight.home, &b);
            if p.agency == "health" && !p.oversight_only {
                write_case(&health.home, &b);
            }
            if !p.oversight_only {
                *truth.entry((q, p.agency.to_string(), p.kind.as_str().to_string())).or_default() += 1;
            }
        }
    }
    truth
}

/// Everything the public can fetch about 2025, as text.
struct Artifacts {
    quarters: Vec<(Signed, Document, String)>,
    year_json: Value,
    year_csv: String,
    all_text: String,
}

async fn fetch_all(app: &TestApp) -> Artifacts {
    let mut all_text = app.get("/api/v1/transparency").await.text().await.expect("list");
    let mut quarters = Vec::new();
    for q in 1..=4 {
        let signed: Signed =
            app.get(&format!("/api/v1/transparency/2025-Q{q}")).await.json().await.expect("quarter");
        let doc: Document = serde_json::from_str(&signed.document).expect("document");
        let csv = app.get(&format!("/api/v1/transparency/2025-Q{q}.csv")).await.text().await.expect("csv");
        all_text.push_str(&signed.document);
        all_text.push_str(&csv);
        quarters.push((signed, doc, csv));
    }
    let year_json: Value = app.get("/api/v1/transparency/2025").await.json().await.expect("year");
    let year_csv = app.get("/api/v1/transparency/2025.csv").await.text().await.expect("year csv");
    all_text.push_str(&year_json.to_string());
    all_text.push_str(&year_csv);
    for lang in ["en", "ar"] {
        all_text.push_str(&app.get(&format!("/{lang}/transparency")).await.text().await.expect("page"));
    }
    Artifacts { quarters, year_json, year_csv, all_text }
}

#[tokio::test]
async fn an_auditor_with_every_artifact_and_one_agencys_home_learns_no_small_cell() {
    let app = TestApp::start(Deployment::standard(KeyGen::InProcess), &[]);
    let oversight = app.dep.reviewer(OVERSIGHT).clone();
    let health = app.dep.reviewer(HEALTH).clone();
    oversight.cli(&app.address, &["pull"]).ok("oversight learns the roster");
    health.cli(&app.address, &["pull"]).ok("health learns the roster");
    let truth = fill_homes(&oversight, &health);
    let dir = tempfile::tempdir().expect("tempdir");
    for q in 1..=4 {
        let file = dir.path().join(format!("2025-Q{q}.json"));
        let file = file.to_str().expect("utf-8");
        oversight
            .cli(&app.address, &["kpis", "--period", &format!("2025-Q{q}"), "--publish", file])
            .ok("sign");
        review_cli(&["--server", &app.address, "publish-figures", file]).ok("upload");
    }
    let got = fetch_all(&app).await;
    let rules = Rules::new(5).expect("k");

    // 1. Nothing adds to the signed quarters.
    let docs: Vec<&Document> = got.quarters.iter().map(|(_, d, _)| d).collect();
    let recomputed = year::sum(&docs).expect("four quarters make a year");
    assert_eq!(got.year_json["year"], serde_json::to_value(&recomputed).expect("json"));
    assert_eq!(got.year_csv, publication::csv::year(&recomputed));
    for (q, (_, doc, csv)) in got.quarters.iter().enumerate() {
        assert_eq!(csv, &publication::csv::quarter(&format!("2025-Q{}", q + 1), doc));
        for line in csv.lines().skip(1) {
            let agency = line.split(',').nth(1).expect("agency cell");
            assert!(agency == "\"health\"" || agency == "\"transport\"", "a figure of no one agency: {line}");
        }
    }

    // 2. No small cell can be told, not even from zero.
    for (q, (_, doc, _)) in got.quarters.iter().enumerate() {
        let q = q as u8 + 1;
        for a in &doc.agencies {
            for (kind, possible) in possible_cells(a, &rules) {
                let true_n = truth.get(&(q, a.agency.clone(), kind.clone())).copied().unwrap_or(0);
                assert!(
                    possible.contains(&true_n),
                    "2025-Q{q} {} {kind}: {true_n} not in {possible:?}",
                    a.agency
                );
                if (1..5).contains(&true_n) {
                    assert!(possible.len() >= 2, "2025-Q{q} {} {kind}: only {possible:?}", a.agency);
                    assert!(
                        possible.contains(&0),
                        "2025-Q{q} {} {kind}: {possible:?} tells it from none",
                        a.agency
                    );
                }
            }
        }
    }

    // 3. Health's figures are a function of health's own home: the extra case is invisible.
    assert!(!got.all_text.contains(SECRET));
    for (q, (_, doc, _)) in got.quarters.iter().enumerate() {
        let period = format!("2025-Q{}", q + 1);
        let own: Value = serde_json::from_str(
            &health
                .cli(&app.address, &["kpis", "--json", "--period", &period])
                .ok("health's own view")
                .stdout,
        )
        .expect("json");
        let published = doc.agencies.iter().find(|a| a.agency == "health").expect("health");
        let own_count = |kind: &str| {
            own["groups"]
                .as_array()
                .expect("groups")
                .iter()
                .find(|g| g["agency"] == "health" && g["kind"] == kind)
                .map_or(0, |g| g["cases"].as_u64().expect("n"))
        };
        for kind in Kind::ALL.map(Kind::as_str) {
            assert_eq!(published.received_by_kind[kind], rules.count(own_count(kind)), "{period} {kind}");
        }
        let total: u64 = Kind::ALL.iter().map(|k| own_count(k.as_str())).sum();
        assert_eq!(published.received, rules.count(total), "{period}");
    }
    let q2 = &got.quarters[1].1.agencies.iter().find(|a| a.agency == "health").expect("health");
    assert_eq!(q2.received_by_kind["violation"], Count::About(10), "12 counted, not 13");

    // 4. Only commissioned visits rank, and only over k.
    let r = &recomputed.ranking;
    let named = |l: &[publication::ranking::Ranked]| {
        l.iter().map(|x| (x.agency.clone(), x.centre.clone(), x.value, x.n)).collect::<Vec<_>>()
    };
    assert_eq!(named(&r.best_agencies), vec![("health".into(), None, 2.5, 20)]);
    assert_eq!(named(&r.best_centres), vec![("health".into(), Some("h-north".into()), 2.5, 20)]);
    assert!(
        r.weakest_agencies.is_empty() && r.weakest_centres.is_empty(),
        "one body is not best and weakest"
    );
    assert!(
        !got.year_csv.contains("t-south") && !got.all_text.contains("t-south"),
        "transport's visits stay hidden"
    );
    // Transport's first quarter had 5 acknowledged cases (a median over k); its others did not.
    assert_eq!(
        named(&r.fastest_to_acknowledge),
        vec![("transport".into(), None, 1.0, 5), ("health".into(), None, 2.0, 60)]
    );
}

/// For each kind of `a`, every count the published figures allow, given all of them at once
/// (each kind's count and the total, under `rules`).
fn possible_cells(a: &publication::AgencyFigures, rules: &Rules) -> BTreeMap<String, Vec<u64>> {
    let kinds: Vec<(&String, Vec<u64>)> = a
        .received_by_kind
        .iter()
        .map(|(kind, c)| {
            let top = match c {
                Count::About(n) => n + 3,
                Count::FewerThan(k) => u64::from(*k),
            };
            (kind, (0..=top).filter(|n| rules.count(*n) == *c).collect())
        })
        .collect();
    let mut possible: BTreeMap<String, Vec<u64>> =
        kinds.iter().map(|(k, _)| ((*k).clone(), Vec::new())).collect();
    let mut pick = vec![0usize; kinds.len()];
    loop {
        let values: Vec<u64> = kinds.iter().zip(&pick).map(|((_, d), i)| d[*i]).collect();
        if rules.count(values.iter().sum()) == a.received {
            for ((kind, _), v) in kinds.iter().zip(&values) {
                let seen = possible.get_mut(*kind).expect("kind");
                if !seen.contains(v) {
                    seen.push(*v);
                }
            }
        }
        // The next assignment, as an odometer over the kinds' domains.
        let mut i = 0;
        while i < pick.len() {
            pick[i] += 1;
            if pick[i] < kinds[i].1.len() {
                break;
            }
            pick[i] = 0;
            i += 1;
        }
        if i == pick.len() {
            break;
        }
    }
    possible.values_mut().for_each(|v| v.sort_unstable());
    possible
}
