//! `GET /{lang}/transparency`: the published figures as tables, no script.

use amana_core::disclosure::Count;
use amana_core::publication::{AgencyFigures, Document};
use axum::{extract::State, http::StatusCode, response::Response};
use maud::{html, Markup};

use crate::pages::{html, layout::Frame, report::agency_name, PageLang};
use crate::state::AppState;

/// The page: one table per published period, newest first.
pub async fn page(State(state): State<AppState>, PageLang(lang): PageLang) -> Response {
    let f = Frame::new(&state, lang, "transparency");
    let docs: Vec<Document> = super::published(&state)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter_map(|s| serde_json::from_str(&s.document).ok())
        .collect();
    let main = html! {
        h1 { (f.t("transparency-title")) }
        p.lead { (f.t("transparency-intro")) }
        @if docs.is_empty() { p { (f.t("transparency-none")) } }
        @for d in &docs { (period(&f, d)) }
    };
    html(StatusCode::OK, f.render(&f.t("transparency-title"), main))
}

fn period(f: &Frame, d: &Document) -> Markup {
    let caption = format!("{} – {}", f.lang.digits(&d.from.to_string()), f.lang.digits(&d.to.to_string()));
    html! {
        section.figures {
            table {
                caption { (caption) }
                thead { tr {
                    th scope="col" { (f.t("transparency-agency")) }
                    th scope="col" { (f.t("transparency-received")) }
                    th scope="col" { (f.t("transparency-on-time")) }
                    th scope="col" { (f.t("transparency-median-days")) }
                    th scope="col" { (f.t("transparency-satisfaction")) }
                } }
                tbody { @for a in &d.agencies { (row(f, a)) } }
            }
        }
    }
}

fn row(f: &Frame, a: &AgencyFigures) -> Markup {
    let name =
        f.state.keyring.agency(&a.agency).map_or_else(|| a.agency.clone(), |ag| agency_name(ag, f.lang).0);
    let or_dash = |v: Option<String>| v.unwrap_or_else(|| "–".into());
    html! {
        tr {
            th scope="row" { (name) }
            td { (count(f, a.received)) }
            td { (or_dash(a.acknowledged_on_time.map(|r| f.lang.digits(&format!("{:.0}%", r * 100.0))))) }
            td { (or_dash(a.median_days_to_acknowledge.map(|d| f.lang.digits(&format!("{d:.1}"))))) }
            td { (or_dash(a.satisfaction.map(|s| f.lang.digits(&format!("{s:.1} / 5"))))) }
        }
    }
}

fn count(f: &Frame, c: Count) -> String {
    match c {
        Count::About(n) => f.lang.digits(&format!("≈ {n}")),
        Count::FewerThan(k) => f.lang.digits(&format!("< {k}")),
    }
}
