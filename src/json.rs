//! A JSON extractor whose rejections use [`ApiError`]: 413 for oversized bodies, 400 with
//! a message in our own words for everything else. The checking itself is
//! `amana_request::fields` (no I/O, so the fuzz targets call it too).

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::{header, HeaderMap, StatusCode},
};
use serde::de::DeserializeOwned;

pub use amana_request::fields::{check, Expect, Field, JsonFields};

use crate::error::ApiError;

/// `Json<T>` with the application's error type.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned + JsonFields,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = json_body(req, state).await?;
        Ok(ApiJson(amana_request::fields::parse(&bytes)?))
    }
}

/// The body of a request that says it is JSON (not parsed yet), within the route's limit.
pub async fn json_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    if !is_json(req.headers()) {
        return Err(ApiError::BadRequest(
            "Send the body as JSON with `Content-Type: application/json`.".into(),
        ));
    }
    Bytes::from_request(req, state).await.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge
        } else {
            ApiError::BadRequest("The request body could not be read.".into())
        }
    })
}

/// `application/json` or `application/*+json`, as axum's `Json` accepts.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(ct) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else { return false };
    let essence = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}
