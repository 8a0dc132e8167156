//! Loading the key directory: `agencies.toml`, the signed `roster.json`, and
//! `reviewers/*.toml` (public keys only).
//!
//! When `roster.json` is present (the normal case: docs/FORMATS.md §9), the reviewers come
//! from it alone — it is what every reviewer home verifies, so the server must act on the
//! same list — and `reviewers/` is only the input from which oversight signs the next one.
//! Without it the server runs from `reviewers/` as before the roster existed, but reviewer
//! homes refuse to pull until oversight has signed a roster.

use amana_core::keyring::Keyring;
use amana_core::roster::SignedRoster;
use anyhow::Context;
use std::{fs, path::Path};

/// The agencies file name inside the key directory.
pub const AGENCIES_FILE: &str = "agencies.toml";
/// The folder of reviewer entries inside the key directory.
pub const REVIEWERS_DIR: &str = "reviewers";
/// The signed roster inside the key directory.
pub const ROSTER_FILE: &str = "roster.json";

/// The key directory as loaded.
pub struct Keys {
    pub keyring: Keyring,
    /// The signed roster, served verbatim to reviewers (`None` before the first ceremony).
    pub roster: Option<SignedRoster>,
}

/// Whether `dir` holds a roster or at least one reviewer entry (otherwise demo mode may apply).
pub fn has_reviewers(dir: &Path) -> bool {
    dir.join(ROSTER_FILE).exists()
        || fs::read_dir(dir.join(REVIEWERS_DIR))
            .map(|entries| entries.flatten().any(|e| is_entry(&e.path())))
            .unwrap_or(false)
}

fn is_entry(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "toml")
}

/// What marks secret key material, or a protected key file, in any file of `keys/`: every
/// secret format Amana and age write (the reviewer, server and roster signing keys, age
/// identities and plugin identities, PEM private keys, age-encrypted files).
const SECRET_MARKERS: &[&str] = &[
    "AGE-SECRET-KEY-",
    "AGE-PLUGIN-",
    "SIGNING-KEY-1",
    "AMANA-ROSTER-KEY-",
    "PRIVATE KEY-----",
    "AGE ENCRYPTED FILE",
    "age-encryption.org/v1",
];

/// Refuses a key directory with a secret anywhere in it — not only in `reviewers/*.toml`:
/// a roster key or an identity copied next to `agencies.toml` is as exposed there, and the
/// server reads none of it, so nothing would otherwise notice.
fn refuse_secret_keys(dir: &Path) -> anyhow::Result<()> {
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for e in fs::read_dir(&folder).with_context(|| format!("cannot read {}", folder.display()))? {
            let path = e?.path();
            // Followed once: a link to a folder is not walked (no loops), a link to a file is read.
            let meta = fs::metadata(&path).with_context(|| format!("cannot read {}", path.display()))?;
            if meta.is_dir() {
                if !fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
                    folders.push(path);
                }
                continue;
            }
            let bytes = fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            let found = SECRET_MARKERS.iter().any(|m| bytes.windows(m.len()).any(|w| w == m.as_bytes()));
            anyhow::ensure!(
                !found,
                "{} contains a SECRET key; keys/ must hold public entries only. Remove it now and \
                 treat that key as compromised",
                path.display()
            );
        }
    }
    Ok(())
}

/// Reads and validates the key directory.
pub fn load(dir: &Path) -> anyhow::Result<Keys> {
    refuse_secret_keys(dir)?;
    let agencies_path = dir.join(AGENCIES_FILE);
    let agencies = fs::read_to_string(&agencies_path)
        .with_context(|| format!("cannot read {}", agencies_path.display()))?;
    let roster_path = dir.join(ROSTER_FILE);
    if roster_path.exists() {
        let text =
            fs::read(&roster_path).with_context(|| format!("cannot read {}", roster_path.display()))?;
        let signed: SignedRoster = serde_json::from_slice(&text)
            .with_context(|| format!("{} is not a signed roster", roster_path.display()))?;
        let roster = signed.open_self_signed().with_context(|| format!("{}", roster_path.display()))?;
        let keyring = Keyring::from_roster(&agencies, &roster)
            .with_context(|| format!("invalid key directory {}", dir.display()))?;
        warn_unsigned_entries(dir, &keyring);
        return Ok(Keys { keyring, roster: Some(signed) });
    }
    let keyring = load_entries(dir, &agencies)?;
    tracing::warn!(
        "no signed roster ({ROSTER_FILE}) in the key directory: reviewer homes will refuse to pull \
         until the oversight unit signs one (ops/README.md, \"The roster ceremony\")"
    );
    Ok(Keys { keyring, roster: None })
}

/// Entries in `reviewers/` that the roster does not carry as they are: they take effect only
/// once oversight signs a roster with them, and the operator should know.
fn warn_unsigned_entries(dir: &Path, keyring: &Keyring) {
    let Ok(agencies) = fs::read_to_string(dir.join(AGENCIES_FILE)) else { return };
    let Ok(local) = load_entries(dir, &agencies) else { return };
    for r in &local.reviewers {
        if keyring.reviewer(&r.entry.id).map(|k| &k.entry) != Some(&r.entry) {
            tracing::warn!(
                "reviewer entry `{}` differs from the signed roster or is not in it: it has no effect \
                 until the oversight unit signs a new roster",
                r.entry.id
            );
        }
    }
}

/// The `reviewers/` entries alone (demo mode signs its roster from them).
pub fn load_entries_for_demo(dir: &Path) -> anyhow::Result<Keyring> {
    let agencies = fs::read_to_string(dir.join(AGENCIES_FILE)).context("cannot read the demo agencies")?;
    load_entries(dir, &agencies)
}

fn load_entries(dir: &Path, agencies: &str) -> anyhow::Result<Keyring> {
    let mut entries = Vec::new();
    let rdir = dir.join(REVIEWERS_DIR);
    if !rdir.exists() {
        return Keyring::parse(agencies, &[])
            .with_context(|| format!("invalid key directory {}", dir.display()));
    }
    for e in fs::read_dir(&rdir).with_context(|| format!("cannot read {}", rdir.display()))? {
        let path = e?.path();
        if !is_entry(&path) {
            continue;
        }
        let text = fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        anyhow::ensure!(
            !text.contains("AGE-SECRET-KEY-") && !text.contains("SIGNING-KEY-1"),
            "{} contains a SECRET key; keys/ must hold public entries only. Remove it now and \
             treat that key as compromised",
            path.display()
        );
        entries.push((path.display().to_string(), text));
    }
    entries.sort();
    Keyring::parse(agencies, &entries).with_context(|| format!("invalid key directory {}", dir.display()))
}
