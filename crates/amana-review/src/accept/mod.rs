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
mod unchanged;

use extends::check_extends;
use rewrapped::check_rewrapped;

use crate::cases::AgeFile;
use crate::cases::{self, envelope_path, LocalCase};
use crate::durable::Batch;
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
    /// Byte for byte what the home holds, verified before ([`unchanged`]): nothing to write.
    unchanged: bool,
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
    /// Those of `listed` whose files were written (the others were held as sent).
    pub stored: Vec<String>,
    /// Cases refused by this pull (kept as they were, quarantined), with the reason.
    pub quarantined: Vec<(String, String)>,
    /// Revocations this home learnt from the roster with this pull: key id and date.
    pub revoked: Vec<(String, time::Date)>,
    /// Requests the server acknowledged that a case stored now does not show.
    pub lacking: Vec<crate::acknowledged::Acknowledged>,
}

/// The case-list format this release reads (`CaseList::format`).
pub const SUPPORTED_FORMAT: u32 = 3;

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
    let same_roster = held.as_ref().is_some_and(|h| h.signed == trusted.signed);
    let shared = Shared {
        home,
        source,
        deployment_id: &expected,
        roster: &trusted.roster,
        heads: &heads,
        same_roster,
    };
    let (mut planned, mut refused) = plan(&shared, list.cases);
    refused.extend(check_rewrapped(home, &mut planned)?);

    write_all(home, &planned)?;
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
        stored: planned.iter().filter(|p| !p.unchanged).map(|p| p.bundle.id.clone()).collect(),
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

/// What every case of a list is checked against.
struct Shared<'a> {
    home: &'a Home,
    source: &'a str,
    deployment_id: &'a str,
    roster: &'a Roster,
    heads: &'a Heads,
    /// The list's signed roster is the one the home held before it.
    same_roster: bool,
}

/// Validates every case against the local store; writes nothing. Cases that fail are
/// returned apart, with the reason, so the others can still be stored. The cases are checked
/// on every core (signatures and hashes are CPU work), then taken in the list's order.
fn plan(shared: &Shared<'_>, bundles: Vec<CaseBundle>) -> (Vec<Planned>, Vec<(String, String)>) {
    let mut seen = HashSet::new();
    let mut twice = HashSet::new();
    for b in &bundles {
        if !seen.insert(b.id.clone()) {
            twice.insert(b.id.clone());
        }
    }
    let ids: Vec<String> = bundles.iter().map(|b| b.id.clone()).collect();
    let outcomes = plan_on_all_cores(shared, bundles, &twice);
    let mut planned = Vec::with_capacity(outcomes.len());
    let mut refused = Vec::new();
    // Every accepted signed request's nonce, with its case: one request stands in one place.
    let mut nonces: HashMap<String, String> = HashMap::new();
    for (id, outcome) in ids.into_iter().zip(outcomes) {
        match outcome.and_then(|p| once_in_the_list(p, &mut nonces)) {
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

/// [`plan_one`] of each case (a case listed `twice` is refused), in the list's order, the
/// list cut in one run per core.
fn plan_on_all_cores(
    shared: &Shared<'_>,
    bundles: Vec<CaseBundle>,
    twice: &HashSet<String>,
) -> Vec<Result<Planned, ReviewError>> {
    let one = |bundle: CaseBundle| {
        if twice.contains(&bundle.id) {
            Err(bad(shared.source, format!("case {} is listed twice", cases::printable(&bundle.id))))
        } else {
            plan_one(shared, bundle)
        }
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores < 2 || bundles.len() < 2 {
        return bundles.into_iter().map(one).collect();
    }
    let per_run = bundles.len().div_ceil(cores);
    let mut runs: Vec<Vec<CaseBundle>> = Vec::new();
    let mut rest = bundles.into_iter().peekable();
    while rest.peek().is_some() {
        runs.push(rest.by_ref().take(per_run).collect());
    }
    std::thread::scope(|s| {
        let one = &one;
        let handles: Vec<_> = runs
            .into_iter()
            .map(|run| s.spawn(move || run.into_iter().map(one).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join().unwrap_or_else(|_| {
                    vec![Err(bad(shared.source, "a thread checking cases stopped: pull again".into()))]
                })
            })
            .collect()
    })
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
/// home held before — unless it is byte for byte what the home holds ([`unchanged`]).
fn plan_one(shared: &Shared<'_>, bundle: CaseBundle) -> Result<Planned, ReviewError> {
    check_id("case id", &bundle.id)?;
    let (bundle, files) = split_envelopes(bundle, shared.source)?;
    let local = cases::load(shared.home, &bundle.id)?;
    if let Some(held) = &local {
        if shared.same_roster && unchanged::held_as_is(held, &bundle, &files, shared.heads) {
            return Ok(Planned { bundle, files, local, unchanged: true });
        }
    }
    check_attachments(&bundle, shared.source)?;
    let signers =
        Signers { roster: shared.roster, verified_through: shared.heads.0.get(&bundle.id).map(|h| h.seq) };
    history::verify(&bundle, &files, shared.deployment_id, &signers)?;
    shared.heads.check(&bundle.id, &bundle.events)?;
    if let Some(local) = &local {
        check_extends(local, &bundle, &files)?;
    }
    Ok(Planned { bundle, files, local, unchanged: false })
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

/// Writes every case that changed: each one's envelopes first, `case.json` last, so a
/// case.json never names a missing envelope; all synced together ([`Batch`]).
fn write_all(home: &Home, planned: &[Planned]) -> Result<(), ReviewError> {
    let mut batch = Batch::default();
    for case in planned.iter().filter(|c| !c.unchanged) {
        stage(home, case, &mut batch)?;
    }
    if planned.iter().any(|c| !c.unchanged) {
        crate::facts::index::forget(&home.cases_dir());
    }
    batch.commit()
}

fn stage(home: &Home, case: &Planned, batch: &mut Batch) -> Result<(), ReviewError> {
    let dir = home.case_dir(&case.bundle.id);
    home::create_private_dir(&dir)?;
    for file in &case.files {
        let path = envelope_path(&dir, &file.id);
        // Envelopes we held before were compared in `check_extends`: only a rewrapped one
        // comes back changed, and is written again.
        let held = case.local.is_some() && std::fs::read(&path).is_ok_and(|old| old == file.bytes);
        if !held {
            batch.stage(&path, &file.bytes)?;
        }
    }
    let path = dir.join(cases::CASE_FILE);
    let json = serde_json::to_vec_pretty(&case.bundle)
        .map_err(|e| ReviewError::Damaged { path: path.clone(), detail: e.to_string() })?;
    batch.stage(&path, &json)
}
