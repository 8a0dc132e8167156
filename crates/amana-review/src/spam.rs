//! `spam CASE... [--new]`: closes junk as `closed_spam`, one signed status change per case
//! (each bound to that case's verified head), sent at once or queued in the outbox. A case
//! that cannot be closed (already closed, unknown prefix, refused by the server) is named
//! with the reason and the others go on; the command fails if any case failed.
//!
//! `closed_spam` counts in no indicator and no deadline list, and the reporter sees a
//! neutral "closed" (`amana_core::case::Status::ClosedSpam`).

use amana_core::case::Status;
use amana_core::wire::{paths, StatusChange};

use crate::cases::{self, LocalCase};
use crate::error::ReviewError;
use crate::home::Home;
use crate::output::say;
use crate::session::{queued_note, Delivered, Delivery};

/// Closes every named case (and with `new`, every pulled case still `received`) as junk.
pub fn run(
    home: &Home,
    prefixes: &[String],
    new: bool,
    server: Option<&str>,
    offline: bool,
) -> anyhow::Result<()> {
    let mut chosen: Vec<Result<LocalCase, String>> = prefixes
        .iter()
        .map(|p| cases::find(home, p).map_err(|e| format!("{}: {e}", cases::printable(p))))
        .collect();
    if new {
        let received = cases::load_all(home)?.into_iter().filter(|c| c.bundle.status == Status::Received);
        chosen.extend(received.map(Ok));
    }
    if chosen.is_empty() {
        return Err(ReviewError::NothingChosen.into());
    }
    // Opened once: one passphrase prompt and one session for the whole selection.
    let delivery = Delivery::open(home, server, offline)?;
    let mut seen = std::collections::HashSet::new();
    let mut failed = 0usize;
    for case in chosen {
        let outcome = case.and_then(|c| {
            if !seen.insert(c.bundle.id.clone()) {
                return Ok(None);
            }
            close(home, &delivery, c).map(Some).map_err(|(id, e)| format!("case {id}: {e:#}"))
        });
        match outcome {
            Ok(Some(line)) => say!("{line}"),
            Ok(None) => {}
            Err(why) => {
                failed += 1;
                eprintln!("not closed: {why}");
            }
        }
    }
    if failed > 0 {
        return Err(ReviewError::SomeNotClosed(failed).into());
    }
    Ok(())
}

/// Signs and delivers one `closed_spam` change; the line to print, or the case and why not.
fn close(home: &Home, delivery: &Delivery, mut case: LocalCase) -> Result<String, (String, anyhow::Error)> {
    let id = case.bundle.id.clone();
    let fail = |e: anyhow::Error| (id.clone(), e);
    let (from, _) = crate::status::effective_status(home, &case).map_err(|e| fail(e.into()))?;
    crate::status::check_transition(&id, from, Status::ClosedSpam).map_err(|e| fail(e.into()))?;
    let head = case.verified_head().map_err(|e| fail(e.into()))?;
    let body = serde_json::to_vec(&StatusChange { status: Status::ClosedSpam, note_age_b64: None, head })
        .map_err(|e| fail(e.into()))?;
    match delivery.post(home, &paths::status(&id), body, &id, "status").map_err(|e| fail(e.into()))? {
        Delivered::Sent => {
            case.bundle.status = Status::ClosedSpam;
            case.save().map_err(|e| fail(e.into()))?;
            Ok(format!("case {id}: {from} -> closed_spam"))
        }
        Delivered::Queued(path) => Ok(format!("case {id}: {from} -> closed_spam\n{}", queued_note(&path))),
    }
}
