//! Intake: validating a submission, encrypting it before anything is written, deriving the
//! follow-up code's records and committing durably (SECURITY.md invariants 1, 2, 8).

use amana_core::{
    case::Kind,
    ciphertext::Ciphertext,
    code::FollowUpCode,
    deadlines,
    kdf::{self, KdfParams},
    payload::{self, Part, Payload},
    receipt::{self, Receipt},
};
use axum::{
    extract::{FromRequest, Request, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use zeroize::Zeroizing;

use crate::{
    error::ApiError,
    json::{ApiJson, Expect, Field, JsonFields},
    state::{random_id, AppState},
    store::{Evaluation, NewCase, SpentVisit, StoreError},
    upload::{self, CaseFiles, FormParts},
};

/// Longest report text, in characters.
pub const MAX_BODY_CHARS: usize = 50_000;
/// Longest contact field, in characters.
pub const MAX_CONTACT_CHARS: usize = 500;
/// Largest JSON request body for a report, in bytes.
pub const MAX_JSON_BYTES: usize = 256 * 1024;
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

/// `POST /api/v1/reports` body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitReport {
    /// One of `GET /api/v1/agencies` → `kinds`.
    #[schema(example = "violation")]
    pub kind: String,
    /// An agency id from `GET /api/v1/agencies`.
    #[schema(example = "health")]
    pub agency: String,
    /// What happened, 1 to 50 000 characters, not only white space. Encrypted before it
    /// is stored.
    #[schema(min_length = 1, max_length = 50000)]
    pub body: String,
    /// Optional way to reach you, at most 500 characters. Encrypted; leave empty to stay
    /// anonymous.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub contact: Option<String>,
    /// Send to the oversight unit only (e.g. the report concerns the agency's own officers).
    #[serde(default)]
    pub oversight_only: bool,
    /// Ask for a signed proof-of-filing receipt. Whoever finds the receipt together with
    /// your text learns that you filed this report, and the case's reviewers (who hold the
    /// text) can find your case from the receipt alone: keep it safe, or do not ask.
    #[serde(default)]
    pub receipt: bool,
    /// For a `service_evaluation` or a `compliment` only: the service centre visited, an id
    /// from `GET /api/v1/agencies` (of the same agency). Stored in the clear. Other kinds
    /// name a place inside the (encrypted) text: a violation is often about the reporter's
    /// own workplace.
    #[serde(default)]
    #[schema(example = "central-hospital")]
    pub centre: Option<String>,
    /// For a `service_evaluation` only: an answer to every criterion of the questionnaire
    /// that applies (`GET /api/v1/agencies`), 1 (very poor) to 5 (excellent), or null for
    /// not applicable. Stored in the clear, as numbers; `body` is the encrypted comment.
    #[serde(default)]
    #[schema(value_type = Option<BTreeMap<String, Option<u8>>>, example = json!({"waiting_time": 4, "parking": null}))]
    pub ratings: Option<BTreeMap<String, Option<u64>>>,
    /// For a `service_evaluation` only: the visit token a commissioned mystery shopper got from
    /// the oversight unit (`amana-review visit-tokens`). Makes the evaluation count as
    /// commissioned; each token counts once (409 the second time), and the stored case does
    /// not say which token it was. A token that does not verify gets 403.
    #[serde(default)]
    #[schema(max_length = 2048)]
    pub visit_token: Option<String>,
}

impl JsonFields for SubmitReport {
    const FIELDS: &'static [Field] = &[
        Field { name: "kind", required: true, expect: Expect::Text },
        Field { name: "agency", required: true, expect: Expect::Text },
        Field { name: "body", required: true, expect: Expect::Text },
        Field { name: "contact", required: false, expect: Expect::TextOrNull },
        Field { name: "oversight_only", required: false, expect: Expect::Flag },
        Field { name: "receipt", required: false, expect: Expect::Flag },
        Field { name: "centre", required: false, expect: Expect::TextOrNull },
        Field { name: "ratings", required: false, expect: Expect::AnswersOrNull },
        Field { name: "visit_token", required: false, expect: Expect::TextOrNull },
    ];
    const ONLY_THESE: bool = true;
}

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

/// A checked submission; text fields are zeroized on drop.
pub struct Submission {
    pub kind: Kind,
    pub agency: String,
    pub body: Zeroizing<String>,
    pub contact: Option<Zeroizing<String>>,
    pub oversight_only: bool,
    pub receipt: bool,
    pub evaluation: Evaluation,
}

impl Submission {
    /// Validates raw fields against the deployment's agencies.
    pub fn validate(raw: SubmitReport, state: &AppState) -> Result<Self, ApiError> {
        let body = Zeroizing::new(raw.body);
        let contact = raw.contact.map(Zeroizing::new);
        if contact.as_ref().is_some_and(|c| c.chars().count() > MAX_CONTACT_CHARS) {
            return Err(ApiError::BadRequest(format!(
                "The contact field is longer than {MAX_CONTACT_CHARS} characters."
            )));
        }
        let contact = contact.filter(|c| !c.trim().is_empty());
        let kind: Kind = raw.kind.parse().map_err(|_| {
            ApiError::BadRequest(format!(
                "Unknown kind. Use one of: {}.",
                Kind::ALL.map(|k| k.as_str()).join(", ")
            ))
        })?;
        if state.keyring.agency(&raw.agency).is_none() {
            return Err(ApiError::BadRequest(
                "Unknown agency. See GET /api/v1/agencies for the list.".into(),
            ));
        }
        if body.trim().is_empty() {
            return Err(ApiError::BadRequest("The report text is empty.".into()));
        }
        if body.chars().count() > MAX_BODY_CHARS {
            return Err(ApiError::BadRequest(format!(
                "The report text is longer than {MAX_BODY_CHARS} characters; shorten it or add the rest as a follow-up."
            )));
        }
        let mut evaluation = evaluation(state, kind, &raw.agency, raw.centre, raw.ratings)?;
        evaluation.visit =
            raw.visit_token.map(|t| visit(state, kind, &raw.agency, &evaluation, &t)).transpose()?;
        Ok(Self {
            kind,
            agency: raw.agency,
            body,
            contact,
            oversight_only: raw.oversight_only,
            receipt: raw.receipt,
            evaluation,
        })
    }

    fn payload(&self, today: time::Date) -> Payload {
        Payload {
            salt: None,
            part: Part::Report,
            kind: Some(self.kind),
            agency: Some(self.agency.clone()),
            body: self.body.to_string(),
            contact: self.contact.as_ref().map(|c| c.to_string()),
            written_on: today,
            author: None,
        }
    }
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
    if let Some(c) = centre.as_deref() {
        // Checked alone too, for a compliment (no answers) naming a wrong centre.
        state.services.check_centre(agency, c).map_err(bad)?;
    }
    let answers = ratings
        .map(|r| state.services.check_answers(agency, centre.as_deref(), &r))
        .transpose()
        .map_err(bad)?;
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
    let oversight_key = |id: &str| {
        state
            .keyring
            .reviewer(id)
            .filter(|r| r.entry.oversight && !r.is_revoked_on(today))
            .map(|r| r.public_key)
    };
    let deployment = &state.keyring.deployment_id;
    let v = amana_core::visit::verify(token, oversight_key, deployment, agency, e.centre.as_deref(), today)
        .map_err(|err| ApiError::VisitRefused(err.to_string()))?;
    Ok(SpentVisit { id: v.spent_id, expires_on: v.claims.valid_until })
}

/// What a successful submission hands back.
pub struct Filed {
    pub code: FollowUpCode,
    pub receipt: Option<Receipt>,
}

/// Derives a code, encrypts and commits a submission with the files that follow its fields,
/// if any; returns the code only after the commit.
pub async fn submit(state: &AppState, s: Submission, files: Option<FormParts>) -> Result<Filed, ApiError> {
    let today = state.today();
    // The code first: a busy KDF pool must refuse the request before an hour-long upload is
    // read, not throw it away after.
    let (code, salt, derived) = derive_code(state).await?;
    let recipients = state.keyring.recipients_for(&s.agency, s.oversight_only, today);
    let upload = match files {
        Some(parts) => Some(upload::store_files(state, parts, &recipients, CaseFiles::default()).await?),
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
        evaluation: s.evaluation.clone(),
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
        let raw = SubmitReport::from_parts(&mut parts)?;
        (Submission::validate(raw, &state)?, Some(parts))
    } else {
        let ApiJson(raw) = ApiJson::<SubmitReport>::from_request(req, &state).await?;
        (Submission::validate(raw, &state)?, None)
    };
    let filed = submit(&state, submission, files).await?;
    let code = filed.code.grouped().to_string();
    Ok((StatusCode::CREATED, Json(SubmitResponse { code, receipt: filed.receipt })).into_response())
}

impl SubmitReport {
    /// The same fields from a multipart form (booleans as `true`/`false`); unknown fields
    /// were refused as they arrived ([`REPORT_FORM`]), as in JSON.
    pub fn from_parts(parts: &mut FormParts) -> Result<Self, ApiError> {
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
        };
        Ok(raw)
    }
}

/// The KDF parameters to use, refusing the test setting outside test mode.
pub fn kdf_params(insecure_test_kdf: bool) -> KdfParams {
    if insecure_test_kdf {
        KdfParams::INSECURE_TEST
    } else {
        KdfParams::PRODUCTION
    }
}
