//! `POST /api/v1/uploads`: a resumable upload declared — whose readers it is for (a
//! report's shape, or a follow-up code), the file's name, type, size and digest — and its
//! capability answered.

use amana_core::attachment::{padded_len, sha256_hex, AttachmentMeta};
use amana_core::case::Kind;
use amana_core::segment;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use serde::Deserialize;

use super::{offset_header, recipient_lines, UploadState, B64URL, SHAPE_FIELDS};
use crate::config::MIB;
use crate::error::{ApiError, FileLimit};
use crate::state::{random_id, AppState};
use crate::status::TypedCode;
use crate::store::NewResumable;

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
        Readers::FollowUp(code) => crate::upload::follow_up::recipients(&state, &code, s.size).await?,
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
