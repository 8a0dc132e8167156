//! Improvement periods (`amana_core::improvement`, docs/OPERATIONS-ROOM.md): oversight's
//! signed documents, stored under their random id and handed to the homes in scope.
//!
//! The server decides nothing in them. An upload needs no request signature (the document's
//! own signature by a current oversight key is the authority, as for published figures); a
//! stored period can only be replaced by its closing; and every read checks each signature
//! again, so a database writer's change is logged, never served. Homes check it once more.

use amana_core::improvement::{self, Document, Signed};
use amana_core::wire::paths::IMPROVEMENTS;
use axum::{body::Bytes, extract::State, http::StatusCode, Json};
use serde::Serialize;

use crate::review_api::Signed as SignedRequest;
use crate::{error::ApiError, state::AppState};

/// `POST /api/v1/review/improvements`: a period as `amana-review improvement open|close`
/// signed it. A new one must be opened today (±1 day, for time zones); a known one may only
/// be closed, nothing else in it changed.
pub async fn upload(State(state): State<AppState>, body: Bytes) -> Result<StatusCode, ApiError> {
    let signed: Signed = serde_json::from_slice(&body).map_err(|_| {
        ApiError::BadRequest("send the period as `amana-review improvement` signed it, unchanged".into())
    })?;
    let today = state.today();
    let current = |id: &str| state.keyring.oversight_key(id, Some(today));
    let doc = improvement::verify(&signed, current, &state.keyring.deployment_id)
        .map_err(|why| ApiError::BadRequest(format!("improvement period refused: {why}")))?;
    if !state.keyring.agencies.iter().any(|a| a.id == doc.agency) {
        return Err(ApiError::BadRequest(format!(
            "improvement period refused: this deployment has no agency `{}`",
            doc.agency
        )));
    }
    match stored(&state).await?.into_iter().find(|(d, _)| d.id == doc.id) {
        Some((held, _)) if held == doc => return Ok(StatusCode::OK),
        Some((held, _)) if !improvement::is_closing_of(&held, &doc) => {
            return Err(ApiError::Conflict(format!(
                "improvement period {} exists: it can only be closed (`amana-review improvement close`), not changed",
                doc.id
            )))
        }
        Some(_) => {}
        None if doc.closed_on.is_some() || (doc.opened_on - today).whole_days().abs() > 1 => {
            return Err(ApiError::BadRequest(
                "improvement period refused: a new period is opened today, not closed: sign it again with `amana-review improvement open`".into(),
            ))
        }
        None => {}
    }
    let text = serde_json::to_string(&signed).map_err(|e| ApiError::Internal(e.into()))?;
    state.store.put_improvement(&doc.id, &doc.agency, &text).await?;
    Ok(StatusCode::CREATED)
}

/// `GET /api/v1/review/improvements` answer.
#[derive(Serialize)]
pub struct ImprovementsDto {
    /// Each period in the key's scope, as oversight signed it.
    pub improvements: Vec<Signed>,
}

/// `GET /api/v1/review/improvements` (a signed request): the periods of the key's agencies,
/// or all of them for an oversight key.
pub async fn list(
    State(state): State<AppState>,
    req: SignedRequest,
) -> Result<Json<ImprovementsDto>, ApiError> {
    let v = req.verify(&state, IMPROVEMENTS).await?.by;
    let entry = &v.reviewer.entry;
    let improvements = stored(&state)
        .await?
        .into_iter()
        .filter(|(d, _)| entry.oversight || entry.agencies.contains(&d.agency))
        .map(|(_, s)| s)
        .collect();
    Ok(Json(ImprovementsDto { improvements }))
}

/// Every stored period whose signature still verifies (a key revoked since it signed does not
/// undo what it signed then).
async fn stored(state: &AppState) -> Result<Vec<(Document, Signed)>, ApiError> {
    let key = |id: &str| state.keyring.oversight_key(id, None);
    let mut out = Vec::new();
    for (agency, text) in state.store.improvements().await? {
        let checked = serde_json::from_str::<Signed>(&text)
            .map_err(|_| "not a signed file".to_string())
            .and_then(|s| improvement::verify(&s, key, &state.keyring.deployment_id).map(|d| (d, s)))
            .and_then(|(d, s)| {
                if d.agency == agency {
                    Ok((d, s))
                } else {
                    Err("stored under another agency".into())
                }
            });
        match checked {
            Ok(pair) => out.push(pair),
            Err(why) => {
                tracing::warn!("a stored improvement period is not served: {why} (changed in the database?)")
            }
        }
    }
    Ok(out)
}
