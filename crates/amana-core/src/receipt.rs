//! Proof of filing (opt-in): a receipt signed by the server's Ed25519 key over the date
//! and `H(nonce ‖ text)`. The nonce exists only in the receipt — the server keeps nothing
//! about it — so the receipt proves nothing to anyone who lacks both the receipt and the
//! text, and the server cannot link a receipt to a case.
//!
//! Whoever finds a receipt learns that its holder filed a report: the pages say so.
//!
//! `digest = hex SHA-256("amana-receipt-v1\n" ‖ nonce bytes ‖ normalized text)`, where the
//! text is normalised by turning CRLF and CR into LF and trimming trailing whitespace
//! (browsers send CRLF; people paste with trailing newlines).
//! The signature covers the length-prefixed fields `amana-receipt-v1`, deployment id,
//! date (`YYYY-MM-DD`), digest.

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use ring::{
    digest,
    signature::{self, Ed25519KeyPair},
};
use serde::{Deserialize, Serialize};
use time::Date;

const CONTEXT: &str = "amana-receipt-v1";

/// A proof-of-filing receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// Always `amana-receipt-v1`.
    pub version: String,
    pub deployment_id: String,
    /// UTC date of filing.
    pub date: Date,
    /// Random 32 bytes, hex; stored nowhere else.
    pub nonce: String,
    /// Hex SHA-256 over the nonce and the normalised text.
    pub digest: String,
    /// Base64 Ed25519 signature by the server's receipt key.
    pub signature: String,
}

/// Why a receipt does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    #[error("not an Amana receipt (unknown version)")]
    Version,
    #[error("the text does not match this receipt")]
    TextMismatch,
    #[error("the server's signature on the receipt is not valid")]
    BadSignature,
    #[error("malformed receipt: {0}")]
    Malformed(&'static str),
}

/// The text as hashed: CRLF/CR → LF, trailing whitespace removed.
pub fn normalize_text(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n").trim_end().to_string()
}

fn digest_of(nonce: &[u8], text: &str) -> String {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(CONTEXT.as_bytes());
    ctx.update(b"\n");
    ctx.update(nonce);
    ctx.update(normalize_text(text).as_bytes());
    hex::encode(ctx.finish())
}

fn signed_bytes(deployment_id: &str, date: Date, digest: &str) -> Vec<u8> {
    let date = format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day());
    let mut out = Vec::new();
    for f in [CONTEXT, deployment_id, &date, digest] {
        out.extend_from_slice(format!("{}:{f}\n", f.len()).as_bytes());
    }
    out
}

/// Issues a receipt for `text` filed on `date`.
pub fn issue(key: &Ed25519KeyPair, deployment_id: &str, date: Date, text: &str) -> Receipt {
    let mut nonce = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut nonce);
    let digest = digest_of(&nonce, text);
    let sig = key.sign(&signed_bytes(deployment_id, date, &digest));
    Receipt {
        version: CONTEXT.into(),
        deployment_id: deployment_id.into(),
        date,
        nonce: hex::encode(nonce),
        digest,
        signature: B64.encode(sig.as_ref()),
    }
}

/// Verifies a receipt against the text and the server's raw Ed25519 public key.
pub fn verify(r: &Receipt, text: &str, public_key: &[u8]) -> Result<(), ReceiptError> {
    if r.version != CONTEXT {
        return Err(ReceiptError::Version);
    }
    let nonce = hex::decode(&r.nonce).map_err(|_| ReceiptError::Malformed("nonce is not hex"))?;
    let sig = B64.decode(&r.signature).map_err(|_| ReceiptError::Malformed("signature is not base64"))?;
    signature::UnparsedPublicKey::new(&signature::ED25519, public_key)
        .verify(&signed_bytes(&r.deployment_id, r.date, &r.digest), &sig)
        .map_err(|_| ReceiptError::BadSignature)?;
    if digest_of(&nonce, text) != r.digest {
        return Err(ReceiptError::TextMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::KeyPair;

    #[test]
    fn receipts_verify_and_detect_changes() {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).expect("gen");
        let key = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("key");
        let pk = key.public_key().as_ref().to_vec();
        let r = issue(&key, "dep", time::macros::date!(2026 - 11 - 23), "رشوة\r\nفي المكتب\n");
        assert_eq!(verify(&r, "رشوة\nفي المكتب", &pk), Ok(()));
        assert_eq!(verify(&r, "رشوة في المكتب", &pk), Err(ReceiptError::TextMismatch));
        let mut later = r.clone();
        later.date = time::macros::date!(2026 - 11 - 24);
        assert_eq!(verify(&later, "رشوة\nفي المكتب", &pk), Err(ReceiptError::BadSignature));
        let mut other_nonce = r.clone();
        other_nonce.nonce = hex::encode([1u8; 32]);
        assert_eq!(verify(&other_nonce, "رشوة\nفي المكتب", &pk), Err(ReceiptError::TextMismatch));
    }
}
