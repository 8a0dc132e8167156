//! The indicators: what `amana-review kpis` prints (per agency and kind, from the verified
//! cases' metadata, nothing decrypted), as a table on a page. The operations-room dashboard
//! (`kpis` on its own branch) can replace this view once it has a result value to render.

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

use crate::kpis::{self, Format, Request};
use crate::output::capture;

use super::html::{esc, page};
use super::inbox_page::{error_box, html_response};
use super::state::Desk;

/// `GET /kpis`.
pub async fn show(State(desk): State<Arc<Desk>>, headers: HeaderMap) -> Response {
    let lang = super::lang_of(&desk, &headers);
    let d = desk.clone();
    let done = tokio::task::spawn_blocking(move || {
        let pending = crate::outbox::pending(&d.home).map_or(0, |p| p.len());
        let r = Request { format: Format::Table, period: None, officers: false, html: None };
        (capture::run(|| kpis::run(&d.home, &r)), pending)
    })
    .await;
    let (body, pending) = match done {
        Ok(((Ok(()), said), pending)) => {
            (format!("<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"{label}\"><pre dir=\"ltr\">{}</pre></div>", esc(&said), label = lang.t().kpis), pending)
        }
        Ok(((Err(e), _), pending)) => (error_box(&e), pending),
        Err(e) => (error_box(&anyhow::anyhow!("{e}")), 0),
    };
    html_response(page(&desk, lang, lang.t().kpis, &body, pending))
}
