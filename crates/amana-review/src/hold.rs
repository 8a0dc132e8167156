//! `hold CASE --reason TEXT --review-on DATE` and `release CASE`: oversight's legal hold,
//! which keeps a case from retention purge (`amana purge` skips it) until released. The
//! reason is a note for the case's reviewers (encrypted to them); the review date is in
//! clear. Oversight keys only: refused here before any key use, by the server (403), and
//! by every home that verifies the history.

use amana_core::wire::{paths, HoldRelease, LegalHold};
use time::Date;

use crate::cases;
use crate::error::ReviewError;
use crate::home::Home;
use crate::output::say;
use crate::seal;
use crate::session::{queued_note, Delivered, Delivery};

/// Signs and sends (or queues) a legal hold.
pub fn hold(
    home: &Home,
    prefix: &str,
    reason: &str,
    review_on: Date,
    server: Option<&str>,
    offline: bool,
) -> anyhow::Result<()> {
    let case = cases::find(home, prefix)?;
    require_oversight(home, "hold")?;
    if review_on <= time::OffsetDateTime::now_utc().date() {
        return Err(ReviewError::ReviewDatePast(review_on).into());
    }
    let head = case.verified_head()?;
    let sealed = seal::note(home, &case.bundle, reason, "reason")?;
    let body = serde_json::to_vec(&LegalHold { reason_age_b64: sealed.age_b64, review_on, head })?;
    let id = case.bundle.id.clone();
    let delivery = Delivery::open(home, server, offline)?;
    match delivery.post(home, &paths::hold(&id), body, &id, "hold")? {
        Delivered::Sent => say!("case {id}: on legal hold, to be reviewed on {review_on}"),
        Delivered::Queued(path) => say!("case {id}: legal hold signed\n{}", queued_note(&path)),
    }
    say!("reason encrypted to: {}", sealed.readers.join(", "));
    Ok(())
}

/// Signs and sends (or queues) the end of a legal hold.
pub fn release(home: &Home, prefix: &str, server: Option<&str>, offline: bool) -> anyhow::Result<()> {
    let case = cases::find(home, prefix)?;
    require_oversight(home, "release")?;
    let head = case.verified_head()?;
    let body = serde_json::to_vec(&HoldRelease { head })?;
    let id = case.bundle.id.clone();
    let delivery = Delivery::open(home, server, offline)?;
    match delivery.post(home, &paths::release(&id), body, &id, "release")? {
        Delivered::Sent => say!("case {id}: legal hold released; retention applies again"),
        Delivered::Queued(path) => say!("case {id}: release signed\n{}", queued_note(&path)),
    }
    Ok(())
}

/// Refuses a key the trusted roster does not list as oversight.
fn require_oversight(home: &Home, action: &'static str) -> Result<(), ReviewError> {
    let me = crate::trust::me(home)?;
    if me.is_oversight() {
        Ok(())
    } else {
        Err(ReviewError::NotOversight { action, key: me.key_id })
    }
}
