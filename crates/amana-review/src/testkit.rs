//! Test fixtures: cases with a real hash chain and reviewer events signed the way the server
//! records them.

use amana_core::case::{Kind, Status};
use amana_core::deadlines::{self, DeadlinePolicy};
use amana_core::events::{self, Event, EventKind, SignedAction};
use amana_core::payload::Part;
use amana_core::signing::{self, RequestParts};
use amana_core::wire::{
    paths, CaseBundle, EnvelopeWire, Extension, ReplyUpload, ReviewerKeyWire, RewrapRequest,
    RewrappedEnvelope, StatusChange,
};
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde_json::{json, Value};
use time::macros::date;
use time::Date;

/// The deployment of every fixture.
pub const DEP: &str = "dep";
/// The date of every fixture event: the UTC date of [`SIGNED_AT`], as the server dates an
/// action it receives the day it was signed.
pub const ON: Date = date!(2027 - 01 - 15);
/// The signed timestamp of every fixture action: 2027-01-15T08:00:00Z.
pub const SIGNED_AT: i64 = 1_800_000_000;

/// A reviewer that signs fixture events.
pub struct Kit {
    key: Ed25519KeyPair,
    pub key_id: String,
}

impl Kit {
    pub fn new(key_id: &str) -> Self {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).expect("gen");
        Self { key: Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("key"), key_id: key_id.into() }
    }

    pub fn wire(&self) -> ReviewerKeyWire {
        ReviewerKeyWire {
            key_id: self.key_id.clone(),
            ed25519_public_key: B64.encode(self.key.public_key().as_ref()),
            revoked_on: None,
        }
    }

    /// A received case with its report envelope and `submitted` event.
    pub fn bundle(&self, id: &str) -> CaseBundle {
        let k = DeadlinePolicy::default().for_kind(Kind::Violation);
        let mut b = CaseBundle {
            id: id.into(),
            kind: Kind::Violation,
            agency: "health".into(),
            oversight_only: false,
            status: Status::Received,
            received_on: ON,
            deadlines: deadlines::compute(k, ON, None, 0),
            escalated: false,
            extension_days: 0,
            rating: None,
            reporter_recipient: String::new(),
            recipients: vec![],
            envelopes: vec![],
            attachments: vec![],
            events: vec![],
        };
        add_envelope(&mut b, "rep", Part::Report);
        push(&mut b, EventKind::Submitted, Status::Received, json!({ "envelope_id": "rep" }), None);
        b
    }

    /// A signed status change.
    pub fn status(&self, b: &mut CaseBundle, status: Status) {
        let from = b.status;
        let body =
            serde_json::to_string(&StatusChange { status, note_age_b64: None, head: head(b) }).expect("json");
        let signed = self.signed(&paths::status(&b.id), body);
        push(b, EventKind::StatusChanged, status, json!({ "from": from, "envelope_id": null }), Some(signed));
        b.status = status;
    }

    /// A status change signed by an older `amana-review`: its body names no head.
    pub fn legacy_status(&self, b: &mut CaseBundle, status: Status) {
        let from = b.status;
        let body = json!({ "status": status }).to_string();
        let signed = self.signed(&paths::status(&b.id), body);
        push(b, EventKind::StatusChanged, status, json!({ "from": from, "envelope_id": null }), Some(signed));
        b.status = status;
    }

    /// A signed extension by `days`, its reason stored as envelope `env`, recorded (with
    /// the new deadlines) the way the server records it.
    pub fn extend(&self, b: &mut CaseBundle, days: i64, env: &str) {
        let reason_age_b64 = add_envelope(b, env, Part::Note);
        let total = b.extension_days + days;
        let k = DeadlinePolicy::default().for_kind(b.kind);
        let new = deadlines::compute(k, b.received_on, crate::history::acknowledged_on(b), total);
        let body = serde_json::to_string(&Extension { days, reason_age_b64, head: head(b) }).expect("json");
        let signed = self.signed(&paths::extend(&b.id), body);
        let detail = json!({ "days": days, "feedback_by": new.feedback_by.to_string(), "envelope_id": env });
        let status = b.status;
        push(b, EventKind::Extended, status, detail, Some(signed));
        b.extension_days = total;
        b.deadlines = new;
    }

    /// A signed reply stored as envelope `env`.
    pub fn reply(&self, b: &mut CaseBundle, env: &str) {
        let age_b64 = add_envelope(b, env, Part::Reply);
        let body = serde_json::to_string(&ReplyUpload { age_b64, head: head(b) }).expect("json");
        let signed = self.signed(&paths::replies(&b.id), body);
        let status = b.status;
        push(b, EventKind::Reply, status, json!({ "envelope_id": env }), Some(signed));
    }

    /// A signed rewrap replacing each `(envelope, new age file, plaintext hash)`, recorded
    /// the way the server records it.
    pub fn rewrap(&self, b: &mut CaseBundle, items: &[(&str, &[u8], &str)]) {
        let body: Vec<RewrappedEnvelope> = items
            .iter()
            .map(|(id, bytes, sha)| RewrappedEnvelope {
                envelope_id: id.to_string(),
                age_b64: B64.encode(bytes),
                plaintext_sha256: sha.to_string(),
            })
            .collect();
        for item in &body {
            if let Some(env) = b.envelopes.iter_mut().find(|e| e.id == item.envelope_id) {
                env.age_b64 = item.age_b64.clone();
            }
        }
        let records: Vec<Value> = body
            .iter()
            .map(|i| json!({ "envelope_id": i.envelope_id, "plaintext_sha256": i.plaintext_sha256 }))
            .collect();
        let request = RewrapRequest { head: head(b), envelopes: body, readers: vec![] };
        let signed = self.signed(&paths::rewrap(&b.id), serde_json::to_string(&request).expect("json"));
        let status = b.status;
        push(b, EventKind::Rewrapped, status, json!({ "envelopes": records }), Some(signed));
    }

    /// A signed legal hold (reason stored as envelope `env`) recorded as the server records it.
    pub fn hold(&self, b: &mut CaseBundle, env: &str, review_on: time::Date) {
        let reason_age_b64 = add_envelope(b, env, Part::Note);
        let body = amana_core::wire::LegalHold { reason_age_b64, review_on, head: head(b) };
        let signed = self.signed(&paths::hold(&b.id), serde_json::to_string(&body).expect("json"));
        let status = b.status;
        push(b, EventKind::Held, status, json!({ "review_on": review_on, "envelope_id": env }), Some(signed));
    }

    /// A signed release of a legal hold.
    pub fn release(&self, b: &mut CaseBundle) {
        let body = amana_core::wire::HoldRelease { head: head(b) };
        let signed = self.signed(&paths::release(&b.id), serde_json::to_string(&body).expect("json"));
        let status = b.status;
        push(b, EventKind::Released, status, json!({}), Some(signed));
    }

    /// A signed action as the server records it (actor, signed request JSON).
    pub fn signed(&self, path: &str, body: String) -> (String, String) {
        self.signed_at(path, body, SIGNED_AT)
    }

    /// Like [`Self::signed`], signed at `timestamp`.
    pub fn signed_at(&self, path: &str, body: String, timestamp: i64) -> (String, String) {
        self.signed_with(path, body, timestamp, &signing::new_nonce())
    }

    /// Like [`Self::signed`], signed at `timestamp` with `nonce`.
    pub fn signed_with(&self, path: &str, body: String, timestamp: i64, nonce: &str) -> (String, String) {
        let parts = RequestParts {
            deployment_id: DEP,
            key_id: &self.key_id,
            method: "POST",
            path_and_query: path,
            body: body.as_bytes(),
            timestamp,
            nonce,
        };
        let sig = signing::sign(&self.key, &parts);
        let action = SignedAction {
            key_id: sig.key_id,
            timestamp: sig.timestamp,
            nonce: sig.nonce,
            signature: sig.signature,
            method: "POST".into(),
            path: path.into(),
            body,
        };
        (self.key_id.clone(), serde_json::to_string(&action).expect("json"))
    }
}

/// The head a reviewer acting on `b` now signs: its last event's hash.
pub fn head(b: &CaseBundle) -> String {
    b.events.last().map(|e| e.hash.clone()).unwrap_or_default()
}

/// Adds an envelope whose "age file" is `age file <id>`; returns its base64.
pub fn add_envelope(b: &mut CaseBundle, id: &str, part: Part) -> String {
    let age_b64 = B64.encode(format!("age file {id}"));
    b.envelopes.push(EnvelopeWire { id: id.into(), part, created_on: ON, age_b64: age_b64.clone() });
    age_b64
}

/// Appends a linked, hashed event; `signed` is (actor, signed action JSON).
pub fn push(
    b: &mut CaseBundle,
    kind: EventKind,
    status: Status,
    detail: Value,
    signed: Option<(String, String)>,
) {
    let prev = b.events.last().map_or(events::GENESIS.to_string(), |e| e.hash.clone());
    let (actor, signed) = signed.map_or((None, None), |(a, s)| (Some(a), Some(s)));
    let mut detail = detail;
    if kind == EventKind::Submitted {
        for (k, v) in [
            ("kind", json!(b.kind)),
            ("agency", json!(b.agency)),
            ("oversight_only", json!(b.oversight_only)),
            ("reporter_recipient", json!(b.reporter_recipient)),
            ("reporter_key", json!(B64.encode(reporter_key().public_key().as_ref()))),
        ] {
            detail[k] = v;
        }
    }
    let mut e = Event {
        seq: b.events.len() as i64,
        on: ON,
        kind,
        status,
        actor,
        detail: detail.to_string(),
        signed,
        prev_hash: prev,
        hash: String::new(),
    };
    if e.signed.is_none() {
        e.signed = attest(&b.id, &e);
    }
    e.hash = events::compute_hash(&b.id, &e);
    b.events.push(e);
}

fn fixed_key(seed: u8) -> Ed25519KeyPair {
    Ed25519KeyPair::from_seed_unchecked(&[seed; 32]).expect("key")
}

/// The fixture server's attestation key (fixture rosters name it).
pub fn server_key() -> Ed25519KeyPair {
    fixed_key(41)
}

/// The fixture reporter's code-derived signing key.
pub fn reporter_key() -> Ed25519KeyPair {
    fixed_key(42)
}

/// Signs a server or reporter event as the server records it.
pub fn attest(case_id: &str, e: &Event) -> Option<String> {
    let by = events::Attester::of(e.kind)?;
    let key = match by {
        events::Attester::Server => server_key(),
        events::Attester::Reporter => reporter_key(),
    };
    Some(events::attest(by, &key, DEP, case_id, e))
}

/// Recomputes every hash after an edit, as a server rewriting history would (re-attesting
/// what the server attests).
pub fn rehash(b: &mut CaseBundle) {
    let mut prev = events::GENESIS.to_string();
    let id = b.id.clone();
    for e in &mut b.events {
        e.prev_hash = prev;
        if events::Attester::of(e.kind) == Some(events::Attester::Server) {
            e.signed = attest(&id, e);
        }
        e.hash = events::compute_hash(&b.id, e);
        prev = e.hash.clone();
    }
}

/// The oversight unit's roster key in fixtures.
pub struct Anchor {
    key: Ed25519KeyPair,
}

impl Anchor {
    pub fn new() -> Self {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).expect("gen");
        Self { key: Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("key") }
    }

    /// The fingerprint a home is given in person.
    pub fn fingerprint(&self) -> String {
        amana_core::roster::fingerprint(self.key.public_key().as_ref())
    }

    /// A roster of `version` listing each kit as an oversight reviewer, plus one more.
    pub fn sign(&self, version: u64, kits: &[&Kit]) -> amana_core::roster::SignedRoster {
        self.sign_roster(roster(version, kits))
    }

    /// Signs any roster (tests edit one first).
    pub fn sign_roster(&self, r: amana_core::roster::Roster) -> amana_core::roster::SignedRoster {
        amana_core::roster::sign(&self.key, &r).expect("sign roster")
    }
}

/// An unsigned fixture roster (see [`Anchor::sign`]).
pub fn roster(version: u64, kits: &[&Kit]) -> amana_core::roster::Roster {
    use amana_core::roster::{Roster, RosterEntry, FORMAT};
    let entry = |id: &str, key: String| RosterEntry {
        id: id.into(),
        ed25519_public_key: key,
        age_recipient: age::x25519::Identity::generate().to_public().to_string(),
        oversight: true,
        agencies: vec![],
        revoked_on: None,
        valid_events: vec![],
    };
    let mut reviewers = vec![entry("anchor-ovs", B64.encode([3u8; 32]))];
    reviewers.extend(kits.iter().map(|k| entry(&k.key_id, k.wire().ed25519_public_key)));
    Roster {
        format: FORMAT.into(),
        deployment_id: DEP.into(),
        version,
        issued_on: ON,
        attestation_key: B64.encode(server_key().public_key().as_ref()),
        reviewers,
        vouched_heads: vec![],
    }
}
