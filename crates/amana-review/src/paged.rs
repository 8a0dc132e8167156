//! The page loop of an online pull (docs/FORMATS.md §3, "Incremental pulls"): ask for the
//! next page the [`Cursor`] names — heads first when the home holds cases and the pull is
//! not `--full` ([`crate::heads_first`]: only the cases whose head moved are fetched) —
//! verify and store it exactly as a whole list, fetch its evidence files within the budget,
//! move the cursor, and go on until the last page. The home holds one page in memory at a
//! time; an interrupted pull goes on where it stopped.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use amana_core::wire::{paths, CaseList, Tombstone};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::accept::{self, Summary};
use crate::attachments::{self, Fetched};
use crate::cases;
use crate::client::Method;
use crate::cursor::Cursor;
use crate::error::ReviewError;
use crate::gone::Gone;
use crate::home::Home;
use crate::session::Session;

/// How far a pull got, shared with whoever shows it besides the terminal's bar (the desk's
/// progress page reads it from another thread while the pull runs).
#[derive(Debug, Default)]
pub struct Progress {
    done: AtomicU64,
    /// Cases the server said the pull will list; 0 while unknown.
    total: AtomicU64,
}

impl Progress {
    /// Cases verified and stored (or quarantined) so far.
    pub fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    /// Cases the pull will list, once the server said so.
    pub fn total(&self) -> Option<u64> {
        Some(self.total.load(Ordering::Relaxed)).filter(|t| *t > 0)
    }

    /// Counts `n` more cases done.
    pub fn add(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }

    /// Records how many cases the pull will list.
    pub fn set_total(&self, total: u64) {
        self.total.store(total, Ordering::Relaxed);
    }
}

/// How to pull.
#[derive(Debug, Clone)]
pub struct Options {
    /// Every case in scope, not only what changed; reconciles cases the server no longer lists.
    pub full: bool,
    /// At most this many bytes of evidence files are fetched by this pull.
    pub files_budget: u64,
    /// Cases per page asked for (the server caps it).
    pub page_size: u32,
    /// Also told how far the pull got (the terminal's bar is drawn either way).
    pub progress: Option<Arc<Progress>>,
}

impl Default for Options {
    /// What a plain `pull` does: changes only, 100 MiB of evidence files, full pages (the
    /// defaults of `pull`'s flags; the desk's pull button uses them too).
    fn default() -> Self {
        Self { full: false, files_budget: 100 << 20, page_size: amana_core::wire::MAX_PAGE, progress: None }
    }
}

/// What a whole pull did, page after page.
pub struct Pulled {
    /// The pages' summaries added up (`missing` left empty).
    pub summary: Summary,
    /// Evidence files fetched, present, skipped for the budget, failed.
    pub files: Fetched,
    /// Held cases newly known to be gone from the server.
    pub gone: Vec<String>,
    /// Cases listed with the head this home verified, so not fetched ([`heads_first`]).
    pub unchanged: usize,
    /// Cases fetched in full (verified and stored, or quarantined).
    pub fetched: usize,
}

/// Pulls every page of one pull. When the roster changed meanwhile, every case in scope is
/// pulled again: the readers of a case that did not change may have (a reviewer added or
/// revoked), and its stored `recipients` must be the roster's for replies and rewraps.
pub fn pull(home: &Home, session: &Session, opts: Options) -> Result<Pulled, ReviewError> {
    let index = crate::facts::index::before_pull(home);
    let mut out = Pulled {
        summary: empty_summary(),
        files: Fetched::default(),
        gone: Vec::new(),
        unchanged: 0,
        fetched: 0,
    };
    let mut budget = opts.files_budget;
    // Pages are lists of their own; what they share is the roster held before the pull.
    let mut ongoing = accept::Ongoing::default();
    let roster_changed = pages(home, session, opts.clone(), &mut budget, &mut out, &mut ongoing)?;
    if roster_changed && !opts.full {
        eprintln!("note: the roster changed: pulling every case in your scope again, for its readers now");
        // The full pass lists every case the first one did and checks each again: each is
        // counted, and said quarantined or not, once, as the full pass found it.
        let counted = out.summary.cases;
        out.summary.quarantined.clear();
        pages(home, session, Options { full: true, ..opts }, &mut budget, &mut out, &mut ongoing)?;
        out.summary.cases -= counted;
    }
    // Once per pull, not per page, and only the cases this pull stored are read again.
    crate::facts::index::after_pull(home, index, &out.summary.stored);
    Ok(out)
}

/// The page loop of one pull; returns whether the roster changed during it.
fn pages(
    home: &Home,
    session: &Session,
    opts: Options,
    budget: &mut u64,
    out: &mut Pulled,
    ongoing: &mut accept::Ongoing,
) -> Result<bool, ReviewError> {
    let mut cursor = Cursor::load(home, &session.signer.deployment_id)?;
    let source = session.url(paths::CASES);
    let bar = bar();
    // The bar is drawn from this count, whether or not someone else reads it too.
    let progress = opts.progress.clone().unwrap_or_default();
    let mut listed: HashSet<String> = HashSet::new();
    let mut roster_changed = false;
    let mut q = cursor.next_query(opts.full, opts.page_size);
    let from_start = q.after.is_none();
    // Heads first only when there is something to compare with: a first or `--full` pull
    // fetches every case anyway.
    let mut heads_first = !opts.full && crate::heads::Heads::any_saved(home);
    loop {
        let (mut list, unchanged) = match heads_first {
            true => match crate::heads_first::page(home, session, &q, &source, ongoing)? {
                Some(p) => (p.list, p.unchanged),
                None => {
                    heads_first = false;
                    continue;
                }
            },
            false => {
                let body = session.call(Method::Get, &q.target(), Vec::new())?;
                (accept::parse_list(&body, &source)?, Vec::new())
            }
        };
        if let Some(total) = list.total.filter(|_| q.after.is_none()) {
            show_total(&bar, &progress, total);
        }
        let tombstones = std::mem::take(&mut list.purged);
        let page = CaseList { cases: Vec::new(), ..list.clone() };
        let mut s = accept::accept_part(home, list, &source, ongoing)?;
        out.fetched += s.listed.len() + s.quarantined.len();
        out.unchanged += unchanged.len();
        roster_changed |= s.roster.1.is_some_and(|before| before != s.roster.0);
        // A case not fetched is listed all the same: not gone, and its evidence files are
        // fetched if an earlier budget left them on the server.
        s.listed.extend(unchanged);
        out.gone.extend(record_gone(home, &s.listed, &tombstones)?);
        out.files.add(attachments::fetch_missing(session, home, &s.listed, budget)?);
        let n = s.listed.len() as u64 + s.quarantined.len() as u64;
        progress.add(n);
        bar.set_position(progress.done());
        if opts.full {
            listed.extend(s.listed.iter().cloned());
            listed.extend(s.quarantined.iter().map(|(id, _)| id.clone()));
        }
        let done = cursor.record_page(&q, &page, !s.quarantined.is_empty());
        cursor.save(home)?;
        add(&mut out.summary, s);
        if done {
            break;
        }
        q = cursor.next_query(false, opts.page_size);
    }
    bar.finish_and_clear();
    if opts.full && from_start {
        out.gone.extend(reconcile(home, &listed)?);
    }
    Ok(roster_changed)
}

/// A spinner with the count of cases pulled, on stderr when it is a terminal (indicatif
/// draws nothing otherwise).
fn bar() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    let style =
        ProgressStyle::with_template("{spinner} pulling: {pos} cases verified and stored ({per_sec})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
    bar.set_style(style);
    bar
}

/// The server said how many cases this pull lists (on its first page): the bar gets a length
/// (after what an earlier pass of the same pull counted), or, with no terminal to draw on,
/// stderr gets one line saying so (a log of a pull run by cron shows what it set out to do).
fn show_total(bar: &ProgressBar, progress: &Progress, total: u64) {
    progress.set_total(progress.done() + total);
    // None: nothing to pull, nothing to draw.
    let Some(total) = progress.total() else { return };
    if bar.is_hidden() {
        eprintln!("pulling {total} case{}", if total == 1 { "" } else { "s" });
        return;
    }
    let style = ProgressStyle::with_template(
        "{bar:30} {pos}/{len} cases verified and stored ({per_sec}, {eta} left)",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_length(total);
    bar.set_position(progress.done());
}

/// Records the tombstones of held cases, and that the cases `stored` are listed again;
/// returns the ids newly recorded as gone.
pub fn record_gone(
    home: &Home,
    stored: &[String],
    tombstones: &[Tombstone],
) -> Result<Vec<String>, ReviewError> {
    let mut gone = Gone::load(home)?;
    let before = gone.clone();
    for id in stored {
        gone.clear(id);
    }
    let today = time::OffsetDateTime::now_utc().date();
    let mut new = Vec::new();
    if !tombstones.is_empty() {
        let purged: HashMap<&str, time::Date> =
            tombstones.iter().map(|t| (t.case_sha256.as_str(), t.purged_on)).collect();
        for id in cases::held_ids(home)? {
            let Some(on) = purged.get(Tombstone::key_of(&id).as_str()) else { continue };
            if !gone.0.contains_key(&id) {
                new.push(id.clone());
            }
            gone.put(&id, Some(*on), today);
        }
    }
    if gone != before {
        gone.save(home)?;
    }
    Ok(new)
}

/// After a full pull from the first page: every held case it did not list is gone.
pub fn reconcile(home: &Home, listed: &HashSet<String>) -> Result<Vec<String>, ReviewError> {
    let mut gone = Gone::load(home)?;
    let today = time::OffsetDateTime::now_utc().date();
    let mut new = Vec::new();
    // A quarantined case was listed too (it stays quarantined): it is not gone.
    for id in cases::held_ids(home)? {
        if !listed.contains(&id) {
            if !gone.0.contains_key(&id) {
                new.push(id.clone());
            }
            gone.put(&id, None, today);
        }
    }
    gone.save(home)?;
    new.sort();
    Ok(new)
}

pub fn empty_summary() -> Summary {
    Summary {
        cases: 0,
        new: 0,
        roster: (0, None),
        applied: 0,
        missing: Vec::new(),
        listed: Vec::new(),
        stored: Vec::new(),
        quarantined: Vec::new(),
        revoked: Vec::new(),
        lacking: Vec::new(),
    }
}

/// Adds a page's summary to the pull's (the roster held before is the first page's).
pub fn add(total: &mut Summary, s: Summary) {
    let first = total.roster == (0, None);
    total.cases += s.cases;
    total.new += s.new;
    total.roster = (s.roster.0, if first { s.roster.1 } else { total.roster.1 });
    total.applied += s.applied;
    total.quarantined.extend(s.quarantined);
    total.revoked.extend(s.revoked);
    total.lacking.extend(s.lacking);
    total.listed.extend(s.listed);
    total.stored.extend(s.stored);
}
