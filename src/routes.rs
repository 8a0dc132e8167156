//! The router: every route, its body limit, and the headers every response carries.

use axum::{
    extract::DefaultBodyLimit,
    http::{header, HeaderName, HeaderValue},
    response::IntoResponse,
    routing::{get, patch, post},
    Router,
};
use std::time::Duration;
use tower_http::{catch_panic::CatchPanicLayer, set_header::SetResponseHeaderLayer, timeout::TimeoutLayer};

use crate::{
    config::UploadLimits,
    error::ApiError,
    followup, intake,
    limits::{Budget, LimitSettings},
    pages, public, review_api,
    state::AppState,
    status, upload,
};

/// A strict policy: only our own resources, no script at all, no framing.
const CSP: &str = "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; \
                   form-action 'self'; frame-ancestors 'none'; img-src 'self'; style-src 'self'";

/// Browser features no page needs, all switched off.
const PERMISSIONS: &str = "accelerometer=(), autoplay=(), browsing-topics=(), camera=(), \
                           display-capture=(), fullscreen=(), geolocation=(), gyroscope=(), \
                           magnetometer=(), microphone=(), midi=(), payment=(), \
                           publickey-credentials-get=(), screen-wake-lock=(), serial=(), usb=(), \
                           xr-spatial-tracking=()";

fn security_headers(router: Router, state: AppState) -> Router {
    let set = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    router
        // Innermost, so the pages it makes out of plain error answers get the headers below.
        .layer(axum::middleware::from_fn_with_state(state, pages::errors::html_errors))
        .layer(set(header::CONTENT_SECURITY_POLICY, CSP))
        .layer(set(header::REFERRER_POLICY, "no-referrer"))
        .layer(set(header::X_FRAME_OPTIONS, "DENY"))
        .layer(set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(set(HeaderName::from_static("permissions-policy"), PERMISSIONS))
        .layer(set(HeaderName::from_static("cross-origin-opener-policy"), "same-origin"))
        // API answers and pages may carry case data; nothing is worth caching.
        .layer(set(header::CACHE_CONTROL, "no-store"))
}

/// A request timeout layer answering 408.
fn timeout(secs: u64) -> TimeoutLayer {
    TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, Duration::from_secs(secs.max(1)))
}

/// The time limit of a route that takes files: a `multipart/form-data` body (an upload,
/// which also has a minimum data rate: `upload`) gets the upload time; anything else — JSON,
/// an urlencoded form — the request time, so a client trickling a small body cannot hold a
/// connection for the upload time.
async fn body_deadline(
    axum::extract::State((request, upload)): axum::extract::State<(Duration, Duration)>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let limit = if upload::is_multipart(&req) { upload } else { request };
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => ApiError::Timeout.into_response(),
    }
}

/// The two limits [`body_deadline`] chooses from.
fn deadlines(limits: &LimitSettings, uploads: &UploadLimits) -> (Duration, Duration) {
    (
        Duration::from_secs(limits.request_timeout_secs.max(1)),
        Duration::from_secs(uploads.upload_timeout_secs.max(1)),
    )
}

/// Submissions: JSON, multipart and form. Their own rate budget. The body limit applies to
/// JSON and urlencoded bodies; multipart bodies stream under the file limits (`upload`).
fn submit_routes(limits: &LimitSettings, uploads: &UploadLimits) -> anyhow::Result<Router<AppState>> {
    let budget = limits.costly()?;
    Ok(Router::new()
        .route("/api/v1/reports", post(intake::submit_json))
        .route("/{lang}/report", post(pages::report::submit))
        .layer(DefaultBodyLimit::max(intake::MAX_JSON_BYTES))
        .layer(axum::middleware::from_fn_with_state(deadlines(limits, uploads), body_deadline))
        .layer(budget.global)
        .layer(budget.peer))
}

/// Everything that checks a code (one Argon2id derivation each). Their own rate budget.
fn code_routes(limits: &LimitSettings, uploads: &UploadLimits, budget: &Budget) -> Router<AppState> {
    let small = Router::new()
        .route("/api/v1/status", post(status::status_json))
        .route("/api/v1/rating", post(followup::rating_json))
        .route("/{lang}/status", post(pages::status::show))
        .route("/{lang}/rating", post(pages::status::rating))
        .layer(DefaultBodyLimit::max(status::MAX_STATUS_BYTES))
        .layer(timeout(limits.request_timeout_secs));
    let with_text = Router::new()
        .route("/api/v1/followups", post(followup::follow_up_json))
        .route("/{lang}/followup", post(pages::status::follow_up))
        .layer(DefaultBodyLimit::max(intake::MAX_JSON_BYTES))
        .layer(axum::middleware::from_fn_with_state(deadlines(limits, uploads), body_deadline));
    small.merge(with_text).layer(budget.global.clone()).layer(budget.peer.clone())
}

/// Resumable evidence uploads (`upload::resumable`): a small JSON body to begin, the offset,
/// and appends, which stream under the upload time and the minimum rate as multipart
/// uploads do (the declared size bounds their bodies, not the JSON limit). A start that
/// carries a follow-up code is checked under the code routes' own budget (`code_checks`).
fn resumable_routes(limits: &LimitSettings, uploads: &UploadLimits, code_checks: Router) -> Router<AppState> {
    use upload::{follow_up, resumable};
    let append = Router::new()
        .route("/api/v1/uploads/{capability}", patch(resumable::append))
        .layer(DefaultBodyLimit::disable())
        .layer(timeout(uploads.upload_timeout_secs));
    Router::new()
        .route(
            "/api/v1/uploads",
            post(resumable::start)
                .layer(axum::middleware::from_fn_with_state(code_checks, follow_up::by_shape)),
        )
        .route("/api/v1/uploads/{capability}", get(resumable::status))
        .layer(DefaultBodyLimit::max(follow_up::START_BYTES))
        .layer(timeout(limits.request_timeout_secs))
        .merge(append)
}

/// Starts of follow-up uploads: they check a code, so they share the code routes' budget.
fn follow_up_starts(limits: &LimitSettings, budget: &Budget, state: AppState) -> Router {
    Router::new()
        .route("/api/v1/uploads", post(upload::resumable::start))
        .layer(DefaultBodyLimit::max(upload::follow_up::START_BYTES))
        .layer(timeout(limits.request_timeout_secs))
        .layer(budget.global.clone())
        .layer(budget.peer.clone())
        .with_state(state)
}

fn review_routes(limits: &LimitSettings, uploads: &UploadLimits) -> Router<AppState> {
    // A large file takes long to fetch over Tor; nothing else here does.
    let download = Router::new()
        .route("/api/v1/review/cases/{id}/attachments/{attachment}", get(review_api::attachment))
        .layer(timeout(uploads.upload_timeout_secs));
    Router::new()
        .route("/api/v1/review/cases", get(review_api::list_cases))
        .route("/api/v1/review/cases/{id}/status", post(review_api::set_status))
        .route("/api/v1/review/cases/{id}/replies", post(review_api::reply))
        .route("/api/v1/review/cases/{id}/extend", post(review_api::extend))
        .route("/api/v1/review/cases/{id}/rewrap", post(review_api::rewrap))
        .route("/api/v1/review/cases/{id}/hold", post(review_api::hold))
        .route("/api/v1/review/cases/{id}/release", post(review_api::release))
        .route("/api/v1/review/cases/{id}/transfer", post(review_api::transfer))
        .route("/api/v1/review/cases/{id}/exclude", post(review_api::exclude))
        .route("/api/v1/review/cases/{id}/assign", post(review_api::assign))
        .route("/api/v1/review/inbox", get(review_api::inbox))
        .route("/api/v1/review/publications", post(crate::transparency::upload))
        .route(
            "/api/v1/review/improvements",
            post(crate::improvements::upload).get(crate::improvements::list),
        )
        .layer(timeout(limits.request_timeout_secs))
        .merge(download)
        .layer(DefaultBodyLimit::max(review_api::MAX_REVIEW_BYTES))
}

fn read_only_routes(limits: &LimitSettings) -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home::root))
        .route("/status", get(pages::home::status_redirect))
        .route("/{lang}", get(pages::home::lang_root))
        .route("/{lang}/", get(pages::home::home))
        .route("/{lang}/report/{kind}", get(pages::report::form))
        .route("/{lang}/status", get(pages::status::form))
        // Compares two typed codes; touches no data, so no costly budget. Its body may
        // carry a receipt and the text it covers back, hence the report's limit.
        .route(
            "/{lang}/confirm",
            post(pages::report::confirm).layer(DefaultBodyLimit::max(intake::MAX_JSON_BYTES)),
        )
        .route("/static/amana.css", get(pages::assets::css))
        .route("/static/icon.svg", get(pages::assets::icon))
        .route("/api/v1/agencies", get(public::agencies))
        .route("/api/v1/transparency", get(crate::transparency::list))
        .route("/api/v1/transparency/{period}", get(crate::transparency::period))
        .route("/{lang}/transparency", get(crate::transparency::page))
        .route("/api/v1/openapi.json", get(crate::openapi::openapi_json))
        .route("/.well-known/amana-receipt-key", get(public::receipt_key))
        .route("/healthz", get(public::healthz))
        .layer(DefaultBodyLimit::max(16 * 1024))
        .layer(timeout(limits.request_timeout_secs))
}

/// Test mode only (`--insecure-test-kdf`): a route that panics with the request body in
/// its message, so the logging test can prove a panic's payload never reaches the log.
fn panic_route() -> Router<AppState> {
    async fn boom(body: String) -> &'static str {
        #[allow(clippy::panic)]
        {
            panic!("test panic carrying request data: {body}")
        }
    }
    Router::new().route("/__test/panic", post(boom)).layer(DefaultBodyLimit::max(1024))
}

/// Builds the application router with its limits.
pub fn router(state: AppState, limits: &LimitSettings, uploads: &UploadLimits) -> anyhow::Result<Router> {
    let pages_state = state.clone();
    let test_only = state.insecure_test_kdf;
    let code_budget = limits.costly()?;
    let code_checks = follow_up_starts(limits, &code_budget, state.clone());
    let app = Router::new()
        .merge(submit_routes(limits, uploads)?)
        .merge(code_routes(limits, uploads, &code_budget))
        // Cheap routes get a per-client budget each. The costly groups above have their own
        // per-client and global budgets and are deliberately NOT under a shared per-client
        // limiter: behind Tor every client is 127.0.0.1, and a shared one would let a flood
        // of submissions starve status checks (measured in benches/server.rs).
        .merge(review_routes(limits, uploads).layer(limits.general()?))
        .merge(resumable_routes(limits, uploads, code_checks).layer(limits.general()?))
        .merge(read_only_routes(limits).layer(limits.general()?))
        .merge(if test_only { panic_route() } else { Router::new() })
        .with_state(state)
        // Each route group has its own request timeout (uploads and downloads need long).
        // The panic payload may quote request data, so it is dropped, not logged.
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::Internal(anyhow::anyhow!("a request handler panicked")).into_response()
        }))
        .layer(axum::middleware::from_fn(crate::error::log_causes));
    Ok(security_headers(app, pages_state))
}
