//! The server's error policy.
//!
//! * Clients get a status code, a stable machine-readable `error` and a `message` they can
//!   act on; never internal text (SQL, paths, crypto detail).
//! * The log gets the internal cause, by kind, and nothing about the request (no address,
//!   path, body or code): see `telemetry`.

use amana_core::{signing::SignatureError, wire::ErrorBody};
use axum::{
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Json,
};

/// Every way an API request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    /// Wrong, unknown or malformed code, unknown case: always the same answer.
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Unauthorized(#[from] SignatureError),
    #[error("this key may not do this")]
    Forbidden,
    /// A visit token that did not verify; the message says why and what to do.
    #[error("{0}")]
    VisitRefused(String),
    /// A reviewer named a case that does not exist or is outside its key's scope: one
    /// answer for both, so a key cannot learn which ids exist beyond its scope.
    #[error("no case with this id is in this key's scope")]
    NoSuchCase,
    #[error("{0}")]
    Conflict(String),
    /// A public resource that is not there (yet); the message says what is.
    #[error("{0}")]
    Missing(String),
    #[error("request body too large")]
    TooLarge,
    /// A file limit; the message says which.
    #[error("{0}")]
    FileLimit(FileLimit),
    #[error("busy")]
    Busy,
    /// The body came slower than the minimum upload rate.
    #[error("upload too slow")]
    TooSlow,
    /// The request did not finish within its time limit.
    #[error("request timed out")]
    Timeout,
    /// The code matched a case that retention purged on this date (`status::authenticate`):
    /// only the holder of the real code gets this answer.
    #[error("purged")]
    Purged(time::Date),
    /// The client speaks a format this server no longer serves; the message says to upgrade.
    #[error("{0}")]
    UpgradeRequired(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m.clone()),
            ApiError::NotFound => (
                StatusCode::NOT_FOUND,
                "not_found",
                "No report matches this code. Check the digits and try again.".into(),
            ),
            // Its own code, so a client gives the right advice (not "check your key and clock").
            ApiError::Unauthorized(e @ SignatureError::Replayed) => {
                (StatusCode::UNAUTHORIZED, "replayed", e.to_string())
            }
            ApiError::Unauthorized(e) => (StatusCode::UNAUTHORIZED, "unauthorized", e.to_string()),
            ApiError::Forbidden | ApiError::VisitRefused(_) => {
                (StatusCode::FORBIDDEN, "forbidden", self.to_string())
            }
            ApiError::NoSuchCase => (StatusCode::NOT_FOUND, "not_found", self.to_string()),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, "conflict", m.clone()),
            ApiError::Missing(m) => (StatusCode::NOT_FOUND, "not_found", m.clone()),
            ApiError::Purged(on) => (
                StatusCode::GONE,
                "purged",
                format!(
                    "This case was closed and its records were deleted on {}. Nothing more is kept \
                     about it.",
                    crate::store::format_date(*on)
                ),
            ),
            ApiError::UpgradeRequired(m) => (StatusCode::BAD_REQUEST, "upgrade_required", m.clone()),
            ApiError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "The request is too large. Shorten the text or send fewer or smaller files.".into(),
            ),
            ApiError::FileLimit(l) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large", l.to_string()),
            ApiError::TooSlow => (
                StatusCode::REQUEST_TIMEOUT,
                "timeout",
                "The upload arrived too slowly and was stopped. Nothing was saved. Please send it \
                 again, with smaller files or on a faster connection."
                    .into(),
            ),
            ApiError::Timeout => (
                StatusCode::REQUEST_TIMEOUT,
                "timeout",
                "The request took too long to arrive and was stopped. Nothing was saved; please \
                 send it again."
                    .into(),
            ),
            ApiError::Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "The service is busy. Nothing was saved; please try again in a minute.".into(),
            ),
            ApiError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Something went wrong on our side. Nothing was saved; please try again later.".into(),
            ),
        }
    }
}

/// Which file limit a request went over (each is configurable: `amana serve --help`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileLimit {
    /// One file is larger than the per-file limit.
    File { max_mb: u64 },
    /// The files of this case together are larger than allowed.
    Total { max_mb: u64 },
    /// More files than a case may have.
    Count { max: u64 },
    /// The server's storage for files is full.
    Quota,
}

impl std::fmt::Display for FileLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileLimit::File { max_mb } => write!(
                f,
                "A file is larger than {max_mb} MB. Nothing was saved. Send a smaller file \
                 (or split it), or send the report without it."
            ),
            FileLimit::Total { max_mb } => write!(
                f,
                "The files together are larger than {max_mb} MB for one report. Nothing was saved. \
                 Send fewer or smaller files."
            ),
            FileLimit::Count { max } => {
                write!(f, "A report can have at most {max} files. Nothing was saved. Send fewer files.")
            }
            FileLimit::Quota => write!(
                f,
                "The service cannot take more files right now. Nothing was saved. Send the report \
                 without files, or try again later."
            ),
        }
    }
}

/// Failures of the server's own crypto and encoding: never the client's doing, so
/// always a 500 whose cause goes to the log (by kind) and never to the client. Handlers
/// use `?` on them.
macro_rules! internal_from {
    ($($t:ty),* $(,)?) => {
        $(impl From<$t> for ApiError {
            fn from(e: $t) -> Self {
                ApiError::Internal(e.into())
            }
        })*
    };
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        use crate::store::{LimitBroken, StoreError};
        match e {
            // A concurrent upload to the same case (or server) got there first.
            StoreError::FileLimit(LimitBroken::Files { max }) => {
                ApiError::FileLimit(FileLimit::Count { max })
            }
            StoreError::FileLimit(LimitBroken::CaseBytes { max_bytes }) => {
                ApiError::FileLimit(FileLimit::Total { max_mb: max_bytes / (1024 * 1024) })
            }
            StoreError::FileLimit(LimitBroken::Quota) => ApiError::FileLimit(FileLimit::Quota),
            StoreError::VisitSpent => ApiError::Conflict(
                "This visit token was already used: each one counts one visit. Send the evaluation without it \
                 (it then counts as a public rating), or ask the oversight unit for a new token."
                    .into(),
            ),
            other => ApiError::Internal(other.into()),
        }
    }
}

internal_from!(
    amana_core::payload::PayloadError,
    amana_core::envelope::EnvelopeError,
    amana_core::kdf::KdfError,
    tokio::task::JoinError,
    serde_json::Error,
);

/// A request body refused by `amana_request`'s checks: a 400 with its message.
impl From<amana_request::BadRequest> for ApiError {
    fn from(e: amana_request::BadRequest) -> Self {
        ApiError::BadRequest(e.0)
    }
}

impl From<crate::kdf_pool::PoolError> for ApiError {
    fn from(e: crate::kdf_pool::PoolError) -> Self {
        match e {
            crate::kdf_pool::PoolError::Busy => ApiError::Busy,
            other => ApiError::Internal(other.into()),
        }
    }
}

tokio::task_local! {
    /// The internal cause of the request being answered, for [`log_causes`] to log. A slot
    /// per request (not a response extension) because pages turn an error into a fresh
    /// HTML answer, which would drop an extension.
    static CAUSE: std::cell::RefCell<Option<String>>;
}

/// The one place an internal cause is logged: once per failed request, after its answer is
/// built, however it was built (API body, error page, caught panic). The cause chain comes
/// from our own code and libraries, never from request data; nothing about the request
/// (address, path, body, code) is logged with it (SECURITY.md invariant 4).
pub async fn log_causes(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let (resp, cause) = CAUSE
        .scope(std::cell::RefCell::new(None), async {
            let resp = next.run(req).await;
            (resp, CAUSE.with(|c| c.borrow_mut().take()))
        })
        .await;
    if let Some(cause) = cause {
        tracing::error!(error = %cause, "request failed");
    }
    resp
}

/// Hands an internal cause to [`log_causes`]; outside a request (a background task), logs it.
fn record_cause(cause: &anyhow::Error) {
    let text = format!("{cause:#}");
    if let Err(_outside) = CAUSE.try_with(|c| *c.borrow_mut() = Some(text.clone())) {
        tracing::error!(error = %text, "failed");
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            record_cause(cause);
        }
        let (status, error, message) = self.parts();
        let mut resp = (status, Json(ErrorBody { error: error.into(), message })).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("30"));
        }
        resp
    }
}
