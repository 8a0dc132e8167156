//! Files written for a request that has not committed yet, deleted unless the commit that
//! claims them succeeds.

use std::sync::Arc;

use amana_core::attachment::FileDigest;

use crate::state::AppState;
use crate::store::{ClaimLimits, Store, UploadClaim};

/// Files written for a request that has not committed yet. Dropping it uncommitted
/// deletes them (in the background: `Drop` cannot wait).
pub struct PendingUpload {
    pub(super) id: String,
    /// Complete files.
    pub(super) count: u64,
    /// Their digests, in order.
    pub(super) files: Vec<FileDigest>,
    /// Their bytes as counted against the budget.
    pub(super) bytes: u64,
    /// The limits the claiming commit checks again.
    pub(super) limits: ClaimLimits,
    /// Whether any row was written (complete or not).
    pub(super) started: bool,
    pub(super) store: Arc<dyn Store>,
    pub(super) committed: bool,
}

impl PendingUpload {
    /// The claim to pass to the commit; `None` when no file was sent.
    pub fn claim(&self) -> Option<UploadClaim> {
        (self.count > 0).then(|| UploadClaim {
            upload_id: self.id.clone(),
            count: self.count,
            files: self.files.clone(),
            bytes: self.bytes,
            limits: self.limits,
        })
    }

    /// Complete resumable uploads moved under the pending upload `id`
    /// ([`crate::store::Resumable::adopt_resumable`]): claimed like files sent in the request.
    pub fn adopted(state: &AppState, id: String, files: Vec<FileDigest>, bytes: u64) -> Self {
        PendingUpload {
            id,
            count: files.len() as u64,
            files,
            bytes,
            limits: state.uploads.claim_limits(),
            started: true,
            store: state.store.clone(),
            committed: false,
        }
    }

    /// Files in this upload.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Call after the commit that claimed the files succeeded.
    pub fn committed(mut self) {
        self.committed = true;
    }
}

impl Drop for PendingUpload {
    fn drop(&mut self) {
        if self.committed || !self.started {
            return;
        }
        let (store, id) = (self.store.clone(), self.id.clone());
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if let Err(e) = store.discard_upload(&id).await {
                    tracing::warn!(error = %e, "could not remove a refused upload; it goes at the next start");
                }
            });
        }
    }
}
