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

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use amana_core::attachment::StreamEncryptor;
use axum::{extract::Request, http::header};
use clap::Args;
use tokio::sync::mpsc;
use zeroize::Zeroizing;

use crate::{
    error::{ApiError, FileLimit},
    state::{random_id, AppState},
    store::{NewAttachment, Store, UploadClaim},
};

const MIB: u64 = 1024 * 1024;
/// Name of the file parts.
pub const ATTACHMENT_FIELD: &str = "attachment";
/// Ciphertext pieces queued between the encryptor and the database writer: the upload's
/// memory bound (with the parser's buffers), and the overlap of network and disk.
const QUEUED_PIECES: usize = 3;

/// Limits on evidence files (`amana serve --help`).
#[derive(Debug, Clone, Args)]
pub struct UploadLimits {
    /// Largest single file, in MiB.
    #[arg(long, env = "AMANA_MAX_FILE_MB", default_value_t = 256)]
    pub max_file_mb: u64,
    /// Most file bytes per case (report and follow-ups together), in MiB.
    #[arg(long, env = "AMANA_MAX_CASE_FILES_MB", default_value_t = 1024)]
    pub max_case_files_mb: u64,
    /// Most files per case.
    #[arg(long, env = "AMANA_MAX_FILES_PER_CASE", default_value_t = 20)]
    pub max_files_per_case: u64,
    /// All stored files together (encrypted, padded), in MiB: the disk quota.
    #[arg(long, env = "AMANA_FILES_QUOTA_MB", default_value_t = 50 * 1024)]
    pub files_quota_mb: u64,
    /// Seconds an upload (or a reviewer's download) may take; slow Tor circuits need long.
    #[arg(long, env = "AMANA_UPLOAD_TIMEOUT_SECS", default_value_t = 3600)]
    pub upload_timeout_secs: u64,
}

impl UploadLimits {
    /// The largest request body that could be within the limits: the case's file bytes
    /// plus room for the text fields and the multipart framing.
    pub fn max_body_bytes(&self) -> u64 {
        self.max_case_files_mb.saturating_mul(MIB).saturating_add(MIB)
    }
}

/// Whether a request carries `multipart/form-data`.
pub fn is_multipart(req: &Request) -> bool {
    content_type(req).is_some_and(|ct| ct.starts_with("multipart/form-data"))
}

fn content_type(req: &Request) -> Option<&str> {
    req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok())
}

/// What a case already holds, for the per-case limits of a follow-up.
#[derive(Debug, Default, Clone, Copy)]
pub struct CaseFiles {
    pub count: u64,
    pub bytes: u64,
}

/// The text fields of a multipart form, zeroized on drop, and the rest of the body.
pub struct FormParts {
    fields: HashMap<String, Zeroizing<String>>,
    rest: Option<(multer::Multipart<'static>, multer::Field<'static>)>,
}

impl FormParts {
    /// Removes and returns a text field.
    pub fn take(&mut self, name: &str) -> Option<String> {
        self.fields.remove(name).map(|mut v| std::mem::take(&mut *v))
    }

    /// Takes every text field as name/value pairs (for the page forms).
    pub fn take_all(&mut self) -> Vec<(String, String)> {
        let names: Vec<String> = self.fields.keys().cloned().collect();
        names.into_iter().filter_map(|n| self.take(&n).map(|v| (n, v))).collect()
    }

    /// The names of the text fields not taken yet.
    pub fn leftover(&self) -> impl Iterator<Item = &str> {
        self.fields.keys().map(String::as_str)
    }

    /// Whether file parts follow.
    pub fn has_files(&self) -> bool {
        self.rest.is_some()
    }
}

/// Reads the text fields of a multipart body, up to the first file part. Each text field
/// may hold `max_text` bytes; the whole body is refused early if its declared length
/// exceeds what the limits allow.
pub async fn read_fields(
    req: Request,
    limits: &UploadLimits,
    max_text: usize,
) -> Result<FormParts, ApiError> {
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_body_bytes()) {
        return Err(ApiError::FileLimit(FileLimit::Total { max_mb: limits.max_case_files_mb }));
    }
    let boundary = content_type(&req)
        .and_then(|ct| multer::parse_boundary(ct).ok())
        .ok_or_else(|| ApiError::BadRequest("The multipart body has no boundary.".into()))?;
    let stream = OneChunkPerPoll { inner: req.into_body().into_data_stream(), yielded: false };
    let constraints =
        multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(limits.max_body_bytes()));
    let mut multipart = multer::Multipart::with_constraints(stream, boundary, constraints);
    let mut fields = HashMap::new();
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == ATTACHMENT_FIELD {
            return Ok(FormParts { fields, rest: Some((multipart, field)) });
        }
        let value = read_text(field, max_text).await?;
        fields.insert(name, value);
    }
    Ok(FormParts { fields, rest: None })
}

async fn read_text(mut field: multer::Field<'static>, max: usize) -> Result<Zeroizing<String>, ApiError> {
    let mut bytes = Zeroizing::new(Vec::new());
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        if bytes.len() + chunk.len() > max {
            return Err(ApiError::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| ApiError::BadRequest("A form field is not valid UTF-8 text.".into()))?;
    Ok(Zeroizing::new(text.to_string()))
}

/// Hands the multipart parser at most one body chunk per poll. The parser reads everything
/// the connection has ready each time it is polled; on a fast link that outruns encryption
/// and the database, its buffer would grow with the upload (measured: +70 MiB for a 256 MiB
/// file). One chunk at a time leaves the rest in the socket, where TCP flow control holds
/// the client back, and keeps the upload's memory bounded whatever its size.
struct OneChunkPerPoll<S> {
    inner: S,
    yielded: bool,
}

impl<S: futures_util::Stream + Unpin> futures_util::Stream for OneChunkPerPoll<S> {
    type Item = S::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        if self.yielded {
            // Let the parser hand out what it has; it is polled again at once.
            self.yielded = false;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let next = Pin::new(&mut self.inner).poll_next(cx);
        self.yielded = matches!(next, Poll::Ready(Some(_)));
        next
    }
}

fn multipart_error(e: multer::Error) -> ApiError {
    match e {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            ApiError::TooLarge
        }
        _ => ApiError::BadRequest(
            "The multipart body is malformed or was cut off. Nothing was saved; please send it again.".into(),
        ),
    }
}

/// Files written for a request that has not committed yet. Dropping it uncommitted
/// deletes them (in the background: `Drop` cannot wait).
pub struct PendingUpload {
    id: String,
    /// Complete files.
    count: u64,
    /// Whether any row was written (complete or not).
    started: bool,
    store: Arc<dyn Store>,
    committed: bool,
}

impl PendingUpload {
    /// The claim to pass to the commit; `None` when no file was sent.
    pub fn claim(&self) -> Option<UploadClaim> {
        (self.count > 0).then(|| UploadClaim { upload_id: self.id.clone(), count: self.count })
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
        started: false,
        store: state.store.clone(),
        committed: false,
    };
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
        match store_file(state, field, recipients, &mut pending, &mut budget).await {
            Ok(stored) => pending.count += u64::from(stored),
            Err(e) => {
                drain(&mut multipart).await;
                return Err(e);
            }
        }
        next = multipart.next_field().await.map_err(multipart_error)?;
    }
    Ok(pending)
}

/// Reads what is left of a refused body (bounded by the stream limit), so the client gets
/// the answer rather than a reset connection in the middle of its upload.
async fn drain(multipart: &mut multer::Multipart<'static>) {
    while let Ok(Some(mut field)) = multipart.next_field().await {
        while let Ok(Some(_)) = field.chunk().await {}
    }
}

/// Streams one file part into the store; `false` if it was an empty, unnamed part (what
/// a browser sends for a file input left empty).
async fn store_file(
    state: &AppState,
    mut field: multer::Field<'static>,
    recipients: &[age::x25519::Recipient],
    pending: &mut PendingUpload,
    budget: &mut Budget,
) -> Result<bool, ApiError> {
    let name = field.file_name().unwrap_or_default().to_string();
    let content_type = field.content_type().map(|m| m.to_string()).unwrap_or_default();
    let mut first = field.chunk().await.map_err(multipart_error)?;
    while first.as_ref().is_some_and(|b| b.is_empty()) {
        first = field.chunk().await.map_err(multipart_error)?;
    }
    if first.is_none() && name.is_empty() {
        return Ok(false);
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
    let (tx, rx) = mpsc::channel::<Vec<u8>>(QUEUED_PIECES);
    let writer = tokio::spawn(write_pieces(state.store.clone(), id.clone(), rx));
    let mut encryptor = StreamEncryptor::new(recipients).map_err(|e| ApiError::Internal(e.into()))?;
    let mut chunk = first;
    while let Some(bytes) = chunk {
        budget.take(bytes.len() as u64)?;
        for piece in encryptor.push(&bytes).map_err(|e| ApiError::Internal(e.into()))? {
            send(&tx, piece).await?;
        }
        chunk = field.chunk().await.map_err(multipart_error)?;
    }
    let done = encryptor.finish(&name, &content_type).map_err(|e| ApiError::Internal(e.into()))?;
    for piece in done.pieces {
        send(&tx, piece).await?;
    }
    drop(tx);
    let pieces = writer.await.map_err(|e| ApiError::Internal(e.into()))??;
    state.store.complete_attachment(&id, pieces, &done.meta_age).await?;
    Ok(true)
}

async fn send(tx: &mpsc::Sender<Vec<u8>>, piece: Vec<u8>) -> Result<(), ApiError> {
    // The writer stops only on a store error, which it returns when joined.
    tx.send(piece).await.map_err(|_| ApiError::Internal(anyhow::anyhow!("attachment writer stopped")))
}

/// Writes pieces in order, each in its own short transaction; returns how many.
async fn write_pieces(
    store: Arc<dyn Store>,
    attachment_id: String,
    mut rx: mpsc::Receiver<Vec<u8>>,
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
