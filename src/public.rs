//! Public, unauthenticated read-only routes.

use amana_core::case::Kind;
use axum::{extract::State, Json};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

use crate::state::AppState;

/// An agency reports can be sent to.
#[derive(Serialize, ToSchema)]
pub struct AgencyDto {
    #[schema(example = "health")]
    pub id: String,
    /// Names by language tag.
    pub name: BTreeMap<String, String>,
}

/// `GET /api/v1/agencies` answer.
#[derive(Serialize, ToSchema)]
pub struct AgencyListDto {
    /// Signed reviewer requests name this deployment.
    pub deployment_id: String,
    pub agencies: Vec<AgencyDto>,
    /// violation, complaint, suggestion, compliment, inquiry, service_evaluation
    pub kinds: Vec<String>,
}

/// List agencies and kinds of submission.
#[utoipa::path(get, path = "/api/v1/agencies", responses((status = 200, body = AgencyListDto)), tag = "reporter")]
pub async fn agencies(State(state): State<AppState>) -> Json<AgencyListDto> {
    Json(AgencyListDto {
        deployment_id: state.keyring.deployment_id.clone(),
        agencies: state
            .keyring
            .agencies
            .iter()
            .map(|a| AgencyDto { id: a.id.clone(), name: a.name.clone() })
            .collect(),
        kinds: Kind::ALL.iter().map(|k| k.as_str().to_string()).collect(),
    })
}

/// Liveness: answers `ok` when the process serves requests.
#[utoipa::path(get, path = "/healthz", responses((status = 200, body = String)), tag = "operator")]
pub async fn healthz() -> &'static str {
    "ok"
}

/// The server's receipt-signing public key (to verify proof-of-filing receipts).
#[utoipa::path(get, path = "/.well-known/amana-receipt-key", responses((status = 200, body = crate::schemas::ReceiptKeySchema)), tag = "reporter")]
pub async fn receipt_key(State(state): State<AppState>) -> Json<amana_core::wire::ReceiptKey> {
    use base64::{engine::general_purpose::STANDARD as B64, Engine};
    use ring::signature::KeyPair;
    Json(amana_core::wire::ReceiptKey {
        deployment_id: state.keyring.deployment_id.clone(),
        ed25519_public_key: B64.encode(state.receipt_key.public_key().as_ref()),
    })
}
