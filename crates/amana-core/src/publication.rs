//! Published figures as a signed document (`amana-review kpis --publish`): what oversight
//! signs and the server serves without being able to change it.
//!
//! The file is `{"document": "<JSON text>", "key_id", "signature"}`; the signature is base64
//! Ed25519 over `amana-transparency-1\n` followed by the document's bytes, by an oversight key
//! of the signed roster. The server checks it and serves the file verbatim, so anyone can
//! check it again.
//!
//! The format grows by optional fields only (docs/FORMATS.md §11): a reader ignores fields it
//! does not know, and a field a document lacks reads as absent, so an older server serves a
//! newer document's first columns and a newer server reads every older document.

pub mod csv;
pub mod ranking;
pub mod year;

use std::collections::BTreeMap;

use ring::signature::Ed25519KeyPair;
use serde::{Deserialize, Serialize};

pub use crate::oversight_signed::Signed;
use time::Date;

use crate::disclosure::{Count, MIN_K};

/// The format tag, also the signature's context.
pub const FORMAT: &str = "amana-transparency-1";

/// One agency's figures for the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgencyFigures {
    pub agency: String,
    pub received: Count,
    pub received_by_kind: BTreeMap<String, Count>,
    pub acknowledged_on_time: Option<f64>,
    pub median_days_to_acknowledge: Option<f64>,
    pub satisfaction: Option<f64>,
    pub rated: Count,
    /// The n behind `median_days_to_acknowledge` (absent in the first documents).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged: Option<Count>,
    /// The n behind `acknowledged_on_time`: cases acknowledged or past their date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settled: Option<Count>,
    /// Median days from receipt to the first reply to the reporter, over replied cases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median_days_to_first_reply: Option<f64>,
    /// The n behind `median_days_to_first_reply`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replied: Option<Count>,
    /// Service evaluations per centre, commissioned visits and public ratings apart.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evaluations: Vec<EvaluationFigures>,
}

/// The evaluations of one centre (or of none named), either commissioned or public.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluationFigures {
    /// The centre's id, or `None` for evaluations that named no centre.
    pub centre: Option<String>,
    /// Made with an oversight-signed visit token; only these rank.
    pub commissioned: bool,
    /// Evaluations with at least one answer.
    pub evaluations: Count,
    /// The mean of each evaluation's mean answer (1–5), over at least k evaluations.
    pub score: Option<f64>,
    /// Per criterion, under the questionnaire version it was asked in.
    pub criteria: Vec<CriterionFigures>,
}

/// The mean answer to one criterion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionFigures {
    pub questionnaire: String,
    pub version: u32,
    pub criterion: String,
    /// Answers 1–5 (not "not applicable").
    pub answers: Count,
    /// Over at least k answers.
    pub mean: Option<f64>,
}

/// What oversight signs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub format: String,
    pub deployment_id: String,
    pub from: Date,
    pub to: Date,
    pub k: u32,
    pub agencies: Vec<AgencyFigures>,
}

/// Signs `document` as `key_id`.
pub fn sign(key: &Ed25519KeyPair, key_id: &str, document: &Document) -> Result<Signed, serde_json::Error> {
    crate::oversight_signed::sign(key, key_id, FORMAT, document)
}

/// Checks a signed file: signed by an oversight key `oversight_key` returns, for this
/// deployment, in this format, with k of at least 3. Returns the document.
pub fn verify(
    signed: &Signed,
    oversight_key: impl Fn(&str) -> Option<[u8; 32]>,
    deployment_id: &str,
) -> Result<Document, String> {
    let doc: Document =
        crate::oversight_signed::open(signed, FORMAT, oversight_key, deployment_id, "a figures document")?;
    if doc.k < MIN_K || doc.from > doc.to {
        return Err("the document's k or period is invalid".into());
    }
    Ok(doc)
}

/// The calendar quarter `from..=to` is exactly, as `(year, 1..=4)`: the only periods
/// published, so that no two published periods overlap and a year is the sum of its four.
pub fn quarter(from: Date, to: Date) -> Option<(i32, u8)> {
    let q = (u8::from(from.month()) - 1) / 3 + 1;
    let first = time::Month::try_from(3 * q - 2).ok()?;
    let last = time::Month::try_from(3 * q).ok()?;
    let year = from.year();
    let starts = Date::from_calendar_date(year, first, 1).ok()? == from;
    let ends = Date::from_calendar_date(year, last, last.length(year)).ok()? == to;
    (starts && ends).then_some((year, q))
}

/// How a period is named in addresses and files: `2026-Q3`.
pub fn quarter_label(year: i32, q: u8) -> String {
    format!("{year}-Q{q}")
}

impl crate::oversight_signed::Tagged for Document {
    fn format(&self) -> &str {
        &self.format
    }
    fn deployment_id(&self) -> &str {
        &self.deployment_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn only_calendar_quarters_are_quarters() {
        assert_eq!(quarter(date!(2025 - 10 - 01), date!(2025 - 12 - 31)), Some((2025, 4)));
        assert_eq!(quarter(date!(2024 - 01 - 01), date!(2024 - 03 - 31)), Some((2024, 1)));
        assert_eq!(quarter(date!(2025 - 01 - 01), date!(2025 - 01 - 31)), None, "a month");
        assert_eq!(quarter(date!(2025 - 01 - 01), date!(2025 - 12 - 31)), None, "a year");
        assert_eq!(quarter(date!(2025 - 02 - 01), date!(2025 - 04 - 30)), None, "shifted");
    }

    #[test]
    fn a_document_without_the_newer_fields_still_reads() {
        // The first release's documents: no n beside the statistics, no evaluations.
        let old = r#"{"agency":"health","received":{"about":10},"received_by_kind":{},
            "acknowledged_on_time":null,"median_days_to_acknowledge":2.0,"satisfaction":null,
            "rated":{"fewer_than":5}}"#;
        let a: AgencyFigures = serde_json::from_str(old).expect("an older document reads");
        assert_eq!((a.acknowledged, a.evaluations.len()), (None, 0));
        // And a field a later release adds is ignored, not refused.
        let newer = old.replace("\"agency\"", "\"something_later\":[1],\"agency\"");
        assert!(serde_json::from_str::<AgencyFigures>(&newer).is_ok());
    }

    #[test]
    fn the_first_release_reads_a_document_of_this_one() {
        // The first release's types, as its server verifies and renders them.
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct FirstAgency {
            agency: String,
            received: Count,
            received_by_kind: BTreeMap<String, Count>,
            acknowledged_on_time: Option<f64>,
            median_days_to_acknowledge: Option<f64>,
            satisfaction: Option<f64>,
            rated: Count,
        }
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct FirstDocument {
            format: String,
            deployment_id: String,
            from: Date,
            to: Date,
            k: u32,
            agencies: Vec<FirstAgency>,
        }
        let mut a = year::tests::figures("health", Count::About(10));
        a.replied = Some(Count::About(5));
        a.evaluations = vec![EvaluationFigures {
            centre: None,
            commissioned: true,
            evaluations: Count::About(5),
            score: Some(3.0),
            criteria: vec![],
        }];
        let doc = year::tests::quarter_doc(2025, 1, vec![a]);
        let text = serde_json::to_string(&doc).expect("json");
        let first: FirstDocument = serde_json::from_str(&text).expect("the first release reads it");
        assert_eq!((first.format.as_str(), first.agencies[0].received), (FORMAT, Count::About(10)));
    }
}
