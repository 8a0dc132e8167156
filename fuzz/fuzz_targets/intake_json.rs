//! The intake JSON body (`POST /api/v1/reports`) on any bytes, through the checks that need
//! no server state: the kind name and the text limits, then the payload it would encrypt.
//!
//! `SubmitReport` mirrors the server's type in `src/intake.rs` (kept in step by hand: the
//! server crate pulls in axum and sqlx, which the fuzz build should not).
#![no_main]

use amana_core::{
    case::Kind,
    payload::{bucket, Part, Payload},
};
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;

/// Mirrors `amana::intake::MAX_BODY_CHARS`, `MAX_CONTACT_CHARS` and `MAX_JSON_BYTES`.
const MAX_BODY_CHARS: usize = 50_000;
const MAX_CONTACT_CHARS: usize = 500;
const MAX_JSON_BYTES: usize = 256 * 1024;

/// Mirrors `amana::intake::SubmitReport`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // every field is read by serde; `oversight_only` and `receipt` are not checked here
struct SubmitReport {
    kind: String,
    agency: String,
    body: String,
    #[serde(default)]
    contact: Option<String>,
    #[serde(default)]
    oversight_only: bool,
    #[serde(default)]
    receipt: bool,
}

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_JSON_BYTES {
        return;
    }
    let Ok(raw) = serde_json::from_slice::<SubmitReport>(data) else {
        return;
    };
    let kind = match raw.kind.parse::<Kind>() {
        Ok(kind) => kind,
        Err(e) => {
            assert!(e.name.chars().count() <= 40, "error echoes an untruncated name");
            return;
        }
    };
    assert_eq!(kind.as_str(), raw.kind, "kind names are exact");
    let contact = raw.contact.filter(|c| !c.trim().is_empty());
    if raw.body.trim().is_empty()
        || raw.body.chars().count() > MAX_BODY_CHARS
        || contact.as_ref().is_some_and(|c| c.chars().count() > MAX_CONTACT_CHARS)
    {
        return;
    }
    let payload = Payload { salt: None,
        part: Part::Report,
        kind: Some(kind),
        agency: Some(raw.agency),
        body: raw.body,
        contact,
        written_on: time::macros::date!(2026 - 11 - 23),
        author: None,
    };
    let encoded = payload.encode().expect("every accepted submission encodes");
    assert_eq!(encoded.len(), bucket(encoded.len()));
    assert_eq!(Payload::decode(&encoded).expect("and decodes"), payload);
});
