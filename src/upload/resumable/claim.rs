//! A report or follow-up takes the complete uploads it names.

use amana_core::attachment::{segments_sha256, FileDigest};

use super::super::PendingUpload;
use super::{as_u64, key_of, recipient_lines, since};
use crate::error::{ApiError, FileLimit};
use crate::state::{random_id, AppState};

/// Takes the complete uploads a report names (`uploads`) into one pending upload that its
/// commit claims with the checks of any other (count, case bytes, quota). Refused, with
/// nothing changed, if one is not a capability, unknown, expired, incomplete, named twice or
/// begun for other readers.
pub async fn adopt(
    state: &AppState,
    capabilities: &[String],
    recipients: &[age::x25519::Recipient],
    what: Claimant,
) -> Result<PendingUpload, ApiError> {
    let limits = &state.uploads;
    if capabilities.len() as u64 > limits.max_files_per_case {
        return Err(ApiError::FileLimit(FileLimit::Count { max: limits.max_files_per_case }));
    }
    let mut keys = Vec::new();
    for (i, c) in capabilities.iter().enumerate() {
        keys.push(key_of(c).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "uploads[{i}] is not an upload capability: name the `upload` that POST /api/v1/uploads \
                 answered. Nothing was saved."
            ))
        })?);
    }
    let id = random_id();
    let rows =
        match state.store.adopt_resumable(&keys, since(state), &recipient_lines(recipients), &id).await? {
            Ok(rows) => rows,
            Err(why) => {
                let what = what.noun();
                return Err(ApiError::Conflict(format!(
                    "The {what} was not saved: {why}. Finish an incomplete upload (GET tells its offset) \
                 or start it again, then send the {what} again."
                )));
            }
        };
    let mut files = Vec::new();
    let mut bytes = 0u64;
    for row in rows {
        let segments = row.segment_list()?;
        let content_sha256 = segments_sha256(&segments)
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a stored segment digest is not hex")))?;
        bytes = bytes.saturating_add(as_u64(row.size));
        files.push(FileDigest { id: row.file_id, meta_sha256: row.meta_sha256, content_sha256, segments });
    }
    Ok(PendingUpload::adopted(state, id, files, bytes))
}

/// What claims uploads, for the messages.
#[derive(Clone, Copy)]
pub enum Claimant {
    Report,
    FollowUp,
}

impl Claimant {
    fn noun(self) -> &'static str {
        match self {
            Claimant::Report => "report",
            Claimant::FollowUp => "follow-up",
        }
    }
}
