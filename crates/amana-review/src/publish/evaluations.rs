//! The evaluation figures of one agency's cases in a published period: per centre (or none
//! named), commissioned visits and public ratings apart, the score and each criterion's mean.
//!
//! A cell is written only when its score is over at least k evaluations, and a criterion only
//! over at least k answers: a missing cell means "fewer than k" — writing a hidden cell would
//! tell that a centre was evaluated at all.

use std::collections::BTreeMap;

use amana_core::disclosure::Rules;
use amana_core::publication::{CriterionFigures, EvaluationFigures};
use amana_core::wire::CaseBundle;

use crate::cases::printable;
use crate::evaluation::{self, Evaluation};

type CriterionKey = (String, u32, String);

#[derive(Default)]
struct Cell {
    /// Each evaluation's mean answer.
    scores: Vec<f64>,
    /// Per criterion: the sum and number of answers 1–5.
    criteria: BTreeMap<CriterionKey, (u64, u64)>,
}

/// The shown cells of `cases` (one agency's counted cases of the period).
pub fn figures(cases: &[&CaseBundle], rules: &Rules) -> Vec<EvaluationFigures> {
    let mut cells: BTreeMap<(Option<String>, bool), Cell> = BTreeMap::new();
    for b in cases {
        let Some(Evaluation { centre, ratings: Some(r), commissioned }) = evaluation::of_case(b) else {
            continue;
        };
        let answered: Vec<(String, u8)> =
            r.answers.iter().filter_map(|(c, v)| v.map(|v| (printable(c), v))).collect();
        if answered.is_empty() {
            continue;
        }
        let cell = cells.entry((centre.as_deref().map(printable), commissioned)).or_default();
        let sum: u64 = answered.iter().map(|(_, v)| u64::from(*v)).sum();
        cell.scores.push(sum as f64 / answered.len() as f64);
        for (criterion, v) in answered {
            let e = cell.criteria.entry((printable(&r.questionnaire), r.version, criterion)).or_default();
            *e = (e.0 + u64::from(v), e.1 + 1);
        }
    }
    cells
        .into_iter()
        .filter_map(|((centre, commissioned), cell)| shown(centre, commissioned, cell, rules))
        .collect()
}

fn shown(centre: Option<String>, commissioned: bool, cell: Cell, rules: &Rules) -> Option<EvaluationFigures> {
    let n = cell.scores.len() as u64;
    let mean = cell.scores.iter().sum::<f64>() / n.max(1) as f64;
    let score = rules.statistic(n, Some(mean))?;
    let criteria = cell
        .criteria
        .into_iter()
        .filter_map(|((questionnaire, version, criterion), (sum, answers))| {
            let mean = rules.statistic(answers, Some(sum as f64 / answers.max(1) as f64))?;
            Some(CriterionFigures {
                questionnaire,
                version,
                criterion,
                answers: rules.count(answers),
                mean: Some(mean),
            })
        })
        .collect();
    Some(EvaluationFigures {
        centre,
        commissioned,
        evaluations: rules.count(n),
        score: Some(score),
        criteria,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evaluation(
        kit: &crate::testkit::Kit,
        id: &str,
        commissioned: bool,
        waiting: Option<u8>,
    ) -> CaseBundle {
        let mut b = kit.bundle(id);
        let mut detail: serde_json::Value = serde_json::from_str(&b.events[0].detail).expect("json");
        detail["centre"] = "north".into();
        detail["commissioned"] = commissioned.into();
        detail["ratings"] = serde_json::json!({"questionnaire": "office", "version": 1,
            "answers": [["access", 4], ["waiting", waiting]]});
        b.events[0].detail = detail.to_string();
        b
    }

    #[test]
    fn cells_and_criteria_below_k_are_left_out() {
        let kit = crate::testkit::Kit::new("alice");
        let mut cases: Vec<CaseBundle> =
            (0..5).map(|i| evaluation(&kit, &format!("c{i}"), true, (i < 3).then_some(2))).collect();
        // Four public ratings at the same centre: fewer than k, so no cell at all.
        cases.extend((0..4).map(|i| evaluation(&kit, &format!("p{i}"), false, Some(5))));
        let refs: Vec<&CaseBundle> = cases.iter().collect();
        let cells = figures(&refs, &Rules::new(5).expect("k"));
        assert_eq!(cells.len(), 1, "{cells:?}");
        let c = &cells[0];
        assert_eq!((c.centre.as_deref(), c.commissioned), (Some("north"), true));
        // Three evaluations answered (4 + 2) / 2 = 3, two only 4: (3 × 3 + 2 × 4) / 5.
        assert_eq!(c.score, Some(3.4));
        // `waiting` has 3 answers (two said "not applicable"): below k, left out.
        let criteria: Vec<&str> = c.criteria.iter().map(|x| x.criterion.as_str()).collect();
        assert_eq!(criteria, ["access"]);
        assert_eq!(c.criteria[0].mean, Some(4.0));
    }
}
