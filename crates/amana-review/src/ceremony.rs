//! The roster ceremony, run by the oversight unit on an offline machine (ops/README.md,
//! "The roster ceremony"):
//!
//! * `roster-keygen --out FILE` makes the roster key (passphrase-protected) and prints its
//!   fingerprint, which oversight hands to every reviewer in person;
//! * `roster-sign --roster-key FILE --keys DIR` reads the deployment's `agencies.toml` and
//!   `reviewers/*.toml`, and writes `DIR/roster.json`, signed, with a version above the one
//!   it replaces. For a revoked reviewer, `--vouch-from HOME` (an oversight home) lists the
//!   events of that key the oversight home verified, so fresh homes can still accept them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use amana_core::keyring::Keyring;
use amana_core::reviewer_keys;
use amana_core::roster::{self, Roster, RosterEntry, SignedRoster};
use zeroize::Zeroizing;

use crate::cases;
use crate::error::{io_error, ReviewError};
use crate::home::{self, Home};
use crate::output::say;
use crate::passphrase::{self, Unlocker};

/// The roster file in a key directory (what the server serves).
pub const ROSTER_FILE: &str = "roster.json";

/// `roster-keygen --out FILE [--no-passphrase]`.
pub fn keygen(out: &Path, no_passphrase: bool) -> anyhow::Result<()> {
    if out.exists() {
        return Err(ReviewError::AlreadyExists(out.to_path_buf()).into());
    }
    let pass = if no_passphrase { None } else { Some(passphrase::new_passphrase()?) };
    let text = roster::generate_key_file().map_err(|e| anyhow::anyhow!("{e}"))?;
    let key = roster::parse_key_file(&text).map_err(|e| anyhow::anyhow!("{e}"))?;
    let bytes = match pass.as_deref() {
        None => Zeroizing::new(text.as_bytes().to_vec()),
        Some(p) => Zeroizing::new(
            reviewer_keys::protect(text.as_bytes(), p)
                .map_err(|cause| ReviewError::KeyFile { path: out.to_path_buf(), cause })?,
        ),
    };
    home::create_new_file(out, &bytes)?;
    let fp = roster::fingerprint(ring::signature::KeyPair::public_key(&key).as_ref());
    say!("{fp}");
    eprintln!(
        "wrote the roster key to {}. Keep it offline, with oversight only.\n\
         Give this fingerprint to every reviewer IN PERSON (on paper, or read aloud); each runs\n\
         `amana-review trust-roster \"{fp}\"` once. Then sign the roster with `amana-review roster-sign`.",
        out.display()
    );
    Ok(())
}

/// `roster-sign` options.
pub struct SignArgs<'a> {
    pub roster_key: &'a Path,
    pub keys: &'a Path,
    pub attestation_key: Option<&'a str>,
    pub version: Option<u64>,
    pub out: Option<&'a Path>,
    pub vouch_from: Option<&'a Path>,
}

/// `roster-sign`: builds, signs and writes the roster.
pub fn sign(args: &SignArgs<'_>) -> anyhow::Result<()> {
    let out = args.out.map_or_else(|| args.keys.join(ROSTER_FILE), Path::to_path_buf);
    let keyring = read_keys(args.keys)?;
    let key_text = open_key(args.roster_key)?;
    let key = roster::parse_key_file(&key_text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.roster_key.display()))?;
    let previous = previous_roster(&out)?;
    let version = match (args.version, &previous) {
        (Some(v), Some(p)) if v <= p.version => {
            anyhow::bail!("--version {v} must be above the current roster's version {}", p.version)
        }
        (Some(v), _) => v,
        (None, Some(p)) => p.version + 1,
        (None, None) => 1,
    };
    let attestation_key = match (args.attestation_key, &previous) {
        (Some(k), _) => k.trim().to_string(),
        (None, Some(p)) => p.attestation_key.clone(),
        (None, None) => anyhow::bail!(
            "the first roster needs --attestation-key BASE64: the server's public key, as \
             `GET /.well-known/amana-receipt-key` shows it (compare it with the operator in person)"
        ),
    };
    let mut reviewers: Vec<RosterEntry> =
        keyring.reviewers.iter().map(|r| RosterEntry::from_reviewer_entry(&r.entry)).collect();
    vouch(&mut reviewers, previous.as_ref(), args.vouch_from)?;
    let vouched_heads = vouch_legacy(previous.as_ref(), args.vouch_from)?;
    let r = Roster {
        format: roster::FORMAT.into(),
        deployment_id: keyring.deployment_id.clone(),
        version,
        issued_on: time::OffsetDateTime::now_utc().date(),
        attestation_key,
        reviewers,
        vouched_heads,
    };
    r.check().map_err(|e| anyhow::anyhow!("{e}"))?;
    let signed = roster::sign(&key, &r).map_err(|e| anyhow::anyhow!("{e}"))?;
    let json = serde_json::to_vec_pretty(&signed)?;
    home::replace_file(&out, &json)?;
    say!(
        "wrote {} (version {version}, {} reviewer(s), signed by {}). Copy it into the server's keys/ \
         and restart every node",
        out.display(),
        r.reviewers.len(),
        signed.key_fingerprint().map_err(|e| anyhow::anyhow!("{e}"))?
    );
    Ok(())
}

/// The deployment's key directory, validated the way the server validates it.
fn read_keys(dir: &Path) -> anyhow::Result<Keyring> {
    let agencies_path = dir.join("agencies.toml");
    let agencies = std::fs::read_to_string(&agencies_path).map_err(io_error(&agencies_path))?;
    let rdir = dir.join("reviewers");
    let mut entries = Vec::new();
    for e in std::fs::read_dir(&rdir).map_err(io_error(&rdir))? {
        let path = e.map_err(io_error(&rdir))?.path();
        if path.extension().is_some_and(|x| x == "toml") {
            entries
                .push((path.display().to_string(), std::fs::read_to_string(&path).map_err(io_error(&path))?));
        }
    }
    entries.sort();
    Keyring::parse(&agencies, &entries).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))
}

fn open_key(path: &Path) -> anyhow::Result<Zeroizing<String>> {
    let data = Zeroizing::new(std::fs::read(path).map_err(io_error(path))?);
    let pass =
        if reviewer_keys::is_protected(&data) { Some(Unlocker::default().get()?.to_string()) } else { None };
    reviewer_keys::unprotect(&data, pass.as_deref())
        .map_err(|cause| ReviewError::KeyFile { path: path.to_path_buf(), cause }.into())
}

fn previous_roster(path: &PathBuf) -> anyhow::Result<Option<Roster>> {
    let bytes = match std::fs::read(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        other => other.map_err(io_error(path))?,
    };
    let signed: SignedRoster = serde_json::from_slice(&bytes)?;
    Ok(Some(signed.open_self_signed().map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?))
}

/// The heads of the cases the oversight home at `from` verified that hold events made before
/// the server attested events, with those the previous roster vouched for: fresh homes then
/// accept those unsigned events (and only those).
fn vouch_legacy(previous: Option<&Roster>, from: Option<&Path>) -> anyhow::Result<Vec<String>> {
    let mut heads: BTreeSet<String> =
        previous.map(|p| p.vouched_heads.iter().cloned().collect()).unwrap_or_default();
    if let Some(dir) = from {
        for case in cases::load_all(&Home::resolve(Some(dir.to_path_buf()))?)? {
            let events = &case.bundle.events;
            let unattested = events
                .iter()
                .any(|e| amana_core::events::Attester::of(e.kind).is_some() && e.signed.is_none());
            if let (true, Some(head)) = (unattested, events.last()) {
                heads.insert(head.hash.clone());
            }
        }
    }
    Ok(heads.into_iter().collect())
}

/// For each revoked reviewer: the events it signed that the previous roster vouched for, and
/// those the oversight home at `from` verified.
fn vouch(
    reviewers: &mut [RosterEntry],
    previous: Option<&Roster>,
    from: Option<&Path>,
) -> anyhow::Result<()> {
    let held = match from {
        Some(dir) => cases::load_all(&Home::resolve(Some(dir.to_path_buf()))?)?,
        None => Vec::new(),
    };
    for r in reviewers.iter_mut().filter(|r| r.revoked_on.is_some()) {
        let mut hashes: BTreeSet<String> = previous
            .and_then(|p| p.reviewer(&r.id))
            .map(|p| p.valid_events.iter().cloned().collect())
            .unwrap_or_default();
        for case in &held {
            let signed_by = case.bundle.events.iter().filter(|e| e.actor.as_deref() == Some(r.id.as_str()));
            hashes.extend(signed_by.map(|e| e.hash.clone()));
        }
        r.valid_events = hashes.into_iter().collect();
    }
    Ok(())
}
