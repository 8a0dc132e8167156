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

use amana_core::custody::{self, Custody};
use amana_core::events::{self, Event, EventKind, SignedAction};
use amana_core::wire::CaseBundle;

mod dates;
mod event;
mod rewrap;
#[cfg(test)]
mod tests;

pub use dates::{acknowledged_on, received_on};
use dates::{check_dates, check_metadata};
use event::check_event;
pub use rewrap::last_rewrap;

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
