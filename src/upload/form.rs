//! The text fields of a `multipart/form-data` body, read up to the first file part as the
//! route's [`FormSpec`] allows them, with the body metered from the first byte.

use std::collections::HashMap;
use std::sync::Arc;

use axum::{extract::Request, http::header};
use zeroize::Zeroizing;

use super::meter::{Meter, MeteredBody};
use super::ATTACHMENT_FIELD;
use crate::config::UploadLimits;
use crate::error::{ApiError, FileLimit};

/// Room for the multipart framing (boundaries, part headers) on top of the text fields.
const FRAMING_BYTES: u64 = 64 * 1024;
/// What the parser may read ahead of what it has handed out: four times the largest body
/// chunk (hyper's are at most its read buffer, 64 KiB here: `server`; HTTP/2 frames 16 KiB).
const READ_AHEAD_BYTES: u64 = 256 * 1024;

/// The text fields one multipart route accepts before its files: each name with its
/// largest size in bytes, and a bound on all of them together.
#[derive(Debug, Clone)]
pub struct FormSpec {
    fields: Vec<(String, usize)>,
    total_bytes: usize,
}

impl FormSpec {
    /// No fields yet; all text fields together may hold `total_bytes`.
    pub fn new(total_bytes: usize) -> Self {
        Self { fields: Vec::new(), total_bytes }
    }

    /// Allows the text field `name` with at most `max_bytes` bytes.
    pub fn field(mut self, name: impl Into<String>, max_bytes: usize) -> Self {
        self.fields.push((name.into(), max_bytes));
        self
    }

    fn max_for(&self, name: &str) -> Option<usize> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, max)| *max)
    }
}

/// Whether a request carries `multipart/form-data`.
pub fn is_multipart(req: &Request) -> bool {
    content_type(req).is_some_and(|ct| ct.starts_with("multipart/form-data"))
}

fn content_type(req: &Request) -> Option<&str> {
    req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok())
}

/// The text fields of a multipart form, zeroized on drop, and the rest of the body.
pub struct FormParts {
    fields: HashMap<String, Zeroizing<String>>,
    pub(super) rest: Option<(multer::Multipart<'static>, multer::Field<'static>)>,
    pub(super) meter: Arc<Meter>,
}

impl FormParts {
    /// Removes and returns a text field.
    pub fn take(&mut self, name: &str) -> Option<String> {
        self.fields.remove(name).map(|mut v| std::mem::take(&mut *v))
    }

    /// Takes every text field as name/value pairs (for the page forms).
    pub fn take_all(&mut self) -> Vec<(String, String)> {
        let names: Vec<String> = self.fields.keys().cloned().collect();
        names.into_iter().filter_map(|n| self.take(&n).map(|v| (n, v))).collect()
    }

    /// Whether file parts follow.
    pub fn has_files(&self) -> bool {
        self.rest.is_some()
    }
}

/// A field name as the client sent it, shortened and escaped for an error message.
fn shown(name: &str) -> String {
    let short: String = name.chars().take(40).collect();
    let more = if short.len() < name.len() { "…" } else { "" };
    format!("{}{more}", short.escape_debug())
}

/// Reads the text fields of a multipart body, up to the first file part, as `spec`
/// allows them: an unknown or repeated name is refused when its header arrives, a field
/// over its own limit or over the limit of all text fields together as soon as it gets
/// there. The whole body is refused early if its declared length exceeds the limits.
pub async fn read_fields(
    req: Request,
    limits: &UploadLimits,
    spec: &FormSpec,
) -> Result<FormParts, ApiError> {
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_body_bytes()) {
        return Err(ApiError::FileLimit(FileLimit::Total { max_mb: limits.max_case_files_mb }));
    }
    let boundary = content_type(&req)
        .and_then(|ct| multer::parse_boundary(ct).ok())
        .ok_or_else(|| ApiError::BadRequest("The multipart body has no boundary.".into()))?;
    let meter = Arc::new(Meter::new(spec.total_bytes as u64 + FRAMING_BYTES + READ_AHEAD_BYTES));
    let stream = MeteredBody::new(req.into_body().into_data_stream(), meter.clone(), limits.min_rate());
    let constraints =
        multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(limits.max_body_bytes()));
    let mut multipart = multer::Multipart::with_constraints(stream, boundary, constraints);
    let mut fields = HashMap::new();
    let mut left = spec.total_bytes;
    while let Some(field) = multipart.next_field().await.map_err(|e| meter.error(e))? {
        let name = field.name().unwrap_or_default().to_string();
        if name == ATTACHMENT_FIELD {
            return Ok(FormParts { fields, rest: Some((multipart, field)), meter });
        }
        let Some(max) = spec.max_for(&name) else {
            return Err(ApiError::BadRequest(format!(
                "Unknown field `{}`. Nothing was saved. Files go in `attachment` parts after the text fields.",
                shown(&name)
            )));
        };
        if fields.contains_key(&name) {
            return Err(ApiError::BadRequest(format!(
                "The field `{}` appears twice. Nothing was saved. Send each field once.",
                shown(&name)
            )));
        }
        let value = read_text(field, max, &mut left, &meter).await?;
        fields.insert(name, value);
    }
    Ok(FormParts { fields, rest: None, meter })
}

async fn read_text(
    mut field: multer::Field<'static>,
    max: usize,
    left: &mut usize,
    meter: &Meter,
) -> Result<Zeroizing<String>, ApiError> {
    let mut bytes = Zeroizing::new(Vec::new());
    while let Some(chunk) = field.chunk().await.map_err(|e| meter.error(e))? {
        if bytes.len() + chunk.len() > max || chunk.len() > *left {
            return Err(ApiError::TooLarge);
        }
        *left -= chunk.len();
        bytes.extend_from_slice(&chunk);
    }
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| ApiError::BadRequest("A form field is not valid UTF-8 text.".into()))?;
    Ok(Zeroizing::new(text.to_string()))
}

pub(super) fn multipart_error(e: multer::Error) -> ApiError {
    match e {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            ApiError::TooLarge
        }
        _ => ApiError::BadRequest(
            "The multipart body is malformed or was cut off. Nothing was saved; please send it again.".into(),
        ),
    }
}
