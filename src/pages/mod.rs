//! The reporter's web pages: server-rendered HTML (maud) in eight languages that works with
//! JavaScript off, keeps no session and sets no cookie.
//!
//! * The language is the first path segment (`/ar/…`, [`crate::i18n`]); `/` redirects.
//! * Every action that needs the follow-up code asks for it again, in a POST body. The code
//!   is never part of a URL and appears only on the page that first shows it and on its
//!   confirmation step ([`report`]).
//! * Every page is `Cache-Control: no-store`; the router adds the other security headers,
//!   and [`errors::html_errors`] turns the framework's plain error answers on page paths
//!   (404, 405, 408, 413, 429 from the rate limiter, 500) into pages in the user's language.
//!
//! | route | handler |
//! |---|---|
//! | `GET /`, `GET /status`, `GET /{lang}` | [`home::root`], [`home::status_redirect`], [`home::lang_root`] |
//! | `GET /{lang}/` | [`home::home`] |
//! | `GET /{lang}/report/{kind}`, `POST /{lang}/report` | [`report::form`], [`report::submit`] |
//! | `POST /{lang}/confirm` | [`report::confirm`] |
//! | `GET`/`POST /{lang}/status` | [`status::form`], [`status::show`] |
//! | `POST /{lang}/followup`, `POST /{lang}/rating` | [`status::follow_up`], [`status::rating`] |

pub mod assets;
pub mod errors;
pub mod evaluation;
pub mod home;
pub mod layout;
pub mod report;
pub mod status;

use axum::{
    extract::{rejection::FormRejection, FromRequestParts},
    http::{header, request::Parts, HeaderMap, HeaderValue, StatusCode},
    response::{Html, IntoResponse, Response},
    Form,
};
use maud::Markup;

use crate::{
    i18n::{self, Lang},
    state::AppState,
};

/// The page language, from the first path segment. An unknown language is a 404 page.
pub struct PageLang(pub Lang);

impl FromRequestParts<AppState> for PageLang {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match lang_in_path(parts.uri.path()) {
            Some(lang) => Ok(PageLang(lang)),
            None => Err(errors::page_for_status(state, preferred(&parts.headers), StatusCode::NOT_FOUND)),
        }
    }
}

/// The language named by the first segment of `path`, if any.
pub fn lang_in_path(path: &str) -> Option<Lang> {
    Lang::from_tag(path.trim_start_matches('/').split('/').next().unwrap_or(""))
}

/// The language the browser asks for, else the deployment's default.
pub fn preferred(headers: &HeaderMap) -> Lang {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(i18n::negotiate)
        .unwrap_or(i18n::DEFAULT)
}

/// An HTML page that no cache may keep (pages may carry a code or case data).
pub fn html(status: StatusCode, markup: Markup) -> Response {
    let mut resp = (status, Html(markup.into_string())).into_response();
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// A posted form as name/value pairs, in order; a form that cannot be read becomes the
/// status its rejection carries (400, 413, 415).
pub type Fields = Result<Form<Vec<(String, String)>>, FormRejection>;

/// A posted form that may carry files: its text fields as pairs and, for
/// `multipart/form-data`, the file parts still to be read (`upload`).
pub struct FormWithFiles {
    pub pairs: Vec<(String, String)>,
    pub files: Option<crate::upload::FormParts>,
    /// A limit the whole body goes over, found before any file was read but reported only
    /// after the text fields were: so the form can be shown again with them.
    pub refused: Option<crate::error::ApiError>,
}

impl FormWithFiles {
    /// Reads an urlencoded or multipart form; an error carries the status to show.
    pub async fn read(
        state: &AppState,
        mut req: axum::extract::Request,
        spec: &crate::upload::FormSpec,
    ) -> Result<Self, crate::error::ApiError> {
        use crate::error::{ApiError, FileLimit};
        use axum::extract::FromRequest;
        if !crate::upload::is_multipart(&req) {
            return match Form::<Vec<(String, String)>>::from_request(req, state).await {
                Ok(Form(pairs)) => Ok(Self { pairs, files: None, refused: None }),
                Err(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::TooLarge),
                Err(_) => Err(ApiError::BadRequest("The form could not be read.".into())),
            };
        }
        // A body declared larger than any case may hold is refused all the same, but only
        // once its text fields (which come first) are read; none of its files is.
        let limits = &state.uploads;
        let declared =
            req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        let too_large = declared.is_some_and(|n| n > limits.max_body_bytes());
        if too_large {
            // Read as a body of unknown length: the parser's own limit on the whole stream
            // (the same bound) still applies.
            req.headers_mut().remove(header::CONTENT_LENGTH);
        }
        let mut parts = crate::upload::read_fields(req, limits, spec).await?;
        let pairs = parts.take_all();
        if too_large {
            let refused = ApiError::FileLimit(FileLimit::Total { max_mb: limits.max_case_files_mb });
            return Ok(Self { pairs, files: None, refused: Some(refused) });
        }
        Ok(Self { pairs, files: Some(parts), refused: None })
    }
}

/// Takes the first value of field `name` out of `pairs` (leaving an empty string).
fn take(pairs: &mut [(String, String)], name: &str) -> Option<String> {
    pairs.iter_mut().find(|(k, _)| k == name).map(|(_, v)| std::mem::take(v))
}

/// Empties every value so the text does not linger in the form's buffer longer than needed.
fn wipe(pairs: &mut Vec<(String, String)>) {
    use zeroize::Zeroize;
    for (_, v) in pairs.iter_mut() {
        v.zeroize();
    }
    pairs.clear();
}
