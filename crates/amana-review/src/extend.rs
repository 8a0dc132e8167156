//! `extend CASE --days N --reason TEXT`: adds days to the feedback deadline, with a
//! mandatory reason (a note for the case's reviewers). At most
//! `deadlines::MAX_EXTENSION_DAYS` in all, counting extensions still in the outbox; the
//! server checks the same.

use amana_core::deadlines::MAX_EXTENSION_DAYS;
use amana_core::wire::{paths, Extension};

use crate::cases::{self, LocalCase};
use crate::error::ReviewError;
use crate::home::Home;
use crate::outbox;
use crate::output::say;
use crate::seal;
use crate::session::{queued_note, Delivered, Delivery};

/// Checks the limits locally, then signs and sends or queues the extension.
pub fn run(
    home: &Home,
    prefix: &str,
    days: i64,
    reason: &str,
    server: Option<&str>,
    offline: bool,
) -> anyhow::Result<()> {
    if days < 1 {
        return Err(ReviewError::BadDays(days).into());
    }
    let mut case = cases::find(home, prefix)?;
    if case.bundle.status.is_closed() {
        return Err(ReviewError::ClosedCase(case.bundle.id.clone()).into());
    }
    check_limit(&case, days, pending_days(home, &case)?)?;
    let head = case.verified_head()?;
    let sealed = seal::note(home, &case.bundle, reason, "reason")?;
    let body = serde_json::to_vec(&Extension { days, reason_age_b64: sealed.age_b64, head })?;

    let delivery = Delivery::open(home, server, offline)?;
    let id = case.bundle.id.clone();
    match delivery.post(home, &paths::extend(&id), body, &id, "extend")? {
        Delivered::Sent => {
            case.bundle.extension_days += days;
            case.save()?;
            say!("case {id}: feedback deadline extended by {days} days (pull to see the new date)");
        }
        Delivered::Queued(path) => {
            say!("case {id}: extension by {days} days signed");
            say!("{}", queued_note(&path));
        }
    }
    say!("reason encrypted to: {}", sealed.readers.join(", "));
    Ok(())
}

/// Days of extensions for this case waiting in the outbox.
fn pending_days(home: &Home, case: &LocalCase) -> Result<i64, ReviewError> {
    let pending = outbox::pending_to(home, &paths::extend(&case.bundle.id))?;
    Ok(pending.iter().filter_map(|f| serde_json::from_str::<Extension>(&f.body).ok()).map(|e| e.days).sum())
}

/// Refuses going past the maximum.
fn check_limit(case: &LocalCase, days: i64, pending: i64) -> Result<(), ReviewError> {
    let used = case.bundle.extension_days;
    let total = used.saturating_add(pending).saturating_add(days);
    if total <= MAX_EXTENSION_DAYS {
        return Ok(());
    }
    Err(ReviewError::ExtensionLimit {
        case: case.bundle.id.clone(),
        asked: days,
        total,
        max: MAX_EXTENSION_DAYS,
        used,
        pending: if pending > 0 { format!(", {pending} more waiting in the outbox") } else { String::new() },
    })
}
