//! `known-keys.toml`: the reviewer signing keys this home trusts for verifying history,
//! pinned on first use (DESIGN.md invariant 9).
//!
//! Every pull lists the deployment's reviewer keys. A key id seen for the first time is
//! pinned; a known id that now comes with a different key is refused — a server could
//! otherwise swap a key and forge "signed" history — unless the reviewer passes
//! `--accept-new-keys` after checking with the oversight unit. The replaced key is kept as
//! *retired* with the date it was replaced, and still verifies history entries dated up to
//! that day (the actions signed before the change).
//!
//! The server also lists *revoked* keys, marked with the date of revocation (`revoked_on` in
//! `keys/reviewers/<id>.toml`). A revoked key verifies only actions dated (by the server and
//! by the reviewer's own signed timestamp) before that date. A revocation is taken in at
//! once, no flag needed (it only narrows what the key may sign), and never lifted by a later
//! answer that omits it: a revocation date can only move earlier.

use std::collections::BTreeMap;

use amana_core::wire::ReviewerKeyWire;
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use serde::{Deserialize, Serialize};
use time::Date;

use crate::error::{io_error, ReviewError};
use crate::home::{self, check_id, Home, KNOWN_KEYS_FILE};

/// The file's content.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownKeys {
    /// By key id.
    #[serde(default)]
    pub keys: BTreeMap<String, KnownKey>,
}

/// One pinned key id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownKey {
    /// Base64 of the raw 32-byte Ed25519 public key trusted now.
    pub ed25519_public_key: String,
    /// UTC date it was pinned.
    pub pinned_on: Date,
    /// Keys this id had before, each trusted for history up to the day it was replaced.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retired: Vec<RetiredKey>,
    /// The key is revoked from this UTC date: it verifies only actions dated before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_on: Option<Date>,
}

/// A key replaced with `--accept-new-keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetiredKey {
    /// Base64 of the raw public key.
    pub ed25519_public_key: String,
    /// UTC date it was replaced.
    pub retired_on: Date,
}

/// What a merge changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Key ids pinned for the first time.
    pub pinned: Vec<String>,
    /// Key ids whose key was replaced (with `--accept-new-keys`).
    pub replaced: Vec<String>,
    /// Key ids newly marked revoked (or revoked from an earlier date), with the date.
    pub revoked: Vec<(String, Date)>,
}

/// Decodes a base64 raw Ed25519 public key.
pub fn decode_key(b64: &str, what: &str) -> Result<Vec<u8>, ReviewError> {
    B64.decode(b64)
        .ok()
        .filter(|k| k.len() == 32)
        .ok_or_else(|| ReviewError::BadPublicKey { what: what.to_string() })
}

impl KnownKeys {
    /// Reads the file; a missing one is empty.
    pub fn load(home: &Home) -> Result<Self, ReviewError> {
        let path = home.file(KNOWN_KEYS_FILE);
        match std::fs::read_to_string(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(io_error(&path)(e)),
            Ok(text) => {
                toml::from_str(&text).map_err(|e| ReviewError::Damaged { path, detail: e.to_string() })
            }
        }
    }

    /// Rewrites the file.
    pub fn save(&self, home: &Home) -> Result<(), ReviewError> {
        let path = home.file(KNOWN_KEYS_FILE);
        let text = toml::to_string(self)
            .map_err(|e| ReviewError::Damaged { path: path.clone(), detail: e.to_string() })?;
        let header = "# Reviewer signing keys trusted for history signatures, pinned on first use.\n\
                      # A changed key is refused unless you pull with --accept-new-keys.\n";
        home::replace_file(&path, format!("{header}{text}").as_bytes())
    }

    /// Takes in the server's list: pins new ids, and refuses changed keys unless `accept`.
    pub fn merge(
        &mut self,
        server: &[ReviewerKeyWire],
        accept: bool,
        today: Date,
    ) -> Result<Changes, ReviewError> {
        let mut changes = Changes::default();
        let mut conflicts = Vec::new();
        for k in server {
            check_id("reviewer key id", &k.key_id)?;
            decode_key(&k.ed25519_public_key, &format!("the server's key for reviewer {}", k.key_id))?;
            match self.keys.get_mut(&k.key_id) {
                None => {
                    let key = KnownKey {
                        ed25519_public_key: k.ed25519_public_key.clone(),
                        pinned_on: today,
                        retired: vec![],
                        revoked_on: k.revoked_on,
                    };
                    self.keys.insert(k.key_id.clone(), key);
                    changes.pinned.push(k.key_id.clone());
                    if let Some(r) = k.revoked_on {
                        changes.revoked.push((k.key_id.clone(), r));
                    }
                }
                Some(known) if known.ed25519_public_key == k.ed25519_public_key => {
                    // Only ever narrowed: a later answer without the mark does not lift it.
                    if let Some(r) = k.revoked_on.filter(|r| known.revoked_on.is_none_or(|old| *r < old)) {
                        known.revoked_on = Some(r);
                        changes.revoked.push((k.key_id.clone(), r));
                    }
                }
                Some(known) if accept => {
                    let old = std::mem::replace(&mut known.ed25519_public_key, k.ed25519_public_key.clone());
                    // The old key stays trusted up to its replacement or its revocation.
                    let retired_on = known.revoked_on.map_or(today, |r| r.min(today));
                    known.retired.push(RetiredKey { ed25519_public_key: old, retired_on });
                    known.pinned_on = today;
                    known.revoked_on = k.revoked_on;
                    changes.replaced.push(k.key_id.clone());
                }
                Some(_) => conflicts.push(k.key_id.clone()),
            }
        }
        if conflicts.is_empty() {
            Ok(changes)
        } else {
            Err(ReviewError::KeyChanged { ids: conflicts.join(", ") })
        }
    }

    /// The trusted key of `key_id` now.
    pub fn current(&self, key_id: &str) -> Option<Vec<u8>> {
        self.keys.get(key_id).and_then(|k| B64.decode(&k.ed25519_public_key).ok())
    }

    /// Every key that may have signed an action of `key_id` dated `on` (by the server) and
    /// signed on `signed_on` (the reviewer's signed timestamp): the current one unless it
    /// was revoked by either date, then retired ones replaced on or after `on`.
    pub fn candidates(&self, key_id: &str, on: Date, signed_on: Option<Date>) -> Vec<Vec<u8>> {
        let Some(k) = self.keys.get(key_id) else {
            return Vec::new();
        };
        let latest = signed_on.map_or(on, |s| s.max(on));
        let current = k.revoked_on.is_none_or(|r| latest < r);
        std::iter::once(&k.ed25519_public_key)
            .filter(|_| current)
            .chain(k.retired.iter().filter(|r| r.retired_on >= on).map(|r| &r.ed25519_public_key))
            .filter_map(|b64| B64.decode(b64).ok())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn wire(id: &str, byte: u8) -> ReviewerKeyWire {
        ReviewerKeyWire { key_id: id.into(), ed25519_public_key: B64.encode([byte; 32]), revoked_on: None }
    }

    #[test]
    fn first_use_pins_and_changes_are_refused_unless_accepted() {
        let mut keys = KnownKeys::default();
        let c = keys.merge(&[wire("alice", 1), wire("bob", 2)], false, date!(2026 - 11 - 01)).expect("pin");
        assert_eq!(c.pinned, ["alice", "bob"]);
        assert_eq!(
            keys.merge(&[wire("alice", 1)], false, date!(2026 - 11 - 02)).expect("same"),
            Changes::default()
        );
        let before = keys.clone();
        let err = keys
            .merge(&[wire("alice", 9), wire("carol", 3)], false, date!(2026 - 11 - 03))
            .expect_err("refused");
        assert!(err.to_string().contains("reviewer(s) you had pinned: alice"), "{err}");
        assert_eq!(keys.keys["alice"], before.keys["alice"], "the pin is kept");
        let c = keys.merge(&[wire("alice", 9)], true, date!(2026 - 11 - 03)).expect("accepted");
        assert_eq!(c.replaced, ["alice"]);
        assert_eq!(keys.current("alice"), Some(vec![9; 32]));
        assert_eq!(keys.candidates("alice", date!(2026 - 11 - 02), None), vec![vec![9; 32], vec![1; 32]]);
        assert_eq!(keys.candidates("alice", date!(2026 - 11 - 04), None), vec![vec![9; 32]]);
        assert!(keys.candidates("nobody", date!(2026 - 11 - 04), None).is_empty());
    }

    #[test]
    fn a_revoked_key_verifies_only_before_its_date_and_stays_revoked() {
        let mut keys = KnownKeys::default();
        keys.merge(&[wire("alice", 1)], false, date!(2026 - 11 - 01)).expect("pin");
        let revoked = ReviewerKeyWire { revoked_on: Some(date!(2026 - 11 - 10)), ..wire("alice", 1) };
        let c =
            keys.merge(std::slice::from_ref(&revoked), false, date!(2026 - 11 - 12)).expect("no flag needed");
        assert_eq!(c.revoked, [("alice".to_string(), date!(2026 - 11 - 10))]);
        assert_eq!(keys.candidates("alice", date!(2026 - 11 - 09), None), vec![vec![1; 32]]);
        assert!(keys.candidates("alice", date!(2026 - 11 - 10), None).is_empty());
        // Dated before by the server but signed on the revocation date: refused too.
        assert!(keys.candidates("alice", date!(2026 - 11 - 09), Some(date!(2026 - 11 - 10))).is_empty());
        // A later answer cannot lift or postpone the revocation; an earlier date narrows it.
        keys.merge(&[wire("alice", 1)], false, date!(2026 - 11 - 13)).expect("unmarked");
        let later = ReviewerKeyWire { revoked_on: Some(date!(2026 - 12 - 01)), ..wire("alice", 1) };
        assert!(keys.merge(&[later], false, date!(2026 - 11 - 13)).expect("later").revoked.is_empty());
        assert_eq!(keys.keys["alice"].revoked_on, Some(date!(2026 - 11 - 10)));
        let earlier = ReviewerKeyWire { revoked_on: Some(date!(2026 - 11 - 05)), ..wire("alice", 1) };
        keys.merge(&[earlier], false, date!(2026 - 11 - 13)).expect("earlier");
        assert!(keys.candidates("alice", date!(2026 - 11 - 06), None).is_empty());
        // A fresh home pins a key that is already revoked, marked.
        let mut fresh = KnownKeys::default();
        let c = fresh.merge(&[revoked], false, date!(2026 - 11 - 12)).expect("pin revoked");
        assert_eq!((c.pinned.len(), c.revoked.len()), (1, 1));
        assert_eq!(fresh.candidates("alice", date!(2026 - 11 - 09), None), vec![vec![1; 32]]);
    }

    #[test]
    fn malformed_server_keys_are_refused() {
        let mut keys = KnownKeys::default();
        let short = ReviewerKeyWire {
            key_id: "alice".into(),
            ed25519_public_key: B64.encode([1u8; 31]),
            revoked_on: None,
        };
        assert!(matches!(
            keys.merge(&[short], false, date!(2026 - 11 - 01)),
            Err(ReviewError::BadPublicKey { .. })
        ));
        assert!(matches!(
            keys.merge(&[wire("../x", 1)], false, date!(2026 - 11 - 01)),
            Err(ReviewError::UnsafeId { .. })
        ));
    }

    #[test]
    fn file_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = Home::resolve(Some(dir.path().to_path_buf())).expect("home");
        assert_eq!(KnownKeys::load(&home).expect("empty"), KnownKeys::default());
        let mut keys = KnownKeys::default();
        keys.merge(&[wire("alice", 1)], false, date!(2026 - 11 - 01)).expect("pin");
        keys.merge(&[wire("alice", 2)], true, date!(2026 - 11 - 02)).expect("replace");
        keys.save(&home).expect("save");
        assert_eq!(KnownKeys::load(&home).expect("load"), keys);
    }
}
