//! The reviewer API. Every route verifies a signed request (see `auth`); the server never
//! holds a reviewer secret, so all it hands out is ciphertext and clear metadata, and all
//! it accepts from reviewers is ciphertext it cannot read plus signed state changes.

use amana_core::{
    case::Status,
    deadlines::{self, MAX_EXTENSION_DAYS},
    envelope,
    events::EventKind,
    keyring::Reviewer,
    payload::Part,
    wire::{
        is_sha256_hex, AttachmentWire, CaseBundle, CaseList, EnvelopeWire, Extension, Inbox, RecipientWire,
        ReplyUpload, ReviewerKeyWire, RewrapDetail, RewrapRecord, RewrappedEnvelope, StatusChange,
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

use crate::{
    auth::{self, Verified},
    error::ApiError,
    state::{random_id, AppState},
    store::{CaseMeta, CaseRecord, Change, EnvelopeRewrap, NewEnvelope, NewEvent, StoreError},
};

/// Largest reviewer request body, in bytes.
pub const MAX_REVIEW_BYTES: usize = 1024 * 1024;

/// The request parts every signed route needs.
pub struct Signed {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
}

impl Signed {
    async fn verify<'s>(&self, state: &'s AppState) -> Result<Verified<'s>, ApiError> {
        auth::verify(state, &self.method, &self.uri, &self.headers, &self.body).await
    }

    fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| ApiError::BadRequest(format!("invalid request body: {e}")))
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
    let v = req.verify(&state).await?;
    let filter = |m: &CaseMeta| v.reviewer.may_access(&m.agency, m.oversight_only);
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
        deployment_id: state.keyring.deployment_id.clone(),
        reviewer_keys,
        cases: records.into_iter().map(|r| bundle(&state, r)).collect(),
    }))
}

/// `GET /api/v1/review/inbox`: counts and ids only.
pub async fn inbox(State(state): State<AppState>, req: Signed) -> Result<Json<Inbox>, ApiError> {
    let v = req.verify(&state).await?;
    let today = state.today();
    let filter = |m: &CaseMeta| v.reviewer.may_access(&m.agency, m.oversight_only) && !m.status.is_closed();
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

fn check_transition(from: Status, to: Status) -> Result<(), ApiError> {
    if from.can_move_to(to) {
        return Ok(());
    }
    let allowed: Vec<&str> = from.next_allowed().into_iter().map(Status::as_str).collect();
    Err(ApiError::Conflict(format!(
        "cannot move a case from {from} to {to}; allowed next: {}",
        if allowed.is_empty() { "none (closed)".to_string() } else { allowed.join(", ") }
    )))
}

fn in_scope(reviewer: &Reviewer, case: &CaseMeta) -> Result<(), ApiError> {
    if reviewer.may_access(&case.agency, case.oversight_only) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// Decodes and sanity-checks an uploaded age file (the server cannot read it, but it can
/// refuse what is not an age file at all).
fn age_upload(b64: &str, what: &str) -> Result<Vec<u8>, ApiError> {
    let bytes = B64.decode(b64).map_err(|_| ApiError::BadRequest(format!("{what} is not base64")))?;
    match envelope::stanza_count(&bytes) {
        Some(n) if (1..=envelope::MAX_STANZAS).contains(&n) => {}
        Some(_) => {
            return Err(ApiError::BadRequest(format!(
                "{what} must have 1 to {} recipients",
                envelope::MAX_STANZAS
            )))
        }
        None => return Err(ApiError::BadRequest(format!("{what} is not an age file"))),
    }
    if age::Decryptor::new_buffered(&bytes[..]).is_err() {
        return Err(ApiError::BadRequest(format!("{what} is not an age file")));
    }
    Ok(bytes)
}

/// Loads the case named in the path and checks the reviewer's scope.
async fn scoped_case(state: &AppState, v: &Verified<'_>, case_id: &str) -> Result<CaseMeta, ApiError> {
    let case = state.store.case_meta(case_id).await?.ok_or(ApiError::NotFound)?;
    in_scope(v.reviewer, &case)?;
    Ok(case)
}

async fn apply(state: &AppState, change: Change) -> Result<StatusCode, ApiError> {
    match state.store.apply(&change).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(StoreError::Conflict) => {
            Err(ApiError::Conflict("the case changed meanwhile; pull again and retry".into()))
        }
        Err(e) => Err(e.into()),
    }
}

fn reviewer_event(kind: EventKind, v: &Verified<'_>, detail: serde_json::Value) -> NewEvent {
    NewEvent {
        kind,
        actor: Some(v.reviewer.entry.id.clone()),
        detail: detail.to_string(),
        signed: Some(v.action_json()),
    }
}

fn note(b64: Option<&str>) -> Result<Option<NewEnvelope>, ApiError> {
    b64.map(|b| Ok(NewEnvelope { id: random_id(), part: Part::Note, ciphertext: age_upload(b, "note")? }))
        .transpose()
}

/// `POST /api/v1/review/cases/{id}/status` with [`StatusChange`].
pub async fn set_status(
    State(state): State<AppState>,
    Path(case_id): Path<String>,
    req: Signed,
) -> Result<StatusCode, ApiError> {
    let v = req.verify(&state).await?;
    let body: StatusChange = req.json()?;
    let case = scoped_case(&state, &v, &case_id).await?;
    check_transition(case.status, body.status)?;
    let today = state.today();
    let envelope = note(body.note_age_b64.as_deref())?;
    let detail =
        serde_json::json!({ "from": case.status, "envelope_id": envelope.as_ref().map(|e| e.id.clone()) });
    let mut change = Change::event_only(&case, today, reviewer_event(EventKind::StatusChanged, &v, detail));
    change.new_status = body.status;
    change.envelope = envelope;
    if body.status == Status::Acknowledged {
        // Feedback is due counted from the acknowledgement (docs: deadlines).
        let k = state.deadlines.for_kind(case.kind);
        change.acknowledged_on = Some(today);
        change.deadlines = Some(deadlines::compute(k, case.received_on, Some(today), case.extension_days));
    }
    apply(&state, change).await
}

/// `POST /api/v1/review/cases/{id}/replies` with [`ReplyUpload`].
pub async fn reply(
    State(state): State<AppState>,
    Path(case_id): Path<String>,
    req: Signed,
) -> Result<StatusCode, ApiError> {
    let v = req.verify(&state).await?;
    let body: ReplyUpload = req.json()?;
    let case = scoped_case(&state, &v, &case_id).await?;
    let envelope =
        NewEnvelope { id: random_id(), part: Part::Reply, ciphertext: age_upload(&body.age_b64, "reply")? };
    let detail = serde_json::json!({ "envelope_id": envelope.id });
    let mut change = Change::event_only(&case, state.today(), reviewer_event(EventKind::Reply, &v, detail));
    change.envelope = Some(envelope);
    apply(&state, change).await.map(|_| StatusCode::CREATED)
}

/// `POST /api/v1/review/cases/{id}/extend` with [`Extension`].
pub async fn extend(
    State(state): State<AppState>,
    Path(case_id): Path<String>,
    req: Signed,
) -> Result<StatusCode, ApiError> {
    let v = req.verify(&state).await?;
    let body: Extension = req.json()?;
    let case = scoped_case(&state, &v, &case_id).await?;
    if case.status.is_closed() {
        return Err(ApiError::Conflict("a closed case has no deadline to extend".into()));
    }
    // Checked before any arithmetic: `days` comes from the client.
    let total = (1..=MAX_EXTENSION_DAYS)
        .contains(&body.days)
        .then(|| case.extension_days.checked_add(body.days))
        .flatten()
        .unwrap_or(i64::MAX);
    if total > MAX_EXTENSION_DAYS {
        return Err(ApiError::BadRequest(format!(
            "extensions must be at least 1 day and at most {MAX_EXTENSION_DAYS} days in all ({} used)",
            case.extension_days
        )));
    }
    let envelope = NewEnvelope {
        id: random_id(),
        part: Part::Note,
        ciphertext: age_upload(&body.reason_age_b64, "reason")?,
    };
    let k = state.deadlines.for_kind(case.kind);
    let new = deadlines::compute(k, case.received_on, case.acknowledged_on, total);
    let detail =
        serde_json::json!({ "days": body.days, "feedback_by": new.feedback_by, "envelope_id": envelope.id });
    let mut change =
        Change::event_only(&case, state.today(), reviewer_event(EventKind::Extended, &v, detail));
    change.extension_days = Some(total);
    change.deadlines = Some(new);
    change.envelope = Some(envelope);
    apply(&state, change).await
}

/// `POST /api/v1/review/cases/{id}/rewrap` with a list of [`RewrappedEnvelope`]: replaces
/// the ciphertexts of existing envelopes and records the signed `rewrapped` event, in one
/// transaction. The server cannot check what the new files contain; `amana-review` checks
/// each against the plaintext hash in the signed event on every later pull.
pub async fn rewrap(
    State(state): State<AppState>,
    Path(case_id): Path<String>,
    req: Signed,
) -> Result<StatusCode, ApiError> {
    let v = req.verify(&state).await?;
    let body: Vec<RewrappedEnvelope> = req.json()?;
    let case = scoped_case(&state, &v, &case_id).await?;
    let known: Vec<String> =
        state.store.envelopes(&case.id, &ALL_PARTS).await?.into_iter().map(|e| e.id).collect();
    let (rewraps, records) = check_rewraps(body, &known)?;
    let detail = serde_json::to_value(RewrapDetail { envelopes: records })
        .map_err(|e| ApiError::Internal(e.into()))?;
    let mut change =
        Change::event_only(&case, state.today(), reviewer_event(EventKind::Rewrapped, &v, detail));
    change.rewraps = rewraps;
    apply(&state, change).await
}

/// Every envelope part (a rewrap may touch any of them).
const ALL_PARTS: [Part; 4] = [Part::Report, Part::FollowUp, Part::Reply, Part::Note];

/// Checks a rewrap body against the case's envelope ids: at least one entry, each id of
/// this case and named once, each hash well formed, each upload an age file.
fn check_rewraps(
    body: Vec<RewrappedEnvelope>,
    known: &[String],
) -> Result<(Vec<EnvelopeRewrap>, Vec<RewrapRecord>), ApiError> {
    if body.is_empty() {
        return Err(ApiError::BadRequest("a rewrap needs at least one envelope".into()));
    }
    let mut seen = std::collections::HashSet::new();
    let mut rewraps = Vec::with_capacity(body.len());
    let mut records = Vec::with_capacity(body.len());
    for item in body {
        if !known.contains(&item.envelope_id) {
            return Err(ApiError::BadRequest("a rewrap names an envelope that is not in this case".into()));
        }
        if !seen.insert(item.envelope_id.clone()) {
            return Err(ApiError::BadRequest("a rewrap names an envelope twice".into()));
        }
        if !is_sha256_hex(&item.plaintext_sha256) {
            return Err(ApiError::BadRequest("plaintext_sha256 must be 64 lowercase hex digits".into()));
        }
        let ciphertext = age_upload(&item.age_b64, "rewrapped envelope")?;
        rewraps.push(EnvelopeRewrap { id: item.envelope_id.clone(), ciphertext });
        records.push(RewrapRecord { envelope_id: item.envelope_id, plaintext_sha256: item.plaintext_sha256 });
    }
    Ok((rewraps, records))
}

/// `GET /api/v1/review/cases/{id}/attachments/{attachment}`: the file's content age file,
/// streamed piece by piece from the store (bounded memory, whatever its size).
pub async fn attachment(
    State(state): State<AppState>,
    Path((case_id, attachment_id)): Path<(String, String)>,
    req: Signed,
) -> Result<axum::response::Response, ApiError> {
    let v = req.verify(&state).await?;
    scoped_case(&state, &v, &case_id).await?;
    let file = state
        .store
        .attachments(&case_id)
        .await?
        .into_iter()
        .find(|a| a.id == attachment_id)
        .ok_or(ApiError::NotFound)?;
    let store = state.store.clone();
    let pieces = futures_util::stream::try_unfold(0i64, move |seq| {
        let (store, case_id, id) = (store.clone(), case_id.clone(), file.id.clone());
        async move {
            if seq >= file.pieces {
                return Ok(None);
            }
            match store.attachment_piece(&case_id, &id, seq).await {
                Ok(Some(data)) => Ok(Some((Bytes::from(data), seq + 1))),
                Ok(None) => Err(std::io::Error::other("attachment piece missing")),
                Err(e) => Err(std::io::Error::other(e)),
            }
        }
    });
    let mut resp = axum::body::Body::from_stream(pieces).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(file.size));
    Ok(resp)
}
