//! The reviewer API. Every route verifies a signed request (see `auth`); the server never
//! holds a reviewer secret, so all it hands out is ciphertext and clear metadata, and all
//! it accepts from reviewers is ciphertext it cannot read plus signed state changes.

use amana_core::{
    case::Status,
    ciphertext::Ciphertext,
    deadlines::{self, MAX_EXTENSION_DAYS},
    events::EventKind,
    payload::Part,
    route,
    wire::{
        is_sha256_hex, paths, AttachmentWire, CaseBundle, CaseList, EnvelopeWire, Extension, Inbox,
        RecipientWire, ReplyUpload, ReviewerKeyWire, RewrapDetail, RewrapRecord, RewrapRequest,
        RewrappedEnvelope, SignedHead, StatusChange, CASE_LIST_FORMAT, MIN_CLI_VERSION,
    },
};
use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri},
    response::IntoResponse,
    Json,
};
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use serde::de::DeserializeOwned;

mod actions;
mod files;
mod rewrap;

pub use actions::{extend, reply, set_status};
pub use files::attachment;
pub use rewrap::rewrap;

use crate::{
    auth::{self, Verified},
    error::ApiError,
    state::{random_id, AppState},
    store::{CaseFilter, CaseMeta, CaseRecord, Change, EnvelopeRewrap, NewEnvelope, NewEvent, StoreError},
};

/// Largest reviewer request body, in bytes.
pub const MAX_REVIEW_BYTES: usize = 1024 * 1024;

/// The answer to a signed body without a history head (docs/FORMATS.md §3).
pub const UNBOUND_BODY: &str =
    "this server needs a newer amana-review: upgrade it, pull, and sign the action again";

/// The request parts every signed route needs.
pub struct Signed {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
}

impl Signed {
    /// Verifies the signature of a request sent to `route`, the canonical form the handler
    /// rebuilt from the parameters it decoded (docs/FORMATS.md §3). Any other spelling of
    /// the route — a percent-encoded id, a query the route does not take — is refused before
    /// the signature is checked or the nonce spent: homes accept a signed action only over
    /// the route it acted on, so a second spelling would make a case unverifiable for all.
    async fn verify<'s>(&self, state: &'s AppState, route: &str) -> Result<Verified<'s>, ApiError> {
        let sent = self.uri.path_and_query().map_or("/", |p| p.as_str());
        if sent != route {
            return Err(ApiError::BadRequest(format!(
                "the request must be sent and signed as {route} (one canonical form: docs/FORMATS.md §3)"
            )));
        }
        auth::verify(state, &self.method, &self.uri, &self.headers, &self.body).await
    }

    /// The canonical form of a route that takes a query: its path with the query sorted
    /// and encoded one way (`amana_core::route`).
    fn with_canonical_query(&self, path: &str) -> Result<String, ApiError> {
        route::canonical_target(path, self.uri.query())
            .map_err(|e| ApiError::BadRequest(format!("invalid query: {e}")))
    }

    fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| ApiError::BadRequest(format!("invalid request body: {e}")))
    }

    /// The history head the signed body names (docs/FORMATS.md §3), read before the body's
    /// type so that a body signed by an older `amana-review` (no head, or a bare rewrap
    /// list) gets `upgrade_required` and a message that says what to do, not a parse error.
    /// Refusing it also keeps head-less actions out of every history from now on, which is
    /// what lets `amana-review` refuse one that follows a head-bound action.
    fn head(&self) -> Result<String, ApiError> {
        match SignedHead::of_body(&self.body) {
            Some(SignedHead::Bound(head)) if is_sha256_hex(&head) => Ok(head),
            Some(SignedHead::Bound(_)) => Err(ApiError::BadRequest(
                "head must be the lowercase hex SHA-256 of an event of the case".into(),
            )),
            Some(SignedHead::Unbound) => Err(ApiError::UpgradeRequired(UNBOUND_BODY.into())),
            None => Err(ApiError::BadRequest("invalid request body: expected a JSON object".into())),
        }
    }
}

impl<S: Send + Sync> axum::extract::FromRequest<S> for Signed {
    type Rejection = ApiError;
    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let (parts, body) = req.into_parts();
        let body = Bytes::from_request(axum::extract::Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(|_| ApiError::TooLarge)?;
        Ok(Signed { method: parts.method, uri: parts.uri, headers: parts.headers, body })
    }
}

fn bundle(state: &AppState, r: CaseRecord) -> CaseBundle {
    let m = r.meta;
    let recipients = state
        .keyring
        .readers_of(&m.agency, m.oversight_only, state.today())
        .map(|rv| RecipientWire {
            key_id: rv.entry.id.clone(),
            age_recipient: rv.entry.age_recipient.clone(),
            oversight: rv.entry.oversight,
        })
        .collect();
    CaseBundle {
        attachments: r
            .attachments
            .into_iter()
            .map(|a| AttachmentWire {
                id: a.id,
                envelope_id: a.envelope_id,
                created_on: a.created_on,
                size: a.size,
                meta_age_b64: B64.encode(a.meta),
            })
            .collect(),
        envelopes: r
            .envelopes
            .into_iter()
            .map(|e| EnvelopeWire {
                id: e.id,
                part: e.part,
                created_on: e.created_on,
                age_b64: B64.encode(e.ciphertext),
            })
            .collect(),
        events: r.events,
        recipients,
        id: m.id,
        kind: m.kind,
        agency: m.agency,
        oversight_only: m.oversight_only,
        status: m.status,
        received_on: m.received_on,
        deadlines: m.deadlines,
        escalated: m.escalated,
        extension_days: m.extension_days,
        rating: m.rating,
        reporter_recipient: m.reporter_recipient,
    }
}

/// `GET /api/v1/review/cases`: every case this key may read, with envelopes and history.
pub async fn list_cases(State(state): State<AppState>, req: Signed) -> Result<Json<CaseList>, ApiError> {
    let v = req.verify(&state, &req.with_canonical_query(paths::CASES)?).await?;
    // Older releases verify histories by first-seen keys; they must hear "upgrade", not meet
    // events they would call tampered (docs/FORMATS.md §9).
    if req.uri.query() != Some("format=2") {
        return Err(ApiError::UpgradeRequired(format!(
            "this server sends case lists in format {CASE_LIST_FORMAT} (a signed roster): upgrade \
             amana-review to {MIN_CLI_VERSION} or later, then pull again"
        )));
    }
    let filter = CaseFilter::readable_by(v.reviewer.entry.oversight, &v.reviewer.entry.agencies);
    let records = state.store.records(&filter).await?;
    let reviewer_keys = state
        .keyring
        .reviewers
        .iter()
        .map(|r| ReviewerKeyWire {
            key_id: r.entry.id.clone(),
            ed25519_public_key: r.entry.ed25519_public_key.clone(),
            revoked_on: r.entry.revoked_on,
        })
        .collect();
    Ok(Json(CaseList {
        format: CASE_LIST_FORMAT,
        min_cli: Some(MIN_CLI_VERSION.to_string()),
        roster: state.roster.clone(),
        deployment_id: state.keyring.deployment_id.clone(),
        reviewer_keys,
        cases: records.into_iter().map(|r| bundle(&state, r)).collect(),
    }))
}

/// `GET /api/v1/review/inbox`: counts and ids only.
pub async fn inbox(State(state): State<AppState>, req: Signed) -> Result<Json<Inbox>, ApiError> {
    let v = req.verify(&state, paths::INBOX).await?;
    let today = state.today();
    let filter = CaseFilter::readable_by(v.reviewer.entry.oversight, &v.reviewer.entry.agencies).open();
    let mut inbox = Inbox::default();
    for m in state.store.case_metas(&filter).await? {
        if m.status == Status::Received {
            inbox.new.push(m.id.clone());
        }
        if deadlines::is_overdue(m.status, &m.deadlines, today) {
            inbox.overdue.push(m.id.clone());
        }
        if m.escalated {
            inbox.escalated.push(m.id);
        }
    }
    Ok(Json(inbox))
}

/// Decodes and sanity-checks an uploaded age file (the server cannot read it, but it can
/// refuse what is not an age file at all).
fn age_upload(b64: &str, what: &str) -> Result<Ciphertext, ApiError> {
    let bytes = B64.decode(b64).map_err(|_| ApiError::BadRequest(format!("{what} is not base64")))?;
    Ciphertext::from_client(bytes).map_err(|why| ApiError::BadRequest(format!("{what} {why}")))
}

/// Loads the case named in the path if it is in the reviewer's scope. A case outside it
/// gets the answer of a case that does not exist (the same lookup, the same 404), so a
/// key cannot probe which ids exist beyond its agencies.
async fn scoped_case(state: &AppState, v: &Verified<'_>, case_id: &str) -> Result<CaseMeta, ApiError> {
    let case = state.store.case_meta(case_id).await?;
    case.filter(|c| v.reviewer.may_access(&c.agency, c.oversight_only)).ok_or(ApiError::NoSuchCase)
}

async fn apply(state: &AppState, change: Change) -> Result<StatusCode, ApiError> {
    match state.store.apply(&change).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(StoreError::Conflict) => {
            Err(ApiError::Conflict("the case changed meanwhile; pull again and retry".into()))
        }
        Err(StoreError::UnknownHead) => Err(ApiError::Conflict(
            "your copy of this case is not the server's: pull again, check, and sign again".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

fn reviewer_event(kind: EventKind, v: &Verified<'_>, detail: serde_json::Value) -> NewEvent {
    NewEvent {
        kind,
        actor: Some(v.reviewer.entry.id.clone()),
        detail: detail.to_string(),
        signed: Some(v.action_json()),
        attest: None,
    }
}
