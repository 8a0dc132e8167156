//! Retention (`amana purge`): which closed cases are due, deletion by id with everything
//! that hangs off the case, the guard against fresh reporter content, and the scrub.

use amana::retention::{self, RetentionPolicy};
use amana::store::{CaseMeta, Change, ClosedCase, Store};
use amana_core::case::{Kind, Status};
use amana_core::events::EventKind;
use amana_core::payload::Part;

use crate::harness::*;

crate::on_both_backends!(purge_deletes_due_closed_cases_and_everything_they_hold);
crate::on_both_backends!(a_held_case_is_never_purged_and_a_purged_code_is_kept_for_a_while);

/// Legal hold on the case row (set, refused twice, cleared), purge skipping it, and the
/// purged case's code credentials kept under its lookup index, dated, then forgotten.
async fn a_held_case_is_never_purged_and_a_purged_code_is_kept_for_a_while(db: TestDb) {
    use amana::store::HoldChange;
    let store = db.open().await;
    let index = case(&*store, "h-held", Kind::Complaint, "2026-01-01", Some("2026-02-01")).await;
    let oversight = Reviewer::new("oversight");
    let hold = |m: &CaseMeta, h: HoldChange| {
        let kind = if h == HoldChange::Clear { EventKind::Released } else { EventKind::Held };
        let mut c = Change::event_only(m, day("2026-03-01"), oversight.event(kind, &m.id, "{}"));
        c.hold = h;
        c
    };
    store.apply(&hold(&meta(&*store, "h-held").await, HoldChange::Set(day("2026-09-01")))).await.unwrap();
    let m = meta(&*store, "h-held").await;
    assert_eq!(m.held_review_on, Some(day("2026-09-01")));
    assert!(store.apply(&hold(&m, HoldChange::Set(day("2026-10-01")))).await.is_err(), "held twice");
    assert!(store.closed_case("h-held").await.unwrap().is_some_and(|c| c.held));
    // Oversight's inbox lists the hold once its review date has come, not before.
    let due = |on: &str| amana::store::CaseFilter::all().hold_due_by(day(on));
    assert!(store.case_metas(&due("2026-08-31")).await.unwrap().is_empty());
    let ids: Vec<String> =
        store.case_metas(&due("2026-09-01")).await.unwrap().into_iter().map(|m| m.id).collect();
    assert_eq!(ids, ["h-held"]);

    let policy = RetentionPolicy::from_toml("default_days = 0\nafter_reporter_content_days = 0\n").unwrap();
    let report = retention::purge(&*store, &policy, day("2026-07-01"), false).await.unwrap();
    assert_eq!((report.purged.len(), report.kept, report.held), (0, 1, 1));
    assert!(!store.delete_closed_case("h-held", day("2026-07-01"), day("2026-07-01")).await.unwrap());

    store.apply(&hold(&m, HoldChange::Clear)).await.unwrap();
    assert!(store.apply(&hold(&meta(&*store, "h-held").await, HoldChange::Clear)).await.is_err());
    let live = store.credentials(&index).await.unwrap().expect("the live case's credentials");
    assert!(store.purged_code(&index).await.unwrap().is_none());
    let report = retention::purge(&*store, &policy, day("2026-07-01"), false).await.unwrap();
    assert_eq!(report.purged, ["h-held"]);
    assert!(store.case_meta("h-held").await.unwrap().is_none());
    // What is left: the code's credentials, under the case's lookup index, and the date.
    assert!(store.credentials(&index).await.unwrap().is_none());
    let purged = store.purged_code(&index).await.unwrap().expect("kept for its reporter");
    assert_eq!(purged.purged_on, day("2026-07-01"));
    assert_eq!(
        (purged.credentials.id.as_str(), &purged.credentials.verifier, &purged.credentials.kdf_salt),
        ("", &live.verifier, &live.kdf_salt),
        "the same credentials, and no case id"
    );
    let forgotten = store.forget_purged_codes(day("2026-07-01")).await.unwrap();
    assert_eq!(forgotten, 0, "purged today: kept");
    assert_eq!(store.forget_purged_codes(day("2026-07-02")).await.unwrap(), 1);
}

/// Inserts a case of `kind` received on `received`, closed on `closed` (if any); returns
/// its lookup index.
async fn case(store: &dyn Store, id: &str, kind: Kind, received: &str, closed: Option<&str>) -> [u8; 32] {
    let officer = Reviewer::new("health-officer");
    let mut c = new_case(id, day(received));
    c.kind = kind;
    store.insert_case(&c).await.unwrap();
    let index = c.lookup_index;
    let Some(closed) = closed else { return index };
    for (to, on) in [(Status::Acknowledged, received), (Status::ClosedActionTaken, closed)] {
        let m = meta(store, id).await;
        let detail = format!(r#"{{"status":"{to}"}}"#);
        let mut change =
            Change::event_only(&m, day(on), officer.event(EventKind::StatusChanged, id, &detail));
        change.new_status = to;
        store.apply(&change).await.unwrap();
    }
    index
}

async fn meta(store: &dyn Store, id: &str) -> CaseMeta {
    store.case_meta(id).await.unwrap().expect("case exists")
}

async fn rate(store: &dyn Store, id: &str, on: &str) {
    let m = meta(store, id).await;
    let mut c = Change::event_only(&m, day(on), event(EventKind::Rated));
    c.rating = Some(4);
    store.apply(&c).await.unwrap();
}

async fn purge_deletes_due_closed_cases_and_everything_they_hold(db: TestDb) {
    let (store, other_node) = (db.open().await, db.open().await);
    case(&*store, "a-violation", Kind::Violation, "2026-01-01", Some("2026-02-01")).await;
    case(&*store, "b-complaint", Kind::Complaint, "2026-01-01", Some("2026-02-01")).await;
    case(&*store, "c-open", Kind::Complaint, "2026-01-01", None).await;
    case(&*store, "d-rated", Kind::Complaint, "2026-01-01", Some("2026-02-01")).await;
    rate(&*store, "d-rated", "2026-06-20").await;
    case(&*store, "e-recent", Kind::Complaint, "2026-01-01", Some("2026-06-10")).await;

    let closed = store.closed_cases().await.unwrap();
    let ids: Vec<&str> = closed.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["a-violation", "b-complaint", "d-rated", "e-recent"], "open cases are never listed");
    let d = closed.iter().find(|c| c.id == "d-rated").unwrap();
    assert_eq!(
        *d,
        ClosedCase {
            id: "d-rated".into(),
            kind: Kind::Complaint,
            closed_on: day("2026-02-01"),
            last_reporter_content_on: day("2026-06-20"),
            held: false,
        }
    );

    let policy = RetentionPolicy::from_toml(
        "default_days = 30\nafter_reporter_content_days = 30\n[kinds]\nviolation = 365\n",
    )
    .unwrap();
    // A dry run lists and deletes nothing.
    let dry = retention::purge(&*store, &policy, day("2026-07-01"), true).await.unwrap();
    assert_eq!(dry.purged, ["b-complaint"]);
    assert!(store.case_meta("b-complaint").await.unwrap().is_some());

    // The violation is kept a year; the rated case 30 days after its rating; the recent
    // one 30 days after closure. Only the complaint closed in February goes.
    let report = retention::purge(&*other_node, &policy, day("2026-07-01"), false).await.unwrap();
    assert_eq!(
        (report.purged.clone(), report.kept, report.scrubbed),
        (vec!["b-complaint".to_string()], 3, true)
    );
    assert!(store.case_meta("b-complaint").await.unwrap().is_none());
    assert!(store.envelopes("b-complaint", &[Part::Report]).await.unwrap().is_empty(), "envelopes cascade");
    assert!(store.credentials(&[0; 32]).await.unwrap().is_none());
    // Its history is gone too: a case inserted under the same id starts a new chain.
    store.insert_case(&new_case("b-complaint", day("2026-07-01"))).await.unwrap();
    let chain = history(&*store, "b-complaint").await;
    assert_eq!((chain.len(), chain[0].seq), (1, 0), "old events of the purged case remained");
    // The others are untouched, history and all.
    assert_eq!(history(&*store, "d-rated").await.len(), 4);
    assert!(store.case_meta("c-open").await.unwrap().is_some());

    // The guard holds even when asked directly: fresh reporter content, an open case, an
    // unknown id.
    let t = day("2026-07-01");
    assert!(!store.delete_closed_case("d-rated", day("2026-06-20"), t).await.unwrap());
    assert!(!store.delete_closed_case("c-open", day("2030-01-01"), t).await.unwrap());
    assert!(!store.delete_closed_case("nope", day("2030-01-01"), t).await.unwrap());
    assert!(store.delete_closed_case("d-rated", day("2026-06-21"), t).await.unwrap());

    // Later everything closed is due.
    let late = retention::purge(&*store, &policy, day("2027-03-01"), false).await.unwrap();
    assert_eq!(late.purged, ["a-violation", "e-recent"]);
    assert!(store.closed_cases().await.unwrap().is_empty());
    assert!(store.scrub().await.unwrap());
}
