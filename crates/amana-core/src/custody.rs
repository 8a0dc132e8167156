//! Who a case belongs to and who reads it, as its signed history says: the agency (the
//! attested submission's, or the last `transferred` event's), the reviewers oversight
//! excluded from it (`excluded` events), and the officer who holds it (`assigned` events).
//!
//! Every party computes a case's readers with the same rule, from the signed roster and
//! these events alone ([`readers`]): the roster's readers of the case's current agency
//! (oversight alone for "oversight only"), minus every excluded reviewer. The server
//! encrypts and scopes with it; every reviewer home recomputes it, so no later rewrap,
//! transfer or reply can add an excluded reviewer back (docs/FORMATS.md §9).

use serde::{Deserialize, Serialize};
use time::Date;

use crate::deadlines::{self, Deadlines, KindDeadlines};
use crate::events::{Event, EventKind};
use crate::roster::{Roster, RosterEntry};
use crate::wire::{RewrapRecord, RewrappedEnvelope};

/// `POST …/transfer` body (oversight only): the new agency, the readers the signer
/// encrypted to (key ids, from the roster) and the case's envelopes re-encrypted to them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    /// The verified head this action is bound to (`wire::SignedHead`).
    pub head: String,
    /// The agency the case moves to.
    pub agency: String,
    /// Key ids of the readers the envelopes were encrypted to.
    pub readers: Vec<String>,
    /// Envelopes re-encrypted to `readers` (and the reporter, for the parts they read).
    pub envelopes: Vec<RewrappedEnvelope>,
}

/// `POST …/exclude` body (oversight only): the reviewer excluded, the readers left and the
/// case's envelopes re-encrypted to them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExcludeRequest {
    /// The verified head this action is bound to (`wire::SignedHead`).
    pub head: String,
    /// Key id of the reviewer who may no longer read or act on the case.
    pub reviewer: String,
    /// Key ids of the readers the envelopes were encrypted to.
    pub readers: Vec<String>,
    /// Envelopes re-encrypted to `readers` (and the reporter, for the parts they read).
    pub envelopes: Vec<RewrappedEnvelope>,
}

/// `POST …/assign` body: the reader who holds the case from now on (the signer, to take
/// it; another reader of the case, to hand it over).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    /// The verified head this action is bound to (`wire::SignedHead`).
    pub head: String,
    /// Key id of the new holder.
    pub holder: String,
}

/// The `transferred` event's detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferDetail {
    pub from: String,
    pub to: String,
    pub readers: Vec<String>,
    pub envelopes: Vec<RewrapRecord>,
    /// The deadlines recomputed for the new agency ([`transfer_deadlines`]).
    pub deadlines: Deadlines,
    /// Why the deadlines changed, in words.
    pub reason: String,
}

/// The `excluded` event's detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExcludeDetail {
    pub reviewer: String,
    pub readers: Vec<String>,
    pub envelopes: Vec<RewrapRecord>,
}

/// The `assigned` event's detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignDetail {
    pub holder: String,
    /// The holder before, if any.
    #[serde(default)]
    pub from: Option<String>,
}

/// A case's custody after some prefix of its history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Custody {
    /// The agency the case belongs to.
    pub agency: String,
    /// Reviewers excluded from it, in the order they were excluded.
    pub excluded: Vec<String>,
    /// The officer who holds it (cleared by a transfer, or by excluding the holder).
    pub holder: Option<String>,
}

impl Custody {
    /// Replays `events` (a history, or its first events) from the submission's agency;
    /// events whose detail does not parse leave it as it was (the history check refuses them).
    pub fn replay(submitted_agency: &str, events: &[Event]) -> Self {
        let mut c = Custody { agency: submitted_agency.to_string(), excluded: Vec::new(), holder: None };
        for e in events {
            c.apply(e);
        }
        c
    }

    /// The custody after one more event.
    pub fn apply(&mut self, e: &Event) {
        match e.kind {
            EventKind::Transferred => {
                if let Ok(d) = serde_json::from_str::<TransferDetail>(&e.detail) {
                    self.agency = d.to;
                    self.holder = None;
                }
            }
            EventKind::Excluded => {
                if let Ok(d) = serde_json::from_str::<ExcludeDetail>(&e.detail) {
                    if self.holder.as_deref() == Some(d.reviewer.as_str()) {
                        self.holder = None;
                    }
                    if !self.excluded.contains(&d.reviewer) {
                        self.excluded.push(d.reviewer);
                    }
                }
            }
            EventKind::Assigned => {
                if let Ok(d) = serde_json::from_str::<AssignDetail>(&e.detail) {
                    self.holder = Some(d.holder);
                }
            }
            _ => {}
        }
    }

    /// Whether `entry` may read and act on the case: the roster gives it access to the
    /// case's agency and oversight did not exclude it.
    pub fn admits(&self, entry: &RosterEntry, oversight_only: bool) -> bool {
        entry.may_access(&self.agency, oversight_only) && !self.excluded.contains(&entry.id)
    }
}

/// The agency the attested submission records, if it records one.
pub fn submitted_agency(events: &[Event]) -> Option<String> {
    let first = events.first().filter(|e| e.kind == EventKind::Submitted)?;
    let d: serde_json::Value = serde_json::from_str(&first.detail).ok()?;
    d.get("agency")?.as_str().map(str::to_string)
}

/// The readers of a case in `custody` on `today`: the roster's readers of its agency, minus
/// the excluded, never a revoked key.
pub fn readers<'r>(
    roster: &'r Roster,
    custody: &Custody,
    oversight_only: bool,
    today: Date,
) -> Vec<&'r RosterEntry> {
    roster
        .readers(&custody.agency, oversight_only, today)
        .into_iter()
        .filter(|r| !custody.excluded.contains(&r.id))
        .collect()
}

/// Why a signed reader list may not stand for a case in `custody`, if it may not: each id
/// must be a roster reviewer the custody admits (listed once), and at least one must be
/// oversight. Revocation is not checked: a key revoked later was a reader when signed.
pub fn check_signed_readers(
    roster: &Roster,
    custody: &Custody,
    oversight_only: bool,
    readers: &[String],
) -> Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    let mut oversight = false;
    for id in readers {
        let entry = roster
            .reviewer(id)
            .ok_or_else(|| format!("names reader `{}`, who is not in the roster", id.escape_debug()))?;
        if !custody.admits(entry, oversight_only) {
            return Err(format!(
                "names reader `{id}`, whom the roster does not give this case (or who was excluded)"
            ));
        }
        if !seen.insert(id.as_str()) {
            return Err(format!("names reader `{id}` twice"));
        }
        oversight |= entry.oversight;
    }
    if !oversight {
        return Err("names no oversight reader: a re-encryption must never shut oversight out".into());
    }
    Ok(())
}

/// A transferred case's deadlines: they start again on the transfer date `on`, as if the
/// new agency had received it that day (and acknowledged it that day, if it was
/// acknowledged), keeping the extensions granted so far.
pub fn transfer_deadlines(k: KindDeadlines, on: Date, acknowledged: bool, extension_days: i64) -> Deadlines {
    deadlines::compute(k, on, acknowledged.then_some(on), extension_days)
}

/// The dates a later acknowledgement or extension counts from: the date of receipt, or of
/// the last transfer; and the acknowledgement, never before that transfer.
pub fn deadline_basis(
    received: Date,
    acknowledged: Option<Date>,
    transferred: Option<Date>,
) -> (Date, Option<Date>) {
    match transferred {
        Some(t) => (t.max(received), acknowledged.map(|a| a.max(t))),
        None => (received, acknowledged),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Status;

    fn event(kind: EventKind, detail: serde_json::Value) -> Event {
        Event {
            seq: 0,
            on: time::macros::date!(2026 - 12 - 01),
            kind,
            status: Status::Received,
            actor: None,
            detail: detail.to_string(),
            signed: None,
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn custody_follows_transfers_exclusions_and_assignments() {
        let d = Deadlines {
            acknowledge_by: time::macros::date!(2026 - 12 - 08),
            feedback_by: time::macros::date!(2027 - 03 - 01),
        };
        let events = [
            event(EventKind::Assigned, serde_json::json!({ "holder": "h1" })),
            event(
                EventKind::Excluded,
                serde_json::json!({ "reviewer": "h1", "readers": [], "envelopes": [] }),
            ),
            event(EventKind::Assigned, serde_json::json!({ "holder": "h2", "from": null })),
            event(
                EventKind::Transferred,
                serde_json::json!({ "from": "health", "to": "transport", "readers": [], "envelopes": [], "deadlines": d, "reason": "x" }),
            ),
        ];
        let c = Custody::replay("health", &events[..2]);
        assert_eq!(
            (c.agency.as_str(), c.excluded.as_slice(), c.holder.as_deref()),
            ("health", &["h1".to_string()][..], None)
        );
        let c = Custody::replay("health", &events[..3]);
        assert_eq!(c.holder.as_deref(), Some("h2"));
        let c = Custody::replay("health", &events);
        assert_eq!((c.agency.as_str(), c.holder.as_deref()), ("transport", None));
        assert_eq!(c.excluded, ["h1"], "an exclusion survives a transfer");
    }

    #[test]
    fn deadlines_restart_on_the_transfer_date() {
        let (r, t) = (time::macros::date!(2026 - 11 - 01), time::macros::date!(2026 - 12 - 01));
        assert_eq!(deadline_basis(r, None, Some(t)), (t, None));
        assert_eq!(deadline_basis(r, Some(r), Some(t)), (t, Some(t)));
        assert_eq!(deadline_basis(r, Some(r), None), (r, Some(r)));
        let k = KindDeadlines { acknowledge_days: 7, feedback_days: 90 };
        let d = transfer_deadlines(k, t, true, 10);
        assert_eq!(d.feedback_by, t + time::Duration::days(100));
    }
}
