//! Loading the key directory: `agencies.toml` and `reviewers/*.toml` (public keys only).

use amana_core::keyring::Keyring;
use anyhow::Context;
use std::{fs, path::Path};

/// The agencies file name inside the key directory.
pub const AGENCIES_FILE: &str = "agencies.toml";
/// The folder of reviewer entries inside the key directory.
pub const REVIEWERS_DIR: &str = "reviewers";

/// Whether `dir` holds at least one reviewer entry (otherwise demo mode may apply).
pub fn has_reviewers(dir: &Path) -> bool {
    fs::read_dir(dir.join(REVIEWERS_DIR))
        .map(|entries| entries.flatten().any(|e| is_entry(&e.path())))
        .unwrap_or(false)
}

fn is_entry(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "toml")
}

/// Reads and validates the key directory.
pub fn load(dir: &Path) -> anyhow::Result<Keyring> {
    let agencies_path = dir.join(AGENCIES_FILE);
    let agencies = fs::read_to_string(&agencies_path)
        .with_context(|| format!("cannot read {}", agencies_path.display()))?;
    let mut entries = Vec::new();
    let rdir = dir.join(REVIEWERS_DIR);
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
    Keyring::parse(&agencies, &entries).with_context(|| format!("invalid key directory {}", dir.display()))
}
