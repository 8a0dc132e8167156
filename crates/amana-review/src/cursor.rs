//! `pull-cursor.json`: where the next incremental pull starts (docs/FORMATS.md §3,
//! "Incremental pulls").
//!
//! The cursor is a UTC date, never a counter: the next pull asks for the cases changed on or
//! after the day before the server's date at the start of the last complete pull, so a
//! change committed while that pull ran (or dated by a node whose clock is behind) is sent
//! again rather than missed. It does not move when a case of the pull was quarantined: that
//! case comes again until it verifies. A pull cut short, or carried over the air gap one page
//! per bundle, is `pending`: the next pull goes on after the last case stored.

use serde::{Deserialize, Serialize};
use time::Date;

use amana_core::wire::{CaseList, PullQuery};

use crate::error::ReviewError;
use crate::home::{self, Home};

/// The file in the home.
pub const CURSOR_FILE: &str = "pull-cursor.json";

/// Where pulls of one deployment stand.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// The deployment these dates are of; a cursor of another one is ignored.
    #[serde(default)]
    pub deployment_id: String,
    /// The `since` of the next pull; none: the next pull is a full one.
    #[serde(default)]
    pub since: Option<Date>,
    /// A pull begun but not finished.
    #[serde(default)]
    pub pending: Option<Pending>,
    /// The target of the last pull authorization (`authorize-pull`) not imported yet: what
    /// the bundle it brings back answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorized: Option<String>,
}

/// A pull whose later pages are still to come.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// The `since` it was begun with (none: a full pull).
    pub since: Option<Date>,
    /// The `after` of its next page.
    pub after: String,
    /// The server's date on its first page.
    pub as_of: Date,
    /// A case of an earlier page was quarantined.
    pub quarantined: bool,
}

impl Cursor {
    /// The cursor of `deployment_id` (an empty one if the file is missing or of another).
    pub fn load(home: &Home, deployment_id: &str) -> Result<Self, ReviewError> {
        let c: Cursor = home::load_json(home, CURSOR_FILE)?;
        Ok(if c.deployment_id == deployment_id {
            c
        } else {
            Cursor { deployment_id: deployment_id.to_string(), ..Cursor::default() }
        })
    }

    /// Rewrites the file.
    pub fn save(&self, home: &Home) -> Result<(), ReviewError> {
        home::save_json(home, CURSOR_FILE, self)
    }

    /// The next page to ask for: the pending pull's, else a new pull from `since` (or of
    /// everything with `full`, which also drops a pending incremental pull).
    pub fn next_query(&self, full: bool, limit: u32) -> PullQuery {
        match &self.pending {
            Some(p) if !full || p.since.is_none() => {
                PullQuery { since: p.since, after: Some(p.after.clone()), limit }
            }
            _ => PullQuery { since: if full { None } else { self.since }, after: None, limit },
        }
    }

    /// Records that the page `list` (its cases already taken), asked for with `q`, was
    /// accepted (`quarantined`: some case of it was not). Returns whether the pull is
    /// complete.
    pub fn record_page(&mut self, q: &PullQuery, list: &CaseList, quarantined: bool) -> bool {
        let earlier = self.pending.take().filter(|p| q.after.as_deref() == Some(p.after.as_str()));
        let today = list.as_of.unwrap_or_else(|| time::OffsetDateTime::now_utc().date());
        let as_of = earlier.as_ref().map_or(today, |p| p.as_of.min(today));
        let quarantined = quarantined || earlier.is_some_and(|p| p.quarantined);
        if let Some(after) = &list.next {
            self.pending = Some(Pending { since: q.since, after: after.clone(), as_of, quarantined });
            return false;
        }
        if !quarantined {
            self.since = as_of.previous_day().or(Some(as_of));
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn page(as_of: Date, next: Option<&str>) -> CaseList {
        CaseList {
            format: 3,
            min_cli: None,
            roster: None,
            deployment_id: "d".into(),
            reviewer_keys: vec![],
            cases: vec![],
            as_of: Some(as_of),
            next: next.map(str::to_string),
            purged: vec![],
            total: None,
        }
    }

    #[test]
    fn the_cursor_is_the_day_before_the_first_page_and_waits_for_quarantined_cases() {
        let mut c = Cursor::default();
        let q = c.next_query(false, 2);
        assert_eq!((q.since, q.after.as_deref()), (None, None));
        assert!(!c.record_page(&q, &page(date!(2026 - 03 - 10), Some("m")), false));
        let q = c.next_query(false, 2);
        assert_eq!(q.after.as_deref(), Some("m"));
        // The last page came a day later: the cursor counts from the first.
        assert!(c.record_page(&q, &page(date!(2026 - 03 - 11), None), false));
        assert_eq!((c.since, &c.pending), (Some(date!(2026 - 03 - 09)), &None));
        let q = c.next_query(false, 2);
        assert_eq!((q.since, q.after.as_deref()), (Some(date!(2026 - 03 - 09)), None));
        // A quarantined case on the first page keeps the cursor where it was.
        assert!(!c.record_page(&q, &page(date!(2026 - 03 - 20), Some("k")), true));
        let q = c.next_query(false, 2);
        assert!(c.record_page(&q, &page(date!(2026 - 03 - 20), None), false));
        assert_eq!(c.since, Some(date!(2026 - 03 - 09)));
        // `--full` starts again from nothing.
        assert_eq!(c.next_query(true, 2).since, None);
    }
}
