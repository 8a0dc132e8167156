//! The reporter's status check by code alone (DESIGN.md invariant 2).
//!
//! Every answer that is not a match — malformed input, bad check digit, unknown lookup
//! part, wrong secret part — is the same 404 after the same Argon2id work, so neither the
//! answer nor its timing tells which lookup parts exist.

use amana_core::{
    code::FollowUpCode,
    kdf::{self, Derived, KdfParams},
};
use axum::{extract::State, Json};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zeroize::Zeroizing;

use crate::{
    error::ApiError,
    json::ApiJson,
    state::AppState,
    store::{format_date, CaseMeta},
};

/// Largest status request body, in bytes.
pub const MAX_STATUS_BYTES: usize = 16 * 1024;
/// The secret part used for the dummy derivation on a miss.
const DUMMY_SECRET: &str = "0000000000000000";

/// `POST /api/v1/status` body.
#[derive(Deserialize, ToSchema)]
pub struct StatusRequest {
    /// The follow-up code; spaces, dashes and Arabic-Indic/Persian digits are fine.
    #[schema(example = "12345 67890 12345 67890 12345")]
    pub code: String,
}

/// What the reporter may see about their case.
#[derive(Serialize, ToSchema)]
pub struct StatusResponse {
    #[schema(example = "violation")]
    pub kind: String,
    #[schema(example = "health")]
    pub agency: String,
    /// received, acknowledged, in_review, needs_info, closed_action_taken, closed_unfounded, closed_referred
    #[schema(example = "received")]
    pub status: String,
    /// UTC date, YYYY-MM-DD.
    #[schema(example = "2026-11-23")]
    pub received_on: String,
}

/// What a matching code unlocks.
pub struct Authenticated {
    pub case: CaseMeta,
    /// Holds the reporter's reply identity; dropped (and zeroized) with the request.
    pub derived: Derived,
}

struct Attempt {
    case_id: Option<String>,
    secret: Zeroizing<String>,
    salt: Vec<u8>,
    params: KdfParams,
    verifier: Vec<u8>,
}

async fn attempt(state: &AppState, input: &str) -> Result<Attempt, ApiError> {
    let dummy = || Attempt {
        case_id: None,
        secret: Zeroizing::new(DUMMY_SECRET.into()),
        salt: kdf::new_salt().to_vec(),
        params: state.kdf_params,
        verifier: Vec::new(),
    };
    let Ok(code) = FollowUpCode::parse(input) else {
        return Ok(dummy());
    };
    let index = kdf::lookup_index(&state.pepper, code.lookup());
    let Some(creds) = state.store.credentials(&index).await? else {
        return Ok(dummy());
    };
    let params: KdfParams = creds
        .kdf_params
        .parse()
        .map_err(|e: kdf::KdfError| ApiError::Internal(e.into()))?;
    if !params.is_production_grade() && !state.insecure_test_kdf {
        tracing::error!("a record has KDF parameters below the production floor; refusing it");
        return Ok(dummy());
    }
    Ok(Attempt {
        case_id: Some(creds.id),
        secret: Zeroizing::new(code.secret().to_string()),
        salt: creds.kdf_salt,
        params,
        verifier: creds.verifier,
    })
}

/// Checks a typed code. Costs one Argon2id derivation whatever the outcome.
pub async fn authenticate(state: &AppState, input: &str) -> Result<Authenticated, ApiError> {
    let a = attempt(state, input).await?;
    let (secret, salt, params) = (a.secret, a.salt, a.params);
    let derived = state
        .status_pool
        .run(move || kdf::derive(&secret, &salt, params))
        .await?
        .map_err(|e| ApiError::Internal(e.into()))?;
    let Some(case_id) = a.case_id else {
        return Err(ApiError::NotFound);
    };
    if !kdf::verifier_matches(&derived.verifier, &a.verifier) {
        return Err(ApiError::NotFound);
    }
    let case = state
        .store
        .case_meta(&case_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Authenticated { case, derived })
}

/// Check a report's status with its code.
#[utoipa::path(
    post,
    path = "/api/v1/status",
    request_body = StatusRequest,
    responses(
        (status = 200, description = "The case", body = StatusResponse),
        (status = 404, description = "No report matches this code (same answer for every kind of miss)", body = crate::openapi::ErrorSchema),
        (status = 503, description = "Busy; retry later", body = crate::openapi::ErrorSchema),
    ),
    tag = "reporter"
)]
pub async fn status_json(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<StatusRequest>,
) -> Result<Json<StatusResponse>, ApiError> {
    let input = Zeroizing::new(req.code);
    let auth = authenticate(&state, &input).await?;
    Ok(Json(StatusResponse {
        kind: auth.case.kind.to_string(),
        agency: auth.case.agency.clone(),
        status: auth.case.status.to_string(),
        received_on: format_date(auth.case.received_on),
    }))
}
