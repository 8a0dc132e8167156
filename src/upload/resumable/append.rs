//! `PATCH /api/v1/uploads/{capability}`: one segment appended from the stored offset,
//! encrypted as it arrives and committed when its body ends or breaks.

use std::sync::Arc;

use amana_core::ciphertext::Ciphertext;
use amana_core::segment::{self, SegmentEncryptor};
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::super::meter::{Meter, MeteredBody};
use super::super::QUEUED_PIECES;
use super::{as_u64, find, offset_header, parse_recipients, OFFSET_OCTETS, UPLOAD_OFFSET};
use crate::error::ApiError;
use crate::state::{random_id, AppState};
use crate::store::{ResumableRow, SegmentCommit, Store};

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
