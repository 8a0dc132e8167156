//! `inbox`: the content-free notices — counts and ids of new, overdue and escalated cases in
//! the key's scope, and who holds which (`assign`), — and, from this home, the cases quarantined as UNVERIFIED since a date
//! (a hostile server must not hide a case quietly). Nothing in it is case content.

use amana_core::wire::{paths, Inbox};

use crate::cases::printable;
use crate::client::{parse_json, Method};
use crate::error::ReviewError;
use crate::home::Home;
use crate::quarantine::Quarantine;
use crate::session::Session;

/// Asks the server (a signed `GET`) and prints the notices.
pub fn run(home: &Home, server: Option<&str>) -> anyhow::Result<()> {
    let session = Session::open(home, server)?;
    let body = session.call(Method::Get, paths::INBOX, Vec::new())?;
    let inbox: Inbox = parse_json(&session.url(paths::INBOX), &body)?;
    let quarantine = Quarantine::load(home)?;
    crate::output::stdout(&(format_inbox(&inbox) + &format_unverified(&quarantine)))?;
    if quarantine.0.is_empty() {
        Ok(())
    } else {
        Err(ReviewError::Quarantined(quarantine.0.len()).into())
    }
}

/// The quarantined cases, each with the date it has been UNVERIFIED since; empty if none.
fn format_unverified(q: &Quarantine) -> String {
    if q.0.is_empty() {
        return String::new();
    }
    let ids: Vec<String> =
        q.0.iter().map(|(id, e)| format!("{} (UNVERIFIED since {})", printable(id), e.since)).collect();
    format!("{:<10} {:>3}  {}\n", "unverified", ids.len(), ids.join(" "))
}

/// One line per kind of notice: label, count, ids.
fn format_inbox(inbox: &Inbox) -> String {
    let mut out = String::new();
    for (label, ids) in [("new", &inbox.new), ("overdue", &inbox.overdue), ("escalated", &inbox.escalated)] {
        let ids: Vec<String> = ids.iter().map(|id| printable(id)).collect();
        out.push_str(format!("{label:<10} {:>3}  {}", ids.len(), ids.join(" ")).trim_end());
        out.push('\n');
    }
    if !inbox.held.is_empty() {
        // Who holds what (`assign`): a second officer sees it before replying.
        let held: Vec<String> = inbox
            .held
            .iter()
            .map(|(id, holder)| format!("{} ({})", printable(id), printable(holder)))
            .collect();
        out.push_str(&format!("{:<10} {:>3}  {}\n", "held", held.len(), held.join(" ")));
    }
    if !inbox.hold_review_due.is_empty() {
        // Oversight's legal holds whose review date has come: keep (a new hold) or release.
        let ids: Vec<String> = inbox.hold_review_due.iter().map(|id| printable(id)).collect();
        out.push_str(&format!("{:<10} {:>3}  {}\n", "hold due", ids.len(), ids.join(" ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_ids() {
        let mut inbox = Inbox {
            new: vec!["a".into(), "b".into()],
            overdue: vec![],
            escalated: vec!["c\u{1b}".into()],
            held: Default::default(),
            hold_review_due: vec![],
        };
        assert_eq!(format_inbox(&inbox), "new          2  a b\noverdue      0\nescalated    1  c\u{FFFD}\n");
        inbox.held.insert("a".into(), "health-officer".into());
        assert!(format_inbox(&inbox).ends_with("held         1  a (health-officer)\n"));
        inbox.hold_review_due.push("z".into());
        assert!(format_inbox(&inbox).ends_with("hold due     1  z\n"), "{}", format_inbox(&inbox));
    }

    #[test]
    fn quarantined_cases_are_named_with_their_date() {
        let mut q = Quarantine::default();
        assert_eq!(format_unverified(&q), "");
        let since = time::macros::date!(2026 - 11 - 30);
        q.0.insert("c1".into(), crate::quarantine::Entry { since, reason: "tampered".into() });
        assert_eq!(format_unverified(&q), "unverified   1  c1 (UNVERIFIED since 2026-11-30)\n");
    }
}
