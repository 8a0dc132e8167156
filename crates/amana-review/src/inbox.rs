//! `inbox`: the content-free notices — counts and ids of new, overdue and escalated cases in
//! the key's scope. Nothing in it is case content.

use amana_core::wire::{paths, Inbox};

use crate::cases::printable;
use crate::client::{parse_json, Method};
use crate::home::Home;
use crate::session::Session;

/// Asks the server (a signed `GET`) and prints the notices.
pub fn run(home: &Home, server: Option<&str>) -> anyhow::Result<()> {
    let session = Session::open(home, server)?;
    let body = session.call(Method::Get, paths::INBOX, Vec::new())?;
    let inbox: Inbox = parse_json(&session.url(paths::INBOX), &body)?;
    crate::output::stdout(&format_inbox(&inbox))
}

/// One line per kind of notice: label, count, ids.
fn format_inbox(inbox: &Inbox) -> String {
    let mut out = String::new();
    for (label, ids) in [("new", &inbox.new), ("overdue", &inbox.overdue), ("escalated", &inbox.escalated)] {
        let ids: Vec<String> = ids.iter().map(|id| printable(id)).collect();
        out.push_str(format!("{label:<10} {:>3}  {}", ids.len(), ids.join(" ")).trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_ids() {
        let inbox =
            Inbox { new: vec!["a".into(), "b".into()], overdue: vec![], escalated: vec!["c\u{1b}".into()] };
        assert_eq!(format_inbox(&inbox), "new          2  a b\noverdue      0\nescalated    1  c\u{FFFD}\n");
    }
}
