//! `status CASE NEW_STATUS [--note TEXT]`: a signed status change, with an optional note for
//! the case's reviewers (encrypted to them, never to the reporter).

use amana_core::case::Status;
use amana_core::wire::{paths, StatusChange};

use crate::cases::{self, LocalCase};
use crate::error::ReviewError;
use crate::home::Home;
use crate::outbox;
use crate::output::say;
use crate::seal;
use crate::session::{queued_note, Delivered, Delivery};

/// Checks the transition locally, signs it, and sends or queues it.
pub fn run(
    home: &Home,
    prefix: &str,
    next: Status,
    note: Option<&str>,
    server: Option<&str>,
    offline: bool,
) -> anyhow::Result<()> {
    let mut case = cases::find(home, prefix)?;
    let (from, pending) = effective_status(home, &case)?;
    // Refused before any key or network use: a typo costs nothing and signs nothing.
    check_transition(&case.bundle.id, from, next)?;
    let head = case.verified_head()?;
    let sealed = note.map(|text| seal::note(home, &case.bundle, text, "note")).transpose()?;
    let body = serde_json::to_vec(&StatusChange {
        status: next,
        note_age_b64: sealed.as_ref().map(|s| s.age_b64.clone()),
        head,
    })?;

    let delivery = Delivery::open(home, server, offline)?;
    let id = case.bundle.id.clone();
    let counted =
        if pending > 0 { format!(" (counting {pending} pending in the outbox)") } else { String::new() };
    match delivery.post(home, &paths::status(&id), body, &id, "status")? {
        Delivered::Sent => {
            case.bundle.status = next;
            case.save()?;
            say!("case {id}: {from} -> {next}");
        }
        Delivered::Queued(path) => {
            say!("case {id}: {from} -> {next}{counted}");
            say!("{}", queued_note(&path));
        }
    }
    if let Some(s) = sealed {
        say!("note for reviewers encrypted to: {}", s.readers.join(", "));
    }
    Ok(())
}

/// The status the case will have once the status changes waiting in the outbox are sent,
/// and how many of those there are.
pub(crate) fn effective_status(home: &Home, case: &LocalCase) -> Result<(Status, usize), ReviewError> {
    let pending = outbox::pending_to(home, &paths::status(&case.bundle.id))?;
    let last = pending.iter().filter_map(|f| serde_json::from_str::<StatusChange>(&f.body).ok()).next_back();
    Ok((last.map_or(case.bundle.status, |c| c.status), pending.len()))
}

/// The lifecycle check of `amana_core::case`, with the allowed moves in the error.
pub(crate) fn check_transition(case: &str, from: Status, to: Status) -> Result<(), ReviewError> {
    if from.can_move_to(to) {
        return Ok(());
    }
    let next = from.next_allowed();
    let allowed = if next.is_empty() {
        "none (the case is closed)".to_string()
    } else {
        next.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
    };
    Err(ReviewError::InvalidTransition { case: case.to_string(), from, to, allowed })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_list_the_way_forward() {
        assert!(check_transition("c", Status::Received, Status::Acknowledged).is_ok());
        let msg =
            check_transition("c", Status::Received, Status::InReview).expect_err("skips a step").to_string();
        assert!(msg.contains("`received`") && msg.contains("allowed next: acknowledged"), "{msg}");
        let msg =
            check_transition("c", Status::ClosedUnfounded, Status::InReview).expect_err("closed").to_string();
        assert!(msg.contains("none (the case is closed)"), "{msg}");
    }
}
