//! The case's metadata and dates against its history.

use amana_core::case::Status;
use amana_core::events::{Event, EventKind};
use amana_core::wire::CaseBundle;
use serde_json::Value;
use time::Date;

/// The clear metadata must agree with the history.
pub(super) fn check_metadata(b: &CaseBundle) -> Result<(), String> {
    let last = b.events.last().map(|e| e.status);
    if last != Some(b.status) {
        return Err(format!("the case says `{}` but its history ends in another status", b.status));
    }
    let of_kind = |k: EventKind| b.events.iter().filter(move |e| e.kind == k);
    if b.escalated != of_kind(EventKind::Escalated).next().is_some() {
        return Err("its escalation flag disagrees with its history".into());
    }
    let detail = |e: &Event, key: &str| {
        serde_json::from_str::<Value>(&e.detail).ok().and_then(|v| v.get(key)?.as_i64())
    };
    // Saturating: a hostile server must not make us overflow.
    let days = of_kind(EventKind::Extended).filter_map(|e| detail(e, "days")).fold(0i64, i64::saturating_add);
    if days != b.extension_days {
        return Err(format!("it says {} extension days, its history {days}", b.extension_days));
    }
    let rating = of_kind(EventKind::Rated).next_back().and_then(|e| detail(e, "rating"));
    if rating != b.rating.map(i64::from) {
        return Err("its rating disagrees with its history".into());
    }
    Ok(())
}

/// The dates the metadata shows must agree with the history, whose dates
/// `verify_bindings` tied to the reviewers' signatures: deadlines and indicators are
/// computed from them. The date of receipt is the submission's. The per-kind deadline
/// policy is the deployment's and not known here, but every policy gives at least one day
/// each: acknowledgement is due after receipt, and feedback at least one day plus the
/// extensions after the acknowledgement (or after the acknowledge-by date before one). When
/// an extension is the last event that set the deadlines, the feedback date is the one it
/// recorded (which the chain, and the head this home pins, keep from changing later).
pub(super) fn check_dates(b: &CaseBundle) -> Result<(), String> {
    let received = b.events.first().map(|e| e.on).ok_or("it is empty")?;
    if b.received_on != received {
        return Err(format!("it says it was received on {}, its history on {received}", b.received_on));
    }
    let d = &b.deadlines;
    if d.acknowledge_by <= received {
        return Err(format!(
            "its acknowledge-by date {} is not after its receipt ({received})",
            d.acknowledge_by
        ));
    }
    let acknowledged = acknowledged_on(b);
    let from = acknowledged.unwrap_or(d.acknowledge_by);
    let days = b.extension_days.clamp(0, amana_core::deadlines::MAX_EXTENSION_DAYS) + 1;
    let least = from.checked_add(time::Duration::days(days)).unwrap_or(Date::MAX);
    if d.feedback_by < least {
        return Err(format!(
            "its feedback-by date {} is before the earliest its history allows ({least})",
            d.feedback_by
        ));
    }
    let last_setter = b.events.iter().rev().find(|e| {
        e.kind == EventKind::Extended
            || e.kind == EventKind::Transferred
            || (e.kind == EventKind::StatusChanged && e.status == Status::Acknowledged)
    });
    if let Some(e) = last_setter.filter(|e| e.kind == EventKind::Transferred) {
        return crate::custody_check::transfer_deadlines(e, d);
    }
    if let Some(e) = last_setter.filter(|e| e.kind == EventKind::Extended) {
        let recorded = serde_json::from_str::<Value>(&e.detail)
            .ok()
            .and_then(|v| v.get("feedback_by").and_then(Value::as_str).map(str::to_string));
        if recorded.is_some_and(|r| r != d.feedback_by.to_string()) {
            return Err(format!(
                "its feedback-by date {} is not the one its last extension (event {}) recorded",
                d.feedback_by, e.seq
            ));
        }
    }
    Ok(())
}

/// The date the case was first acknowledged, from its history (the event's `on`, which is
/// bounded by its reviewer's signature).
pub fn acknowledged_on(b: &CaseBundle) -> Option<Date> {
    b.events
        .iter()
        .find(|e| e.kind == EventKind::StatusChanged && e.status == Status::Acknowledged)
        .map(|e| e.on)
}

/// The date of receipt, from the history: the `submitted` event's `on` (`verify` refuses a
/// case whose `received_on` differs).
pub fn received_on(b: &CaseBundle) -> Date {
    b.events.first().map_or(b.received_on, |e| e.on)
}
