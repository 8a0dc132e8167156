//! Verifying transfers, exclusions and assignments in a pulled history (issue 15): each
//! event's detail must be what its oversight (or reader) signer signed, and must stand under
//! the readers rule (`amana_core::custody`) at its place in the chain — a transfer moves the
//! case from the agency it then had, an exclusion names one of its readers then, an
//! assignment hands it to one, and every reader list a signer encrypted to names only
//! reviewers the roster gives the case, never an excluded one, and always oversight. The
//! re-encrypted envelopes are pinned like a rewrap's (`history::check_rewrap`), and their
//! plaintexts checked against the recorded commitments after decryption (`accept`).

use amana_core::custody::{
    check_signed_readers, AssignDetail, AssignRequest, Custody, ExcludeDetail, ExcludeRequest, TransferDetail,
    TransferRequest,
};
use amana_core::deadlines::Deadlines;
use amana_core::events::{Event, EventKind, SignedAction};
use amana_core::roster::Roster;
use amana_core::wire::{CaseBundle, RewrappedEnvelope};
use serde::de::DeserializeOwned;

/// The custody of `bundle` just before event `e`.
fn before(bundle: &CaseBundle, e: &Event) -> Custody {
    let first = amana_core::custody::submitted_agency(&bundle.events).unwrap_or_else(|| bundle.agency.clone());
    let upto = usize::try_from(e.seq).unwrap_or(usize::MAX).min(bundle.events.len());
    Custody::replay(&first, &bundle.events[..upto])
}

fn parse<T: DeserializeOwned>(text: &str, what: &str) -> Result<T, String> {
    serde_json::from_str(text).map_err(|_| format!("its {what} is not well formed"))
}

/// The signed body of a reviewer event.
fn body<T: DeserializeOwned>(e: &Event) -> Result<T, String> {
    let signed: SignedAction = parse(e.signed.as_deref().unwrap_or_default(), "signature")?;
    parse(&signed.body, "signed request")
}

/// Checks a custody event of `bundle` (other kinds pass).
pub fn check(bundle: &CaseBundle, roster: &Roster, e: &Event) -> Result<(), String> {
    let mut custody = before(bundle, e);
    let only = bundle.oversight_only;
    match e.kind {
        EventKind::Transferred => {
            let (d, b): (TransferDetail, TransferRequest) = (parse(&e.detail, "detail")?, body(e)?);
            if d.to != b.agency || d.readers != b.readers {
                return Err("it records another agency or other readers than oversight signed".into());
            }
            if d.from != custody.agency || d.to == d.from {
                return Err(format!("it moves the case from `{}`, but the case was then `{}`", d.from.escape_debug(), custody.agency));
            }
            custody.agency = d.to;
            check_signed_readers(roster, &custody, only, &d.readers)
        }
        EventKind::Excluded => {
            let (d, b): (ExcludeDetail, ExcludeRequest) = (parse(&e.detail, "detail")?, body(e)?);
            if d.reviewer != b.reviewer || d.readers != b.readers {
                return Err("it records another reviewer or other readers than oversight signed".into());
            }
            if !roster.reviewer(&d.reviewer).is_some_and(|r| custody.admits(r, only)) {
                return Err(format!("it excludes `{}`, who was not a reader of the case", d.reviewer.escape_debug()));
            }
            custody.excluded.push(d.reviewer);
            check_signed_readers(roster, &custody, only, &d.readers)
        }
        EventKind::Assigned => {
            let (d, b): (AssignDetail, AssignRequest) = (parse(&e.detail, "detail")?, body(e)?);
            if d.holder != b.holder {
                return Err("it records another holder than its reviewer signed".into());
            }
            if !roster.reviewer(&d.holder).is_some_and(|r| custody.admits(r, only)) {
                return Err(format!("it hands the case to `{}`, who was not a reader of it", d.holder.escape_debug()));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The re-encrypted envelopes a transfer or exclusion signed.
pub fn signed_envelopes(kind: EventKind, body: &str) -> Result<Vec<RewrappedEnvelope>, String> {
    let bad = || format!("the signed request body is not a {} request", kind.as_str());
    match kind {
        EventKind::Transferred => serde_json::from_str::<TransferRequest>(body).map(|b| b.envelopes).map_err(|_| bad()),
        _ => serde_json::from_str::<ExcludeRequest>(body).map(|b| b.envelopes).map_err(|_| bad()),
    }
}

/// When a transfer last set the deadlines, they are the ones it recorded.
pub fn transfer_deadlines(e: &Event, d: &Deadlines) -> Result<(), String> {
    let recorded: TransferDetail = parse(&e.detail, "transfer detail")?;
    if recorded.deadlines != *d {
        return Err(format!(
            "its deadlines ({} / {}) are not the ones its transfer (event {}) recorded",
            d.acknowledge_by, d.feedback_by, e.seq
        ));
    }
    Ok(())
}
