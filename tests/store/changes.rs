//! `apply`: one transaction per change, each guard, and the hash chain it extends.

use amana::store::{CaseMeta, Change, EnvelopeRewrap, Store, StoreError};
use amana_core::case::Status;
use amana_core::deadlines::Deadlines;
use amana_core::events::EventKind;
use amana_core::payload::Part;

use crate::harness::*;

crate::on_both_backends!(
    status_compare_and_set,
    refused_change_commits_nothing,
    rating_is_accepted_once,
    follow_ups_stop_at_the_cap,
    extension_updates_deadlines,
    chain_verifies_after_many_changes,
    rewrap_replaces_ciphertexts_with_one_event,
    a_head_outside_the_chain_refuses_the_change,
    event_dates_never_go_back,
);

/// A signed status change of `meta` to `to` on `on`.
fn move_to(reviewer: &Reviewer, meta: &CaseMeta, on: time::Date, to: Status) -> Change {
    let detail = format!(r#"{{"status":"{to}"}}"#);
    let mut c = Change::event_only(meta, on, reviewer.event(EventKind::StatusChanged, &meta.id, &detail));
    c.new_status = to;
    c
}

async fn meta(store: &dyn Store, id: &str) -> CaseMeta {
    store.case_meta(id).await.unwrap().expect("case exists")
}

async fn status_compare_and_set(db: TestDb) {
    let store = db.open().await;
    let reviewer = Reviewer::new("health-officer");
    store.insert_case(&new_case("case-a", day("2026-05-01"))).await.unwrap();
    let before = meta(&*store, "case-a").await;

    let mut ack = move_to(&reviewer, &before, day("2026-05-03"), Status::Acknowledged);
    ack.acknowledged_on = Some(day("2026-05-03"));
    let deadlines = Deadlines { acknowledge_by: day("2026-05-08"), feedback_by: day("2026-08-01") };
    ack.deadlines = Some(deadlines);
    store.apply(&ack).await.expect("received → acknowledged");
    let after = meta(&*store, "case-a").await;
    assert_eq!(after.status, Status::Acknowledged);
    assert_eq!(after.acknowledged_on, Some(day("2026-05-03")));
    assert_eq!(after.deadlines, deadlines);

    // The same change again: the case is no longer `received`.
    assert!(matches!(store.apply(&ack).await, Err(StoreError::Conflict)));
    // A stale view from before the change, however plausible its target.
    let stale = move_to(&reviewer, &before, day("2026-05-04"), Status::Acknowledged);
    assert!(matches!(store.apply(&stale).await, Err(StoreError::Conflict)));
    let mut missing = move_to(&reviewer, &after, day("2026-05-04"), Status::InReview);
    missing.case_id = "no-such-case".into();
    assert!(matches!(store.apply(&missing).await, Err(StoreError::Conflict)));

    let events = history(&*store, "case-a").await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[1].kind, EventKind::StatusChanged);
    assert_eq!(events[1].status, Status::Acknowledged);
    assert_eq!(events[1].actor.as_deref(), Some("health-officer"));
    reviewer.verify("case-a", &events);
}

async fn refused_change_commits_nothing(db: TestDb) {
    let store = db.open().await;
    let reviewer = Reviewer::new("health-officer");
    store.insert_case(&new_case("case-a", day("2026-05-01"))).await.unwrap();
    let m = meta(&*store, "case-a").await;
    let mut wrong = move_to(&reviewer, &m, day("2026-05-02"), Status::InReview);
    wrong.expect_status = Status::Acknowledged;
    wrong.envelope = Some(envelope(Part::Note));
    wrong.extension_days = Some(30);
    wrong.deadlines = Some(Deadlines { acknowledge_by: day("2030-01-01"), feedback_by: day("2030-01-01") });
    wrong.rating = Some(5);
    assert!(matches!(store.apply(&wrong).await, Err(StoreError::Conflict)));
    let after = meta(&*store, "case-a").await;
    assert_eq!(after.status, Status::Received);
    assert_eq!((after.extension_days, after.rating), (0, None));
    assert_eq!(after.deadlines, m.deadlines);
    assert!(store.envelopes("case-a", &[Part::Note]).await.unwrap().is_empty());
    assert_eq!(history(&*store, "case-a").await.len(), 1);
}

async fn rating_is_accepted_once(db: TestDb) {
    let store = db.open().await;
    let reviewer = Reviewer::new("health-officer");
    store.insert_case(&new_case("case-a", day("2026-05-01"))).await.unwrap();
    for to in [Status::Acknowledged, Status::ClosedActionTaken] {
        let m = meta(&*store, "case-a").await;
        store.apply(&move_to(&reviewer, &m, day("2026-05-02"), to)).await.expect("status");
    }
    let closed = meta(&*store, "case-a").await;
    let rate = |stars: u8| {
        let mut c = Change::event_only(&closed, day("2026-05-10"), event(EventKind::Rated));
        c.rating = Some(stars);
        c
    };
    store.apply(&rate(4)).await.expect("first rating");
    assert_eq!(meta(&*store, "case-a").await.rating, Some(4));
    assert!(matches!(store.apply(&rate(2)).await, Err(StoreError::Conflict)), "rated twice");
    assert!(matches!(store.apply(&rate(4)).await, Err(StoreError::Conflict)), "rated twice");
    assert_eq!(meta(&*store, "case-a").await.rating, Some(4));
    let events = history(&*store, "case-a").await;
    assert_eq!(events.iter().filter(|e| e.kind == EventKind::Rated).count(), 1);
    reviewer.verify("case-a", &events);
}

async fn follow_ups_stop_at_the_cap(db: TestDb) {
    let store = db.open().await;
    store.insert_case(&new_case("case-a", day("2026-05-01"))).await.unwrap();
    let follow_up = |m: &CaseMeta| {
        let mut c = Change::event_only(m, day("2026-05-02"), event(EventKind::FollowUp));
        c.follow_up_cap = Some(2);
        c.envelope = Some(envelope(Part::FollowUp));
        c
    };
    for n in 1..=2 {
        let m = meta(&*store, "case-a").await;
        store.apply(&follow_up(&m)).await.expect("under the cap");
        assert_eq!(meta(&*store, "case-a").await.follow_ups, n);
    }
    let m = meta(&*store, "case-a").await;
    assert!(matches!(store.apply(&follow_up(&m)).await, Err(StoreError::Conflict)), "over the cap");
    assert_eq!(meta(&*store, "case-a").await.follow_ups, 2);
    assert_eq!(store.envelopes("case-a", &[Part::FollowUp]).await.unwrap().len(), 2);
    // A change without a cap does not count as a follow-up.
    store.apply(&Change::event_only(&m, day("2026-05-03"), event(EventKind::Escalated))).await.unwrap();
    assert_eq!(meta(&*store, "case-a").await.follow_ups, 2);
    assert_eq!(history(&*store, "case-a").await.len(), 4);
}

async fn extension_updates_deadlines(db: TestDb) {
    let store = db.open().await;
    let reviewer = Reviewer::new("health-officer");
    store.insert_case(&new_case("case-a", day("2026-05-01"))).await.unwrap();
    let m = meta(&*store, "case-a").await;
    let mut extend = Change::event_only(
        &m,
        day("2026-05-04"),
        reviewer.event(EventKind::Extended, "case-a", r#"{"days":30}"#),
    );
    extend.extension_days = Some(30);
    let deadlines = Deadlines { acknowledge_by: m.deadlines.acknowledge_by, feedback_by: day("2026-09-05") };
    extend.deadlines = Some(deadlines);
    extend.envelope = Some(envelope(Part::Note));
    store.apply(&extend).await.expect("extend");
    let after = meta(&*store, "case-a").await;
    assert_eq!(after.extension_days, 30);
    assert_eq!(after.deadlines, deadlines);
    assert_eq!(after.status, Status::Received);
    assert_eq!(after.acknowledged_on, None, "untouched fields stay");
    reviewer.verify("case-a", &history(&*store, "case-a").await);
}

/// One change, made from the case as it is now.
type Step<'a> = dyn Fn(&CaseMeta) -> Change + Send + Sync + 'a;

async fn chain_verifies_after_many_changes(db: TestDb) {
    let store = db.open().await;
    let officer = Reviewer::new("health-officer");
    store.insert_case(&new_case("case-a", day("2026-05-01"))).await.unwrap();
    let steps: Vec<Box<Step>> = vec![
        Box::new(|m| move_to(&officer, m, day("2026-05-02"), Status::Acknowledged)),
        Box::new(|m| move_to(&officer, m, day("2026-05-03"), Status::InReview)),
        Box::new(|m| {
            let mut c = move_to(&officer, m, day("2026-05-04"), Status::NeedsInfo);
            c.envelope = Some(envelope(Part::Note));
            c
        }),
        Box::new(|m| {
            let mut c =
                Change::event_only(m, day("2026-05-04"), officer.event(EventKind::Reply, "case-a", "{}"));
            c.envelope = Some(envelope(Part::Reply));
            c
        }),
        Box::new(|m| {
            let mut c = Change::event_only(m, day("2026-05-06"), event(EventKind::FollowUp));
            c.follow_up_cap = Some(10);
            c.envelope = Some(envelope(Part::FollowUp));
            c
        }),
        Box::new(|m| move_to(&officer, m, day("2026-05-07"), Status::InReview)),
        Box::new(|m| {
            let mut c =
                Change::event_only(m, day("2026-05-08"), officer.event(EventKind::Extended, "case-a", "{}"));
            c.extension_days = Some(14);
            c
        }),
        Box::new(|m| move_to(&officer, m, day("2026-05-09"), Status::ClosedUnfounded)),
        Box::new(|m| {
            let mut c = Change::event_only(m, day("2026-05-10"), event(EventKind::Rated));
            c.rating = Some(3);
            c
        }),
    ];
    let mut heads: Vec<(i64, String)> = Vec::new();
    for step in &steps {
        let m = meta(&*store, "case-a").await;
        store.apply(&step(&m)).await.expect("step");
        let events = history(&*store, "case-a").await;
        let head = officer.verify("case-a", &events);
        // Each change extends the head that was verified before it.
        if let Some((seq, hash)) = heads.last() {
            amana_core::events::extends(&events, *seq, hash).expect("extends the last head");
        }
        heads.push((events.len() as i64 - 1, head));
    }
    let events = history(&*store, "case-a").await;
    assert_eq!(events.len(), steps.len() + 1);
    assert!(events.iter().enumerate().all(|(i, e)| e.seq == i as i64));
    assert_eq!(events.last().unwrap().status, Status::ClosedUnfounded);
    assert_eq!(meta(&*store, "case-a").await.rating, Some(3));
    // The records view and the chain agree on the final status.
    let rec = store.records(&CaseFilter::case("case-a")).await.unwrap();
    assert_eq!(rec[0].meta.status, rec[0].events.last().unwrap().status);
    // A second node reads the same chain.
    let other = db.open().await;
    assert_eq!(officer.verify("case-a", &history(&*other, "case-a").await), heads.last().unwrap().1);
}

/// A rewrap replaces existing ciphertexts and appends its signed event atomically; an
/// envelope id of another case refuses the whole change, leaving every ciphertext as it was.
async fn rewrap_replaces_ciphertexts_with_one_event(db: TestDb) {
    let store = db.open().await;
    let reviewer = Reviewer::new("health-officer");
    store.insert_case(&new_case("case-r", day("2026-05-01"))).await.unwrap();
    store.insert_case(&new_case("case-o", day("2026-05-01"))).await.unwrap();
    let m = meta(&*store, "case-r").await;
    let rewrap = |ids: &[&str]| {
        let detail = r#"{"envelopes":[]}"#;
        let mut c =
            Change::event_only(&m, day("2026-05-02"), reviewer.event(EventKind::Rewrapped, &m.id, detail));
        c.rewraps = ids
            .iter()
            .map(|id| EnvelopeRewrap { id: id.to_string(), ciphertext: id.as_bytes().to_vec() })
            .collect();
        c
    };
    let report = |store: std::sync::Arc<dyn Store>, case: &'static str| async move {
        store.envelopes(case, &[Part::Report]).await.unwrap().remove(0).ciphertext
    };
    let other_before = report(store.clone(), "case-o").await;
    let own_before = report(store.clone(), "case-r").await;

    // Another case's envelope: refused, nothing replaced, no event.
    let refused = store.apply(&rewrap(&["case-r-report", "case-o-report"])).await;
    assert!(matches!(refused, Err(StoreError::Conflict)), "{refused:?}");
    assert_eq!(report(store.clone(), "case-r").await, own_before);
    assert_eq!(report(store.clone(), "case-o").await, other_before);
    assert_eq!(history(&*store, "case-r").await.len(), 1);

    store.apply(&rewrap(&["case-r-report"])).await.expect("rewrap");
    assert_eq!(report(store.clone(), "case-r").await, b"case-r-report");
    assert_eq!(report(store.clone(), "case-o").await, other_before);
    let events = history(&*store, "case-r").await;
    assert_eq!(events.len(), 2);
    assert_eq!((events[1].kind, events[1].status), (EventKind::Rewrapped, Status::Received));
    reviewer.verify("case-r", &events);
}

/// A signed action names the head its reviewer verified (docs/FORMATS.md §3): any event of
/// the case will do, an event of another case (or none) refuses the whole change.
async fn a_head_outside_the_chain_refuses_the_change(db: TestDb) {
    let store = db.open().await;
    let reviewer = Reviewer::new("health-officer");
    store.insert_case(&new_case("case-a", day("2026-05-01"))).await.unwrap();
    store.insert_case(&new_case("case-b", day("2026-05-01"))).await.unwrap();
    let foreign = history(&*store, "case-b").await.remove(0).hash;
    let m = meta(&*store, "case-a").await;
    for head in [foreign, "0".repeat(64)] {
        let mut c = move_to(&reviewer, &m, day("2026-05-02"), Status::Acknowledged);
        c.envelope = Some(envelope(Part::Note));
        c.head = Some(head);
        assert!(matches!(store.apply(&c).await, Err(StoreError::UnknownHead)));
    }
    assert_eq!(meta(&*store, "case-a").await.status, Status::Received, "nothing committed");
    assert!(store.envelopes("case-a", &[Part::Note]).await.unwrap().is_empty());
    assert_eq!(history(&*store, "case-a").await.len(), 1);
    // The submission stays a valid head after later events.
    let first = history(&*store, "case-a").await.remove(0).hash;
    for to in [Status::Acknowledged, Status::InReview] {
        let mut c = move_to(&reviewer, &meta(&*store, "case-a").await, day("2026-05-02"), to);
        c.head = Some(first.clone());
        store.apply(&c).await.expect("a head in the chain");
    }
    reviewer.verify("case-a", &history(&*store, "case-a").await);
}

/// An event is never dated before the one it follows (`amana-review` refuses a history
/// whose dates go back): a clock that stepped back gets the previous event's date.
async fn event_dates_never_go_back(db: TestDb) {
    let store = db.open().await;
    store.insert_case(&new_case("case-a", day("2026-05-05"))).await.unwrap();
    let m = meta(&*store, "case-a").await;
    store.apply(&Change::event_only(&m, day("2026-05-03"), event(EventKind::Escalated))).await.unwrap();
    let events = history(&*store, "case-a").await;
    assert_eq!((events[0].on, events[1].on), (day("2026-05-05"), day("2026-05-05")));
    amana_core::events::verify_bindings(&events).expect("dates in order");
}
