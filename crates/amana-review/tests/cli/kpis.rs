//! `kpis` on hand-made cases: metadata only, no keys needed beyond the home.

use amana_core::case::{Kind, Status};
use predicates::prelude::*;
use serde_json::Value;

use crate::support::{bundle_dated, write_case, TestHome};

use Status::*;

/// Health: two violations (acknowledged after 2 and 9 days, the second late and rated),
/// one complaint still unacknowledged long past its deadline and escalated;
/// transport: one fresh inquiry.
fn cases(home: &TestHome) {
    write_case(
        home,
        &bundle_dated(
            "v1",
            Kind::Violation,
            "2026-01-01",
            &[(Received, "2026-01-01"), (Acknowledged, "2026-01-03")],
            false,
        ),
        &[],
    );
    let mut v2 = bundle_dated(
        "v2",
        Kind::Violation,
        "2026-01-01",
        &[
            (Received, "2026-01-01"),
            (Acknowledged, "2026-01-10"),
            (InReview, "2026-01-11"),
            (ClosedActionTaken, "2026-02-01"),
        ],
        false,
    );
    v2.rating = Some(4);
    write_case(home, &v2, &[]);
    let mut c1 = bundle_dated("c1", Kind::Complaint, "2026-01-05", &[(Received, "2026-01-05")], false);
    c1.escalated = true;
    write_case(home, &c1, &[]);
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let mut t1 = bundle_dated("t1", Kind::Inquiry, &today, &[(Received, &today)], false);
    t1.agency = "transport".into();
    write_case(home, &t1, &[]);
}

#[test]
fn kpis_as_json() {
    let home = TestHome::new();
    home.keygen("alice", "health");
    cases(&home);
    let out = home.cmd().args(["kpis", "--json"]).assert().success();
    let v: Value = serde_json::from_slice(&out.get_output().stdout).expect("json");
    let groups = v["groups"].as_array().expect("groups");
    let find = |agency: &str, kind: &str| {
        groups
            .iter()
            .find(|g| g["agency"] == agency && g["kind"] == kind)
            .unwrap_or_else(|| panic!("{agency}/{kind}"))
    };
    let viol = find("health", "violation");
    assert_eq!(viol["cases"], 2);
    assert_eq!(viol["by_status"]["acknowledged"], 1);
    assert_eq!(viol["by_status"]["closed_action_taken"], 1);
    assert_eq!(viol["median_days_to_acknowledge"], 5.5);
    assert_eq!(viol["acknowledged_on_time_share"], 0.5, "acknowledge by 2026-01-08: v1 yes, v2 no");
    assert_eq!(viol["average_rating"], 4.0);
    assert_eq!(viol["overdue"], 1, "v1 is past its feedback date; a closed case is never overdue");
    let compl = find("health", "complaint");
    assert_eq!(
        (compl["cases"].as_u64(), compl["escalated"].as_u64(), compl["overdue"].as_u64()),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(compl["acknowledged_on_time_share"], 0.0, "past the deadline without acknowledgement: a miss");
    assert!(compl["median_days_to_acknowledge"].is_null());
    let inq = find("transport", "inquiry");
    assert!(inq["acknowledged_on_time_share"].is_null(), "not settled yet");
    assert_eq!(inq["overdue"], 0);
    let all = find("all", "all");
    assert_eq!(
        (all["cases"].as_u64(), all["escalated"].as_u64(), all["ratings"].as_u64()),
        (Some(4), Some(1), Some(1))
    );
    assert_eq!(all["by_status"]["received"], 2);
    assert_eq!(groups.last().map(|g| &g["agency"]), Some(&Value::from("all")));
}

#[test]
fn kpis_as_a_table() {
    let home = TestHome::new();
    home.keygen("alice", "health");
    cases(&home);
    let out = home.cmd().arg("kpis").assert().success().stdout(predicate::str::starts_with("AGENCY"));
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let row = text.lines().find(|l| l.starts_with("health") && l.contains("violation")).expect("row");
    for cell in ["5.5", "50%", "4.00 (1)"] {
        assert!(row.contains(cell), "{cell} missing in {row}");
    }
    let main_table = text.split("\n\n").next().unwrap_or_default();
    assert!(main_table.lines().last().is_some_and(|l| l.starts_with("all")), "{text}");
    assert!(!text.contains("AGE-SECRET"), "metadata only");
}

#[test]
fn kpis_for_a_period_as_csv() {
    let home = TestHome::new();
    home.keygen("alice", "health");
    cases(&home);
    // January 2026 holds the three health cases, not this month's transport inquiry.
    let out = home.cmd().args(["kpis", "--csv", "--period", "2026-01"]).assert().success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert!(lines[0].starts_with(r#""agency","kind","cases","received""#), "{text}");
    assert!(lines.iter().any(|l| l.starts_with(r#""health","violation","2""#)), "{text}");
    assert!(!text.contains("transport"), "{text}");
    assert!(lines.last().is_some_and(|l| l.starts_with(r#""all","all","3""#)), "{text}");
    home.cmd()
        .args(["kpis", "--period", "2026-Q5"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("use a year (2026), a quarter (2026-Q3) or a month (2026-11)"));
}

#[test]
fn officers_figures_stay_on_an_oversight_terminal() {
    let home = TestHome::new();
    home.keygen("alice", "health");
    cases(&home);
    home.cmd()
        .args(["kpis", "--officers", "--csv"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("cannot be combined with --json or --csv"));
    // Without a verified roster saying it is oversight, a home is refused.
    let out = home.cmd().args(["kpis", "--officers"]).assert().failure();
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("roster") || err.contains("deployment"), "{err}");
}

/// A home whose signed roster makes `alice` an oversight reviewer, holding [`cases`] plus
/// enough health violations in January 2026 for published figures to show something.
fn oversight_home() -> TestHome {
    let home = TestHome::new();
    let me = home.keygen_offline("alice", "health");
    cases(&home);
    for i in 0..7 {
        let id = format!("bulk{i}");
        let day = format!("2026-01-{:02}", 10 + i);
        let acked = format!("2026-01-{:02}", 12 + i);
        write_case(
            &home,
            &bundle_dated(&id, Kind::Violation, &day, &[(Received, &day), (Acknowledged, &acked)], false),
            &[],
        );
    }
    // An oversight-only case: it must never count under its agency in published figures.
    write_case(
        &home,
        &bundle_dated("secret", Kind::Violation, "2026-01-20", &[(Received, "2026-01-20")], true),
        &[],
    );
    let mut anchor_case = crate::support::bundle("roster-only", "2026-01-01", &[Received], false);
    anchor_case.recipients = vec![amana_core::wire::RecipientWire {
        key_id: "alice".into(),
        age_recipient: me.age_recipient,
        oversight: true,
    }];
    let roster = crate::support::signed_roster(&[], &[anchor_case]);
    std::fs::write(home.file("roster.json"), serde_json::to_vec(&roster).expect("json")).expect("roster");
    home
}

#[test]
fn published_figures_hide_small_counts_and_are_signed() {
    let home = oversight_home();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("2026-Q1.json");
    home.cmd().args(["kpis", "--period", "2026-Q1", "--publish"]).arg(&out).assert().success();
    let signed: Value = serde_json::from_slice(&std::fs::read(&out).expect("file")).expect("json");
    let doc: Value = serde_json::from_str(signed["document"].as_str().expect("document")).expect("doc");
    assert_eq!((doc["format"].as_str(), doc["k"].as_u64()), (Some("amana-transparency-1"), Some(5)));
    let health = &doc["agencies"][0];
    assert_eq!(health["agency"], "health");
    // 2 + 7 violations (the oversight-only one never counts), 1 complaint: 9 → about 10.
    assert_eq!(health["received_by_kind"]["violation"], serde_json::json!({ "about": 10 }));
    assert_eq!(health["received_by_kind"]["complaint"], serde_json::json!({ "fewer_than": 5 }));
    assert_eq!(health["received"], serde_json::json!({ "about": 10 }));
    // Every kind is listed, a kind with no case too: leaving it out would say "zero".
    assert_eq!(health["received_by_kind"]["suggestion"], serde_json::json!({ "fewer_than": 5 }));
    // 9 acknowledged: the median shows, with its n rounded; nobody replied: no median.
    assert_eq!(health["acknowledged"], serde_json::json!({ "about": 10 }));
    assert_eq!(
        (health["replied"].clone(), health["median_days_to_first_reply"].clone()),
        (serde_json::json!({ "fewer_than": 5 }), Value::Null)
    );
    // The agency whose only case is recent is listed all the same, every count hidden.
    assert_eq!(doc["agencies"][1]["received"], serde_json::json!({ "fewer_than": 5 }));
    // One rated case: no mean, and the count hidden.
    assert_eq!(
        (health["satisfaction"].clone(), health["rated"].clone()),
        (Value::Null, serde_json::json!({ "fewer_than": 5 }))
    );
    assert!(!signed["document"].as_str().unwrap_or("").contains("secret"));
    // The signature is alice's over the document.
    let entry: amana_core::keyring::ReviewerEntry = toml::from_str(&String::from_utf8_lossy(
        &std::fs::read(home.file("public-entry.toml")).expect("entry"),
    ))
    .expect("entry");
    let public = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, entry.ed25519_public_key)
        .expect("b64");
    let sig = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        signed["signature"].as_str().expect("sig"),
    )
    .expect("b64");
    let message =
        [b"amana-transparency-1\n".as_slice(), signed["document"].as_str().expect("doc").as_bytes()].concat();
    ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, public)
        .verify(&message, &sig)
        .expect("signed");

    // A month or a year is refused (periods never overlap; a year is the sum of quarters).
    for period in ["2026-01", "2025"] {
        home.cmd()
            .args(["kpis", "--period", period, "--publish"])
            .arg(dir.path().join("not-a-quarter.json"))
            .assert()
            .failure()
            .stderr(predicate::str::contains("publish calendar quarters"));
    }
    // A period that ended less than 120 days ago, or a k below 3, is refused.
    let today = time::OffsetDateTime::now_utc().date();
    let this_quarter = format!("{}-Q{}", today.year(), (u8::from(today.month()) - 1) / 3 + 1);
    home.cmd()
        .args(["kpis", "--period", &this_quarter, "--publish"])
        .arg(dir.path().join("now.json"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("days after it ends"));
    home.cmd()
        .args(["kpis", "--period", "2026-Q1", "--k", "2", "--publish"])
        .arg(dir.path().join("k2.json"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("k must be at least 3"));
    // The officers' view works on this oversight home.
    let shown = home.cmd().args(["kpis", "--officers"]).assert().success();
    assert!(String::from_utf8_lossy(&shown.get_output().stdout).contains("officers (oversight only"));
}
