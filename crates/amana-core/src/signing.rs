//! Signed reviewer requests (SECURITY.md invariant 6).
//!
//! The signed message is a *length-prefixed canonical string*: each field is written as
//! its byte length in decimal, a colon, the bytes, and a newline, in this order:
//!
//! `amana-req-v1`, deployment id, key id, method, path with query, hex SHA-256 of the
//! body, timestamp (Unix seconds, decimal), nonce (32 lowercase hex digits).
//!
//! Length prefixes make the encoding injective: no choice of field values can make two
//! different requests sign the same bytes.
//!
//! [`SignedRequestFile`] is the same request as a file, for the air-gapped path.

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use ring::{
    digest,
    signature::{self, Ed25519KeyPair, KeyPair},
};
use serde::{Deserialize, Serialize};

use crate::events::MAX_SIGNATURE_AGE_HOURS;

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

/// The signature headers of one request ([`SignedRequestFile`] is the file form of a whole
/// signed request).
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
    /// The key is listed but revoked from this UTC date (`YYYY-MM-DD`).
    #[error("this key was revoked on {0}; its requests are refused from that date. Ask the operator for a new key (amana-review keygen)")]
    Revoked(String),
    #[error("signature does not verify")]
    BadSignature,
    #[error("the request is outside the freshness window (check the laptop's clock)")]
    Stale,
    #[error("this request was already used (replay)")]
    Replayed,
    /// An action the server would have to date outside `events::signed_dates` (signed on a
    /// later UTC date than the server's, or too long ago): its history event would not verify.
    #[error(
        "this action was signed on {signed_on} (UTC) but the server's date is {today}: an action \
         must reach the server from the UTC day it was signed until {MAX_SIGNATURE_AGE_HOURS} h \
         later. Check the laptop's clock and sign it again"
    )]
    Undatable { signed_on: String, today: String },
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
    length_prefixed(&fields)
}

/// The length-prefixed encoding every signed or hashed Amana message uses (requests, events,
/// attestations, rosters, commitments): per field, its byte length in decimal, `:`, the
/// bytes, `\n`. Injective, so no two field lists encode to the same bytes.
pub fn length_prefixed(fields: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(fields.iter().map(|f| f.len() + 12).sum());
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

/// What a signed timestamp is rounded down to (docs/FORMATS.md §3): the hour. The server
/// stores each reviewer action's signed request, and the hash chain orders a reporter's
/// follow-up between reviewer actions; second-precision timestamps on both sides would
/// place the follow-up within seconds (SECURITY.md, "What the server knows").
pub const TIMESTAMP_GRANULARITY_SECS: i64 = 3600;

/// The smallest freshness window a server may keep: a timestamp rounded down to the hour
/// is up to an hour old when it is signed, and must still be fresh when it arrives.
pub const MIN_WINDOW_SECS: i64 = 2 * TIMESTAMP_GRANULARITY_SECS;

/// The timestamp to sign at Unix time `now`: rounded down to the hour. It never leaves the
/// UTC day of `now`, so every date bound on it ([`crate::events::signed_dates`]) is the
/// same as for `now` itself.
pub fn signed_timestamp(now: i64) -> i64 {
    now - now.rem_euclid(TIMESTAMP_GRANULARITY_SECS)
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
    // abs_diff: a signed timestamp ~2^63 away from now must not overflow.
    // A negative window admits nothing.
    if u64::try_from(window_secs).map_or(true, |w| now.abs_diff(parts.timestamp) > w) {
        return Err(SignatureError::Stale);
    }
    Ok(())
}

/// The raw public key of a key pair, base64-encoded as it appears in `keys/`.
pub fn public_key_b64(key: &Ed25519KeyPair) -> String {
    B64.encode(key.public_key().as_ref())
}

/// Version tag of [`SignedRequestFile`].
pub const REQUEST_FILE_VERSION: &str = "amana-signed-request-v1";

/// Largest body a [`SignedRequestFile`] may carry (the server's reviewer body limit).
pub const MAX_REQUEST_FILE_BODY: usize = 1024 * 1024;

/// A signed reviewer request as a file: the air gap (SECURITY.md invariant 6, docs/FORMATS.md §7).
///
/// The air-gapped laptop signs a request and writes it as this JSON object; a connected
/// machine that holds no key sends it verbatim: `method` to `path` on the server, with
/// `body` as the exact request body (`content-type: application/json` when non-empty) and
/// the four signature headers from [`SignedRequestFile::headers`]. Everything the server
/// verifies is in the file, and nothing secret is: the signature covers the canonical
/// string of [`canonical`], so a carrier can neither change the request nor reuse it (the
/// server accepts each nonce once, within the freshness window).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedRequestFile {
    /// Always [`REQUEST_FILE_VERSION`].
    pub version: String,
    /// The deployment the signature is bound to.
    pub deployment_id: String,
    /// `GET` or `POST`.
    pub method: String,
    /// Path with query, exactly as signed and to be sent, e.g. `/api/v1/review/cases`.
    pub path: String,
    /// The exact request body (UTF-8; JSON for `POST`, empty for `GET`).
    pub body: String,
    /// The signing key id.
    pub key_id: String,
    /// Unix seconds, as signed.
    pub timestamp: i64,
    /// 32 lowercase hex digits, as signed.
    pub nonce: String,
    /// Base64 (standard, padded) Ed25519 signature over the canonical string.
    pub signature: String,
}

/// Why a [`SignedRequestFile`] cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestFileError {
    #[error("not an Amana signed request file (version `{0}`, expected {REQUEST_FILE_VERSION})")]
    Version(String),
    #[error("unsupported method `{0}` (only GET and POST)")]
    Method(String),
    #[error("the path must start with /api/v1/review/ and contain only URL-safe ASCII")]
    Path,
    #[error("a GET request carries no body")]
    GetWithBody,
    #[error("the body is larger than {MAX_REQUEST_FILE_BODY} bytes")]
    TooLarge,
    #[error("the nonce must be 32 lowercase hex digits")]
    Nonce,
}

impl SignedRequestFile {
    /// The file form of a request signed with [`sign`].
    pub fn new(deployment_id: &str, method: &str, path: &str, body: String, signature: Signature) -> Self {
        Self {
            version: REQUEST_FILE_VERSION.to_string(),
            deployment_id: deployment_id.to_string(),
            method: method.to_string(),
            path: path.to_string(),
            body,
            key_id: signature.key_id,
            timestamp: signature.timestamp,
            nonce: signature.nonce,
            signature: signature.signature,
        }
    }

    /// Checks the shape, so that a carrier can send the file without second-guessing it:
    /// the version, the method, a reviewer API path that cannot redirect the request to
    /// another host (no `@`, `//`, `..`, spaces or control characters), the body size.
    /// The signature itself is the server's to verify.
    pub fn validate(&self) -> Result<(), RequestFileError> {
        if self.version != REQUEST_FILE_VERSION {
            return Err(RequestFileError::Version(self.version.chars().take(40).collect()));
        }
        if self.method != "GET" && self.method != "POST" {
            return Err(RequestFileError::Method(self.method.chars().take(10).collect()));
        }
        let url_safe = |b: u8| b.is_ascii_alphanumeric() || b"/-_.~?=&%".contains(&b);
        if !self.path.starts_with("/api/v1/review/")
            || self.path.contains("//")
            || self.path.split('/').any(|seg| seg == "." || seg == "..")
            || !self.path.bytes().all(url_safe)
        {
            return Err(RequestFileError::Path);
        }
        if self.method == "GET" && !self.body.is_empty() {
            return Err(RequestFileError::GetWithBody);
        }
        if self.body.len() > MAX_REQUEST_FILE_BODY {
            return Err(RequestFileError::TooLarge);
        }
        if !nonce_is_well_formed(&self.nonce) {
            return Err(RequestFileError::Nonce);
        }
        Ok(())
    }

    /// The signed parts, for [`verify`].
    pub fn parts(&self) -> RequestParts<'_> {
        RequestParts {
            deployment_id: &self.deployment_id,
            key_id: &self.key_id,
            method: &self.method,
            path_and_query: &self.path,
            body: self.body.as_bytes(),
            timestamp: self.timestamp,
            nonce: &self.nonce,
        }
    }

    /// The signature headers to send with the request, as (name, value).
    pub fn headers(&self) -> [(&'static str, String); 4] {
        [
            (HEADER_KEY, self.key_id.clone()),
            (HEADER_TIMESTAMP, self.timestamp.to_string()),
            (HEADER_NONCE, self.nonce.clone()),
            (HEADER_SIGNATURE, self.signature.clone()),
        ]
    }

    /// The signature part, as [`sign`] returned it.
    pub fn signature(&self) -> Signature {
        Signature {
            key_id: self.key_id.clone(),
            timestamp: self.timestamp,
            nonce: self.nonce.clone(),
            signature: self.signature.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;

    #[test]
    fn signed_timestamps_are_whole_hours_of_the_same_day() {
        let now = 1_767_225_599; // 2025-12-31 23:59:59 UTC
        assert_eq!(signed_timestamp(now), 1_767_222_000);
        assert_eq!(signed_timestamp(1_767_222_000), 1_767_222_000);
        assert_eq!(signed_timestamp(-1), -3600, "rounded down, not toward zero");
        for now in [now, 1_767_225_600, 1_767_229_199] {
            let signed = signed_timestamp(now);
            assert!(now - signed < TIMESTAMP_GRANULARITY_SECS && signed <= now);
            assert_eq!(crate::events::signed_dates(signed), crate::events::signed_dates(now));
        }
    }

    #[test]
    fn an_hour_old_signature_is_fresh_within_the_smallest_window() {
        let key = keypair();
        let nonce = new_nonce();
        let now = 1_767_229_199;
        let p = parts(b"{}", &nonce, signed_timestamp(now));
        let sig = sign(&key, &p);
        // Signed at hh:59:59, arriving just under an hour later.
        let pk = key.public_key().as_ref();
        assert_eq!(verify(pk, &p, &sig.signature, now + 3599, MIN_WINDOW_SECS), Ok(()));
    }

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
    fn extreme_timestamps_are_stale_not_a_panic() {
        let k = keypair();
        let pk = k.public_key().as_ref().to_vec();
        let nonce = new_nonce();
        for (ts, now) in
            [(i64::MIN, 1), (i64::MAX, -1), (3_544_385_683_298_713_707, -9_223_362_141_243_111_562)]
        {
            let p = parts(b"", &nonce, ts);
            let s = sign(&k, &p);
            assert_eq!(verify(&pk, &p, &s.signature, now, 1012), Err(SignatureError::Stale));
        }
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

    #[test]
    fn request_files_round_trip_and_are_checked() {
        let k = keypair();
        let nonce = new_nonce();
        let body = br#"{"status":"acknowledged"}"#;
        let p = parts(body, &nonce, 1_000_000);
        let file = SignedRequestFile::new(
            "dep",
            "POST",
            p.path_and_query,
            String::from_utf8_lossy(body).into(),
            sign(&k, &p),
        );
        assert_eq!(file.validate(), Ok(()));
        let json = serde_json::to_string(&file).expect("json");
        let back: SignedRequestFile = serde_json::from_str(&json).expect("parse");
        let pk = k.public_key().as_ref().to_vec();
        assert_eq!(verify(&pk, &back.parts(), &back.signature, 1_000_000, 60), Ok(()));
        assert_eq!(back.signature(), sign(&k, &p));
        assert_eq!(back.headers()[3], (HEADER_SIGNATURE, back.signature.clone()));
        let bad = |f: fn(&mut SignedRequestFile)| {
            let mut c = file.clone();
            f(&mut c);
            c.validate()
        };
        assert!(matches!(bad(|f| f.version = "v0".into()), Err(RequestFileError::Version(_))));
        assert!(matches!(bad(|f| f.method = "DELETE".into()), Err(RequestFileError::Method(_))));
        assert_eq!(bad(|f| f.path = "@evil.example/api/v1/review/cases".into()), Err(RequestFileError::Path));
        assert_eq!(bad(|f| f.path = "/api/v1/review//x".into()), Err(RequestFileError::Path));
        assert_eq!(bad(|f| f.path = "/api/v1/review/x y".into()), Err(RequestFileError::Path));
        assert_eq!(bad(|f| f.path = "/api/v1/review/../../healthz".into()), Err(RequestFileError::Path));
        assert_eq!(bad(|f| f.method = "GET".into()), Err(RequestFileError::GetWithBody));
        assert_eq!(bad(|f| f.nonce = "x".into()), Err(RequestFileError::Nonce));
        assert!(serde_json::from_str::<SignedRequestFile>(
            &json.replace("\"version\"", "\"extra\":1,\"version\"")
        )
        .is_err());
    }
}
