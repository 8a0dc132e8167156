//! Public transparency figures: oversight's signed documents (`amana-review kpis --publish`),
//! uploaded once per period, checked here, and served verbatim as JSON and as a page.
//!
//! The server decides nothing in them: it checks the signature against the signed roster's
//! oversight keys and serves the file as signed, so no database writer can change what the
//! public sees without the signature failing for anyone who checks it (SECURITY.md,
//! "Published figures").

mod page;

use amana_core::disclosure;
use amana_core::publication::{self, Signed};
use axum::{body::Bytes, extract::State, http::StatusCode, Json};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{error::ApiError, state::AppState};

pub use page::page;

/// Largest upload accepted, in bytes.
pub const MAX_UPLOAD_BYTES: usize = 1024 * 1024;

/// `POST /api/v1/review/publications`: a signed figures file, as `kpis --publish` wrote it.
/// Needs no request signature: the document's own signature by an oversight key is the
/// authority, so the connected machine (which holds no key) can upload it.
pub async fn upload(State(state): State<AppState>, body: Bytes) -> Result<StatusCode, ApiError> {
    let signed: Signed = serde_json::from_slice(&body).map_err(|_| {
        ApiError::BadRequest("send the file `amana-review kpis --publish` wrote, unchanged".into())
    })?;
    let today = state.today();
    let oversight_key = |id: &str| state.keyring.oversight_key(id, Some(today));
    let doc = publication::verify(&signed, oversight_key, &state.keyring.deployment_id)
        .map_err(|why| ApiError::BadRequest(format!("figures refused: {why}")))?;
    if !disclosure::publishable(doc.to, today) {
        return Err(ApiError::BadRequest(format!(
            "figures refused: the period ends on {}, and is published only {} days after it ends",
            doc.to,
            disclosure::EMBARGO_DAYS
        )));
    }
    let text = serde_json::to_string(&signed).map_err(|e| ApiError::Internal(e.into()))?;
    if !state.store.publish(doc.from, doc.to, &text).await? {
        return Err(ApiError::Conflict(format!(
            "figures from {} were published before: a period is published once, then frozen",
            doc.from
        )));
    }
    Ok(StatusCode::CREATED)
}

/// `GET /api/v1/transparency` answer.
#[derive(Serialize, ToSchema)]
pub struct PublicationsDto {
    /// Each period's file as oversight signed it (`document` is JSON text; `signature` is
    /// base64 Ed25519 over `amana-transparency-1\n` and the document, by the key `key_id`
    /// of the deployment's signed roster), newest period first.
    #[schema(value_type = Vec<Object>)]
    pub publications: Vec<Signed>,
}

/// The published figures, each as oversight signed it.
#[utoipa::path(get, path = "/api/v1/transparency", responses((status = 200, body = PublicationsDto)), tag = "public")]
pub async fn list(State(state): State<AppState>) -> Result<Json<PublicationsDto>, ApiError> {
    Ok(Json(PublicationsDto { publications: published(&state).await? }))
}

/// Every stored file whose signature still verifies: checked again on every read, so a
/// database writer's change is never served (it is logged instead).
async fn published(state: &AppState) -> Result<Vec<Signed>, ApiError> {
    // A key revoked since it signed does not unpublish what it signed then.
    let oversight_key = |id: &str| state.keyring.oversight_key(id, None);
    let deployment = &state.keyring.deployment_id;
    let mut out = Vec::new();
    for text in state.store.publications().await? {
        let checked = serde_json::from_str::<Signed>(&text)
            .map_err(|_| "not a signed file".to_string())
            .and_then(|s| publication::verify(&s, oversight_key, deployment).map(|_| s));
        match checked {
            Ok(s) => out.push(s),
            Err(why) => {
                tracing::warn!("a stored publication is not served: {why} (changed in the database?)")
            }
        }
    }
    Ok(out)
}
