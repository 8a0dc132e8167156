//! The operations-room dashboard inside the desk: the very report `kpis --html FILE --lang`
//! writes ([`crate::kpis::with_report`], [`crate::report::content`]: one implementation),
//! in the desk's language, from the verified cases' metadata (nothing decrypted). As in the
//! file, oversight-only cases are left out and small counts hidden.
//!
//! The desk's CSP allows no inline style, so the report's CSS is served as `/report.css`
//! (the same text the file inlines) and its SVG charts use presentation attributes only.
//! The filters (period, the small-count threshold) are a GET form: a view, no action.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};

use crate::report;

use super::html::{esc, page_with};
use super::i18n::{Lang, Words};
use super::inbox_page::{error_box, html_response};
use super::state::Desk;

/// The dashboard's filters.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct Filter {
    period: String,
    k: String,
}

/// `GET /kpis`.
pub async fn show(
    State(desk): State<Arc<Desk>>,
    headers: HeaderMap,
    Query(filter): Query<Filter>,
) -> Response {
    let lang = super::lang_of(&desk, &headers);
    let t = lang.t();
    let d = desk.clone();
    let form = filters(t, &filter);
    let done = tokio::task::spawn_blocking(move || {
        let pending = crate::outbox::pending(&d.home).map_or(0, |p| p.len());
        (build(&d, lang, &filter), pending)
    })
    .await;
    let (body, pending) = match done {
        Ok((Ok(html), pending)) => (html, pending),
        Ok((Err(e), pending)) => (error_box(&e), pending),
        Err(e) => (error_box(&anyhow::anyhow!("{e}")), 0),
    };
    let head = "<link rel=\"stylesheet\" href=\"/report.css\">";
    let title = report::title(report_lang(lang));
    html_response(page_with(
        &desk,
        lang,
        &title,
        &format!("{form}<div class=\"report\">{body}</div>"),
        pending,
        head,
    ))
}

fn build(desk: &Desk, lang: Lang, filter: &Filter) -> anyhow::Result<String> {
    let period = Some(filter.period.trim()).filter(|p| !p.is_empty()).map(crate::period::parse).transpose();
    let period = period.map_err(anyhow::Error::msg)?;
    let k = match filter.k.trim() {
        "" => amana_core::disclosure::DEFAULT_K,
        k => k.parse().map_err(|_| {
            anyhow::anyhow!("`{k}`: give the small-count threshold as a whole number (at least 3)")
        })?,
    };
    crate::kpis::with_report(&desk.home, period, report_lang(lang), k, report::content)
}

fn report_lang(lang: Lang) -> report::Lang {
    match lang {
        Lang::Ar => report::Lang::Ar,
        Lang::En => report::Lang::En,
    }
}

/// The period and threshold as a GET form, keeping what was asked.
fn filters(t: &Words, f: &Filter) -> String {
    format!(
        "<form method=\"get\" action=\"/kpis\" class=\"report-filters\"><fieldset><legend>{legend}</legend>\
         <p><label for=\"period\">{period}</label><input id=\"period\" name=\"period\" dir=\"ltr\" value=\"{pv}\"></p>\
         <p><label for=\"k\">{k}</label><input id=\"k\" name=\"k\" type=\"number\" min=\"3\" dir=\"ltr\" value=\"{kv}\"></p>\
         <p><button type=\"submit\">{show}</button></p></fieldset></form>",
        legend = t.filters,
        period = t.period,
        pv = esc(&f.period),
        k = t.k_rule,
        kv = if f.k.is_empty() { amana_core::disclosure::DEFAULT_K.to_string() } else { esc(&f.k) },
        show = t.show,
    )
}

/// `GET /report.css`: the report's own stylesheet.
pub async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], report::CONTENT_STYLE).into_response()
}
