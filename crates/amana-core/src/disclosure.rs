//! What a published figure may show (SECURITY.md, "Published figures"): the rules that keep
//! transparency figures from pointing at a reporter.
//!
//! * A count of 0 to k−1 is shown as `<k` (k is 5 by default and never below 3); larger counts
//!   are rounded to the nearest multiple of 5, so a small cell cannot be recovered from a total
//!   and its other cells.
//! * A rate is shown only when both its numerator and its complement count at least k; a mean
//!   or a median only when it is over at least k values.
//! * A period is published once, at least 120 days after it ends (late events then no longer
//!   change it).

use serde::{Deserialize, Serialize};
use time::Date;

/// The smallest k allowed.
pub const MIN_K: u32 = 3;
/// The default k.
pub const DEFAULT_K: u32 = 5;
/// Counts are rounded to multiples of this.
pub const ROUND_TO: u64 = 5;
/// Days after a period's end before it may be published.
pub const EMBARGO_DAYS: i64 = 120;

/// A count as published: a rounded number, or "fewer than k".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Count {
    /// Rounded to a multiple of [`ROUND_TO`].
    About(u64),
    /// Fewer than this k.
    FewerThan(u32),
}

/// The rules for one publication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    k: u32,
}

impl Rules {
    /// Rules with threshold `k`; refused below [`MIN_K`].
    pub fn new(k: u32) -> Result<Self, String> {
        if k < MIN_K {
            return Err(format!("k must be at least {MIN_K}: smaller cells can point at a person"));
        }
        Ok(Self { k })
    }

    pub fn k(&self) -> u32 {
        self.k
    }

    /// A count as it may be shown.
    pub fn count(&self, n: u64) -> Count {
        if n < u64::from(self.k) {
            return Count::FewerThan(self.k);
        }
        // Nearest multiple of ROUND_TO, halves up; never rounded below k's own bucket to zero.
        let rounded = (n + ROUND_TO / 2) / ROUND_TO * ROUND_TO;
        Count::About(rounded.max(ROUND_TO))
    }

    /// `numerator / denominator`, if both the numerator and its complement reach k.
    pub fn rate(&self, numerator: u64, denominator: u64) -> Option<f64> {
        let k = u64::from(self.k);
        let complement = denominator.checked_sub(numerator)?;
        (numerator >= k && complement >= k).then(|| numerator as f64 / denominator as f64)
    }

    /// A mean or median over `n` values, if `n` reaches k.
    pub fn statistic(&self, n: u64, value: Option<f64>) -> Option<f64> {
        value.filter(|_| n >= u64::from(self.k))
    }
}

/// Whether a period ending on `last_day` may be published on `today`.
pub fn publishable(last_day: Date, today: Date) -> bool {
    (today - last_day).whole_days() >= EMBARGO_DAYS
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn small_counts_are_hidden_and_others_rounded() {
        let r = Rules::new(DEFAULT_K).expect("k");
        assert_eq!(r.count(0), Count::FewerThan(5));
        assert_eq!(r.count(4), Count::FewerThan(5));
        assert_eq!(r.count(5), Count::About(5));
        assert_eq!(r.count(7), Count::About(5));
        assert_eq!(r.count(8), Count::About(10));
        assert_eq!(r.count(1234), Count::About(1235));
        assert!(Rules::new(2).is_err() && Rules::new(3).is_ok());
        // With k = 3, a cell of 3 is still never shown as itself.
        assert_eq!(Rules::new(3).expect("k").count(3), Count::About(5));
    }

    #[test]
    fn rates_need_both_sides_and_statistics_need_k_values() {
        let r = Rules::new(5).expect("k");
        assert_eq!(r.rate(5, 10), Some(0.5));
        assert_eq!(r.rate(4, 10), None, "numerator below k");
        assert_eq!(r.rate(9, 12), None, "complement below k: who was late is nearly known");
        assert_eq!(r.rate(3, 2), None);
        assert_eq!(r.statistic(4, Some(2.0)), None);
        assert_eq!(r.statistic(5, Some(2.0)), Some(2.0));
    }

    #[test]
    fn a_period_waits_120_days() {
        assert!(!publishable(date!(2026 - 09 - 30), date!(2027 - 01 - 27)));
        assert!(publishable(date!(2026 - 09 - 30), date!(2027 - 01 - 28)));
    }

    #[test]
    fn no_published_count_reveals_a_small_cell_by_difference() {
        // A small cell and another, published alone and as a total: from the two published
        // figures, more than one value of the small cell stays possible.
        let r = Rules::new(5).expect("k");
        for small in 1..5u64 {
            for other in 5..300u64 {
                let (seen_total, seen_other) = (r.count(small + other), r.count(other));
                let possible: Vec<u64> = (0..5u64)
                    .filter(|s| {
                        (other.saturating_sub(4)..=other + 4)
                            .any(|o| r.count(o) == seen_other && r.count(s + o) == seen_total)
                    })
                    .collect();
                assert!(possible.len() > 1, "small {small} and other {other}: only {possible:?} fits");
            }
        }
    }
}
