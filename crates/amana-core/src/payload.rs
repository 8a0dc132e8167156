//! The plaintext inside every age envelope, versioned and padded (SECURITY.md invariant 7).
//!
//! Layout (all of it encrypted):
//! ```text
//! "amana-payload-v1\n" | u32 big-endian JSON length | JSON | zero bytes up to the bucket
//! ```
//! Buckets: at least 1 KiB, then the next power of two up to 1 MiB, then the next multiple
//! of 1 MiB. An observer of the ciphertext learns only the bucket.

use serde::{Deserialize, Serialize};
use time::Date;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::case::Kind;

const MAGIC: &[u8] = b"amana-payload-v1\n";
const MIN_BUCKET: usize = 1024;
const MIB: usize = 1024 * 1024;
/// Largest plaintext payload accepted when decoding (text parts; attachments stream).
pub const MAX_PAYLOAD: usize = 16 * MIB;

/// Which part of a case an envelope holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// The first submission.
    Report,
    /// More information from the reporter.
    FollowUp,
    /// A reviewer's reply to the reporter.
    Reply,
    /// A reviewer's note for the case's reviewers only (status note, extension reason).
    Note,
}

impl Part {
    /// Stable identifier for storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Part::Report => "report",
            Part::FollowUp => "follow_up",
            Part::Reply => "reply",
            Part::Note => "note",
        }
    }
}

/// Decoded payload content: reporter and reviewer plaintext. Zeroized on drop, and neither
/// `Clone` (every copy would be one more place to wipe) nor `Debug` (a stray `{:?}` would put
/// the text in a log); its `Debug` names only the part.
#[derive(PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct Payload {
    /// Which part this is.
    #[zeroize(skip)]
    pub part: Part,
    /// The kind (first report only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[zeroize(skip)]
    pub kind: Option<Kind>,
    /// The agency id (first report only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
    /// The free text.
    pub body: String,
    /// Optional contact details the reporter chose to give.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// The UTC date it was written (never a finer time).
    #[zeroize(skip)]
    pub written_on: Date,
    /// The reviewer key id, for replies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// 16 random bytes (hex) for the salted commitment to this payload ([`commitment`]):
    /// without it a database holder could confirm a guessed short text from its hash.
    /// [`Payload::encode`] draws one when it is absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
}

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Payload").field("part", &self.part).finish_non_exhaustive()
    }
}

/// Domain separation of a payload commitment.
const COMMIT_CONTEXT: &str = "amana-commit-v1";

/// The salted commitment to a decrypted payload (the padded plaintext bytes, exactly as
/// encrypted): `hex SHA-256` over the length-prefixed `amana-commit-v1`, the payload's salt
/// and the plaintext. Signed events carry it, so a rewrap or a swapped envelope that changes
/// what a case says is caught by whoever can decrypt, while the salt (inside the ciphertext)
/// keeps a database holder from testing guesses against it.
pub fn commitment(plaintext: &[u8]) -> Result<String, PayloadError> {
    let salt = Payload::decode(plaintext)?.salt.clone().unwrap_or_default();
    let buf = crate::signing::length_prefixed(&[COMMIT_CONTEXT.as_bytes(), salt.as_bytes(), plaintext]);
    Ok(hex::encode(ring::digest::digest(&ring::digest::SHA256, &buf)))
}

/// Why a decrypted plaintext is not a valid payload.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PayloadError {
    #[error("not an Amana payload (unknown magic or version)")]
    Magic,
    #[error("payload is truncated")]
    Truncated,
    #[error("payload is larger than {MAX_PAYLOAD} bytes")]
    TooLarge,
    #[error("padding contains non-zero bytes")]
    Padding,
    #[error("payload JSON is invalid: {0}")]
    Json(String),
}

/// The padded size for `len` bytes of framed content.
pub fn bucket(len: usize) -> usize {
    if len <= MIN_BUCKET {
        MIN_BUCKET
    } else if len <= MIB {
        len.next_power_of_two()
    } else {
        len.div_ceil(MIB) * MIB
    }
}

impl Payload {
    /// Frames and pads the payload. The returned buffer is zeroized on drop.
    pub fn encode(&self) -> Result<Zeroizing<Vec<u8>>, PayloadError> {
        if self.salt.is_some() {
            return frame(MAGIC, self);
        }
        frame(MAGIC, &Salted { payload: self, salt: hex::encode(rand::random::<[u8; 16]>()) })
    }

    /// Parses a decrypted plaintext, strictly.
    pub fn decode(bytes: &[u8]) -> Result<Payload, PayloadError> {
        unframe(MAGIC, bytes)
    }
}

/// A payload with a freshly drawn salt, serialized without copying the plaintext: the
/// payload's own fields (its `salt` is `None`, so skipped) followed by the new one.
#[derive(Serialize)]
struct Salted<'a> {
    #[serde(flatten)]
    payload: &'a Payload,
    salt: String,
}

/// `magic | u32 BE JSON length | JSON | zeros up to the bucket` — the framing shared by
/// payloads and attachment descriptions. The returned buffer is zeroized on drop.
pub(crate) fn frame<T: Serialize>(magic: &[u8], value: &T) -> Result<Zeroizing<Vec<u8>>, PayloadError> {
    let json = Zeroizing::new(serde_json::to_vec(value).map_err(|e| PayloadError::Json(e.to_string()))?);
    let json_len = u32::try_from(json.len()).map_err(|_| PayloadError::TooLarge)?;
    let framed = magic.len() + 4 + json.len();
    if framed > MAX_PAYLOAD {
        return Err(PayloadError::TooLarge);
    }
    let mut out = Zeroizing::new(Vec::with_capacity(bucket(framed)));
    out.extend_from_slice(magic);
    out.extend_from_slice(&json_len.to_be_bytes());
    out.extend_from_slice(&json);
    out.resize(bucket(framed), 0);
    Ok(out)
}

/// The inverse of [`frame`], strict about magic, length and padding.
pub(crate) fn unframe<T: serde::de::DeserializeOwned>(magic: &[u8], bytes: &[u8]) -> Result<T, PayloadError> {
    if bytes.len() > MAX_PAYLOAD {
        return Err(PayloadError::TooLarge);
    }
    let rest = bytes.strip_prefix(magic).ok_or(PayloadError::Magic)?;
    let (len_bytes, rest) = rest.split_first_chunk::<4>().ok_or(PayloadError::Truncated)?;
    let len = u32::from_be_bytes(*len_bytes) as usize;
    if len > rest.len() {
        return Err(PayloadError::Truncated);
    }
    let (json, padding) = rest.split_at(len);
    if padding.iter().any(|b| *b != 0) {
        return Err(PayloadError::Padding);
    }
    serde_json::from_slice(json).map_err(|e| PayloadError::Json(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample(body: String, contact: Option<String>) -> Payload {
        Payload {
            salt: Some("5a".repeat(16)),
            part: Part::Report,
            kind: Some(Kind::Violation),
            agency: Some("health".into()),
            body,
            contact,
            written_on: time::macros::date!(2026 - 11 - 23),
            author: None,
        }
    }

    #[test]
    fn commitments_are_salted_and_bind_the_text() {
        let mut a = sample("yes".into(), None);
        a.salt = None;
        let (one, two) = (a.encode().expect("encode"), a.encode().expect("encode"));
        // The same short text twice: two salts, two commitments (a guess cannot be confirmed).
        assert_ne!(commitment(&one).expect("c"), commitment(&two).expect("c"));
        assert_eq!(commitment(&one).expect("c"), commitment(&one).expect("c"));
        let mut other = sample("no".into(), None);
        other.salt = Payload::decode(&one).expect("decode").salt.clone();
        assert_ne!(commitment(&other.encode().expect("encode")).expect("c"), commitment(&one).expect("c"));
    }

    #[test]
    fn debug_shows_no_plaintext() {
        let shown = format!("{:?}", sample("the secret text".into(), Some("my phone".into())));
        assert!(
            !shown.contains("secret") && !shown.contains("phone") && !shown.contains("health"),
            "{shown}"
        );
        assert!(shown.contains("Report"), "{shown}");
    }

    #[test]
    fn buckets() {
        assert_eq!(bucket(0), 1024);
        assert_eq!(bucket(1024), 1024);
        assert_eq!(bucket(1025), 2048);
        assert_eq!(bucket(MIB), MIB);
        assert_eq!(bucket(MIB + 1), 2 * MIB);
        assert_eq!(bucket(3 * MIB + 5), 4 * MIB);
    }

    #[test]
    fn similar_lengths_share_a_size() {
        let a = sample("x".repeat(10), None).encode().expect("encode");
        let b = sample("x".repeat(600), None).encode().expect("encode");
        assert_eq!(a.len(), b.len());
    }

    #[test]
    fn decode_is_strict() {
        let mut enc = sample("hi".into(), None).encode().expect("encode").to_vec();
        assert_eq!(Payload::decode(b"nope"), Err(PayloadError::Magic));
        assert_eq!(Payload::decode(&enc[..MAGIC.len() + 2]), Err(PayloadError::Truncated));
        if let Some(last) = enc.last_mut() {
            *last = 1;
        }
        assert_eq!(Payload::decode(&enc), Err(PayloadError::Padding));
    }

    proptest! {
        #[test]
        fn round_trip(body in "\\PC{0,3000}", contact in proptest::option::of("\\PC{0,100}")) {
            let p = sample(body, contact);
            let enc = p.encode().expect("encode");
            prop_assert_eq!(enc.len(), bucket(enc.len()));
            prop_assert_eq!(Payload::decode(&enc), Ok(p));
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut framed = MAGIC.to_vec();
            framed.extend(bytes);
            let _ = Payload::decode(&framed);
        }
    }
}
