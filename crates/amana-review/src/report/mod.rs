//! `kpis --html FILE [--lang ar|en]`: the operations room as one self-contained HTML file that
//! can be sent to a minister (docs/OPERATIONS-ROOM.md).
//!
//! Hand-written HTML with every text escaped, inline CSS and inline SVG: no script, no font,
//! no image, no link to anything outside the file (a Content-Security-Policy meta tag says so
//! to the browser as well). Because the file leaves oversight's hands:
//!
//! * oversight-only cases are not in it at all (not under their agency, not in the totals);
//! * officers' figures are never in it (`kpis --officers` is refused with `--html`);
//! * the small-count rule of `amana_core::disclosure` applies to every count (below k shown
//!   `<k`, others rounded to 5), and a mean, median or share is shown only over at least k
//!   cases.

mod labels;
mod svg;

use std::path::Path;

use amana_core::case::Status;
use amana_core::disclosure::{Count, Rules};
use time::Date;

pub use labels::label as label_for;
pub use labels::Lang;
use labels::{kind, label};

use crate::kpis::Kpi;
use crate::room::Room;

/// What the report is about.
pub struct Report<'a> {
    pub room: &'a Room,
    pub period: Option<crate::period::Period>,
    pub today: Date,
    pub lang: Lang,
    pub rules: Rules,
    /// The improvement periods this home verified, in scope.
    pub improvements: &'a [crate::improvement::Shown],
}

/// Writes the report to a new file (never over an existing one).
pub fn write(report: &Report, out: &Path) -> anyhow::Result<()> {
    crate::home::create_new_file(out, render(report).as_bytes())?;
    eprintln!("report written to {} (no script, no outside resource; small counts hidden)", out.display());
    Ok(())
}

/// Escapes text for HTML content and attribute values.
pub use crate::html_escape::escape;

/// The page's own frame (the file only; the desk has its own).
const PAGE_STYLE: &str =
    "body{font-family:system-ui,'Noto Sans Arabic','Noto Sans',sans-serif;margin:0 auto;\
max-width:60rem;padding:1rem;color:#111;background:#fff;line-height:1.45}h1{font-size:1.5rem}\
@media print{body{max-width:none}}";

/// The report's content: inline in the file, served as a stylesheet by the desk (whose CSP
/// allows no inline style). The charts use SVG presentation attributes, never `style=`.
pub const CONTENT_STYLE: &str = "h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #999}\
.scroll{overflow-x:auto}table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}\
th,td{border:1px solid #bbb;padding:.2rem .4rem;text-align:start;vertical-align:top}\
td.n{text-align:end;font-variant-numeric:tabular-nums}th{background:#eef}\
.notes{font-size:.85rem;color:#333}svg{max-width:100%;height:auto}\
@media print{.scroll{overflow:visible}section{break-inside:avoid}}";

/// The whole page.
pub fn render(r: &Report) -> String {
    let l = |k: &str| label(r.lang, k);
    let period = r.period.map_or(l("all_time"), |p| format!("{} – {}", p.from, p.to));
    let body = format!("<h1>{}</h1>{}", escape(&l("title")), content(r));
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\" dir=\"{}\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{PAGE_STYLE}{CONTENT_STYLE}</style></head><body><main>{body}</main></body></html>\n",
        r.lang.code(),
        r.lang.dir(),
        escape(&format!("{} · {period}", l("title")))
    )
}

/// The report's title, in its language.
pub fn title(lang: Lang) -> String {
    label(lang, "title")
}

/// Everything under the title: the period, the tables, the inline SVG charts, the notes.
pub fn content(r: &Report) -> String {
    let l = |k: &str| label(r.lang, k);
    let period = r.period.map_or(l("all_time"), |p| format!("{} – {}", p.from, p.to));
    let mut body = format!(
        "<p>{}: <bdi>{}</bdi> · {}: <bdi>{}</bdi></p>",
        escape(&l("period")),
        escape(&period),
        escape(&l("made_on")),
        r.today
    );
    body.push_str(&section(r, "summary", &table(r, None, std::slice::from_ref(&r.room.total))));
    let agency_chart = svg::bars("chart-agencies", &l("chart_received"), &agency_bars(r));
    body.push_str(&section(r, "by_agency", &(agency_chart + &table(r, Some("agency"), &r.room.agencies))));
    body.push_str(&section(r, "by_centre", &table(r, Some("centre"), &r.room.centres)));
    body.push_str(&section(r, "by_kind", &table(r, Some("kind"), &r.room.kinds)));
    body.push_str(&section(r, "weekly", &weekly(r)));
    body.push_str(&section(r, "criteria", &criteria(r)));
    body.push_str(&section(r, "improvement", &crate::improvement::html(r)));
    let k = r.rules.k().to_string();
    body.push_str(&format!(
        "<section class=\"notes\"><p>{}</p><p>{}</p><p>{}</p></section>",
        escape(&l("note_counts").replace("{k}", &k)),
        escape(&l("note_excluded")),
        escape(&l("note_source"))
    ));
    body
}

fn section(r: &Report, key: &str, inner: &str) -> String {
    format!("<section id=\"{key}\"><h2>{}</h2>{inner}</section>", escape(&label(r.lang, key)))
}

/// A count as the rules allow it to be shown.
pub fn count(r: &Report, n: usize) -> String {
    match r.rules.count(n as u64) {
        Count::FewerThan(k) => format!("<{k}"),
        Count::About(v) => v.to_string(),
    }
}

/// A statistic over `n` cases, if the rules allow it; `–` otherwise.
fn stat(r: &Report, n: usize, v: Option<f64>, fmt: impl Fn(f64) -> String) -> String {
    r.rules.statistic(n as u64, v).map_or("–".to_string(), fmt)
}

const CLOSED: [Status; 3] = [Status::ClosedActionTaken, Status::ClosedUnfounded, Status::ClosedReferred];

/// A table of groups; `first` names the column that tells them apart (none for the total).
fn table(r: &Report, first: Option<&str>, rows: &[Kpi]) -> String {
    let l = |k: &str| label(r.lang, k);
    if rows.is_empty() {
        return format!("<p>{}</p>", escape(&l("none")));
    }
    let mut cols: Vec<String> = first.map(&l).into_iter().collect();
    cols.extend(
        ["received", "on_time", "median_ack", "median_feedback", "open", "overdue", "escalated"].map(l),
    );
    cols.extend(CLOSED.map(|s| l(s.as_str())));
    cols.push(l("satisfaction"));
    let head: String = cols.iter().map(|c| format!("<th scope=\"col\">{}</th>", escape(c))).collect();
    let mut out = format!(
        "<div class=\"scroll\" role=\"region\" tabindex=\"0\" aria-label=\"{}\"><table><thead><tr>{head}</tr></thead><tbody>",
        escape(&cols.first().cloned().unwrap_or_default())
    );
    for k in rows {
        out.push_str("<tr>");
        if let Some(f) = first {
            let name = match f {
                "kind" => kind(r.lang, &k.kind),
                "centre" => format!("{} / {}", k.agency, k.centre.as_deref().unwrap_or("-")),
                _ => k.agency.clone(),
            };
            out.push_str(&format!("<th scope=\"row\"><bdi>{}</bdi></th>", escape(&name)));
        }
        let days = |d: f64| format!("{d:.1}");
        let mut cells = vec![
            count(r, k.cases),
            stat(r, k.settled, k.acknowledged_on_time_share, |s| format!("{:.0}%", s * 100.0)),
            stat(r, k.acknowledged, k.median_days_to_acknowledge, days),
            stat(r, k.replied, k.median_days_to_feedback, days),
            count(r, k.open),
            count(r, k.overdue),
            count(r, k.escalated),
        ];
        cells.extend(CLOSED.map(|s| count(r, k.by_status.get(s.as_str()).copied().unwrap_or(0))));
        cells.push(format!(
            "{} ({})",
            stat(r, k.ratings, k.average_rating, |m| format!("{m:.2}")),
            count(r, k.ratings)
        ));
        for c in cells {
            out.push_str(&format!("<td class=\"n\"><bdi dir=\"ltr\">{}</bdi></td>", escape(&c)));
        }
        out.push_str("</tr>");
    }
    out + "</tbody></table></div>"
}

fn agency_bars(r: &Report) -> Vec<svg::Bar> {
    r.room
        .agencies
        .iter()
        .map(|k| {
            let value = match r.rules.count(k.cases as u64) {
                Count::About(v) => Some(v as f64),
                Count::FewerThan(_) => None,
            };
            svg::Bar { label: k.agency.clone(), value, text: count(r, k.cases) }
        })
        .collect()
}

/// The weekly on-time chart and its table.
fn weekly(r: &Report) -> String {
    let l = |k: &str| label(r.lang, k);
    if r.room.weeks.is_empty() {
        return format!("<p>{}</p>", escape(&l("none")));
    }
    let cols: Vec<svg::Bar> = r
        .room
        .weeks
        .iter()
        .map(|w| {
            let value = r.rules.statistic(w.settled as u64, w.on_time_share);
            let text = value.map_or("–".to_string(), |s| format!("{:.0}%", s * 100.0));
            svg::Bar { label: w.week.clone(), value, text }
        })
        .collect();
    let mut out = svg::columns("chart-on-time", &l("chart_on_time"), &cols);
    out.push_str(&format!(
        "<div class=\"scroll\" role=\"region\" tabindex=\"0\" aria-label=\"{}\"><table><thead><tr>\
         <th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        escape(&l("weekly")),
        escape(&l("week")),
        escape(&l("received")),
        escape(&l("on_time"))
    ));
    for (w, c) in r.room.weeks.iter().zip(&cols) {
        out.push_str(&format!(
            "<tr><th scope=\"row\"><bdi>{}</bdi></th><td class=\"n\"><bdi dir=\"ltr\">{}</bdi></td><td class=\"n\"><bdi dir=\"ltr\">{}</bdi></td></tr>",
            escape(&w.week),
            escape(&count(r, w.received)),
            escape(&c.text)
        ));
    }
    out + "</tbody></table></div>"
}

/// A heat map of criteria per centre, public ratings and commissioned visits apart.
fn criteria(r: &Report) -> String {
    let l = |k: &str| label(r.lang, k);
    let mut out = String::new();
    for (commissioned, key) in [(false, "public"), (true, "commissioned")] {
        let rows: Vec<_> = r.room.evaluations.iter().filter(|m| m.commissioned == commissioned).collect();
        out.push_str(&format!("<h3>{}</h3>", escape(&l(key))));
        if rows.is_empty() {
            out.push_str(&format!("<p>{}</p>", escape(&l("none"))));
            continue;
        }
        let mut criteria: Vec<String> = rows.iter().map(|m| m.criterion.clone()).collect();
        criteria.sort();
        criteria.dedup();
        let mut grid: std::collections::BTreeMap<String, Vec<svg::Cell>> = Default::default();
        for m in &rows {
            let name = format!("{} / {} ({}@{})", m.agency, m.centre, m.questionnaire, m.version);
            let line = grid.entry(name).or_insert_with(|| {
                criteria.iter().map(|_| svg::Cell { mean: None, text: String::new() }).collect()
            });
            let shown = r.rules.statistic(m.n as u64, m.mean);
            if let Some(j) = criteria.iter().position(|c| *c == m.criterion) {
                line[j] = svg::Cell {
                    mean: shown,
                    text: shown.map_or(count(r, m.n), |v| format!("{v:.1} ({})", count(r, m.n))),
                };
            }
        }
        let grid: Vec<(String, Vec<svg::Cell>)> = grid.into_iter().collect();
        let title = format!("{} — {}", l("criteria"), l(key));
        out.push_str(&svg::heat_map(&format!("heat-{key}"), &title, &criteria, &grid));
    }
    out
}
