//! Resumable evidence uploads through the JSON API (docs/FORMATS.md §8, "Segmented
//! content"): `POST /api/v1/uploads` declares a file and gets a capability, each
//! `PATCH /api/v1/uploads/{capability}` appends one segment from the stored offset, `GET`
//! (or `HEAD`) tells the offset, and a report names the complete uploads in `uploads`.
//!
//! The capability is 32 random bytes; the server keeps only their SHA-256, so a database
//! reader can neither resume nor claim an upload, and nothing else links the requests of one
//! upload. A segment is finished and committed when its body ends — or breaks: what a client
//! resumes from is always what is stored.

use std::sync::Arc;

use amana_core::attachment::{padded_len, segments_sha256, sha256_hex, AttachmentMeta, FileDigest};
use amana_core::case::Kind;
use amana_core::ciphertext::Ciphertext;
use amana_core::segment::{self, SegmentEncryptor};
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64URL, Engine};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::meter::{Meter, MeteredBody};
use super::{PendingUpload, QUEUED_PIECES};
use crate::config::MIB;
use crate::error::{ApiError, FileLimit};
use crate::state::{random_id, AppState};
use crate::status::TypedCode;
use crate::store::{NewResumable, ResumableRow, SegmentCommit, Store};

/// The header carrying the offset, as in tus (this API does not claim tus compliance).
pub const UPLOAD_OFFSET: &str = "upload-offset";
/// The body type of an append.
pub const OFFSET_OCTETS: &str = "application/offset+octet-stream";
/// The fields that say whose readers an upload is for (`StartUpload`'s two shapes).
pub const SHAPE_FIELDS: [&str; 4] = ["kind", "agency", "oversight_only", "code"];
/// Longest declared name and content type, in characters.
const MAX_NAME_CHARS: usize = 256;

/// `POST /api/v1/uploads` body: whose case the file is for, in one of two shapes, and the
/// file as the client declares it. For a report: its `kind`, `agency` and `oversight_only`
/// (the recipients the report will have). For a follow-up: the reporter's `code` alone,
/// checked as `POST /api/v1/followups` checks it (the case's readers are the recipients).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartUpload {
    /// The report's `kind` (a report's upload).
    pub kind: Option<String>,
    /// The report's `agency` (a report's upload).
    pub agency: Option<String>,
    /// The report's `oversight_only` (a report's upload; false if left out).
    pub oversight_only: Option<bool>,
    /// The follow-up code (a follow-up's upload; never stored).
    #[schema(value_type = Option<String>, example = "12345 67890 12345 67890 12345")]
    pub code: Option<TypedCode>,
    /// The file name (encrypted; at most 256 characters).
    #[schema(max_length = 256)]
    pub name: String,
    /// The content type (encrypted; at most 256 characters).
    #[serde(default)]
    #[schema(max_length = 256)]
    pub content_type: String,
    /// The exact size in bytes.
    pub size: u64,
    /// The SHA-256 of the file, 64 hex digits; the reviewer's tool checks it.
    pub sha256: String,
}

/// Where an upload stands.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UploadState {
    /// The capability, on `POST` only: keep it secret, it resumes and claims the upload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload: Option<String>,
    /// File bytes stored: the next `PATCH` sends `Upload-Offset` equal to it.
    pub offset: u64,
    /// The declared size.
    pub size: u64,
    /// Every byte and the padding are stored: name the upload in a report.
    pub complete: bool,
}

/// Begin a resumable evidence upload.
#[utoipa::path(
    post,
    path = "/api/v1/uploads",
    request_body(content = StartUpload, content_type = "application/json"),
    responses(
        (status = 201, description = "Begun; keep `upload` secret", body = UploadState),
        (status = 400, description = "Invalid field, or both shapes or neither; the message says which. Nothing was saved.", body = crate::schemas::ErrorSchema),
        (status = 404, description = "A follow-up's upload: no report matches this code (as `POST /api/v1/followups` answers)", body = crate::schemas::ErrorSchema),
        (status = 409, description = "A follow-up's upload: the case is closed", body = crate::schemas::ErrorSchema),
        (status = 410, description = "A follow-up's upload: the code's case was closed and purged (`error`: `purged`)", body = crate::schemas::ErrorSchema),
        (status = 413, description = "The file is over a limit (for a follow-up, also the case's); the message says which. Nothing was saved.", body = crate::schemas::ErrorSchema),
        (status = 503, description = "A follow-up's upload: busy checking codes; nothing saved, retry later", body = crate::schemas::ErrorSchema),
    ),
    tag = "reporter"
)]
pub async fn start(State(state): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let body = crate::json::json_body(req, &state).await?;
    let invalid = |e: serde_json::Error| {
        ApiError::BadRequest(format!("The upload request is not valid: {e}. Nothing was saved."))
    };
    let mut value: serde_json::Value = serde_json::from_slice(&body).map_err(invalid)?;
    // JSON has one number type: `5.0` is the whole number 5, as in every JSON body we take.
    let whole = value.get("size").filter(|v| v.is_f64()).and_then(serde_json::Value::as_f64);
    if let Some(n) = whole.filter(|n| n.fract() == 0.0 && (0.0..9.0e15).contains(n)) {
        value["size"] = serde_json::Value::from(n as u64);
    }
    // A shape field is there or not; `null` would blur which of the two shapes was meant.
    if let Some(field) = SHAPE_FIELDS.iter().find(|f| value.get(**f).is_some_and(serde_json::Value::is_null))
    {
        return Err(ApiError::BadRequest(format!(
            "`{field}` must not be null: leave it out instead. Nothing was saved."
        )));
    }
    let mut s: StartUpload = serde_json::from_value(value).map_err(invalid)?;
    let readers = Readers::of(&state, &mut s)?;
    check_start(&state, &s).await?;
    let today = state.today();
    let recipients = match readers {
        Readers::Report { agency, oversight_only } => {
            state.keyring.recipients_for(&agency, oversight_only, today)
        }
        Readers::FollowUp(code) => super::follow_up::recipients(&state, &code, s.size).await?,
    };
    let StartUpload { name, content_type, size, sha256, .. } = s;
    let meta = AttachmentMeta { name, content_type, size, sha256 };
    let (meta, meta_sha256) = segment::seal_meta(&meta, &recipients)?;
    let mut capability = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut capability);
    let upload = B64URL.encode(capability);
    let new = NewResumable {
        key: sha256_hex(&capability),
        file_id: random_id(),
        begun_on: today,
        recipients: recipient_lines(&recipients),
        size,
        meta,
        meta_sha256,
    };
    state.store.begin_resumable(&new).await?;
    let answer = UploadState { upload: Some(upload), offset: 0, size, complete: false };
    Ok((StatusCode::CREATED, offset_header(0), Json(answer)).into_response())
}

/// Whose readers an upload is encrypted to: a report's, or the case of a follow-up code.
enum Readers {
    Report { agency: String, oversight_only: bool },
    FollowUp(TypedCode),
}

impl Readers {
    /// Exactly one of the two shapes; the report's fields checked (the code is checked
    /// after the file's own fields, so a malformed request costs no derivation).
    fn of(state: &AppState, s: &mut StartUpload) -> Result<Self, ApiError> {
        let report_fields = s.kind.is_some() || s.agency.is_some() || s.oversight_only.is_some();
        match (s.code.take(), s.kind.take(), s.agency.take()) {
            (Some(code), None, None) if !report_fields => Ok(Readers::FollowUp(code)),
            (None, Some(kind), Some(agency)) => {
                Self::check_report(state, &kind, &agency)?;
                Ok(Readers::Report { agency, oversight_only: s.oversight_only.unwrap_or(false) })
            }
            _ => Err(ApiError::BadRequest(
                "Send either the report's `kind` and `agency` (and `oversight_only`), or the \
                 follow-up `code` alone. Nothing was saved."
                    .into(),
            )),
        }
    }

    fn check_report(state: &AppState, kind: &str, agency: &str) -> Result<(), ApiError> {
        if kind.parse::<Kind>().is_err() {
            return Err(ApiError::BadRequest(
                "Unknown kind: use the report's kind. Nothing was saved.".into(),
            ));
        }
        if state.keyring.agency(agency).is_none() {
            return Err(ApiError::BadRequest(
                "Unknown agency. See GET /api/v1/agencies for the list. Nothing was saved.".into(),
            ));
        }
        Ok(())
    }
}

/// The declared fields and the limits that apply at once.
async fn check_start(state: &AppState, s: &StartUpload) -> Result<(), ApiError> {
    if s.name.chars().count() > MAX_NAME_CHARS || s.content_type.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::BadRequest(format!(
            "The name or content type is longer than {MAX_NAME_CHARS} characters. Nothing was saved."
        )));
    }
    let hex =
        s.sha256.len() == 64 && s.sha256.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !hex {
        return Err(ApiError::BadRequest(
            "sha256 must be the file's SHA-256 as 64 lowercase hex digits. Nothing was saved.".into(),
        ));
    }
    let limits = &state.uploads;
    if s.size > limits.max_file_mb.saturating_mul(MIB) {
        return Err(ApiError::FileLimit(FileLimit::File { max_mb: limits.max_file_mb }));
    }
    let used = state.store.attachment_bytes().await?;
    if used.saturating_add(padded_len(s.size)) > limits.files_quota_mb.saturating_mul(MIB) {
        return Err(ApiError::FileLimit(FileLimit::Quota));
    }
    Ok(())
}

/// Where an upload stands (also answers `HEAD`, with the `Upload-Offset` header only).
#[utoipa::path(
    get,
    path = "/api/v1/uploads/{capability}",
    params(("capability" = String, Path, description = "The `upload` that `POST /api/v1/uploads` answered")),
    responses(
        (status = 200, description = "The stored offset", body = UploadState,
         headers(("Upload-Offset" = u64, description = "File bytes stored"))),
        (status = 404, description = "Unknown or expired: start the upload again", body = crate::schemas::ErrorSchema),
    ),
    tag = "reporter"
)]
pub async fn status(
    State(state): State<AppState>,
    Path(capability): Path<String>,
) -> Result<Response, ApiError> {
    let row = find(&state, &capability).await?;
    let offset = as_u64(row.received);
    let answer = UploadState { upload: None, offset, size: as_u64(row.size), complete: row.complete };
    Ok((offset_header(offset), Json(answer)).into_response())
}

/// Append to a resumable upload.
#[utoipa::path(
    patch,
    path = "/api/v1/uploads/{capability}",
    params(
        ("capability" = String, Path, description = "The `upload` that `POST /api/v1/uploads` answered"),
        ("Upload-Offset" = u64, Header, description = "The stored offset (`GET` tells it)"),
    ),
    request_body(content = Vec<u8>, content_type = "application/offset+octet-stream",
        description = "The file's next bytes, from Upload-Offset on"),
    responses(
        (status = 204, description = "Stored; Upload-Offset is the new offset",
         headers(("Upload-Offset" = u64, description = "File bytes stored"))),
        (status = 400, description = "No valid Upload-Offset, or another body type", body = crate::schemas::ErrorSchema),
        (status = 404, description = "Unknown or expired: start the upload again", body = crate::schemas::ErrorSchema),
        (status = 409, description = "Upload-Offset is not the stored offset (the answer's `offset` is), or the upload is complete", body = crate::schemas::ErrorSchema),
        (status = 413, description = "More bytes than the declared size; nothing of this request was kept", body = crate::schemas::ErrorSchema),
    ),
    tag = "reporter"
)]
pub async fn append(
    State(state): State<AppState>,
    Path(capability): Path<String>,
    req: Request,
) -> Result<Response, ApiError> {
    let from = requested_offset(req.headers())?;
    let row = find(&state, &capability).await?;
    let stored = as_u64(row.received);
    if row.complete || from != stored {
        return Ok(conflict(stored, row.complete));
    }
    let left = as_u64(row.size) - stored;
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > left) {
        return Ok(too_many(left));
    }
    let writer = random_id();
    let Some(base) = state.store.take_over(&row.key, from, &writer).await? else {
        return Ok(conflict(stored, false));
    };
    // In its own task: a broken connection may drop this handler, and what arrived before
    // the break must still be committed.
    let body = req.into_body().into_data_stream();
    let task = tokio::spawn(receive(state, row, writer, base, body));
    match task.await {
        Ok(result) => result,
        Err(e) => Err(ApiError::Internal(anyhow::anyhow!("segment task: {e}"))),
    }
}

/// Encrypts the body into one segment (with the padding, once the file is whole) and commits it.
async fn receive(
    state: AppState,
    row: ResumableRow,
    writer: String,
    base: i64,
    body: axum::body::BodyDataStream,
) -> Result<Response, ApiError> {
    let store = state.store.clone();
    let result = encrypt_and_commit(&state, &row, &writer, base, body).await;
    if result.is_err() {
        if let Err(e) = store.abandon_segment(&row.key, &writer).await {
            tracing::warn!(error = %e, "could not remove a refused segment; the next append removes it");
        }
    }
    result
}

async fn encrypt_and_commit(
    state: &AppState,
    row: &ResumableRow,
    writer: &str,
    base: i64,
    body: axum::body::BodyDataStream,
) -> Result<Response, ApiError> {
    let recipients = parse_recipients(&row.recipients)?;
    let (from, size) = (as_u64(row.received), as_u64(row.size));
    let meter = Arc::new(Meter::new(size - from));
    let mut body = MeteredBody::new(body, meter.clone(), state.uploads.min_rate());
    let mut queue = Queue::start(state, &row.key, writer, base);
    let mut encryptor = SegmentEncryptor::new(&recipients)?;
    // A body that breaks or trickles ends the segment with what it carried: resumable.
    while let Some(Ok(bytes)) = body.next().await {
        queue.send_all(encryptor.push(&bytes)?).await?;
    }
    if meter.over_limit() {
        let _ = queue.finish().await;
        state.store.abandon_segment(&row.key, writer).await?;
        return Ok(too_many(size - from));
    }
    let added = encryptor.plain_len();
    let complete = from + added == size;
    if complete {
        // The padding goes in the segment that completes the file, in the same age stream:
        // the segments' lengths then show where requests broke, never the exact size.
        queue.send_all(segment::pad(&mut encryptor, size)?).await?;
    }
    let mut segments = Vec::new();
    if encryptor.plain_len() > 0 {
        let done = encryptor.finish()?;
        queue.send_all(done.pieces).await?;
        segments.push(done.digest);
    }
    let written = queue.finish().await?;
    if !segments.is_empty() {
        let commit = SegmentCommit {
            key: &row.key,
            writer,
            from,
            added,
            segments: &segments,
            pieces: written,
            complete,
        };
        if !state.store.commit_segments(&commit).await? {
            return Err(ApiError::Conflict(
                "Another request appended to this upload meanwhile. Ask for its offset (GET) and go on from there."
                    .into(),
            ));
        }
    }
    Ok((StatusCode::NO_CONTENT, offset_header(from + added)).into_response())
}

/// The pieces between the encryptor and the task that writes them, in order.
struct Queue {
    tx: Option<mpsc::Sender<Ciphertext>>,
    task: Option<tokio::task::JoinHandle<Result<i64, ApiError>>>,
}

impl Queue {
    fn start(state: &AppState, key: &str, writer: &str, base: i64) -> Self {
        let (tx, rx) = mpsc::channel::<Ciphertext>(QUEUED_PIECES);
        let task =
            tokio::spawn(write_pieces(state.store.clone(), key.to_string(), writer.to_string(), base, rx));
        Self { tx: Some(tx), task: Some(task) }
    }

    /// Queues pieces; once the writer stopped, its own error (another request took over:
    /// 409), not a closed channel's.
    async fn send_all(&mut self, pieces: Vec<Ciphertext>) -> Result<(), ApiError> {
        for piece in pieces {
            let sent = match &self.tx {
                Some(tx) => tx.send(piece).await.is_ok(),
                None => false,
            };
            if !sent {
                return Err(match self.wait().await {
                    Err(e) => e,
                    Ok(_) => ApiError::Internal(anyhow::anyhow!("the piece writer stopped early")),
                });
            }
        }
        Ok(())
    }

    /// Waits for every queued piece to be written; how many there were.
    async fn finish(mut self) -> Result<i64, ApiError> {
        self.wait().await
    }

    async fn wait(&mut self) -> Result<i64, ApiError> {
        self.tx = None;
        match self.task.take() {
            Some(task) => task.await.map_err(|e| ApiError::Internal(anyhow::anyhow!("piece writer: {e}")))?,
            None => Err(ApiError::Internal(anyhow::anyhow!("the piece writer already stopped"))),
        }
    }
}

/// Writes a segment's pieces in order after the committed ones; returns how many.
async fn write_pieces(
    store: Arc<dyn Store>,
    key: String,
    writer: String,
    base: i64,
    mut rx: mpsc::Receiver<Ciphertext>,
) -> Result<i64, ApiError> {
    let mut n = 0;
    while let Some(piece) = rx.recv().await {
        store.put_segment_piece(&key, &writer, base + n, &piece).await.map_err(|e| match e {
            crate::store::StoreError::Conflict => ApiError::Conflict(
                "Another request took this upload over. Ask for its offset (GET) and go on from there."
                    .into(),
            ),
            other => other.into(),
        })?;
        n += 1;
    }
    Ok(n)
}

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

/// The upload a capability names, if it is not expired.
async fn find(state: &AppState, capability: &str) -> Result<ResumableRow, ApiError> {
    let gone = || {
        ApiError::Missing(
            "No upload in progress has this capability (unknown, expired or already in a report). \
             Start the upload again with POST /api/v1/uploads."
                .into(),
        )
    };
    let key = key_of(capability).ok_or_else(gone)?;
    state.store.resumable(&key, since(state)).await?.ok_or_else(gone)
}

/// The stored key of a capability; `None` if it is not one.
pub fn key_of(capability: &str) -> Option<String> {
    let raw = B64URL.decode(capability).ok().filter(|b| b.len() == 32)?;
    Some(sha256_hex(&raw))
}

/// Uploads begun before this date are expired (begun today or yesterday: kept).
pub fn since(state: &AppState) -> time::Date {
    let today = state.today();
    today.previous_day().unwrap_or(today)
}

/// The recipients as stored: one age recipient per line.
pub fn recipient_lines(recipients: &[age::x25519::Recipient]) -> String {
    recipients.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
}

fn parse_recipients(lines: &str) -> Result<Vec<age::x25519::Recipient>, ApiError> {
    lines
        .lines()
        .map(|l| l.parse::<age::x25519::Recipient>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| ApiError::Internal(anyhow::anyhow!("a resumable upload's recipients do not parse")))
}

fn requested_offset(headers: &HeaderMap) -> Result<u64, ApiError> {
    let type_ok =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| t == OFFSET_OCTETS);
    if !type_ok {
        return Err(ApiError::BadRequest(format!(
            "Send the file's bytes with `Content-Type: {OFFSET_OCTETS}`. Nothing was saved."
        )));
    }
    headers.get(UPLOAD_OFFSET).and_then(|v| v.to_str().ok()?.parse::<u64>().ok()).ok_or_else(|| {
        ApiError::BadRequest(
            "Send `Upload-Offset`: the stored offset, which GET on the upload tells. Nothing was saved."
                .into(),
        )
    })
}

/// 409 with the stored offset, so the client knows where to go on from.
fn conflict(stored: u64, complete: bool) -> Response {
    let message = if complete {
        "This upload is complete: name it in the report's `uploads`.".to_string()
    } else {
        format!("Upload-Offset must be the stored offset, {stored}: send the file from there.")
    };
    let body = serde_json::json!({ "error": "conflict", "message": message, "offset": stored });
    (StatusCode::CONFLICT, offset_header(stored), Json(body)).into_response()
}

/// 413: the body is longer than what the declared size leaves.
fn too_many(left: u64) -> Response {
    let message = format!(
        "The body has more bytes than the upload still lacks ({left}). Nothing of this request was \
         kept; send only the rest of the declared file."
    );
    let body = serde_json::json!({ "error": "too_large", "message": message });
    (StatusCode::PAYLOAD_TOO_LARGE, Json(body)).into_response()
}

fn offset_header(offset: u64) -> [(&'static str, HeaderValue); 1] {
    [(UPLOAD_OFFSET, HeaderValue::from(offset))]
}

fn as_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
