//! Custody changes (issue 15) in the store: a transfer moves the case's agency and clears its
//! holder, an exclusion drops the case from the excluded reviewer's listings (and only theirs),
//! an assignment sets the holder — each with its event in the change's one transaction, and a
//! refused change commits none of it.

use amana::store::{CaseFilter, Change, CustodyChange, Store, StoreError};
use amana_core::events::EventKind;
use amana_core::keyring::ReviewerEntry;

use crate::harness::*;

crate::on_both_backends!(custody_changes_scope_and_hold, a_refused_custody_change_commits_nothing);

fn entry(id: &str, agencies: &[&str], oversight: bool) -> ReviewerEntry {
    ReviewerEntry {
        id: id.into(),
        age_recipient: String::new(),
        ed25519_public_key: String::new(),
        agencies: agencies.iter().map(|a| a.to_string()).collect(),
        oversight,
        revoked_on: None,
    }
}

async fn listed(store: &dyn Store, who: &ReviewerEntry) -> Vec<String> {
    let metas = store.case_metas(&CaseFilter::readable_by_reviewer(who)).await.unwrap();
    let records = store.records(&CaseFilter::readable_by_reviewer(who)).await.unwrap();
    let ids: Vec<String> = metas.into_iter().map(|m| m.id).collect();
    assert_eq!(ids, records.into_iter().map(|r| r.meta.id).collect::<Vec<_>>(), "metas and records agree");
    ids
}

fn custody(store_meta: &amana::store::CaseMeta, on: &str, kind: EventKind, c: CustodyChange) -> Change {
    let actor = Reviewer::new("oversight");
    let mut change = Change::event_only(store_meta, day(on), actor.event(kind, &store_meta.id, "{}"));
    change.custody = Some(c);
    change
}

async fn custody_changes_scope_and_hold(db: TestDb) {
    let store = db.open().await;
    let (health, other, transport, oversight) = (
        entry("health-officer", &["health"], false),
        entry("health-deputy", &["health"], false),
        entry("transport-officer", &["transport"], false),
        entry("oversight", &[], true),
    );
    store.insert_case(&new_case("case-a", day("2026-05-01"))).await.unwrap();
    store.insert_case(&new_case("case-b", day("2026-05-01"))).await.unwrap();

    let m = store.case_meta("case-a").await.unwrap().unwrap();
    let assign = CustodyChange::Assign { holder: "health-officer".into() };
    store.apply(&custody(&m, "2026-05-02", EventKind::Assigned, assign)).await.unwrap();
    assert_eq!(store.case_meta("case-a").await.unwrap().unwrap().holder.as_deref(), Some("health-officer"));

    // Excluding the holder: the case leaves their listings (not the deputy's), nobody holds it.
    let m = store.case_meta("case-a").await.unwrap().unwrap();
    let exclude = CustodyChange::Exclude { reviewer: "health-officer".into() };
    store.apply(&custody(&m, "2026-05-03", EventKind::Excluded, exclude)).await.unwrap();
    assert_eq!(store.exclusions("case-a").await.unwrap(), ["health-officer"]);
    assert!(store.exclusions("case-b").await.unwrap().is_empty());
    assert_eq!(listed(&*store, &health).await, ["case-b"]);
    assert_eq!(listed(&*store, &other).await, ["case-a", "case-b"]);
    let only_a = CaseFilter::readable_by_reviewer(&health).only("case-a");
    assert!(store.case_metas(&only_a).await.unwrap().is_empty(), "the one-case lookup of scoped routes");
    assert_eq!(store.case_meta("case-a").await.unwrap().unwrap().holder, None);

    // A transfer: the new agency lists it, the old one no longer does, the date is kept.
    let m = store.case_meta("case-a").await.unwrap().unwrap();
    let transfer = CustodyChange::Transfer { agency: "transport".into(), on: day("2026-05-04") };
    store.apply(&custody(&m, "2026-05-04", EventKind::Transferred, transfer)).await.unwrap();
    let after = store.case_meta("case-a").await.unwrap().unwrap();
    assert_eq!((after.agency.as_str(), after.transferred_on), ("transport", Some(day("2026-05-04"))));
    assert_eq!(listed(&*store, &transport).await, ["case-a"]);
    assert_eq!(listed(&*store, &other).await, ["case-b"]);
    assert_eq!(listed(&*store, &oversight).await, ["case-a", "case-b"]);
    let kinds: Vec<EventKind> = history(&*store, "case-a").await.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [EventKind::Submitted, EventKind::Assigned, EventKind::Excluded, EventKind::Transferred]
    );
}

async fn a_refused_custody_change_commits_nothing(db: TestDb) {
    let store = db.open().await;
    store.insert_case(&new_case("case-a", day("2026-05-01"))).await.unwrap();
    let m = store.case_meta("case-a").await.unwrap().unwrap();
    let mut stale = custody(
        &m,
        "2026-05-02",
        EventKind::Transferred,
        CustodyChange::Transfer { agency: "transport".into(), on: day("2026-05-02") },
    );
    stale.expect_status = amana_core::case::Status::Acknowledged;
    assert!(matches!(store.apply(&stale).await, Err(StoreError::Conflict)));
    // Excluding twice is refused by the table's key, and rolls the event back.
    let exclude = || CustodyChange::Exclude { reviewer: "health-officer".into() };
    store.apply(&custody(&m, "2026-05-02", EventKind::Excluded, exclude())).await.unwrap();
    assert!(store.apply(&custody(&m, "2026-05-02", EventKind::Excluded, exclude())).await.is_err());
    let after = store.case_meta("case-a").await.unwrap().unwrap();
    assert_eq!((after.agency.as_str(), after.transferred_on), ("health", None));
    assert_eq!(history(&*store, "case-a").await.len(), 2);
    assert_eq!(store.exclusions("case-a").await.unwrap(), ["health-officer"]);
}
