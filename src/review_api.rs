//! The reviewer API. Every route verifies a signed request (see `auth`); the server never
//! holds a reviewer secret, so all it can hand out is ciphertext and clear metadata.

use amana_core::{
    case::Status,
    keyring::Reviewer,
    wire::{CaseList, StatusChange},
};
use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, Method, StatusCode, Uri},
    Json,
};

use crate::{
    auth,
    error::ApiError,
    state::{today, AppState},
    store::{StatusUpdate, StoreError},
};

/// Largest reviewer request body, in bytes.
pub const MAX_REVIEW_BYTES: usize = 1024 * 1024;

/// `GET /api/v1/review/cases`: every case this key may read, with its envelopes.
pub async fn list_cases(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<CaseList>, ApiError> {
    let reviewer = auth::verify(&state, &method, &uri, &headers, &body).await?;
    let filter = |m: &crate::store::CaseMeta| reviewer.may_access(&m.agency, m.oversight_only);
    let cases = state.store.bundles(&filter).await?;
    Ok(Json(CaseList { cases }))
}

fn check_transition(from: Status, to: Status) -> Result<(), ApiError> {
    if from.can_move_to(to) {
        return Ok(());
    }
    let allowed: Vec<&str> = from
        .next_allowed()
        .into_iter()
        .map(Status::as_str)
        .collect();
    Err(ApiError::Conflict(format!(
        "cannot move a case from {from} to {to}; allowed next: {}",
        if allowed.is_empty() {
            "none (closed)".to_string()
        } else {
            allowed.join(", ")
        }
    )))
}

fn in_scope(reviewer: &Reviewer, agency: &str, oversight_only: bool) -> Result<(), ApiError> {
    if reviewer.may_access(agency, oversight_only) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// `POST /api/v1/review/cases/{id}/status` with `{"status": ...}`.
pub async fn set_status(
    State(state): State<AppState>,
    Path(case_id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let reviewer = auth::verify(&state, &method, &uri, &headers, &body).await?;
    let change: StatusChange = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("invalid status change: {e}")))?;
    let case = state
        .store
        .case_meta(&case_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    in_scope(reviewer, &case.agency, case.oversight_only)?;
    check_transition(case.status, change.status)?;
    let update = StatusUpdate {
        case_id: &case.id,
        from: case.status,
        to: change.status,
        on: today(),
        actor: &reviewer.entry.id,
    };
    match state.store.set_status(&update).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(StoreError::Conflict) => Err(ApiError::Conflict(
            "the case changed meanwhile; pull again and retry".into(),
        )),
        Err(e) => Err(e.into()),
    }
}
