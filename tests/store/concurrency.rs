//! Several nodes on one database: escalation exactly once, and concurrent changes to one
//! case that keep a single valid chain, and pulls that see one moment while others write.
//! Each "node" is a store with its own pool.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use amana::store::{Change, Store, StoreError};
use amana_core::case::Status;
use amana_core::events::EventKind;
use amana_core::payload::Part;

use crate::harness::*;

crate::on_both_backends!(
    escalation_happens_once_per_case,
    escalation_from_two_nodes_at_once,
    concurrent_changes_keep_one_chain,
    racing_status_changes_one_wins,
    a_pull_reads_one_snapshot,
);

/// Puts a case into `status` through signed changes.
async fn advance(store: &dyn Store, reviewer: &Reviewer, id: &str, path: &[Status]) {
    for to in path {
        let m = store.case_meta(id).await.unwrap().unwrap();
        let detail = format!(r#"{{"status":"{to}"}}"#);
        let mut c =
            Change::event_only(&m, m.received_on, reviewer.event(EventKind::StatusChanged, id, &detail));
        c.new_status = *to;
        store.apply(&c).await.expect("advance");
    }
}

async fn escalated_events(store: &dyn Store, id: &str) -> usize {
    history(store, id).await.iter().filter(|e| e.kind == EventKind::Escalated).count()
}

async fn escalation_happens_once_per_case(db: TestDb) {
    let store = db.open().await;
    let officer = Reviewer::new("health-officer");
    let today = day("2026-06-01");
    // (id, received, path): which deadline, if any, has passed on `today`.
    let cases: [(&str, &str, &[Status]); 5] = [
        ("late-ack", "2026-05-01", &[]), // acknowledge_by 05-08 passed
        ("fresh", "2026-05-30", &[]),    // acknowledge_by 06-06 not yet
        ("late-feedback", "2026-01-01", &[Status::Acknowledged]), // feedback_by 04-08 passed
        ("closed", "2026-01-01", &[Status::Acknowledged, Status::ClosedReferred]),
        ("due-today", "2026-05-25", &[]), // acknowledge_by == today: not yet overdue
    ];
    for (id, received, path) in cases {
        store.insert_case(&new_case(id, day(received))).await.unwrap();
        advance(&*store, &officer, id, path).await;
    }
    let first: BTreeSet<String> = store.escalate_overdue(today, None).await.unwrap().into_iter().collect();
    assert_eq!(first, BTreeSet::from(["late-ack".to_string(), "late-feedback".to_string()]));
    assert!(store.escalate_overdue(today, None).await.unwrap().is_empty(), "escalated twice");
    assert!(
        db.open().await.escalate_overdue(today, None).await.unwrap().is_empty(),
        "escalated twice by another node"
    );
    for (id, _, _) in cases {
        let m = store.case_meta(id).await.unwrap().unwrap();
        let expected = first.contains(id);
        assert_eq!(m.escalated, expected, "{id}");
        assert_eq!(escalated_events(&*store, id).await, usize::from(expected), "{id}");
        let events = history(&*store, id).await;
        officer.verify(id, &events);
        // The escalation records the status the case had, and keeps it.
        if expected {
            let last = events.last().unwrap();
            assert_eq!((last.kind, last.status, last.on), (EventKind::Escalated, m.status, today), "{id}");
        }
    }
    // The next day the case due today is overdue too, and only it is escalated.
    assert_eq!(store.escalate_overdue(plus(today, 1), None).await.unwrap(), ["due-today"]);
}

async fn escalation_from_two_nodes_at_once(db: TestDb) {
    let setup = db.open().await;
    let ids: Vec<String> = (0..40).map(|i| format!("case-{i:02}")).collect();
    for id in &ids {
        setup.insert_case(&new_case(id, day("2026-01-01"))).await.unwrap();
    }
    let today = day("2026-06-01");
    let nodes = [db.open().await, db.open().await, db.open().await];
    let runs: Vec<_> = nodes
        .iter()
        .map(|node| {
            let node = Arc::clone(node);
            tokio::spawn(async move { node.escalate_overdue(today, None).await.expect("escalate") })
        })
        .collect();
    let mut by_node = Vec::new();
    for run in runs {
        by_node.push(run.await.expect("task"));
    }
    let mut count: HashMap<&str, usize> = HashMap::new();
    for id in by_node.iter().flatten() {
        *count.entry(id.as_str()).or_default() += 1;
    }
    assert_eq!(count.len(), ids.len(), "every overdue case escalated: {by_node:?}");
    assert!(count.values().all(|n| *n == 1), "a case reported escalated by two nodes: {by_node:?}");
    let officer = Reviewer::new("nobody");
    for id in &ids {
        assert_eq!(escalated_events(&*setup, id).await, 1, "{id}");
        assert!(setup.case_meta(id).await.unwrap().unwrap().escalated);
        officer.verify(id, &history(&*setup, id).await);
    }
}

async fn concurrent_changes_keep_one_chain(db: TestDb) {
    let setup = db.open().await;
    setup.insert_case(&new_case("case-a", day("2026-05-01"))).await.unwrap();
    let meta = setup.case_meta("case-a").await.unwrap().unwrap();
    let nodes = [db.open().await, db.open().await];
    const PER_NODE: usize = 12;
    let mut tasks = Vec::new();
    for node in &nodes {
        for i in 0..PER_NODE {
            let (node, meta) = (Arc::clone(node), meta.clone());
            tasks.push(tokio::spawn(async move {
                let mut c =
                    Change::event_only(&meta, plus(day("2026-05-02"), i as i64), event(EventKind::FollowUp));
                c.envelope = Some(envelope(Part::FollowUp));
                c.follow_up_cap = Some(1000);
                node.apply(&c).await
            }));
        }
    }
    for t in tasks {
        t.await.expect("task").expect("a change that keeps the status never conflicts");
    }
    let events = history(&*setup, "case-a").await;
    assert_eq!(events.len(), 1 + 2 * PER_NODE);
    let seqs: BTreeSet<i64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs.len(), events.len(), "duplicate seq");
    Reviewer::new("nobody").verify("case-a", &events);
    let m = setup.case_meta("case-a").await.unwrap().unwrap();
    assert_eq!(m.follow_ups, 2 * PER_NODE as i64);
    assert_eq!(setup.envelopes("case-a", &[Part::FollowUp]).await.unwrap().len(), 2 * PER_NODE);
}

async fn racing_status_changes_one_wins(db: TestDb) {
    let setup = db.open().await;
    let officers = [Reviewer::new("officer-1"), Reviewer::new("officer-2")];
    let ids: Vec<String> = (0..10).map(|i| format!("case-{i}")).collect();
    for id in &ids {
        setup.insert_case(&new_case(id, day("2026-05-01"))).await.unwrap();
    }
    let nodes = [db.open().await, db.open().await];
    let mut tasks = Vec::new();
    for id in &ids {
        let meta = setup.case_meta(id).await.unwrap().unwrap();
        for (node, officer) in nodes.iter().zip(&officers) {
            let mut c = Change::event_only(
                &meta,
                day("2026-05-02"),
                officer.event(EventKind::StatusChanged, id, r#"{"status":"acknowledged"}"#),
            );
            c.new_status = Status::Acknowledged;
            c.acknowledged_on = Some(day("2026-05-02"));
            let node = Arc::clone(node);
            tasks.push((id.clone(), tokio::spawn(async move { node.apply(&c).await })));
        }
    }
    let mut wins: HashMap<String, usize> = HashMap::new();
    for (id, t) in tasks {
        match t.await.expect("task") {
            Ok(()) => *wins.entry(id).or_default() += 1,
            Err(StoreError::Conflict) => {}
            Err(e) => panic!("{id}: a lost race must be a Conflict, not {e}"),
        }
    }
    for id in &ids {
        assert_eq!(wins.get(id), Some(&1), "{id}: exactly one of two racing changes wins");
        let events = history(&*setup, id).await;
        assert_eq!(events.len(), 2, "{id}");
        let key_for = |k: &str| officers.iter().find(|o| o.id == k);
        let signer = key_for(events[1].actor.as_deref().unwrap()).expect("signer");
        signer.verify(id, &events);
    }
}

/// Applies `make(meta)` to the case as it is now, again when another writer's change came
/// first (the status it expected moved on).
async fn apply_fresh(store: &dyn Store, id: &str, make: impl Fn(&amana::store::CaseMeta) -> Change) {
    loop {
        let meta = store.case_meta(id).await.unwrap().unwrap();
        match store.apply(&make(&meta)).await {
            Ok(()) => return,
            Err(StoreError::Conflict) => continue,
            Err(e) => panic!("{id}: {e}"),
        }
    }
}

/// A reviewer's pull while two other nodes keep changing every case (follow-ups, status
/// changes): each case's metadata, envelopes and history must come from one moment, or
/// `amana-review` would report a history that does not verify against its metadata.
async fn a_pull_reads_one_snapshot(db: TestDb) {
    let setup = db.open().await;
    let ids: Vec<String> = (0..16).map(|i| format!("case-{i:02}")).collect();
    for id in &ids {
        setup.insert_case(&new_case(id, day("2026-05-01"))).await.unwrap();
    }
    const ROUNDS: i64 = 6;
    let follow_ups = {
        let (node, ids) = (db.open().await, ids.clone());
        tokio::spawn(async move {
            for round in 0..ROUNDS {
                for id in &ids {
                    apply_fresh(&*node, id, |m| {
                        let mut c =
                            Change::event_only(m, plus(m.received_on, round), event(EventKind::FollowUp));
                        c.envelope = Some(envelope(Part::FollowUp));
                        c.follow_up_cap = Some(1000);
                        c
                    })
                    .await;
                }
            }
        })
    };
    let officer = Arc::new(Reviewer::new("officer"));
    let status_changes = {
        let (node, ids, officer) = (db.open().await, ids.clone(), Arc::clone(&officer));
        tokio::spawn(async move {
            for round in 0..ROUNDS {
                for id in &ids {
                    apply_fresh(&*node, id, |m| {
                        let to =
                            if m.status == Status::InReview { Status::NeedsInfo } else { Status::InReview };
                        let detail = format!(r#"{{"status":"{to}"}}"#);
                        let ev = officer.event(EventKind::StatusChanged, id, &detail);
                        let mut c = Change::event_only(m, plus(m.received_on, round), ev);
                        c.new_status = to;
                        c
                    })
                    .await;
                }
            }
        })
    };
    let reader = db.open().await;
    let mut pulls = 0;
    while !(follow_ups.is_finished() && status_changes.is_finished()) || pulls == 0 {
        for r in reader.records(&CaseFilter::all()).await.expect("records") {
            let id = &r.meta.id;
            let last = r.events.last().expect("a history");
            assert_eq!(r.meta.status, last.status, "{id}: status and history from two moments");
            let asked = r.events.iter().filter(|e| e.kind == EventKind::FollowUp).count() as i64;
            assert_eq!(r.meta.follow_ups, asked, "{id}: follow-up count and history from two moments");
            assert_eq!(r.envelopes.len() as i64, 1 + asked, "{id}: envelopes and history from two moments");
            officer.verify(id, &r.events);
        }
        pulls += 1;
    }
    follow_ups.await.expect("follow-ups");
    status_changes.await.expect("status changes");
    assert!(pulls > 1, "the pulls ran while the others wrote");
}
