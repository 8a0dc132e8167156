//! Public, unauthenticated read-only routes.

use amana_core::case::Kind;
use amana_core::services::{Centre, Questionnaire};
use axum::{extract::State, Json};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;

use crate::state::AppState;

/// An agency reports can be sent to.
#[derive(Serialize, ToSchema)]
pub struct AgencyDto {
    #[schema(example = "health")]
    pub id: String,
    /// Names by language tag.
    pub name: BTreeMap<String, String>,
    /// The id of the questionnaire its service evaluations answer (unless a centre names
    /// another); see `questionnaires`.
    #[schema(example = "government-office")]
    pub questionnaire: String,
    /// Its service centres (possibly none).
    pub centres: Vec<CentreDto>,
}

/// A service centre of an agency.
#[derive(Serialize, ToSchema)]
pub struct CentreDto {
    #[schema(example = "central-hospital")]
    pub id: String,
    /// Names by language tag (all eight).
    pub name: BTreeMap<String, String>,
    /// Governorate or city, by language tag.
    pub place: BTreeMap<String, String>,
    /// The id of the questionnaire its evaluations answer.
    pub questionnaire: String,
}

/// A questionnaire, at its current version: every criterion is rated 1 to 5, or null for
/// not applicable.
#[derive(Serialize, ToSchema)]
pub struct QuestionnaireDto {
    #[schema(example = "government-office")]
    pub id: String,
    #[schema(example = 1)]
    pub version: u32,
    /// Titles by language tag.
    pub title: BTreeMap<String, String>,
    pub criteria: Vec<CriterionDto>,
}

/// One question of a questionnaire.
#[derive(Serialize, ToSchema)]
pub struct CriterionDto {
    #[schema(example = "waiting_time")]
    pub id: String,
    /// The question by language tag.
    pub question: BTreeMap<String, String>,
}

/// `GET /api/v1/agencies` answer.
#[derive(Serialize, ToSchema)]
pub struct AgencyListDto {
    /// Signed reviewer requests name this deployment.
    pub deployment_id: String,
    pub agencies: Vec<AgencyDto>,
    /// violation, complaint, suggestion, compliment, inquiry, service_evaluation
    pub kinds: Vec<String>,
    /// Every questionnaire an agency or centre names, at its current version.
    pub questionnaires: Vec<QuestionnaireDto>,
}

/// List agencies and kinds of submission.
#[utoipa::path(get, path = "/api/v1/agencies", responses((status = 200, body = AgencyListDto)), tag = "reporter")]
pub async fn agencies(State(state): State<AppState>) -> Json<AgencyListDto> {
    let services = &state.services;
    let questionnaire_of = |agency: &str, centre: Option<&Centre>| {
        services.questionnaire_for(agency, centre).map_or_else(String::new, |q| q.id.clone())
    };
    let agencies: Vec<AgencyDto> = state
        .keyring
        .agencies
        .iter()
        .map(|a| AgencyDto {
            id: a.id.clone(),
            name: a.name.clone(),
            questionnaire: questionnaire_of(&a.id, None),
            centres: services
                .centres_of(&a.id)
                .map(|c| CentreDto {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    place: c.place.clone(),
                    questionnaire: questionnaire_of(&a.id, Some(c)),
                })
                .collect(),
        })
        .collect();
    let named: BTreeSet<&str> = agencies
        .iter()
        .flat_map(|a| {
            std::iter::once(a.questionnaire.as_str())
                .chain(a.centres.iter().map(|c| c.questionnaire.as_str()))
        })
        .collect();
    let questionnaires =
        named.into_iter().filter_map(|id| services.current(id)).map(questionnaire_dto).collect();
    Json(AgencyListDto {
        deployment_id: state.keyring.deployment_id.clone(),
        agencies,
        kinds: Kind::ALL.iter().map(|k| k.as_str().to_string()).collect(),
        questionnaires,
    })
}

fn questionnaire_dto(q: &Questionnaire) -> QuestionnaireDto {
    QuestionnaireDto {
        id: q.id.clone(),
        version: q.version,
        title: q.title.clone(),
        criteria: q
            .criteria
            .iter()
            .map(|c| CriterionDto { id: c.id.clone(), question: c.question.clone() })
            .collect(),
    }
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
