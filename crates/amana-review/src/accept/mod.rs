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
use amana_core::roster::SignedRoster;
use amana_core::wire::{CaseBundle, CaseList};
use base64::{engine::general_purpose::STANDARD as B64, Engine};

mod extends;
mod plan;
mod rewrapped;
#[cfg(test)]
mod tests;
mod unchanged;

use plan::{plan, Shared};
use rewrapped::check_rewrapped;

use crate::cases::AgeFile;
use crate::cases::{self, envelope_path, LocalCase};
use crate::durable::Batch;
use crate::error::ReviewError;
use crate::heads::{self, Heads};
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
pub const SUPPORTED_FORMAT: u32 = 4;

/// A whole list in one part (the unit tests' way in): `body` is parsed, then verified and
/// stored as [`accept_part`] does, and the held cases it lacks are named `missing`.
#[cfg(test)]
pub fn accept(home: &Home, body: &[u8], source: &str) -> Result<Summary, ReviewError> {
    let mut s = accept_part(home, parse_list(body, source)?, source, &mut Ongoing::default())?;
    s.missing = missing(home, &s)?;
    Ok(s)
}

/// Records the heads of the cases `planned` (saved when one moved); returns the nonces of
/// the signed requests their histories hold.
fn record_heads(home: &Home, heads: &mut Heads, planned: &[Planned]) -> Result<HashSet<String>, ReviewError> {
    let mut applied_nonces = HashSet::new();
    let mut moved = false;
    for case in planned {
        if let Some(head) = heads::head_of(&case.bundle.events) {
            moved |= heads.0.insert(case.bundle.id.clone(), head.clone()).as_ref() != Some(&head);
        }
        let signed = case.bundle.events.iter().filter_map(|e| e.signed.as_deref());
        applied_nonces
            .extend(signed.filter_map(|s| serde_json::from_str::<SignedAction>(s).ok()).map(|a| a.nonce));
    }
    if moved {
        heads.save(home)?;
    }
    Ok(applied_nonces)
}

/// What the parts of one list read in parts (a streamed bundle), or the pages of one pull,
/// share.
#[derive(Default)]
pub struct Ongoing {
    /// The roster the home held when the pull or import began, once its first part came:
    /// a case is taken as held ([`unchanged`]) only under that very roster, not under one a
    /// first page just brought.
    roster_before: Option<Option<SignedRoster>>,
    /// One list in parts: the ids it lists more than once, and every signed request's nonce
    /// accepted so far, with its case. None: each part is a list of its own (a page).
    list: Option<plan::ListState>,
    /// The verified heads, read once and kept as each part updates them: at national
    /// volume the file holds every case's head, and reading it for every page of 500 made
    /// a pull quadratic in the cases held.
    heads: Option<Heads>,
}

impl Ongoing {
    /// For the parts of one list that lists the ids `twice` more than once.
    pub fn one_list(twice: HashSet<String>) -> Self {
        Self { list: Some((twice, HashMap::new())), ..Self::default() }
    }

    /// The heads for one part to check and update, taken out while it does (should it
    /// fail, the next use reads the file, which holds exactly what was saved); and whether
    /// they were left unread — a part that lists no case (a pull with nothing new) needs none
    /// of them, and gives none back.
    fn take_heads(&mut self, home: &Home, no_case: bool) -> Result<(Heads, bool), ReviewError> {
        match self.heads.take() {
            Some(h) => Ok((h, false)),
            None if no_case => Ok((Heads::default(), true)),
            None => Ok((Heads::load(home)?, false)),
        }
    }

    /// The verified heads as this pull or import holds them now.
    pub fn heads(&mut self, home: &Home) -> Result<&Heads, ReviewError> {
        match &mut self.heads {
            Some(h) => Ok(h),
            none => Ok(none.insert(Heads::load(home)?)),
        }
    }
}

/// Verifies a case list (from `source`), or one part of it (a page of a pull, a part of a
/// streamed bundle, checked with what its earlier parts left in `ongoing`), and stores every
/// case that verifies; the others are quarantined. Only a list that cannot be trusted as a
/// whole (for another deployment, without a roster signed by the pinned key) is refused
/// entirely. `missing` is left empty: a part does not know what the others list.
pub fn accept_part(
    home: &Home,
    list: CaseList,
    source: &str,
    ongoing: &mut Ongoing,
) -> Result<Summary, ReviewError> {
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
    let (mut heads, unread) = ongoing.take_heads(home, list.cases.is_empty())?;
    let today = time::OffsetDateTime::now_utc().date();
    let before = ongoing.roster_before.get_or_insert_with(|| held.as_ref().map(|h| h.signed.clone()));
    let same_roster = before.as_ref() == Some(&trusted.signed);
    let shared = Shared {
        home,
        source,
        deployment_id: &expected,
        roster: &trusted.roster,
        heads: &heads,
        same_roster,
    };
    let (mut planned, mut refused) = plan(&shared, list.cases, &mut ongoing.list);
    refused.extend(check_rewrapped(home, &mut planned)?);

    write_all(home, &planned)?;
    trust::save(home, &trusted)?;
    let applied_nonces = record_heads(home, &mut heads, &planned)?;
    if !unread {
        ongoing.heads = Some(heads);
    }
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
    let stored: HashSet<&str> = planned.iter().map(|p| p.bundle.id.as_str()).collect();
    let lacking = crate::acknowledged::reconcile(home, &stored, &applied_nonces)?;
    Ok(Summary {
        cases: planned.len(),
        new: planned.iter().filter(|p| p.local.is_none()).count(),
        roster: (trusted.roster.version, previous),
        applied: outbox::archive_applied(home, &applied_nonces)?,
        missing: Vec::new(),
        listed: planned.iter().map(|p| p.bundle.id.clone()).collect(),
        stored: planned.iter().filter(|p| !p.unchanged).map(|p| p.bundle.id.clone()).collect(),
        lacking,
        quarantined: refused,
        revoked,
    })
}

/// The held cases that a whole list (accepted in parts, `s` their summaries added up) did not
/// list, in order.
pub fn missing(home: &Home, s: &Summary) -> Result<Vec<String>, ReviewError> {
    let listed: HashSet<&str> =
        s.listed.iter().map(String::as_str).chain(s.quarantined.iter().map(|(id, _)| id.as_str())).collect();
    let mut missing: Vec<String> =
        cases::held_ids(home)?.into_iter().filter(|id| !listed.contains(id.as_str())).collect();
    missing.sort();
    Ok(missing)
}

/// Parses a case list, saying "upgrade" for a format newer than this release reads.
pub fn parse_list(body: &[u8], source: &str) -> Result<CaseList, ReviewError> {
    let version: Version = serde_json::from_slice(body).map_err(|e| bad(source, e.to_string()))?;
    check_version(version, source)?;
    serde_json::from_slice(body).map_err(|e| bad(source, e.to_string()))
}

/// What a case list says of its format, read before anything else of it.
#[derive(serde::Deserialize)]
pub struct Version {
    #[serde(default)]
    format: u32,
    #[serde(default)]
    min_cli: Option<String>,
}

/// Says "upgrade" for a format newer than this release reads.
pub fn check_version(version: Version, source: &str) -> Result<(), ReviewError> {
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
    Ok(())
}

pub fn bad(source: &str, detail: String) -> ReviewError {
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
