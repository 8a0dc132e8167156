//! Each event against the request its reviewer signed, and the envelope it names.

use amana_core::case::Status;
use amana_core::events::{Event, EventKind, SignedAction};
use amana_core::payload::Part;
use amana_core::wire::{
    paths, CaseBundle, Extension, HoldRelease, LegalHold, ReplyUpload, RewrapRequest, StatusChange,
};
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::rewrap::{check_rewrap, last_rewrap};
use crate::cases::AgeFile;

/// A signed body as its current type. Bodies signed before head binding have no `head`
/// (`verify_bindings` has already decided whether this event may be one of them): it reads
/// as empty, and everything else in the body is checked the same.
pub(super) fn signed_body<T: DeserializeOwned>(body: &str) -> Result<T, String> {
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
pub(super) fn part_of(kind: EventKind) -> Option<Part> {
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
pub(super) fn check_event(
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
pub(super) fn check_signed(
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

/// The stored envelope must be exactly the age file in the signed request.
pub(super) fn same_envelope(
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
