//! A reporting period for `kpis --period`: a year (`2026`), a quarter (`2026-Q3`) or a month
//! (`2026-11`), as UTC dates, inclusive. Cases count in the period they were received in.

use time::{Date, Month};

/// First and last day, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Date,
    pub to: Date,
}

impl Period {
    /// Whether `d` falls in the period.
    pub fn contains(&self, d: Date) -> bool {
        self.from <= d && d <= self.to
    }
}

/// Parses `YYYY`, `YYYY-Qn` or `YYYY-MM`.
pub fn parse(s: &str) -> Result<Period, String> {
    let bad =
        || format!("`{s}` is not a period: use a year (2026), a quarter (2026-Q3) or a month (2026-11)");
    let (year, rest) = s.split_once('-').map_or((s, None), |(y, r)| (y, Some(r)));
    let year: i32 = year.parse().ok().filter(|y| (2000..=9999).contains(y)).ok_or_else(bad)?;
    let (first, last) = match rest {
        None => (1, 12),
        Some(q) if q.len() == 2 && (q.starts_with('Q') || q.starts_with('q')) => {
            let n: u8 = q[1..].parse().ok().filter(|n| (1..=4).contains(n)).ok_or_else(bad)?;
            (3 * n - 2, 3 * n)
        }
        Some(m) if m.len() == 2 => {
            let n: u8 = m.parse().ok().filter(|n| (1..=12).contains(n)).ok_or_else(bad)?;
            (n, n)
        }
        Some(_) => return Err(bad()),
    };
    let month = |n: u8| Month::try_from(n).map_err(|_| bad());
    let from = Date::from_calendar_date(year, month(first)?, 1).map_err(|_| bad())?;
    let last_month = month(last)?;
    let to = Date::from_calendar_date(year, last_month, last_month.length(year)).map_err(|_| bad())?;
    Ok(Period { from, to })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn years_quarters_and_months() {
        assert_eq!(parse("2026"), Ok(Period { from: date!(2026 - 01 - 01), to: date!(2026 - 12 - 31) }));
        assert_eq!(parse("2026-Q3"), Ok(Period { from: date!(2026 - 07 - 01), to: date!(2026 - 09 - 30) }));
        assert_eq!(parse("2028-02"), Ok(Period { from: date!(2028 - 02 - 01), to: date!(2028 - 02 - 29) }));
        for bad in ["", "26", "2026-Q5", "2026-13", "2026-1", "2026-W3", "x"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let q = parse("2026-q4").expect("q4");
        assert!(q.contains(date!(2026 - 12 - 31)) && !q.contains(date!(2027 - 01 - 01)));
    }
}
