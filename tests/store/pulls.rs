//! Incremental pulls (issue 17): `changed_on` follows every change, a page is selected in SQL
//! (changed since a date, after an id, at most N, in id order, in the reader's scope), and a
//! purge leaves a tombstone with the case's id and date only, forgotten with purged codes.

use amana::store::{CaseFilter, Change, Store};
use amana_core::case::Status;
use amana_core::events::EventKind;

use crate::harness::*;

crate::on_both_backends!(a_page_is_what_changed_since_a_date_after_an_id);
crate::on_both_backends!(a_purge_leaves_a_tombstone_and_nothing_else);

/// The ids of one page.
async fn page(store: &dyn Store, since: Option<&str>, after: Option<&str>, limit: u32) -> Vec<String> {
    let mut f = CaseFilter::readable_by(false, &["health".to_string()]);
    if let Some(since) = since {
        f = f.changed_since(day(since));
    }
    let f = f.page(after.map(str::to_string), limit);
    store.records(&f).await.unwrap().into_iter().map(|r| r.meta.id).collect()
}

async fn a_page_is_what_changed_since_a_date_after_an_id(db: TestDb) {
    let store = db.open().await;
    for (id, on) in
        [("c-3", "2026-01-03"), ("c-1", "2026-01-01"), ("c-2", "2026-01-02"), ("c-4", "2026-01-01")]
    {
        store.insert_case(&new_case(id, day(on))).await.unwrap();
    }
    let mut other = new_case("x-other-agency", day("2026-01-05"));
    other.agency = "police".into();
    store.insert_case(&other).await.unwrap();

    // Every case in scope, two at a time, in id order (not in order of arrival).
    assert_eq!(page(&*store, None, None, 2).await, ["c-1", "c-2"]);
    assert_eq!(page(&*store, None, Some("c-2"), 2).await, ["c-3", "c-4"]);
    assert!(page(&*store, None, Some("c-4"), 2).await.is_empty());
    // Only what changed on or after a date.
    assert_eq!(page(&*store, Some("2026-01-02"), None, 10).await, ["c-2", "c-3"]);
    assert!(page(&*store, Some("2026-01-04"), None, 10).await.is_empty());
    // The count of a pull's first page: the same filter, every page, one agency's scope.
    let health = CaseFilter::readable_by(false, &["health".to_string()]);
    assert_eq!(store.count_cases(&health.clone().page(None, 2)).await.unwrap(), 4);
    let since = health.changed_since(day("2026-01-02")).page(Some("c-2".into()), 1);
    assert_eq!(store.count_cases(&since).await.unwrap(), 2, "what changed, not only after `after`");
    assert_eq!(store.count_cases(&CaseFilter::all()).await.unwrap(), 5);

    // A follow-up on c-1 dated later moves it into the later pulls, with its whole history.
    let m = store.case_meta("c-1").await.unwrap().unwrap();
    let mut c = Change::event_only(&m, day("2026-02-01"), event(EventKind::FollowUp));
    c.envelope = Some(envelope(amana_core::payload::Part::FollowUp));
    store.apply(&c).await.unwrap();
    assert_eq!(page(&*store, Some("2026-01-04"), None, 10).await, ["c-1"]);
    let f = CaseFilter::all().changed_since(day("2026-01-04")).page(None, 10);
    let records = store.records(&f).await.unwrap();
    let ids: Vec<&str> = records.iter().map(|r| r.meta.id.as_str()).collect();
    assert_eq!(ids, ["c-1", "x-other-agency"], "oversight's scope is every agency");
    assert_eq!((records[0].events.len(), records[0].envelopes.len()), (2, 2));
    // An event dated before the last one (a clock behind) never moves the date back.
    let m = store.case_meta("c-1").await.unwrap().unwrap();
    let officer = Reviewer::new("health-officer");
    let mut back =
        Change::event_only(&m, day("2026-01-10"), officer.event(EventKind::StatusChanged, "c-1", "{}"));
    back.new_status = Status::Acknowledged;
    store.apply(&back).await.unwrap();
    assert_eq!(page(&*store, Some("2026-02-01"), None, 10).await, ["c-1"]);
    // Escalation is a change too.
    store.escalate_overdue(day("2026-06-01"), None).await.unwrap();
    assert_eq!(page(&*store, Some("2026-06-01"), None, 10).await, ["c-1", "c-2", "c-3", "c-4"]);
    heads_are_the_last_events(&*store).await;
}

/// Heads first: a page's heads are its cases' last events (the same page, in SQL, without
/// any body), and `only_ids` keeps the reader's scope.
async fn heads_are_the_last_events(store: &dyn Store) {
    let health = CaseFilter::readable_by(false, &["health".to_string()]);
    let f = health.clone().changed_since(day("2026-01-01")).page(Some("c-1".into()), 2);
    let heads = store.heads(&f).await.unwrap();
    let records = store.records(&f).await.unwrap();
    let expected: Vec<_> = records
        .iter()
        .map(|r| {
            let last = r.events.last().unwrap();
            (r.meta.id.clone(), Some(last.seq), Some(last.hash.clone()))
        })
        .collect();
    assert_eq!(heads, expected);
    assert_eq!(heads.iter().map(|h| h.0.as_str()).collect::<Vec<_>>(), ["c-2", "c-3"]);
    let c1 = store.heads(&health.clone().page(None, 1)).await.unwrap();
    assert_eq!((c1[0].0.as_str(), c1[0].1), ("c-1", Some(3)), "follow-up, status, escalation");
    // Another agency's id is simply not there.
    let ids = vec!["c-4".to_string(), "x-other-agency".to_string(), "no-such".to_string()];
    let only = store.records(&health.clone().only_ids(ids)).await.unwrap();
    assert_eq!(only.iter().map(|r| r.meta.id.as_str()).collect::<Vec<_>>(), ["c-4"]);
    assert!(store.records(&health.only_ids(Vec::new())).await.unwrap().is_empty());
}

async fn a_purge_leaves_a_tombstone_and_nothing_else(db: TestDb) {
    let store = db.open().await;
    store.insert_case(&new_case("gone-1", day("2026-01-01"))).await.unwrap();
    store.insert_case(&new_case("kept-1", day("2026-01-01"))).await.unwrap();
    let m = store.case_meta("gone-1").await.unwrap().unwrap();
    let officer = Reviewer::new("health-officer");
    let mut close =
        Change::event_only(&m, day("2026-02-01"), officer.event(EventKind::StatusChanged, "gone-1", "{}"));
    close.new_status = Status::ClosedUnfounded;
    store.apply(&close).await.unwrap();
    assert!(store.tombstones(day("2026-01-01")).await.unwrap().is_empty());
    assert!(store.delete_closed_case("gone-1", day("2026-03-01"), day("2026-03-02")).await.unwrap());
    let key = amana_core::wire::Tombstone::key_of("gone-1");
    assert_eq!(store.tombstones(day("2026-03-01")).await.unwrap(), [(key, day("2026-03-02"))]);
    assert!(store.tombstones(day("2026-03-03")).await.unwrap().is_empty(), "only purges since the date");
    assert!(page(&*store, Some("2026-01-01"), None, 10).await == ["kept-1"]);
    // Forgotten with the purged codes.
    store.forget_purged_codes(day("2026-03-03")).await.unwrap();
    assert!(store.tombstones(day("2026-01-01")).await.unwrap().is_empty());
}

crate::on_both_backends!(the_whole_list_is_written_page_by_page);

/// The whole list (older clients) is the JSON of a case list, written a page at a time.
async fn the_whole_list_is_written_page_by_page(db: TestDb) {
    use futures_util::StreamExt;
    let store = db.open().await;
    for id in ["w-3", "w-1", "w-5", "w-2", "w-4"] {
        store.insert_case(&new_case(id, day("2026-01-01"))).await.unwrap();
    }
    let head = amana_core::wire::CaseList {
        format: 3,
        min_cli: None,
        roster: None,
        deployment_id: DEPLOYMENT.into(),
        reviewer_keys: vec![],
        cases: vec![],
        as_of: Some(day("2026-01-02")),
        next: None,
        purged: vec![],
        total: None,
    };
    // Open and close, and each read: the last one empty when the one before was full.
    for (page, pieces) in [(2, 2 + 3), (5, 2 + 2), (500, 2 + 1)] {
        let bundler: amana::review_api::whole_list::Bundler = std::sync::Arc::new(wire);
        let stream =
            amana::review_api::whole_list::stream(store.clone(), CaseFilter::all(), &head, page, bundler);
        let chunks: Vec<_> = stream.unwrap().collect().await;
        assert_eq!(chunks.len(), pieces, "page {page}");
        let bytes: Vec<u8> = chunks.into_iter().flat_map(|c| c.unwrap().to_vec()).collect();
        let list: amana_core::wire::CaseList = serde_json::from_slice(&bytes).unwrap();
        let ids: Vec<&str> = list.cases.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["w-1", "w-2", "w-3", "w-4", "w-5"], "page {page}");
        assert_eq!((list.deployment_id.as_str(), list.as_of), (DEPLOYMENT, head.as_of));
        assert_eq!(list.cases[0].events.len(), 1, "each case with its history");
    }
}

/// A record's wire form, without recipients (the store test has no keyring).
fn wire(r: amana::store::CaseRecord) -> amana_core::wire::CaseBundle {
    let m = r.meta;
    amana_core::wire::CaseBundle {
        id: m.id,
        kind: m.kind,
        agency: m.agency,
        oversight_only: m.oversight_only,
        status: m.status,
        received_on: m.received_on,
        deadlines: m.deadlines,
        escalated: m.escalated,
        extension_days: m.extension_days,
        rating: m.rating,
        reporter_recipient: m.reporter_recipient,
        recipients: vec![],
        envelopes: vec![],
        attachments: vec![],
        events: r.events,
    }
}
