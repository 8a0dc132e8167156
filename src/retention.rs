//! Retention: `amana purge` deletes closed cases past their retention period.
//!
//! A closed case is deleted once both hold (UTC dates):
//! * it was closed at least `days` ago, per kind (`[kinds]` in the retention file, else
//!   `default_days`);
//! * its newest reporter content (the submission, a follow-up, the rating) is at least
//!   `after_reporter_content_days` old — never sooner, so a reporter who has just rated or
//!   written is not answered by a vanished case (GlobaLeaks #3591).
//!
//! A case on legal hold (oversight's signed `held` event) is never deleted until oversight
//! releases it; `amana purge` counts the cases it held back.
//!
//! Each case is deleted by id (its envelopes, history and attachments cascade), keeping only
//! its code's credentials and the purge date (`purged_codes`, so its reporter can learn that
//! the case was purged, and when: SECURITY.md, "After a purge"); those are forgotten after
//! `purged_notice_days`. The database is then scrubbed ([`Store::scrub`]).
//!
//! The status page shows the reporter of a closed case the date after which it will be
//! deleted ([`RetentionPolicy::deletion_date`]): `amana serve --retention` must name the
//! same file as `amana purge --retention`.
//!
//! ```toml
//! default_days = 365                 # closed cases of any kind not listed below
//! after_reporter_content_days = 30   # never within this many days of reporter content
//! purged_notice_days = 365           # how long a purged case's code still says "purged"
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
/// Default days a purged case's code still gets the "purged on" answer.
pub const DEFAULT_PURGED_NOTICE_DAYS: i64 = 365;

/// The retention file (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionPolicy {
    #[serde(default = "default_days")]
    pub default_days: i64,
    #[serde(default = "default_after_content_days")]
    pub after_reporter_content_days: i64,
    /// Days after a purge during which the case's code still answers "purged on DATE".
    #[serde(default = "default_purged_notice_days")]
    pub purged_notice_days: i64,
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

fn default_purged_notice_days() -> i64 {
    DEFAULT_PURGED_NOTICE_DAYS
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        Self {
            default_days: DEFAULT_DAYS,
            after_reporter_content_days: DEFAULT_AFTER_CONTENT_DAYS,
            purged_notice_days: DEFAULT_PURGED_NOTICE_DAYS,
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
            ("purged_notice_days", self.purged_notice_days),
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

    /// Whether `case` may be purged on `today`: past its deletion date and not on hold.
    pub fn is_due(&self, case: &ClosedCase, today: Date) -> bool {
        !case.held && self.deletion_date(case).is_some_and(|d| d <= today)
    }

    /// The first date on which `case` may be purged, on hold or not: its closure plus the
    /// kind's days, and never before its newest reporter content plus the quiet days. The
    /// reporter's status page shows it (unless the case is held).
    pub fn deletion_date(&self, case: &ClosedCase) -> Option<Date> {
        let kept = case.closed_on.checked_add(Duration::days(self.days_for(case.kind)))?;
        let quiet =
            case.last_reporter_content_on.checked_add(Duration::days(self.after_reporter_content_days))?;
        Some(kept.max(quiet))
    }

    /// Codes of cases purged before this date no longer get the "purged" answer.
    pub fn forget_purged_before(&self, today: Date) -> Date {
        today.checked_sub(Duration::days(self.purged_notice_days)).unwrap_or(Date::MIN)
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
    /// Closed cases kept (not due yet, held, or content arrived meanwhile).
    pub kept: usize,
    /// Of `kept`, those past their retention period but on legal hold.
    pub held: usize,
    /// Codes of earlier purges forgotten now (no longer answered "purged").
    pub forgotten: u64,
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
            let past_due = policy.deletion_date(&case).is_some_and(|d| d <= today);
            report.held += usize::from(case.held && past_due);
        } else if dry_run || store.delete_closed_case(&case.id, quiet_since, today).await? {
            report.purged.push(case.id);
        } else {
            report.kept += 1;
        }
    }
    if !dry_run {
        report.forgotten = store.forget_purged_codes(policy.forget_purged_before(today)).await?;
    }
    if !dry_run && (!report.purged.is_empty() || report.forgotten > 0) {
        report.scrubbed = store.scrub().await?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn case(kind: Kind, closed_on: Date, content_on: Date) -> ClosedCase {
        ClosedCase { id: "c".into(), kind, closed_on, last_reporter_content_on: content_on, held: false }
    }

    #[test]
    fn the_deletion_date_is_the_later_of_both_and_a_hold_keeps_the_case() {
        let p = RetentionPolicy::from_toml("default_days = 10\nafter_reporter_content_days = 30\n")
            .expect("policy");
        let c = case(Kind::Complaint, date!(2026 - 11 - 01), date!(2026 - 10 - 01));
        assert_eq!(p.deletion_date(&c), Some(date!(2026 - 11 - 11)));
        let rated = case(Kind::Complaint, date!(2026 - 11 - 01), date!(2026 - 11 - 05));
        assert_eq!(p.deletion_date(&rated), Some(date!(2026 - 12 - 05)));
        assert!(p.is_due(&c, date!(2026 - 11 - 11)) && !p.is_due(&c, date!(2026 - 11 - 10)));
        let held = ClosedCase { held: true, ..c };
        assert!(!p.is_due(&held, date!(2030 - 01 - 01)), "held: never due");
        assert_eq!(p.forget_purged_before(date!(2026 - 11 - 23)), date!(2025 - 11 - 23));
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
