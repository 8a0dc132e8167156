//! A case's service centre and evaluation answers, as its verified `submitted` event records
//! them (docs/FORMATS.md §10): the server attests them with the case, so a pull has checked
//! that nobody changed them since intake. Nothing here decrypts anything.

use amana_core::events::EventKind;
use amana_core::wire::CaseBundle;
use serde::Deserialize;

use crate::cases::printable;

/// What an evaluation or compliment carried in the clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub centre: Option<String>,
    pub ratings: Option<Ratings>,
    /// Made with an oversight-signed visit token (a commissioned mystery shopper).
    pub commissioned: bool,
}

/// The answers, under the questionnaire version they were given to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct Ratings {
    pub questionnaire: String,
    pub version: u32,
    /// `(criterion, 1–5 or None for "not applicable")`, in the questionnaire's order.
    pub answers: Vec<(String, Option<u8>)>,
}

#[derive(Deserialize)]
struct Detail {
    #[serde(default)]
    centre: Option<String>,
    #[serde(default)]
    ratings: Option<Ratings>,
    #[serde(default)]
    commissioned: bool,
}

/// The centre and answers of a case, if its intake event names any.
pub fn of_case(b: &CaseBundle) -> Option<Evaluation> {
    let submitted = b.events.iter().find(|e| e.kind == EventKind::Submitted)?;
    let d: Detail = serde_json::from_str(&submitted.detail).ok()?;
    (d.centre.is_some() || d.ratings.is_some()).then_some(Evaluation {
        centre: d.centre,
        ratings: d.ratings,
        commissioned: d.commissioned,
    })
}

/// The lines `show` prints for them.
pub fn render(e: &Evaluation) -> String {
    let mut out = String::new();
    if let Some(c) = &e.centre {
        out.push_str(&format!("centre          {}\n", printable(c)));
    }
    if let Some(r) = &e.ratings {
        let by = if e.commissioned { "commissioned visit" } else { "public rating" };
        out.push_str(&format!(
            "answers         {} (version {}), {by}\n",
            printable(&r.questionnaire),
            r.version
        ));
        for (criterion, value) in &r.answers {
            let v = value.map_or("not applicable".to_string(), |v| format!("{v} of 5"));
            out.push_str(&format!("  {:<28}{v}\n", printable(criterion)));
        }
    }
    out
}

/// The mean answer to one criterion at one agency and centre, under one questionnaire version.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CriterionMean {
    pub agency: String,
    /// The centre, or `-` for evaluations that named none.
    pub centre: String,
    pub questionnaire: String,
    pub version: u32,
    pub criterion: String,
    /// Commissioned visits and public ratings are counted apart.
    pub commissioned: bool,
    /// Answers 1–5 (the mean's n).
    pub n: usize,
    pub mean: Option<f64>,
    pub not_applicable: usize,
}

/// Per agency, centre, questionnaire version and criterion, over `bundles`, in that order.
#[cfg(test)]
pub fn means(bundles: &[&CaseBundle]) -> Vec<CriterionMean> {
    let found: Vec<(String, Evaluation)> =
        bundles.iter().filter_map(|b| Some((printable(&b.agency), of_case(b)?))).collect();
    summed(found.iter().map(|(agency, e)| (agency.as_str(), e)))
}

/// The same over `(agency, evaluation)` pairs (the agency already printable). Sums are keyed
/// by borrowed text and made printable once per row: a national home has millions of answers.
pub fn summed<'a>(evaluations: impl Iterator<Item = (&'a str, &'a Evaluation)>) -> Vec<CriterionMean> {
    type Key<'k> = (&'k str, &'k str, &'k str, u32, &'k str, bool);
    let mut sums: std::collections::BTreeMap<Key<'a>, (usize, u32, usize)> = Default::default();
    for (agency, e) in evaluations {
        let Evaluation { centre, ratings: Some(r), commissioned } = e else { continue };
        let centre = centre.as_deref().unwrap_or("-");
        for (criterion, value) in &r.answers {
            let key =
                (agency, centre, r.questionnaire.as_str(), r.version, criterion.as_str(), *commissioned);
            let (n, sum, na) = sums.entry(key).or_default();
            match value {
                Some(v) => (*n, *sum) = (*n + 1, *sum + u32::from(*v)),
                None => *na += 1,
            }
        }
    }
    sums.into_iter()
        .map(|((agency, centre, questionnaire, version, criterion, commissioned), (n, sum, na))| {
            CriterionMean {
                agency: agency.to_string(),
                centre: printable(centre),
                questionnaire: printable(questionnaire),
                version,
                criterion: printable(criterion),
                commissioned,
                n,
                mean: (n > 0).then(|| f64::from(sum) / n as f64),
                not_applicable: na,
            }
        })
        .collect()
}

/// The table `kpis` prints after its main one (empty without evaluations).
pub fn means_table(rows: &[CriterionMean]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "\nevaluation answers (mean of 1-5, n answers, n not applicable; commissioned visits apart)\n",
    );
    for r in rows {
        let mean = r.mean.map_or("-".to_string(), |m| format!("{m:.2}"));
        let by = if r.commissioned { "commissioned" } else { "public" };
        out.push_str(&format!(
            "  {}  {}  {}@{}  {:<24}  {by:<12}  {mean} (n {}, n/a {})\n",
            r.agency, r.centre, r.questionnaire, r.version, r.criterion, r.n, r.not_applicable
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centre_and_answers_come_from_the_intake_event() {
        let kit = crate::testkit::Kit::new("alice");
        let mut b = kit.bundle("c1");
        assert_eq!(of_case(&b), None, "a report without them");
        let mut detail: serde_json::Value = serde_json::from_str(&b.events[0].detail).expect("json");
        detail["centre"] = "north".into();
        detail["ratings"] = serde_json::json!({"questionnaire": "office", "version": 2, "answers": [["parking", 4], ["waiting", null]]});
        b.events[0].detail = detail.to_string();
        let e = of_case(&b).expect("an evaluation");
        assert_eq!(e.centre.as_deref(), Some("north"));
        let text = render(&e);
        assert!(text.contains("centre          north\n"), "{text}");
        assert!(text.contains("answers         office (version 2), public rating\n"), "{text}");
        assert!(text.contains("parking                     4 of 5\n"), "{text}");
        assert!(text.contains("waiting                     not applicable\n"), "{text}");

        // Means per centre and criterion, with n, over several evaluations.
        let mut other = kit.bundle("c2");
        let mut d2: serde_json::Value = serde_json::from_str(&other.events[0].detail).expect("json");
        d2["centre"] = "north".into();
        d2["ratings"] = serde_json::json!({"questionnaire": "office", "version": 2, "answers": [["parking", 1], ["waiting", 3]]});
        other.events[0].detail = d2.to_string();
        let rows = means(&[&b, &other, &kit.bundle("plain")]);
        let parking = rows.iter().find(|r| r.criterion == "parking").expect("parking");
        assert_eq!((parking.n, parking.mean, parking.not_applicable), (2, Some(2.5), 0));
        let waiting = rows.iter().find(|r| r.criterion == "waiting").expect("waiting");
        assert_eq!((waiting.n, waiting.mean, waiting.not_applicable), (1, Some(3.0), 1));
        assert!(means_table(&rows).contains("north  office@2  parking"), "{}", means_table(&rows));
    }
}
