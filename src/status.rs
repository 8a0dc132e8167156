//! The reporter's status check by code alone (SECURITY.md invariant 2).
//!
//! Every answer that is not a match — malformed input, bad check digit, unknown lookup
//! part, wrong secret part — is the same 404 after the same Argon2id work, so neither the
//! answer nor its timing tells which lookup parts exist.

use amana_core::{
    code::FollowUpCode,
    envelope,
    kdf::{self, Derived, KdfParams},
    payload::{Part, Payload},
};
use axum::{extract::State, Json};
use serde::Serializer;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use utoipa::ToSchema;
use zeroize::Zeroizing;

use crate::{
    error::ApiError,
    json::{ApiJson, Expect, Field, JsonFields},
    state::AppState,
    store::CaseMeta,
};

mod typed_code;
mod view;
pub use typed_code::TypedCode;
pub use view::{Deletion, Message, MessageKind, ReporterView};

/// Code checks that met a record with KDF parameters below the production floor (refused
/// as misses) since [`take_weak_records_met`] last read it.
static WEAK_RECORDS_MET: AtomicU64 = AtomicU64::new(0);

/// The count above, reset: the hourly maintenance task logs it, so the operator learns of
/// weakened records without a log line that dates any one check.
pub fn take_weak_records_met() -> u64 {
    WEAK_RECORDS_MET.swap(0, Ordering::Relaxed)
}

/// Largest status request body, in bytes.
pub const MAX_STATUS_BYTES: usize = 16 * 1024;
/// The secret part used for the dummy derivation on a miss.
const DUMMY_SECRET: &str = "0000000000000000";

/// `POST /api/v1/status` body.
#[derive(Deserialize, ToSchema)]
pub struct StatusRequest {
    /// The follow-up code; spaces, dashes and Arabic-Indic/Persian digits are fine. Any
    /// text is accepted: every code that does not match is the same 404.
    #[schema(example = "12345 67890 12345 67890 12345")]
    pub code: String,
}

impl JsonFields for StatusRequest {
    const FIELDS: &'static [Field] = &[Field { name: "code", required: true, expect: Expect::Text }];
    const ONLY_THESE: bool = false;
}

/// A message in the case's thread, decrypted for the reporter (the JSON rendering of a
/// [`Message`]; its text stays `Zeroizing` until the answer is written).
#[derive(Serialize, ToSchema)]
pub struct MessageDto {
    /// `reply` (from the reviewers) or `follow_up` (from you).
    #[schema(example = "reply")]
    pub from: String,
    /// UTC date, YYYY-MM-DD.
    pub on: String,
    #[serde(serialize_with = "text")]
    #[schema(value_type = String)]
    pub body: Zeroizing<String>,
}

fn text<S: Serializer>(text: &Zeroizing<String>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(text)
}

/// What the reporter may see about their case.
#[derive(Serialize, ToSchema)]
pub struct StatusResponse {
    #[schema(example = "violation")]
    pub kind: String,
    #[schema(example = "health")]
    pub agency: String,
    /// received, acknowledged, in_review, needs_info, closed_action_taken, closed_unfounded,
    /// closed_referred, or closed (closed for any other reason)
    #[schema(example = "received")]
    pub status: String,
    /// UTC date, YYYY-MM-DD.
    #[schema(example = "2026-11-23")]
    pub received_on: String,
    /// The agency should acknowledge by this date.
    pub acknowledge_by: String,
    /// The agency should give feedback by this date.
    pub feedback_by: String,
    /// The case passed a deadline and went to the oversight unit.
    pub escalated: bool,
    /// Replies and your follow-ups, oldest first.
    pub messages: Vec<MessageDto>,
    /// How many messages addressed to you could not be shown (they did not hold a message
    /// in Amana's format); the others are all in `messages`.
    pub unreadable: u32,
    /// You may rate the handling (1–5) now.
    pub can_rate: bool,
    /// Your rating, if given.
    pub rating: Option<u8>,
    /// A closed case: the UTC date (YYYY-MM-DD) after which its records will be deleted.
    /// Absent while open, or while it is kept longer than usual (`kept_longer`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_after: Option<String>,
    /// The closed case is kept longer than the retention period; no deletion date is set.
    pub kept_longer: bool,
}

/// What a matching code unlocks.
pub struct Authenticated {
    pub case: CaseMeta,
    /// Holds the reporter's reply identity; dropped (and zeroized) with the request.
    pub derived: Derived,
}

struct Attempt {
    case_id: Option<String>,
    /// Set when the code's credentials are what a purge kept (`case_id` is then empty).
    purged_on: Option<time::Date>,
    secret: Zeroizing<String>,
    salt: Vec<u8>,
    params: KdfParams,
    verifier: Vec<u8>,
}

/// The credentials stored for `code`, live or (with the purge date) kept by a purge.
async fn lookup(
    state: &AppState,
    code: &FollowUpCode,
) -> Result<(Option<crate::store::CaseCredentials>, Option<time::Date>), ApiError> {
    // Every pepper version is tried, newest first, without stopping at a match, so the
    // work does not depend on which version (if any) issued the code. A record counts only
    // under the version that made its index.
    let mut found = None;
    for (pepper_id, pepper) in state.peppers.newest_first() {
        let index = kdf::lookup_index(pepper, code.lookup());
        if let Some(creds) = state.store.credentials(&index).await? {
            if creds.pepper_id == pepper_id && found.is_none() {
                found = Some(creds);
            }
        }
    }
    // What a purge kept of a code is looked up the same way, every time (a hit, a miss and a
    // purged code make the same queries), and counts only when no live case matched.
    let mut purged_on = None;
    for (pepper_id, pepper) in state.peppers.newest_first() {
        let index = kdf::lookup_index(pepper, code.lookup());
        if let Some(p) = state.store.purged_code(&index).await? {
            if p.credentials.pepper_id == pepper_id && found.is_none() {
                purged_on = Some(p.purged_on);
                found = Some(p.credentials);
            }
        }
    }
    Ok((found, purged_on))
}

async fn attempt(state: &AppState, input: &str) -> Result<Attempt, ApiError> {
    let dummy = || Attempt {
        case_id: None,
        purged_on: None,
        secret: Zeroizing::new(DUMMY_SECRET.into()),
        salt: kdf::new_salt().to_vec(),
        params: state.kdf_params,
        verifier: Vec::new(),
    };
    let Ok(code) = FollowUpCode::parse(input) else {
        return Ok(dummy());
    };
    let (found, purged_on) = lookup(state, &code).await?;
    let Some(creds) = found else {
        return Ok(dummy());
    };
    let params: KdfParams =
        creds.kdf_params.parse().map_err(|e: kdf::KdfError| ApiError::Internal(e.into()))?;
    if !params.is_production_grade() && !state.insecure_test_kdf {
        // Only a database writer makes such a record. Counted, not logged here: a line now
        // would timestamp one reporter's code check; the hourly task reports the count.
        WEAK_RECORDS_MET.fetch_add(1, Ordering::Relaxed);
        return Ok(dummy());
    }
    Ok(Attempt {
        case_id: Some(creds.id),
        purged_on,
        secret: Zeroizing::new(code.secret().to_string()),
        salt: creds.kdf_salt,
        params,
        verifier: creds.verifier,
    })
}

/// Checks a typed code. Costs one Argon2id derivation whatever the outcome.
pub async fn authenticate(state: &AppState, code: &TypedCode) -> Result<Authenticated, ApiError> {
    let a = attempt(state, code.as_str()).await?;
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
    // Only the derivation from the real code reaches this: a guess gets the 404 above.
    if let Some(on) = a.purged_on {
        return Err(ApiError::Purged(on));
    }
    let case = state.store.case_meta(&case_id).await?.ok_or(ApiError::NotFound)?;
    Ok(Authenticated { case, derived })
}

/// Check a report's status with its code.
#[utoipa::path(
    post,
    path = "/api/v1/status",
    request_body = StatusRequest,
    responses(
        (status = 200, description = "The case", body = StatusResponse),
        (status = 400, description = "Not JSON, or `code` missing or not text; the message says which", body = crate::schemas::ErrorSchema),
        (status = 404, description = "No report matches this code (same answer for every kind of miss)", body = crate::schemas::ErrorSchema),
        (status = 410, description = "The code's case was closed and purged; the message gives the date (`error`: `purged`)", body = crate::schemas::ErrorSchema),
        (status = 413, description = "Body too large (over 16 KiB)", body = crate::schemas::ErrorSchema),
        (status = 503, description = "Busy; retry later", body = crate::schemas::ErrorSchema),
    ),
    tag = "reporter"
)]
pub async fn status_json(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<StatusRequest>,
) -> Result<Json<StatusResponse>, ApiError> {
    let auth = authenticate(&state, &TypedCode::new(req.code)).await?;
    Ok(Json(view(&state, &auth).await?.into()))
}

/// Everything the reporter sees, with the thread decrypted in memory.
pub async fn view(state: &AppState, auth: &Authenticated) -> Result<ReporterView, ApiError> {
    let (messages, unreadable) = messages(state, auth).await?;
    let deletion = deletion(state, &auth.case).await?;
    Ok(ReporterView::new(&auth.case, messages, unreadable, deletion))
}

/// When a closed case will be deleted, by the policy `amana purge` is given. A case on
/// legal hold has no date: the reporter reads only that it is kept longer (not why).
async fn deletion(state: &AppState, case: &CaseMeta) -> Result<Deletion, ApiError> {
    if !case.status.is_closed() {
        return Ok(Deletion::Open);
    }
    if case.held_review_on.is_some() {
        return Ok(Deletion::KeptLonger);
    }
    let closed = state.store.closed_case(&case.id).await?;
    Ok(closed.and_then(|c| state.retention.deletion_date(&c)).map_or(Deletion::KeptLonger, Deletion::After))
}

/// The thread the reporter can read, and how many envelopes addressed to them held no
/// Amana payload. A reviewer's tool (or a compromised reviewer) can encrypt anything to the
/// reporter: such an envelope is counted, never an error, so it cannot break the page for
/// good, and it is not logged — a line at each status check would be a timestamped trace of
/// one reporter (SECURITY.md invariant 4).
async fn messages(state: &AppState, auth: &Authenticated) -> Result<(Vec<Message>, u32), ApiError> {
    let envelopes = state.store.envelopes(&auth.case.id, &[Part::Reply, Part::FollowUp]).await?;
    let identity: &dyn age::Identity = &auth.derived.reply_identity;
    let mut out = Vec::with_capacity(envelopes.len());
    let mut unreadable = 0;
    for e in envelopes {
        let Some(kind) = MessageKind::of(e.part) else { continue };
        // An envelope the reporter's key cannot open was not addressed to them: skip it.
        let Ok(plain) = envelope::decrypt(&e.ciphertext, &[identity]) else { continue };
        let Ok(mut payload) = Payload::decode(&plain) else {
            unreadable += 1;
            continue;
        };
        // Moved, not copied: the payload wipes what is left of it when dropped.
        let text = Zeroizing::new(std::mem::take(&mut payload.body));
        out.push(Message { kind, written_on: payload.written_on, text });
    }
    Ok((out, unreadable))
}
