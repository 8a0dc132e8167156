//! `GET /{lang}/transparency`: the published figures as tables, no script — each year summed
//! from its quarters with its ranking, then each quarter — rendered once per language and set
//! of documents (`cache`).

use amana_core::case::Kind;
use amana_core::disclosure::Count;
use amana_core::publication::ranking::Ranked;
use amana_core::publication::year::{Stat, Sum};
use amana_core::publication::AgencyFigures;
use axum::{extract::State, http::HeaderMap, response::IntoResponse, response::Response};
use maud::{html, Markup};

use super::cache::{self, Published, Verified, YearView};
use crate::pages::{layout::Frame, report::agency_name, PageLang};
use crate::state::AppState;

/// The page: years first, then quarters, newest first.
pub async fn page(State(state): State<AppState>, PageLang(lang): PageLang, headers: HeaderMap) -> Response {
    let published = match cache::published(&state).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let served = published.page(lang.tag(), || {
        let f = Frame::new(&state, lang, "transparency");
        f.render(&f.t("transparency-title"), body(&f, &published)).into_string()
    });
    served.respond(&headers, "text/html; charset=utf-8")
}

fn body(f: &Frame, p: &Published) -> Markup {
    html! {
        h1 { (f.t("transparency-title")) }
        p.lead { (f.t("transparency-intro")) }
        @if p.docs.is_empty() { p { (f.t("transparency-none")) } }
        @for y in &p.years { (year(f, y)) }
        @for d in &p.docs { (quarter(f, d)) }
    }
}

fn downloads(f: &Frame, name: &str) -> Markup {
    html! {
        p.downloads {
            (f.t("transparency-download")) " "
            a href={ "/api/v1/transparency/" (name) } type="application/json" { "JSON" } " · "
            a href={ "/api/v1/transparency/" (name) ".csv" } type="text/csv" { "CSV" }
        }
    }
}

/// A table that may scroll sideways on a narrow screen (the page itself never does).
fn scroll(label: &str, table: Markup) -> Markup {
    html! { div.scroll role="region" aria-label=(label) tabindex="0" { (table) } }
}

fn year(f: &Frame, v: &YearView) -> Markup {
    let y = &v.figures;
    let id = format!("y{}", y.year);
    let title = format!("{} {}", f.t("transparency-year"), f.lang.digits(&y.year.to_string()));
    let sum = |s: Sum| f.lang.digits(&format!("≈ {}", s.text(y.k)));
    html! {
        section.figures aria-labelledby=(id) {
            h2 id=(id) { (title) }
            p { (f.t("transparency-year-note")) }
            (downloads(f, &y.year.to_string()))
            (scroll(&format!("{} — {title}", f.t("transparency-title")), html! { table {
                caption { (title) }
                (head(f))
                tbody { @for a in &y.agencies { tr {
                    th scope="row" { (agency(f, &a.agency)) }
                    td { (sum(a.received)) }
                    td { (stat(f, a.acknowledged_on_time, |r| format!("{:.0}%", r * 100.0))) }
                    td { (stat(f, a.median_days_to_acknowledge, |d| format!("{d:.1}"))) }
                    td { (stat(f, a.median_days_to_first_reply, |d| format!("{d:.1}"))) }
                    td { (stat(f, a.satisfaction, |s| format!("{s:.1} / 5"))) }
                } } }
            } }))
            (ranking(f, v))
        }
    }
}

fn head(f: &Frame) -> Markup {
    html! { thead { tr {
        th scope="col" { (f.t("transparency-agency")) }
        th scope="col" { (f.t("transparency-received")) }
        th scope="col" { (f.t("transparency-on-time")) }
        th scope="col" { (f.t("transparency-median-days")) }
        th scope="col" { (f.t("transparency-first-reply")) }
        th scope="col" { (f.t("transparency-satisfaction")) }
    } } }
}

fn ranking(f: &Frame, v: &YearView) -> Markup {
    let r = &v.figures.ranking;
    // Scores are out of 5; the last list is in days.
    let show = |x: f64, days: bool| if days { format!("{x:.1}") } else { format!("{x:.2} / 5") };
    let lists: [(&str, &[Ranked], bool); 5] = [
        ("transparency-best-agencies", &r.best_agencies, false),
        ("transparency-weakest-agencies", &r.weakest_agencies, false),
        ("transparency-best-centres", &r.best_centres, false),
        ("transparency-weakest-centres", &r.weakest_centres, false),
        ("transparency-fastest", &r.fastest_to_acknowledge, true),
    ];
    html! {
        h3 { (f.t("transparency-ranking")) }
        p { (f.t("transparency-ranking-note")) }
        @for (key, list, days) in lists {
            h4 { (f.t(key)) }
            @if list.is_empty() { p { (f.t("transparency-rank-none")) } }
            @else { ol { @for x in list.iter() { li {
                (x.centre.as_deref().map_or_else(|| agency(f, &x.agency), |c| format!("{} ({})", centre(f, Some(c)), agency(f, &x.agency))))
                " — " (f.lang.digits(&show(x.value, days))) " (n ≈ " (f.lang.digits(&x.n.to_string())) ")"
            } } } }
        }
    }
}

fn quarter(f: &Frame, d: &Verified) -> Markup {
    let doc = &d.doc;
    let dates = format!("{} – {}", f.lang.digits(&doc.from.to_string()), f.lang.digits(&doc.to.to_string()));
    let title = d.label.as_deref().map_or_else(|| dates.clone(), |l| f.lang.digits(l));
    let id = format!("p{}", doc.from);
    let kinds_title = format!("{} — {}", f.t("transparency-by-kind"), title);
    let evals_title = format!("{} — {}", f.t("transparency-evaluations"), title);
    let n = |c: Option<Count>| c.map(|c| count(f, c));
    html! {
        section.figures aria-labelledby=(id) {
            h2 id=(id) { (title) }
            @if let Some(label) = &d.label { (downloads(f, label)) }
            (scroll(&format!("{} — {title}", f.t("transparency-title")), html! { table {
                caption { (dates) }
                (head(f))
                tbody { @for a in &doc.agencies { tr {
                    th scope="row" { (agency(f, &a.agency)) }
                    td { (count(f, a.received)) }
                    td { (with_n(f, a.acknowledged_on_time.map(|r| format!("{:.0}%", r * 100.0)), n(a.settled))) }
                    td { (with_n(f, a.median_days_to_acknowledge.map(|d| format!("{d:.1}")), n(a.acknowledged))) }
                    td { (with_n(f, a.median_days_to_first_reply.map(|d| format!("{d:.1}")), n(a.replied))) }
                    td { (with_n(f, a.satisfaction.map(|s| format!("{s:.1} / 5")), Some(count(f, a.rated)))) }
                } } }
            } }))
            (scroll(&kinds_title, kinds(f, &kinds_title, &doc.agencies)))
            @if doc.agencies.iter().any(|a| !a.evaluations.is_empty()) {
                (scroll(&evals_title, evaluations(f, &evals_title, &doc.agencies)))
            }
        }
    }
}

fn kinds(f: &Frame, title: &str, agencies: &[AgencyFigures]) -> Markup {
    html! { table {
        caption { (title) }
        thead { tr {
            th scope="col" { (f.t("transparency-agency")) }
            @for k in Kind::ALL { th scope="col" { (f.t(&format!("kind-{}", k.as_str()))) } }
        } }
        tbody { @for a in agencies { tr {
            th scope="row" { (agency(f, &a.agency)) }
            @for k in Kind::ALL { td { (a.received_by_kind.get(k.as_str()).map_or_else(|| "–".into(), |c| count(f, *c))) } }
        } } }
    } }
}

fn evaluations(f: &Frame, title: &str, agencies: &[AgencyFigures]) -> Markup {
    html! { table {
        caption { (title) }
        thead { tr {
            th scope="col" { (f.t("transparency-centre")) }
            th scope="col" { (f.t("transparency-agency")) }
            th scope="col" { (f.t("transparency-by")) }
            th scope="col" { (f.t("transparency-score")) }
        } }
        tbody { @for a in agencies { @for e in &a.evaluations { tr {
            th scope="row" { (centre(f, e.centre.as_deref())) }
            td { (agency(f, &a.agency)) }
            td { (f.t(if e.commissioned { "transparency-commissioned" } else { "transparency-public" })) }
            td { (with_n(f, e.score.map(|s| format!("{s:.2} / 5")), Some(count(f, e.evaluations)))) }
        } } } }
    } }
}

fn agency(f: &Frame, id: &str) -> String {
    f.state.keyring.agency(id).map_or_else(|| id.to_string(), |ag| agency_name(ag, f.lang).0)
}

fn centre(f: &Frame, id: Option<&str>) -> String {
    let Some(id) = id else { return f.t("form-centre-none") };
    let names = f.state.services.centre(id).map(|c| &c.name);
    let name = names.and_then(|n| n.get(f.lang.tag()).or_else(|| n.get("en")));
    name.cloned().unwrap_or_else(|| id.to_string())
}

fn count(f: &Frame, c: Count) -> String {
    match c {
        Count::About(n) => f.lang.digits(&format!("≈ {n}")),
        Count::FewerThan(k) => f.lang.digits(&format!("< {k}")),
    }
}

/// A statistic and the n behind it, or a dash when it is not shown.
fn with_n(f: &Frame, value: Option<String>, n: Option<String>) -> String {
    match (value, n) {
        (Some(v), Some(n)) => format!("{} (n {n})", f.lang.digits(&v)),
        (Some(v), None) => f.lang.digits(&v),
        (None, _) => "–".into(),
    }
}

fn stat(f: &Frame, s: Option<Stat>, show: impl Fn(f64) -> String) -> String {
    s.map_or_else(
        || "–".into(),
        |s| format!("{} (n ≈ {})", f.lang.digits(&show(s.value)), f.lang.digits(&s.n.to_string())),
    )
}
