//! One page of an incremental pull, heads first (docs/FORMATS.md §3, "Heads first"): the
//! page is asked for with `heads=1` (ids and history heads only), and only the cases whose
//! head is not the one this home verified — or that it does not hold, or holds quarantined —
//! are fetched in full (`ids=`) and go through every check of [`crate::accept`]. A head from
//! the server decides only what is skipped: withholding a case was always in a server's
//! power (it need not list it), and a case whose bytes changed is never stored without the
//! full checks (SECURITY.md invariant 10).

use std::collections::HashSet;

use amana_core::pull_heads::{heads_target, ids_target, CaseHead, HeadsPage};
use amana_core::wire::{CaseList, PullQuery};

use crate::accept::{self, bad, check_version, Version};
use crate::cases::CASE_FILE;
use crate::client::Method;
use crate::error::ReviewError;
use crate::heads::Heads;
use crate::home::Home;
use crate::quarantine::Quarantine;
use crate::session::Session;

/// A page to accept: the heads page's fields with the cases fetched in full, and the ids
/// of the page's cases this home holds as the server has them (not fetched).
pub struct Page {
    pub list: CaseList,
    pub unchanged: Vec<String>,
}

/// Asks for the page `q` heads first; `None` when the server does not know `heads=1` (a
/// release before it), and the page must be asked for whole.
pub fn page(
    home: &Home,
    session: &Session,
    q: &PullQuery,
    source: &str,
    ongoing: &mut accept::Ongoing,
) -> Result<Option<Page>, ReviewError> {
    let body = match session.call(Method::Get, &heads_target(q), Vec::new()) {
        Err(ReviewError::Refused { status: 400, .. }) => return Ok(None),
        other => other?,
    };
    let version: Version = serde_json::from_slice(&body).map_err(|e| bad(source, e.to_string()))?;
    check_version(version, source)?;
    let page: HeadsPage = serde_json::from_slice(&body).map_err(|e| bad(source, e.to_string()))?;
    drop(body);
    // A server that ignored `heads=1` sent the page itself: it is accepted as it is.
    let Some(heads) = &page.heads else {
        return Ok(Some(Page { list: page.list, unchanged: Vec::new() }));
    };
    // Read only when the page lists a case: a pull with nothing new never reads them all.
    let (fetch, unchanged) = match heads.is_empty() {
        true => (Vec::new(), Vec::new()),
        false => split(home, heads, ongoing.heads(home)?)?,
    };
    let mut list = page.list;
    if !fetch.is_empty() {
        let body = session.call(Method::Get, &ids_target(&fetch), Vec::new())?;
        let full = accept::parse_list(&body, source)?;
        let asked: HashSet<&str> = fetch.iter().map(String::as_str).collect();
        // The roster and keys of the later answer (never older: `accept` refuses a roster
        // older than the one held); the page's date, next and tombstones of the heads page,
        // read first, so the cursor never counts from later than the page was read.
        list.roster = full.roster;
        list.reviewer_keys = full.reviewer_keys;
        list.deployment_id = full.deployment_id;
        list.cases = full.cases.into_iter().filter(|c| asked.contains(c.id.as_str())).collect();
    }
    Ok(Some(Page { list, unchanged }))
}

/// The page's ids to fetch in full, and those held as the server has them: the head this
/// home verified, its case folder present, not quarantined, no acknowledged request awaited
/// in its history (`acknowledged`: a dropped one is named at every pull).
fn split(
    home: &Home,
    heads: &[CaseHead],
    verified: &Heads,
) -> Result<(Vec<String>, Vec<String>), ReviewError> {
    let quarantine = Quarantine::load(home)?;
    let awaited = crate::acknowledged::awaited_cases(home)?;
    let (mut fetch, mut unchanged) = (Vec::new(), Vec::new());
    for h in heads {
        let same = match (verified.0.get(&h.id), h.seq, &h.hash) {
            (Some(v), Some(seq), Some(hash)) => v.seq == seq && v.hash == *hash,
            _ => false,
        };
        // An id that cannot name a case folder is not one the server can be asked for.
        if crate::home::check_id("case id", &h.id).is_err() {
            continue;
        }
        let held = same
            && home.case_dir(&h.id).join(CASE_FILE).is_file()
            && !quarantine.0.contains_key(&h.id)
            && !awaited.contains(&h.id);
        if held {
            unchanged.push(h.id.clone());
        } else {
            fetch.push(h.id.clone());
        }
    }
    Ok((fetch, unchanged))
}
