//! The OpenAPI 3.1 document of the reporter API, generated from the handlers' annotations.

use utoipa::{OpenApi, ToSchema};

/// The error body every API error uses (mirrors `amana_core::wire::ErrorBody`).
#[derive(ToSchema)]
#[schema(as = Error)]
#[allow(dead_code)]
pub struct ErrorSchema {
    /// Machine-readable: bad_request, not_found, unauthorized, forbidden, conflict, too_large, busy, internal.
    error: String,
    /// What you can do about it.
    message: String,
}

/// The reporter API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Amana reporter API",
        description = "Anonymous reports and the citizen voice. No cookies, no sessions: the follow-up code is the only credential. The reviewer API (signed requests) is specified in docs/FORMATS.md."
    ),
    paths(
        crate::intake::submit_json,
        crate::status::status_json,
        crate::followup::follow_up_json,
        crate::followup::rating_json,
        crate::public::receipt_key,
        crate::public::agencies,
        crate::public::healthz,
    ),
    components(schemas(ErrorSchema))
)]
pub struct ApiDoc;
