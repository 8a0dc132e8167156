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
    assert!(text.lines().last().is_some_and(|l| l.starts_with("all")), "{text}");
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
