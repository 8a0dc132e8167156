//! Retention: `amana purge` deletes closed cases past their retention period.
//!
//! A closed case is deleted once both hold (UTC dates):
//! * it was closed at least `days` ago, per kind (`[kinds]` in the retention file, else
//!   `default_days`);
//! * its newest reporter content (the submission, a follow-up, the rating) is at least
//!   `after_reporter_content_days` old — never sooner, so a reporter who has just rated or
//!   written is not answered by a vanished case (GlobaLeaks #3591).
//!
//! Each case is deleted by id (its envelopes, history and attachments cascade), and the
//! database is then scrubbed ([`Store::scrub`]).
//!
//! ```toml
//! default_days = 365                 # closed cases of any kind not listed below
//! after_reporter_content_days = 30   # never within this many days of reporter content
//! [kinds]
//! violation = 1825
//! service_evaluation = 90
//! ```

use std::collections::BTreeMap;

use amana_core::case::Kind;
use serde::Deserialize;
use time::{Date, Duration};

use crate::store::{ClosedCase, Store, StoreError};

/// Default days a closed case is kept.
pub const DEFAULT_DAYS: i64 = 365;
/// Default days after the newest reporter content during which nothing is purged.
pub const DEFAULT_AFTER_CONTENT_DAYS: i64 = 30;

/// The retention file (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionPolicy {
    #[serde(default = "default_days")]
    pub default_days: i64,
    #[serde(default = "default_after_content_days")]
    pub after_reporter_content_days: i64,
    /// Days by kind, overriding `default_days`.
    #[serde(default)]
    pub kinds: BTreeMap<Kind, i64>,
}

fn default_days() -> i64 {
    DEFAULT_DAYS
}

fn default_after_content_days() -> i64 {
    DEFAULT_AFTER_CONTENT_DAYS
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        Self {
            default_days: DEFAULT_DAYS,
            after_reporter_content_days: DEFAULT_AFTER_CONTENT_DAYS,
            kinds: BTreeMap::new(),
        }
    }
}

/// Days are whole, non-negative and below ~270 years (so date arithmetic cannot overflow).
const MAX_DAYS: i64 = 100_000;

impl RetentionPolicy {
    /// Parses and checks a retention file.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let p: Self = toml::from_str(text).map_err(|e| e.to_string())?;
        p.check()?;
        Ok(p)
    }

    /// Refuses negative or absurd day counts.
    pub fn check(&self) -> Result<(), String> {
        let all = [
            ("default_days", self.default_days),
            ("after_reporter_content_days", self.after_reporter_content_days),
        ]
        .into_iter()
        .chain(self.kinds.iter().map(|(k, d)| (k.as_str(), *d)));
        for (name, days) in all {
            if !(0..=MAX_DAYS).contains(&days) {
                return Err(format!("{name} = {days}: days must be between 0 and {MAX_DAYS}"));
            }
        }
        Ok(())
    }

    /// Days a closed case of `kind` is kept.
    pub fn days_for(&self, kind: Kind) -> i64 {
        self.kinds.get(&kind).copied().unwrap_or(self.default_days)
    }

    /// Whether `case` may be purged on `today`.
    pub fn is_due(&self, case: &ClosedCase, today: Date) -> bool {
        let kept = case.closed_on.checked_add(Duration::days(self.days_for(case.kind)));
        let quiet =
            case.last_reporter_content_on.checked_add(Duration::days(self.after_reporter_content_days));
        kept.is_some_and(|d| d <= today) && quiet.is_some_and(|d| d <= today)
    }

    /// The first date on which reporter content keeps a case: content dated on or after
    /// it is less than `after_reporter_content_days` old.
    pub fn quiet_since(&self, today: Date) -> Date {
        today.checked_sub(Duration::days(self.after_reporter_content_days - 1)).unwrap_or(Date::MIN)
    }
}

/// What a purge did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// Ids deleted (or, in a dry run, due).
    pub purged: Vec<String>,
    /// Closed cases kept (not due yet, or content arrived meanwhile).
    pub kept: usize,
    /// Whether the database was scrubbed completely (always true in a dry run).
    pub scrubbed: bool,
}

/// Deletes every closed case that is due on `today`; with `dry_run`, only lists them.
pub async fn purge(
    store: &dyn Store,
    policy: &RetentionPolicy,
    today: Date,
    dry_run: bool,
) -> Result<PurgeReport, StoreError> {
    let mut report = PurgeReport { scrubbed: true, ..PurgeReport::default() };
    let quiet_since = policy.quiet_since(today);
    for case in store.closed_cases().await? {
        if !policy.is_due(&case, today) {
            report.kept += 1;
        } else if dry_run || store.delete_closed_case(&case.id, quiet_since).await? {
            report.purged.push(case.id);
        } else {
            report.kept += 1;
        }
    }
    if !dry_run && !report.purged.is_empty() {
        report.scrubbed = store.scrub().await?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn case(kind: Kind, closed_on: Date, content_on: Date) -> ClosedCase {
        ClosedCase { id: "c".into(), kind, closed_on, last_reporter_content_on: content_on }
    }

    #[test]
    fn due_after_the_kind_period_and_never_within_the_quiet_days() {
        let p = RetentionPolicy::from_toml(
            "default_days = 10\nafter_reporter_content_days = 30\n[kinds]\nviolation = 100\n",
        )
        .expect("policy");
        let today = date!(2026 - 11 - 23);
        let long_ago = date!(2026 - 01 - 01);
        assert!(p.is_due(&case(Kind::Complaint, date!(2026 - 11 - 13), long_ago), today));
        assert!(!p.is_due(&case(Kind::Complaint, date!(2026 - 11 - 14), long_ago), today));
        assert!(!p.is_due(&case(Kind::Violation, date!(2026 - 11 - 13), long_ago), today), "per kind");
        // Rated 29 days ago: kept; 30 days ago: due. quiet_since agrees.
        assert!(!p.is_due(&case(Kind::Complaint, long_ago, date!(2026 - 10 - 25)), today));
        assert!(p.is_due(&case(Kind::Complaint, long_ago, date!(2026 - 10 - 24)), today));
        assert_eq!(p.quiet_since(today), date!(2026 - 10 - 25));
        let zero = RetentionPolicy { after_reporter_content_days: 0, ..p.clone() };
        assert_eq!(zero.quiet_since(today), date!(2026 - 11 - 24), "content today does not keep it");
    }

    #[test]
    fn bad_files_are_refused_with_the_field_named() {
        assert_eq!(RetentionPolicy::from_toml("").expect("defaults"), RetentionPolicy::default());
        let err = RetentionPolicy::from_toml("default_days = -1").expect_err("negative");
        assert!(err.contains("default_days"), "{err}");
        assert!(RetentionPolicy::from_toml("[kinds]\nnonsense = 3").is_err());
        assert!(RetentionPolicy::from_toml("retention = 3").is_err());
    }
}
