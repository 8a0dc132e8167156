//! `pull` and `import BUNDLE`.
//!
//! Online, `pull` signs the request, fetches the case list and hands it to [`accept`]. On the
//! air-gapped path the same list travels as a file: the connected machine sends a signed
//! authorization made by `authorize-pull` and writes the answer, byte for byte, to a bundle
//! ([`crate::authorized_pull`]); the laptop then `import`s the bundle, which is verified and
//! stored exactly like an online pull.

use std::collections::HashSet;
use std::path::Path;

use amana_core::wire::{CaseList, PullQuery};

use crate::accept::{self, Summary};
use crate::bundle_reader;
use crate::cursor::Cursor;
use crate::error::ReviewError;
use crate::home::Home;
use crate::output::say;
use crate::paged::{self, Options};
use crate::session::{require_deployment_id, Session};

/// `pull` (online, with the home's keys): what changed since the last pull (everything with
/// `--full`), page by page, then the evidence files of the pulled cases that fit in the
/// budget (ciphertext only).
pub fn run(home: &Home, server: Option<&str>, opts: Options) -> anyhow::Result<()> {
    let session = Session::open(home, server)?;
    let pulled = paged::pull(home, &session, opts)?;
    report("pulled", &pulled.summary);
    // Heads first: how many case bodies crossed the network, and how many were known by
    // their head alone (docs/FORMATS.md §3).
    say!(
        "{} changed, {} unchanged (the history head this home verified: not fetched again)",
        pulled.fetched,
        pulled.unchanged
    );
    report_gone(&pulled.gone);
    let fetched = &pulled.files;
    if fetched.files > 0 || fetched.present > 0 {
        say!(
            "attachments: {} fetched ({} bytes, still encrypted), {} already here",
            fetched.files,
            fetched.bytes,
            fetched.present
        );
    }
    if fetched.skipped > 0 {
        say!(
            "attachments: {} file{} ({} bytes) left on the server, over the --files-budget: \
             `amana-review show CASE` lists them, `amana-review fetch CASE` gets them",
            fetched.skipped,
            plural(fetched.skipped),
            fetched.skipped_bytes
        );
    }
    for failure in &fetched.failed {
        eprintln!("error: {failure}");
    }
    if !fetched.failed.is_empty() {
        return Err(ReviewError::FetchIncomplete(fetched.failed.len()).into());
    }
    crate::improvement::fetch(&session, home);
    quarantined(&pulled.summary)
}

/// Says which held cases a pull found gone from the server.
fn report_gone(ids: &[String]) {
    if !ids.is_empty() {
        say!(
            "{} case{} you hold {} gone from the server (kept here, marked GONE in `list`): {}",
            ids.len(),
            plural(ids.len()),
            if ids.len() == 1 { "is" } else { "are" },
            ids.iter().map(|id| crate::cases::printable(id)).collect::<Vec<_>>().join(", ")
        );
    }
}

/// Fails (non-zero exit) while the pull left cases quarantined, or a case lacks a request
/// the server acknowledged; the rest is stored.
fn quarantined(s: &Summary) -> anyhow::Result<()> {
    if !s.quarantined.is_empty() {
        Err(ReviewError::Quarantined(s.quarantined.len()).into())
    } else if !s.lacking.is_empty() {
        Err(ReviewError::AcknowledgedMissing(s.lacking.len()).into())
    } else {
        Ok(())
    }
}

/// `import BUNDLE` (offline): the same verification and writing as an online pull. A
/// bundle carries the attachment list but not the files' content. A bundle answering the
/// home's last `authorize-pull` moves the pull cursor as an online pull does. The bundle is
/// read a part at a time ([`bundle_reader`]): a whole list of any size fits in memory.
pub fn import(home: &Home, bundle: &Path) -> anyhow::Result<()> {
    import_counted(home, bundle, None)
}

/// [`import`], telling `progress` how many cases the bundle lists and how many are checked
/// (the desk's progress page).
pub fn import_counted(home: &Home, bundle: &Path, progress: Option<&paged::Progress>) -> anyhow::Result<()> {
    let index = crate::facts::index::before_pull(home);
    let source = bundle.display().to_string();
    let head = bundle_reader::read_head(bundle, &source)?;
    let deployment = require_deployment_id(home, &home.read_config()?)?;
    let mut cursor = Cursor::load(home, &deployment)?;
    let asked = cursor.authorized.take().filter(|_| head.list.as_of.is_some());
    let Some(target) = asked else {
        // An older bundle, or one this home did not ask for: stored, the cursor untouched.
        let summary = accept_streamed(home, bundle, &source, head, true, progress)?;
        return imported(home, index, &summary);
    };
    let q = PullQuery::parse(&target);
    let mut page = head.list.clone();
    let tombstones = std::mem::take(&mut page.purged);
    let mut summary = accept_streamed(home, bundle, &source, head, q.is_none(), progress)?;
    let mut gone = paged::record_gone(home, &summary.listed, &tombstones)?;
    if q.is_none() {
        let listed: HashSet<String> =
            summary.listed.iter().chain(summary.quarantined.iter().map(|(id, _)| id)).cloned().collect();
        gone.extend(paged::reconcile(home, &listed)?);
        summary.missing.clear();
    }
    let incremental = q.is_some();
    let mut done = cursor.record_page(&q.unwrap_or_default(), &page, !summary.quarantined.is_empty());
    if incremental && summary.roster.1.is_some_and(|before| before != summary.roster.0) {
        // Cases that did not change may have new readers: the next pull asks for all of them.
        cursor.since = None;
        cursor.pending = None;
        done = true;
        say!("the roster changed: the next `authorize-pull` asks for every case in your scope again");
    }
    cursor.save(home)?;
    report_gone(&gone);
    if !done {
        say!(
            "this bundle is one page of the pull: run `amana-review authorize-pull` again and carry \
             the next bundle (it goes on after the last case stored)"
        );
    }
    imported(home, index, &summary)
}

/// Verifies and stores the bundle's cases a part at a time, as one list (a case listed twice,
/// or a signed request repeated in two cases, is caught across parts); with `whole`, names
/// the held cases it does not list as `missing`.
fn accept_streamed(
    home: &Home,
    bundle: &Path,
    source: &str,
    head: bundle_reader::Head,
    whole: bool,
    progress: Option<&paged::Progress>,
) -> Result<Summary, ReviewError> {
    if let Some(p) = progress {
        p.set_total(head.cases);
    }
    let mut ongoing = accept::Ongoing::one_list(head.twice);
    let mut summary = paged::empty_summary();
    let part = CaseList { cases: Vec::new(), ..head.list };
    bundle_reader::for_each_part(bundle, source, &mut |cases| {
        let n = cases.len() as u64;
        let list = CaseList { cases, ..part.clone() };
        paged::add(&mut summary, accept::accept_part(home, list, source, &mut ongoing)?);
        if let Some(p) = progress {
            p.add(n);
        }
        Ok(())
    })?;
    if whole {
        summary.missing = accept::missing(home, &summary)?;
    }
    Ok(summary)
}

/// What `import` says after storing a bundle's cases.
fn imported(home: &Home, index: Option<String>, summary: &Summary) -> anyhow::Result<()> {
    crate::facts::index::after_pull(home, index, &summary.stored);
    report("imported", summary);
    let missing = crate::attachments::count_missing(home, &summary.listed)?;
    if missing > 0 {
        say!(
            "note: {missing} attachment file{} not fetched: a bundle carries only the file list \
             (names and sizes are readable with `show`); the content needs an online `pull` or `fetch`",
            if missing == 1 { " was" } else { "s were" }
        );
    }
    quarantined(summary)
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Prints what a pull or import did.
fn report(verb: &str, s: &Summary) {
    say!("{verb} {} case{} ({} new); history verified", s.cases, plural(s.cases), s.new);
    match s.roster {
        (now, Some(before)) if now != before => {
            say!("roster: now version {now} (was {before}), signed by the pinned roster key")
        }
        (now, None) => say!("roster: version {now}, signed by the pinned roster key"),
        _ => {}
    }
    for (id, on) in &s.revoked {
        say!(
            "reviewer key {} is REVOKED from {on} (signed roster): only its actions this home verified before, \
             or that the roster vouches for, still count",
            crate::cases::printable(id)
        );
    }
    for (id, why) in &s.quarantined {
        eprintln!("QUARANTINED case {}: {why}", crate::cases::printable(id));
    }
    for a in &s.lacking {
        eprintln!(
            "NOT IN HISTORY: your {} on case {}, acknowledged by the server on {}",
            crate::cases::printable(&a.action),
            crate::cases::printable(&a.case),
            a.on
        );
    }
    if s.applied > 0 {
        say!(
            "{} outbox request{} applied by the server, moved to outbox/sent/",
            s.applied,
            plural(s.applied)
        );
    }
    if !s.missing.is_empty() {
        eprintln!(
            "note: {} case{} you hold {} no longer listed (purged after closure, or out of your scope): {}",
            s.missing.len(),
            plural(s.missing.len()),
            if s.missing.len() == 1 { "is" } else { "are" },
            s.missing.join(", ")
        );
    }
}
