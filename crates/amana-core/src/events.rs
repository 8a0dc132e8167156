//! The tamper-evident case history (DESIGN.md invariant 9).
//!
//! Each event's hash covers its content and the previous event's hash, so rewriting any
//! entry changes every later hash. Reviewer events also carry the signed request that
//! caused them, so even a server that recomputes the chain cannot forge a reviewer action.
//! `amana-review` remembers the last verified head of each case and refuses a history that
//! does not extend it.
//!
//! `hash = hex SHA-256(length-prefixed fields)` with the fields, in order:
//! `amana-event-v1`, case id, seq (decimal), date (`YYYY-MM-DD`), kind, status,
//! actor (or empty), detail (JSON text as stored), signed request (JSON text or empty),
//! previous hash (64 zeros for the first event).

use ring::digest;
use serde::{Deserialize, Serialize};
use time::Date;

use crate::case::Status;
use crate::signing::{self, RequestParts};

/// The previous hash of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The reporter submitted the case.
    Submitted,
    /// The reporter added information.
    FollowUp,
    /// A reviewer replied to the reporter.
    Reply,
    /// A reviewer changed the status.
    StatusChanged,
    /// A reviewer extended the feedback deadline.
    Extended,
    /// The server escalated an overdue case to oversight.
    Escalated,
    /// The reporter rated the handling of a closed case.
    Rated,
    /// A reviewer re-encrypted envelopes of the case to the current recipients; the detail
    /// lists each envelope with the SHA-256 of its (unchanged) plaintext.
    Rewrapped,
    /// A kind a newer release made: readers say "upgrade", never "tampered".
    #[serde(other)]
    Unknown,
}

impl EventKind {
    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Submitted => "submitted",
            EventKind::FollowUp => "follow_up",
            EventKind::Reply => "reply",
            EventKind::StatusChanged => "status_changed",
            EventKind::Extended => "extended",
            EventKind::Escalated => "escalated",
            EventKind::Rated => "rated",
            EventKind::Rewrapped => "rewrapped",
            EventKind::Unknown => "unknown",
        }
    }

    /// Whether a reviewer's signature must accompany this event.
    pub fn is_reviewer_action(self) -> bool {
        matches!(
            self,
            EventKind::Reply | EventKind::StatusChanged | EventKind::Extended | EventKind::Rewrapped
        )
    }
}

/// The reviewer's signed request that caused an event, kept so anyone can re-verify it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedAction {
    pub key_id: String,
    pub timestamp: i64,
    pub nonce: String,
    pub signature: String,
    pub method: String,
    pub path: String,
    /// The exact request body (UTF-8 JSON).
    pub body: String,
}

impl SignedAction {
    /// Verifies the signature with the reviewer's raw Ed25519 public key. Freshness is not
    /// checked: history is verified long after the fact.
    pub fn verify(&self, deployment_id: &str, public_key: &[u8]) -> Result<(), signing::SignatureError> {
        let parts = RequestParts {
            deployment_id,
            key_id: &self.key_id,
            method: &self.method,
            path_and_query: &self.path,
            body: self.body.as_bytes(),
            timestamp: self.timestamp,
            nonce: &self.nonce,
        };
        signing::verify(public_key, &parts, &self.signature, self.timestamp, 0)
    }
}

/// One entry of a case's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub seq: i64,
    pub on: Date,
    pub kind: EventKind,
    /// The case status after this event.
    pub status: Status,
    /// Reviewer key id for reviewer actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// Kind-specific facts as JSON text, e.g. `{"envelope_id":"…"}` or `{"days":30}`.
    pub detail: String,
    /// The signed request, as JSON text, for reviewer actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

fn push_field(out: &mut Vec<u8>, f: &[u8]) {
    out.extend_from_slice(f.len().to_string().as_bytes());
    out.push(b':');
    out.extend_from_slice(f);
    out.push(b'\n');
}

/// Computes the hash an event must carry.
pub fn compute_hash(case_id: &str, e: &Event) -> String {
    let date = format!("{:04}-{:02}-{:02}", e.on.year(), u8::from(e.on.month()), e.on.day());
    let mut buf = Vec::with_capacity(256 + e.detail.len());
    for f in [
        "amana-event-v1",
        case_id,
        &e.seq.to_string(),
        &date,
        e.kind.as_str(),
        e.status.as_str(),
        e.actor.as_deref().unwrap_or(""),
        &e.detail,
        e.signed.as_deref().unwrap_or(""),
        &e.prev_hash,
    ] {
        push_field(&mut buf, f.as_bytes());
    }
    hex::encode(digest::digest(&digest::SHA256, &buf))
}

/// Who signs an event that no reviewer makes (docs/FORMATS.md §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Attester {
    /// The server's attestation key (named in the signed roster): submissions, escalations.
    Server,
    /// The reporter's signing key, derived from their code (its public key is committed in
    /// the attested submission): follow-ups, ratings.
    Reporter,
}

impl Attester {
    fn context(self) -> &'static str {
        match self {
            Attester::Server => "amana-attest-v1",
            Attester::Reporter => "amana-reporter-v1",
        }
    }

    /// Who must sign an event of `kind`, if it is not a reviewer action.
    pub fn of(kind: EventKind) -> Option<Self> {
        match kind {
            EventKind::Submitted | EventKind::Escalated => Some(Attester::Server),
            EventKind::FollowUp | EventKind::Rated => Some(Attester::Reporter),
            _ => None,
        }
    }
}

/// The `signed` field of an attested (non-reviewer) event, as JSON text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attestation {
    pub by: Attester,
    /// Base64 Ed25519 signature over [`attestation_message`].
    pub signature: String,
}

/// The bytes an attestation covers: the event's place in its chain and its content —
/// everything but the signature and the hash — under a context per signer, so a signature
/// cannot be moved to another case, position or kind.
pub fn attestation_message(by: Attester, deployment_id: &str, case_id: &str, e: &Event) -> Vec<u8> {
    let date = format!("{:04}-{:02}-{:02}", e.on.year(), u8::from(e.on.month()), e.on.day());
    let mut buf = Vec::with_capacity(256 + e.detail.len());
    for f in [
        by.context(),
        deployment_id,
        case_id,
        &e.seq.to_string(),
        &date,
        e.kind.as_str(),
        e.status.as_str(),
        &e.detail,
        &e.prev_hash,
    ] {
        push_field(&mut buf, f.as_bytes());
    }
    buf
}

/// Signs `e` (whose `signed` and `hash` are not yet set) as `by`; returns the JSON text
/// for its `signed` field.
pub fn attest(
    by: Attester,
    key: &ring::signature::Ed25519KeyPair,
    deployment_id: &str,
    case_id: &str,
    e: &Event,
) -> String {
    use base64::{engine::general_purpose::STANDARD as B64, Engine};
    let signature = B64.encode(key.sign(&attestation_message(by, deployment_id, case_id, e)).as_ref());
    serde_json::to_string(&Attestation { by, signature }).unwrap_or_default()
}

/// Checks an attested event's signature with the raw public key of `by`.
pub fn verify_attestation(
    deployment_id: &str,
    case_id: &str,
    e: &Event,
    by: Attester,
    public_key: &[u8],
) -> Result<(), String> {
    use base64::{engine::general_purpose::STANDARD as B64, Engine};
    let text = e.signed.as_deref().ok_or("it is not attested")?;
    let a: Attestation =
        serde_json::from_str(text).map_err(|_| "its attestation is unreadable".to_string())?;
    if a.by != by {
        return Err(format!("it is attested by the {:?} where the {by:?} must sign it", a.by).to_lowercase());
    }
    let sig = B64.decode(&a.signature).map_err(|_| "its attestation is not base64".to_string())?;
    ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, public_key)
        .verify(&attestation_message(by, deployment_id, case_id, e), &sig)
        .map_err(|_| "its attestation does not verify (altered, moved, or signed by another key)".to_string())
}

/// Why a history does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("event {seq}: sequence number out of order")]
    Sequence { seq: i64 },
    #[error("event {seq}: does not link to the previous event")]
    Link { seq: i64 },
    #[error("event {seq}: hash does not match its content (history was altered)")]
    Hash { seq: i64 },
    #[error("event {seq}: reviewer action without a valid signature ({why})")]
    Signature { seq: i64, why: String },
    #[error("the history no longer contains the last verified event {seq} (history was rewritten)")]
    NotExtending { seq: i64 },
}

/// Verifies links and hashes of a whole history, and every reviewer signature through
/// `key_for(key_id)` (raw public key), returning the head hash.
pub fn verify_chain(
    case_id: &str,
    deployment_id: &str,
    events: &[Event],
    key_for: &dyn Fn(&str) -> Option<Vec<u8>>,
) -> Result<String, ChainError> {
    let mut prev = GENESIS.to_string();
    for (i, e) in events.iter().enumerate() {
        if e.seq != i as i64 {
            return Err(ChainError::Sequence { seq: e.seq });
        }
        if e.prev_hash != prev {
            return Err(ChainError::Link { seq: e.seq });
        }
        if compute_hash(case_id, e) != e.hash {
            return Err(ChainError::Hash { seq: e.seq });
        }
        if e.kind.is_reviewer_action() {
            verify_signed(deployment_id, e, key_for)?;
        }
        prev = e.hash.clone();
    }
    Ok(prev)
}

fn verify_signed(
    deployment_id: &str,
    e: &Event,
    key_for: &dyn Fn(&str) -> Option<Vec<u8>>,
) -> Result<(), ChainError> {
    let fail = |why: &str| ChainError::Signature { seq: e.seq, why: why.to_string() };
    let signed: SignedAction = serde_json::from_str(e.signed.as_deref().ok_or_else(|| fail("missing"))?)
        .map_err(|_| fail("unreadable"))?;
    if e.actor.as_deref() != Some(signed.key_id.as_str()) {
        return Err(fail("signer is not the recorded actor"));
    }
    let key = key_for(&signed.key_id).ok_or_else(|| fail("unknown key"))?;
    signed.verify(deployment_id, &key).map_err(|err| fail(&err.to_string()))
}

/// Checks that `events` extends a previously verified head `(seq, hash)`.
pub fn extends(events: &[Event], head_seq: i64, head_hash: &str) -> Result<(), ChainError> {
    match usize::try_from(head_seq).ok().and_then(|i| events.get(i)) {
        Some(e) if e.hash == head_hash => Ok(()),
        _ => Err(ChainError::NotExtending { seq: head_seq }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<Event> {
        let mut prev = GENESIS.to_string();
        (0..n)
            .map(|seq| {
                let mut e = Event {
                    seq,
                    on: time::macros::date!(2026 - 11 - 23),
                    kind: if seq == 0 { EventKind::Submitted } else { EventKind::Escalated },
                    status: Status::Received,
                    actor: None,
                    detail: "{}".into(),
                    signed: None,
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                e.hash = compute_hash("case1", &e);
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    #[test]
    fn valid_chain_verifies_and_tampering_is_caught() {
        let events = chain(3);
        let none = |_: &str| None;
        let head = verify_chain("case1", "dep", &events, &none).expect("valid");
        assert_eq!(head, events[2].hash);
        let mut altered = events.clone();
        altered[1].detail = "{\"x\":1}".into();
        assert_eq!(verify_chain("case1", "dep", &altered, &none), Err(ChainError::Hash { seq: 1 }));
        assert!(verify_chain("other", "dep", &events, &none).is_err());
        // Recomputing the whole chain after a rewrite is caught by the remembered head.
        let mut rewritten = chain(3);
        rewritten[1].on = time::macros::date!(2026 - 11 - 24);
        let mut prev = rewritten[0].hash.clone();
        for e in rewritten.iter_mut().skip(1) {
            e.prev_hash = prev.clone();
            e.hash = compute_hash("case1", e);
            prev = e.hash.clone();
        }
        assert!(verify_chain("case1", "dep", &rewritten, &none).is_ok());
        assert!(extends(&rewritten, 2, &events[2].hash).is_err());
        assert!(extends(&events, 2, &events[2].hash).is_ok());
    }

    #[test]
    fn reviewer_events_need_signatures() {
        let mut events = chain(1);
        let mut e = Event {
            seq: 1,
            on: time::macros::date!(2026 - 11 - 23),
            kind: EventKind::StatusChanged,
            status: Status::Acknowledged,
            actor: Some("alice".into()),
            detail: "{}".into(),
            signed: None,
            prev_hash: events[0].hash.clone(),
            hash: String::new(),
        };
        e.hash = compute_hash("case1", &e);
        events.push(e);
        let none = |_: &str| None;
        assert!(matches!(
            verify_chain("case1", "dep", &events, &none),
            Err(ChainError::Signature { seq: 1, .. })
        ));
    }
}
