//! Rewrapped envelopes must decrypt to the plaintext hash their signed `rewrapped` event
//! records, before the new copy replaces the one this home held.

use super::Planned;
use crate::error::ReviewError;
use crate::history;
use crate::home::Home;
use crate::rewrap;

/// Each rewrapped envelope that is new to this home (or changed) must decrypt to the
/// plaintext whose SHA-256 the signed `rewrapped` event records — and so must the copy we
/// held before, if any: a rewrap may change who can read an envelope, never what it says.
/// And a copy this home can open is never replaced by one it cannot: a rewrap that would
/// shut this reviewer out of what they read quarantines the case instead, keeping the copy.
/// The identity is unlocked only when a pull brings such envelopes. Failing cases are taken
/// out of `planned` and returned with the reason.
pub(super) fn check_rewrapped(
    home: &Home,
    planned: &mut Vec<Planned>,
) -> Result<Vec<(String, String)>, ReviewError> {
    let needs_work = |case: &Planned| {
        case.files.iter().any(|file| {
            history::last_rewrap(&case.bundle, &file.id).is_some()
                && case.local.as_ref().and_then(|l| std::fs::read(l.envelope_path(&file.id)).ok()).as_ref()
                    != Some(&file.bytes)
        })
    };
    if !planned.iter().any(needs_work) {
        return Ok(Vec::new());
    }
    let identity = home.identity(&mut crate::passphrase::Unlocker::default())?;
    let mut refused = Vec::new();
    let mut kept = Vec::with_capacity(planned.len());
    for case in planned.drain(..) {
        match check_case_rewraps(&case, &identity) {
            Ok(()) => kept.push(case),
            Err(e) => refused.push((case.bundle.id.clone(), e.to_string())),
        }
    }
    *planned = kept;
    Ok(refused)
}

fn check_case_rewraps(case: &Planned, identity: &age::x25519::Identity) -> Result<(), ReviewError> {
    let id = &case.bundle.id;
    for file in &case.files {
        let Some((_, hash)) = history::last_rewrap(&case.bundle, &file.id) else { continue };
        let held = case.local.as_ref().and_then(|l| std::fs::read(l.envelope_path(&file.id)).ok());
        if held.as_ref() == Some(&file.bytes) {
            continue;
        }
        let new_plain = rewrap::decrypt_bytes(id, &file.id, &file.bytes, identity)?;
        let old_plain =
            held.as_ref().map(|b| rewrap::decrypt_bytes(id, &file.id, b, identity)).transpose()?.flatten();
        if new_plain.is_none() && old_plain.is_some() {
            return Err(ReviewError::HistoryInvalid {
                case: id.clone(),
                detail: format!(
                    "the server's new copy of envelope {} no longer opens with your key, the copy you hold \
                     does: your copy is kept",
                    file.id
                ),
            });
        }
        for plain in new_plain.iter().chain(old_plain.iter()) {
            crate::show::check_commitment(&case.bundle, &file.id, plain)?;
            if !rewrap::matches_record(plain, &hash) {
                return Err(ReviewError::HistoryInvalid {
                    case: id.clone(),
                    detail: format!(
                        "envelope {} does not decrypt to the plaintext its signed rewrap records",
                        file.id
                    ),
                });
            }
        }
    }
    Ok(())
}
