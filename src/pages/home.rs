//! The start page, and the redirects that put a language into the path.

use amana_core::case::Kind;
use axum::{
    extract::State,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use maud::html;

use super::{html, lang_in_path, layout::Frame, preferred, PageLang};
use crate::state::AppState;

/// A 303 to `location` that varies with the browser's language (no cookie remembers it).
fn see_other(location: String) -> Response {
    let mut resp = StatusCode::SEE_OTHER.into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&location) {
        h.insert(header::LOCATION, v);
    }
    h.insert(header::VARY, HeaderValue::from_static("accept-language"));
    resp
}

/// `GET /`: to the start page in the browser's language (Arabic if none matches).
pub async fn root(headers: HeaderMap) -> Response {
    see_other(format!("/{}/", preferred(&headers).tag()))
}

/// `GET /status`: the status form's old address, in the browser's language.
pub async fn status_redirect(headers: HeaderMap) -> Response {
    see_other(format!("/{}/status", preferred(&headers).tag()))
}

/// `GET /{lang}`: to `/{lang}/`.
pub async fn lang_root(PageLang(lang): PageLang) -> Response {
    see_other(format!("/{}/", lang.tag()))
}

/// `GET /{lang}/`: what this is, how to stay safe, and the kinds of submission.
pub async fn home(State(state): State<AppState>, PageLang(lang): PageLang) -> Response {
    let f = Frame::new(&state, lang, "");
    let main = html! {
        h1 { (f.t("home-title")) }
        p.lead { (f.t("home-intro")) }
        section.safety aria-labelledby="safety" {
            h2 #safety { (f.t("home-safety-title")) }
            ul {
                @for key in ["home-safety-tor", "home-safety-device", "home-safety-details", "home-safety-code"] {
                    li { (f.t(key)) }
                }
            }
        }
        section aria-labelledby="choose" {
            h2 #choose { (f.t("home-choose-title")) }
            ul.kinds {
                @for k in Kind::ALL {
                    li {
                        a.kind href=(f.href(&format!("report/{}", k.as_str()))) {
                            strong { (f.t(&format!("kind-{}", k.as_str()))) }
                            span { (f.t(&format!("kind-{}-desc", k.as_str()))) }
                        }
                    }
                }
            }
        }
        section aria-labelledby="how" {
            h2 #how { (f.t("home-how-title")) }
            ol {
                @for key in ["home-how-1", "home-how-2", "home-how-3"] { li { (f.t(key)) } }
            }
        }
        section aria-labelledby="already" {
            h2 #already { (f.t("home-status-title")) }
            p { a href=(f.href("status")) { (f.t("home-status-link")) } }
        }
        p { a href=(f.href("transparency")) { (f.t("transparency-title")) } }
    };
    html(StatusCode::OK, f.render(&f.t("home-title"), main))
}

/// Whether `path` is a page (rather than the API, assets or health check).
pub fn is_page_path(path: &str) -> bool {
    !(path.starts_with("/api/")
        || path.starts_with("/.well-known/")
        || path.starts_with("/static/")
        || path == "/healthz")
}

/// The language for an answer on `path`: the path's, else the browser's.
pub fn lang_for(path: &str, headers: &HeaderMap) -> crate::i18n::Lang {
    lang_in_path(path).unwrap_or_else(|| preferred(headers))
}
