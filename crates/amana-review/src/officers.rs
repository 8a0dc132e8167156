//! `kpis --officers`: each reviewer's timeliness, for the oversight unit's own eyes only — a
//! table on the terminal, never a file (`--json`/`--csv` are refused with it), and only on an
//! oversight home. From the verified histories: cases the reviewer acted on, median days from
//! receipt to the reviewer's first action on a case (when that action was the case's first),
//! median days from receipt to the reviewer's first reply, and how many of the open cases they
//! hold are overdue.
//!
//! What these figures do not show: an officer can "act" early with an empty status change,
//! cases differ in difficulty, and a reviewer who takes the hard cases looks slow. They can be
//! gamed and must be read with the cases, not instead of them (README, "Reviewer quick-start").

use std::collections::{BTreeMap, BTreeSet};

use amana_core::deadlines;
use amana_core::events::EventKind;
use amana_core::wire::CaseBundle;
use time::Date;

use crate::cases::printable;
use crate::history;

/// One reviewer's figures.
#[derive(Debug, Default, PartialEq)]
pub struct Officer {
    pub reviewer: String,
    /// Cases with at least one action signed by this reviewer.
    pub acted_on: usize,
    /// Median days to the case's first reviewer action, over the cases where it was theirs.
    pub median_days_to_first_action: Option<f64>,
    /// Median days from receipt to their first reply on a case.
    pub median_days_to_reply: Option<f64>,
    /// Open cases they hold, and how many of those are overdue today.
    pub holding: usize,
    pub holding_overdue: usize,
}

/// A reviewer's figures being gathered: days to first action and to first reply, per case.
type Tally = (Officer, Vec<f64>, Vec<f64>);

fn entry<'a>(acc: &'a mut BTreeMap<String, Tally>, id: &str) -> &'a mut Tally {
    acc.entry(printable(id))
        .or_insert_with(|| (Officer { reviewer: printable(id), ..Officer::default() }, vec![], vec![]))
}

/// Per reviewer, in id order.
pub fn compute(bundles: &[&CaseBundle], today: Date) -> Vec<Officer> {
    let mut acc: BTreeMap<String, Tally> = BTreeMap::new();
    for b in bundles {
        let received = history::received_on(b);
        let days = |on: Date| (on - received).whole_days() as f64;
        let actions: Vec<(&str, EventKind, Date)> = b
            .events
            .iter()
            .filter(|e| e.kind.is_reviewer_action())
            .filter_map(|e| e.actor.as_deref().map(|a| (a, e.kind, e.on)))
            .collect();
        let mut first_reply: BTreeMap<&str, Date> = BTreeMap::new();
        let mut actors: BTreeSet<&str> = BTreeSet::new();
        for (actor, kind, on) in &actions {
            actors.insert(actor);
            if *kind == EventKind::Reply {
                first_reply.entry(actor).or_insert(*on);
            }
        }
        for actor in actors {
            entry(&mut acc, actor).0.acted_on += 1;
        }
        for (actor, on) in first_reply {
            entry(&mut acc, actor).2.push(days(on));
        }
        if let Some((actor, _, on)) = actions.first() {
            entry(&mut acc, actor).1.push(days(*on));
        }
        if let (Some(holder), false) = (crate::readers::custody_of(b).holder, b.status.is_closed()) {
            let (o, _, _) = entry(&mut acc, &holder);
            o.holding += 1;
            o.holding_overdue += usize::from(deadlines::is_overdue(b.status, &b.deadlines, today));
        }
    }
    acc.into_values()
        .map(|(mut o, mut first, mut reply)| {
            o.median_days_to_first_action = crate::kpis::median(&mut first);
            o.median_days_to_reply = crate::kpis::median(&mut reply);
            o
        })
        .collect()
}

/// The table `kpis --officers` prints.
pub fn table(rows: &[Officer]) -> String {
    let mut out = String::from(
        "officers (oversight only; not for files or agencies: these figures can be gamed)\n\
         REVIEWER  ACTED_ON  MEDIAN_DAYS_FIRST_ACTION  MEDIAN_DAYS_TO_REPLY  HOLDING  OVERDUE\n",
    );
    let opt = |v: Option<f64>| v.map_or("-".to_string(), |d| format!("{d:.1}"));
    for o in rows {
        out.push_str(&format!(
            "{}  {}  {}  {}  {}  {}\n",
            o.reviewer,
            o.acted_on,
            opt(o.median_days_to_first_action),
            opt(o.median_days_to_reply),
            o.holding,
            o.holding_overdue
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use amana_core::case::Status;

    #[test]
    fn first_actions_replies_and_held_cases_per_reviewer() {
        let alice = crate::testkit::Kit::new("alice");
        let mut a = alice.bundle("c1");
        alice.status(&mut a, Status::Acknowledged);
        let mut b = alice.bundle("c2");
        alice.status(&mut b, Status::Acknowledged);
        alice.status(&mut b, Status::ClosedActionTaken);
        let rows = compute(&[&a, &b], crate::testkit::ON);
        assert_eq!(rows.len(), 1);
        let o = &rows[0];
        assert_eq!((o.reviewer.as_str(), o.acted_on), ("alice", 2));
        assert_eq!(o.median_days_to_first_action, Some(0.0));
        assert_eq!(o.median_days_to_reply, None, "no replies");
        assert_eq!((o.holding, o.holding_overdue), (0, 0));
        assert!(table(&rows).contains("alice  2  0.0  -  0  0"), "{}", table(&rows));
    }
}
