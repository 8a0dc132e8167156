//! Signed reviewer requests (DESIGN.md invariant 6).
//!
//! The signed message is a *length-prefixed canonical string*: each field is written as
//! its byte length in decimal, a colon, the bytes, and a newline, in this order:
//!
//! `amana-req-v1`, deployment id, key id, method, path with query, hex SHA-256 of the
//! body, timestamp (Unix seconds, decimal), nonce (32 lowercase hex digits).
//!
//! Length prefixes make the encoding injective: no choice of field values can make two
//! different requests sign the same bytes.

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use ring::{
    digest,
    signature::{self, Ed25519KeyPair, KeyPair},
};
use serde::{Deserialize, Serialize};

/// Domain separation tag and version of the canonical string.
pub const CONTEXT: &str = "amana-req-v1";
/// Header carrying the signing key id.
pub const HEADER_KEY: &str = "amana-key";
/// Header carrying the Unix timestamp.
pub const HEADER_TIMESTAMP: &str = "amana-timestamp";
/// Header carrying the nonce.
pub const HEADER_NONCE: &str = "amana-nonce";
/// Header carrying the base64 Ed25519 signature.
pub const HEADER_SIGNATURE: &str = "amana-signature";
/// Default freshness window: air-gapped clocks drift and files travel slowly.
pub const DEFAULT_WINDOW_SECS: i64 = 72 * 3600;

/// Everything that is signed, borrowed from the request.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    pub deployment_id: &'a str,
    pub key_id: &'a str,
    pub method: &'a str,
    pub path_and_query: &'a str,
    pub body: &'a [u8],
    pub timestamp: i64,
    pub nonce: &'a str,
}

/// The signature headers of one request; also the file form of an offline action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    pub key_id: String,
    pub timestamp: i64,
    pub nonce: String,
    /// Base64 (standard, padded) Ed25519 signature.
    pub signature: String,
}

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the request is not signed")]
    Missing,
    #[error("malformed signature header: {0}")]
    Malformed(&'static str),
    #[error("unknown or revoked key")]
    UnknownKey,
    #[error("signature does not verify")]
    BadSignature,
    #[error("the request is outside the freshness window (check the laptop's clock)")]
    Stale,
    #[error("this request was already used (replay)")]
    Replayed,
}

/// The exact bytes that are signed.
pub fn canonical(parts: &RequestParts<'_>) -> Vec<u8> {
    let body_hash = hex::encode(digest::digest(&digest::SHA256, parts.body));
    let timestamp = parts.timestamp.to_string();
    let fields: [&[u8]; 8] = [
        CONTEXT.as_bytes(),
        parts.deployment_id.as_bytes(),
        parts.key_id.as_bytes(),
        parts.method.as_bytes(),
        parts.path_and_query.as_bytes(),
        body_hash.as_bytes(),
        timestamp.as_bytes(),
        parts.nonce.as_bytes(),
    ];
    let mut out = Vec::with_capacity(256);
    for f in fields {
        out.extend_from_slice(f.len().to_string().as_bytes());
        out.push(b':');
        out.extend_from_slice(f);
        out.push(b'\n');
    }
    out
}

/// A fresh 128-bit nonce as 32 hex digits.
pub fn new_nonce() -> String {
    let mut n = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut n);
    hex::encode(n)
}

/// Whether a nonce has the required shape (so junk never reaches the database).
pub fn nonce_is_well_formed(nonce: &str) -> bool {
    nonce.len() == 32 && nonce.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Signs a request.
pub fn sign(key: &Ed25519KeyPair, parts: &RequestParts<'_>) -> Signature {
    let sig = key.sign(&canonical(parts));
    Signature {
        key_id: parts.key_id.to_string(),
        timestamp: parts.timestamp,
        nonce: parts.nonce.to_string(),
        signature: B64.encode(sig.as_ref()),
    }
}

/// Verifies a signature against a raw 32-byte Ed25519 public key and the freshness
/// window. Replay protection (nonce already seen) is the caller's job: it needs storage.
pub fn verify(
    public_key: &[u8],
    parts: &RequestParts<'_>,
    signature_b64: &str,
    now: i64,
    window_secs: i64,
) -> Result<(), SignatureError> {
    if !nonce_is_well_formed(parts.nonce) {
        return Err(SignatureError::Malformed("nonce must be 32 lowercase hex digits"));
    }
    let sig = B64.decode(signature_b64).map_err(|_| SignatureError::Malformed("signature is not base64"))?;
    signature::UnparsedPublicKey::new(&signature::ED25519, public_key)
        .verify(&canonical(parts), &sig)
        .map_err(|_| SignatureError::BadSignature)?;
    // Checked after the signature so an attacker cannot probe the window unauthenticated.
    if (now - parts.timestamp).abs() > window_secs {
        return Err(SignatureError::Stale);
    }
    Ok(())
}

/// The raw public key of a key pair, base64-encoded as it appears in `keys/`.
pub fn public_key_b64(key: &Ed25519KeyPair) -> String {
    B64.encode(key.public_key().as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;

    fn keypair() -> Ed25519KeyPair {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("gen");
        Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("parse")
    }

    fn parts<'a>(body: &'a [u8], nonce: &'a str, ts: i64) -> RequestParts<'a> {
        RequestParts {
            deployment_id: "dep",
            key_id: "alice",
            method: "POST",
            path_and_query: "/api/v1/review/cases/abc/status",
            body,
            timestamp: ts,
            nonce,
        }
    }

    #[test]
    fn sign_and_verify() {
        let k = keypair();
        let nonce = new_nonce();
        let p = parts(b"{}", &nonce, 1_000_000);
        let s = sign(&k, &p);
        let pk = k.public_key().as_ref().to_vec();
        assert_eq!(verify(&pk, &p, &s.signature, 1_000_000, 60), Ok(()));
        assert_eq!(verify(&pk, &p, &s.signature, 1_000_100, 60), Err(SignatureError::Stale));
        let tampered = parts(b"{ }", &nonce, 1_000_000);
        assert_eq!(verify(&pk, &tampered, &s.signature, 1_000_000, 60), Err(SignatureError::BadSignature));
        let other = keypair();
        let opk = other.public_key().as_ref().to_vec();
        assert_eq!(verify(&opk, &p, &s.signature, 1_000_000, 60), Err(SignatureError::BadSignature));
        assert!(matches!(verify(&pk, &p, "!!", 1_000_000, 60), Err(SignatureError::Malformed(_))));
    }

    #[test]
    fn canonical_is_length_prefixed() {
        let n = "0".repeat(32);
        let c = String::from_utf8(canonical(&parts(b"", &n, 5))).expect("utf8");
        assert!(c.starts_with("12:amana-req-v1\n3:dep\n5:alice\n4:POST\n"));
        assert!(c.ends_with("1:5\n32:00000000000000000000000000000000\n"));
        // Moving a byte between adjacent fields changes the message.
        let a = RequestParts { deployment_id: "ab", key_id: "c", ..parts(b"", &n, 5) };
        let b = RequestParts { deployment_id: "a", key_id: "bc", ..parts(b"", &n, 5) };
        assert_ne!(canonical(&a), canonical(&b));
    }

    #[test]
    fn nonce_shape() {
        assert!(nonce_is_well_formed(&new_nonce()));
        assert!(!nonce_is_well_formed("ABCDEF0123456789ABCDEF0123456789"));
        assert!(!nonce_is_well_formed("short"));
    }
}
