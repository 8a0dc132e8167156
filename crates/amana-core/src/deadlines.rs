//! Deadlines per kind, in UTC calendar days (docs/FORMATS.md §5, "Deadlines").
//!
//! Defaults follow EU Directive 2019/1937 for violation reports: acknowledge within 7
//! days; feedback within 3 months of the acknowledgement (or of day 7 if there was none),
//! which we count as 90 days so we are never later than the Directive. Other kinds get
//! shorter service-level defaults. Extensions add days to the feedback deadline, at most
//! [`MAX_EXTENSION_DAYS`] in all.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::{Date, Duration};

use crate::case::{Kind, Status};

/// The most a feedback deadline can be extended, in all: six months.
pub const MAX_EXTENSION_DAYS: i64 = 183;

/// Deadlines for one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindDeadlines {
    /// Days from receipt to acknowledgement.
    pub acknowledge_days: i64,
    /// Days from acknowledgement (or from the acknowledge-by date) to feedback.
    pub feedback_days: i64,
}

/// Deadlines for every kind; a TOML table per kind overrides the defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlinePolicy {
    #[serde(flatten)]
    pub kinds: BTreeMap<Kind, KindDeadlines>,
}

impl Default for DeadlinePolicy {
    fn default() -> Self {
        let d = |a, f| KindDeadlines { acknowledge_days: a, feedback_days: f };
        let kinds = BTreeMap::from([
            (Kind::Violation, d(7, 90)),
            (Kind::Complaint, d(3, 30)),
            (Kind::Inquiry, d(3, 14)),
            (Kind::Suggestion, d(7, 60)),
            (Kind::Compliment, d(7, 30)),
            (Kind::ServiceEvaluation, d(7, 30)),
        ]);
        Self { kinds }
    }
}

impl DeadlinePolicy {
    /// Parses a TOML override file; missing kinds keep their defaults.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let overrides: DeadlinePolicy = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut policy = Self::default();
        for (kind, d) in overrides.kinds {
            if d.acknowledge_days < 1 || d.feedback_days < 1 {
                return Err(format!("{kind}: deadlines must be at least one day"));
            }
            policy.kinds.insert(kind, d);
        }
        Ok(policy)
    }

    /// The deadlines for a kind.
    pub fn for_kind(&self, kind: Kind) -> KindDeadlines {
        self.kinds.get(&kind).copied().unwrap_or(KindDeadlines { acknowledge_days: 7, feedback_days: 90 })
    }
}

/// A case's deadlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadlines {
    pub acknowledge_by: Date,
    pub feedback_by: Date,
}

fn add_days(d: Date, days: i64) -> Date {
    d.checked_add(Duration::days(days)).unwrap_or(Date::MAX)
}

/// Deadlines of a case received on `received`, acknowledged on `acknowledged` (if yet),
/// with `extension_days` granted so far.
pub fn compute(
    k: KindDeadlines,
    received: Date,
    acknowledged: Option<Date>,
    extension_days: i64,
) -> Deadlines {
    let acknowledge_by = add_days(received, k.acknowledge_days);
    let feedback_from = acknowledged.unwrap_or(acknowledge_by);
    Deadlines {
        acknowledge_by,
        feedback_by: add_days(feedback_from, k.feedback_days + extension_days.clamp(0, MAX_EXTENSION_DAYS)),
    }
}

/// Whether a case in `status` with these deadlines is overdue on `today`.
pub fn is_overdue(status: Status, d: &Deadlines, today: Date) -> bool {
    match status {
        Status::Received => today > d.acknowledge_by || today > d.feedback_by,
        s if s.is_closed() => false,
        _ => today > d.feedback_by,
    }
}

/// The next date a case in `status` must meet: acknowledgement (or feedback, if sooner) for a
/// case not yet acknowledged, feedback for an open one; none once closed.
pub fn next_due(status: Status, d: &Deadlines) -> Option<Date> {
    match status {
        Status::Received => Some(d.acknowledge_by.min(d.feedback_by)),
        s if s.is_closed() => None,
        _ => Some(d.feedback_by),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    #[test]
    fn violation_defaults_follow_the_directive() {
        let k = DeadlinePolicy::default().for_kind(Kind::Violation);
        let d = compute(k, date!(2026 - 11 - 23), None, 0);
        assert_eq!(d.acknowledge_by, date!(2026 - 11 - 30));
        assert_eq!(d.feedback_by, date!(2027 - 02 - 28));
        let acked = compute(k, date!(2026 - 11 - 23), Some(date!(2026 - 11 - 25)), 0);
        assert_eq!(acked.feedback_by, date!(2027 - 02 - 23));
        let extended = compute(k, date!(2026 - 11 - 23), Some(date!(2026 - 11 - 25)), 1000);
        assert_eq!(extended.feedback_by, date!(2027 - 02 - 23) + Duration::days(MAX_EXTENSION_DAYS));
    }

    #[test]
    fn overdue_rules() {
        let k = DeadlinePolicy::default().for_kind(Kind::Complaint);
        let d = compute(k, date!(2026 - 01 - 01), None, 0);
        assert!(!is_overdue(Status::Received, &d, date!(2026 - 01 - 04)));
        assert!(is_overdue(Status::Received, &d, date!(2026 - 01 - 05)));
        assert!(!is_overdue(Status::InReview, &d, date!(2026 - 01 - 05)));
        assert!(is_overdue(Status::InReview, &d, date!(2026 - 02 - 04)));
        assert!(!is_overdue(Status::ClosedUnfounded, &d, date!(2030 - 01 - 01)));
    }

    #[test]
    fn overrides_parse() {
        let p = DeadlinePolicy::from_toml("[complaint]\nacknowledge_days = 2\nfeedback_days = 10\n")
            .expect("parse");
        assert_eq!(p.for_kind(Kind::Complaint).acknowledge_days, 2);
        assert_eq!(p.for_kind(Kind::Violation).acknowledge_days, 7);
        assert!(DeadlinePolicy::from_toml("[complaint]\nacknowledge_days = 0\nfeedback_days = 1\n").is_err());
        assert!(DeadlinePolicy::from_toml("[bribe]\nacknowledge_days = 1\nfeedback_days = 1\n").is_err());
    }

    proptest! {
        #[test]
        fn deadlines_are_ordered(day in 0i64..20_000, ack in proptest::option::of(0i64..30), ext in -10i64..400) {
            let received = date!(2000 - 01 - 01) + Duration::days(day);
            for kind in Kind::ALL {
                let k = DeadlinePolicy::default().for_kind(kind);
                let d = compute(k, received, ack.map(|a| received + Duration::days(a)), ext);
                prop_assert!(d.acknowledge_by > received);
                prop_assert!(d.feedback_by > received);
                prop_assert!(d.feedback_by - received <= Duration::days(k.acknowledge_days.max(30) + k.feedback_days + MAX_EXTENSION_DAYS));
                // Never overdue on the day of receipt; always overdue after the last deadline if untouched.
                prop_assert!(!is_overdue(Status::Received, &d, received));
                prop_assert!(is_overdue(Status::Received, &d, d.feedback_by + Duration::days(1)));
            }
        }
    }
}
