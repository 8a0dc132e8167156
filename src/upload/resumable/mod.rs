//! Resumable evidence uploads through the JSON API (docs/FORMATS.md §8, "Segmented
//! content"): `POST /api/v1/uploads` declares a file and gets a capability, each
//! `PATCH /api/v1/uploads/{capability}` appends one segment from the stored offset, `GET`
//! (or `HEAD`) tells the offset, and a report names the complete uploads in `uploads`.
//!
//! The capability is 32 random bytes; the server keeps only their SHA-256, so a database
//! reader can neither resume nor claim an upload, and nothing else links the requests of one
//! upload. A segment is finished and committed when its body ends — or breaks: what a client
//! resumes from is always what is stored.

//!
//! The parts: [`begin`] (the declaration and its checks), [`append`](mod@append) (a
//! segment encrypted and committed as it arrives), `claim` (a report or follow-up takes
//! complete uploads); here, what they share.

pub mod append;
pub mod begin;
mod claim;

pub use append::append;
pub use begin::{start, StartUpload};
pub use claim::{adopt, Claimant};

use axum::extract::{Path, State};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64URL, Engine};
use serde::Serialize;

use amana_core::attachment::sha256_hex;

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::ResumableRow;

/// The header carrying the offset, as in tus (this API does not claim tus compliance).
pub const UPLOAD_OFFSET: &str = "upload-offset";
/// The body type of an append.
pub const OFFSET_OCTETS: &str = "application/offset+octet-stream";
/// The fields that say whose readers an upload is for (`StartUpload`'s two shapes).
pub const SHAPE_FIELDS: [&str; 4] = ["kind", "agency", "oversight_only", "code"];

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

fn offset_header(offset: u64) -> [(&'static str, HeaderValue); 1] {
    [(UPLOAD_OFFSET, HeaderValue::from(offset))]
}

fn as_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
