//! The home's trust anchor: the roster fingerprint received in person, and the newest
//! signed roster this home verified (`roster.json`).
//!
//! Every key this home trusts — reviewers' signing keys, their age recipients and roles, the
//! server's attestation key — comes from a roster signed by the oversight unit's offline
//! roster key, whose fingerprint was typed in with `amana-review trust-roster` (or `keygen
//! --roster-fingerprint`). A server, a bundle or a carrier can hand us a roster, but only one
//! signed by that key is taken, and never one older than the roster already held.

use amana_core::roster::{self, Roster, RosterError, SignedRoster};

use crate::error::{io_error, ReviewError};
use crate::home::{self, Home};
use crate::output::say;

/// The newest verified signed roster, verbatim.
pub const ROSTER_FILE: &str = "roster.json";

/// A roster this home trusts, with its signed form.
#[derive(Debug, Clone)]
pub struct Trusted {
    pub roster: Roster,
    pub signed: SignedRoster,
}

fn refused(detail: RosterError) -> ReviewError {
    ReviewError::RosterRefused { detail: detail.to_string() }
}

/// The fingerprint this home was given, or the step that sets it.
pub fn pinned_fingerprint(home: &Home) -> Result<String, ReviewError> {
    home.read_config()?
        .roster_fingerprint
        .and_then(|f| roster::parse_fingerprint(&f))
        .ok_or_else(|| ReviewError::NoRosterFingerprint(home.file(home::CONFIG_FILE)))
}

/// The roster this home holds, if any (re-verified against the pinned fingerprint: the
/// file could have been replaced on disk).
pub fn held(home: &Home, deployment_id: &str) -> Result<Option<Trusted>, ReviewError> {
    let path = home.file(ROSTER_FILE);
    let bytes = match std::fs::read(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        other => other.map_err(io_error(&path))?,
    };
    let signed: SignedRoster =
        serde_json::from_slice(&bytes).map_err(|e| ReviewError::Damaged { path, detail: e.to_string() })?;
    let roster = signed.verify(&pinned_fingerprint(home)?, deployment_id).map_err(refused)?;
    Ok(Some(Trusted { roster, signed }))
}

/// Checks a roster that arrived with a case list (or a bundle) against the pinned
/// fingerprint and the roster held: the result is the roster to use. Nothing is written.
pub fn check_offered(
    home: &Home,
    offered: Option<&SignedRoster>,
    deployment_id: &str,
) -> Result<Trusted, ReviewError> {
    let held = held(home, deployment_id)?;
    let Some(offered) = offered else {
        return Err(ReviewError::NoRoster);
    };
    let roster = offered.verify(&pinned_fingerprint(home)?, deployment_id).map_err(refused)?;
    if let Some(h) = &held {
        h.roster.check_successor(&h.signed.roster, &roster, &offered.roster).map_err(refused)?;
    }
    Ok(Trusted { roster, signed: offered.clone() })
}

/// Stores a roster that [`check_offered`] accepted.
pub fn save(home: &Home, trusted: &Trusted) -> Result<(), ReviewError> {
    let text = serde_json::to_vec_pretty(&trusted.signed)
        .map_err(|e| ReviewError::Damaged { path: home.file(ROSTER_FILE), detail: e.to_string() })?;
    home::replace_file(&home.file(ROSTER_FILE), &text)
}

/// The roster for commands that work offline: the one held, or the step that gets one.
pub fn require(home: &Home, deployment_id: &str) -> Result<Trusted, ReviewError> {
    held(home, deployment_id)?.ok_or(ReviewError::NoRoster)
}

/// This home's key, its deployment and the verified roster: what a command reserved to
/// oversight checks before it uses a key.
pub struct Me {
    pub key_id: String,
    pub deployment_id: String,
    pub roster: Roster,
}

impl Me {
    /// Whether the roster makes this key oversight.
    pub fn is_oversight(&self) -> bool {
        self.roster.reviewer(&self.key_id).is_some_and(|e| e.oversight)
    }

    /// The same, and not revoked.
    pub fn is_current_oversight(&self) -> bool {
        self.roster.reviewer(&self.key_id).is_some_and(|e| e.oversight && e.revoked_on.is_none())
    }
}

/// [`Me`] for this home.
pub fn me(home: &Home) -> Result<Me, ReviewError> {
    let config = home.read_config()?;
    let deployment_id = crate::session::require_deployment_id(home, &config)?;
    let roster = require(home, &deployment_id)?.roster;
    Ok(Me { key_id: config.key_id, deployment_id, roster })
}

/// `trust-roster FINGERPRINT`: records the fingerprint the oversight unit gave in person.
/// Changing a recorded fingerprint needs `--replace` (a roster key rotation ceremony).
pub fn run_trust(home: &Home, fingerprint: &str, replace: bool) -> anyhow::Result<()> {
    let fp = roster::parse_fingerprint(fingerprint).ok_or(ReviewError::BadFingerprint)?;
    let mut config = home.read_config()?;
    match config.roster_fingerprint.as_deref().and_then(roster::parse_fingerprint) {
        Some(old) if old == fp => {
            say!("this home already trusts roster key {fp}");
            return Ok(());
        }
        Some(old) if !replace => return Err(ReviewError::FingerprintChange { old, new: fp }.into()),
        Some(_) => {
            // A new roster key: the roster signed by the old one no longer counts.
            let _ = std::fs::remove_file(home.file(ROSTER_FILE));
        }
        None => {}
    }
    config.roster_fingerprint = Some(fp.clone());
    home.save_config(&config)?;
    say!("this home now trusts the roster signed by the key with fingerprint {fp}");
    say!("run `amana-review pull` (or `import`) to fetch and verify the roster itself");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit;
    use amana_core::reviewer_keys::home::ReviewerConfig;

    fn home_with(fp: Option<String>) -> (tempfile::TempDir, Home) {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = Home::resolve(Some(dir.path().to_path_buf())).expect("home");
        let config = ReviewerConfig {
            key_id: "alice".into(),
            server: None,
            deployment_id: Some(testkit::DEP.into()),
            roster_fingerprint: fp,
        };
        home.save_config(&config).expect("config");
        (dir, home)
    }

    #[test]
    fn only_the_pinned_key_and_rising_versions_are_taken() {
        let anchor = testkit::Anchor::new();
        let (_d, home) = home_with(Some(anchor.fingerprint()));
        let v1 = anchor.sign(1, &[]);
        let t = check_offered(&home, Some(&v1), testkit::DEP).expect("v1");
        save(&home, &t).expect("save");
        let v2 = anchor.sign(2, &[]);
        assert!(check_offered(&home, Some(&v2), testkit::DEP).is_ok());
        save(&home, &check_offered(&home, Some(&v2), testkit::DEP).expect("v2")).expect("save");
        // An old roster replayed (by a carrier, or a server) is refused.
        let err = check_offered(&home, Some(&v1), testkit::DEP).expect_err("older");
        assert!(err.to_string().contains("older than version 2"), "{err}");
        // A roster signed by any other key is refused, whatever it lists.
        let other = testkit::Anchor::new().sign(3, &[]);
        let err = check_offered(&home, Some(&other), testkit::DEP).expect_err("other key");
        assert!(err.to_string().contains("fingerprint"), "{err}");
        assert!(matches!(check_offered(&home, None, testkit::DEP), Err(ReviewError::NoRoster)));
    }

    #[test]
    fn a_home_without_a_fingerprint_says_how_to_get_one() {
        let (_d, home) = home_with(None);
        let err = check_offered(&home, Some(&testkit::Anchor::new().sign(1, &[])), testkit::DEP)
            .expect_err("no fingerprint");
        assert!(err.to_string().contains("trust-roster"), "{err}");
        run_trust(&home, &testkit::Anchor::new().fingerprint(), false).expect("trust");
        let err = run_trust(&home, &testkit::Anchor::new().fingerprint(), false).expect_err("change");
        assert!(err.to_string().contains("--replace"), "{err}");
    }
}
