//! Published figures as a signed document (`amana-review kpis --publish`): what oversight
//! signs and the server serves without being able to change it.
//!
//! The file is `{"document": "<JSON text>", "key_id", "signature"}`; the signature is base64
//! Ed25519 over `amana-transparency-1\n` followed by the document's bytes, by an oversight key
//! of the signed roster. The server checks it and serves the file verbatim, so anyone can
//! check it again.

use std::collections::BTreeMap;

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use ring::signature::{self, Ed25519KeyPair};
use serde::{Deserialize, Serialize};
use time::Date;

use crate::disclosure::{Count, MIN_K};

/// The format tag, also the signature's context.
pub const FORMAT: &str = "amana-transparency-1";

/// One agency's figures for the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgencyFigures {
    pub agency: String,
    pub received: Count,
    pub received_by_kind: BTreeMap<String, Count>,
    pub acknowledged_on_time: Option<f64>,
    pub median_days_to_acknowledge: Option<f64>,
    pub satisfaction: Option<f64>,
    pub rated: Count,
}

/// What oversight signs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub format: String,
    pub deployment_id: String,
    pub from: Date,
    pub to: Date,
    pub k: u32,
    pub agencies: Vec<AgencyFigures>,
}

/// The signed file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signed {
    pub document: String,
    pub key_id: String,
    pub signature: String,
}

fn message(document: &str) -> Vec<u8> {
    [FORMAT.as_bytes(), b"\n", document.as_bytes()].concat()
}

/// Signs `document` as `key_id`.
pub fn sign(key: &Ed25519KeyPair, key_id: &str, document: &Document) -> Result<Signed, serde_json::Error> {
    let text = serde_json::to_string(document)?;
    let signature = B64.encode(key.sign(&message(&text)).as_ref());
    Ok(Signed { document: text, key_id: key_id.to_string(), signature })
}

/// Checks a signed file: signed by an oversight key `oversight_key` returns, for this
/// deployment, in this format, with k of at least 3. Returns the document.
pub fn verify(
    signed: &Signed,
    oversight_key: impl Fn(&str) -> Option<[u8; 32]>,
    deployment_id: &str,
) -> Result<Document, String> {
    let public = oversight_key(&signed.key_id)
        .ok_or_else(|| format!("`{}` is not a current oversight key of this deployment", signed.key_id))?;
    let sig = B64.decode(&signed.signature).map_err(|_| "the signature is not base64".to_string())?;
    signature::UnparsedPublicKey::new(&signature::ED25519, public)
        .verify(&message(&signed.document), &sig)
        .map_err(|_| "the signature does not verify: the document was changed after signing".to_string())?;
    let doc: Document = serde_json::from_str(&signed.document)
        .map_err(|_| "the document is not a figures document".to_string())?;
    if doc.format != FORMAT || doc.deployment_id != deployment_id {
        return Err(format!("the document is not a {FORMAT} document of this deployment"));
    }
    if doc.k < MIN_K || doc.from > doc.to {
        return Err("the document's k or period is invalid".into());
    }
    Ok(doc)
}
