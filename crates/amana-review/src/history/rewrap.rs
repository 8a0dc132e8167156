//! Rewraps (and the re-encryption a transfer or exclusion carries): the recorded envelopes
//! and hashes are the signed ones, and the stored bytes are the signed age files.

use amana_core::events::{Event, EventKind};
use amana_core::wire::{is_sha256_hex, CaseBundle, RewrapDetail};

use super::event::same_envelope;
use crate::cases::AgeFile;

/// The envelopes a `rewrapped` event lists, with their plaintext hashes.
/// Transfers and exclusions re-encrypt envelopes too, and record them the same way.
pub(super) fn rewrap_records(e: &Event) -> Option<RewrapDetail> {
    matches!(e.kind, EventKind::Rewrapped | EventKind::Transferred | EventKind::Excluded)
        .then(|| serde_json::from_str(&e.detail).ok())
        .flatten()
}

/// The last rewrap of `envelope_id` in the history: its seq and the recorded plaintext hash.
pub fn last_rewrap(bundle: &CaseBundle, envelope_id: &str) -> Option<(i64, String)> {
    bundle.events.iter().rev().find_map(|e| {
        let records = rewrap_records(e)?;
        let r = records.envelopes.into_iter().find(|r| r.envelope_id == envelope_id)?;
        Some((e.seq, r.plaintext_sha256))
    })
}

/// A `rewrapped` event against its signed request: the same envelopes and hashes, each an
/// envelope of this case, and the stored bytes of those it rewrapped last are the signed ones.
pub(super) fn check_rewrap(
    bundle: &CaseBundle,
    e: &Event,
    body: &[amana_core::wire::RewrappedEnvelope],
    files: &[AgeFile],
) -> Result<(), String> {
    let detail = rewrap_records(e).ok_or("its detail does not list the rewrapped envelopes")?;
    let signed: Vec<(&str, &str)> =
        body.iter().map(|b| (b.envelope_id.as_str(), b.plaintext_sha256.as_str())).collect();
    let recorded: Vec<(&str, &str)> =
        detail.envelopes.iter().map(|r| (r.envelope_id.as_str(), r.plaintext_sha256.as_str())).collect();
    if signed != recorded || signed.is_empty() {
        return Err("it records other envelopes or hashes than the reviewer signed".into());
    }
    for item in body {
        let id = item.envelope_id.as_str();
        if !is_sha256_hex(&item.plaintext_sha256) || !bundle.envelopes.iter().any(|env| env.id == id) {
            return Err(format!(
                "names envelope {}, which is missing or has no valid hash",
                id.escape_debug()
            ));
        }
        if last_rewrap(bundle, id).is_some_and(|(seq, _)| seq == e.seq) {
            same_envelope(Some(&item.age_b64), Some(id), files)?;
        }
    }
    Ok(())
}
