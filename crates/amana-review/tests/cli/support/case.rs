//! Pulled cases built by hand: payloads and envelopes, events chained and attested as the
//! server records them, and evidence files.

use amana_core::case::{Kind, Status};
use amana_core::ciphertext::Ciphertext;
use amana_core::events::EventKind;
use amana_core::payload::{Part, Payload};
use amana_core::wire::{AttachmentWire, CaseBundle, EnvelopeWire};
use amana_testkit::chain::{empty_bundle, Attesters, NewEvent};
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use serde_json::{json, Value};
use time::Date;

use super::*;

/// A payload as the server or a reviewer would encrypt it.
pub fn payload(part: Part, body: &str, contact: Option<&str>, written_on: &str) -> Payload {
    Payload {
        salt: None,
        part,
        kind: (part == Part::Report).then_some(Kind::Violation),
        agency: (part == Part::Report).then(|| "health".to_string()),
        body: body.into(),
        contact: contact.map(str::to_string),
        written_on: date(written_on),
        author: (part == Part::Reply).then(|| "alice".to_string()),
    }
}

/// A binary age envelope of `payload` for `recipients` (`age1…`).
pub fn encrypt(payload: &Payload, recipients: &[&str]) -> Vec<u8> {
    let list: Vec<String> = recipients.iter().map(|r| r.to_string()).collect();
    let recipients = amana_core::envelope::parse_recipients(&list).expect("recipients");
    let plain = payload.encode().expect("encode");
    amana_core::envelope::encrypt(&plain, &recipients).expect("encrypt")
}

/// A case's metadata with one event per status in `history` (unsigned: for the offline
/// commands, which do not verify history).
pub fn bundle(id: &str, received_on: &str, history: &[Status], oversight_only: bool) -> CaseBundle {
    let dated: Vec<(Status, &str)> = history.iter().map(|s| (*s, received_on)).collect();
    bundle_dated(id, Kind::Violation, received_on, &dated, oversight_only)
}

/// Like [`bundle`], with a date per event.
pub fn bundle_dated(
    id: &str,
    kind: Kind,
    received_on: &str,
    history: &[(Status, &str)],
    oversight_only: bool,
) -> CaseBundle {
    let received = date(received_on);
    let mut b = empty_bundle(id, kind, received, oversight_only);
    for (i, (s, on)) in history.iter().enumerate() {
        let kind = if i == 0 { EventKind::Submitted } else { EventKind::StatusChanged };
        let actor = (i > 0).then(|| "alice".to_string());
        push_event(&mut b, date(on), kind, *s, json!({}), actor, None);
    }
    b.status = history.last().expect("at least one event").0;
    b
}

/// Appends a linked, hashed event.
pub fn push_event(
    b: &mut CaseBundle,
    on: Date,
    kind: EventKind,
    status: Status,
    detail: Value,
    actor: Option<String>,
    signed: Option<String>,
) {
    attesters().push(b, NewEvent { on, kind, status, detail, actor, signed });
}

/// The test server's attestation key and the reporter's key of every fixture case (the
/// roster of [`roster_for`] names the server's).
pub(crate) fn attesters() -> &'static Attesters {
    static A: std::sync::OnceLock<Attesters> = std::sync::OnceLock::new();
    A.get_or_init(|| Attesters::fixed(DEP))
}

/// Recomputes every hash after an edit, as a server rewriting history would (with the
/// server's own key: it re-attests what it attests).
pub fn rehash(b: &mut CaseBundle) {
    attesters().rehash(b);
}

/// Adds an envelope to `bundle` (metadata only) and returns its id.
pub fn add_envelope(bundle: &mut CaseBundle, id: &str, part: Part, on: &str) {
    bundle.envelopes.push(EnvelopeWire { id: id.into(), part, created_on: date(on), age_b64: String::new() });
}

/// An evidence file encrypted as the server stores it: (content age file, description age
/// file), both to `recipients` (`age1…`).
pub fn encrypt_attachment(
    data: &[u8],
    name: &str,
    content_type: &str,
    recipients: &[&str],
) -> (Vec<u8>, Vec<u8>) {
    let list: Vec<String> = recipients.iter().map(|r| r.to_string()).collect();
    let recipients = amana_core::envelope::parse_recipients(&list).expect("recipients");
    let mut enc = amana_core::attachment::StreamEncryptor::new(&recipients).expect("start");
    let mut content = Vec::new();
    for piece in data.chunks(100_000) {
        content.extend(Ciphertext::join(enc.push(piece).expect("push")));
    }
    let done = enc.finish(name, content_type).expect("finish");
    content.extend(Ciphertext::join(done.pieces));
    (content, done.meta_age.into_bytes())
}

/// Lists an attachment (content age file `content`, description `meta_age`) in `bundle`,
/// recorded with its digests by the event that stored `envelope_id` (if there is one),
/// re-attested as the server does.
pub fn add_attachment(bundle: &mut CaseBundle, id: &str, envelope_id: &str, content: &[u8], meta_age: &[u8]) {
    bundle.attachments.push(AttachmentWire {
        id: id.into(),
        envelope_id: envelope_id.into(),
        created_on: bundle.received_on,
        size: content.len() as u64,
        meta_age_b64: B64.encode(meta_age),
    });
    let digest = amana_core::attachment::FileDigest {
        id: id.into(),
        meta_sha256: amana_core::attachment::sha256_hex(meta_age),
        content_sha256: amana_core::attachment::sha256_hex(content),
        segments: Vec::new(),
    };
    // Cases written straight into a home (never pulled) may have no such event.
    let Some(event) = bundle
        .events
        .iter_mut()
        .find(|e| serde_json::from_str::<Value>(&e.detail).is_ok_and(|d| d["envelope_id"] == envelope_id))
    else {
        return;
    };
    let mut detail: Value = serde_json::from_str(&event.detail).expect("detail");
    let mut files = detail.get("files").cloned().unwrap_or_else(|| json!([]));
    files.as_array_mut().expect("a list").push(json!(digest));
    detail["attachments"] = json!(files.as_array().map_or(0, Vec::len));
    detail["files"] = files;
    event.detail = detail.to_string();
    rehash(bundle);
}
