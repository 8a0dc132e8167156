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
use time::Date;

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
    /// The UTC date from which this key is revoked (`revoked_on = 2026-11-23`, a TOML date
    /// or a `"YYYY-MM-DD"` string): from that date new cases are not encrypted to it and
    /// its signed requests are refused, but its public key stays listed (marked) so history
    /// it signed before that date still verifies.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "de_opt_date")]
    pub revoked_on: Option<Date>,
}

/// A TOML date (`2026-11-23`) or a `"2026-11-23"` string.
fn de_opt_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Toml(toml::value::Datetime),
        Text(String),
    }
    let text = match Raw::deserialize(d)? {
        Raw::Toml(dt) => match (dt.date, dt.time, dt.offset) {
            (Some(_), None, None) => dt.to_string(),
            _ => return Err(serde::de::Error::custom("revoked_on must be a date (YYYY-MM-DD), not a time")),
        },
        Raw::Text(s) => s,
    };
    Date::parse(&text, &time::format_description::well_known::Iso8601::DATE)
        .map(Some)
        .map_err(|_| serde::de::Error::custom(format!("revoked_on `{text}` is not a date (YYYY-MM-DD)")))
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

    /// Whether the key is revoked on `date` (revocation applies from `revoked_on` on).
    pub fn is_revoked_on(&self, date: Date) -> bool {
        self.entry.revoked_on.is_some_and(|r| date >= r)
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
    #[error("no oversight reviewer: at least one entry without `revoked_on` needs `oversight = true`")]
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
    let entry: ReviewerEntry = toml::from_str(text)
        .map_err(|e| KeyringError::Reviewer { file: file.to_string(), msg: e.to_string() })?;
    check_reviewer(file, entry, agencies)
}

fn check_reviewer(
    file: &str,
    entry: ReviewerEntry,
    agencies: &HashSet<&str>,
) -> Result<Reviewer, KeyringError> {
    let err = |msg: String| KeyringError::Reviewer { file: file.to_string(), msg };
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
        Self::build(agencies_toml, reviewers, |name, text, ids| parse_reviewer(name, text, ids))
    }

    /// Builds the keyring from the agencies file and the reviewers of a signed roster.
    pub fn from_roster(agencies_toml: &str, roster: &crate::roster::Roster) -> Result<Self, KeyringError> {
        let entries: Vec<(String, crate::keyring::ReviewerEntry)> = roster
            .reviewers
            .iter()
            .map(|r| (format!("roster entry `{}`", r.id), r.to_reviewer_entry()))
            .collect();
        let k = Self::build(agencies_toml, &entries, |name, e, ids| check_reviewer(name, e.clone(), ids))?;
        if k.deployment_id != roster.deployment_id {
            return Err(KeyringError::Agencies(format!(
                "deployment_id `{}` differs from the signed roster's `{}`",
                k.deployment_id, roster.deployment_id
            )));
        }
        Ok(k)
    }

    fn build<T>(
        agencies_toml: &str,
        reviewers: &[(String, T)],
        parse_one: impl Fn(&str, &T, &HashSet<&str>) -> Result<Reviewer, KeyringError>,
    ) -> Result<Self, KeyringError> {
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
        for (name, item) in reviewers {
            let r = parse_one(name, item, &ids)?;
            if !reviewer_ids.insert(r.entry.id.clone()) {
                return Err(KeyringError::Duplicate(format!("reviewer `{}`", r.entry.id)));
            }
            parsed.push(r);
        }
        if !parsed.iter().any(|r| r.entry.oversight && r.entry.revoked_on.is_none()) {
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

    /// The Ed25519 public key of an oversight reviewer — one not revoked on `current_on`, if
    /// given — for checking what oversight signs outside a request (visit tokens, figures).
    pub fn oversight_key(&self, key_id: &str, current_on: Option<Date>) -> Option<[u8; 32]> {
        self.reviewer(key_id)
            .filter(|r| r.entry.oversight && current_on.is_none_or(|d| !r.is_revoked_on(d)))
            .map(|r| r.public_key)
    }

    /// The reviewers who may read a case of `agency` on `today`: the agency's reviewers plus
    /// oversight, or oversight alone; never a key revoked by `today`.
    pub fn readers_of<'k>(
        &'k self,
        agency: &'k str,
        oversight_only: bool,
        today: Date,
    ) -> impl Iterator<Item = &'k Reviewer> + 'k {
        self.reviewers.iter().filter(move |r| r.may_access(agency, oversight_only) && !r.is_revoked_on(today))
    }

    /// A case's recipients on `today` (see [`Self::readers_of`]).
    pub fn recipients_for(
        &self,
        agency: &str,
        oversight_only: bool,
        today: Date,
    ) -> Vec<age::x25519::Recipient> {
        self.readers_of(agency, oversight_only, today).map(|r| r.recipient.clone()).collect()
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
            revoked_on: None,
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
        let today = time::macros::date!(2026 - 11 - 23);
        assert_eq!(k.recipients_for("health", false, today).len(), 2);
        assert_eq!(k.recipients_for("health", true, today).len(), 1);
        assert!(k.reviewer("h1").is_some_and(|r| r.may_access("health", false)));
        assert!(k.reviewer("h1").is_some_and(|r| !r.may_access("health", true)));
        assert!(k.reviewer("h1").is_some_and(|r| !r.may_access("transport", false)));
        assert!(k.reviewer("ovs").is_some_and(|r| r.may_access("transport", true)));
    }

    #[test]
    fn revoked_keys_leave_the_recipients_from_their_date() {
        let (name, text) = entry("h1", &["health"], false);
        let revoked = format!("{text}revoked_on = 2026-11-23\n");
        let k = Keyring::parse(AGENCIES, &[entry("ovs", &[], true), (name.clone(), revoked)]).expect("parse");
        let h1 = k.reviewer("h1").expect("h1 is still listed");
        assert_eq!(h1.entry.revoked_on, Some(time::macros::date!(2026 - 11 - 23)));
        assert!(!h1.is_revoked_on(time::macros::date!(2026 - 11 - 22)));
        assert!(h1.is_revoked_on(time::macros::date!(2026 - 11 - 23)));
        assert_eq!(k.recipients_for("health", false, time::macros::date!(2026 - 11 - 22)).len(), 2);
        assert_eq!(k.recipients_for("health", false, time::macros::date!(2026 - 11 - 23)).len(), 1);
        // The quoted form works too; a time or a non-date is refused with the field named.
        let quoted = format!("{text}revoked_on = \"2026-11-23\"\n");
        assert!(Keyring::parse(AGENCIES, &[entry("ovs", &[], true), (name.clone(), quoted)]).is_ok());
        for bad in ["revoked_on = 2026-11-23T10:00:00Z", "revoked_on = \"soon\""] {
            let err = Keyring::parse(
                AGENCIES,
                &[entry("ovs", &[], true), (name.clone(), format!("{text}{bad}\n"))],
            )
            .expect_err(bad);
            assert!(err.to_string().contains("revoked_on"), "{err}");
        }
        // The last current oversight key cannot be revoked.
        let (oname, otext) = entry("ovs", &[], true);
        assert!(matches!(
            Keyring::parse(AGENCIES, &[(oname, format!("{otext}revoked_on = 2026-11-23\n"))]),
            Err(KeyringError::NoOversight)
        ));
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
