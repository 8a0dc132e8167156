//! Reporter actions by code alone: adding information, and rating a closed case. Each asks
//! for the code again (no sessions) and costs one Argon2id derivation, like a status check.

use amana_core::{
    ciphertext::Ciphertext,
    events::EventKind,
    payload::{Part, Payload},
};
use axum::{
    extract::{FromRequest, Request, State},
    http::StatusCode,
};
use serde::Deserialize;
use utoipa::ToSchema;
use zeroize::Zeroizing;

use crate::{
    error::ApiError,
    intake::{MAX_BODY_CHARS, MAX_JSON_BYTES},
    json::{ApiJson, Expect, Field, JsonFields},
    state::{random_id, AppState},
    status::{authenticate, Authenticated, TypedCode},
    store::{CaseMeta, Change, NewEnvelope, NewEvent, StoreError, UploadClaim},
    upload::{self, resumable::Claimant, CaseFiles, FormParts},
};

/// Most follow-ups one case accepts (spam bound; reporters can say a lot in each).
pub const MAX_FOLLOW_UPS: i64 = 50;
/// Bytes a typed code may take in a form (128 characters of up to 4 bytes).
pub const CODE_BYTES: usize = 512;

/// The text fields of a multipart follow-up (`POST /api/v1/followups` and the page form),
/// each bounded in bytes, all together as a JSON body is.
pub static FOLLOW_UP_FORM: std::sync::LazyLock<upload::FormSpec> = std::sync::LazyLock::new(|| {
    upload::FormSpec::new(MAX_JSON_BYTES).field("code", CODE_BYTES).field("body", MAX_BODY_CHARS * 4)
});

/// `POST /api/v1/followups` body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpRequest {
    /// The follow-up code (any text: every code that does not match is the same 404).
    #[schema(value_type = String, example = "12345 67890 12345 67890 12345")]
    pub code: TypedCode,
    /// The new information, 1 to 50 000 characters, not only white space. Encrypted
    /// before it is stored.
    #[schema(min_length = 1, max_length = 50000)]
    pub body: String,
    /// Evidence files sent beforehand through resumable uploads begun with this code: the
    /// `upload` capability of each complete one (`POST /api/v1/uploads`), in order. Stored
    /// with the follow-up in one commit; an unknown, expired, incomplete or repeated one,
    /// or one begun for other readers, refuses the follow-up (409), storing nothing.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub uploads: Vec<String>,
}

impl JsonFields for FollowUpRequest {
    const FIELDS: &'static [Field] = &[
        Field { name: "code", required: true, expect: Expect::Text },
        Field { name: "body", required: true, expect: Expect::Text },
        Field { name: "uploads", required: false, expect: Expect::Texts { max: 100 } },
    ];
    const ONLY_THESE: bool = true;
}

/// `POST /api/v1/followups` as `multipart/form-data`: `code` and `body` **before** any
/// file, then one `attachment` part per evidence file.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct FollowUpForm {
    #[schema(example = "12345 67890 12345 67890 12345")]
    code: String,
    /// 1 to 50 000 characters, not only white space.
    #[schema(min_length = 1, max_length = 50000)]
    body: String,
    /// Evidence files (filled in by the document: an array of binary parts).
    #[schema(value_type = Vec<String>)]
    attachment: Option<Vec<String>>,
}

/// `POST /api/v1/rating` body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingRequest {
    #[schema(value_type = String, example = "12345 67890 12345 67890 12345")]
    pub code: TypedCode,
    /// 1 (poor) to 5 (excellent).
    #[schema(minimum = 1, maximum = 5)]
    pub rating: u8,
}

impl JsonFields for RatingRequest {
    const FIELDS: &'static [Field] = &[
        Field { name: "code", required: true, expect: Expect::Text },
        Field { name: "rating", required: true, expect: Expect::Whole { min: 1, max: 5 } },
    ];
    const ONLY_THESE: bool = true;
}

/// Where a follow-up's evidence files come from.
pub enum FollowUpFiles {
    None,
    /// File parts after the text fields of a multipart body.
    Form(Box<FormParts>),
    /// Capabilities of complete resumable uploads (`upload::resumable`).
    Uploads(Vec<String>),
}

/// A closed case takes no follow-up (nor an upload for one).
pub fn refuse_closed(case: &CaseMeta) -> Result<(), ApiError> {
    if case.status.is_closed() {
        return Err(ApiError::Conflict("This case is closed; submit a new report instead.".into()));
    }
    Ok(())
}

/// Who reads a case's follow-up files: the case's reviewers today, never one oversight
/// excluded from the case (issue 15). A resumable upload for a follow-up is encrypted to
/// these, and the follow-up that claims it checks they are still the same.
pub async fn case_readers(
    state: &AppState,
    case: &CaseMeta,
    today: time::Date,
) -> Result<Vec<age::x25519::Recipient>, ApiError> {
    let excluded = state.store.exclusions(&case.id).await?;
    Ok(state
        .keyring
        .readers_of(&case.agency, case.oversight_only, today)
        .filter(|r| !excluded.contains(&r.entry.id))
        .map(|r| r.recipient.clone())
        .collect())
}

/// Encrypts and stores a follow-up for an authenticated reporter.
pub async fn add_follow_up(
    state: &AppState,
    auth: &Authenticated,
    body: Zeroizing<String>,
    files: FollowUpFiles,
) -> Result<(), ApiError> {
    if body.trim().is_empty() || body.chars().count() > MAX_BODY_CHARS {
        return Err(ApiError::BadRequest(format!("The text must be 1 to {MAX_BODY_CHARS} characters.")));
    }
    let case = &auth.case;
    refuse_closed(case)?;
    let today = state.today();
    let payload = Payload {
        salt: None,
        part: Part::FollowUp,
        kind: None,
        agency: None,
        body: body.to_string(),
        contact: None,
        written_on: today,
        author: None,
    };
    // Same recipients as the report, plus the reporter so they can reread their thread.
    let readers = case_readers(state, case, today).await?;
    let mut recipients = readers.clone();
    recipients.push(auth.derived.reply_identity.to_public());
    let (ciphertext, commitment) = {
        let plain = payload.encode()?;
        let commitment = amana_core::payload::commitment(&plain)?;
        (Ciphertext::seal(&plain, &recipients)?, commitment)
    };
    let upload = match files {
        // Files go to the case's readers only: the reporter keeps the originals.
        FollowUpFiles::Form(parts) => {
            Some(upload::store_files(state, *parts, &readers, case_files(state, &case.id).await?).await?)
        }
        // Claimed by the commit below with the same checks (count, the case's bytes, quota).
        FollowUpFiles::Uploads(uploads) if !uploads.is_empty() => {
            Some(upload::resumable::adopt(state, &uploads, &readers, Claimant::FollowUp).await?)
        }
        FollowUpFiles::Uploads(_) | FollowUpFiles::None => None,
    };
    let envelope_id = random_id();
    let claim = upload.as_ref().and_then(|u| u.claim());
    let mut detail = serde_json::json!({ "envelope_id": envelope_id, "commitment": commitment });
    UploadClaim::record_in(claim.as_ref(), &mut detail);
    let attest = state.reporter_attester(&auth.derived)?;
    let event = NewEvent {
        kind: EventKind::FollowUp,
        actor: None,
        detail: detail.to_string(),
        signed: None,
        attest: Some(attest),
    };
    let mut change = Change::event_only(case, today, event);
    change.follow_up_cap = Some(MAX_FOLLOW_UPS);
    change.envelope = Some(NewEnvelope { id: envelope_id, part: Part::FollowUp, ciphertext });
    change.attachments = claim;
    state.store.apply(&change).await.map_err(|e| match e {
        StoreError::Conflict => ApiError::Conflict(format!(
            "This case cannot take more follow-ups (at most {MAX_FOLLOW_UPS}), or it changed meanwhile; try again."
        )),
        other => other.into(),
    })?;
    if let Some(u) = upload {
        u.committed();
    }
    Ok(())
}

/// What files a case holds already (for the per-case limits).
pub async fn case_files(state: &AppState, case_id: &str) -> Result<CaseFiles, ApiError> {
    let files = state.store.attachments(case_id).await?;
    Ok(CaseFiles { count: files.len() as u64, bytes: files.iter().map(|f| f.size).sum() })
}

/// Records the reporter's rating of a closed case, once.
pub async fn rate(state: &AppState, auth: &Authenticated, rating: u8) -> Result<(), ApiError> {
    if !(1..=5).contains(&rating) {
        return Err(ApiError::BadRequest("The rating must be a whole number from 1 to 5.".into()));
    }
    let case = &auth.case;
    if !case.status.is_closed() || case.rating.is_some() {
        return Err(ApiError::Conflict("A case can be rated once, after it is closed.".into()));
    }
    let detail = serde_json::json!({ "rating": rating }).to_string();
    let attest = state.reporter_attester(&auth.derived)?;
    let event = NewEvent { kind: EventKind::Rated, actor: None, detail, signed: None, attest: Some(attest) };
    let mut change = Change::event_only(case, state.today(), event);
    change.rating = Some(rating);
    state.store.apply(&change).await.map_err(|e| match e {
        StoreError::Conflict => ApiError::Conflict("This case was already rated.".into()),
        other => other.into(),
    })
}

/// Add information to a report.
#[utoipa::path(
    post,
    path = "/api/v1/followups",
    request_body(content(
        (FollowUpRequest = "application/json"),
        (FollowUpForm = "multipart/form-data"),
    )),
    responses(
        (status = 201, description = "Stored"),
        (status = 400, description = "Invalid field, or not JSON / multipart; the message says which. Nothing was saved.", body = crate::schemas::ErrorSchema),
        (status = 404, description = "No report matches this code (checked before the text and any file)", body = crate::schemas::ErrorSchema),
        (status = 409, description = "Case closed or follow-up limit reached", body = crate::schemas::ErrorSchema),
        (status = 413, description = "Body, the text or the files over a limit; the message says which. Nothing was saved.", body = crate::schemas::ErrorSchema),
        (status = 503, description = "Busy; nothing saved, retry later", body = crate::schemas::ErrorSchema),
    ),
    tag = "reporter"
)]
pub async fn follow_up_json(State(state): State<AppState>, req: Request) -> Result<StatusCode, ApiError> {
    let (code, body, files) = if upload::is_multipart(&req) {
        let mut parts = upload::read_fields(req, &state.uploads, &FOLLOW_UP_FORM).await?;
        let code = TypedCode::new(parts.take("code").unwrap_or_default());
        let body = Zeroizing::new(parts.take("body").unwrap_or_default());
        (code, body, FollowUpFiles::Form(Box::new(parts)))
    } else {
        let ApiJson(req) = ApiJson::<FollowUpRequest>::from_request(req, &state).await?;
        (req.code, Zeroizing::new(req.body), FollowUpFiles::Uploads(req.uploads))
    };
    // The code is checked before any file byte is read.
    let auth = authenticate(&state, &code).await?;
    add_follow_up(&state, &auth, body, files).await?;
    Ok(StatusCode::CREATED)
}

/// Rate the handling of a closed case (once).
#[utoipa::path(
    post,
    path = "/api/v1/rating",
    request_body = RatingRequest,
    responses(
        (status = 204, description = "Recorded"),
        (status = 400, description = "Invalid field, or not JSON; the message says which", body = crate::schemas::ErrorSchema),
        (status = 404, description = "No report matches this code", body = crate::schemas::ErrorSchema),
        (status = 409, description = "Not closed yet, or already rated", body = crate::schemas::ErrorSchema),
        (status = 413, description = "Body too large", body = crate::schemas::ErrorSchema),
        (status = 503, description = "Busy; nothing saved, retry later", body = crate::schemas::ErrorSchema),
    ),
    tag = "reporter"
)]
pub async fn rating_json(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RatingRequest>,
) -> Result<StatusCode, ApiError> {
    let auth = authenticate(&state, &req.code).await?;
    rate(&state, &auth, req.rating).await?;
    Ok(StatusCode::NO_CONTENT)
}
