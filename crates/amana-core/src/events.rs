//! The tamper-evident case history (SECURITY.md invariant 9).
//!
//! Each event's hash covers its content and the previous event's hash, so rewriting any
//! entry changes every later hash. Reviewer events also carry the signed request that
//! caused them, so even a server that recomputes the chain cannot forge a reviewer action.
//! `amana-review` remembers the last verified head of each case and refuses a history that
//! does not extend it.
//!
//! [`verify_bindings`] ties each reviewer signature to its place in the chain: the signed
//! body names a head (an earlier event of the same chain), each nonce appears once, and the
//! event's date lies within [`MAX_SIGNATURE_AGE_HOURS`] of the signed timestamp. Dates
//! never go back along a chain.
//!
//! `hash = hex SHA-256(length-prefixed fields)` with the fields, in order:
//! `amana-event-v1`, case id, seq (decimal), date (`YYYY-MM-DD`), kind, status,
//! actor (or empty), detail (JSON text as stored), signed request (JSON text or empty),
//! previous hash (64 zeros for the first event).

use std::collections::{HashMap, HashSet};

use ring::digest;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::case::Status;
use crate::signing::{self, RequestParts};
use crate::wire::SignedHead;

/// The latest an event may be dated after its reviewer signed the request that caused it:
/// the event's UTC date must lie between the date of the signed timestamp and the date
/// 72 hours later. Fixed here, not taken from the server's freshness window
/// (`--signature-window-hours`), so a server cannot widen it: re-dating an action (and so
/// the deadlines and indicators computed from its date) is bounded by it.
pub const MAX_SIGNATURE_AGE_HOURS: i64 = 72;

/// The UTC dates an event caused by a request signed at `timestamp` may carry (first and
/// last, inclusive); `None` for a timestamp outside the representable range.
pub fn signed_dates(timestamp: i64) -> Option<(Date, Date)> {
    let signed = OffsetDateTime::from_unix_timestamp(timestamp).ok()?;
    let latest = signed.checked_add(time::Duration::hours(MAX_SIGNATURE_AGE_HOURS))?;
    Some((signed.date(), latest.date()))
}

/// Whether an event dated `on` may carry a request signed at `timestamp`.
pub fn dated_within(on: Date, timestamp: i64) -> bool {
    signed_dates(timestamp).is_some_and(|(first, last)| first <= on && on <= last)
}

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
    /// Oversight put the case on legal hold: retention purge skips it until released. The
    /// detail names the reason's note envelope and the review date (in clear).
    Held,
    /// Oversight released the legal hold.
    Released,
    /// Oversight moved the case to another agency and re-encrypted it to that agency's
    /// readers (`custody::TransferDetail`).
    Transferred,
    /// Oversight excluded a reviewer from the case and re-encrypted it without them
    /// (`custody::ExcludeDetail`).
    Excluded,
    /// A reviewer took the case or handed it to another reader (`custody::AssignDetail`).
    Assigned,
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
            EventKind::Held => "held",
            EventKind::Released => "released",
            EventKind::Transferred => "transferred",
            EventKind::Excluded => "excluded",
            EventKind::Assigned => "assigned",
            EventKind::Unknown => "unknown",
        }
    }

    /// Whether a reviewer's signature must accompany this event.
    pub fn is_reviewer_action(self) -> bool {
        matches!(
            self,
            EventKind::Reply
                | EventKind::StatusChanged
                | EventKind::Extended
                | EventKind::Rewrapped
                | EventKind::Held
                | EventKind::Released
                | EventKind::Transferred
                | EventKind::Excluded
                | EventKind::Assigned
        )
    }

    /// Whether only an oversight key may make this event (the server answers 403 to any
    /// other key, and every home refuses the event signed by one).
    pub fn is_oversight_action(self) -> bool {
        matches!(self, EventKind::Rewrapped | EventKind::Held | EventKind::Released)
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

/// An event's date as hashed and signed: `YYYY-MM-DD`.
fn date_text(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Computes the hash an event must carry.
pub fn compute_hash(case_id: &str, e: &Event) -> String {
    let date = date_text(e.on);
    let seq = e.seq.to_string();
    let fields = [
        "amana-event-v1",
        case_id,
        &seq,
        &date,
        e.kind.as_str(),
        e.status.as_str(),
        e.actor.as_deref().unwrap_or(""),
        &e.detail,
        e.signed.as_deref().unwrap_or(""),
        &e.prev_hash,
    ]
    .map(str::as_bytes);
    hex::encode(digest::digest(&digest::SHA256, &signing::length_prefixed(&fields)))
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
    let date = date_text(e.on);
    let seq = e.seq.to_string();
    let fields = [
        by.context(),
        deployment_id,
        case_id,
        &seq,
        &date,
        e.kind.as_str(),
        e.status.as_str(),
        &e.detail,
        &e.prev_hash,
    ]
    .map(str::as_bytes);
    signing::length_prefixed(&fields)
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
    #[error("event {seq}: dated {on}, before the event before it ({before}); dates never go back")]
    DateBackwards { seq: i64, on: Date, before: Date },
    #[error(
        "event {seq}: dated {on}, but its reviewer signed it on {signed_on}; an action is dated \
         at most {MAX_SIGNATURE_AGE_HOURS} h after signing (the event was re-dated)"
    )]
    Redated { seq: i64, on: Date, signed_on: String },
    #[error("event {seq}: repeats the signed request of event {first} (same nonce: a replayed request)")]
    NonceReused { seq: i64, first: i64 },
    #[error(
        "event {seq}: signed against another history: the head its reviewer verified is not an \
         earlier event of this case (a genuine request re-attached to a rebuilt or other case)"
    )]
    ForeignHead { seq: i64 },
    #[error(
        "event {seq}: signed by an older amana-review (its request names no history head), yet \
         it follows actions bound to this history, which no server accepts: it was re-attached"
    )]
    Unbound { seq: i64 },
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

/// Checks what binds each reviewer signature to its place in `events` (already verified by
/// [`verify_chain`]), and the dates of every event:
///
/// * dates never go back along the chain (for every kind of event);
/// * a reviewer event is dated within [`signed_dates`] of its signed timestamp;
/// * each signed request (nonce) appears at most once;
/// * the head its signed body names is the hash of an event of this chain with a smaller
///   seq ([`SignedHead::Bound`]). A body without a head ([`SignedHead::Unbound`], signed
///   before head binding existed) is accepted only before the first head-bound event: a
///   server that requires heads never appends one after it, and histories made before the
///   upgrade still verify (they are protected by the heads a home pinned, not by this).
pub fn verify_bindings(events: &[Event]) -> Result<(), ChainError> {
    // Hashes of the events before the one being checked: a head must be one of them.
    let mut earlier: HashSet<&str> = HashSet::new();
    let mut nonces: HashMap<String, i64> = HashMap::new();
    let mut bound_seen = false;
    let mut before: Option<Date> = None;
    for e in events {
        if let Some(before) = before.filter(|b| e.on < *b) {
            return Err(ChainError::DateBackwards { seq: e.seq, on: e.on, before });
        }
        before = Some(e.on);
        if e.kind.is_reviewer_action() {
            let fail = |why: &str| ChainError::Signature { seq: e.seq, why: why.to_string() };
            let signed: SignedAction =
                serde_json::from_str(e.signed.as_deref().ok_or_else(|| fail("missing"))?)
                    .map_err(|_| fail("unreadable"))?;
            if let Some(first) = nonces.insert(signed.nonce.clone(), e.seq) {
                return Err(ChainError::NonceReused { seq: e.seq, first });
            }
            if !dated_within(e.on, signed.timestamp) {
                let signed_on = signed_dates(signed.timestamp)
                    .map_or_else(|| "an impossible date".to_string(), |(d, _)| d.to_string());
                return Err(ChainError::Redated { seq: e.seq, on: e.on, signed_on });
            }
            match SignedHead::of_body(signed.body.as_bytes()) {
                Some(SignedHead::Bound(head)) if earlier.contains(head.as_str()) => bound_seen = true,
                Some(SignedHead::Bound(_)) => return Err(ChainError::ForeignHead { seq: e.seq }),
                Some(SignedHead::Unbound) if bound_seen => return Err(ChainError::Unbound { seq: e.seq }),
                Some(SignedHead::Unbound) => {}
                None => return Err(fail("its signed body is not a JSON request")),
            }
        }
        earlier.insert(&e.hash);
    }
    Ok(())
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

    /// A reviewer event for `verify_bindings` (which does not check signatures: that is
    /// `verify_chain`'s job), with a hand-set hash so the order of hashes can be anything.
    fn action(seq: i64, on: Date, ts: i64, nonce: &str, body: &str, hash: &str) -> Event {
        let signed = SignedAction {
            key_id: "alice".into(),
            timestamp: ts,
            nonce: nonce.into(),
            signature: "c2ln".into(),
            method: "POST".into(),
            path: "/api/v1/review/cases/case1/status".into(),
            body: body.into(),
        };
        Event {
            seq,
            on,
            kind: EventKind::StatusChanged,
            status: Status::Acknowledged,
            actor: Some("alice".into()),
            detail: "{}".into(),
            signed: Some(serde_json::to_string(&signed).expect("json")),
            prev_hash: String::new(),
            hash: hash.into(),
        }
    }

    fn submitted(on: Date, hash: &str) -> Event {
        Event { on, hash: hash.into(), ..chain(1).remove(0) }
    }

    /// 2026-11-23T10:00:00Z.
    const TS: i64 = 1_795_428_000;
    const ON: Date = time::macros::date!(2026 - 11 - 23);

    fn bound(head: &str) -> String {
        format!(r#"{{"status":"acknowledged","head":"{head}"}}"#)
    }

    #[test]
    fn signed_dates_span_the_fixed_bound() {
        assert_eq!(signed_dates(TS), Some((ON, time::macros::date!(2026 - 11 - 26))));
        assert!(dated_within(ON, TS) && dated_within(time::macros::date!(2026 - 11 - 26), TS));
        assert!(!dated_within(time::macros::date!(2026 - 11 - 22), TS), "before the signature");
        assert!(!dated_within(time::macros::date!(2026 - 11 - 27), TS), "more than 72 h after");
        assert!(!dated_within(ON, i64::MAX) && signed_dates(i64::MIN).is_none());
    }

    #[test]
    fn bound_histories_verify() {
        let n = |c: char| c.to_string().repeat(32);
        let events = vec![
            submitted(ON, "h0"),
            action(1, ON, TS, &n('a'), &bound("h0"), "h1"),
            // Two actions queued offline name the same verified head.
            action(2, ON, TS, &n('b'), &bound("h0"), "h2"),
            action(3, ON.next_day().expect("day"), TS, &n('c'), &bound("h2"), "h3"),
        ];
        assert_eq!(verify_bindings(&events), Ok(()));
    }

    #[test]
    fn heads_must_name_an_earlier_event_of_the_same_chain() {
        let n = |c: char| c.to_string().repeat(32);
        // A head from a later seq.
        let later = vec![
            submitted(ON, "h0"),
            action(1, ON, TS, &n('a'), &bound("h2"), "h1"),
            action(2, ON, TS, &n('b'), &bound("h0"), "h2"),
        ];
        assert_eq!(verify_bindings(&later), Err(ChainError::ForeignHead { seq: 1 }));
        // A head of another (or the original, before a rebuild) chain.
        let other = vec![submitted(ON, "h0"), action(1, ON, TS, &n('a'), &bound("elsewhere"), "h1")];
        assert_eq!(verify_bindings(&other), Err(ChainError::ForeignHead { seq: 1 }));
        // Its own hash is not earlier either.
        let own = vec![submitted(ON, "h0"), action(1, ON, TS, &n('a'), &bound("h1"), "h1")];
        assert_eq!(verify_bindings(&own), Err(ChainError::ForeignHead { seq: 1 }));
    }

    #[test]
    fn head_less_bodies_only_before_the_first_bound_one() {
        let n = |c: char| c.to_string().repeat(32);
        let legacy = r#"{"status":"acknowledged"}"#;
        let before = vec![
            submitted(ON, "h0"),
            action(1, ON, TS, &n('a'), legacy, "h1"),
            action(2, ON, TS, &n('b'), "[]", "h2"),
            action(3, ON, TS, &n('c'), &bound("h2"), "h3"),
        ];
        assert_eq!(verify_bindings(&before), Ok(()));
        let after = vec![
            submitted(ON, "h0"),
            action(1, ON, TS, &n('a'), &bound("h0"), "h1"),
            action(2, ON, TS, &n('b'), legacy, "h2"),
        ];
        assert_eq!(verify_bindings(&after), Err(ChainError::Unbound { seq: 2 }));
        assert!(ChainError::Unbound { seq: 2 }.to_string().contains("signed by an older amana-review"));
        let junk = vec![submitted(ON, "h0"), action(1, ON, TS, &n('a'), "not json", "h1")];
        assert!(matches!(verify_bindings(&junk), Err(ChainError::Signature { seq: 1, .. })));
    }

    #[test]
    fn each_nonce_once() {
        let nonce = "d".repeat(32);
        let events = vec![
            submitted(ON, "h0"),
            action(1, ON, TS, &nonce, &bound("h0"), "h1"),
            action(2, ON, TS, &nonce, &bound("h1"), "h2"),
        ];
        assert_eq!(verify_bindings(&events), Err(ChainError::NonceReused { seq: 2, first: 1 }));
    }

    #[test]
    fn events_are_dated_near_their_signature_and_never_back() {
        let n = |c: char| c.to_string().repeat(32);
        let redated = |on: Date| vec![submitted(ON, "h0"), action(1, on, TS, &n('a'), &bound("h0"), "h1")];
        // Re-dated 40 days later (the indicators would show 40 days to acknowledge).
        let late = ON + time::Duration::days(40);
        let err = verify_bindings(&redated(late)).expect_err("late");
        assert_eq!(err, ChainError::Redated { seq: 1, on: late, signed_on: "2026-11-23".into() });
        assert!(err.to_string().contains("at most 72 h after signing"), "{err}");
        // Dated before it was signed.
        let early = vec![
            submitted(ON.previous_day().expect("day"), "h0"),
            action(1, ON.previous_day().expect("day"), TS, &n('a'), &bound("h0"), "h1"),
        ];
        assert!(matches!(verify_bindings(&early), Err(ChainError::Redated { seq: 1, .. })));
        // Three days later is within the bound.
        assert_eq!(verify_bindings(&redated(ON + time::Duration::days(3))), Ok(()));
        // Any kind of event: the date never goes back.
        let back = vec![
            submitted(ON, "h0"),
            action(1, ON.next_day().expect("day"), TS, &n('a'), &bound("h0"), "h1"),
            Event { seq: 2, kind: EventKind::Escalated, actor: None, signed: None, ..submitted(ON, "h2") },
        ];
        assert_eq!(
            verify_bindings(&back),
            Err(ChainError::DateBackwards { seq: 2, on: ON, before: ON.next_day().expect("day") })
        );
    }
}
