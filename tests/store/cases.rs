//! Filing and reading: insert_case, credentials, case_meta, case_metas, records, envelopes.

use amana::store::{Change, StoreError};
use amana_core::case::{Kind, Status};
use amana_core::events::EventKind;
use amana_core::payload::Part;

use crate::harness::*;

crate::on_both_backends!(
    insert_then_find_by_lookup_index,
    lookup_collision_commits_nothing,
    metadata_round_trips,
    case_metas_filter_and_order,
    case_filters_are_the_reviewer_rule,
    records_carry_envelopes_and_history,
    envelopes_by_part_in_order,
    unknown_and_unstorable_ids_name_nothing,
    server_and_reporter_events_are_attested_in_their_place,
);

/// The store signs an attested event once it is linked: the signature covers its seq and
/// previous hash, so it verifies there and nowhere else.
async fn server_and_reporter_events_are_attested_in_their_place(db: TestDb) {
    use amana::store::EventSigner;
    use amana_core::events::{self, Attester};
    use ring::signature::{Ed25519KeyPair, KeyPair};
    use std::sync::Arc;
    let store = db.open().await;
    let key = |_: ()| {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).expect("gen");
        Arc::new(Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("key"))
    };
    let (server, reporter) = (key(()), key(()));
    let mut case = new_case("case-att", day("2026-03-01"));
    case.attest = Some(EventSigner::new(Attester::Server, server.clone(), DEPLOYMENT.into()));
    store.insert_case(&case).await.expect("insert");
    let meta = store.case_meta("case-att").await.expect("meta").expect("case");
    let mut follow_up = event(EventKind::FollowUp);
    follow_up.attest = Some(EventSigner::new(Attester::Reporter, reporter.clone(), DEPLOYMENT.into()));
    let mut change = Change::event_only(&meta, day("2026-03-02"), follow_up);
    change.follow_up_cap = Some(50);
    store.apply(&change).await.expect("follow-up");
    let record = store.records(&CaseFilter::case("case-att")).await.expect("records").remove(0);
    let [submitted, added] = &record.events[..] else { panic!("two events") };
    let check = |e: &events::Event, by, k: &Arc<Ed25519KeyPair>| {
        events::verify_attestation(DEPLOYMENT, "case-att", e, by, k.public_key().as_ref())
    };
    assert_eq!(check(submitted, Attester::Server, &server), Ok(()));
    assert_eq!(check(added, Attester::Reporter, &reporter), Ok(()));
    assert!(check(added, Attester::Server, &server).is_err(), "the wrong signer");
    assert!(events::verify_attestation(
        DEPLOYMENT,
        "other",
        submitted,
        Attester::Server,
        server.public_key().as_ref()
    )
    .is_err());
    let mut moved = added.clone();
    moved.seq = 5;
    assert!(check(&moved, Attester::Reporter, &reporter).is_err(), "another place in the chain");
}

async fn insert_then_find_by_lookup_index(db: TestDb) {
    let store = db.open().await;
    let case = new_case("case-a", day("2026-03-01"));
    store.insert_case(&case).await.expect("insert");
    let found = store.credentials(&case.lookup_index).await.expect("credentials").expect("found");
    assert_eq!(found.id, "case-a");
    assert_eq!(found.kdf_salt, case.kdf_salt);
    assert_eq!(found.kdf_params, case.kdf_params);
    assert_eq!(found.verifier, case.verifier);
    assert_eq!(found.pepper_id, 1);
    let mut other = case.lookup_index;
    other[31] ^= 1;
    assert!(store.credentials(&other).await.expect("credentials").is_none());
    // A case filed under a later pepper version says so.
    let mut later = new_case("case-b", day("2026-03-02"));
    later.pepper_id = 3;
    store.insert_case(&later).await.expect("insert");
    let found = store.credentials(&later.lookup_index).await.expect("credentials").expect("found");
    assert_eq!((found.id.as_str(), found.pepper_id), ("case-b", 3));
}

async fn lookup_collision_commits_nothing(db: TestDb) {
    let store = db.open().await;
    let first = new_case("case-a", day("2026-03-01"));
    store.insert_case(&first).await.expect("insert");
    let mut second = new_case("case-b", day("2026-03-01"));
    second.lookup_index = first.lookup_index;
    match store.insert_case(&second).await {
        Err(StoreError::LookupCollision) => {}
        other => panic!("expected LookupCollision, got {other:?}"),
    }
    assert!(store.case_meta("case-b").await.unwrap().is_none(), "half a case was committed");
    assert!(store.envelopes("case-b", &[Part::Report]).await.unwrap().is_empty());
    // The first case is untouched and the retry with a new lookup part goes through.
    assert_eq!(store.credentials(&first.lookup_index).await.unwrap().unwrap().id, "case-a");
    second.lookup_index[0] ^= 0xff;
    store.insert_case(&second).await.expect("retry with a new lookup part");
    assert_eq!(history(&*store, "case-b").await.len(), 1);
}

async fn metadata_round_trips(db: TestDb) {
    let store = db.open().await;
    let mut case = new_case("case-a", day("2026-02-28"));
    case.kind = Kind::ServiceEvaluation;
    case.agency = "transport".into();
    case.oversight_only = true;
    // Every byte value, so no text conversion or NUL handling can hide in the blob path.
    case.ciphertext = (0..=255u8).cycle().take(4096).collect();
    store.insert_case(&case).await.expect("insert");

    let m = store.case_meta("case-a").await.unwrap().expect("meta");
    assert_eq!(m.id, "case-a");
    assert_eq!(m.kind, Kind::ServiceEvaluation);
    assert_eq!(m.agency, "transport");
    assert!(m.oversight_only);
    assert_eq!(m.status, Status::Received);
    assert_eq!(m.received_on, day("2026-02-28"));
    assert_eq!(m.acknowledged_on, None);
    assert_eq!(m.deadlines, case.deadlines);
    assert_eq!(m.extension_days, 0);
    assert!(!m.escalated);
    assert_eq!(m.rating, None);
    assert_eq!(m.follow_ups, 0);
    assert_eq!(m.reporter_recipient, "age1case-a");

    let report = store.envelopes("case-a", &[Part::Report]).await.unwrap();
    assert_eq!(report.len(), 1);
    assert_eq!(report[0].id, "case-a-report");
    assert_eq!(report[0].part, Part::Report);
    assert_eq!(report[0].created_on, day("2026-02-28"));
    assert_eq!(report[0].ciphertext, case.ciphertext);

    let events = history(&*store, "case-a").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, EventKind::Submitted);
    assert_eq!(events[0].status, Status::Received);
    assert_eq!(events[0].on, day("2026-02-28"));
    // The submission's detail binds what decides who reads the case (docs/FORMATS.md §9).
    let detail: serde_json::Value = serde_json::from_str(&events[0].detail).expect("json");
    assert_eq!(detail["envelope_id"], "case-a-report");
    assert_eq!(detail["agency"], "transport");
    assert_eq!(detail["kind"], "service_evaluation");
    assert_eq!(detail["oversight_only"], true);
    assert_eq!(detail["reporter_recipient"], "age1case-a");
    Reviewer::new("nobody").verify("case-a", &events);
}

async fn case_metas_filter_and_order(db: TestDb) {
    let store = db.open().await;
    // Inserted out of order; two on one day whose ids order differently in byte order
    // ("B" < "a") than in most locales, where SQLite and PostgreSQL must still agree.
    for (id, on, agency) in [
        ("c3", "2026-03-03", "health"),
        ("a-2", "2026-03-02", "transport"),
        ("c1", "2026-03-01", "transport"),
        ("B-2", "2026-03-02", "health"),
    ] {
        let mut case = new_case(id, day(on));
        case.agency = agency.into();
        store.insert_case(&case).await.expect("insert");
    }
    let all = store.case_metas(&CaseFilter::all()).await.unwrap();
    let ids: Vec<&str> = all.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["c1", "B-2", "a-2", "c3"], "oldest first, then by id in byte order");
    let transport = store.case_metas(&agency("transport")).await.unwrap();
    let ids: Vec<&str> = transport.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["c1", "a-2"]);
    assert!(store.case_metas(&agency_none()).await.unwrap().is_empty());
}

/// The cases a reviewer of `name` who is not oversight may read.
fn agency(name: &str) -> CaseFilter {
    CaseFilter::readable_by(false, &[name.to_string()])
}

/// A reviewer who serves no agency and is not oversight: no case.
fn agency_none() -> CaseFilter {
    CaseFilter::readable_by(false, &[])
}

/// The filter the database applies admits exactly what `ReviewerEntry::may_access` (and,
/// for the inbox, "not closed") admits, for every mix of agency, flag and status.
async fn case_filters_are_the_reviewer_rule(db: TestDb) {
    let store = db.open().await;
    let officer = Reviewer::new("officer");
    let mut cases = Vec::new();
    for (i, agency) in ["health", "transport", "tax"].into_iter().enumerate() {
        for oversight_only in [false, true] {
            for closed in [false, true] {
                let id = format!("{agency}-{oversight_only}-{closed}");
                let mut case = new_case(&id, plus(day("2026-02-01"), i as i64));
                (case.agency, case.oversight_only) = (agency.to_string(), oversight_only);
                store.insert_case(&case).await.expect("insert");
                if closed {
                    let meta = store.case_meta(&id).await.unwrap().unwrap();
                    let ev = officer.event(EventKind::StatusChanged, &id, r#"{"status":"closed_referred"}"#);
                    let mut change = Change::event_only(&meta, day("2026-03-01"), ev);
                    change.new_status = Status::ClosedReferred;
                    store.apply(&change).await.expect("close");
                }
                cases.push((id, agency, oversight_only, closed));
            }
        }
    }
    let readers: [(bool, &[&str]); 5] =
        [(true, &[]), (false, &["health"]), (false, &["health", "tax"]), (false, &[]), (false, &["nobody"])];
    for (oversight, agencies) in readers {
        let agencies: Vec<String> = agencies.iter().map(|a| a.to_string()).collect();
        for open in [false, true] {
            let mut filter = CaseFilter::readable_by(oversight, &agencies);
            if open {
                filter = filter.open();
            }
            let mut want: Vec<&str> = cases
                .iter()
                .filter(|(_, agency, only, closed)| {
                    (oversight || (!only && agencies.iter().any(|a| a == agency))) && !(open && *closed)
                })
                .map(|(id, ..)| id.as_str())
                .collect();
            want.sort();
            let mut got: Vec<String> =
                store.case_metas(&filter).await.unwrap().into_iter().map(|m| m.id).collect();
            got.sort();
            assert_eq!(got, want, "{filter:?}");
            let mut pulled: Vec<String> =
                store.records(&filter).await.unwrap().into_iter().map(|r| r.meta.id).collect();
            pulled.sort();
            assert_eq!(pulled, want, "records, {filter:?}");
        }
    }
}

async fn records_carry_envelopes_and_history(db: TestDb) {
    let store = db.open().await;
    for (id, on) in [("old", "2026-01-01"), ("new", "2026-01-02"), ("other", "2026-01-03")] {
        let mut case = new_case(id, day(on));
        if id == "other" {
            case.agency = "transport".into();
        }
        store.insert_case(&case).await.expect("insert");
    }
    let meta = store.case_meta("new").await.unwrap().unwrap();
    let mut change = Change::event_only(&meta, day("2026-01-05"), event(EventKind::FollowUp));
    let follow_up = envelope(Part::FollowUp);
    let follow_up_bytes = follow_up.ciphertext.clone();
    change.envelope = Some(follow_up);
    change.follow_up_cap = Some(5);
    store.apply(&change).await.expect("follow-up");

    let records = store.records(&agency("health")).await.unwrap();
    let ids: Vec<&str> = records.iter().map(|r| r.meta.id.as_str()).collect();
    assert_eq!(ids, ["old", "new"]);
    let old = &records[0];
    assert_eq!((old.envelopes.len(), old.events.len()), (1, 1));
    let new = &records[1];
    assert_eq!(new.meta.follow_ups, 1);
    let parts: Vec<Part> = new.envelopes.iter().map(|e| e.part).collect();
    assert_eq!(parts, [Part::Report, Part::FollowUp]);
    assert_eq!(new.envelopes[1].ciphertext, follow_up_bytes);
    assert_eq!(new.envelopes[1].created_on, day("2026-01-05"));
    let kinds: Vec<EventKind> = new.events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EventKind::Submitted, EventKind::FollowUp]);
    Reviewer::new("nobody").verify("new", &new.events);
    assert!(store.records(&agency_none()).await.unwrap().is_empty());
}

async fn envelopes_by_part_in_order(db: TestDb) {
    let store = db.open().await;
    let reviewer = Reviewer::new("health-officer");
    store.insert_case(&new_case("case-a", day("2026-04-01"))).await.unwrap();
    let mut expected = Vec::new();
    for (i, part) in
        [Part::FollowUp, Part::Reply, Part::Note, Part::Reply, Part::FollowUp].into_iter().enumerate()
    {
        let meta = store.case_meta("case-a").await.unwrap().unwrap();
        let on = plus(day("2026-04-02"), i as i64);
        let ev = match part {
            Part::FollowUp => event(EventKind::FollowUp),
            _ => reviewer.event(EventKind::Reply, "case-a", "{}"),
        };
        let mut change = Change::event_only(&meta, on, ev);
        let e = envelope(part);
        expected.push((e.id.clone(), part, on));
        change.envelope = Some(e);
        store.apply(&change).await.expect("apply");
    }
    let got = store.envelopes("case-a", &[Part::Reply, Part::FollowUp]).await.unwrap();
    let got: Vec<_> = got.iter().map(|e| (e.id.clone(), e.part, e.created_on)).collect();
    let want: Vec<_> = expected.iter().filter(|(_, p, _)| *p != Part::Note).cloned().collect();
    assert_eq!(got, want, "the parts asked for, in the order they were added");
    assert_eq!(store.envelopes("case-a", &[Part::Note]).await.unwrap().len(), 1);
    assert_eq!(store.envelopes("case-a", &[Part::Report]).await.unwrap().len(), 1);
    assert!(store.envelopes("case-a", &[]).await.unwrap().is_empty());
    reviewer.verify("case-a", &history(&*store, "case-a").await);
}

async fn unknown_and_unstorable_ids_name_nothing(db: TestDb) {
    let store = db.open().await;
    store.insert_case(&new_case("case-a", day("2026-04-01"))).await.unwrap();
    for id in ["nope", "", "case-a\0", "case-\0a", "%00"] {
        assert!(store.case_meta(id).await.expect("no error").is_none(), "{id:?}");
        assert!(store.envelopes(id, &[Part::Report]).await.expect("no error").is_empty(), "{id:?}");
        let meta = store.case_meta("case-a").await.unwrap().unwrap();
        let mut change = Change::event_only(&meta, day("2026-04-02"), event(EventKind::FollowUp));
        change.case_id = id.to_string();
        assert!(matches!(store.apply(&change).await, Err(StoreError::Conflict)), "{id:?}");
    }
    assert_eq!(history(&*store, "case-a").await.len(), 1);
}
