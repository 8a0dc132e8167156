//! The local case store (`<home>/cases/`) and `list`.
//!
//! Each pulled case is a folder named by its id holding `case.json` (the server's
//! [`CaseBundle`] with every envelope's `age_b64` emptied) and one `<envelope-id>.age` file
//! per envelope. `case.json` is written last, so a folder without it is an interrupted pull
//! and is ignored.

use std::fs;
use std::path::{Path, PathBuf};

use amana_core::deadlines;
use amana_core::wire::CaseBundle;

use crate::error::{io_error, ReviewError};
use crate::home::{self, check_id, Home};

/// One envelope as it will be stored.
pub struct AgeFile {
    /// The envelope id (checked with [`home::check_id`]).
    pub id: String,
    /// The binary age file.
    pub bytes: Vec<u8>,
}

/// The metadata file of a pulled case.
pub const CASE_FILE: &str = "case.json";

/// A pulled case on disk.
#[derive(Debug, Clone)]
pub struct LocalCase {
    /// `<home>/cases/<id>`.
    pub dir: PathBuf,
    /// The metadata as last pulled (or as changed by `status`).
    pub bundle: CaseBundle,
}

impl LocalCase {
    /// Where an envelope's age file lives. `envelope_id` must have passed [`check_id`].
    pub fn envelope_path(&self, envelope_id: &str) -> PathBuf {
        envelope_path(&self.dir, envelope_id)
    }

    /// The hash of the last event of the history this home verified for the case: every
    /// signed action names it as its `head` (docs/FORMATS.md §3), binding the signature to
    /// that history. Several actions queued offline all name it; the server only needs the
    /// head to be in its chain, and a later pull requires it to be an earlier event.
    pub fn verified_head(&self) -> Result<String, ReviewError> {
        self.bundle
            .events
            .last()
            .map(|e| e.hash.clone())
            .ok_or_else(|| ReviewError::NoHistory(self.bundle.id.clone()))
    }

    /// Rewrites `case.json` (and forgets the figures' index, which no longer matches it).
    pub fn save(&self) -> Result<(), ReviewError> {
        crate::facts::index::forget(self.dir.parent().unwrap_or(&self.dir));
        let path = self.dir.join(CASE_FILE);
        let json = serde_json::to_vec_pretty(&self.bundle)
            .map_err(|e| ReviewError::Damaged { path: path.clone(), detail: e.to_string() })?;
        home::replace_file(&path, &json)
    }
}

/// `<dir>/<envelope-id>.age`.
pub fn envelope_path(dir: &Path, envelope_id: &str) -> PathBuf {
    dir.join(format!("{envelope_id}.age"))
}

/// The pulled case with exactly this id, if any.
pub fn load(home: &Home, id: &str) -> Result<Option<LocalCase>, ReviewError> {
    check_id("case id", id)?;
    let dir = home.case_dir(id);
    let path = dir.join(CASE_FILE);
    let text = match fs::read(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        other => other.map_err(io_error(&path))?,
    };
    let damaged = |detail: String| ReviewError::Damaged { path: path.clone(), detail };
    let bundle: CaseBundle = serde_json::from_slice(&text).map_err(|e| damaged(e.to_string()))?;
    if bundle.id != id {
        return Err(damaged(format!("it describes case `{}`", bundle.id.escape_debug())));
    }
    Ok(Some(LocalCase { dir, bundle }))
}

/// Every pulled case, in no particular order.
pub fn load_all(home: &Home) -> Result<Vec<LocalCase>, ReviewError> {
    let dir = home.cases_dir();
    let entries = match fs::read_dir(&dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        other => other.map_err(io_error(&dir))?,
    };
    let mut cases = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io_error(&dir))?;
        // Anything that is not a case folder (temporary files, notes) is not ours to judge.
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        if check_id("case id", &name).is_err() || !entry.path().is_dir() {
            continue;
        }
        if let Some(case) = load(home, &name)? {
            cases.push(case);
        }
    }
    Ok(cases)
}

/// The ids of the case folders in the home (without reading them).
pub fn held_ids(home: &Home) -> Result<Vec<String>, ReviewError> {
    let dir = home.cases_dir();
    let entries = match fs::read_dir(&dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        other => other.map_err(io_error(&dir))?,
    };
    let mut ids = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io_error(&dir))?;
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        if check_id("case id", &name).is_ok() && entry.path().join(CASE_FILE).is_file() {
            ids.push(name);
        }
    }
    Ok(ids)
}

/// The one pulled case whose id is `prefix` or starts with it.
pub fn find(home: &Home, prefix: &str) -> Result<LocalCase, ReviewError> {
    let unknown = || ReviewError::UnknownCase(prefix.chars().take(80).collect());
    if prefix.is_empty() {
        return Err(unknown());
    }
    let mut matches: Vec<LocalCase> =
        load_all(home)?.into_iter().filter(|c| c.bundle.id.starts_with(prefix)).collect();
    if let Some(exact) = matches.iter().position(|c| c.bundle.id == prefix) {
        return Ok(matches.swap_remove(exact));
    }
    match matches.len() {
        0 => Err(unknown()),
        1 => Ok(matches.remove(0)),
        n => {
            let mut ids: Vec<&str> = matches.iter().map(|c| c.bundle.id.as_str()).take(5).collect();
            ids.sort_unstable();
            let more = if n > 5 { format!(" and {} more", n - 5) } else { String::new() };
            Err(ReviewError::AmbiguousCase {
                prefix: prefix.to_string(),
                matches: format!("{}{more}", ids.join(", ")),
            })
        }
    }
}

/// `list`: one line per pulled case, oldest first. Offline.
pub fn list(home: &Home) -> anyhow::Result<()> {
    let mut cases = load_all(home)?;
    let quarantine = crate::quarantine::Quarantine::load(home)?;
    if cases.is_empty() && quarantine.0.is_empty() {
        eprintln!(
            "no cases pulled yet into {}: run `amana-review pull` to download the cases in your scope",
            home.root().display()
        );
        return Ok(());
    }
    cases.sort_by_cached_key(list_order);
    let today = time::OffsetDateTime::now_utc().date();
    let gone = crate::gone::Gone::load(home)?;
    crate::output::stdout(&format_list(&cases, &quarantine, &gone, today))?;
    if !quarantine.0.is_empty() {
        eprintln!(
            "{} case(s) UNVERIFIED: the last pull could not verify them (their last verified copy is \
             kept); see the reason with `amana-review pull`, and tell the oversight unit",
            quarantine.0.len()
        );
    }
    Ok(())
}

/// `list`'s order: what needs attention first — open cases by their next deadline, then
/// closed ones, newest activity first.
fn list_order(c: &LocalCase) -> (bool, Option<time::Date>, std::cmp::Reverse<Option<time::Date>>, String) {
    let b = &c.bundle;
    let due = deadlines::next_due(b.status, &b.deadlines);
    (due.is_none(), due, std::cmp::Reverse(last_activity(b)), b.id.clone())
}

/// The date of a case's newest event (its last activity).
fn last_activity(b: &CaseBundle) -> Option<time::Date> {
    b.events.iter().map(|e| e.on).max()
}

/// The table `list` prints: deadlines and last activity, overdue, quarantined and gone cases
/// marked, quarantined ones listed even if never held.
fn format_list(
    cases: &[LocalCase],
    quarantine: &crate::quarantine::Quarantine,
    gone: &crate::gone::Gone,
    today: time::Date,
) -> String {
    let mark = |id: &str, oversight_only: bool, overdue: bool| {
        let q = quarantine.0.get(id).map(|q| format!("UNVERIFIED since {}", q.since));
        let o = oversight_only.then(|| "oversight-only".to_string());
        let late = overdue.then(|| "OVERDUE".to_string());
        let g = gone.0.contains_key(id).then(|| "GONE from the server".to_string());
        [late, o, q, g].into_iter().flatten().collect::<Vec<_>>().join(" ")
    };
    let date = |d: Option<time::Date>| d.map_or_else(|| "-".to_string(), |d| d.to_string());
    let mut rows: Vec<[String; 8]> = cases
        .iter()
        .map(|c| {
            let b = &c.bundle;
            let overdue = deadlines::is_overdue(b.status, &b.deadlines, today);
            [
                b.id.clone(),
                b.kind.to_string(),
                printable(&b.agency),
                b.status.to_string(),
                b.received_on.to_string(),
                date(deadlines::next_due(b.status, &b.deadlines)),
                date(last_activity(b)),
                mark(&b.id, b.oversight_only, overdue),
            ]
        })
        .collect();
    for id in quarantine.0.keys().filter(|id| !cases.iter().any(|c| &c.bundle.id == *id)) {
        let blank = || "-".to_string();
        rows.push([id.clone(), blank(), blank(), blank(), blank(), blank(), blank(), mark(id, false, false)]);
    }
    let header = ["CASE", "KIND", "AGENCY", "STATUS", "RECEIVED", "DUE", "ACTIVITY", ""].map(String::from);
    let mut widths = [0usize; 8];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row.iter().zip(widths).map(|(cell, w)| format!("{cell:<w$}")).collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// Server-supplied metadata without control characters (it goes to a terminal).
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() || crate::safe_name::is_bidi_control(c) { '\u{FFFD}' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use amana_core::case::{Kind, Status};

    fn case(id: &str, day: u8, oversight_only: bool) -> LocalCase {
        let received_on = time::Date::from_calendar_date(2026, time::Month::November, day).expect("date");
        LocalCase {
            dir: PathBuf::new(),
            bundle: amana_testkit::chain::empty_bundle(id, Kind::Complaint, received_on, oversight_only),
        }
    }

    #[test]
    fn list_marks_oversight_only_and_aligns() {
        // Acknowledgement is due three days after receipt (the fixture's deadlines).
        let today = time::Date::from_calendar_date(2026, time::Month::November, 5).expect("date");
        let gone = crate::gone::Gone(
            [("aaa".to_string(), crate::gone::Entry { purged_on: None, noticed_on: today })].into(),
        );
        let text =
            format_list(&[case("aaa", 1, false), case("bbbbbb", 2, true)], &Default::default(), &gone, today);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(
            lines[0].starts_with("CASE    KIND       AGENCY  STATUS    RECEIVED    DUE         ACTIVITY"),
            "{text}"
        );
        assert!(
            lines[1].starts_with("aaa     complaint  health  received  2026-11-01  2026-11-04  -"),
            "{text}"
        );
        assert!(lines[1].ends_with("OVERDUE GONE from the server"), "due yesterday, gone: {text}");
        assert!(!lines[1].contains("oversight-only"));
        assert!(lines[2].ends_with("2026-11-05  -         oversight-only"), "due today, not overdue: {text}");
    }

    #[test]
    fn list_puts_the_nearest_deadline_first_and_closed_cases_last() {
        let mut cases = [case("closed", 1, false), case("later", 9, false), case("sooner", 5, false)];
        cases[0].bundle.status = Status::ClosedActionTaken;
        cases.sort_by_cached_key(list_order);
        let ids: Vec<&str> = cases.iter().map(|c| c.bundle.id.as_str()).collect();
        assert_eq!(ids, ["sooner", "later", "closed"]);
    }

    #[test]
    fn find_by_unique_prefix() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = Home::resolve(Some(dir.path().to_path_buf())).expect("home");
        for id in ["abc1", "abc2", "xyz"] {
            let mut c = case(id, 1, false);
            c.dir = home.case_dir(id);
            home::create_private_dir(&c.dir).expect("mkdir");
            c.save().expect("save");
        }
        assert_eq!(find(&home, "x").expect("unique").bundle.id, "xyz");
        assert_eq!(find(&home, "abc1").expect("exact").bundle.id, "abc1");
        assert!(matches!(find(&home, "abc"), Err(ReviewError::AmbiguousCase { .. })));
        assert!(matches!(find(&home, "q"), Err(ReviewError::UnknownCase(_))));
        assert!(matches!(find(&home, ""), Err(ReviewError::UnknownCase(_))));
        assert!(matches!(find(&home, "../abc1"), Err(ReviewError::UnknownCase(_))));
    }
}
