//! The yearly ranking: agencies and service centres by their commissioned evaluation score
//! (best and weakest, each with its n), and the bodies fastest to acknowledge.
//!
//! Only commissioned visits rank: a public rating is whoever chose to write one, which an
//! agency could flood; a commissioned visit is one oversight paid for with a signed token.
//! Every score comes from [`super::year`], so it is already shown only over n ≥ k.

use serde::{Deserialize, Serialize};

use super::year::{Stat, YearAgency};

/// How many bodies each list names at most.
pub const TOP: usize = 3;

/// One ranked body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ranked {
    pub agency: String,
    /// For centres; `None` in the agency lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub centre: Option<String>,
    pub value: f64,
    pub n: u64,
}

/// The year's lists. Best and weakest never name the same body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ranking {
    pub best_agencies: Vec<Ranked>,
    pub weakest_agencies: Vec<Ranked>,
    pub best_centres: Vec<Ranked>,
    pub weakest_centres: Vec<Ranked>,
    /// By the year's median days to acknowledge, fastest first.
    pub fastest_to_acknowledge: Vec<Ranked>,
}

/// The lists of a year's agencies.
pub fn rank(agencies: &[YearAgency], k: u32) -> Ranking {
    let mut by_agency = Vec::new();
    let mut by_centre = Vec::new();
    for a in agencies {
        let commissioned: Vec<&Stat> =
            a.evaluations.iter().filter(|e| e.commissioned).map(|e| &e.score).collect();
        let n: u64 = commissioned.iter().map(|s| s.n).sum();
        if n >= u64::from(k) && n > 0 {
            let value = commissioned.iter().map(|s| s.value * s.n as f64).sum::<f64>() / n as f64;
            by_agency.push(Ranked { agency: a.agency.clone(), centre: None, value, n });
        }
        for e in a.evaluations.iter().filter(|e| e.commissioned) {
            if let Some(centre) = &e.centre {
                let (value, n) = (e.score.value, e.score.n);
                by_centre.push(Ranked { agency: a.agency.clone(), centre: Some(centre.clone()), value, n });
            }
        }
    }
    let mut fastest: Vec<Ranked> = agencies
        .iter()
        .filter_map(|a| {
            let s = a.median_days_to_acknowledge?;
            Some(Ranked { agency: a.agency.clone(), centre: None, value: s.value, n: s.n })
        })
        .collect();
    fastest.sort_by(|a, b| a.value.total_cmp(&b.value).then_with(|| a.agency.cmp(&b.agency)));
    fastest.truncate(TOP);
    let (best_agencies, weakest_agencies) = best_and_weakest(by_agency);
    let (best_centres, weakest_centres) = best_and_weakest(by_centre);
    Ranking {
        best_agencies,
        weakest_agencies,
        best_centres,
        weakest_centres,
        fastest_to_acknowledge: fastest,
    }
}

/// The top [`TOP`] and the bottom [`TOP`] (weakest first), from at most half each, so that
/// no body is both best and weakest.
fn best_and_weakest(mut all: Vec<Ranked>) -> (Vec<Ranked>, Vec<Ranked>) {
    all.sort_by(|a, b| {
        b.value.total_cmp(&a.value).then_with(|| (&a.agency, &a.centre).cmp(&(&b.agency, &b.centre)))
    });
    let best_n = TOP.min(all.len().div_ceil(2));
    let rest = all.split_off(best_n);
    let weakest: Vec<Ranked> = rest.into_iter().rev().take(TOP).collect();
    (all, weakest)
}

#[cfg(test)]
mod tests {
    use super::super::year::tests::{figures, quarter_doc};
    use super::super::{year, EvaluationFigures};
    use super::*;
    use crate::disclosure::Count;

    fn cell(centre: &str, commissioned: bool, n: u64, score: f64) -> EvaluationFigures {
        EvaluationFigures {
            centre: Some(centre.into()),
            commissioned,
            evaluations: Count::About(n),
            score: Some(score),
            criteria: vec![],
        }
    }

    #[test]
    fn only_commissioned_scores_over_k_rank() {
        let docs: Vec<_> = (1..=4)
            .map(|q| {
                let mut a = figures("a", Count::About(10));
                // Perfect public ratings do not rank; commissioned visits do.
                a.evaluations = vec![cell("a1", false, 50, 5.0), cell("a1", true, 5, 2.0)];
                let mut b = figures("b", Count::About(10));
                b.evaluations = vec![cell("b1", true, 5, 4.0), cell("b2", true, 5, 3.0)];
                a.median_days_to_acknowledge = Some(3.0);
                a.acknowledged = Some(Count::About(5));
                b.median_days_to_acknowledge = Some(1.0);
                b.acknowledged = Some(Count::About(5));
                let mut c = figures("c", Count::About(10));
                // c's only visits were hidden in every quarter (fewer than k): never ranked.
                c.median_days_to_acknowledge = Some(0.5);
                quarter_doc(2025, q, vec![a, b, c])
            })
            .collect();
        let y = year::sum(&docs.iter().collect::<Vec<_>>()).expect("year");
        let r = &y.ranking;
        let names =
            |l: &[Ranked]| l.iter().map(|r| (r.agency.clone(), r.centre.clone(), r.n)).collect::<Vec<_>>();
        assert_eq!(names(&r.best_agencies), vec![("b".into(), None, 40)]);
        assert_eq!(names(&r.weakest_agencies), vec![("a".into(), None, 20)]);
        assert_eq!(r.best_agencies[0].value, 3.5);
        assert_eq!(
            names(&r.best_centres),
            vec![("b".into(), Some("b1".into()), 20), ("b".into(), Some("b2".into()), 20)]
        );
        assert_eq!(names(&r.weakest_centres), vec![("a".into(), Some("a1".into()), 20)]);
        // c's median has no published n behind it: it cannot be weighted, so it does not rank.
        assert_eq!(names(&r.fastest_to_acknowledge), vec![("b".into(), None, 20), ("a".into(), None, 20)]);
    }
}
