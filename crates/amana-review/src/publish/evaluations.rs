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
