//! `status CASE NEW_STATUS`: a signed status change.

use amana_core::case::Status;
use amana_core::wire::{paths, StatusChange};

use crate::cases;
use crate::client::{Method, Session};
use crate::error::ReviewError;
use crate::home::Home;

/// Checks the transition locally, sends it signed, then records it in case.json.
pub fn run(home: &Home, prefix: &str, next: Status, server: Option<&str>) -> anyhow::Result<()> {
    let mut case = cases::find(home, prefix)?;
    let from = case.bundle.status;
    // Refused before any key or network use: a typo costs nothing and signs nothing.
    check_transition(&case.bundle.id, from, next)?;

    let session = Session::open(home, server)?;
    let body = serde_json::to_vec(&StatusChange { status: next, note_age_b64: None })?;
    session.call(Method::Post, &paths::status(&case.bundle.id), body)?;

    case.bundle.status = next;
    case.save()?;
    println!("case {}: {from} -> {next}", case.bundle.id);
    Ok(())
}

/// The lifecycle check of `amana_core::case`, with the allowed moves in the error.
fn check_transition(case: &str, from: Status, to: Status) -> Result<(), ReviewError> {
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
