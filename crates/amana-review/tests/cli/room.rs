//! The operations room (`kpis` per agency, centre, kind and week; `kpis --html`) on hand-made
//! cases whose figures are computed by hand below.

use amana_core::case::{Kind, Status};
use amana_core::events::EventKind;
use amana_core::wire::CaseBundle;
use predicates::prelude::*;
use serde_json::{json, Value};

use crate::support::{bundle_dated, date, push_event, write_case, TestHome};

use Status::*;

/// Sets the deadlines (feedback far away unless given, so "overdue" does not move with the
/// day the test runs).
fn due(mut b: CaseBundle, acknowledge_by: &str, feedback_by: Option<&str>) -> CaseBundle {
    b.deadlines.acknowledge_by = date(acknowledge_by);
    b.deadlines.feedback_by = date(feedback_by.unwrap_or("2099-01-01"));
    b
}

fn reply(b: &mut CaseBundle, on: &str) {
    let status = b.status;
    push_event(b, date(on), EventKind::Reply, status, json!({}), Some("alice".into()), None);
}

/// March 2026 (ISO weeks 10 and 12):
///
/// | case | agency    | received | acknowledge by | acknowledged      | first reply | note |
/// |------|-----------|----------|----------------|-------------------|-------------|------|
/// | a1   | health    | 03-02    | 03-09          | 03-09 (deadline day: on time, 7 d) | 03-12 (10 d) | |
/// | a2   | health    | 03-02    | 03-09          | 03-10 (a day late, 8 d) | 03-20 (18 d) | |
/// | a3   | health    | 03-03    | 03-10          | 03-04 (1 d)       | –           | extended: feedback by 2099 |
/// | a4   | health    | 03-03    | 03-10          | –                 | –           | closed_spam: nowhere |
/// | a5   | health    | 03-04    | 03-11          | 03-30             | –           | quarantined: nowhere |
/// | a6   | prisons   | 03-05    | 03-12          | –                 | –           | oversight only |
/// | a7   | health    | 03-16    | 03-23          | 03-17 (1 d)       | –           | evaluation of centre north |
/// | t1   | transport | 03-16    | 03-23          | –                 | –           | past both deadlines |
///
/// Health: 4 cases (a1 a2 a3 a7), 3 of 4 on time, median days to acknowledge 4.0 (1 1 7 8),
/// to feedback 14.0 (10 18, n 2), 4 open, none overdue.
fn cases(home: &TestHome) {
    let ack = |id: &str, kind: Kind, on: &str, by: &str, acked: &str| {
        due(bundle_dated(id, kind, on, &[(Received, on), (Acknowledged, acked)], false), by, None)
    };
    let mut a1 = ack("a1", Kind::Violation, "2026-03-02", "2026-03-09", "2026-03-09");
    reply(&mut a1, "2026-03-12");
    let mut a2 = ack("a2", Kind::Violation, "2026-03-02", "2026-03-09", "2026-03-10");
    reply(&mut a2, "2026-03-20");
    let mut a3 = ack("a3", Kind::Complaint, "2026-03-03", "2026-03-10", "2026-03-04");
    push_event(
        &mut a3,
        date("2026-03-05"),
        EventKind::Extended,
        Acknowledged,
        json!({}),
        Some("alice".into()),
        None,
    );
    a3.extension_days = 30;
    let a4 = bundle_dated(
        "a4",
        Kind::Violation,
        "2026-03-03",
        &[(Received, "2026-03-03"), (ClosedSpam, "2026-03-04")],
        false,
    );
    let a5 = ack("a5", Kind::Violation, "2026-03-04", "2026-03-11", "2026-03-30");
    let mut a6 = due(
        bundle_dated("a6", Kind::Violation, "2026-03-05", &[(Received, "2026-03-05")], true),
        "2026-03-12",
        None,
    );
    a6.agency = "prisons".into();
    let mut a7 = ack("a7", Kind::ServiceEvaluation, "2026-03-16", "2026-03-23", "2026-03-17");
    a7.events[0].detail = json!({
        "centre": "north",
        "ratings": {"questionnaire": "office", "version": 1, "answers": [["waiting", 4], ["clean", 2]]},
    })
    .to_string();
    let mut t1 = due(
        bundle_dated("t1", Kind::Inquiry, "2026-03-16", &[(Received, "2026-03-16")], false),
        "2026-03-23",
        Some("2026-04-30"),
    );
    t1.agency = "transport".into();
    for b in [a1, a2, a3, a4, a5, a6, a7, t1] {
        write_case(home, &b, &[]);
    }
    let quarantine = json!({ "a5": { "since": "2026-04-01", "reason": "its history does not verify" } });
    std::fs::write(home.file("quarantine.json"), quarantine.to_string()).expect("quarantine");
}

fn home() -> TestHome {
    let home = TestHome::new();
    home.keygen("alice", "health");
    cases(&home);
    home
}

fn find<'a>(rows: &'a Value, agency: &str) -> &'a Value {
    rows.as_array()
        .and_then(|r| r.iter().find(|g| g["agency"] == agency))
        .unwrap_or_else(|| panic!("{agency} in {rows}"))
}

#[test]
fn room_figures_match_the_hand_computed_ones() {
    let home = home();
    let out = home.cmd().args(["kpis", "--json", "--period", "2026-03"]).assert().success();
    let v: Value = serde_json::from_slice(&out.get_output().stdout).expect("json");
    let room = &v["room"];
    let health = find(&room["agencies"], "health");
    assert_eq!(health["cases"], 4, "junk and the quarantined case are left out: {health}");
    assert_eq!(health["acknowledged_on_time_share"], 0.75, "on the deadline day is on time");
    assert_eq!(health["median_days_to_acknowledge"], 4.0);
    assert_eq!(
        (health["median_days_to_feedback"].as_f64(), health["replied"].as_u64()),
        (Some(14.0), Some(2))
    );
    assert_eq!(
        (health["open"].as_u64(), health["overdue"].as_u64()),
        (Some(4), Some(0)),
        "extended: not overdue"
    );
    assert!(health["by_status"].get("closed_spam").is_none());
    let transport = find(&room["agencies"], "transport");
    assert_eq!(
        (transport["overdue"].as_u64(), transport["acknowledged_on_time_share"].as_f64()),
        (Some(1), Some(0.0))
    );
    // The oversight-only case is under no agency of its own, here or in the groups.
    let apart = find(&room["agencies"], "(oversight only)");
    assert_eq!(apart["cases"], 1);
    assert!(!v.to_string().contains("\"prisons\""), "{v}");
    assert_eq!(room["total"]["cases"], 6);
    // Per centre and per kind.
    let centres = room["centres"].as_array().expect("centres");
    assert_eq!(centres.len(), 1);
    assert_eq!(
        (centres[0]["agency"].as_str(), centres[0]["centre"].as_str()),
        (Some("health"), Some("north"))
    );
    let kinds = room["kinds"].as_array().expect("kinds");
    let violation = kinds.iter().find(|k| k["kind"] == "violation").expect("violation");
    assert_eq!(violation["cases"], 3, "a1 a2 and the oversight-only a6");
    // Weekly: week 10 holds a1 a2 a3 and a6 (unacknowledged past its date: late).
    let weeks = room["weeks"].as_array().expect("weeks");
    let w: Vec<(&str, u64, u64, u64)> = weeks
        .iter()
        .map(|w| {
            let n = |k: &str| w[k].as_u64().unwrap_or(99);
            (w["week"].as_str().unwrap_or(""), n("received"), n("settled"), n("on_time"))
        })
        .collect();
    assert_eq!(w, [("2026-W10", 4, 4, 2), ("2026-W12", 2, 2, 1)]);
    let clean = room["evaluations"].as_array().and_then(|e| e.iter().find(|m| m["criterion"] == "clean"));
    assert_eq!(clean.map(|m| (m["mean"].clone(), m["n"].clone())), Some((json!(2.0), json!(1))));

    // The figures' index was written; a damaged one is rebuilt from the case files, and the
    // figures do not change.
    let index = home.file("facts.tsv");
    let text = std::fs::read_to_string(&index).expect("index");
    assert!(text.starts_with("amana-facts-1\n") && text.lines().count() == 9, "{text}");
    std::fs::write(&index, "amana-facts-1\nnot a line\n").expect("damage");
    let again = home.cmd().args(["kpis", "--json", "--period", "2026-03"]).assert().success();
    let again: Value = serde_json::from_slice(&again.get_output().stdout).expect("json");
    assert_eq!(again["room"], v["room"]);
    assert_eq!(std::fs::read_to_string(&index).expect("rebuilt"), text);

    let table = home.cmd().args(["kpis", "--period", "2026-03"]).assert().success();
    let text = String::from_utf8_lossy(&table.get_output().stdout).into_owned();
    assert!(text.contains("per centre (agency/centre)\n") && text.contains("health/north"), "{text}");
    assert!(text.contains("2026-W10  4         50% (2 of 4)"), "{text}");
}

fn report(home: &TestHome, lang: &str, k: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join(format!("room-{lang}.html"));
    home.cmd()
        .args(["kpis", "--period", "2026-03", "--lang", lang, "--k", k, "--html"])
        .arg(&out)
        .assert()
        .success();
    // Never over an existing file.
    home.cmd()
        .args(["kpis", "--html"])
        .arg(&out)
        .assert()
        .failure()
        .stderr(predicate::str::contains("exists"));
    std::fs::read_to_string(&out).expect("report")
}

#[test]
fn the_html_report_is_self_contained_and_hides_what_must_not_leave() {
    let home = home();
    let en = report(&home, "en", "3");
    assert!(en.starts_with("<!DOCTYPE html>\n<html lang=\"en\" dir=\"ltr\">"), "{en:.200}");
    let ar = report(&home, "ar", "5");
    assert!(ar.contains("<html lang=\"ar\" dir=\"rtl\">") && ar.contains("تقرير غرفة العمليات"), "{ar:.300}");
    for html in [&en, &ar] {
        let lower = html.to_lowercase();
        assert!(!lower.contains("<script") && !lower.contains("http://") && !lower.contains("https://"));
        assert!(!lower.contains(" onload=") && !lower.contains(" onerror="), "no event handlers");
        assert!(html.contains("<svg id=\"chart-agencies\"") && html.contains("<svg id=\"heat-public\""));
        // No oversight-only case anywhere, no officer, no junk or quarantined case.
        assert!(!html.contains("prisons") && !html.contains("oversight only)"), "oversight-only leaked");
        assert!(
            !html.contains("alice") && !lower.contains("officer figures"),
            "an officer's name or figures"
        );
    }
    // With k = 3, health's 4 cases show as 5, its on-time share (n 4) and median (n 4) are
    // shown, its median days to feedback (n 2) is not.
    let health = en.split("<th scope=\"row\"><bdi>health</bdi></th>").nth(1).expect("health row");
    let row = health.split("</tr>").next().expect("row");
    assert!(row.starts_with("<td class=\"n\"><bdi dir=\"ltr\">5</bdi></td><td class=\"n\"><bdi dir=\"ltr\">75%</bdi></td><td class=\"n\"><bdi dir=\"ltr\">4.0</bdi></td><td class=\"n\"><bdi dir=\"ltr\">–</bdi></td>"), "{row}");
    // With k = 5 the same 4 cases are "<5" and their figures hidden.
    let health = ar.split("<th scope=\"row\"><bdi>health</bdi></th>").nth(1).expect("health row");
    let row = health.split("</tr>").next().expect("row");
    assert!(
        row.starts_with(
            "<td class=\"n\"><bdi dir=\"ltr\">&lt;5</bdi></td><td class=\"n\"><bdi dir=\"ltr\">–</bdi></td>"
        ),
        "{row}"
    );
    // Officers' figures are never combined with a file.
    home.cmd()
        .args(["kpis", "--officers", "--html", "x.html"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("cannot be used with"));
}
