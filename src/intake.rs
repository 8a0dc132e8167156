//! Intake: validating a submission, encrypting it before anything is written, deriving the
//! follow-up code's records and committing durably (SECURITY.md invariants 1, 2, 8).

use amana_core::{
    case::Kind,
    ciphertext::Ciphertext,
    code::FollowUpCode,
    deadlines,
    kdf::{self, KdfParams},
    payload,
    receipt::{self, Receipt},
};
use axum::{
    extract::{Request, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use zeroize::Zeroizing;

use crate::{
    error::ApiError,
    json,
    state::{random_id, AppState},
    store::{Evaluation, NewCase, SpentVisit, StoreError},
    upload::{self, resumable::Claimant, CaseFiles, FormParts},
};

pub use amana_request::report::{
    parse_report_json, Submission, SubmitReport, MAX_BODY_CHARS, MAX_CONTACT_CHARS, MAX_JSON_BYTES,
};

/// Attempts at drawing an unused lookup part before giving up.
const LOOKUP_ATTEMPTS: usize = 8;
/// Bytes a flag field (`true`/`false`) may take in a form.
pub const FLAG_BYTES: usize = 16;

/// The text fields of a multipart report (`POST /api/v1/reports`), each bounded in bytes
/// (a character is at most 4 bytes of UTF-8), all together as a JSON body is.
pub static REPORT_FORM: std::sync::LazyLock<upload::FormSpec> = std::sync::LazyLock::new(|| {
    upload::FormSpec::new(MAX_JSON_BYTES)
        .field("kind", 64)
        .field("agency", 256)
        .field("body", MAX_BODY_CHARS * 4)
        .field("contact", MAX_CONTACT_CHARS * 4)
        .field("oversight_only", FLAG_BYTES)
        .field("receipt", FLAG_BYTES)
});

/// `POST /api/v1/reports` as `multipart/form-data`: the same text fields, **before** any
/// file, then one `attachment` part per evidence file.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ReportForm {
    #[schema(example = "violation")]
    kind: String,
    #[schema(example = "health")]
    agency: String,
    /// 1 to 50 000 characters, not only white space.
    #[schema(min_length = 1, max_length = 50000)]
    body: String,
    /// At most 500 characters.
    #[schema(max_length = 500, value_type = String)]
    contact: Option<String>,
    /// `true` or `false` (filled in by the document).
    #[schema(value_type = String)]
    oversight_only: Option<String>,
    /// `true` or `false` (filled in by the document).
    #[schema(value_type = String)]
    receipt: Option<String>,
    /// Evidence files (filled in by the document: an array of binary parts).
    #[schema(value_type = Vec<String>)]
    attachment: Option<Vec<String>>,
}

/// `201` answer: the follow-up code, shown once. Keep it safe.
#[derive(Serialize, ToSchema)]
pub struct SubmitResponse {
    /// 25 digits in five groups; the only way back to this report.
    #[schema(example = "12345 67890 12345 67890 12345")]
    pub code: String,
    /// The proof-of-filing receipt, when asked for (docs/FORMATS.md §6).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::schemas::ReceiptSchema>)]
    pub receipt: Option<Receipt>,
}

/// What a successful submission hands back.
pub struct Filed {
    pub code: FollowUpCode,
    pub receipt: Option<Receipt>,
}

/// A checked report: the submission, and what it carries in the clear as an evaluation.
pub struct Report {
    pub submission: Submission,
    pub evaluation: Evaluation,
    /// Capabilities of complete resumable uploads to claim (`upload::resumable`).
    pub uploads: Vec<String>,
}

/// Derives a code, encrypts and commits a submission with the files that follow its fields,
/// if any; returns the code only after the commit.
pub async fn submit(state: &AppState, report: Report, files: Option<FormParts>) -> Result<Filed, ApiError> {
    let Report { submission: s, evaluation, uploads } = report;
    let today = state.today();
    // The code first: a busy KDF pool must refuse the request before an hour-long upload is
    // read, not throw it away after.
    let (code, salt, derived) = derive_code(state).await?;
    let recipients = state.keyring.recipients_for(&s.agency, s.oversight_only, today);
    let upload = match files {
        Some(parts) => Some(upload::store_files(state, parts, &recipients, CaseFiles::default()).await?),
        None if !uploads.is_empty() => {
            Some(upload::resumable::adopt(state, &uploads, &recipients, Claimant::Report).await?)
        }
        None => None,
    };
    let (ciphertext, commitment) = {
        let plaintext = s.payload(today).encode()?;
        let commitment = payload::commitment(&plaintext)?;
        (Ciphertext::seal(&plaintext, &recipients)?, commitment)
    };
    // Issued before the commit but handed out only after it; it names no case.
    let receipt =
        s.receipt.then(|| receipt::issue(&state.receipt_key, &state.keyring.deployment_id, today, &s.body));
    let (pepper_id, pepper) = state.peppers.current();
    let mut code = untaken_lookup(state, code).await?;
    let mut case = NewCase {
        id: random_id(),
        kind: s.kind,
        agency: s.agency.clone(),
        oversight_only: s.oversight_only,
        received_on: today,
        deadlines: deadlines::compute(state.deadlines.for_kind(s.kind), today, None, 0),
        lookup_index: kdf::lookup_index(pepper, code.lookup()),
        pepper_id,
        kdf_salt: salt.to_vec(),
        kdf_params: state.kdf_params.to_string(),
        verifier: derived.verifier.to_vec(),
        reporter_recipient: derived.reply_identity.to_public().to_string(),
        envelope_id: random_id(),
        ciphertext,
        attachments: upload.as_ref().and_then(|u| u.claim()),
        reporter_key: derived.reporter_public_key()?,
        commitment,
        attest: Some(state.server_attester()),
        evaluation,
    };
    for _ in 0..LOOKUP_ATTEMPTS {
        match state.store.insert_case(&case).await {
            Ok(()) => {
                if let Some(u) = upload {
                    u.committed();
                }
                return Ok(Filed { code, receipt });
            }
            // Only the lookup part changes: the secret part and its derivation stay valid.
            Err(StoreError::LookupCollision) => {
                code = untaken_lookup(state, code.with_new_lookup()).await?;
                case.lookup_index = kdf::lookup_index(pepper, code.lookup());
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::Internal(anyhow::anyhow!("lookup space exhausted after {LOOKUP_ATTEMPTS} draws")))
}

/// A new code with its KDF salt and what it derives (on the submission pool).
async fn derive_code(state: &AppState) -> Result<(FollowUpCode, [u8; 16], kdf::Derived), ApiError> {
    let code = FollowUpCode::generate();
    let salt = kdf::new_salt();
    let params = state.kdf_params;
    let secret = Zeroizing::new(code.secret().to_string());
    let derived = state.submit_pool.run(move || kdf::derive(&secret, &salt, params)).await??;
    Ok((code, salt, derived))
}

/// `code`, or one with a new lookup part, whose lookup part names no case under an older
/// pepper version (a lookup part must be unique under every version, or a code check could
/// find two records; the UNIQUE index only sees the current version's).
async fn untaken_lookup(state: &AppState, mut code: FollowUpCode) -> Result<FollowUpCode, ApiError> {
    for _ in 0..LOOKUP_ATTEMPTS {
        if !taken_under_older_pepper(state, &code).await? {
            return Ok(code);
        }
        code = code.with_new_lookup();
    }
    Err(ApiError::Internal(anyhow::anyhow!("lookup space exhausted after {LOOKUP_ATTEMPTS} draws")))
}

/// Whether `code`'s lookup part already names a case under an older pepper version.
async fn taken_under_older_pepper(state: &AppState, code: &FollowUpCode) -> Result<bool, ApiError> {
    for (_, pepper) in state.peppers.older() {
        if state.store.credentials(&kdf::lookup_index(pepper, code.lookup())).await?.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Submit a report (JSON). The code is returned once the report is durably stored.
#[utoipa::path(
    post,
    path = "/api/v1/reports",
    request_body(content(
        (SubmitReport = "application/json"),
        (ReportForm = "multipart/form-data"),
    )),
    responses(
        (status = 201, description = "Stored; keep the code", body = SubmitResponse),
        (status = 400, description = "Invalid field, or not JSON / multipart; the message says which. Nothing was saved.", body = crate::schemas::ErrorSchema),
        (status = 403, description = "The visit token did not verify (not signed by an oversight key, another agency or centre, expired); the message says which. Nothing was saved.", body = crate::schemas::ErrorSchema),
        (status = 409, description = "The visit token was already used. Nothing was saved.", body = crate::schemas::ErrorSchema),
        (status = 413, description = "Body, a text or the files over a limit; the message says which. Nothing was saved.", body = crate::schemas::ErrorSchema),
        (status = 503, description = "Busy; nothing saved, retry later", body = crate::schemas::ErrorSchema),
    ),
    tag = "reporter"
)]
pub async fn submit_json(State(state): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let (submission, files) = if upload::is_multipart(&req) {
        let mut parts = upload::read_fields(req, &state.uploads, &REPORT_FORM).await?;
        let raw = report_from_parts(&mut parts)?;
        (validate(raw, &state)?, Some(parts))
    } else {
        // The very parser the intake fuzz target runs (fuzz/fuzz_targets/intake_json.rs).
        let raw = parse_report_json(&json::json_body(req, &state).await?)?;
        (validate(raw, &state)?, None)
    };
    let filed = submit(&state, submission, files).await?;
    let code = filed.code.grouped().to_string();
    Ok((StatusCode::CREATED, Json(SubmitResponse { code, receipt: filed.receipt })).into_response())
}

/// Checks a submission against this deployment's agencies, and its centre, answers and
/// visit token against its services.
pub fn validate(mut raw: SubmitReport, state: &AppState) -> Result<Report, ApiError> {
    let (centre, ratings, token) = (raw.centre.take(), raw.ratings.take(), raw.visit_token.take());
    let uploads = std::mem::take(&mut raw.uploads);
    let submission = Submission::validate(raw, |agency| state.keyring.agency(agency).is_some())?;
    let (kind, agency) = (submission.kind, submission.agency.as_str());
    let mut evaluation = evaluation(state, kind, agency, centre, ratings)?;
    evaluation.visit = token.map(|t| visit(state, kind, agency, &evaluation, &t)).transpose()?;
    Ok(Report { submission, evaluation, uploads })
}

/// The centre and answers a submission may carry in the clear, checked against the
/// deployment's services (docs/FORMATS.md §10).
fn evaluation(
    state: &AppState,
    kind: Kind,
    agency: &str,
    centre: Option<String>,
    ratings: Option<BTreeMap<String, Option<u64>>>,
) -> Result<Evaluation, ApiError> {
    if centre.is_some() && !matches!(kind, Kind::ServiceEvaluation | Kind::Compliment) {
        return Err(ApiError::BadRequest(match kind {
            Kind::Violation => "A violation report never names a service centre in the clear: it is often about \
                                the reporter's own workplace. Remove `centre` and say where it happened in the \
                                report text, which is encrypted."
                .into(),
            _ => format!(
                "`centre` is only for service evaluations and compliments. For a {kind}, say which centre in \
                 the report text: it is encrypted, while a centre in the clear could point at you."
            ),
        }));
    }
    if ratings.is_some() && kind != Kind::ServiceEvaluation {
        return Err(ApiError::BadRequest("`ratings` is only for kind `service_evaluation`.".into()));
    }
    let bad = |e: amana_core::services::RatingError| ApiError::BadRequest(e.to_string());
    let answers = match ratings {
        // check_answers checks the centre too.
        Some(r) => Some(state.services.check_answers(agency, centre.as_deref(), &r).map_err(bad)?),
        None => {
            // A centre without answers (a compliment) is checked on its own.
            if let Some(c) = centre.as_deref() {
                state.services.check_centre(agency, c).map_err(bad)?;
            }
            None
        }
    };
    Ok(Evaluation { centre, answers, visit: None })
}

/// A commissioned shopper's visit token, checked against the signed roster's oversight keys:
/// the visit it records as used (the store refuses a second use).
fn visit(
    state: &AppState,
    kind: Kind,
    agency: &str,
    e: &Evaluation,
    token: &str,
) -> Result<SpentVisit, ApiError> {
    if kind != Kind::ServiceEvaluation || e.answers.is_none() {
        return Err(ApiError::BadRequest(
            "`visit_token` is only for kind `service_evaluation`, with its `ratings`.".into(),
        ));
    }
    let today = state.today();
    let oversight_key = |id: &str| state.keyring.oversight_key(id, Some(today));
    let deployment = &state.keyring.deployment_id;
    let v = amana_core::visit::verify(token, oversight_key, deployment, agency, e.centre.as_deref(), today)
        .map_err(|err| ApiError::VisitRefused(err.to_string()))?;
    Ok(SpentVisit { id: v.spent_id, expires_on: v.claims.valid_until })
}

/// A report's fields from a multipart form (booleans as `true`/`false`); unknown fields
/// were refused as they arrived ([`REPORT_FORM`]), as in JSON.
pub fn report_from_parts(parts: &mut FormParts) -> Result<SubmitReport, ApiError> {
    let flag = |v: Option<String>| match v.as_deref() {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(ApiError::BadRequest("oversight_only and receipt take `true` or `false`.".into())),
    };
    let missing = |f: &str| ApiError::BadRequest(format!("Missing field `{f}`."));
    let raw = SubmitReport {
        kind: parts.take("kind").ok_or_else(|| missing("kind"))?,
        agency: parts.take("agency").ok_or_else(|| missing("agency"))?,
        body: parts.take("body").ok_or_else(|| missing("body"))?,
        contact: parts.take("contact"),
        oversight_only: flag(parts.take("oversight_only"))?,
        receipt: flag(parts.take("receipt"))?,
        // The API takes centres and ratings in JSON only (docs/FORMATS.md §10); the
        // reporter pages read their own fields (`pages::report`).
        centre: None,
        ratings: None,
        visit_token: None,
        uploads: Vec::new(),
    };
    Ok(raw)
}

/// The KDF parameters to use, refusing the test setting outside test mode.
pub fn kdf_params(insecure_test_kdf: bool) -> KdfParams {
    if insecure_test_kdf {
        KdfParams::INSECURE_TEST
    } else {
        KdfParams::PRODUCTION
    }
}
