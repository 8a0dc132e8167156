//! A reviewer key that signs the events of fixture cases.

use amana_core::case::{Kind, Status};
use amana_core::events::EventKind;
use amana_core::payload::Part;
use amana_core::wire::{
    paths, CaseBundle, EnvelopeWire, Extension, RecipientWire, ReplyUpload, StatusChange,
};
use amana_testkit::chain::{empty_bundle, head};
use amana_testkit::Signer;
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use serde_json::json;

use super::*;

/// A reviewer signing history events the way the server records them.
pub struct Kit(pub Signer);

impl std::ops::Deref for Kit {
    type Target = Signer;
    fn deref(&self) -> &Signer {
        &self.0
    }
}

impl Kit {
    /// A fresh key.
    pub fn new(key_id: &str) -> Self {
        Kit(Signer::generate(key_id, DEP))
    }

    /// A received case with a report envelope (`age` bytes) and its `submitted` event;
    /// readable by `recipients` (key id, age1…), replies also by `reporter`.
    pub fn case(&self, id: &str, report: Vec<u8>, recipients: &[(&str, &str)], reporter: &str) -> CaseBundle {
        let today = time::OffsetDateTime::now_utc().date();
        let mut b = empty_bundle(id, Kind::Violation, today, false);
        b.reporter_recipient = reporter.into();
        b.recipients = recipients
            .iter()
            .map(|(k, r)| RecipientWire {
                key_id: k.to_string(),
                age_recipient: r.to_string(),
                oversight: *k == "oversight",
            })
            .collect();
        b.envelopes.push(EnvelopeWire {
            id: "rep".into(),
            part: Part::Report,
            created_on: today,
            age_b64: B64.encode(report),
        });
        push_event(
            &mut b,
            today,
            EventKind::Submitted,
            Status::Received,
            json!({ "envelope_id": "rep" }),
            None,
            None,
        );
        b
    }

    /// A signed status change recorded today.
    pub fn status(&self, b: &mut CaseBundle, status: Status) {
        let from = b.status;
        let body =
            serde_json::to_string(&StatusChange { status, note_age_b64: None, head: head(b) }).expect("json");
        let signed = self.signed(&paths::status(&b.id), body);
        let detail = json!({ "from": from, "envelope_id": null });
        let today = time::OffsetDateTime::now_utc().date();
        push_event(
            b,
            today,
            EventKind::StatusChanged,
            status,
            detail,
            Some(self.key_id.clone()),
            Some(signed),
        );
        b.status = status;
    }

    /// A signed reply (age bytes `age`) stored as envelope `env`, recorded today.
    pub fn reply(&self, b: &mut CaseBundle, env: &str, age: Vec<u8>) {
        let today = time::OffsetDateTime::now_utc().date();
        let age_b64 = B64.encode(age);
        b.envelopes.push(EnvelopeWire {
            id: env.into(),
            part: Part::Reply,
            created_on: today,
            age_b64: age_b64.clone(),
        });
        let body = serde_json::to_string(&ReplyUpload { age_b64, head: head(b) }).expect("json");
        let signed = self.signed(&paths::replies(&b.id), body);
        let status = b.status;
        push_event(
            b,
            today,
            EventKind::Reply,
            status,
            json!({ "envelope_id": env }),
            Some(self.key_id.clone()),
            Some(signed),
        );
    }

    /// A signed extension by `days` with a reason envelope `env` (age bytes `age`).
    pub fn extend(&self, b: &mut CaseBundle, days: i64, env: &str, age: Vec<u8>) {
        let today = time::OffsetDateTime::now_utc().date();
        let reason_age_b64 = B64.encode(age);
        b.envelopes.push(EnvelopeWire {
            id: env.into(),
            part: Part::Note,
            created_on: today,
            age_b64: reason_age_b64.clone(),
        });
        let body = serde_json::to_string(&Extension { days, reason_age_b64, head: head(b) }).expect("json");
        let signed = self.signed(&paths::extend(&b.id), body);
        let status = b.status;
        let detail = json!({ "days": days, "envelope_id": env });
        push_event(b, today, EventKind::Extended, status, detail, Some(self.key_id.clone()), Some(signed));
        b.extension_days += days;
    }

    fn signed(&self, path: &str, body: String) -> String {
        self.action(path, body)
    }
}
