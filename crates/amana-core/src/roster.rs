//! The signed roster: the one out-of-band trust anchor of a deployment (SECURITY.md invariants 10,
//! docs/FORMATS.md §9).
//!
//! The oversight unit holds an offline **roster key** (Ed25519). Its fingerprint reaches
//! every reviewer home in person, never from the server. The roster it signs lists each
//! reviewer (key id, Ed25519 key, age recipient, role, agencies, revocation) and the server's
//! attestation key, under a version that only rises. Reviewer homes use roster entries only:
//! no key is ever trusted because a server or a bundle named it.
//!
//! The signature covers the length-prefixed fields `amana-roster-v1` and the roster's JSON
//! text exactly as carried, so the text is kept verbatim and parsed only after it verified.

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use ring::{
    digest,
    signature::{self, Ed25519KeyPair, KeyPair},
};
use serde::{Deserialize, Serialize};
use time::Date;

use crate::keyring::{valid_id, ReviewerEntry};

/// The roster format this crate reads and writes.
pub const FORMAT: &str = "amana-roster-v1";
/// Domain separation of a roster key's fingerprint.
const FINGERPRINT_CONTEXT: &[u8] = b"amana-roster-key-v1";
/// Hex digits of a fingerprint (128 bits): enough against a second key with the same print.
const FINGERPRINT_HEX: usize = 32;

/// What the roster key signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Roster {
    /// Always [`FORMAT`]; a newer format makes older homes say "upgrade".
    pub format: String,
    /// The deployment this roster governs.
    pub deployment_id: String,
    /// Rises with every signing; homes refuse a lower one.
    pub version: u64,
    /// UTC date of signing.
    pub issued_on: Date,
    /// Base64 of the server's raw Ed25519 attestation public key: it signs the events no
    /// reviewer makes (submissions, escalations).
    pub attestation_key: String,
    /// Every reviewer, revoked ones included.
    pub reviewers: Vec<RosterEntry>,
    /// Hashes of case heads whose unattested events (made before the server attested
    /// events) the oversight unit verified and vouches for, so fresh homes accept them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vouched_heads: Vec<String>,
}

/// One reviewer in the roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosterEntry {
    /// Key id.
    pub id: String,
    /// Base64 of the raw Ed25519 public key.
    pub ed25519_public_key: String,
    /// `age1…`: cases this reviewer may read are encrypted to it.
    pub age_recipient: String,
    /// Oversight reads and acts on every case.
    pub oversight: bool,
    /// Agencies served (empty for oversight).
    #[serde(default)]
    pub agencies: Vec<String>,
    /// From this UTC date the key is revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_on: Option<Date>,
    /// For a revoked key: hashes of the history events it signed that oversight vouches
    /// for (taken from an oversight home). Homes accept other events of a revoked key only
    /// if they had verified them before they learnt of the revocation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub valid_events: Vec<String>,
}

impl RosterEntry {
    /// The entry as `keys/reviewers/<id>.toml` spells it.
    pub fn to_reviewer_entry(&self) -> ReviewerEntry {
        ReviewerEntry {
            id: self.id.clone(),
            age_recipient: self.age_recipient.clone(),
            ed25519_public_key: self.ed25519_public_key.clone(),
            agencies: self.agencies.clone(),
            oversight: self.oversight,
            revoked_on: self.revoked_on,
        }
    }

    /// The roster entry for a `keys/reviewers/<id>.toml` entry.
    pub fn from_reviewer_entry(e: &ReviewerEntry) -> Self {
        Self {
            id: e.id.clone(),
            ed25519_public_key: e.ed25519_public_key.clone(),
            age_recipient: e.age_recipient.clone(),
            oversight: e.oversight,
            agencies: e.agencies.clone(),
            revoked_on: e.revoked_on,
            valid_events: vec![],
        }
    }

    /// Whether this reviewer may read a case of `agency` (oversight: every case).
    pub fn may_access(&self, agency: &str, oversight_only: bool) -> bool {
        self.oversight || (!oversight_only && self.agencies.iter().any(|a| a == agency))
    }

    /// Whether the key is revoked on `date`.
    pub fn is_revoked_on(&self, date: Date) -> bool {
        self.revoked_on.is_some_and(|r| date >= r)
    }

    /// The raw public key, if well formed.
    pub fn public_key(&self) -> Option<[u8; 32]> {
        B64.decode(&self.ed25519_public_key).ok()?.try_into().ok()
    }
}

/// A roster as carried: the JSON text exactly as signed, the roster key and the signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedRoster {
    /// The [`Roster`] as JSON text, verbatim.
    pub roster: String,
    /// Base64 of the raw Ed25519 roster public key (checked against the pinned fingerprint).
    pub roster_key: String,
    /// Base64 Ed25519 signature over [`message`] of `roster`.
    pub signature: String,
}

/// Why a roster is refused. Each message says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RosterError {
    #[error("the roster is not signed by the roster key whose fingerprint this home holds (it is signed by {got}); ask the oversight unit in person which fingerprint is right")]
    WrongKey { got: String },
    #[error("the roster's signature does not verify: it was altered after signing")]
    BadSignature,
    #[error("the roster is in format `{0}`, which this amana-review does not know: upgrade amana-review")]
    Upgrade(String),
    #[error("the roster is unreadable: {0}")]
    Malformed(String),
    #[error("the roster is for deployment `{got}`, not `{expected}`")]
    Deployment { expected: String, got: String },
    #[error("the roster is version {got}, older than version {held} which this home already holds (an old roster replayed?)")]
    Older { held: u64, got: u64 },
    #[error("the roster claims version {0}, which this home holds with other content: a roster key that signs two different rosters of one version is misused; tell the oversight unit")]
    Forked(u64),
}

/// The signed bytes.
pub fn message(roster_json: &str) -> Vec<u8> {
    crate::signing::length_prefixed(&[FORMAT.as_bytes(), roster_json.as_bytes()])
}

/// The fingerprint of a raw roster public key: 32 lowercase hex digits in groups of four
/// (`1a2b 3c4d …`), to be read aloud or compared on paper.
pub fn fingerprint(public_key: &[u8]) -> String {
    let mut input = FINGERPRINT_CONTEXT.to_vec();
    input.extend_from_slice(public_key);
    let hex = hex::encode(digest::digest(&digest::SHA256, &input));
    grouped(&hex[..FINGERPRINT_HEX])
}

/// Hex digits in groups of four, for reading aloud.
fn grouped(hex: &str) -> String {
    hex.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
}

/// A fingerprint as typed (any case, spaces or dashes), normalised; `None` if it is not one.
pub fn parse_fingerprint(text: &str) -> Option<String> {
    let hex: String =
        text.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_lowercase()).collect();
    (hex.len() == FINGERPRINT_HEX && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| {
        hex.as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    })
}

/// First word of a roster key file (its one line: the prefix, then base64 PKCS#8).
const KEY_FILE_PREFIX: &str = "AMANA-ROSTER-KEY-1 ";

/// A new roster key, as the text of its file (to be passphrase-protected by the caller).
pub fn generate_key_file() -> Result<zeroize::Zeroizing<String>, RosterError> {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new())
        .map_err(|_| RosterError::Malformed("cannot generate a key".into()))?;
    Ok(zeroize::Zeroizing::new(format!("{KEY_FILE_PREFIX}{}\n", B64.encode(pkcs8.as_ref()))))
}

/// Reads a roster key file's text.
pub fn parse_key_file(text: &str) -> Result<Ed25519KeyPair, RosterError> {
    let bad = || {
        RosterError::Malformed(format!("not a roster key file (expected a line starting {KEY_FILE_PREFIX})"))
    };
    let line = text
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix(KEY_FILE_PREFIX.trim_end()))
        .ok_or_else(bad)?;
    let der = zeroize::Zeroizing::new(B64.decode(line.trim()).map_err(|_| bad())?);
    Ed25519KeyPair::from_pkcs8(&der).map_err(|_| bad())
}

/// Signs a roster with the roster key.
pub fn sign(key: &Ed25519KeyPair, roster: &Roster) -> Result<SignedRoster, RosterError> {
    let text = serde_json::to_string_pretty(roster).map_err(|e| RosterError::Malformed(e.to_string()))?;
    let signature = key.sign(&message(&text));
    Ok(SignedRoster {
        roster: text,
        roster_key: B64.encode(key.public_key().as_ref()),
        signature: B64.encode(signature.as_ref()),
    })
}

impl SignedRoster {
    /// The fingerprint of the key that signed it (not yet trusted).
    pub fn key_fingerprint(&self) -> Result<String, RosterError> {
        let key = B64.decode(&self.roster_key).map_err(|_| RosterError::Malformed("roster_key".into()))?;
        Ok(fingerprint(&key))
    }

    /// Checks the signature under the embedded key and parses the roster. This proves only
    /// that the roster is intact; whether its key is *the* roster key is [`Self::verify`]'s.
    pub fn open_self_signed(&self) -> Result<Roster, RosterError> {
        let key = B64.decode(&self.roster_key).map_err(|_| RosterError::Malformed("roster_key".into()))?;
        let sig = B64.decode(&self.signature).map_err(|_| RosterError::BadSignature)?;
        signature::UnparsedPublicKey::new(&signature::ED25519, &key)
            .verify(&message(&self.roster), &sig)
            .map_err(|_| RosterError::BadSignature)?;
        parse(&self.roster)
    }

    /// Verifies the roster against the fingerprint a home was given in person and the
    /// deployment it serves.
    pub fn verify(&self, pinned_fingerprint: &str, deployment_id: &str) -> Result<Roster, RosterError> {
        let got = self.key_fingerprint()?;
        if parse_fingerprint(pinned_fingerprint).as_deref() != Some(got.as_str()) {
            return Err(RosterError::WrongKey { got });
        }
        let roster = self.open_self_signed()?;
        if roster.deployment_id != deployment_id {
            return Err(RosterError::Deployment {
                expected: deployment_id.to_string(),
                got: roster.deployment_id,
            });
        }
        Ok(roster)
    }
}

/// Parses and checks a roster text: the format first (so a newer one says "upgrade"), then
/// the fields.
pub fn parse(text: &str) -> Result<Roster, RosterError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| RosterError::Malformed(e.to_string()))?;
    match value.get("format").and_then(|f| f.as_str()) {
        Some(FORMAT) => {}
        Some(other) => return Err(RosterError::Upgrade(other.chars().take(40).collect())),
        None => return Err(RosterError::Malformed("no format".into())),
    }
    let roster: Roster = serde_json::from_value(value).map_err(|e| RosterError::Malformed(e.to_string()))?;
    roster.check()?;
    Ok(roster)
}

impl Roster {
    /// Internal consistency: ids, keys, recipients, at least one current oversight entry.
    pub fn check(&self) -> Result<(), RosterError> {
        let bad = |m: String| Err(RosterError::Malformed(m));
        if !valid_id(&self.deployment_id) {
            return bad("deployment_id".into());
        }
        if B64.decode(&self.attestation_key).map(|k| k.len()) != Ok(32) {
            return bad("attestation_key must be base64 of 32 bytes".into());
        }
        let mut ids = std::collections::HashSet::new();
        for r in &self.reviewers {
            if !valid_id(&r.id) || !ids.insert(r.id.as_str()) {
                return bad(format!("reviewer id `{}` is invalid or listed twice", r.id.escape_debug()));
            }
            if r.public_key().is_none() || r.age_recipient.parse::<age::x25519::Recipient>().is_err() {
                return bad(format!("reviewer `{}` has a malformed key or recipient", r.id));
            }
            if !r.oversight && r.agencies.is_empty() {
                return bad(format!("reviewer `{}` serves no agency and is not oversight", r.id));
            }
        }
        if !self.reviewers.iter().any(|r| r.oversight && r.revoked_on.is_none()) {
            return bad("no current oversight reviewer".into());
        }
        Ok(())
    }

    /// The reviewer with this key id.
    pub fn reviewer(&self, id: &str) -> Option<&RosterEntry> {
        self.reviewers.iter().find(|r| r.id == id)
    }

    /// The raw attestation key.
    pub fn attestation_public_key(&self) -> Option<[u8; 32]> {
        B64.decode(&self.attestation_key).ok()?.try_into().ok()
    }

    /// Who may read a case of `agency` on `today`: its agency's reviewers and oversight (or
    /// oversight alone), never a revoked key. Computed by every party from the roster alone.
    pub fn readers(&self, agency: &str, oversight_only: bool, today: Date) -> Vec<&RosterEntry> {
        self.reviewers
            .iter()
            .filter(|r| r.may_access(agency, oversight_only) && !r.is_revoked_on(today))
            .collect()
    }

    /// Checks that `newer` may replace this roster in a home.
    pub fn check_successor(
        &self,
        held_text: &str,
        newer: &Roster,
        newer_text: &str,
    ) -> Result<(), RosterError> {
        if newer.version < self.version {
            return Err(RosterError::Older { held: self.version, got: newer.version });
        }
        if newer.version == self.version && newer_text != held_text {
            return Err(RosterError::Forked(newer.version));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Ed25519KeyPair {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).expect("gen");
        Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("key")
    }

    fn entry(id: &str, oversight: bool) -> RosterEntry {
        RosterEntry {
            id: id.into(),
            ed25519_public_key: B64.encode(key().public_key().as_ref()),
            age_recipient: age::x25519::Identity::generate().to_public().to_string(),
            oversight,
            agencies: if oversight { vec![] } else { vec!["health".into()] },
            revoked_on: None,
            valid_events: vec![],
        }
    }

    fn roster(version: u64) -> Roster {
        Roster {
            format: FORMAT.into(),
            deployment_id: "dep".into(),
            version,
            issued_on: time::macros::date!(2026 - 12 - 01),
            attestation_key: B64.encode([9u8; 32]),
            reviewers: vec![entry("ovs", true), entry("h1", false)],
            vouched_heads: vec![],
        }
    }

    #[test]
    fn a_signed_roster_verifies_only_under_the_pinned_fingerprint() {
        let k = key();
        let r = roster(1);
        let signed = sign(&k, &r).expect("sign");
        let fp = fingerprint(k.public_key().as_ref());
        assert_eq!(signed.verify(&fp, "dep").expect("verify"), r);
        // Typed with dashes and upper case: the same fingerprint.
        let typed = fp.replace(' ', "-").to_uppercase();
        assert!(signed.verify(&typed, "dep").is_ok());
        assert!(matches!(signed.verify(&fp, "other"), Err(RosterError::Deployment { .. })));
        // A roster signed by another key (a server's, a carrier's) is refused whatever it says.
        let forged = sign(&key(), &roster(2)).expect("sign");
        assert!(matches!(forged.verify(&fp, "dep"), Err(RosterError::WrongKey { .. })));
        // An edited text no longer verifies.
        let mut edited = signed.clone();
        edited.roster = edited.roster.replace("\"version\": 1", "\"version\": 7");
        assert_eq!(edited.verify(&fp, "dep"), Err(RosterError::BadSignature));
    }

    #[test]
    fn versions_only_rise_and_newer_formats_say_upgrade() {
        let (a, b) = (roster(2), roster(3));
        let (ta, tb) = (serde_json::to_string(&a).expect("a"), serde_json::to_string(&b).expect("b"));
        assert!(a.check_successor(&ta, &b, &tb).is_ok());
        assert!(a.check_successor(&ta, &a, &ta).is_ok());
        assert_eq!(b.check_successor(&tb, &a, &ta), Err(RosterError::Older { held: 3, got: 2 }));
        let mut c = roster(2);
        c.reviewers.pop();
        let tc = serde_json::to_string(&c).expect("c");
        assert_eq!(a.check_successor(&ta, &c, &tc), Err(RosterError::Forked(2)));
        let newer = ta.replace(FORMAT, "amana-roster-v9");
        assert_eq!(parse(&newer), Err(RosterError::Upgrade("amana-roster-v9".into())));
    }

    #[test]
    fn readers_follow_scope_and_revocation() {
        let mut r = roster(1);
        let today = time::macros::date!(2026 - 12 - 02);
        assert_eq!(r.readers("health", false, today).len(), 2);
        assert_eq!(r.readers("health", true, today).len(), 1);
        assert_eq!(r.readers("transport", false, today).len(), 1);
        r.reviewers[1].revoked_on = Some(today);
        assert_eq!(r.readers("health", false, today).len(), 1);
        r.reviewers[0].revoked_on = Some(today);
        assert!(r.check().is_err(), "no current oversight");
    }

    #[test]
    fn fingerprints_parse_strictly() {
        let fp = fingerprint(&[1u8; 32]);
        assert_eq!(fp.len(), 39);
        assert_eq!(parse_fingerprint(&fp.replace(' ', "")).as_deref(), Some(fp.as_str()));
        assert_eq!(parse_fingerprint("abc"), None);
        assert_eq!(parse_fingerprint(&fp.replace('0', "g")).filter(|_| fp.contains('0')), None);
    }
}
