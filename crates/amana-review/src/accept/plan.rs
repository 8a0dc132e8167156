//! Checking every case of a list (or of one part of it) before anything is written.
//!
//! The checks of one case — its history's signatures and hashes — are CPU work, so they run
//! on every core. What outlives them (the decoded envelopes, the held copy) is made on the
//! calling thread first and only borrowed by the workers: memory a worker allocated and
//! handed back would stay in that thread's allocator arena, and an import of a large bundle
//! would grow by a part's worth of it with every part.

use std::collections::{HashMap, HashSet};

use amana_core::roster::Roster;
use amana_core::wire::CaseBundle;

use super::extends::check_extends;
use super::{bad, check_attachments, split_envelopes, unchanged, Planned};
use crate::cases;
use crate::error::ReviewError;
use crate::heads::Heads;
use crate::history::{self, Signers};
use crate::home::{check_id, Home};

/// What every case of a list is checked against.
pub(super) struct Shared<'a> {
    pub home: &'a Home,
    pub source: &'a str,
    pub deployment_id: &'a str,
    pub roster: &'a Roster,
    pub heads: &'a Heads,
    /// The list's signed roster is the one the home held before the pull or import.
    pub same_roster: bool,
}

/// The ids listed more than once, and every accepted signed request's nonce with its case.
pub(super) type ListState = (HashSet<String>, HashMap<String, String>);

/// Validates every case against the local store; writes nothing. Cases that fail are
/// returned apart, with the reason, so the others can still be stored. `list`: what the
/// earlier parts of the same list left (None: `bundles` is a list of its own).
pub(super) fn plan(
    shared: &Shared<'_>,
    bundles: Vec<CaseBundle>,
    list: &mut Option<ListState>,
) -> (Vec<Planned>, Vec<(String, String)>) {
    let mut own = (HashSet::new(), HashMap::new());
    let (twice, nonces) = match list {
        Some(whole_list) => whole_list,
        None => {
            let mut seen = HashSet::new();
            for b in &bundles {
                if !seen.insert(b.id.clone()) {
                    own.0.insert(b.id.clone());
                }
            }
            &mut own
        }
    };
    let ids: Vec<String> = bundles.iter().map(|b| b.id.clone()).collect();
    let prepared: Vec<_> = bundles.into_iter().map(|b| prepare(shared, b, twice)).collect();
    let checked = check_on_all_cores(shared, &prepared);
    let mut planned = Vec::with_capacity(prepared.len());
    let mut refused = Vec::new();
    for ((id, p), held_as_is) in ids.into_iter().zip(prepared).zip(checked) {
        let outcome = p.and_then(|mut p| {
            p.unchanged = held_as_is?;
            // One signed request stands in one place.
            once_in_the_list(p, nonces)
        });
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

/// A case's ids and envelopes decoded, with what this home held of it (a case listed `twice`
/// is refused).
fn prepare(shared: &Shared<'_>, bundle: CaseBundle, twice: &HashSet<String>) -> Result<Planned, ReviewError> {
    if twice.contains(&bundle.id) {
        return Err(bad(shared.source, format!("case {} is listed twice", cases::printable(&bundle.id))));
    }
    check_id("case id", &bundle.id)?;
    let (bundle, files) = split_envelopes(bundle, shared.source)?;
    let local = cases::load(shared.home, &bundle.id)?;
    Ok(Planned { bundle, files, local, unchanged: false })
}

/// [`check`] of each prepared case, in order, the list cut in one run per core.
fn check_on_all_cores(
    shared: &Shared<'_>,
    prepared: &[Result<Planned, ReviewError>],
) -> Vec<Result<bool, ReviewError>> {
    let one = |p: &Result<Planned, ReviewError>| match p {
        Ok(p) => check(shared, p),
        // Refused already; the reason is in `prepared`.
        Err(_) => Ok(false),
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores < 2 || prepared.len() < 2 {
        return prepared.iter().map(one).collect();
    }
    let per_run = prepared.len().div_ceil(cores);
    std::thread::scope(|s| {
        let one = &one;
        let runs: Vec<_> = prepared
            .chunks(per_run)
            .map(|run| (run.len(), s.spawn(move || run.iter().map(one).collect())))
            .collect();
        runs.into_iter()
            .flat_map(|(n, run)| {
                run.join().unwrap_or_else(|_| {
                    let stopped =
                        || Err(bad(shared.source, "a thread checking cases stopped: pull again".into()));
                    (0..n).map(|_| stopped()).collect::<Vec<_>>()
                })
            })
            .collect()
    })
}

/// One case: history against the roster, the remembered head, and what this home held
/// before — unless it is byte for byte what the home holds ([`unchanged`]). Returns whether
/// it is.
fn check(shared: &Shared<'_>, p: &Planned) -> Result<bool, ReviewError> {
    let (bundle, files) = (&p.bundle, &p.files);
    if let Some(held) = &p.local {
        if shared.same_roster && unchanged::held_as_is(held, bundle, files, shared.heads) {
            return Ok(true);
        }
    }
    check_attachments(bundle, shared.source)?;
    let signers =
        Signers { roster: shared.roster, verified_through: shared.heads.0.get(&bundle.id).map(|h| h.seq) };
    history::verify(bundle, files, shared.deployment_id, &signers)?;
    shared.heads.check(&bundle.id, &bundle.events)?;
    if let Some(local) = &p.local {
        check_extends(local, bundle, files)?;
    }
    Ok(false)
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
