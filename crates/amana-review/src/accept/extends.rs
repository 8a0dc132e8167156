//! A case pulled before must come back *extended*, never rewritten: the same metadata,
//! earlier events unchanged and in place, envelopes and attachments unchanged unless a
//! signed rewrap covers the change.

use amana_core::events::EventKind;
use amana_core::wire::CaseBundle;

use crate::cases::{AgeFile, LocalCase};
use crate::error::ReviewError;
use crate::history;
use crate::home::check_id;

/// Refuses a case whose record does not extend the local one.
pub(super) fn check_extends(
    local: &LocalCase,
    new: &CaseBundle,
    files: &[AgeFile],
) -> Result<(), ReviewError> {
    let old = &local.bundle;
    let rewritten = |detail: String| ReviewError::HistoryRewritten { case: old.id.clone(), detail };
    // The agency changes only through a signed transfer after what this home held (whose
    // `from` and signer the history check verifies).
    let transferred = new.events.iter().skip(old.events.len()).any(|e| e.kind == EventKind::Transferred);
    if (old.kind, old.oversight_only, old.received_on) != (new.kind, new.oversight_only, new.received_on)
        || (old.agency != new.agency && !transferred)
    {
        return Err(rewritten("its kind, agency, oversight flag or date changed".into()));
    }
    if new.events.len() < old.events.len() {
        return Err(rewritten(format!(
            "its history now has {} events, you had {}",
            new.events.len(),
            old.events.len()
        )));
    }
    if let Some((i, _)) = old.events.iter().zip(&new.events).enumerate().find(|(_, (a, b))| a != b) {
        return Err(rewritten(format!("history event #{i} changed")));
    }
    for env in &old.envelopes {
        let same = new.envelopes.iter().find(|n| n.id == env.id);
        if same.is_none_or(|n| (n.part, n.created_on) != (env.part, env.created_on)) {
            return Err(rewritten(format!("envelope {} was removed or relabelled", env.id)));
        }
        check_envelope_unchanged(local, new, &env.id, files)?;
    }
    // A file we hold (or may hold) must keep its size and description: the content we
    // fetched earlier is only trusted as long as it is the same file.
    for att in &old.attachments {
        if !new.attachments.contains(att) {
            return Err(rewritten(format!("attachment {} was removed or changed", att.id)));
        }
    }
    Ok(())
}

/// An envelope we already hold must come back byte for byte, unless a signed rewrap covers
/// it (`history::verify` then pinned the new bytes to that signed request).
fn check_envelope_unchanged(
    local: &LocalCase,
    new: &CaseBundle,
    id: &str,
    files: &[AgeFile],
) -> Result<(), ReviewError> {
    check_id("envelope id", id)?;
    let path = local.envelope_path(id);
    let held = match std::fs::read(&path) {
        // Lost locally (deleted by hand?): nothing to compare, the new copy will be written.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        other => other.map_err(crate::error::io_error(&path))?,
    };
    match files.iter().find(|f| f.id == id) {
        Some(file) if file.bytes == held => Ok(()),
        Some(_) if history::last_rewrap(new, id).is_some() => Ok(()),
        _ => Err(ReviewError::HistoryRewritten {
            case: local.bundle.id.clone(),
            detail: format!("the content of envelope {id} changed"),
        }),
    }
}
