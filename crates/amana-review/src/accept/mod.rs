//! Accepting a case list — from an online pull or an imported bundle, the same way.
//!
//! Every case is checked before anything of it is written: the deployment id is the
//! configured one; the roster is signed by the key whose fingerprint this home was given in
//! person and is not older than the one held ([`trust`]), and every key comes from it; ids
//! are safe file names; every case's history verifies ([`history`]) and
//! extends the head this home verified before ([`Heads`]); and every case pulled before is
//! *extended*, never rewritten — same metadata, earlier events unchanged and in place,
//! envelopes unchanged byte for byte (SECURITY.md invariant 9) unless a signed `rewrapped`
//! event covers the change, and then each rewrapped envelope must decrypt to the plaintext
//! hash that event records ([`rewrapped::check_rewrapped`]). A case that fails is quarantined
//! ([`Quarantine`]) and keeps what this home held; the other cases are stored.

use std::collections::{HashMap, HashSet};

use amana_core::events::SignedAction;
use amana_core::roster::Roster;
use amana_core::wire::{CaseBundle, CaseList};
use base64::{engine::general_purpose::STANDARD as B64, Engine};

mod extends;
mod rewrapped;
#[cfg(test)]
mod tests;

use extends::check_extends;
use rewrapped::check_rewrapped;

use crate::cases::AgeFile;
use crate::cases::{self, envelope_path, LocalCase};
use crate::error::ReviewError;
use crate::heads::{self, Heads};
use crate::history::{self, Signers};
use crate::home::{self, check_id, Home};
use crate::outbox;
use crate::quarantine::Quarantine;
use crate::session::require_deployment_id;
use crate::trust;

/// A case ready to be written: metadata without ciphertext, and the age files.
struct Planned {
    bundle: CaseBundle,
    files: Vec<AgeFile>,
    /// What we had before, if anything.
    local: Option<LocalCase>,
}

/// What an accepted list changed.
#[derive(Debug)]
pub struct Summary {
    /// Cases in the list that were verified and stored.
    pub cases: usize,
    /// Cases not held before.
    pub new: usize,
    /// The roster version now held, and the one held before (if any).
    pub roster: (u64, Option<u64>),
    /// Outbox requests the history shows as applied, moved to `outbox/sent/`.
    pub applied: usize,
    /// Cases held locally that the list no longer contains.
    pub missing: Vec<String>,
    /// The ids of the cases verified and stored.
    pub listed: Vec<String>,
    /// Cases refused by this pull (kept as they were, quarantined), with the reason.
    pub quarantined: Vec<(String, String)>,
    /// Revocations this home learnt from the roster with this pull: key id and date.
    pub revoked: Vec<(String, time::Date)>,
    /// Requests the server acknowledged that a case stored now does not show.
    pub lacking: Vec<crate::acknowledged::Acknowledged>,
}

/// The case-list format this release reads (`CaseList::format`).
pub const SUPPORTED_FORMAT: u32 = 4;

/// Verifies `body` (a `CaseList` as JSON, from `source`) and stores every case that verifies;
/// the others are quarantined. Only a list that cannot be trusted as a whole (unreadable, for
/// another deployment, without a roster signed by the pinned key) is refused entirely.
pub fn accept(home: &Home, body: &[u8], source: &str) -> Result<Summary, ReviewError> {
    accept_list(home, parse_list(body, source)?, source, true)
}

/// [`accept`] for a list already parsed with [`parse_list`]. Only a `whole` list (every case
/// in scope) names the held cases it lacks as `missing`; a page of a pull lists only some.
pub fn accept_list(home: &Home, list: CaseList, source: &str, whole: bool) -> Result<Summary, ReviewError> {
    let config = home.read_config()?;
    let expected = require_deployment_id(home, &config)?;
    if list.deployment_id != expected {
        let got = cases::printable(&list.deployment_id.chars().take(80).collect::<String>());
        return Err(ReviewError::DeploymentMismatch { source_desc: source.to_string(), expected, got });
    }
    let held = trust::held(home, &expected)?;
    let previous = held.as_ref().map(|t| t.roster.version);
    let trusted = trust::check_offered(home, list.roster.as_ref(), &expected)?;
    let revoked = trusted
        .roster
        .reviewers
        .iter()
        .filter_map(|r| Some((r, r.revoked_on?)))
        .filter(|(r, on)| {
            held.as_ref().and_then(|h| h.roster.reviewer(&r.id)).and_then(|h| h.revoked_on) != Some(*on)
        })
        .map(|(r, on)| (r.id.clone(), on))
        .collect();
    let mut heads = Heads::load(home)?;
    let today = time::OffsetDateTime::now_utc().date();
    let (mut planned, mut refused) = plan(home, list.cases, source, &expected, &trusted.roster, &heads);
    refused.extend(check_rewrapped(home, &mut planned)?);

    for case in &planned {
        write(home, case)?;
    }
    trust::save(home, &trusted)?;
    let mut applied_nonces = HashSet::new();
    for case in &planned {
        if let Some(head) = heads::head_of(&case.bundle.events) {
            heads.0.insert(case.bundle.id.clone(), head);
        }
        let signed = case.bundle.events.iter().filter_map(|e| e.signed.as_deref());
        applied_nonces
            .extend(signed.filter_map(|s| serde_json::from_str::<SignedAction>(s).ok()).map(|a| a.nonce));
    }
    heads.save(home)?;
    let mut quarantine = Quarantine::load(home)?;
    for case in &planned {
        quarantine.clear(&case.bundle.id);
    }
    for (id, why) in &refused {
        if check_id("case id", id).is_ok() {
            quarantine.put(id, why.clone(), today);
        }
    }
    quarantine.save(home)?;
    let listed: HashSet<&str> = planned
        .iter()
        .map(|p| p.bundle.id.as_str())
        .chain(refused.iter().map(|(id, _)| id.as_str()))
        .collect();
    let held = if whole { cases::held_ids(home)? } else { Vec::new() };
    let mut missing: Vec<String> = held.into_iter().filter(|id| !listed.contains(id.as_str())).collect();
    missing.sort();
    let stored: HashSet<&str> = planned.iter().map(|p| p.bundle.id.as_str()).collect();
    let lacking = crate::acknowledged::reconcile(home, &stored, &applied_nonces)?;
    Ok(Summary {
        cases: planned.len(),
        new: planned.iter().filter(|p| p.local.is_none()).count(),
        roster: (trusted.roster.version, previous),
        applied: outbox::archive_applied(home, &applied_nonces)?,
        missing,
        listed: planned.iter().map(|p| p.bundle.id.clone()).collect(),
        lacking,
        quarantined: refused,
        revoked,
    })
}

/// Parses a case list, saying "upgrade" for a format newer than this release reads.
pub fn parse_list(body: &[u8], source: &str) -> Result<CaseList, ReviewError> {
    #[derive(serde::Deserialize)]
    struct Version {
        #[serde(default)]
        format: u32,
        #[serde(default)]
        min_cli: Option<String>,
    }
    let version: Version = serde_json::from_slice(body).map_err(|e| bad(source, e.to_string()))?;
    if version.format > SUPPORTED_FORMAT {
        let min =
            version.min_cli.map(|v| format!(" (it needs {})", cases::printable(&v))).unwrap_or_default();
        return Err(ReviewError::UpgradeNeeded {
            what: format!(
                "{source} is in case-list format {}, newer than this amana-review reads{min}",
                version.format
            ),
        });
    }
    serde_json::from_slice(body).map_err(|e| bad(source, e.to_string()))
}

/// Validates every case against the local store; writes nothing. Cases that fail are
/// returned apart, with the reason, so the others can still be stored.
fn plan(
    home: &Home,
    bundles: Vec<CaseBundle>,
    source: &str,
    deployment_id: &str,
    roster: &Roster,
    heads: &Heads,
) -> (Vec<Planned>, Vec<(String, String)>) {
    let mut seen = HashSet::new();
    let mut twice = HashSet::new();
    for b in &bundles {
        if !seen.insert(b.id.clone()) {
            twice.insert(b.id.clone());
        }
    }
    let mut planned = Vec::with_capacity(bundles.len());
    let mut refused = Vec::new();
    // Every accepted signed request's nonce, with its case: one request stands in one place.
    let mut nonces: HashMap<String, String> = HashMap::new();
    for bundle in bundles {
        let id = bundle.id.clone();
        let outcome = if twice.contains(&id) {
            Err(bad(source, format!("case {} is listed twice", cases::printable(&id))))
        } else {
            plan_one(home, bundle, source, deployment_id, roster, heads)
                .and_then(|p| once_in_the_list(p, &mut nonces))
        };
        match outcome {
            Ok(p) => planned.push(p),
            Err(e) => {
                if !refused.iter().any(|(r, _): &(String, String)| r == &id) {
                    refused.push((id, e.to_string()));
                }
            }
        }
    }
    (planned, refused)
}

/// Refuses a case that repeats a signed request (nonce) of a case accepted before it in the
/// same list, and records its own.
fn once_in_the_list(p: Planned, nonces: &mut HashMap<String, String>) -> Result<Planned, ReviewError> {
    let mine: Vec<(i64, String)> = history::signed_nonces(&p.bundle).collect();
    if let Some((seq, other)) = mine.iter().find_map(|(seq, n)| nonces.get(n).map(|o| (seq, o))) {
        return Err(ReviewError::HistoryInvalid {
            case: p.bundle.id.clone(),
            detail: format!(
                "event {seq} repeats a signed request of case {other} (same nonce: a replayed request)"
            ),
        });
    }
    nonces.extend(mine.into_iter().map(|(_, n)| (n, p.bundle.id.clone())));
    Ok(p)
}

/// One case: ids, envelopes, history against the roster, the remembered head, and what this
/// home held before.
fn plan_one(
    home: &Home,
    bundle: CaseBundle,
    source: &str,
    deployment_id: &str,
    roster: &Roster,
    heads: &Heads,
) -> Result<Planned, ReviewError> {
    check_id("case id", &bundle.id)?;
    let (bundle, files) = split_envelopes(bundle, source)?;
    check_attachments(&bundle, source)?;
    let signers = Signers { roster, verified_through: heads.0.get(&bundle.id).map(|h| h.seq) };
    history::verify(&bundle, &files, deployment_id, &signers)?;
    heads.check(&bundle.id, &bundle.events)?;
    let local = cases::load(home, &bundle.id)?;
    if let Some(local) = &local {
        check_extends(local, &bundle, &files)?;
    }
    Ok(Planned { bundle, files, local })
}

fn bad(source: &str, detail: String) -> ReviewError {
    ReviewError::BadResponse { url: source.to_string(), detail }
}

/// Checks envelope ids and decodes each envelope, leaving `age_b64` empty in the bundle.
fn split_envelopes(mut bundle: CaseBundle, source: &str) -> Result<(CaseBundle, Vec<AgeFile>), ReviewError> {
    let mut seen = HashSet::new();
    let mut files = Vec::with_capacity(bundle.envelopes.len());
    for env in &mut bundle.envelopes {
        check_id("envelope id", &env.id)?;
        if !seen.insert(env.id.clone()) {
            return Err(bad(source, format!("case {}: envelope {} is listed twice", bundle.id, env.id)));
        }
        let bytes = B64
            .decode(std::mem::take(&mut env.age_b64))
            .map_err(|e| bad(source, format!("case {}, envelope {}: not base64: {e}", bundle.id, env.id)))?;
        files.push(AgeFile { id: env.id.clone(), bytes });
    }
    Ok((bundle, files))
}

/// Attachment ids become file names; each description must be base64 (it stays in
/// case.json, encrypted, and is decrypted by `show` and `export`).
fn check_attachments(bundle: &CaseBundle, source: &str) -> Result<(), ReviewError> {
    let mut seen = HashSet::new();
    for att in &bundle.attachments {
        check_id("attachment id", &att.id)?;
        if !seen.insert(att.id.as_str()) {
            return Err(bad(source, format!("case {}: attachment {} is listed twice", bundle.id, att.id)));
        }
        if B64.decode(&att.meta_age_b64).is_err() {
            let detail = format!("case {}, attachment {}: its description is not base64", bundle.id, att.id);
            return Err(bad(source, detail));
        }
    }
    Ok(())
}

/// Writes one case: envelopes first, `case.json` last, so a case.json never names a
/// missing envelope.
fn write(home: &Home, case: &Planned) -> Result<(), ReviewError> {
    let dir = home.case_dir(&case.bundle.id);
    home::create_private_dir(&dir)?;
    for file in &case.files {
        let path = envelope_path(&dir, &file.id);
        // Envelopes we held before were compared in `check_extends`: only a rewrapped one
        // comes back changed, and is written again.
        let held = case.local.is_some() && std::fs::read(&path).is_ok_and(|old| old == file.bytes);
        if !held {
            home::replace_file(&path, &file.bytes)?;
        }
    }
    LocalCase { dir, bundle: case.bundle.clone() }.save()
}
