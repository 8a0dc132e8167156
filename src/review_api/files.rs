//! Evidence files: the content of one file, streamed to a reviewer in scope.

use super::*;

/// `GET /api/v1/review/cases/{id}/attachments/{attachment}`: the file's content age file,
/// streamed piece by piece from the store (bounded memory, whatever its size).
pub async fn attachment(
    State(state): State<AppState>,
    path: AttachmentPath,
    req: Signed,
) -> Result<axum::response::Response, ApiError> {
    let v = req.verify(&state, &path.route()).await?.by;
    let case_id = scoped_case(&state, &v, &path.case).await?.id;
    let attachment_id = path.attachment().ok_or(ApiError::NotFound)?;
    let file = state
        .store
        .attachments(&case_id)
        .await?
        .into_iter()
        .find(|a| a.id == attachment_id.as_str())
        .ok_or(ApiError::NotFound)?;
    let store = state.store.clone();
    let pieces = futures_util::stream::try_unfold(0i64, move |seq| {
        let (store, case_id, id) = (store.clone(), case_id.clone(), file.id.clone());
        async move {
            if seq >= file.pieces {
                return Ok(None);
            }
            match store.attachment_piece(&case_id, &id, seq).await {
                Ok(Some(data)) => Ok(Some((Bytes::from(data), seq + 1))),
                Ok(None) => Err(std::io::Error::other("attachment piece missing")),
                Err(e) => Err(std::io::Error::other(e)),
            }
        }
    });
    let mut resp = axum::body::Body::from_stream(pieces).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(file.size));
    Ok(resp)
}
