//! The `keys/` directory format: the deployment's agencies and its reviewers' public keys.
//!
//! ```text
//! keys/agencies.toml        deployment id and the agencies reports can be sent to
//! keys/reviewers/*.toml     one public-key entry per reviewer (as `amana-review keygen` prints)
//! ```
//! This module parses the texts; reading the directory is the caller's job.

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// One agency that reports can be addressed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agency {
    /// Stable identifier (lowercase letters, digits, dashes).
    pub id: String,
    /// Display names by language tag, e.g. `en`, `ar`.
    pub name: BTreeMap<String, String>,
}

/// `keys/agencies.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgenciesFile {
    /// Names this deployment in every signed request, so a signature for one
    /// deployment is worthless on another.
    pub deployment_id: String,
    /// The agencies.
    #[serde(rename = "agency")]
    pub agencies: Vec<Agency>,
}

/// `keys/reviewers/<id>.toml`: a reviewer's public keys and scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewerEntry {
    /// Key id, used in signatures.
    pub id: String,
    /// age X25519 recipient (`age1…`): new cases in scope are encrypted to it.
    pub age_recipient: String,
    /// Ed25519 public key, base64 of the 32 raw bytes.
    pub ed25519_public_key: String,
    /// Agencies this reviewer serves.
    #[serde(default)]
    pub agencies: Vec<String>,
    /// Oversight reviewers can read and act on every case.
    #[serde(default)]
    pub oversight: bool,
}

/// A validated reviewer.
#[derive(Debug, Clone)]
pub struct Reviewer {
    pub entry: ReviewerEntry,
    pub recipient: age::x25519::Recipient,
    pub public_key: [u8; 32],
}

impl Reviewer {
    /// Whether this reviewer may see and act on a case.
    pub fn may_access(&self, agency: &str, oversight_only: bool) -> bool {
        self.entry.oversight || (!oversight_only && self.entry.agencies.iter().any(|a| a == agency))
    }
}

/// Why the key directory is unusable; each message says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error("agencies file: {0}")]
    Agencies(String),
    #[error("reviewer entry {file}: {msg}")]
    Reviewer { file: String, msg: String },
    #[error("duplicate {0}")]
    Duplicate(String),
    #[error("no oversight reviewer: at least one entry needs `oversight = true`")]
    NoOversight,
}

/// The parsed key directory.
#[derive(Debug, Clone)]
pub struct Keyring {
    pub deployment_id: String,
    pub agencies: Vec<Agency>,
    pub reviewers: Vec<Reviewer>,
}

/// Whether `s` is a valid key, agency or deployment id: 1-64 of `a-z 0-9 - _`.
pub fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn parse_reviewer(file: &str, text: &str, agencies: &HashSet<&str>) -> Result<Reviewer, KeyringError> {
    let err = |msg: String| KeyringError::Reviewer { file: file.to_string(), msg };
    let entry: ReviewerEntry = toml::from_str(text).map_err(|e| err(e.to_string()))?;
    if !valid_id(&entry.id) {
        return Err(err("id must be 1-64 lowercase letters, digits, '-' or '_'".into()));
    }
    let recipient = entry
        .age_recipient
        .parse()
        .map_err(|_| err("age_recipient is not an age1… X25519 recipient".into()))?;
    let public_key: [u8; 32] = B64
        .decode(&entry.ed25519_public_key)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| err("ed25519_public_key must be base64 of 32 bytes".into()))?;
    if let Some(a) = entry.agencies.iter().find(|a| !agencies.contains(a.as_str())) {
        return Err(err(format!("unknown agency `{a}` (not in agencies.toml)")));
    }
    if !entry.oversight && entry.agencies.is_empty() {
        return Err(err("serves no agency and is not oversight".into()));
    }
    Ok(Reviewer { entry, recipient, public_key })
}

impl Keyring {
    /// Parses and cross-checks the agencies file and reviewer entries `(file name, text)`.
    pub fn parse(agencies_toml: &str, reviewers: &[(String, String)]) -> Result<Self, KeyringError> {
        let file: AgenciesFile =
            toml::from_str(agencies_toml).map_err(|e| KeyringError::Agencies(e.to_string()))?;
        if !valid_id(&file.deployment_id) {
            return Err(KeyringError::Agencies("deployment_id must be a simple id".into()));
        }
        let mut ids = HashSet::new();
        for a in &file.agencies {
            if !valid_id(&a.id) {
                return Err(KeyringError::Agencies(format!("bad agency id `{}`", a.id)));
            }
            if !ids.insert(a.id.as_str()) {
                return Err(KeyringError::Duplicate(format!("agency `{}`", a.id)));
            }
        }
        let mut parsed = Vec::new();
        let mut reviewer_ids = HashSet::new();
        for (name, text) in reviewers {
            let r = parse_reviewer(name, text, &ids)?;
            if !reviewer_ids.insert(r.entry.id.clone()) {
                return Err(KeyringError::Duplicate(format!("reviewer `{}`", r.entry.id)));
            }
            parsed.push(r);
        }
        if !parsed.iter().any(|r| r.entry.oversight) {
            return Err(KeyringError::NoOversight);
        }
        Ok(Keyring { deployment_id: file.deployment_id, agencies: file.agencies, reviewers: parsed })
    }

    /// The agency with this id.
    pub fn agency(&self, id: &str) -> Option<&Agency> {
        self.agencies.iter().find(|a| a.id == id)
    }

    /// The reviewer with this key id.
    pub fn reviewer(&self, key_id: &str) -> Option<&Reviewer> {
        self.reviewers.iter().find(|r| r.entry.id == key_id)
    }

    /// A case's recipients: the agency's reviewers plus oversight, or oversight alone.
    pub fn recipients_for(&self, agency: &str, oversight_only: bool) -> Vec<age::x25519::Recipient> {
        self.reviewers
            .iter()
            .filter(|r| r.may_access(agency, oversight_only))
            .map(|r| r.recipient.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AGENCIES: &str = r#"
deployment_id = "test"
[[agency]]
id = "health"
name = { en = "Ministry of Health", ar = "وزارة الصحة" }
[[agency]]
id = "transport"
name = { en = "Transport" }
"#;

    fn entry(id: &str, agencies: &[&str], oversight: bool) -> (String, String) {
        let e = ReviewerEntry {
            id: id.into(),
            age_recipient: age::x25519::Identity::generate().to_public().to_string(),
            ed25519_public_key: B64.encode([7u8; 32]),
            agencies: agencies.iter().map(|s| s.to_string()).collect(),
            oversight,
        };
        (format!("{id}.toml"), toml::to_string(&e).unwrap_or_default())
    }

    #[test]
    fn recipients_follow_scope() {
        let k = Keyring::parse(
            AGENCIES,
            &[entry("ovs", &[], true), entry("h1", &["health"], false), entry("t1", &["transport"], false)],
        )
        .expect("parse");
        assert_eq!(k.recipients_for("health", false).len(), 2);
        assert_eq!(k.recipients_for("health", true).len(), 1);
        assert!(k.reviewer("h1").is_some_and(|r| r.may_access("health", false)));
        assert!(k.reviewer("h1").is_some_and(|r| !r.may_access("health", true)));
        assert!(k.reviewer("h1").is_some_and(|r| !r.may_access("transport", false)));
        assert!(k.reviewer("ovs").is_some_and(|r| r.may_access("transport", true)));
    }

    #[test]
    fn refuses_bad_directories() {
        assert!(matches!(
            Keyring::parse(AGENCIES, &[entry("h1", &["health"], false)]),
            Err(KeyringError::NoOversight)
        ));
        assert!(Keyring::parse(AGENCIES, &[entry("o", &[], true), entry("x", &["nowhere"], false)]).is_err());
        assert!(Keyring::parse(AGENCIES, &[entry("o", &[], true), entry("o", &[], true)]).is_err());
        assert!(Keyring::parse("deployment_id = 'Bad Id'\nagency = []", &[]).is_err());
    }
}
