//! Improvement periods (`amana-review improvement`): the oversight unit gives an agency, or
//! one of its service centres, a deadline to improve named figures. The period is a document
//! signed by an oversight key of the signed roster, like published figures: the server checks
//! and stores it and hands it to the homes in scope, and every home checks it again, so no
//! server or database writer can open, move or close one.
//!
//! The file is `{"document": "<JSON text>", "key_id", "signature"}`; the signature is base64
//! Ed25519 over `amana-improvement-1\n` followed by the document's bytes. Closing a period is
//! the same document with `closed_on` set, signed again; nothing else may change.
//!
//! The reason is clear text: it is about an agency's service, never about a reporter or a
//! case, and agency reviewers must read it. Dates only, no time of day.

use ring::signature::Ed25519KeyPair;
use serde::{Deserialize, Serialize};

pub use crate::oversight_signed::Signed;
use time::Date;

/// The format tag, also the signature's context.
pub const FORMAT: &str = "amana-improvement-1";
/// Longest reason, in characters.
pub const MAX_REASON_CHARS: usize = 2000;
/// Most criteria in one period.
pub const MAX_CRITERIA: usize = 20;
/// The figures a period can name besides evaluation criteria (docs/OPERATIONS-ROOM.md).
pub const FIGURES: [&str; 5] =
    ["on_time", "days_to_acknowledge", "days_to_feedback", "overdue", "satisfaction"];

/// What oversight signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub format: String,
    pub deployment_id: String,
    /// Random (32 hex digits): tells nothing about when or in what order periods were opened.
    pub id: String,
    pub agency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub centre: Option<String>,
    pub reason: String,
    /// Figures ([`FIGURES`]) or evaluation criteria ids.
    pub criteria: Vec<String>,
    pub opened_on: Date,
    pub deadline: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_on: Option<Date>,
}

/// A new random id.
pub fn new_id() -> String {
    let mut bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Signs `document` as `key_id`.
pub fn sign(key: &Ed25519KeyPair, key_id: &str, document: &Document) -> Result<Signed, serde_json::Error> {
    crate::oversight_signed::sign(key, key_id, FORMAT, document)
}

fn simple_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Whether a document is well formed (ids, lengths, dates in order).
pub fn check(doc: &Document) -> Result<(), String> {
    let hex = doc.id.len() == 32 && doc.id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !hex {
        return Err("its id is not 32 hex digits".into());
    }
    if !simple_id(&doc.agency) || doc.centre.as_deref().is_some_and(|c| !simple_id(c)) {
        return Err("its agency or centre is not a simple id".into());
    }
    if doc.reason.trim().is_empty() || doc.reason.chars().count() > MAX_REASON_CHARS {
        return Err(format!("its reason must be 1 to {MAX_REASON_CHARS} characters"));
    }
    if doc.criteria.is_empty()
        || doc.criteria.len() > MAX_CRITERIA
        || !doc.criteria.iter().all(|c| simple_id(c))
    {
        return Err(format!("it must name 1 to {MAX_CRITERIA} criteria, each a simple id"));
    }
    if doc.deadline < doc.opened_on || doc.closed_on.is_some_and(|c| c < doc.opened_on) {
        return Err("its deadline or closing date is before its opening".into());
    }
    Ok(())
}

/// Checks a signed file: signed by an oversight key `oversight_key` returns, for this
/// deployment, in this format, well formed. Returns the document.
pub fn verify(
    signed: &Signed,
    oversight_key: impl Fn(&str) -> Option<[u8; 32]>,
    deployment_id: &str,
) -> Result<Document, String> {
    let doc: Document =
        crate::oversight_signed::open(signed, FORMAT, oversight_key, deployment_id, "an improvement period")?;
    check(&doc)?;
    Ok(doc)
}

/// Whether `closed` may replace `open`: the same period, now closed, nothing else changed.
pub fn is_closing_of(open: &Document, closed: &Document) -> bool {
    open.closed_on.is_none()
        && closed.closed_on.is_some()
        && Document { closed_on: None, ..closed.clone() } == *open
}

impl crate::oversight_signed::Tagged for Document {
    fn format(&self) -> &str {
        &self.format
    }
    fn deployment_id(&self) -> &str {
        &self.deployment_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn doc() -> Document {
        Document {
            format: FORMAT.into(),
            deployment_id: "dep".into(),
            id: new_id(),
            agency: "health".into(),
            centre: Some("north".into()),
            reason: "waiting times".into(),
            criteria: vec!["on_time".into(), "waiting".into()],
            opened_on: date!(2026 - 11 - 01),
            deadline: date!(2026 - 12 - 01),
            closed_on: None,
        }
    }

    #[test]
    fn signed_by_oversight_and_unchanged_or_refused() {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).expect("key");
        let key = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("key");
        let public: [u8; 32] = ring::signature::KeyPair::public_key(&key).as_ref().try_into().expect("32");
        let oversight = |id: &str| (id == "ov").then_some(public);
        let signed = sign(&key, "ov", &doc()).expect("sign");
        assert_eq!(
            verify(&signed, oversight, "dep").expect("valid"),
            serde_json::from_str(&signed.document).expect("doc")
        );
        // An agency key (not oversight), another deployment, a changed document: refused.
        let agency = sign(&key, "agency-key", &doc()).expect("sign");
        assert!(verify(&agency, oversight, "dep")
            .expect_err("agency")
            .contains("not a current oversight key"));
        assert!(verify(&signed, oversight, "other").is_err());
        let forged =
            Signed { document: signed.document.replace("waiting times", "nothing"), ..signed.clone() };
        assert!(verify(&forged, oversight, "dep").expect_err("forged").contains("changed after signing"));
        let unsigned = Signed { signature: String::new(), ..signed };
        assert!(verify(&unsigned, oversight, "dep").is_err());
    }

    #[test]
    fn closing_changes_nothing_else() {
        let open = doc();
        let closed = Document { closed_on: Some(date!(2026 - 12 - 02)), ..open.clone() };
        assert!(is_closing_of(&open, &closed));
        let moved = Document { deadline: date!(2027 - 01 - 01), ..closed.clone() };
        assert!(!is_closing_of(&open, &moved));
        assert!(check(&Document { criteria: vec![], ..open.clone() }).is_err());
        assert!(check(&Document { deadline: date!(2026 - 10 - 01), ..open }).is_err());
    }
}
