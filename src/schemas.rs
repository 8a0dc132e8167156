//! Documentation-only types of the reporter API's OpenAPI document: the shapes of bodies the
//! handlers build from `amana_core` types. A leaf module, so the handlers can name them in
//! their annotations without depending on the document that lists the handlers.

use utoipa::ToSchema;

/// The error body every API error uses (mirrors `amana_core::wire::ErrorBody`).
#[derive(ToSchema)]
#[schema(as = Error)]
#[allow(dead_code)]
pub struct ErrorSchema {
    /// Machine-readable.
    #[schema(value_type = ErrorKind)]
    error: String,
    /// What you can do about it, in words.
    message: String,
}

/// The machine-readable kinds of error.
#[derive(ToSchema)]
#[allow(dead_code, non_camel_case_types)]
pub enum ErrorKind {
    bad_request,
    not_found,
    unauthorized,
    /// A signed request the server has already seen (its nonce is spent).
    replayed,
    forbidden,
    conflict,
    upgrade_required,
    too_large,
    timeout,
    rate_limited,
    busy,
    internal,
}

/// `GET /.well-known/amana-receipt-key` (mirrors `amana_core::wire::ReceiptKey`).
#[derive(ToSchema)]
#[schema(as = ReceiptKey)]
#[allow(dead_code)]
pub struct ReceiptKeySchema {
    /// The deployment that signs receipts.
    deployment_id: String,
    /// Base64 of the raw 32-byte Ed25519 public key.
    ed25519_public_key: String,
}

/// A proof-of-filing receipt (mirrors `amana_core::receipt::Receipt`; docs/FORMATS.md §6).
#[derive(ToSchema)]
#[schema(as = Receipt)]
#[allow(dead_code)]
pub struct ReceiptSchema {
    /// Always `amana-receipt-v1`.
    version: String,
    deployment_id: String,
    /// UTC date of filing, YYYY-MM-DD.
    date: String,
    /// Random 32 bytes, hex; stored nowhere else.
    nonce: String,
    /// Hex SHA-256 over the nonce and the normalised text.
    digest: String,
    /// Base64 Ed25519 signature by the server's receipt key.
    signature: String,
}
