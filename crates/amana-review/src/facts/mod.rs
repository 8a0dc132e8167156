//! The clear facts of a case that the figures need (`kpis`, the operations room, improvement
//! periods), taken from its verified bundle: what the indicators read instead of the whole
//! history, so that a home of a million cases answers from a small local index (`index`).

pub mod index;

use amana_core::case::{Kind, Status};
use amana_core::deadlines::Deadlines;
use amana_core::wire::CaseBundle;
use time::Date;

use crate::evaluation::{self, Evaluation};

/// One case, as the figures see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub id: String,
    /// Printable (no control character: the index is one line per case, tab-separated).
    pub agency: String,
    pub kind: Kind,
    pub oversight_only: bool,
    pub status: Status,
    pub escalated: bool,
    /// The `submitted` event's date.
    pub received_on: Date,
    pub deadlines: Deadlines,
    /// The first `acknowledged` status change's date.
    pub acknowledged_on: Option<Date>,
    /// The first reply's date (feedback).
    pub first_reply_on: Option<Date>,
    pub rating: Option<u8>,
    /// Centre and answers, for evaluations and compliments.
    pub evaluation: Option<Evaluation>,
}

impl Facts {
    /// The facts of a verified bundle.
    pub fn of(b: &CaseBundle) -> Facts {
        Facts {
            id: b.id.clone(),
            agency: crate::cases::printable(&b.agency),
            kind: b.kind,
            oversight_only: b.oversight_only,
            status: b.status,
            escalated: b.escalated,
            received_on: crate::history::received_on(b),
            deadlines: b.deadlines,
            acknowledged_on: crate::history::acknowledged_on(b),
            first_reply_on: crate::kpis::first_reply_on(b),
            rating: b.rating,
            evaluation: evaluation::of_case(b),
        }
    }
}
