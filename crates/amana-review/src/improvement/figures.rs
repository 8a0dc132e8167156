//! What the dashboard shows of improvement periods: every open one with its deadline, and for
//! each one that ended, the named figures before and after. "After" is the cases received
//! from the opening to the closing day; "before" the cases received in as many days just
//! before the opening. Junk and oversight-only cases never count (`kpis` sets them apart).

use amana_core::improvement::{Document, Signed};
use serde::Serialize;
use time::{Date, Duration};

use crate::facts::Facts;
use crate::period::Period;
use crate::report::{count, escape, Report};

/// One named figure before and after a period, with the n each rests on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    pub criterion: String,
    pub before: Option<f64>,
    pub n_before: usize,
    pub after: Option<f64>,
    pub n_after: usize,
}

/// A period as the dashboard shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Shown {
    pub period: Document,
    /// Before/after figures, once the period is closed.
    pub figures: Vec<Figure>,
}

/// The open periods, and those closed within `within` (all closed ones without it).
pub fn shown(held: &[(Document, Signed)], cases: &[Facts], within: Option<Period>) -> Vec<Shown> {
    held.iter()
        .filter(|(d, _)| d.closed_on.is_none_or(|on| within.is_none_or(|p| p.contains(on))))
        .map(|(d, _)| Shown {
            period: d.clone(),
            figures: d.closed_on.map_or_else(Vec::new, |closed| before_after(d, closed, cases)),
        })
        .collect()
}

fn before_after(d: &Document, closed: Date, cases: &[Facts]) -> Vec<Figure> {
    let days = (closed - d.opened_on).whole_days() + 1;
    let before_from = d.opened_on - Duration::days(days);
    let in_scope = |f: &&Facts| {
        f.agency == d.agency
            && f.status.counts_in_figures()
            && (d.centre.is_none()
                || f.evaluation.as_ref().and_then(|e| e.centre.as_ref()) == d.centre.as_ref())
    };
    let window = |from: Date, to: Date| -> Vec<&Facts> {
        cases.iter().filter(in_scope).filter(|f| (from..=to).contains(&f.received_on)).collect()
    };
    let before = window(before_from, d.opened_on - Duration::days(1));
    let after = window(d.opened_on, closed);
    d.criteria
        .iter()
        .map(|c| {
            let (before, n_before) = figure(c, &before, closed);
            let (after, n_after) = figure(c, &after, closed);
            Figure { criterion: c.clone(), before, n_before, after, n_after }
        })
        .collect()
}

/// A named figure over some cases, and its n.
fn figure(criterion: &str, cases: &[&Facts], on: Date) -> (Option<f64>, usize) {
    let k = crate::kpis::group_facts(String::new(), String::new(), cases, on);
    match criterion {
        "on_time" => (k.acknowledged_on_time_share, k.settled),
        "days_to_acknowledge" => (k.median_days_to_acknowledge, k.acknowledged),
        "days_to_feedback" => (k.median_days_to_feedback, k.replied),
        "overdue" => ((k.cases > 0).then(|| k.overdue as f64 / k.cases as f64), k.cases),
        "satisfaction" => (k.average_rating, k.ratings),
        criterion => {
            let means = crate::evaluation::summed(
                cases.iter().filter_map(|f| Some((f.agency.as_str(), f.evaluation.as_ref()?))),
            );
            let (n, sum) = means
                .iter()
                .filter(|m| m.criterion == criterion)
                .fold((0, 0.0), |(n, s), m| (n + m.n, s + m.mean.unwrap_or(0.0) * m.n as f64));
            ((n > 0).then(|| sum / n as f64), n)
        }
    }
}

/// A figure's value as text (shares in %).
fn value(criterion: &str, v: f64) -> String {
    match criterion {
        "on_time" | "overdue" => format!("{:.0}%", v * 100.0),
        _ => format!("{v:.1}"),
    }
}

/// The report's section: one row per period; the before/after of ended ones below it.
pub fn html(r: &Report) -> String {
    let l = |k: &str| crate::report::label_for(r.lang, k);
    if r.improvements.is_empty() {
        return format!("<p>{}</p>", escape(&l("none")));
    }
    let heads = ["agency", "reason", "criterion", "opened", "deadline", "closed"];
    let mut out = format!(
        "<div class=\"scroll\" role=\"region\" tabindex=\"0\" aria-label=\"{}\"><table><thead><tr>",
        escape(&l("improvement"))
    );
    for h in heads {
        out.push_str(&format!("<th scope=\"col\">{}</th>", escape(&l(h))));
    }
    out.push_str("</tr></thead><tbody>");
    for s in r.improvements {
        let d = &s.period;
        let place = d.centre.as_ref().map_or(d.agency.clone(), |c| format!("{} / {c}", d.agency));
        let cells = [
            place,
            d.reason.clone(),
            d.criteria.join(", "),
            d.opened_on.to_string(),
            d.deadline.to_string(),
            d.closed_on.map_or("–".to_string(), |c| c.to_string()),
        ];
        out.push_str("<tr>");
        for c in cells {
            out.push_str(&format!("<td><bdi>{}</bdi></td>", escape(&c)));
        }
        out.push_str("</tr>");
        for f in &s.figures {
            let shown = |v: Option<f64>, n: usize| {
                let v = r.rules.statistic(n as u64, v).map_or("–".to_string(), |v| value(&f.criterion, v));
                format!("{v} (n {})", count(r, n))
            };
            out.push_str(&format!(
                "<tr><td></td><td colspan=\"2\"><bdi>{}</bdi></td><td colspan=\"3\"><bdi>{}: {} → {}: {}</bdi></td></tr>",
                escape(&f.criterion),
                escape(&l("before")),
                escape(&shown(f.before, f.n_before)),
                escape(&l("after")),
                escape(&shown(f.after, f.n_after))
            ));
        }
    }
    out + "</tbody></table></div>"
}
