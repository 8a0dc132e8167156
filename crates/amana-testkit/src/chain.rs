//! Case bundles with a real hash chain: events linked and hashed as the server does, the
//! ones the server or the reporter attest signed with fixture keys.

use amana_core::case::{Kind, Status};
use amana_core::deadlines::{self, DeadlinePolicy};
use amana_core::events::{self, Event, EventKind};
use amana_core::wire::CaseBundle;
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde_json::{json, Value};
use time::Date;

/// A received case of `kind`, with no envelope and no event yet.
pub fn empty_bundle(id: &str, kind: Kind, received: Date, oversight_only: bool) -> CaseBundle {
    let k = DeadlinePolicy::default().for_kind(kind);
    CaseBundle {
        id: id.into(),
        kind,
        agency: "health".into(),
        oversight_only,
        status: Status::Received,
        received_on: received,
        deadlines: deadlines::compute(k, received, None, 0),
        escalated: false,
        extension_days: 0,
        rating: None,
        reporter_recipient: String::new(),
        recipients: vec![],
        envelopes: vec![],
        attachments: vec![],
        events: vec![],
    }
}

/// The head a reviewer acting on `b` now signs: its last event's hash.
pub fn head(b: &CaseBundle) -> String {
    b.events.last().map(|e| e.hash.clone()).unwrap_or_default()
}

/// One event to append with [`Attesters::push`]; `signed` is a reviewer's signed action
/// (JSON), or `None` for an event the server or the reporter attests.
pub struct NewEvent {
    pub on: Date,
    pub kind: EventKind,
    pub status: Status,
    pub detail: Value,
    pub actor: Option<String>,
    pub signed: Option<String>,
}

/// The fixture server's attestation key and reporter's code-derived key, for one deployment.
pub struct Attesters {
    pub deployment_id: String,
    pub server: Ed25519KeyPair,
    pub reporter: Ed25519KeyPair,
}

impl Attesters {
    /// Fixed keys (the same in every test process), for `deployment_id`.
    pub fn fixed(deployment_id: &str) -> Self {
        let key = |seed: u8| Ed25519KeyPair::from_seed_unchecked(&[seed; 32]).expect("a fixed key");
        Self { deployment_id: deployment_id.into(), server: key(41), reporter: key(42) }
    }

    /// The attestation key as a roster names it.
    pub fn server_public(&self) -> String {
        B64.encode(self.server.public_key().as_ref())
    }

    /// What the server's attested submission binds, taken from the bundle as it is now
    /// (fields `detail` already has are kept).
    pub fn bind_submission(&self, b: &CaseBundle, mut detail: Value) -> Value {
        for (k, v) in [
            ("kind", json!(b.kind)),
            ("agency", json!(b.agency)),
            ("oversight_only", json!(b.oversight_only)),
            ("reporter_recipient", json!(b.reporter_recipient)),
            ("reporter_key", json!(B64.encode(self.reporter.public_key().as_ref()))),
        ] {
            if detail.get(k).is_none() {
                detail[k] = v;
            }
        }
        detail
    }

    /// Signs a server or reporter event as the server records it (`None` for other kinds).
    pub fn attest(&self, case_id: &str, e: &Event) -> Option<String> {
        let by = events::Attester::of(e.kind)?;
        let key = match by {
            events::Attester::Server => &self.server,
            events::Attester::Reporter => &self.reporter,
        };
        Some(events::attest(by, key, &self.deployment_id, case_id, e))
    }

    /// Appends a linked, hashed event, attested when no reviewer signed it.
    pub fn push(&self, b: &mut CaseBundle, new: NewEvent) {
        let prev = b.events.last().map_or(events::GENESIS.to_string(), |e| e.hash.clone());
        let detail =
            if new.kind == EventKind::Submitted { self.bind_submission(b, new.detail) } else { new.detail };
        let mut e = Event {
            seq: b.events.len() as i64,
            on: new.on,
            kind: new.kind,
            status: new.status,
            actor: new.actor,
            detail: detail.to_string(),
            signed: new.signed,
            prev_hash: prev,
            hash: String::new(),
        };
        if e.signed.is_none() {
            e.signed = self.attest(&b.id, &e);
        }
        e.hash = events::compute_hash(&b.id, &e);
        b.events.push(e);
    }

    /// Recomputes every hash after an edit, as a server rewriting history would (with its
    /// own key: it re-attests what it attests).
    pub fn rehash(&self, b: &mut CaseBundle) {
        let mut prev = events::GENESIS.to_string();
        let id = b.id.clone();
        for e in &mut b.events {
            e.prev_hash = prev;
            if events::Attester::of(e.kind) == Some(events::Attester::Server) {
                e.signed = self.attest(&id, e);
            }
            e.hash = events::compute_hash(&id, e);
            prev = e.hash.clone();
        }
    }
}
