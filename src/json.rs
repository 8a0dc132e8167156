//! A JSON extractor whose rejections use [`ApiError`]: 413 for oversized bodies, 400 with
//! a message the client can act on for everything else.

use axum::{
    extract::{rejection::JsonRejection, FromRequest, Request},
    http::StatusCode,
};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// `Json<T>` with the application's error type.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(rejection_to_error(rejection)),
        }
    }
}

fn rejection_to_error(r: JsonRejection) -> ApiError {
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::TooLarge;
    }
    let message = match &r {
        JsonRejection::MissingJsonContentType(_) => {
            "Send the body as JSON with `Content-Type: application/json`.".to_string()
        }
        // serde's message names the field and what was expected; it echoes at most a short
        // token of the client's own input back to the same client, and is never logged.
        JsonRejection::JsonDataError(e) => format!("Invalid field: {}", e.body_text()),
        JsonRejection::JsonSyntaxError(_) => "The body is not valid JSON.".to_string(),
        _ => "The request body could not be read.".to_string(),
    };
    ApiError::BadRequest(message)
}
