//! Who may reach the desk: only the browser that opened the printed address.
//!
//! Every request must name the desk's own `Host` (`127.0.0.1:PORT` or `localhost:PORT`), so a
//! DNS-rebinding page (whose requests carry its own host name) gets nothing. The secret token
//! in the printed address is exchanged at once for an HttpOnly, SameSite=Strict cookie and
//! dropped from the address (303 to the same path without it), so history and session restore
//! do not keep it. Without the cookie: 401. A POST must also come from the desk's own origin
//! (`Origin`, or `Referer` when a browser sends no Origin) and carry the form token (checked
//! by each form's handler). Every answer is `no-store` with a strict CSP and referrers stay within the desk.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::secret;
use super::state::Desk;

/// No outside resource, no script, no framing, forms only to the desk itself.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

/// The middleware in front of every route.
pub async fn guard(State(desk): State<Arc<Desk>>, req: Request, next: Next) -> Response {
    let mut resp = check(&desk, req, next).await;
    harden(resp.headers_mut());
    resp
}

async fn check(desk: &Desk, req: Request, next: Next) -> Response {
    let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default().to_string();
    if !host_ok(desk.port, &host) {
        return refuse(
            StatusCode::FORBIDDEN,
            "This address is not the desk's: open the address `amana-review desk` printed.",
        );
    }
    if let Some(token) = query_token(req.uri()) {
        if !secret::matches(&token, &desk.token) {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "Wrong desk token: open the address `amana-review desk` printed.",
            );
        }
        return exchange(desk, req.uri().path());
    }
    if !cookie_ok(desk, req.headers()) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "The desk opens only from the address `amana-review desk` printed (with its token).",
        );
    }
    if req.method() != Method::GET && !same_origin(&host, req.headers()) {
        return refuse(StatusCode::FORBIDDEN, "Refused: this form was not sent from the desk's own page.");
    }
    // The progress page reloads itself: that is not the reviewer at the desk.
    if req.uri().path() == "/progress" {
        desk.lock_if_idle();
    } else {
        desk.touch();
    }
    next.run(req).await
}

/// `127.0.0.1:PORT` or `localhost:PORT`, nothing else.
pub fn host_ok(port: u16, host: &str) -> bool {
    host == format!("127.0.0.1:{port}") || host == format!("localhost:{port}")
}

/// The `token` query parameter, if any.
fn query_token(uri: &Uri) -> Option<String> {
    uri.query()?.split('&').find_map(|pair| pair.strip_prefix("token=")).map(str::to_string)
}

/// The session cookie for the token, and the same path without it.
fn exchange(desk: &Desk, path: &str) -> Response {
    let cookie = format!("{}={}; Path=/; HttpOnly; SameSite=Strict", desk.cookie_name(), desk.session);
    let target = if path.starts_with('/') { path } else { "/" };
    let mut resp = (StatusCode::SEE_OTHER, [(header::LOCATION, target.to_string())]).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, value);
    }
    resp
}

/// A cookie's value from the request, if present.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn cookie_ok(desk: &Desk, headers: &HeaderMap) -> bool {
    cookie(headers, &desk.cookie_name()).is_some_and(|v| secret::matches(&v, &desk.session))
}

/// `Origin` must be the desk's; without one, `Referer` must be a page of the desk. A browser
/// that says where a request comes from (`Sec-Fetch-Site`) must say the desk itself.
fn same_origin(host: &str, headers: &HeaderMap) -> bool {
    let own = format!("http://{host}");
    let text = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    if text(HeaderName::from_static("sec-fetch-site")).is_some_and(|site| site != "same-origin") {
        return false;
    }
    match (text(header::ORIGIN), text(header::REFERER)) {
        (Some(origin), _) => origin == own,
        (None, Some(referer)) => referer.starts_with(&format!("{own}/")),
        (None, None) => false,
    }
}

fn refuse(status: StatusCode, why: &'static str) -> Response {
    let body = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Amana desk</title></head>\
         <body><main><h1>{}</h1><p>{why}</p></main></body></html>\n",
        status.as_u16()
    );
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

/// The headers every answer carries.
fn harden(h: &mut HeaderMap) {
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        // Not `no-referrer`: under it Chromium sends `Origin: null` with every form, and the
        // origin check above could not tell the desk's own forms from a sandboxed page's.
        // `same-origin` gives the address to the desk alone; its pages link nowhere else.
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    h.insert("permissions-policy", HeaderValue::from_static("camera=(), microphone=(), geolocation=()"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_desks_own_host_and_origin() {
        assert!(host_ok(8080, "127.0.0.1:8080") && host_ok(8080, "localhost:8080"));
        for host in ["127.0.0.1:8081", "evil.example:8080", "127.0.0.1", "", "localhost.evil:8080"] {
            assert!(!host_ok(8080, host), "{host}");
        }
        let mut h = HeaderMap::new();
        assert!(!same_origin("127.0.0.1:1", &h), "no origin, no referer");
        h.insert(header::REFERER, HeaderValue::from_static("http://127.0.0.1:1/case/x"));
        assert!(same_origin("127.0.0.1:1", &h));
        h.insert(header::ORIGIN, HeaderValue::from_static("http://evil.example"));
        assert!(!same_origin("127.0.0.1:1", &h), "Origin wins over Referer");
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(!same_origin("127.0.0.1:1", &h));
        h.insert(header::ORIGIN, HeaderValue::from_static("http://127.0.0.1:1"));
        assert!(same_origin("127.0.0.1:1", &h));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-site"));
        assert!(!same_origin("127.0.0.1:1", &h), "another port of 127.0.0.1 is the same site, not origin");
    }

    #[test]
    fn cookies_are_found_by_name() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; amana_desk_5=xyz; b=2"));
        assert_eq!(cookie(&h, "amana_desk_5").as_deref(), Some("xyz"));
        assert_eq!(cookie(&h, "amana_desk_6"), None);
    }
}
