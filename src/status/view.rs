//! The reporter's case, typed, built once per status check and rendered two ways: as JSON
//! ([`StatusResponse`]) and as the status page (`pages::status`). The renderings match on
//! [`Status`] and [`MessageKind`], never on strings, so they cannot drift apart.
//!
//! Decrypted text lives only in [`Message::text`], a `Zeroizing` string, in types that are
//! neither `Debug` nor `Clone`: it cannot reach a log line by `{:?}` or be copied where
//! nothing wipes it (docs/DESIGN.md, "Where plaintext may exist").

use amana_core::{
    case::{Kind, Status},
    deadlines::Deadlines,
    payload::Part,
};
use time::Date;
use zeroize::Zeroizing;

use super::{MessageDto, StatusResponse};
use crate::store::{format_date, CaseMeta};

/// Who wrote a message in the reporter's thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// From the case's reviewers.
    Reply,
    /// From the reporter.
    FollowUp,
}

impl MessageKind {
    /// The kind of a thread envelope's part; `None` for parts not in the reporter's thread.
    pub fn of(part: Part) -> Option<Self> {
        match part {
            Part::Reply => Some(Self::Reply),
            Part::FollowUp => Some(Self::FollowUp),
            Part::Report | Part::Note => None,
        }
    }

    /// The name on the wire (`from` in the JSON) and in the page's CSS class.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reply => "reply",
            Self::FollowUp => "follow_up",
        }
    }
}

/// One decrypted message. Not `Debug`, not `Clone`, and the compiler holds it:
///
/// ```compile_fail,E0277
/// fn log(m: &amana::status::Message) -> String { format!("{m:?}") }
/// ```
///
/// ```compile_fail,E0599
/// fn copy(m: &amana::status::Message) -> amana::status::Message { m.clone() }
/// ```
pub struct Message {
    pub kind: MessageKind,
    pub written_on: Date,
    pub text: Zeroizing<String>,
}

/// When the reporter's case will be deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deletion {
    /// Still open: no date yet.
    Open,
    /// Closed: deleted after this date (`amana purge`'s policy).
    After(Date),
    /// Closed but kept longer (on legal hold): no date.
    KeptLonger,
}

/// Everything the reporter may see about their case.
pub struct ReporterView {
    pub kind: Kind,
    pub agency: String,
    pub status: Status,
    pub received_on: Date,
    pub deadlines: Deadlines,
    pub escalated: bool,
    /// Replies and the reporter's follow-ups, oldest first.
    pub messages: Vec<Message>,
    /// Envelopes addressed to the reporter that held no Amana payload (`status::messages`).
    pub unreadable: u32,
    pub rating: Option<u8>,
    pub deletion: Deletion,
}

impl ReporterView {
    /// The case's clear metadata with its decrypted thread.
    pub fn new(case: &CaseMeta, messages: Vec<Message>, unreadable: u32, deletion: Deletion) -> Self {
        ReporterView {
            kind: case.kind,
            agency: case.agency.clone(),
            status: case.status,
            received_on: case.received_on,
            deadlines: case.deadlines,
            escalated: case.escalated,
            messages,
            unreadable,
            rating: case.rating,
            deletion,
        }
    }

    /// The reporter may rate the handling: the case is closed and not rated yet.
    pub fn can_rate(&self) -> bool {
        self.status.is_closed() && self.rating.is_none()
    }

    /// The acknowledgement deadline binds the agency only until it acknowledges.
    pub fn awaiting_acknowledgement(&self) -> bool {
        self.status == Status::Received
    }
}

/// The JSON rendering; it moves the texts, so no copy is left unwiped.
impl From<ReporterView> for StatusResponse {
    fn from(v: ReporterView) -> Self {
        let can_rate = v.can_rate();
        StatusResponse {
            kind: v.kind.to_string(),
            agency: v.agency,
            // `closed_spam` reads as a neutral `closed`: the reporter is never told "junk".
            status: v.status.reporter_name().to_string(),
            received_on: format_date(v.received_on),
            acknowledge_by: format_date(v.deadlines.acknowledge_by),
            feedback_by: format_date(v.deadlines.feedback_by),
            escalated: v.escalated,
            messages: v
                .messages
                .into_iter()
                .map(|m| MessageDto {
                    from: m.kind.as_str().to_string(),
                    on: format_date(m.written_on),
                    body: m.text,
                })
                .collect(),
            unreadable: v.unreadable,
            can_rate,
            rating: v.rating,
            deleted_after: match v.deletion {
                Deletion::After(d) => Some(format_date(d)),
                Deletion::Open | Deletion::KeptLonger => None,
            },
            kept_longer: v.deletion == Deletion::KeptLonger,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_kinds_are_the_thread_parts_with_their_wire_names() {
        assert_eq!(MessageKind::of(Part::Reply).map(MessageKind::as_str), Some(Part::Reply.as_str()));
        assert_eq!(MessageKind::of(Part::FollowUp).map(MessageKind::as_str), Some(Part::FollowUp.as_str()));
        assert_eq!(MessageKind::of(Part::Report), None);
        assert_eq!(MessageKind::of(Part::Note), None);
    }
}
