//! The reviewer API. Every route verifies a signed request (see `auth`); the server never
//! holds a reviewer secret, so all it hands out is ciphertext and clear metadata, and all
//! it accepts from reviewers is ciphertext it cannot read plus signed state changes.

use amana_core::{
    case::Status,
    ciphertext::Ciphertext,
    deadlines::{self, MAX_EXTENSION_DAYS},
    events::EventKind,
    payload::Part,
    pull_heads::HeadsPage,
    wire::{
        is_sha256_hex, paths, AttachmentWire, CaseBundle, CaseList, EnvelopeWire, Extension, Inbox,
        PullQuery, RecipientWire, ReplyUpload, ReviewerKeyWire, RewrapDetail, RewrapRecord, RewrapRequest,
        RewrappedEnvelope, StatusChange, CASE_LIST_FORMAT, MIN_CLI_VERSION,
    },
};
use axum::{
    body::Bytes,
    extract::State,
    http::{header, HeaderValue, StatusCode},
    response::IntoResponse,
    Json,
};
use base64::{engine::general_purpose::STANDARD as B64, Engine};

mod actions;
mod custody;
mod files;
mod hold;
mod ids;
mod pages;
mod rewrap;
mod signed;
pub mod whole_list;

pub use actions::{extend, reply, set_status};
pub use custody::{assign, exclude, transfer};
pub use files::attachment;
pub use hold::{hold, release};
pub use ids::{AttachmentPath, CasePath, RouteId};
pub use rewrap::rewrap;
pub use signed::{Signed, SignedRequest};

use crate::{
    auth::Verified,
    error::ApiError,
    state::{random_id, AppState},
    store::{CaseFilter, CaseMeta, CaseRecord, Change, EnvelopeRewrap, NewEnvelope, NewEvent, StoreError},
};

/// Largest reviewer request body, in bytes.
pub const MAX_REVIEW_BYTES: usize = 1024 * 1024;

/// Whether a case list of format 2 may carry `s` (every status before `closed_spam`).
fn known_to_format_2(s: Status) -> bool {
    s != Status::ClosedSpam
}

/// The answer to a signed body without a history head (docs/FORMATS.md §3).
pub const UNBOUND_BODY: &str =
    "this server needs a newer amana-review: upgrade it, pull, and sign the action again";

fn bundle(state: &AppState, r: CaseRecord) -> CaseBundle {
    let m = r.meta;
    // The same rule every home applies: the agency's readers minus those oversight excluded.
    let excluded = custody::excluded(&r.events);
    let recipients = state
        .keyring
        .readers_of(&m.agency, m.oversight_only, state.today())
        .filter(|rv| !excluded.contains(&rv.entry.id))
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
/// With `since`, `after` or `limit`, one page of them (`pages`); without, the whole list,
/// streamed (`whole_list`).
pub async fn list_cases(
    State(state): State<AppState>,
    req: Signed,
) -> Result<axum::response::Response, ApiError> {
    let route = req.with_canonical_query(paths::CASES)?;
    let v = req.verify(&state, &route).await?.by;
    let (asked, page, form) = pages::parse(&route)?;
    // A pull that names no format is refused before anything is read.
    refuse_format(asked, &[])?;
    let mut filter = CaseFilter::readable_by_reviewer(&v.reviewer.entry);
    let mut list = list_head(&state, asked);
    match (&page, form) {
        (Some(q), pages::Form::Heads) => return heads_page(&state, q, filter, list).await,
        (None, pages::Form::Ids(ids)) => filter = filter.only_ids(ids),
        (Some(q), _) => filter = pages::filter(filter, q),
        // Format 2 is checked against every case before anything is sent (below).
        (None, _) if asked >= CASE_LIST_FORMAT => return streamed(state, filter, &list),
        (None, _) => {}
    }
    let records = state.store.records(&filter).await?;
    refuse_format(asked, &records)?;
    list.cases = records.into_iter().map(|r| bundle(&state, r)).collect();
    if let Some(q) = &page {
        let ids: Vec<String> = list.cases.iter().map(|c| c.id.clone()).collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        pages::finish(&state, q, &filter, &ids, &mut list).await?;
    }
    Ok(Json(list).into_response())
}

/// A heads-only page (`heads=1`, docs/FORMATS.md §3 "Heads first"): the page's ids and
/// history heads, selected in SQL, and every other field of a page; no case is built.
async fn heads_page(
    state: &AppState,
    q: &PullQuery,
    filter: CaseFilter,
    mut list: CaseList,
) -> Result<axum::response::Response, ApiError> {
    let filter = pages::filter(filter, q);
    let heads = pages::heads(state, &filter).await?;
    let ids: Vec<&str> = heads.iter().map(|h| h.id.as_str()).collect();
    pages::finish(state, q, &filter, &ids, &mut list).await?;
    Ok(Json(HeadsPage { list, heads: Some(heads) }).into_response())
}

/// A case list without its cases: format, roster, deployment, keys, date.
fn list_head(state: &AppState, asked: u32) -> CaseList {
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
    CaseList {
        format: asked,
        min_cli: Some(MIN_CLI_VERSION.to_string()),
        roster: state.roster.clone(),
        deployment_id: state.keyring.deployment_id.clone(),
        reviewer_keys,
        cases: Vec::new(),
        as_of: Some(state.today()),
        next: None,
        purged: Vec::new(),
        total: None,
    }
}

/// The whole list of `filter`'s cases, written page by page as it is read.
fn streamed(
    state: AppState,
    filter: CaseFilter,
    head: &CaseList,
) -> Result<axum::response::Response, ApiError> {
    let store = state.store.clone();
    let bundler: whole_list::Bundler = std::sync::Arc::new(move |r| bundle(&state, r));
    let body = whole_list::stream(store, filter, head, amana_core::wire::MAX_PAGE, bundler)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("case list head: {e}")))?;
    let mut resp = axum::body::Body::from_stream(body).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(resp)
}

/// "Upgrade" for a pull in a format its reader cannot read these `records` in.
fn refuse_format(asked: u32, records: &[CaseRecord]) -> Result<(), ApiError> {
    // Older releases verify histories by first-seen keys; they must hear "upgrade", not meet
    // events they would call tampered (docs/FORMATS.md §9).
    if asked == 0 {
        return Err(ApiError::UpgradeRequired(format!(
            "this server sends case lists in format {CASE_LIST_FORMAT} (a signed roster): upgrade \
             amana-review to {MIN_CLI_VERSION} or later, then pull again"
        )));
    }
    // A format-2 reader cannot parse a status it does not know: it would reject the whole
    // list as malformed. It hears "upgrade" instead, and only while such a case is in scope.
    if asked < 3 && records.iter().any(|r| !known_to_format_2(r.meta.status)) {
        return Err(ApiError::UpgradeRequired(
            "cases in your scope were closed as junk (closed_spam), a status this amana-review \
             does not know: upgrade amana-review (case-list format 3), then pull again"
                .into(),
        ));
    }
    // A format-3 reader would check a segmented file's content against its whole-file
    // digest and call it tampered: it hears "upgrade" while such a case is in scope.
    if asked < 4 && records.iter().any(|r| has_segmented_file(&r.events)) {
        return Err(ApiError::UpgradeRequired(
            "cases in your scope have evidence files sent in resumable segments, which this \
             amana-review cannot read: upgrade amana-review (case-list format 4), then pull again"
                .into(),
        ));
    }
    Ok(())
}

/// Does a submission or follow-up of this history record a segmented file (FORMATS §8)?
fn has_segmented_file(events: &[amana_core::events::Event]) -> bool {
    use amana_core::events::EventKind;
    events.iter().filter(|e| matches!(e.kind, EventKind::Submitted | EventKind::FollowUp)).any(|e| {
        serde_json::from_str::<serde_json::Value>(&e.detail).is_ok_and(|d| {
            d.get("files").and_then(|f| f.as_array()).is_some_and(|files| {
                files
                    .iter()
                    .any(|f| f.get("segments").is_some_and(|s| s.as_array().is_some_and(|a| !a.is_empty())))
            })
        })
    })
}

/// `GET /api/v1/review/inbox`: counts and ids only.
pub async fn inbox(State(state): State<AppState>, req: Signed) -> Result<Json<Inbox>, ApiError> {
    let v = req.verify(&state, paths::INBOX).await?.by;
    let today = state.today();
    let filter = CaseFilter::readable_by_reviewer(&v.reviewer.entry).open();
    let mut inbox = Inbox::default();
    for m in state.store.case_metas(&filter).await? {
        if m.status == Status::Received {
            inbox.new.push(m.id.clone());
        }
        if deadlines::is_overdue(m.status, &m.deadlines, today) {
            inbox.overdue.push(m.id.clone());
        }
        if let Some(holder) = &m.holder {
            inbox.held.insert(m.id.clone(), holder.clone());
        }
        if m.escalated {
            inbox.escalated.push(m.id);
        }
    }
    // Holds are oversight's; a held case is usually closed, so it is looked up on its own.
    if v.reviewer.entry.oversight {
        let due = CaseFilter::readable_by_reviewer(&v.reviewer.entry).hold_due_by(today);
        inbox.hold_review_due = state.store.case_metas(&due).await?.into_iter().map(|m| m.id).collect();
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
/// key cannot probe which ids exist beyond its agencies; so does an id that is not one.
async fn scoped_case(state: &AppState, v: &Verified<'_>, path: &CasePath) -> Result<CaseMeta, ApiError> {
    let case_id = path.parse().ok_or(ApiError::NoSuchCase)?;
    // The reviewer's own listing filter, for this one id: a case oversight excluded the
    // reviewer from is as absent as one of another agency (issue 15).
    let filter = CaseFilter::readable_by_reviewer(&v.reviewer.entry).only(case_id.as_str());
    state.store.case_metas(&filter).await?.pop().ok_or(ApiError::NoSuchCase)
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
