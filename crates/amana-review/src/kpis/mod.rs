//! `kpis [--json]`: key performance indicators from the pulled cases' clear metadata only
//! (no decryption, no network), per agency and kind, plus a total:
//!
//! * cases, and counts by status; overdue (today, UTC) and escalated cases;
//! * median days from receipt to acknowledgement (the `submitted` event to the first
//!   `status_changed` event to `acknowledged` in the verified history);
//! * share acknowledged on time: of the cases whose acknowledgement is settled — acknowledged,
//!   or past their acknowledge-by date without one — the share acknowledged by that date;
//! * average rating, over the rated cases;
//! * for service evaluations: the mean answer to each criterion per agency, centre and
//!   questionnaire version, with n (`evaluation::means`).
//!
//! Cases closed as junk (`closed_spam`) count in none of these, nor in the number of cases:
//! closing junk must neither help nor hurt an agency's figures. Quarantined cases (whose last
//! pull failed verification) count nowhere until a pull verifies them again. Oversight-only
//! cases are counted under the agency `(oversight only)`, never under their own (`room`).
//!
//! `room` adds the operations room (per centre, per kind, weekly trends, improvement periods)
//! and `report` the HTML report (`--html`).
//!
//! Dates come from the events' `on` dates, which a pull verified: each reviewer action is
//! dated within 72 h of its signature, dates never go back, and the case's date of receipt
//! and deadlines agree with them (`history`). A server cannot move an acknowledgement by
//! more than that bound.

use std::collections::BTreeMap;

use amana_core::case::{Kind, Status};
use amana_core::deadlines;
use amana_core::events::EventKind;
use amana_core::wire::CaseBundle;
use serde::Serialize;
use time::Date;

use crate::cases;
use crate::facts::Facts;
use crate::history;
use crate::home::Home;
use crate::period::Period;

mod text;
use text::csv;
pub use text::table;

/// The indicators of one group of cases.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Kpi {
    /// Agency id, or `all`.
    pub agency: String,
    /// Kind, or `all`.
    pub kind: String,
    /// The service centre, for the operations room's per-centre rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub centre: Option<String>,
    /// Cases in the group.
    pub cases: usize,
    /// Count per status (every status is present).
    pub by_status: BTreeMap<String, usize>,
    /// Cases not closed.
    pub open: usize,
    /// Open cases past a deadline today.
    pub overdue: usize,
    /// Cases escalated to oversight.
    pub escalated: usize,
    /// Median days from receipt to acknowledgement, over acknowledged cases.
    pub median_days_to_acknowledge: Option<f64>,
    /// Share (0–1) acknowledged by the acknowledge-by date, over settled cases.
    pub acknowledged_on_time_share: Option<f64>,
    /// Median days from receipt to the first reply (feedback), over replied cases.
    pub median_days_to_feedback: Option<f64>,
    /// Cases with a reply (the n behind that median).
    pub replied: usize,
    /// Rated cases.
    pub ratings: usize,
    /// Mean rating (1–5), over the rated cases.
    pub average_rating: Option<f64>,
    /// The n behind the median and the share (for published figures, `publish`).
    #[serde(skip)]
    pub acknowledged: usize,
    #[serde(skip)]
    pub settled: usize,
    #[serde(skip)]
    pub on_time: usize,
}

/// How `kpis` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// What `kpis` was asked for.
pub struct Request {
    pub format: Format,
    /// Only cases received in this period.
    pub period: Option<Period>,
    /// Each reviewer's timeliness (oversight homes, table only).
    pub officers: bool,
    /// The HTML report instead of any other output.
    pub html: Option<Html>,
}

/// `--html FILE --lang L --k K`.
pub struct Html {
    pub out: std::path::PathBuf,
    pub lang: crate::report::Lang,
    pub k: u32,
}

/// `kpis`.
pub fn run(home: &Home, r: &Request) -> anyhow::Result<()> {
    if let Some(h) = &r.html {
        return with_report(home, r.period, h.lang, h.k, |report| crate::report::write(report, &h.out))?;
    }
    let (facts, improvements, quarantined, today) = counted_facts(home, r.period)?;
    let rows = compute(&facts, today);
    let counted: Vec<&Facts> = facts.iter().filter(|f| f.status.counts_in_figures()).collect();
    let room = crate::room::build(&counted, today);
    let mut text = match r.format {
        Format::Json => {
            let period =
                r.period.map(|p| serde_json::json!({ "from": p.from.to_string(), "to": p.to.to_string() }));
            let all = serde_json::json!({
                "on": today.to_string(), "period": period, "groups": rows, "evaluations": room.evaluations,
                "room": room, "improvements": improvements,
            });
            serde_json::to_string_pretty(&all)? + "\n"
        }
        Format::Csv => csv(&rows),
        Format::Table => {
            table(&rows)
                + &crate::evaluation::means_table(&room.evaluations)
                + &crate::room::table(&room, &improvements)
        }
    };
    if r.officers {
        require_officers_view(home, r.format)?;
        text.push('\n');
        text.push_str(&officers(home, r.period, &quarantined, today)?);
    }
    crate::output::stdout(&text)
}

/// The cases the figures count (verified: a quarantined case, whose server copy failed
/// verification, waits until a pull verifies it again; oversight-only ones set apart),
/// received in `period`; the improvement periods in scope; the quarantine; today (UTC).
type Counted = (Vec<Facts>, Vec<crate::improvement::Shown>, crate::quarantine::Quarantine, Date);

fn counted_facts(home: &Home, period: Option<Period>) -> anyhow::Result<Counted> {
    let quarantined = crate::quarantine::Quarantine::load(home)?;
    let mut all: Vec<Facts> = crate::facts::index::load(home)?;
    all.retain(|f| !quarantined.0.contains_key(&f.id));
    crate::room::set_apart(&mut all);
    let today = time::OffsetDateTime::now_utc().date();
    let improvements = crate::improvement::shown(&crate::improvement::held(home)?, &all, period);
    let facts = all.into_iter().filter(|f| period.is_none_or(|p| p.contains(f.received_on))).collect();
    Ok((facts, improvements, quarantined, today))
}

/// The operations-room report (`kpis --html`, and the desk's dashboard: one implementation)
/// handed to `f`: no oversight-only case at all, not even in totals, since the file may go to
/// outside oversight; counts below `k` hidden.
pub fn with_report<T>(
    home: &Home,
    period: Option<Period>,
    lang: crate::report::Lang,
    k: u32,
    f: impl FnOnce(&crate::report::Report) -> T,
) -> anyhow::Result<T> {
    let (facts, improvements, _, today) = counted_facts(home, period)?;
    let shared: Vec<&Facts> = facts.iter().filter(|f| !f.oversight_only).collect();
    let room = crate::room::build(&shared, today);
    let rules = amana_core::disclosure::Rules::new(k).map_err(anyhow::Error::msg)?;
    let report =
        crate::report::Report { room: &room, period, today, lang, rules, improvements: &improvements };
    Ok(f(&report))
}

/// The officers' table: it needs whole histories (who acted when), so it reads the case files.
fn officers(
    home: &Home,
    period: Option<Period>,
    quarantined: &crate::quarantine::Quarantine,
    today: Date,
) -> anyhow::Result<String> {
    let bundles: Vec<CaseBundle> = cases::load_all(home)?
        .into_iter()
        .map(|c| c.bundle)
        .filter(|b| !quarantined.0.contains_key(&b.id) && b.status.counts_in_figures())
        .filter(|b| period.is_none_or(|p| p.contains(history::received_on(b))))
        .collect();
    let refs: Vec<&CaseBundle> = bundles.iter().collect();
    Ok(crate::officers::table(&crate::officers::compute(&refs, today)))
}

/// Officers' figures are for the oversight unit's own terminal: never a file, never an agency.
fn require_officers_view(home: &Home, format: Format) -> anyhow::Result<()> {
    if format != Format::Table {
        anyhow::bail!(
            "--officers prints a table for your own eyes only; it cannot be combined with --json or --csv"
        );
    }
    let me = crate::trust::me(home)?;
    if !me.is_oversight() {
        anyhow::bail!(
            "--officers is for oversight reviewers only (the roster does not list `{}` as oversight)",
            me.key_id
        );
    }
    Ok(())
}

/// One row per (agency, kind) in order, then the total.
pub fn compute(facts: &[Facts], today: Date) -> Vec<Kpi> {
    let mut groups: BTreeMap<(&str, Kind), Vec<&Facts>> = BTreeMap::new();
    let counted: Vec<&Facts> = facts.iter().filter(|f| f.status.counts_in_figures()).collect();
    for f in counted.iter().copied() {
        groups.entry((f.agency.as_str(), f.kind)).or_default().push(f);
    }
    let mut rows: Vec<Kpi> = groups
        .into_iter()
        .map(|((agency, kind), cases)| group_facts(agency.to_string(), kind.to_string(), &cases, today))
        .collect();
    rows.push(group_facts("all".into(), "all".into(), &counted, today));
    rows
}

/// [`group_facts`] over bundles (published figures).
pub fn group(agency: String, kind: String, cases: &[&CaseBundle], today: Date) -> Kpi {
    let facts: Vec<Facts> = cases.iter().map(|b| Facts::of(b)).collect();
    let refs: Vec<&Facts> = facts.iter().collect();
    group_facts(agency, kind, &refs, today)
}

/// The indicators of one group of cases.
pub fn group_facts(agency: String, kind: String, cases: &[&Facts], today: Date) -> Kpi {
    let mut k = Kpi { agency, kind, cases: cases.len(), ..Kpi::default() };
    let mut by_status = [0usize; Status::ALL.len()];
    let mut days = Vec::new();
    let (mut settled, mut on_time) = (0usize, 0usize);
    let mut ratings = Vec::new();
    let mut feedback = Vec::new();
    for f in cases {
        if let Some(i) = Status::ALL.iter().position(|s| *s == f.status) {
            by_status[i] += 1;
        }
        k.open += usize::from(!f.status.is_closed());
        k.overdue += usize::from(deadlines::is_overdue(f.status, &f.deadlines, today));
        k.escalated += usize::from(f.escalated);
        match f.acknowledged_on {
            Some(on) => {
                days.push((on - f.received_on).whole_days() as f64);
                settled += 1;
                on_time += usize::from(on <= f.deadlines.acknowledge_by);
            }
            None if today > f.deadlines.acknowledge_by => settled += 1,
            None => {}
        }
        ratings.extend(f.rating.map(f64::from));
        feedback.extend(f.first_reply_on.map(|on| (on - f.received_on).whole_days() as f64));
    }
    k.by_status = Status::ALL
        .iter()
        .zip(by_status)
        .filter(|(s, _)| s.counts_in_figures())
        .map(|(s, n)| (s.to_string(), n))
        .collect();
    k.replied = feedback.len();
    k.median_days_to_feedback = median(&mut feedback);
    k.median_days_to_acknowledge = median(&mut days);
    k.acknowledged_on_time_share = (settled > 0).then(|| on_time as f64 / settled as f64);
    (k.acknowledged, k.settled, k.on_time) = (days.len(), settled, on_time);
    k.ratings = ratings.len();
    k.average_rating = (!ratings.is_empty()).then(|| ratings.iter().sum::<f64>() / ratings.len() as f64);
    k
}

/// The date of the case's first reply to the reporter (its feedback), from the history.
pub fn first_reply_on(b: &CaseBundle) -> Option<Date> {
    b.events.iter().find(|e| e.kind == EventKind::Reply).map(|e| e.on)
}

/// The statuses the indicators count (every one but `closed_spam`).
fn figure_statuses() -> impl Iterator<Item = Status> {
    Status::ALL.into_iter().filter(|s| s.counts_in_figures())
}

pub fn median(values: &mut [f64]) -> Option<f64> {
    // Selection, not a full sort: the total of a national home has a million values.
    let n = values.len();
    if n == 0 {
        return None;
    }
    let (lower, mid, _) = values.select_nth_unstable_by(n / 2, f64::total_cmp);
    let mid = *mid;
    if n % 2 == 1 {
        return Some(mid);
    }
    let below = lower.iter().copied().max_by(f64::total_cmp).unwrap_or(mid);
    Some((below + mid) / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_to_acknowledge_come_from_the_events_dates() {
        let kit = crate::testkit::Kit::new("alice");
        let mut b = kit.bundle("c1");
        kit.status(&mut b, Status::Acknowledged);
        b.events[1].on += time::Duration::days(2);
        // Unchecked metadata does not move the indicator (a pull refuses it anyway).
        b.received_on -= time::Duration::days(40);
        let all = compute(&[Facts::of(&b)], crate::testkit::ON).pop().expect("total");
        assert_eq!(all.median_days_to_acknowledge, Some(2.0));
    }

    #[test]
    fn junk_counts_in_no_figure() {
        let kit = crate::testkit::Kit::new("alice");
        let mut real = kit.bundle("c1");
        kit.status(&mut real, Status::Acknowledged);
        let mut junk = kit.bundle("c2");
        kit.status(&mut junk, Status::ClosedSpam);
        let rows = compute(&[Facts::of(&real), Facts::of(&junk)], crate::testkit::ON);
        let all = rows.last().expect("total");
        assert_eq!(all.cases, 1);
        assert!(!all.by_status.contains_key("closed_spam"));
        assert!(rows.iter().all(|k| k.cases == 1), "no group is made of junk alone");
    }

    #[test]
    fn medians() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }
}
