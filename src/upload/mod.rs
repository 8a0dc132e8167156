//! Evidence-file uploads: a `multipart/form-data` body read as a stream, each file part fed
//! chunk by chunk into age's STREAM encryption and stored piece by piece (docs/FORMATS.md §8).
//!
//! The order is fixed: every text field (`kind`, `agency`, `code`, …) comes before the first
//! `attachment` part, so the recipients are known before the first byte of a file; a text
//! field after a file is refused. Plaintext never touches a disk: it lives in the parser's
//! buffers and age's 64 KiB chunk buffer until it is encrypted.
//!
//! Files are written under a pending upload id and become part of a case only in the commit
//! of the report or follow-up that carries them ([`PendingUpload::claim`]). Whatever stops
//! the request before that — a limit, a malformed body, a dropped connection, a failed
//! commit — deletes the pending rows ([`PendingUpload`]'s `Drop`), and a node removes
//! leftovers at start.
//!
//! Memory stays flat whatever is sent: every text field must be one the route names
//! ([`FormSpec`]; an unknown or repeated name is refused as soon as its header arrives), each
//! has its own size limit and all of them together are bounded (the JSON limit). The parser
//! itself buffers a part's headers until they end, so the body stream is metered
//! ([`Meter`]): the parser may read the text fields' limit plus the framing, plus the file
//! bytes it has handed out, and no more. The same stream enforces a minimum data rate
//! (averaged over a window of at least a minute of waiting for the client), so a client that
//! trickles bytes is cut off long before the total upload time runs out.
//!
//! The parts: `form` reads the text fields, `meter` meters the body, this module
//! encrypts and stores the file parts under a [`PendingUpload`] (`pending`), and
//! [`resumable`] takes files through the JSON API in segments.

use std::sync::Arc;

use amana_core::attachment::{FileDigest, StreamEncryptor};
use tokio::sync::mpsc;

pub mod follow_up;
mod form;
mod meter;
mod pending;
pub mod resumable;
pub use form::{is_multipart, read_fields, FormParts, FormSpec};
pub use meter::Meter;
pub use pending::PendingUpload;

use crate::config::{UploadLimits, MIB};
use crate::{
    error::{ApiError, FileLimit},
    state::{random_id, AppState},
    store::{NewAttachment, Store},
};
use amana_core::ciphertext::Ciphertext;

/// Name of the file parts.
pub const ATTACHMENT_FIELD: &str = "attachment";
/// Ciphertext pieces queued between the encryptor and the database writer: the upload's
/// memory bound (with the parser's buffers), and the overlap of network and disk.
const QUEUED_PIECES: usize = 3;
/// What a case already holds, for the per-case limits of a follow-up.
#[derive(Debug, Default, Clone, Copy)]
pub struct CaseFiles {
    pub count: u64,
    pub bytes: u64,
}

/// Encrypts and stores every file part that follows the text fields.
pub async fn store_files(
    state: &AppState,
    parts: FormParts,
    recipients: &[age::x25519::Recipient],
    existing: CaseFiles,
) -> Result<PendingUpload, ApiError> {
    let mut pending = PendingUpload {
        id: random_id(),
        count: 0,
        files: Vec::new(),
        bytes: 0,
        limits: state.uploads.claim_limits(),
        started: false,
        store: state.store.clone(),
        committed: false,
    };
    let meter = parts.meter;
    let Some((mut multipart, first)) = parts.rest else { return Ok(pending) };
    let limits = &state.uploads;
    let quota_used = state.store.attachment_bytes().await?;
    let mut budget = Budget::new(limits, existing, quota_used);
    let mut next = Some(first);
    while let Some(field) = next {
        if field.name() != Some(ATTACHMENT_FIELD) {
            return Err(ApiError::BadRequest(
                "Put every text field before the first attachment part.".into(),
            ));
        }
        match store_file(state, field, recipients, &mut pending, &mut budget, &meter).await {
            Ok(Some(digest)) => {
                pending.count += 1;
                pending.bytes += budget.file_used;
                pending.files.push(digest);
            }
            Ok(None) => {}
            Err(e) => {
                if !matches!(e, ApiError::TooSlow | ApiError::TooLarge) {
                    drain(&mut multipart, &meter).await;
                }
                return Err(e);
            }
        }
        next = multipart.next_field().await.map_err(|e| meter.error(e))?;
    }
    Ok(pending)
}

/// Reads what is left of a refused body (bounded by the stream limit and the minimum
/// rate), so the client gets the answer rather than a reset connection in the middle of its
/// upload.
async fn drain(multipart: &mut multer::Multipart<'static>, meter: &Meter) {
    while let Ok(Some(mut field)) = multipart.next_field().await {
        while let Ok(Some(chunk)) = field.chunk().await {
            meter.handed_out(chunk.len() as u64);
        }
    }
}

/// Streams one file part into the store and returns its digests; `None` if it was an
/// empty, unnamed part (what a browser sends for a file input left empty).
async fn store_file(
    state: &AppState,
    mut field: multer::Field<'static>,
    recipients: &[age::x25519::Recipient],
    pending: &mut PendingUpload,
    budget: &mut Budget,
    meter: &Meter,
) -> Result<Option<FileDigest>, ApiError> {
    // A file part has a filename (empty for a file input left empty); a part without one
    // is a text field, and text fields come first.
    let Some(name) = field.file_name().map(str::to_string) else {
        return Err(ApiError::BadRequest(
            "An `attachment` part must be a file (a part with a filename). Nothing was saved.".into(),
        ));
    };
    let content_type = field.content_type().map(|m| m.to_string()).unwrap_or_default();
    let mut first = field.chunk().await.map_err(|e| meter.error(e))?;
    while first.as_ref().is_some_and(|b| b.is_empty()) {
        first = field.chunk().await.map_err(|e| meter.error(e))?;
    }
    if first.is_none() && name.is_empty() {
        return Ok(None);
    }
    budget.start_file()?;
    let id = random_id();
    let new = NewAttachment {
        id: id.clone(),
        upload_id: pending.id.clone(),
        seq: pending.count as i64,
        created_on: state.today(),
    };
    // From here on rows may exist: a failure below must remove them.
    pending.started = true;
    state.store.begin_attachment(&new).await?;
    let (tx, rx) = mpsc::channel::<Ciphertext>(QUEUED_PIECES);
    let writer = tokio::spawn(write_pieces(state.store.clone(), id.clone(), rx));
    let mut encryptor = StreamEncryptor::new(recipients)?;
    let mut chunk = first;
    while let Some(bytes) = chunk {
        budget.take(bytes.len() as u64)?;
        meter.handed_out(bytes.len() as u64);
        for piece in encryptor.push(&bytes)? {
            send(&tx, piece).await?;
        }
        chunk = field.chunk().await.map_err(|e| meter.error(e))?;
    }
    let done = encryptor.finish(&name, &content_type)?;
    for piece in done.pieces {
        send(&tx, piece).await?;
    }
    drop(tx);
    let pieces = writer.await??;
    state.store.complete_attachment(&id, pieces, &done.meta_age).await?;
    Ok(Some(FileDigest {
        id,
        meta_sha256: done.meta_sha256,
        content_sha256: done.content_sha256,
        segments: Vec::new(),
    }))
}

async fn send(tx: &mpsc::Sender<Ciphertext>, piece: Ciphertext) -> Result<(), ApiError> {
    // The writer stops only on a store error, which it returns when joined.
    tx.send(piece).await.map_err(|_| ApiError::Internal(anyhow::anyhow!("attachment writer stopped")))
}

/// Writes pieces in order, each in its own short transaction; returns how many.
async fn write_pieces(
    store: Arc<dyn Store>,
    attachment_id: String,
    mut rx: mpsc::Receiver<Ciphertext>,
) -> Result<i64, ApiError> {
    let mut seq = 0;
    while let Some(piece) = rx.recv().await {
        store.put_piece(&attachment_id, seq, &piece).await?;
        seq += 1;
    }
    Ok(seq)
}

/// The limits as they apply to one request.
struct Budget {
    file_max: u64,
    file_used: u64,
    case_left: u64,
    case_max_mb: u64,
    files_left: u64,
    files_max: u64,
    quota_left: u64,
}

impl Budget {
    fn new(l: &UploadLimits, existing: CaseFiles, quota_used: u64) -> Self {
        Budget {
            file_max: l.max_file_mb.saturating_mul(MIB),
            file_used: 0,
            case_left: l.max_case_files_mb.saturating_mul(MIB).saturating_sub(existing.bytes),
            case_max_mb: l.max_case_files_mb,
            files_left: l.max_files_per_case.saturating_sub(existing.count),
            files_max: l.max_files_per_case,
            quota_left: l.files_quota_mb.saturating_mul(MIB).saturating_sub(quota_used),
        }
    }

    fn start_file(&mut self) -> Result<(), ApiError> {
        if self.files_left == 0 {
            return Err(ApiError::FileLimit(FileLimit::Count { max: self.files_max }));
        }
        self.files_left -= 1;
        self.file_used = 0;
        Ok(())
    }

    fn take(&mut self, n: u64) -> Result<(), ApiError> {
        self.file_used += n;
        if self.file_used > self.file_max {
            return Err(ApiError::FileLimit(FileLimit::File { max_mb: self.file_max / MIB }));
        }
        self.case_left = self
            .case_left
            .checked_sub(n)
            .ok_or(ApiError::FileLimit(FileLimit::Total { max_mb: self.case_max_mb }))?;
        self.quota_left = self.quota_left.checked_sub(n).ok_or(ApiError::FileLimit(FileLimit::Quota))?;
        Ok(())
    }
}
