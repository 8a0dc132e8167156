//! Verifying a case's history before a pull is accepted (SECURITY.md invariant 9).
//!
//! 1. The hash chain and every reviewer signature (`events::verify_chain`), with keys from
//!    the signed roster only ([`Signers`]): the signer must be in the roster, have access to
//!    the case, be oversight for a rewrap, and — if the roster revokes it — have signed an
//!    event this home verified before, or one the roster vouches for.
//! 2. What binds each signature to its place (`events::verify_bindings`): the head its
//!    signed body names is an earlier event of this same chain, so a genuine request cannot
//!    be re-attached to a rebuilt or another case; each nonce appears once; each reviewer
//!    event is dated within `events::MAX_SIGNATURE_AGE_HOURS` of its signed timestamp (a
//!    constant of this program, not the server's setting); dates never go back.
//! 3. Cheap consistency checks that a server recomputing the chain could otherwise slip
//!    past: the history starts with the submission and follows the lifecycle; each reviewer
//!    event matches the request its reviewer signed (route, new status, days) and the stored
//!    reply or note is byte for byte the age file that was signed; the case metadata
//!    (status, escalation, extension days, rating, date of receipt, deadlines) agrees with
//!    the history.
//! 4. Rewraps: a `rewrapped` event records exactly the envelopes and plaintext hashes its
//!    reviewer signed, and each envelope it was the last to rewrap is byte for byte the
//!    signed age file; an envelope rewrapped later no longer has to match the reply or note
//!    request that first stored it. (The plaintext hashes themselves are checked after
//!    decryption, in `accept`.)

use std::cell::RefCell;
use std::collections::VecDeque;

use amana_core::case::Status;
use amana_core::events::{self, Event, EventKind, SignedAction};
use amana_core::payload::Part;
use amana_core::wire::{
    is_sha256_hex, paths, CaseBundle, Extension, HoldRelease, LegalHold, ReplyUpload, RewrapDetail,
    RewrapRequest, StatusChange,
};
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use serde::de::DeserializeOwned;
use serde_json::Value;
use time::Date;

use amana_core::custody::{self, Custody};

use crate::cases::AgeFile;
use crate::error::ReviewError;
use amana_core::roster::Roster;

/// Who may have signed what, for one case: the trusted roster, and how far this home had
/// verified the case before (its remembered head).
pub struct Signers<'r> {
    /// The roster this home trusts (signed by the pinned roster key).
    pub roster: &'r Roster,
    /// The seq of this case's last verified head, if this home verified it before: events up
    /// to it were verified under an earlier roster, and a later revocation does not undo that.
    pub verified_through: Option<i64>,
}

impl Signers<'_> {
    /// The key that must have signed reviewer event `e` of a case of `agency`, or why none may.
    /// `custody` is the case's custody just before `e` (its agency then, and who was excluded).
    fn key_for_event(
        &self,
        e: &Event,
        key_id: &str,
        custody: &Custody,
        oversight_only: bool,
    ) -> Result<Vec<u8>, String> {
        let entry = self.roster.reviewer(key_id).ok_or_else(|| {
            format!("it is signed by `{}`, who is not in the signed roster", crate::cases::printable(key_id))
        })?;
        if custody.excluded.iter().any(|x| x == key_id) {
            return Err(format!("`{key_id}` was excluded from this case before it signed this"));
        }
        if !entry.may_access(&custody.agency, oversight_only) {
            return Err(format!("`{key_id}` may not act on this case (the roster gives it no access)"));
        }
        if e.kind.is_oversight_action() && !entry.oversight {
            let (did, may) = match e.kind {
                EventKind::Held => ("put the case on legal hold", "hold"),
                EventKind::Released => ("released the case's legal hold", "release a hold"),
                _ => ("rewrapped the case", "rewrap"),
            };
            return Err(format!("`{key_id}` {did}, but only oversight keys may {may}"));
        }
        if matches!(e.kind, EventKind::Transferred | EventKind::Excluded) && !entry.oversight {
            return Err(format!("`{key_id}` {} the case, but only oversight keys may", e.kind.as_str()));
        }
        if let Some(revoked) = entry.revoked_on {
            let verified_before = self.verified_through.is_some_and(|h| e.seq <= h);
            if !verified_before && !entry.valid_events.contains(&e.hash) {
                return Err(format!(
                    "it is signed by `{key_id}`, whose key the roster revokes from {revoked}; this home \
                     had not verified it before and the roster does not vouch for it"
                ));
            }
        }
        entry.public_key().map(|k| k.to_vec()).ok_or_else(|| "the roster's key is malformed".to_string())
    }
}

/// Verifies `bundle`'s history; `files` are its decoded envelopes.
pub fn verify(
    bundle: &CaseBundle,
    files: &[AgeFile],
    deployment_id: &str,
    signers: &Signers<'_>,
) -> Result<(), ReviewError> {
    let fail = |detail: String| ReviewError::HistoryInvalid { case: bundle.id.clone(), detail };
    match bundle.events.first() {
        None => return Err(fail("it is empty".into())),
        Some(e) if e.kind != EventKind::Submitted => {
            return Err(fail("it does not start with the submission".into()))
        }
        Some(_) => {}
    }
    if let Some(e) = bundle.events.iter().find(|e| e.kind == EventKind::Unknown) {
        return Err(ReviewError::UpgradeNeeded {
            what: format!(
                "case {} has an event (#{}) of a kind this amana-review does not know",
                bundle.id, e.seq
            ),
        });
    }
    // Each reviewer event's key is decided first, with the reason when there is none, so the
    // chain check below asks for keys that are already known to be authorised.
    let mut keys = VecDeque::new();
    let mut custody = Custody::replay(
        &custody::submitted_agency(&bundle.events).unwrap_or_else(|| bundle.agency.clone()),
        &[],
    );
    for e in &bundle.events {
        if let (true, Some(actor)) = (e.kind.is_reviewer_action(), e.actor.as_deref()) {
            let key = signers
                .key_for_event(e, actor, &custody, bundle.oversight_only)
                .map_err(|why| fail(format!("event {} ({}): {why}", e.seq, e.kind.as_str())))?;
            keys.push_back((actor.to_string(), key));
        }
        custody.apply(e);
    }
    let keys = RefCell::new(keys);
    let key_for = |id: &str| match keys.borrow_mut().pop_front() {
        Some((actor, key)) if actor == id => Some(key),
        _ => None,
    };
    events::verify_chain(&bundle.id, deployment_id, &bundle.events, &key_for)
        .map_err(|e| fail(e.to_string()))?;
    events::verify_bindings(&bundle.events).map_err(|e| fail(e.to_string()))?;
    crate::attested::check(bundle, deployment_id, signers).map_err(&fail)?;
    let mut prev: Option<&Event> = None;
    for e in &bundle.events {
        check_event(bundle, prev, e, files)
            .and_then(|()| crate::custody_check::check(bundle, signers.roster, e))
            .map_err(|why| fail(format!("event {} ({}): {why}", e.seq, e.kind.as_str())))?;
        prev = Some(e);
    }
    check_metadata(bundle).map_err(fail)?;
    check_dates(bundle).map_err(fail)
}

/// The nonces of the signed requests in a history, with the seq of their event. A nonce
/// may appear once in a chain (`events::verify_bindings`) and once in a whole case list
/// (`accept`): a request accepted once cannot stand in two places.
pub fn signed_nonces(bundle: &CaseBundle) -> impl Iterator<Item = (i64, String)> + '_ {
    bundle.events.iter().filter_map(|e| {
        let signed: SignedAction = serde_json::from_str(e.signed.as_deref()?).ok()?;
        Some((e.seq, signed.nonce))
    })
}

/// A signed body as its current type. Bodies signed before head binding have no `head`
/// (`verify_bindings` has already decided whether this event may be one of them): it reads
/// as empty, and everything else in the body is checked the same.
fn signed_body<T: DeserializeOwned>(body: &str) -> Result<T, String> {
    let bad = || "the signed request body is not what this event records".to_string();
    let mut value: Value = serde_json::from_str(body).map_err(|_| bad())?;
    match &mut value {
        Value::Object(map) if !map.contains_key("head") => {
            map.insert("head".into(), Value::String(String::new()));
        }
        // The rewrap body was the bare list of envelopes.
        Value::Array(items) => {
            value = serde_json::json!({ "head": "", "envelopes": std::mem::take(items) });
        }
        _ => {}
    }
    serde_json::from_value(value).map_err(|_| bad())
}

/// The envelope part an event of `kind` stores, if any.
fn part_of(kind: EventKind) -> Option<Part> {
    match kind {
        EventKind::Submitted => Some(Part::Report),
        EventKind::FollowUp => Some(Part::FollowUp),
        EventKind::Reply => Some(Part::Reply),
        EventKind::StatusChanged | EventKind::Extended | EventKind::Held => Some(Part::Note),
        EventKind::Escalated
        | EventKind::Rated
        | EventKind::Rewrapped
        | EventKind::Released
        | EventKind::Transferred
        | EventKind::Excluded
        | EventKind::Assigned
        | EventKind::Unknown => None,
    }
}

/// One event against the one before it, its envelope and its signed request.
fn check_event(
    bundle: &CaseBundle,
    prev: Option<&Event>,
    e: &Event,
    files: &[AgeFile],
) -> Result<(), String> {
    let detail: Value = serde_json::from_str(&e.detail).map_err(|_| "its detail is not JSON".to_string())?;
    match (prev, e.kind) {
        (None, _) if e.status != Status::Received => return Err("a new case must be `received`".into()),
        (None, _) => {}
        (Some(_), EventKind::Submitted) => return Err("a second submission".into()),
        (Some(p), EventKind::StatusChanged) => {
            if !p.status.can_move_to(e.status) {
                return Err(format!("moves from {} to {}, which the lifecycle forbids", p.status, e.status));
            }
            if detail.get("from").and_then(Value::as_str) != Some(p.status.as_str()) {
                return Err("its `from` status is not the status before it".into());
            }
        }
        (Some(p), _) if e.status != p.status => {
            return Err("changes the status without a status change".into())
        }
        (Some(_), _) => {}
    }
    let envelope_id = detail.get("envelope_id").and_then(Value::as_str);
    if let Some(id) = envelope_id {
        let part = part_of(e.kind);
        if !bundle.envelopes.iter().any(|env| env.id == id && Some(env.part) == part) {
            return Err(format!("names envelope {}, which is missing or of another kind", id.escape_debug()));
        }
    } else if matches!(
        e.kind,
        EventKind::Submitted | EventKind::FollowUp | EventKind::Reply | EventKind::Extended | EventKind::Held
    ) {
        return Err("names no envelope".into());
    }
    if e.kind.is_reviewer_action() {
        check_signed(bundle, e, &detail, envelope_id, files)
    } else if e.actor.is_some() || (e.signed.is_some() && amana_core::events::Attester::of(e.kind).is_none())
    {
        Err("carries a reviewer's name or signature but is not a reviewer action".into())
    } else {
        Ok(())
    }
}

/// A reviewer event against the request its reviewer signed (already verified).
fn check_signed(
    bundle: &CaseBundle,
    e: &Event,
    detail: &Value,
    envelope_id: Option<&str>,
    files: &[AgeFile],
) -> Result<(), String> {
    let signed: SignedAction =
        serde_json::from_str(e.signed.as_deref().unwrap_or_default()).map_err(|_| "unreadable signature")?;
    let route = match e.kind {
        EventKind::Reply => paths::replies(&bundle.id),
        EventKind::Extended => paths::extend(&bundle.id),
        EventKind::Rewrapped => paths::rewrap(&bundle.id),
        EventKind::Held => paths::hold(&bundle.id),
        EventKind::Released => paths::release(&bundle.id),
        EventKind::Transferred => paths::transfer(&bundle.id),
        EventKind::Excluded => paths::exclude(&bundle.id),
        EventKind::Assigned => paths::assign(&bundle.id),
        _ => paths::status(&bundle.id),
    };
    // Compared the way the server routed the request (the case id decoded, a query ignored),
    // so that an action an older server accepted in another spelling still verifies; servers
    // now refuse every spelling but the canonical one (docs/FORMATS.md §3).
    if signed.method != "POST"
        || amana_core::route::routed_case_action(&signed.path).as_deref() != Some(&route)
    {
        return Err(format!(
            "the reviewer signed a different request ({} {})",
            signed.method,
            signed.path.escape_debug()
        ));
    }
    match e.kind {
        EventKind::Rewrapped => {
            let body = signed_body::<RewrapRequest>(&signed.body)
                .map_err(|_| "the signed request body is not a rewrap".to_string())?;
            return check_rewrap(bundle, e, &body.envelopes, files);
        }
        EventKind::Transferred | EventKind::Excluded => {
            let envelopes = crate::custody_check::signed_envelopes(e.kind, &signed.body)?;
            return check_rewrap(bundle, e, &envelopes, files);
        }
        // Its body is checked against its detail with the other custody rules.
        EventKind::Assigned => return Ok(()),
        _ => {}
    }
    let signed_age = match e.kind {
        EventKind::Reply => Some(signed_body::<ReplyUpload>(&signed.body)?.age_b64),
        EventKind::Extended => {
            let body: Extension = signed_body(&signed.body)?;
            if detail.get("days").and_then(Value::as_i64) != Some(body.days) {
                return Err(format!("records other days than the {} the reviewer signed", body.days));
            }
            Some(body.reason_age_b64)
        }
        EventKind::Held => {
            let body: LegalHold = signed_body(&signed.body)?;
            if detail.get("review_on") != serde_json::to_value(body.review_on).ok().as_ref() {
                return Err(format!("records another review date than the {} signed", body.review_on));
            }
            Some(body.reason_age_b64)
        }
        EventKind::Released => {
            signed_body::<HoldRelease>(&signed.body)?;
            None
        }
        _ => {
            let body: StatusChange = signed_body(&signed.body)?;
            if body.status != e.status {
                return Err(format!("records {} but the reviewer signed {}", e.status, body.status));
            }
            body.note_age_b64
        }
    };
    match envelope_id {
        // Rewrapped since: the later, signed rewrap pins its bytes instead.
        Some(id) if last_rewrap(bundle, id).is_some_and(|(seq, _)| seq > e.seq) => Ok(()),
        _ => same_envelope(signed_age.as_deref(), envelope_id, files),
    }
}

/// The envelopes a `rewrapped` event lists, with their plaintext hashes.
/// Transfers and exclusions re-encrypt envelopes too, and record them the same way.
fn rewrap_records(e: &Event) -> Option<RewrapDetail> {
    matches!(e.kind, EventKind::Rewrapped | EventKind::Transferred | EventKind::Excluded)
        .then(|| serde_json::from_str(&e.detail).ok())
        .flatten()
}

/// The last rewrap of `envelope_id` in the history: its seq and the recorded plaintext hash.
pub fn last_rewrap(bundle: &CaseBundle, envelope_id: &str) -> Option<(i64, String)> {
    bundle.events.iter().rev().find_map(|e| {
        let records = rewrap_records(e)?;
        let r = records.envelopes.into_iter().find(|r| r.envelope_id == envelope_id)?;
        Some((e.seq, r.plaintext_sha256))
    })
}

/// A `rewrapped` event against its signed request: the same envelopes and hashes, each an
/// envelope of this case, and the stored bytes of those it rewrapped last are the signed ones.
fn check_rewrap(
    bundle: &CaseBundle,
    e: &Event,
    body: &[amana_core::wire::RewrappedEnvelope],
    files: &[AgeFile],
) -> Result<(), String> {
    let detail = rewrap_records(e).ok_or("its detail does not list the rewrapped envelopes")?;
    let signed: Vec<(&str, &str)> =
        body.iter().map(|b| (b.envelope_id.as_str(), b.plaintext_sha256.as_str())).collect();
    let recorded: Vec<(&str, &str)> =
        detail.envelopes.iter().map(|r| (r.envelope_id.as_str(), r.plaintext_sha256.as_str())).collect();
    if signed != recorded || signed.is_empty() {
        return Err("it records other envelopes or hashes than the reviewer signed".into());
    }
    for item in body {
        let id = item.envelope_id.as_str();
        if !is_sha256_hex(&item.plaintext_sha256) || !bundle.envelopes.iter().any(|env| env.id == id) {
            return Err(format!(
                "names envelope {}, which is missing or has no valid hash",
                id.escape_debug()
            ));
        }
        if last_rewrap(bundle, id).is_some_and(|(seq, _)| seq == e.seq) {
            same_envelope(Some(&item.age_b64), Some(id), files)?;
        }
    }
    Ok(())
}

/// The stored envelope must be exactly the age file in the signed request.
fn same_envelope(
    signed_b64: Option<&str>,
    envelope_id: Option<&str>,
    files: &[AgeFile],
) -> Result<(), String> {
    match (signed_b64, envelope_id) {
        (None, None) => Ok(()),
        (Some(b64), Some(id)) => {
            let signed = B64.decode(b64).map_err(|_| "the signed age file is not base64".to_string())?;
            match files.iter().find(|f| f.id == id) {
                Some(f) if f.bytes == signed => Ok(()),
                _ => Err(format!("envelope {} is not the age file the reviewer signed", id.escape_debug())),
            }
        }
        _ => Err("the stored envelope and the signed request disagree on whether there is one".into()),
    }
}

/// The clear metadata must agree with the history.
fn check_metadata(b: &CaseBundle) -> Result<(), String> {
    let last = b.events.last().map(|e| e.status);
    if last != Some(b.status) {
        return Err(format!("the case says `{}` but its history ends in another status", b.status));
    }
    let of_kind = |k: EventKind| b.events.iter().filter(move |e| e.kind == k);
    if b.escalated != of_kind(EventKind::Escalated).next().is_some() {
        return Err("its escalation flag disagrees with its history".into());
    }
    let detail = |e: &Event, key: &str| {
        serde_json::from_str::<Value>(&e.detail).ok().and_then(|v| v.get(key)?.as_i64())
    };
    // Saturating: a hostile server must not make us overflow.
    let days = of_kind(EventKind::Extended).filter_map(|e| detail(e, "days")).fold(0i64, i64::saturating_add);
    if days != b.extension_days {
        return Err(format!("it says {} extension days, its history {days}", b.extension_days));
    }
    let rating = of_kind(EventKind::Rated).next_back().and_then(|e| detail(e, "rating"));
    if rating != b.rating.map(i64::from) {
        return Err("its rating disagrees with its history".into());
    }
    Ok(())
}

/// The dates the metadata shows must agree with the history, whose dates
/// `verify_bindings` tied to the reviewers' signatures: deadlines and indicators are
/// computed from them. The date of receipt is the submission's. The per-kind deadline
/// policy is the deployment's and not known here, but every policy gives at least one day
/// each: acknowledgement is due after receipt, and feedback at least one day plus the
/// extensions after the acknowledgement (or after the acknowledge-by date before one). When
/// an extension is the last event that set the deadlines, the feedback date is the one it
/// recorded (which the chain, and the head this home pins, keep from changing later).
fn check_dates(b: &CaseBundle) -> Result<(), String> {
    let received = b.events.first().map(|e| e.on).ok_or("it is empty")?;
    if b.received_on != received {
        return Err(format!("it says it was received on {}, its history on {received}", b.received_on));
    }
    let d = &b.deadlines;
    if d.acknowledge_by <= received {
        return Err(format!(
            "its acknowledge-by date {} is not after its receipt ({received})",
            d.acknowledge_by
        ));
    }
    let acknowledged = acknowledged_on(b);
    let from = acknowledged.unwrap_or(d.acknowledge_by);
    let days = b.extension_days.clamp(0, amana_core::deadlines::MAX_EXTENSION_DAYS) + 1;
    let least = from.checked_add(time::Duration::days(days)).unwrap_or(Date::MAX);
    if d.feedback_by < least {
        return Err(format!(
            "its feedback-by date {} is before the earliest its history allows ({least})",
            d.feedback_by
        ));
    }
    let last_setter = b.events.iter().rev().find(|e| {
        e.kind == EventKind::Extended
            || e.kind == EventKind::Transferred
            || (e.kind == EventKind::StatusChanged && e.status == Status::Acknowledged)
    });
    if let Some(e) = last_setter.filter(|e| e.kind == EventKind::Transferred) {
        return crate::custody_check::transfer_deadlines(e, d);
    }
    if let Some(e) = last_setter.filter(|e| e.kind == EventKind::Extended) {
        let recorded = serde_json::from_str::<Value>(&e.detail)
            .ok()
            .and_then(|v| v.get("feedback_by").and_then(Value::as_str).map(str::to_string));
        if recorded.is_some_and(|r| r != d.feedback_by.to_string()) {
            return Err(format!(
                "its feedback-by date {} is not the one its last extension (event {}) recorded",
                d.feedback_by, e.seq
            ));
        }
    }
    Ok(())
}

/// The date the case was first acknowledged, from its history (the event's `on`, which is
/// bounded by its reviewer's signature).
pub fn acknowledged_on(b: &CaseBundle) -> Option<Date> {
    b.events
        .iter()
        .find(|e| e.kind == EventKind::StatusChanged && e.status == Status::Acknowledged)
        .map(|e| e.on)
}

/// The date of receipt, from the history: the `submitted` event's `on` (`verify` refuses a
/// case whose `received_on` differs).
pub fn received_on(b: &CaseBundle) -> Date {
    b.events.first().map_or(b.received_on, |e| e.on)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, Kit, DEP};

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
        assert!(check(&b, &keys)
            .expect_err("ack by")
            .contains("acknowledge-by date 2027-01-15 is not after"));
        let mut b = worked_case(&kit);
        b.deadlines.feedback_by = testkit::ON;
        assert!(check(&b, &keys)
            .expect_err("feedback by")
            .contains("before the earliest its history allows"));
        // After an extension, the feedback date is the one it recorded.
        let mut b = worked_case(&kit);
        kit.extend(&mut b, 30, "x1");
        assert_eq!(check(&b, &keys), Ok(()));
        b.deadlines.feedback_by += time::Duration::days(100);
        let err = check(&b, &keys).expect_err("moved");
        assert!(err.contains("not the one its last extension (event 4) recorded"), "{err}");
    }
}
