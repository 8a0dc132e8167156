//! A signed reviewer request, in two types: [`Signed`] as it arrived, which can only be
//! verified, and [`SignedRequest`], what verifying it gives back — the only way to read the
//! body. So no handler can parse, or act on, a body whose signature was not checked.

use amana_core::{
    route,
    wire::{is_sha256_hex, SignedHead},
};
use axum::{
    body::Bytes,
    http::{HeaderMap, Method, Uri},
};
use serde::de::DeserializeOwned;

use super::UNBOUND_BODY;
use crate::{
    auth::{self, Verified},
    error::ApiError,
    state::AppState,
};

/// A reviewer request as it arrived, not yet verified.
///
/// Its body has no accessor: the only thing to do with it is [`Signed::verify`], which
/// consumes it and returns a [`SignedRequest`]. The compiler holds this:
///
/// ```compile_fail,E0599
/// fn peek(req: amana::review_api::Signed) {
///     let _ = req.head(); // no such method: verify first
/// }
/// ```
pub struct Signed {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
}

/// A request whose signature, date, key and nonce were verified over its route's one
/// canonical spelling: who signed it, and the body they signed.
pub struct SignedRequest<'s> {
    /// The reviewer and the signed action to keep in the history.
    pub by: Verified<'s>,
    body: Bytes,
}

impl Signed {
    /// Verifies the signature of a request sent to `route`, the canonical form the handler
    /// rebuilt from the parameters it decoded (docs/FORMATS.md §3). Any other spelling of
    /// the route — a percent-encoded id, a query the route does not take — is refused before
    /// the signature is checked or the nonce spent: homes accept a signed action only over
    /// the route it acted on, so a second spelling would make a case unverifiable for all.
    pub async fn verify<'s>(self, state: &'s AppState, route: &str) -> Result<SignedRequest<'s>, ApiError> {
        let sent = self.uri.path_and_query().map_or("/", |p| p.as_str());
        if sent != route {
            return Err(ApiError::BadRequest(format!(
                "the request must be sent and signed as {route} (one canonical form: docs/FORMATS.md §3)"
            )));
        }
        let by = auth::verify(state, &self.method, &self.uri, &self.headers, &self.body).await?;
        Ok(SignedRequest { by, body: self.body })
    }

    /// The canonical form of a route that takes a query: its path with the query sorted
    /// and encoded one way (`amana_core::route`).
    pub fn with_canonical_query(&self, path: &str) -> Result<String, ApiError> {
        route::canonical_target(path, self.uri.query())
            .map_err(|e| ApiError::BadRequest(format!("invalid query: {e}")))
    }

    /// The query as sent (part of what the signature covers; not the body).
    pub fn query(&self) -> Option<&str> {
        self.uri.query()
    }
}

impl SignedRequest<'_> {
    /// The signed body, parsed as `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| ApiError::BadRequest(format!("invalid request body: {e}")))
    }

    /// The history head the signed body names (docs/FORMATS.md §3), read before the body's
    /// type so that a body signed by an older `amana-review` (no head, or a bare rewrap
    /// list) gets `upgrade_required` and a message that says what to do, not a parse error.
    /// Refusing it also keeps head-less actions out of every history from now on, which is
    /// what lets `amana-review` refuse one that follows a head-bound action.
    pub fn head(&self) -> Result<String, ApiError> {
        match SignedHead::of_body(&self.body) {
            Some(SignedHead::Bound(head)) if is_sha256_hex(&head) => Ok(head),
            Some(SignedHead::Bound(_)) => Err(ApiError::BadRequest(
                "head must be the lowercase hex SHA-256 of an event of the case".into(),
            )),
            Some(SignedHead::Unbound) => Err(ApiError::UpgradeRequired(UNBOUND_BODY.into())),
            None => Err(ApiError::BadRequest("invalid request body: expected a JSON object".into())),
        }
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
