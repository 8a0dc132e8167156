//! A year's figures: the sum of its four published quarters, computed from the signed
//! quarter documents alone (SECURITY.md, "Published figures"; docs/FORMATS.md §11).
//!
//! Nothing here reads a case: every number is a function of numbers the quarters already
//! publish, so a year can reveal nothing its quarters do not — anyone holding the four signed
//! files computes the same year, and no new signature is needed. The price: a count a quarter
//! hides stays hidden in the year (the year says how many quarters were below k), and a
//! yearly statistic is the mean of the quarters' published statistics weighted by their
//! published (rounded) n, so a centre with fewer than k commissioned visits in every quarter
//! is never scored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ranking::{self, Ranking};
use super::{quarter, AgencyFigures, Document};
use crate::disclosure::Count;

/// The year view's format tag (it is computed, not signed: the quarters carry the signatures).
pub const FORMAT: &str = "amana-transparency-year-1";

/// A count summed over quarters: the published counts added up, and how many quarters
/// showed only "fewer than k" (each of those is 0 to k−1, which the year cannot narrow).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sum {
    pub about: u64,
    pub quarters_below_k: u8,
}

impl Sum {
    fn add(&mut self, c: Count) {
        match c {
            Count::About(n) => self.about += n,
            Count::FewerThan(_) => self.quarters_below_k += 1,
        }
    }

    /// As text: `20`, `20 + 1×<5` (20 plus one quarter below 5) or `2×<5`.
    pub fn text(&self, k: u32) -> String {
        match (self.about, self.quarters_below_k) {
            (a, 0) => a.to_string(),
            (0, h) => format!("{h}×<{k}"),
            (a, h) => format!("{a} + {h}×<{k}"),
        }
    }
}

/// A statistic over a year: the quarters' published values weighted by their published n.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    pub value: f64,
    /// The sum of the published n of the quarters that showed the statistic.
    pub n: u64,
}

/// Weighted values, shown once their n reaches k.
#[derive(Default)]
struct Weighted {
    sum: f64,
    n: u64,
}

impl Weighted {
    fn add(&mut self, value: Option<f64>, n: Option<Count>) {
        if let (Some(v), Some(Count::About(n))) = (value, n) {
            self.sum += v * n as f64;
            self.n += n;
        }
    }

    fn stat(&self, k: u32) -> Option<Stat> {
        (self.n >= u64::from(k) && self.n > 0).then(|| Stat { value: self.sum / self.n as f64, n: self.n })
    }
}

/// One agency over the year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct YearAgency {
    pub agency: String,
    pub received: Sum,
    pub received_by_kind: BTreeMap<String, Sum>,
    pub acknowledged_on_time: Option<Stat>,
    pub median_days_to_acknowledge: Option<Stat>,
    pub median_days_to_first_reply: Option<Stat>,
    pub satisfaction: Option<Stat>,
    pub rated: Sum,
    /// Per centre (`None`: no centre named), commissioned and public apart.
    pub evaluations: Vec<YearEvaluation>,
}

/// One centre's evaluation score over the year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct YearEvaluation {
    pub centre: Option<String>,
    pub commissioned: bool,
    pub score: Stat,
}

/// The year view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Year {
    pub format: String,
    pub deployment_id: String,
    pub year: i32,
    /// The largest k of the four quarters (each hidden count is below its own quarter's k).
    pub k: u32,
    pub agencies: Vec<YearAgency>,
    pub ranking: Ranking,
}

/// The year made of `quarters` — exactly the four quarters of one year, of one deployment —
/// or `None` when they are not.
pub fn sum(quarters: &[&Document]) -> Option<Year> {
    let first = quarters.first()?;
    let (year, _) = quarter(first.from, first.to)?;
    let mut seen: Vec<u8> = quarters
        .iter()
        .filter(|d| d.deployment_id == first.deployment_id)
        .filter_map(|d| quarter(d.from, d.to).filter(|(y, _)| *y == year).map(|(_, q)| q))
        .collect();
    seen.sort_unstable();
    if seen != [1, 2, 3, 4] {
        return None;
    }
    let k = quarters.iter().map(|d| d.k).max()?;
    let mut by_agency: BTreeMap<&str, Vec<&AgencyFigures>> = BTreeMap::new();
    for a in quarters.iter().flat_map(|d| &d.agencies) {
        by_agency.entry(a.agency.as_str()).or_default().push(a);
    }
    let agencies: Vec<YearAgency> = by_agency.into_iter().map(|(id, qs)| agency(id, &qs, k)).collect();
    let ranking = ranking::rank(&agencies, k);
    Some(Year {
        format: FORMAT.into(),
        deployment_id: first.deployment_id.clone(),
        year,
        k,
        agencies,
        ranking,
    })
}

fn agency(id: &str, quarters: &[&AgencyFigures], k: u32) -> YearAgency {
    let (mut received, mut rated) = (Sum::default(), Sum::default());
    let mut by_kind: BTreeMap<String, Sum> = BTreeMap::new();
    let [mut on_time, mut ack, mut reply, mut satisfaction] = std::array::from_fn(|_| Weighted::default());
    let mut centres: BTreeMap<(Option<String>, bool), Weighted> = BTreeMap::new();
    for q in quarters {
        received.add(q.received);
        rated.add(q.rated);
        for (kind, c) in &q.received_by_kind {
            by_kind.entry(kind.clone()).or_default().add(*c);
        }
        on_time.add(q.acknowledged_on_time, q.settled);
        ack.add(q.median_days_to_acknowledge, q.acknowledged);
        reply.add(q.median_days_to_first_reply, q.replied);
        satisfaction.add(q.satisfaction, Some(q.rated));
        for e in &q.evaluations {
            centres.entry((e.centre.clone(), e.commissioned)).or_default().add(e.score, Some(e.evaluations));
        }
    }
    let evaluations = centres
        .into_iter()
        .filter_map(|((centre, commissioned), w)| {
            w.stat(k).map(|score| YearEvaluation { centre, commissioned, score })
        })
        .collect();
    YearAgency {
        agency: id.to_string(),
        received,
        received_by_kind: by_kind,
        acknowledged_on_time: on_time.stat(k),
        median_days_to_acknowledge: ack.stat(k),
        median_days_to_first_reply: reply.stat(k),
        satisfaction: satisfaction.stat(k),
        rated,
        evaluations,
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::{EvaluationFigures, FORMAT as QUARTER_FORMAT};
    use super::*;
    use time::macros::date;

    pub(crate) fn figures(agency: &str, received: Count) -> AgencyFigures {
        AgencyFigures {
            agency: agency.into(),
            received,
            received_by_kind: [("violation".to_string(), received)].into(),
            acknowledged_on_time: None,
            median_days_to_acknowledge: None,
            satisfaction: None,
            rated: Count::FewerThan(5),
            acknowledged: None,
            settled: None,
            median_days_to_first_reply: None,
            replied: None,
            evaluations: vec![],
        }
    }

    pub(crate) fn quarter_doc(year: i32, q: u8, agencies: Vec<AgencyFigures>) -> Document {
        let first = time::Month::try_from(3 * q - 2).expect("month");
        let last = time::Month::try_from(3 * q).expect("month");
        Document {
            format: QUARTER_FORMAT.into(),
            deployment_id: "dep".into(),
            from: time::Date::from_calendar_date(year, first, 1).expect("date"),
            to: time::Date::from_calendar_date(year, last, last.length(year)).expect("date"),
            k: 5,
            agencies,
        }
    }

    #[test]
    fn a_year_is_the_sum_of_its_four_quarters_and_nothing_more() {
        let mut docs: Vec<Document> = (1..=4)
            .map(|q| {
                let mut a = figures("health", if q == 2 { Count::FewerThan(5) } else { Count::About(10) });
                a.median_days_to_acknowledge = Some(f64::from(q));
                a.acknowledged = Some(Count::About(5 * u64::from(q)));
                a.evaluations = vec![EvaluationFigures {
                    centre: Some("north".into()),
                    commissioned: true,
                    evaluations: Count::About(5),
                    score: Some(f64::from(q)),
                    criteria: vec![],
                }];
                quarter_doc(2025, q, vec![a])
            })
            .collect();
        let refs: Vec<&Document> = docs.iter().collect();
        let y = sum(&refs).expect("a year");
        let h = &y.agencies[0];
        assert_eq!(h.received, Sum { about: 30, quarters_below_k: 1 });
        assert_eq!(h.received.text(5), "30 + 1×<5");
        // (1×5 + 2×10 + 3×15 + 4×20) / 50
        assert_eq!(h.median_days_to_acknowledge, Some(Stat { value: 3.0, n: 50 }));
        assert_eq!(h.evaluations[0].score, Stat { value: 2.5, n: 20 });
        // Three quarters, two of one year, or a month in place of a quarter: no year.
        assert!(sum(&refs[..3]).is_none());
        docs[3].from = date!(2026 - 10 - 01);
        docs[3].to = date!(2026 - 12 - 31);
        assert!(sum(&docs.iter().collect::<Vec<_>>()).is_none());
        docs[3].from = date!(2025 - 12 - 01);
        docs[3].to = date!(2025 - 12 - 31);
        assert!(sum(&docs.iter().collect::<Vec<_>>()).is_none());
    }

    #[test]
    fn sums_as_text() {
        assert_eq!(Sum { about: 0, quarters_below_k: 4 }.text(5), "4×<5");
        assert_eq!(Sum { about: 15, quarters_below_k: 0 }.text(5), "15");
    }
}
