//! The history checks against fixture cases signed as the server records them.

use super::*;
use crate::testkit::{self, Kit, DEP};
use amana_core::case::Status;
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use serde_json::Value;

fn files(b: &CaseBundle) -> Vec<AgeFile> {
    b.envelopes
        .iter()
        .map(|e| AgeFile { id: e.id.clone(), bytes: B64.decode(&e.age_b64).expect("b64") })
        .collect()
}

fn keys(kit: &Kit) -> Roster {
    testkit::roster(1, &[kit])
}

fn check(b: &CaseBundle, roster: &Roster) -> Result<(), String> {
    let signers = Signers { roster, verified_through: None };
    verify(b, &files(b), DEP, &signers).map_err(|e| e.to_string())
}

fn worked_case(kit: &Kit) -> CaseBundle {
    let mut b = kit.bundle("c1");
    kit.status(&mut b, Status::Acknowledged);
    kit.reply(&mut b, "r1");
    kit.status(&mut b, Status::InReview);
    b
}

#[test]
fn a_signed_history_verifies() {
    let kit = Kit::new("alice");
    assert_eq!(check(&worked_case(&kit), &keys(&kit)), Ok(()));
}

#[test]
fn an_action_an_older_server_took_in_another_spelling_verifies() {
    let kit = Kit::new("alice");
    let keys = keys(&kit);
    // Signed over a percent-encoded case id with a query: older servers routed it to
    // the case's status route (and new ones refuse it), so homes read it that way.
    let mut b = kit.bundle("c1");
    let body = serde_json::to_string(&amana_core::wire::StatusChange {
        status: Status::Acknowledged,
        note_age_b64: None,
        head: testkit::head(&b),
    })
    .expect("json");
    let signed = kit.signed("/api/v1/review/cases/%631/status?x=1", body);
    let detail = serde_json::json!({ "from": Status::Received, "envelope_id": null });
    testkit::push(&mut b, EventKind::StatusChanged, Status::Acknowledged, detail, Some(signed));
    b.status = Status::Acknowledged;
    assert_eq!(check(&b, &keys), Ok(()));
    // The same action spelt for another case, or another action, is still refused.
    for path in ["/api/v1/review/cases/%632/status", "/api/v1/review/cases/c1/%73tatus"] {
        let mut other = b.clone();
        let e = &mut other.events[1];
        let mut action: SignedAction =
            serde_json::from_str(e.signed.as_deref().unwrap_or_default()).expect("action");
        let resigned = kit.signed(path, action.body.clone()).1;
        action = serde_json::from_str(&resigned).expect("action");
        e.signed = Some(serde_json::to_string(&action).expect("json"));
        testkit::rehash(&mut other);
        assert!(check(&other, &keys).expect_err(path).contains("signed a different request"), "{path}");
    }
}

#[test]
fn unknown_or_other_keys_are_refused() {
    let kit = Kit::new("alice");
    let err = check(&worked_case(&kit), &testkit::roster(1, &[])).expect_err("no keys");
    assert!(err.contains("event 1") && err.contains("not in the signed roster"), "{err}");
    let impostor = Kit::new("alice");
    let err = check(&worked_case(&kit), &keys(&impostor)).expect_err("other key");
    assert!(err.contains("signature"), "{err}");
}

#[test]
fn an_event_that_contradicts_its_signed_request_is_refused() {
    let kit = Kit::new("alice");
    let keys = keys(&kit);
    // The server records a closure where the reviewer signed in_review.
    let mut b = worked_case(&kit);
    b.events[3].status = Status::ClosedUnfounded;
    b.status = Status::ClosedUnfounded;
    testkit::rehash(&mut b);
    let err = check(&b, &keys).expect_err("forged status");
    assert!(err.contains("records closed_unfounded but the reviewer signed in_review"), "{err}");
    // A reply whose stored ciphertext is not the one the reviewer signed.
    let mut b = worked_case(&kit);
    b.envelopes[1].age_b64 = B64.encode("another age file");
    assert!(check(&b, &keys).expect_err("swapped").contains("not the age file the reviewer signed"));
}

#[test]
fn lifecycle_and_metadata_must_agree() {
    let kit = Kit::new("alice");
    let keys = keys(&kit);
    let mut b = kit.bundle("c1");
    kit.status(&mut b, Status::InReview);
    assert!(check(&b, &keys).expect_err("skips").contains("lifecycle forbids"));
    let mut b = worked_case(&kit);
    b.escalated = true;
    assert!(check(&b, &keys).expect_err("flag").contains("escalation flag"));
    let mut b = worked_case(&kit);
    b.status = Status::NeedsInfo;
    assert!(check(&b, &keys).expect_err("status").contains("says `needs_info`"));
    let mut b = worked_case(&kit);
    testkit::push(&mut b, EventKind::Escalated, Status::Received, serde_json::json!({}), None);
    b.status = Status::Received;
    assert!(check(&b, &keys).expect_err("status jump").contains("without a status change"));
    let mut b = kit.bundle("c1");
    b.events.clear();
    assert!(check(&b, &keys).expect_err("empty").contains("empty"));
}

const SHA: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

#[test]
fn a_signed_rewrap_replaces_envelopes_and_pins_the_new_bytes() {
    let kit = Kit::new("alice");
    let keys = keys(&kit);
    let mut b = worked_case(&kit);
    kit.rewrap(&mut b, &[("rep", b"new rep", SHA), ("r1", b"new r1", SHA)]);
    // The reply no longer matches its signed reply request: the later rewrap covers it.
    assert_eq!(check(&b, &keys), Ok(()));
    assert_eq!(last_rewrap(&b, "r1"), Some((4, SHA.to_string())));
    // A swap after the rewrap is caught.
    let mut swapped = b.clone();
    swapped.envelopes[1].age_b64 = B64.encode("another age file");
    let err = check(&swapped, &keys).expect_err("swapped");
    assert!(err.contains("not the age file the reviewer signed"), "{err}");
    // The server records another hash than the reviewer signed.
    let mut forged = b.clone();
    forged.events[4].detail = forged.events[4].detail.replace(SHA, &"0".repeat(64));
    testkit::rehash(&mut forged);
    let err = check(&forged, &keys).expect_err("hash");
    assert!(err.contains("other envelopes or hashes than the reviewer signed"), "{err}");
    // A rewrap of an envelope the case does not have.
    let mut b = worked_case(&kit);
    kit.rewrap(&mut b, &[("ghost", b"x", SHA)]);
    assert!(check(&b, &keys).expect_err("ghost").contains("missing"));
}

#[test]
fn an_unknown_event_kind_says_upgrade() {
    let kit = Kit::new("alice");
    let mut b = worked_case(&kit);
    b.events[2].kind = EventKind::Unknown;
    let err = check(&b, &keys(&kit)).expect_err("unknown kind");
    assert!(err.contains("upgrade amana-review") && !err.contains("verify"), "{err}");
}

/// An earlier event of `b` appended again, signed request and all (what a server
/// replaying a genuine action would write).
fn replay(b: &mut CaseBundle, seq: usize) {
    let e = b.events[seq].clone();
    let detail: Value = serde_json::from_str(&e.detail).expect("detail");
    let signed = (e.actor.clone().expect("actor"), e.signed.clone().expect("signed"));
    testkit::push(b, e.kind, e.status, detail, Some(signed));
    b.status = e.status;
}

#[test]
fn a_replayed_status_change_or_extension_is_refused() {
    let kit = Kit::new("alice");
    let keys = keys(&kit);
    let mut b = worked_case(&kit);
    kit.status(&mut b, Status::NeedsInfo);
    // in_review (event 3) again: the lifecycle allows it, the nonce does not.
    replay(&mut b, 3);
    let err = check(&b, &keys).expect_err("replayed status");
    assert!(err.contains("event 5: repeats the signed request of event 3"), "{err}");
    let mut b = worked_case(&kit);
    kit.extend(&mut b, 30, "x1");
    replay(&mut b, 4);
    b.extension_days = 60;
    let err = check(&b, &keys).expect_err("replayed extension");
    assert!(err.contains("event 5: repeats the signed request of event 4 (same nonce"), "{err}");
}

#[test]
fn genuine_actions_re_attached_to_a_rebuilt_or_other_case_are_refused() {
    let kit = Kit::new("alice");
    let keys = keys(&kit);
    // The server rebuilds the case with another submission and keeps every signed
    // action: all hashes are recomputed, so a fresh home has no pinned head to compare,
    // but the actions name heads of the original chain.
    let mut rebuilt = worked_case(&kit);
    rebuilt.events[0].detail = serde_json::json!({ "envelope_id": "rep", "attachments": 0 }).to_string();
    testkit::rehash(&mut rebuilt);
    let err = check(&rebuilt, &keys).expect_err("rebuilt");
    assert!(err.contains("event 1: signed against another history"), "{err}");
    // A genuine action of case c1 appended to case c2.
    let c1 = worked_case(&kit);
    let mut c2 = kit.bundle("c2");
    let e = c1.events[1].clone();
    let detail: Value = serde_json::from_str(&e.detail).expect("detail");
    testkit::push(
        &mut c2,
        e.kind,
        e.status,
        detail,
        Some((e.actor.expect("actor"), e.signed.expect("signed"))),
    );
    c2.status = Status::Acknowledged;
    let err = check(&c2, &keys).expect_err("other case");
    assert!(err.contains("event 1: signed against another history"), "{err}");
}

#[test]
fn events_re_dated_beyond_the_signature_or_backwards_are_refused() {
    let kit = Kit::new("alice");
    let keys = keys(&kit);
    // The acknowledgement re-dated by 40 days, chain recomputed (the indicators would
    // show 40 days to acknowledge).
    let mut b = worked_case(&kit);
    for e in &mut b.events[1..] {
        e.on += time::Duration::days(40);
    }
    testkit::rehash(&mut b);
    let err = check(&b, &keys).expect_err("re-dated");
    assert!(err.contains("event 1: dated 2027-02-24, but its reviewer signed it on 2027-01-15"), "{err}");
    // Within 72 h of the signature is fine (an air-gapped request travels). Only the
    // last event: re-dating an earlier one changes the heads later actions are bound to.
    let mut b = worked_case(&kit);
    b.events[3].on += time::Duration::days(3);
    testkit::rehash(&mut b);
    assert_eq!(check(&b, &keys), Ok(()));
    // Dated before it was signed.
    let mut b = worked_case(&kit);
    for e in &mut b.events {
        e.on = e.on.previous_day().expect("date");
    }
    b.received_on = b.events[0].on;
    testkit::rehash(&mut b);
    assert!(check(&b, &keys).expect_err("early").contains("event 1: dated 2027-01-14"));
    // An escalation dated before the event it follows.
    let mut b = worked_case(&kit);
    testkit::push(&mut b, EventKind::Escalated, Status::InReview, serde_json::json!({}), None);
    b.escalated = true;
    b.events[4].on = b.events[3].on.previous_day().expect("date");
    testkit::rehash(&mut b);
    let err = check(&b, &keys).expect_err("backwards");
    assert!(err.contains("event 4: dated 2027-01-14, before the event before it (2027-01-15)"), "{err}");
}

#[test]
fn head_less_actions_only_before_head_bound_ones() {
    let kit = Kit::new("alice");
    let keys = keys(&kit);
    // A case worked before the upgrade, then after it: verifies.
    let mut b = kit.bundle("c1");
    kit.legacy_status(&mut b, Status::Acknowledged);
    kit.status(&mut b, Status::InReview);
    assert_eq!(check(&b, &keys), Ok(()));
    // A head-less action after a head-bound one: no server accepts that any more.
    kit.legacy_status(&mut b, Status::NeedsInfo);
    let err = check(&b, &keys).expect_err("unbound");
    assert!(err.contains("event 3: signed by an older amana-review"), "{err}");
}

#[test]
fn dates_of_receipt_and_deadlines_must_agree_with_the_history() {
    let kit = Kit::new("alice");
    let keys = keys(&kit);
    let mut b = worked_case(&kit);
    b.received_on = b.received_on.previous_day().expect("date");
    let err = check(&b, &keys).expect_err("received");
    // The attested submission catches it first; the history's date would too.
    assert!(
        err.contains("date of receipt is not the one its attested submission records")
            || err.contains("it says it was received on 2027-01-14, its history on 2027-01-15"),
        "{err}"
    );
    let mut b = worked_case(&kit);
    b.deadlines.acknowledge_by = b.received_on;
    assert!(check(&b, &keys).expect_err("ack by").contains("acknowledge-by date 2027-01-15 is not after"));
    let mut b = worked_case(&kit);
    b.deadlines.feedback_by = testkit::ON;
    assert!(check(&b, &keys).expect_err("feedback by").contains("before the earliest its history allows"));
    // After an extension, the feedback date is the one it recorded.
    let mut b = worked_case(&kit);
    kit.extend(&mut b, 30, "x1");
    assert_eq!(check(&b, &keys), Ok(()));
    b.deadlines.feedback_by += time::Duration::days(100);
    let err = check(&b, &keys).expect_err("moved");
    assert!(err.contains("not the one its last extension (event 4) recorded"), "{err}");
}
