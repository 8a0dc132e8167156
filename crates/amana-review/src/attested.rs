//! Events no reviewer makes, checked against who must have signed them (docs/FORMATS.md §9):
//! submissions and escalations by the server's attestation key (named in the signed roster),
//! follow-ups and ratings by the reporter's code-derived key (whose public half the attested
//! submission commits). So a database writer or a carrier can neither invent such an event
//! nor move one to another case or place. The attested submission also binds what decides
//! who reads the case — kind, agency, "oversight only" — and the reporter's reply recipient:
//! the case's clear metadata must say the same.
//!
//! Events made before the server attested anything have no signature. They are accepted only
//! where this home verified them before, or where the roster vouches for a later head of the
//! same chain (`roster-sign --vouch-from`, taken from an oversight home); anything else is
//! refused, since an unsigned event is exactly what a forger would produce.

use amana_core::events::{self, Attester, Event};
use amana_core::wire::CaseBundle;
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use serde_json::Value;

use crate::history::Signers;

/// Checks every attested event of `bundle` and the metadata its submission binds.
pub fn check(bundle: &CaseBundle, deployment_id: &str, signers: &Signers<'_>) -> Result<(), String> {
    let Some(submitted) = bundle.events.first() else { return Err("it is empty".into()) };
    let detail: Value =
        serde_json::from_str(&submitted.detail).map_err(|_| "its submission is unreadable")?;
    let reporter_key = detail.get("reporter_key").and_then(Value::as_str).filter(|k| !k.is_empty());
    if submitted.signed.is_some() {
        check_binding(bundle, submitted, &detail)?;
    }
    let server_key =
        signers.roster.attestation_public_key().ok_or("the roster's attestation key is malformed")?;
    for e in &bundle.events {
        let Some(by) = Attester::of(e.kind) else { continue };
        if e.signed.is_none() {
            if vouched_or_verified(bundle, e, signers) {
                continue;
            }
            return Err(format!(
                "event {} ({}) carries no attestation: it was made before the server attested events, \
                 or forged; this home never verified it and the roster does not vouch for it",
                e.seq,
                e.kind.as_str()
            ));
        }
        let key = match by {
            Attester::Server => server_key.to_vec(),
            Attester::Reporter => {
                let k = reporter_key
                    .ok_or("a reporter's event is signed, but the submission commits no reporter key")?;
                B64.decode(k).map_err(|_| "the committed reporter key is not base64")?
            }
        };
        events::verify_attestation(deployment_id, &bundle.id, e, by, &key)
            .map_err(|why| format!("event {} ({}): {why}", e.seq, e.kind.as_str()))?;
    }
    crate::evidence::check(bundle)
}

/// An unattested event this home verified before, or under a head the roster vouches for.
fn vouched_or_verified(bundle: &CaseBundle, e: &Event, signers: &Signers<'_>) -> bool {
    signers.verified_through.is_some_and(|h| e.seq <= h)
        || bundle.events[usize::try_from(e.seq).unwrap_or(usize::MAX).min(bundle.events.len())..]
            .iter()
            .any(|later| signers.roster.vouched_heads.contains(&later.hash))
}

/// The case's clear metadata must be what the attested submission says.
fn check_binding(bundle: &CaseBundle, submitted: &Event, d: &Value) -> Result<(), String> {
    let text = |k: &str| d.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let differs = |what: &str| Err(format!("its {what} is not the one its attested submission records"));
    if text("kind") != bundle.kind.as_str() {
        return differs("kind");
    }
    // The submission's agency, or the one the last signed transfer moved the case to.
    if crate::readers::custody_of(bundle).agency != bundle.agency || text("agency").is_empty() {
        return differs("agency");
    }
    if d.get("oversight_only").and_then(Value::as_bool) != Some(bundle.oversight_only) {
        return differs("\"oversight only\" flag");
    }
    if text("reporter_recipient") != bundle.reporter_recipient {
        return differs("reporter recipient");
    }
    if submitted.on != bundle.received_on {
        return differs("date of receipt");
    }
    Ok(())
}

/// The commitment an event records for the envelope it stored, if any.
pub fn commitment_of(bundle: &CaseBundle, envelope_id: &str) -> Option<String> {
    bundle.events.iter().find_map(|e| {
        let d: Value = serde_json::from_str(&e.detail).ok()?;
        (d.get("envelope_id")?.as_str()? == envelope_id)
            .then(|| d.get("commitment")?.as_str().map(str::to_string))?
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, Kit};
    use amana_core::case::Status;
    use amana_core::events::EventKind;
    use serde_json::json;

    fn check_with(b: &CaseBundle, verified_through: Option<i64>) -> Result<(), String> {
        let roster = testkit::roster(1, &[]);
        check(b, testkit::DEP, &Signers { roster: &roster, verified_through })
    }

    #[test]
    fn genuine_attestations_verify() {
        let mut b = Kit::new("alice").bundle("c1");
        testkit::add_envelope(&mut b, "f1", amana_core::payload::Part::FollowUp);
        testkit::push(&mut b, EventKind::FollowUp, Status::Received, json!({ "envelope_id": "f1" }), None);
        assert_eq!(check_with(&b, None), Ok(()));
    }

    #[test]
    fn a_database_writer_cannot_swap_bound_metadata_or_invent_events() {
        let kit = Kit::new("alice");
        let attacker = age::x25519::Identity::generate().to_public().to_string();
        // The reporter's recipient swapped (replies would open with the attacker's key).
        let mut b = kit.bundle("c1");
        b.reporter_recipient = attacker;
        assert!(check_with(&b, None).is_err_and(|e| e.contains("reporter recipient")));
        // The "oversight only" flag or the agency changed (a wider set of readers).
        let mut b = kit.bundle("c1");
        b.agency = "transport".into();
        assert!(check_with(&b, None).is_err_and(|e| e.contains("agency")));
        // A follow-up inserted without the reporter's key, and one signed by another key.
        let mut b = kit.bundle("c1");
        testkit::add_envelope(&mut b, "f1", amana_core::payload::Part::FollowUp);
        let unsigned = json!({ "envelope_id": "f1" });
        testkit::push(
            &mut b,
            EventKind::FollowUp,
            Status::Received,
            unsigned,
            Some((String::new(), String::new())),
        );
        let last = b.events.len() - 1;
        b.events[last].signed = None;
        b.events[last].actor = None;
        testkit::rehash(&mut b);
        assert!(check_with(&b, None).is_err_and(|e| e.contains("no attestation")));
        // ... which a home that verified it before (a pre-upgrade event) keeps.
        assert_eq!(check_with(&b, Some(1)), Ok(()));
        let mut forged = b.clone();
        let fake = amana_core::events::attest(
            amana_core::events::Attester::Reporter,
            &testkit::server_key(),
            testkit::DEP,
            "c1",
            &forged.events[last],
        );
        forged.events[last].signed = Some(fake);
        assert!(check_with(&forged, None).is_err_and(|e| e.contains("does not verify")));
        // An escalation moved from another case.
        let mut other = kit.bundle("c2");
        testkit::push(&mut other, EventKind::Escalated, Status::Received, json!({}), None);
        let mut b = kit.bundle("c1");
        testkit::push(&mut b, EventKind::Escalated, Status::Received, json!({}), None);
        b.events[1].signed = other.events[1].signed.clone();
        assert!(check_with(&b, None).is_err_and(|e| e.contains("does not verify")));
    }
}
