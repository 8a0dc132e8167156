//! A case resent exactly as this home already verified and stored it.
//!
//! A pull resends every case changed on or after the day before the last complete one
//! (docs/FORMATS.md §3), so most cases of a pull are often ones the home holds byte for
//! byte. Verifying such a case again (every signature and attestation of its history) can
//! only give the answer it gave when it was stored: its metadata and events are the ones in
//! `case.json`, its envelopes the files beside it, its head the one in `heads.json` (which
//! only ever names a head this home verified), under the same signed roster. So it is
//! compared, not verified again, and not written again. Any other byte — one event, one
//! attestation, one envelope byte, another roster — goes through every check as before.

use amana_core::wire::CaseBundle;

use crate::cases::{AgeFile, LocalCase};
use crate::heads::{self, Heads};

/// Whether `bundle` (its envelopes already split into `files`) is byte for byte what the home
/// holds in `local`, with `heads` naming its last event as verified. The caller checks that
/// the roster is the one held.
pub(super) fn held_as_is(local: &LocalCase, bundle: &CaseBundle, files: &[AgeFile], heads: &Heads) -> bool {
    let verified = heads.0.get(&bundle.id);
    verified.is_some()
        && verified == heads::head_of(&bundle.events).as_ref()
        && local.bundle == *bundle
        && files.len() == local.bundle.envelopes.len()
        && files.iter().all(|f| std::fs::read(local.envelope_path(&f.id)).is_ok_and(|held| held == f.bytes))
}
