//! Resumable uploads for a follow-up (docs/FORMATS.md §8): `POST /api/v1/uploads` with the
//! reporter's `code` instead of a report's fields.
//!
//! The code is checked exactly as `POST /api/v1/followups` checks it — the same
//! `status::authenticate`, the same answers for a wrong, purged or closed case, and the same
//! rate budget ([`by_shape`] sends such a start through the code-checking routes' limiters,
//! so alternating endpoints buys no extra guesses). The upload stores only the case's
//! readers, as a report's upload stores the report's: neither the code nor the case id.
//! The follow-up that names the upload checks that its case's readers are still those.

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower::ServiceExt;

use amana_core::attachment::padded_len;

use crate::config::MIB;
use crate::error::{ApiError, FileLimit};
use crate::followup;
use crate::state::AppState;
use crate::status::{authenticate, TypedCode};

/// Most bytes a start request may have (the route's body limit).
pub const START_BYTES: usize = 16 * 1024;

/// The recipients of a follow-up's upload: the readers of the code's case, once the code is
/// checked, the case open, and the file within what the case may still hold.
pub async fn recipients(
    state: &AppState,
    code: &TypedCode,
    size: u64,
) -> Result<Vec<age::x25519::Recipient>, ApiError> {
    let auth = authenticate(state, code).await?;
    followup::refuse_closed(&auth.case)?;
    let existing = followup::case_files(state, &auth.case.id).await?;
    let limits = &state.uploads;
    if existing.count >= limits.max_files_per_case {
        return Err(ApiError::FileLimit(FileLimit::Count { max: limits.max_files_per_case }));
    }
    let case_max = limits.max_case_files_mb.saturating_mul(MIB);
    if existing.bytes.saturating_add(padded_len(size)) > case_max {
        return Err(ApiError::FileLimit(FileLimit::Total { max_mb: limits.max_case_files_mb }));
    }
    followup::case_readers(state, &auth.case, state.today()).await
}

/// Middleware on `POST /api/v1/uploads`: a start that carries a `code` goes through
/// `code_checks` (the start route under the code-checking budget); any other goes on.
pub async fn by_shape(State(code_checks): State<Router>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = match to_bytes(body, START_BYTES).await {
        Ok(b) => b,
        Err(_) => return ApiError::TooLarge.into_response(),
    };
    let has_code =
        serde_json::from_slice::<serde_json::Value>(&bytes).ok().is_some_and(|v| v.get("code").is_some());
    let req = Request::from_parts(parts, Body::from(bytes));
    if !has_code {
        return next.run(req).await;
    }
    match code_checks.oneshot(req).await {
        Ok(resp) => resp,
        Err(never) => match never {},
    }
}
