//! Error pages in the user's language that never reveal internals, and the middleware that
//! gives page paths such a page whatever produced the error (a handler, the router's 404 and
//! 405, the body limit's 413, the rate limiter's 429, the timeout's 408, the panic guard's
//! 500). API paths keep their JSON answers.

use axum::{
    extract::{Request, State},
    http::{header, HeaderName, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use maud::html;

use super::{
    home::{is_page_path, lang_for},
    html,
    layout::Frame,
};
use crate::{
    error::{ApiError, FileLimit},
    i18n::Lang,
    state::AppState,
};

/// The message key for an error status.
fn message_key(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 | 415 | 422 => "error-400",
        404 => "error-404",
        405 => "error-405",
        408 => "error-408",
        409 => "error-409",
        413 => "error-413",
        429 => "error-429",
        503 => "error-503",
        _ => "error-500",
    }
}

/// An error page for `status`, for a page that was asked for (GET).
pub fn page_for_status(state: &AppState, lang: Lang, status: StatusCode) -> Response {
    render_text(state, lang, status, lang.t(message_key(status)), Back::Nothing)
}

/// An error page for `status` in answer to a sent form, saying what `back` leads to.
pub fn page_after_post(state: &AppState, lang: Lang, status: StatusCode, back: Back) -> Response {
    render_text(state, lang, status, lang.t(message_key(status)), back)
}

/// What the browser's Back button does for a form refused before it was read (a body too
/// large, a rate limit, a timeout): only the browser still has what was typed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Back {
    /// Nothing worth saying: a page that was asked for, or a form whose fields are only a
    /// code (browsers do not keep `autocomplete="off"` fields on the way back).
    Nothing,
    /// The report form, a page of its own: Back shows it again with the text in it (not
    /// the contact field, which is `autocomplete="off"`, nor files).
    KeepsText,
    /// A form on the case page, itself the answer to a sent form: Back asks to send that
    /// again, and what was typed on it is not kept.
    CasePage,
}

impl Back {
    /// For a POST to `path`.
    pub fn after_post_to(path: &str) -> Self {
        if path.ends_with("/report") {
            Back::KeepsText
        } else if path.ends_with("/followup") || path.ends_with("/rating") {
            Back::CasePage
        } else {
            Back::Nothing
        }
    }
}

fn render_text(state: &AppState, lang: Lang, status: StatusCode, message: String, back: Back) -> Response {
    let f = Frame::new(state, lang, "");
    let main = html! {
        h1 { (f.t("error-title")) }
        p.error { (message) }
        @match back {
            Back::KeepsText => {
                // Going back is the way on, not the start page: that opens an empty form.
                p.next { strong { (f.t("error-back")) } }
                p #other { (f.t("error-back-links")) }
                ul.other aria-labelledby="other" {
                    li { a href=(f.href("")) { (f.t("error-home")) } }
                    li { a href=(f.href("status")) { (f.t("footer-check")) } }
                }
            },
            Back::CasePage | Back::Nothing => {
                @if back == Back::CasePage { p.next { (f.t("error-back-case")) } }
                p { a href=(f.href("")) { (f.t("error-home")) } }
                p { a href=(f.href("status")) { (f.t("footer-check")) } }
            },
        }
    };
    let mut resp = html(status, f.render(&f.t("error-title"), main));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
    }
    resp
}

/// The status of a failed action and what to tell the reporter, in their language. The
/// API error's own text (English, for developers) is not used; an internal cause is
/// logged once for the request by `error::log_causes`, as for the API.
pub fn explain(lang: Lang, e: ApiError) -> (StatusCode, String) {
    let special = match &e {
        ApiError::FileLimit(limit) => Some(file_limit_message(lang, *limit)),
        ApiError::NotFound => Some(lang.t("error-code-404")),
        // A follow-up or rating sent with a purged case's code: say when it was purged.
        ApiError::Purged(on) => {
            Some(lang.t_args("status-purged", &[("date", lang.date(&crate::store::format_date(*on)))]))
        }
        _ => None,
    };
    let status = e.into_response().status();
    (status, special.unwrap_or_else(|| lang.t(message_key(status))))
}

/// Like [`explain`], for a form shown again below the message: an incomplete or invalid
/// form asks to check the form below rather than to go back.
pub fn explain_again(lang: Lang, e: ApiError) -> (StatusCode, String) {
    match e {
        ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, lang.t("form-again-invalid")),
        e => explain(lang, e),
    }
}

/// An error page for a sent form that failed before its text could be read back, saying
/// what `back` leads to.
pub fn page_for_error(state: &AppState, lang: Lang, e: ApiError, back: Back) -> Response {
    let (status, message) = explain(lang, e);
    render_text(state, lang, status, message, back)
}

/// Which file limit was hit, in the reporter's language, with the limit's figure.
fn file_limit_message(lang: Lang, limit: FileLimit) -> String {
    let n = |v: u64| lang.digits(&v.to_string());
    match limit {
        FileLimit::File { max_mb } => lang.t_args("error-file-too-large", &[("max", n(max_mb))]),
        FileLimit::Total { max_mb } => lang.t_args("error-files-total", &[("max", n(max_mb))]),
        FileLimit::Count { max } => lang.t_args("error-files-count", &[("max", n(max))]),
        FileLimit::Quota => lang.t("error-files-quota"),
    }
}

/// Around the whole router: error answers on page paths that are not already HTML become
/// error pages (keeping `Retry-After` and `Allow`), and HTML pages get `Onion-Location`
/// when the operator set one.
pub async fn html_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let lang = is_page_path(&path).then(|| lang_for(&path, req.headers()));
    let posted = req.method() == axum::http::Method::POST;
    let resp = next.run(req).await;
    let Some(lang) = lang else { return resp };
    let status = resp.status();
    let is_html = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let mut resp = if (status.is_client_error() || status.is_server_error()) && !is_html {
        let mut page = match posted {
            true => page_after_post(&state, lang, status, Back::after_post_to(&path)),
            false => page_for_status(&state, lang, status),
        };
        for name in [header::RETRY_AFTER, header::ALLOW] {
            if let Some(v) = resp.headers().get(&name) {
                page.headers_mut().insert(name, v.clone());
            }
        }
        page
    } else {
        resp
    };
    if let Some(origin) = &state.onion_location {
        if let Ok(v) = HeaderValue::from_str(&format!("{origin}{path}")) {
            resp.headers_mut().insert(HeaderName::from_static("onion-location"), v);
        }
    }
    resp
}

/// Checks an `--onion-location` setting: `http://` or `https://`, a `.onion` host, nothing
/// after it. Returns the origin without a trailing slash.
pub fn onion_origin(url: &str) -> anyhow::Result<String> {
    let url = url.trim().trim_end_matches('/');
    let host = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| anyhow::anyhow!("--onion-location must start with http:// or https://"))?;
    let name = host.split(':').next().unwrap_or("");
    let label = name.strip_suffix(".onion").unwrap_or("");
    let valid =
        label.len() == 56 && label.chars().all(|c| c.is_ascii_lowercase() || ('2'..='7').contains(&c));
    if !valid || host.contains(['/', '?', '#', '@']) {
        anyhow::bail!(
            "--onion-location must be the origin of a v3 onion service, e.g. http://<56 characters>.onion"
        );
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn onion_origins_are_checked() {
        let host = "a".repeat(56);
        assert_eq!(onion_origin(&format!("http://{host}.onion/")).unwrap(), format!("http://{host}.onion"));
        assert!(onion_origin(&format!("https://{host}.onion")).is_ok());
        assert!(onion_origin("https://example.org").is_err());
        assert!(onion_origin(&format!("http://{host}.onion/path")).is_err());
        assert!(onion_origin(&format!("ftp://{host}.onion")).is_err());
        assert!(onion_origin("http://short.onion").is_err());
    }

    #[test]
    fn every_error_status_has_a_message() {
        for s in [400u16, 404, 405, 408, 409, 413, 415, 429, 500, 503] {
            let key = message_key(StatusCode::from_u16(s).unwrap());
            assert!(Lang::En.t(key) != format!("Unknown localization key: {key:?}"), "{s}");
        }
    }
}
