//! Published figures as CSV (RFC 4180: UTF-8, every cell quoted, CRLF line ends), one figure
//! per line — `period,agency,centre,figure,value,n` — so that one file holds a quarter's or a
//! year's every table. A hidden count is the text `<k`; a hidden statistic is an empty value;
//! a year's sum with hidden quarters is `20 + 1×<5` (`year::Sum::text`).

use super::ranking::Ranked;
use super::year::{Stat, Year};
use super::{AgencyFigures, Document};
use crate::disclosure::Count;

/// The header line's cells.
pub const HEADER: [&str; 6] = ["period", "agency", "centre", "figure", "value", "n"];

/// A count as a cell: `10` or `<5`.
pub fn count(c: Count) -> String {
    match c {
        Count::About(n) => n.to_string(),
        Count::FewerThan(k) => format!("<{k}"),
    }
}

struct Lines {
    period: String,
    out: String,
}

impl Lines {
    fn new(period: String) -> Self {
        let mut l = Self { period, out: String::new() };
        l.raw(&HEADER.map(String::from));
        l
    }

    fn raw(&mut self, cells: &[String]) {
        let quoted: Vec<String> = cells.iter().map(|c| format!("\"{}\"", c.replace('"', "\"\""))).collect();
        self.out.push_str(&quoted.join(","));
        self.out.push_str("\r\n");
    }

    fn line(&mut self, agency: &str, centre: Option<&str>, figure: &str, value: String, n: String) {
        let period = self.period.clone();
        self.raw(&[period, agency.into(), centre.unwrap_or("").into(), figure.into(), value, n]);
    }
}

fn number(v: Option<f64>, places: usize) -> String {
    v.map_or(String::new(), |v| format!("{v:.places$}"))
}

/// A quarter's document: `period` is its label (`2025-Q1`).
pub fn quarter(period: &str, d: &Document) -> String {
    let mut l = Lines::new(period.into());
    for a in &d.agencies {
        agency_lines(&mut l, a);
    }
    l.out
}

fn agency_lines(l: &mut Lines, a: &AgencyFigures) {
    let id = a.agency.as_str();
    let n = |c: Option<Count>| c.map_or(String::new(), count);
    l.line(id, None, "received", count(a.received), String::new());
    for (kind, c) in &a.received_by_kind {
        l.line(id, None, &format!("received:{kind}"), count(*c), String::new());
    }
    l.line(id, None, "acknowledged_on_time", number(a.acknowledged_on_time, 4), n(a.settled));
    l.line(
        id,
        None,
        "median_days_to_acknowledge",
        number(a.median_days_to_acknowledge, 2),
        n(a.acknowledged),
    );
    l.line(id, None, "median_days_to_first_reply", number(a.median_days_to_first_reply, 2), n(a.replied));
    l.line(id, None, "satisfaction", number(a.satisfaction, 2), count(a.rated));
    for e in &a.evaluations {
        let by = if e.commissioned { "commissioned" } else { "public" };
        let centre = e.centre.as_deref();
        l.line(id, centre, &format!("{by}_score"), number(e.score, 2), count(e.evaluations));
        for c in &e.criteria {
            let figure = format!("{by}:{}@{}:{}", c.questionnaire, c.version, c.criterion);
            l.line(id, centre, &figure, number(c.mean, 2), count(c.answers));
        }
    }
}

/// A year's view.
pub fn year(y: &Year) -> String {
    let mut l = Lines::new(y.year.to_string());
    let stat = |s: Option<Stat>, places: usize| {
        (number(s.map(|s| s.value), places), s.map_or(String::new(), |s| s.n.to_string()))
    };
    for a in &y.agencies {
        let id = a.agency.as_str();
        l.line(id, None, "received", a.received.text(y.k), String::new());
        for (kind, s) in &a.received_by_kind {
            l.line(id, None, &format!("received:{kind}"), s.text(y.k), String::new());
        }
        for (figure, s, places) in [
            ("acknowledged_on_time", a.acknowledged_on_time, 4),
            ("median_days_to_acknowledge", a.median_days_to_acknowledge, 2),
            ("median_days_to_first_reply", a.median_days_to_first_reply, 2),
            ("satisfaction", a.satisfaction, 2),
        ] {
            let (value, n) = stat(s, places);
            l.line(id, None, figure, value, n);
        }
        l.line(id, None, "rated", a.rated.text(y.k), String::new());
        for e in &a.evaluations {
            let by = if e.commissioned { "commissioned" } else { "public" };
            let (value, n) = stat(Some(e.score), 2);
            l.line(id, e.centre.as_deref(), &format!("{by}_score"), value, n);
        }
    }
    let r = &y.ranking;
    for (list, name) in [
        (&r.best_agencies, "best_agency"),
        (&r.weakest_agencies, "weakest_agency"),
        (&r.best_centres, "best_centre"),
        (&r.weakest_centres, "weakest_centre"),
        (&r.fastest_to_acknowledge, "fastest_to_acknowledge"),
    ] {
        ranked(&mut l, name, list);
    }
    l.out
}

fn ranked(l: &mut Lines, name: &str, list: &[Ranked]) {
    for (i, r) in list.iter().enumerate() {
        let figure = format!("rank:{name}:{}", i + 1);
        l.line(&r.agency, r.centre.as_deref(), &figure, format!("{:.2}", r.value), r.n.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::super::year::tests::{figures, quarter_doc};
    use super::*;

    #[test]
    fn hidden_counts_are_text_and_cells_are_quoted() {
        let mut a = figures("health", Count::FewerThan(5));
        a.received_by_kind.insert("complaint".into(), Count::About(10));
        a.acknowledged_on_time = Some(0.5);
        a.settled = Some(Count::About(10));
        let text = quarter("2025-Q1", &quarter_doc(2025, 1, vec![a]));
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines[0], r#""period","agency","centre","figure","value","n""#);
        assert!(lines.contains(&r#""2025-Q1","health","","received","<5","""#), "{text}");
        assert!(lines.contains(&r#""2025-Q1","health","","received:complaint","10","""#), "{text}");
        assert!(lines.contains(&r#""2025-Q1","health","","acknowledged_on_time","0.5000","10""#), "{text}");
        assert!(text.ends_with("\r\n") && !text.contains("\n\n"));
    }
}
