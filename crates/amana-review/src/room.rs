//! The operations room (docs/OPERATIONS-ROOM.md): the whole picture of a period, cut three
//! ways — per agency, per service centre and per kind — with the weekly trend of receipts and
//! of acknowledgements on time, and the evaluation means. `kpis --json` carries it as `room`;
//! `kpis --html` renders it (`report`).
//!
//! Everything comes from the verified clear metadata of the home's cases (`kpis`): nothing is
//! decrypted, and dates are the events' `on` dates.

use std::collections::BTreeMap;

use serde::Serialize;
use time::Date;

use crate::evaluation::{self, CriterionMean};
use crate::facts::Facts;
use crate::kpis::{self, Kpi};

/// The agency every oversight-only case is shown under in the room and in `kpis`: never
/// under its own agency (not a valid agency id, so it cannot collide with one).
pub const OVERSIGHT_ONLY: &str = "(oversight only)";

/// One ISO week of the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Week {
    /// `2026-W03`.
    pub week: String,
    /// Cases received that week.
    pub received: usize,
    /// Of those, the ones whose acknowledgement is settled, and the ones acknowledged on time.
    pub settled: usize,
    pub on_time: usize,
    /// `on_time / settled`.
    pub on_time_share: Option<f64>,
}

/// The room's figures.
#[derive(Debug, Serialize)]
pub struct Room {
    pub agencies: Vec<Kpi>,
    pub centres: Vec<Kpi>,
    pub kinds: Vec<Kpi>,
    pub total: Kpi,
    pub weeks: Vec<Week>,
    pub evaluations: Vec<CriterionMean>,
}

/// Moves oversight-only cases out of their agency, for every view `kpis` gives.
pub fn set_apart(facts: &mut [Facts]) {
    for f in facts.iter_mut().filter(|f| f.oversight_only) {
        f.agency = OVERSIGHT_ONLY.to_string();
    }
}

/// The room over `cases` (junk is left out here, as everywhere in the figures).
pub fn build(cases: &[&Facts], today: Date) -> Room {
    let counted: Vec<&Facts> = cases.iter().copied().filter(|f| f.status.counts_in_figures()).collect();
    let mut by_agency: BTreeMap<&str, Vec<&Facts>> = BTreeMap::new();
    let mut by_centre: BTreeMap<(&str, &str), Vec<&Facts>> = BTreeMap::new();
    let mut by_kind: BTreeMap<&str, Vec<&Facts>> = BTreeMap::new();
    for f in counted.iter().copied() {
        by_agency.entry(&f.agency).or_default().push(f);
        by_kind.entry(f.kind.as_str()).or_default().push(f);
        if let Some(centre) = f.evaluation.as_ref().and_then(|e| e.centre.as_deref()) {
            by_centre.entry((&f.agency, centre)).or_default().push(f);
        }
    }
    let group = |a: &str, k: &str, l: &[&Facts]| kpis::group_facts(a.to_string(), k.to_string(), l, today);
    Room {
        agencies: by_agency.into_iter().map(|(a, l)| group(a, "all", &l)).collect(),
        centres: by_centre
            .into_iter()
            .map(|((a, c), l)| Kpi { centre: Some(crate::cases::printable(c)), ..group(a, "all", &l) })
            .collect(),
        kinds: by_kind.into_iter().map(|(k, l)| group("all", k, &l)).collect(),
        total: group("all", "all", &counted),
        weeks: weeks(&counted, today),
        evaluations: evaluation::summed(
            counted.iter().filter_map(|f| Some((f.agency.as_str(), f.evaluation.as_ref()?))),
        ),
    }
}

/// The room's part of the `kpis` table: per centre, per week and the improvement periods.
pub fn table(room: &Room, improvements: &[crate::improvement::Shown]) -> String {
    let mut out = String::new();
    if !room.centres.is_empty() {
        let rows: Vec<Kpi> = room
            .centres
            .iter()
            .map(|k| Kpi {
                agency: format!("{}/{}", k.agency, k.centre.as_deref().unwrap_or("-")),
                ..k.clone()
            })
            .collect();
        out.push_str("\nper centre (agency/centre)\n");
        out.push_str(&kpis::table(&rows));
    }
    if !room.weeks.is_empty() {
        out.push_str("\nweekly (ISO week of receipt)\nWEEK      RECEIVED  ACK_ON_TIME\n");
        for w in &room.weeks {
            let share = w.on_time_share.map_or("-".to_string(), |s| format!("{:.0}%", s * 100.0));
            out.push_str(&format!(
                "{}  {:<8}  {share} ({} of {})\n",
                w.week, w.received, w.on_time, w.settled
            ));
        }
    }
    for s in improvements {
        let d = &s.period;
        let state = d.closed_on.map_or("open".to_string(), |c| format!("closed {c}"));
        out.push_str(&format!(
            "\nimprovement period {} for {}{}: deadline {}, {state}; {}\n",
            d.id,
            crate::cases::printable(&d.agency),
            d.centre.as_deref().map_or(String::new(), |c| format!("/{}", crate::cases::printable(c))),
            d.deadline,
            crate::cases::printable(&d.reason)
        ));
        for f in &s.figures {
            let v = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2}"));
            out.push_str(&format!(
                "  {}  before {} (n {})  after {} (n {})\n",
                crate::cases::printable(&f.criterion),
                v(f.before),
                f.n_before,
                v(f.after),
                f.n_after
            ));
        }
    }
    out
}

/// The ISO year and week of a date (the first days of January can be in the last week of the
/// year before).
fn iso_week(d: Date) -> (i32, u8) {
    let (year, week, _) = d.to_iso_week_date();
    (year, week)
}

/// `2026-W03`.
fn week_label((year, week): (i32, u8)) -> String {
    format!("{year}-W{week:02}")
}

/// Per ISO week of receipt, in order: receipts and acknowledgements on time.
fn weeks(cases: &[&Facts], today: Date) -> Vec<Week> {
    let mut acc: BTreeMap<(i32, u8), (usize, usize, usize)> = BTreeMap::new();
    for f in cases {
        let (n, settled, on_time) = acc.entry(iso_week(f.received_on)).or_default();
        *n += 1;
        match f.acknowledged_on {
            Some(on) => {
                (*settled, *on_time) =
                    (*settled + 1, *on_time + usize::from(on <= f.deadlines.acknowledge_by))
            }
            None if today > f.deadlines.acknowledge_by => *settled += 1,
            None => {}
        }
    }
    acc.into_iter()
        .map(|(week, (received, settled, on_time))| Week {
            week: week_label(week),
            received,
            settled,
            on_time,
            on_time_share: (settled > 0).then(|| on_time as f64 / settled as f64),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use amana_core::case::Status;
    use time::macros::date;

    #[test]
    fn iso_weeks_cross_years_as_iso_says() {
        assert_eq!(week_label(iso_week(date!(2026 - 01 - 01))), "2026-W01");
        assert_eq!(week_label(iso_week(date!(2027 - 01 - 01))), "2026-W53");
        assert_eq!(week_label(iso_week(date!(2025 - 12 - 29))), "2026-W01");
    }

    #[test]
    fn oversight_only_cases_leave_their_agency() {
        let kit = crate::testkit::Kit::new("alice");
        let mut secret = kit.bundle("c1");
        secret.oversight_only = true;
        let mut cases = vec![Facts::of(&secret), Facts::of(&kit.bundle("c2"))];
        let agency = cases[1].agency.clone();
        set_apart(&mut cases);
        let refs: Vec<&Facts> = cases.iter().collect();
        let room = build(&refs, crate::testkit::ON);
        let names: Vec<&str> = room.agencies.iter().map(|k| k.agency.as_str()).collect();
        assert_eq!(names, [OVERSIGHT_ONLY, agency.as_str()]);
        assert!(room.agencies.iter().all(|k| k.cases == 1));
        let mut junk = kit.bundle("c3");
        kit.status(&mut junk, Status::ClosedSpam);
        assert_eq!(build(&[&Facts::of(&junk)], crate::testkit::ON).total.cases, 0);
    }
}
