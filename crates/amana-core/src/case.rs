//! The case vocabulary: kinds of submission and the lifecycle (docs/FORMATS.md §3, "Lifecycle").

use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// What a reporter is submitting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Whistleblowing, including petty corruption.
    Violation,
    Complaint,
    Suggestion,
    Compliment,
    Inquiry,
    /// A mystery-shopper rating of a service visit.
    ServiceEvaluation,
}

impl Kind {
    /// Every kind, in the order forms list them.
    pub const ALL: [Kind; 6] = [
        Kind::Violation,
        Kind::Complaint,
        Kind::Suggestion,
        Kind::Compliment,
        Kind::Inquiry,
        Kind::ServiceEvaluation,
    ];

    /// The stable identifier used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Violation => "violation",
            Kind::Complaint => "complaint",
            Kind::Suggestion => "suggestion",
            Kind::Compliment => "compliment",
            Kind::Inquiry => "inquiry",
            Kind::ServiceEvaluation => "service_evaluation",
        }
    }
}

/// Where a case is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Received,
    Acknowledged,
    InReview,
    NeedsInfo,
    ClosedActionTaken,
    ClosedUnfounded,
    ClosedReferred,
    /// Junk (spam, abuse, nonsense), closed from any open status. It counts in no figure
    /// (indicators, rankings, deadlines) and the reporter sees a neutral "closed".
    ClosedSpam,
}

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 8] = [
        Status::Received,
        Status::Acknowledged,
        Status::InReview,
        Status::NeedsInfo,
        Status::ClosedActionTaken,
        Status::ClosedUnfounded,
        Status::ClosedReferred,
        Status::ClosedSpam,
    ];

    /// The stable identifier used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::Acknowledged => "acknowledged",
            Status::InReview => "in_review",
            Status::NeedsInfo => "needs_info",
            Status::ClosedActionTaken => "closed_action_taken",
            Status::ClosedUnfounded => "closed_unfounded",
            Status::ClosedReferred => "closed_referred",
            Status::ClosedSpam => "closed_spam",
        }
    }

    /// Whether the case is finished.
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            Status::ClosedActionTaken | Status::ClosedUnfounded | Status::ClosedReferred | Status::ClosedSpam
        )
    }

    /// Whether a case in this status counts in indicators, rankings and deadline lists:
    /// junk closed as `closed_spam` never does, so closing it cannot improve a figure.
    pub fn counts_in_figures(self) -> bool {
        self != Status::ClosedSpam
    }

    /// The name the reporter sees: `closed_spam` is shown as a neutral `closed`, so a
    /// reporter (or whoever holds their code) never learns the case was judged junk.
    pub fn reporter_name(self) -> &'static str {
        match self {
            Status::ClosedSpam => "closed",
            s => s.as_str(),
        }
    }

    /// The lifecycle: `received → acknowledged → in_review ⇄ needs_info → closed_*`.
    /// A case may be closed from `acknowledged` too (e.g. an inquiry answered at once), and
    /// as junk (`closed_spam`) from every open status, `received` included.
    pub fn can_move_to(self, next: Status) -> bool {
        use Status::*;
        match (self, next) {
            (from, ClosedSpam) => !from.is_closed(),
            (Received, Acknowledged) => true,
            (Acknowledged, InReview) => true,
            (InReview, NeedsInfo) | (NeedsInfo, InReview) => true,
            (Acknowledged | InReview, n) => n.is_closed(),
            _ => false,
        }
    }

    /// The statuses reachable from this one.
    pub fn next_allowed(self) -> Vec<Status> {
        Status::ALL.into_iter().filter(|n| self.can_move_to(*n)).collect()
    }
}

macro_rules! str_enum {
    ($t:ty, $what:literal) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl FromStr for $t {
            type Err = UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <$t>::ALL
                    .into_iter()
                    .find(|k| k.as_str() == s)
                    .ok_or_else(|| UnknownName { what: $what, name: s.chars().take(40).collect() })
            }
        }
    };
}
str_enum!(Kind, "kind");
str_enum!(Status, "status");

/// An unknown kind or status name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{name}`")]
pub struct UnknownName {
    /// "kind" or "status".
    pub what: &'static str,
    /// The name given (truncated).
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in Kind::ALL {
            assert_eq!(k.as_str().parse::<Kind>(), Ok(k));
            assert_eq!(serde_json::to_string(&k).ok(), Some(format!("\"{k}\"")));
        }
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>(), Ok(s));
        }
        assert!("bribe".parse::<Kind>().is_err());
    }

    #[test]
    fn lifecycle() {
        use Status::*;
        assert!(Received.can_move_to(Acknowledged));
        assert!(!Received.can_move_to(InReview));
        assert!(!Received.can_move_to(ClosedUnfounded));
        assert!(InReview.can_move_to(NeedsInfo) && NeedsInfo.can_move_to(InReview));
        assert!(!NeedsInfo.can_move_to(ClosedActionTaken));
        assert!(InReview.can_move_to(ClosedReferred));
        for closed in [ClosedActionTaken, ClosedUnfounded, ClosedReferred, ClosedSpam] {
            assert!(closed.next_allowed().is_empty());
        }
        for open in [Received, Acknowledged, InReview, NeedsInfo] {
            assert!(open.can_move_to(ClosedSpam), "{open} -> closed_spam");
        }
        assert!(ClosedSpam.is_closed() && !ClosedSpam.counts_in_figures());
        assert_eq!(ClosedSpam.reporter_name(), "closed");
        assert_eq!(ClosedUnfounded.reporter_name(), "closed_unfounded");
        assert!(!Acknowledged.can_move_to(Acknowledged));
    }
}
