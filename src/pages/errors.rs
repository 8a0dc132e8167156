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

/// An error page for `status`.
pub fn page_for_status(state: &AppState, lang: Lang, status: StatusCode) -> Response {
    render(state, lang, status, message_key(status))
}

fn render(state: &AppState, lang: Lang, status: StatusCode, key: &str) -> Response {
    render_text(state, lang, status, lang.t(key))
}

fn render_text(state: &AppState, lang: Lang, status: StatusCode, message: String) -> Response {
    let f = Frame::new(state, lang, "");
    let main = html! {
        h1 { (f.t("error-title")) }
        p.error { (message) }
        p { a href=(f.href("")) { (f.t("error-home")) } }
        p { a href=(f.href("status")) { (f.t("footer-check")) } }
    };
    let mut resp = html(status, f.render(&f.t("error-title"), main));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
    }
    resp
}

/// An error page for a failed action. The API error's own text (English, for developers)
/// is not shown; an internal cause is logged by `ApiError`'s conversion, as for the API.
pub fn page_for_error(state: &AppState, lang: Lang, e: ApiError) -> Response {
    if let ApiError::FileLimit(limit) = e {
        return render_text(state, lang, StatusCode::PAYLOAD_TOO_LARGE, file_limit_message(lang, limit));
    }
    let code_miss = matches!(e, ApiError::NotFound);
    let status = e.into_response().status();
    if code_miss {
        render(state, lang, status, "error-code-404")
    } else {
        page_for_status(state, lang, status)
    }
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
    let resp = next.run(req).await;
    let Some(lang) = lang else { return resp };
    let status = resp.status();
    let is_html = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let mut resp = if (status.is_client_error() || status.is_server_error()) && !is_html {
        let mut page = page_for_status(&state, lang, status);
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
