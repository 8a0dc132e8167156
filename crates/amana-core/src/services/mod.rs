//! Service centres and evaluation questionnaires: what a service evaluation rates, and where.
//!
//! The operator describes them in one TOML file (`amana serve --services FILE`); without one
//! a deployment has the questionnaires of [`DEFAULT_TOML`] and no centres. The file:
//!
//! ```toml
//! default_questionnaire = "government-office"   # for agencies and centres that name none
//!
//! [[questionnaire]]
//! id = "health"
//! version = 2                # a changed question is a new version; old answers keep theirs
//! title = { ar = "…", en = "Hospitals and health centres", … }   # all eight languages
//! [[questionnaire.criterion]]
//! id = "cleanliness"
//! question = { ar = "…", en = "Cleanliness", … }
//!
//! [agency.health]
//! questionnaire = "health"   # the agency's centres use it unless they name another
//!
//! [[centre]]
//! id = "irbid-hospital"
//! agency = "health"
//! name = { ar = "…", en = "Irbid Public Hospital", … }
//! place = { ar = "إربد", en = "Irbid" }          # governorate or city, as the programme uses
//! questionnaire = "health"                       # optional
//! ```
//!
//! Every answer is 1 to 5, or "not applicable" (`None`). Only the newest version of a
//! questionnaire is offered; older versions stay in the file so that answers given under them
//! keep meaning what they meant. A mistake is refused with the line it is on.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::keyring::valid_id;

#[cfg(test)]
mod tests;

/// The questionnaires shipped with Amana (the UAE programme's criteria for a government
/// service centre, and the four axes of Jordan's programme).
pub const DEFAULT_TOML: &str = include_str!("default.toml");

/// The languages every question and name must be given in (the pages' languages).
pub const LANGUAGES: [&str; 8] = ["ar", "en", "fr", "ur", "hi", "fa", "bn", "fil"];

/// The rating scale: 1 (very poor) to 5 (excellent).
pub const SCALE: std::ops::RangeInclusive<u8> = 1..=5;

/// Text by language tag.
pub type Texts = BTreeMap<String, String>;

/// One question of a questionnaire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    pub id: String,
    pub question: Texts,
}

/// A versioned set of criteria.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Questionnaire {
    pub id: String,
    pub version: u32,
    pub title: Texts,
    #[serde(rename = "criterion")]
    pub criteria: Vec<Criterion>,
}

/// A service centre of an agency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Centre {
    pub id: String,
    pub agency: String,
    pub name: Texts,
    /// Governorate or city, in the languages the operator gives (at least one).
    pub place: Texts,
    /// The questionnaire its evaluations answer (else the agency's, else the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub questionnaire: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AgencySettings {
    questionnaire: String,
}

/// The file as written, with positions for error messages.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    default_questionnaire: Spanned<String>,
    #[serde(default, rename = "questionnaire")]
    questionnaires: Vec<Spanned<Questionnaire>>,
    #[serde(default, rename = "centre")]
    centres: Vec<Spanned<Centre>>,
    #[serde(default, rename = "agency")]
    agencies: BTreeMap<String, Spanned<AgencySettings>>,
}

/// A refused services file: what is wrong, and on which line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("services file, line {line}: {message}")]
pub struct ServicesError {
    pub line: usize,
    pub message: String,
}

/// Why a set of answers does not fit the questionnaire that applies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RatingError {
    #[error("centre `{0}` is not a service centre of this deployment (see GET /api/v1/agencies)")]
    UnknownCentre(String),
    #[error("centre `{centre}` belongs to agency `{belongs_to}`, not `{agency}`")]
    OtherAgency { centre: String, belongs_to: String, agency: String },
    #[error("`{criterion}` is not a question of questionnaire `{questionnaire}` (see GET /api/v1/agencies)")]
    UnknownCriterion { criterion: String, questionnaire: String },
    #[error("`{0}` is missing: answer every question, 1 to 5, or null for not applicable")]
    Missing(String),
    #[error("`{criterion}` is {value}: a rating is 1 to 5, or null for not applicable")]
    OutOfRange { criterion: String, value: u64 },
}

/// The checked services of a deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Services {
    default_questionnaire: String,
    /// Every version, in file order.
    questionnaires: Vec<Questionnaire>,
    centres: Vec<Centre>,
    agency_questionnaire: BTreeMap<String, String>,
}

/// What a checked set of answers was given to: the questionnaire and version, and the answer
/// to each of its criteria in its order (`None`: not applicable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answers {
    pub questionnaire: String,
    pub version: u32,
    pub ratings: Vec<(String, Option<u8>)>,
}

impl Services {
    /// The questionnaires shipped with Amana, and no centres.
    pub fn defaults() -> Self {
        // The shipped file is checked by the tests; should it ever fail, no questionnaire is
        // better than a panic at start.
        Self::parse(DEFAULT_TOML).unwrap_or_else(|_| Self {
            default_questionnaire: String::new(),
            questionnaires: Vec::new(),
            centres: Vec::new(),
            agency_questionnaire: BTreeMap::new(),
        })
    }

    /// Parses and checks a services file; `agencies` are the deployment's agency ids.
    pub fn parse_for(text: &str, agencies: &[&str]) -> Result<Self, ServicesError> {
        Self::read(text, Some(agencies))
    }

    /// Parses and checks a services file without checking agency ids (they are checked
    /// against the deployment by [`Self::parse_for`]).
    pub fn parse(text: &str) -> Result<Self, ServicesError> {
        Self::read(text, None)
    }

    fn read(text: &str, agencies: Option<&[&str]>) -> Result<Self, ServicesError> {
        let file: File = toml::from_str(text).map_err(|e| ServicesError {
            line: e.span().map_or(1, |s| line_of(text, s.start)),
            message: e.message().to_string(),
        })?;
        check(text, &file, agencies)?;
        Ok(Self::from_file(file))
    }

    fn from_file(file: File) -> Self {
        Self {
            default_questionnaire: file.default_questionnaire.into_inner(),
            questionnaires: file.questionnaires.into_iter().map(Spanned::into_inner).collect(),
            centres: file.centres.into_iter().map(Spanned::into_inner).collect(),
            agency_questionnaire: file
                .agencies
                .into_iter()
                .map(|(id, s)| (id, s.into_inner().questionnaire))
                .collect(),
        }
    }

    /// The centres of `agency`, in file order.
    pub fn centres_of<'a>(&'a self, agency: &'a str) -> impl Iterator<Item = &'a Centre> + 'a {
        self.centres.iter().filter(move |c| c.agency == agency)
    }

    /// A centre by id.
    pub fn centre(&self, id: &str) -> Option<&Centre> {
        self.centres.iter().find(|c| c.id == id)
    }

    /// The newest version of a questionnaire.
    pub fn current(&self, id: &str) -> Option<&Questionnaire> {
        self.questionnaires.iter().filter(|q| q.id == id).max_by_key(|q| q.version)
    }

    /// A questionnaire at a given version (to read answers given under it).
    pub fn version(&self, id: &str, version: u32) -> Option<&Questionnaire> {
        self.questionnaires.iter().find(|q| q.id == id && q.version == version)
    }

    /// The questionnaire an evaluation of `agency` (at `centre`, if given) answers.
    pub fn questionnaire_for(&self, agency: &str, centre: Option<&Centre>) -> Option<&Questionnaire> {
        let id = centre
            .and_then(|c| c.questionnaire.as_deref())
            .or_else(|| self.agency_questionnaire.get(agency).map(String::as_str))
            .unwrap_or(&self.default_questionnaire);
        self.current(id)
    }

    /// Checks that `centre` is a centre of `agency`.
    pub fn check_centre(&self, agency: &str, centre: &str) -> Result<&Centre, RatingError> {
        let c = self.centre(centre).ok_or_else(|| RatingError::UnknownCentre(centre.to_string()))?;
        if c.agency != agency {
            return Err(RatingError::OtherAgency {
                centre: centre.to_string(),
                belongs_to: c.agency.clone(),
                agency: agency.to_string(),
            });
        }
        Ok(c)
    }

    /// Checks an evaluation's centre and answers: the centre belongs to the agency, every
    /// criterion of the questionnaire that applies is answered (1–5, or `None`), and nothing
    /// else is.
    pub fn check_answers(
        &self,
        agency: &str,
        centre: Option<&str>,
        given: &BTreeMap<String, Option<u64>>,
    ) -> Result<Answers, RatingError> {
        let centre = centre.map(|id| self.check_centre(agency, id)).transpose()?;
        // Every deployment has at least its default questionnaire (checked at parse).
        let q = self
            .questionnaire_for(agency, centre)
            .ok_or_else(|| RatingError::UnknownCentre(String::new()))?;
        if let Some(extra) = given.keys().find(|k| !q.criteria.iter().any(|c| &c.id == *k)) {
            return Err(RatingError::UnknownCriterion {
                criterion: extra.clone(),
                questionnaire: q.id.clone(),
            });
        }
        let ratings = q
            .criteria
            .iter()
            .map(|c| match given.get(&c.id) {
                None => Err(RatingError::Missing(c.id.clone())),
                Some(None) => Ok((c.id.clone(), None)),
                Some(Some(v)) => u8::try_from(*v)
                    .ok()
                    .filter(|v| SCALE.contains(v))
                    .map(|v| (c.id.clone(), Some(v)))
                    .ok_or_else(|| RatingError::OutOfRange { criterion: c.id.clone(), value: *v }),
            })
            .collect::<Result<_, _>>()?;
        Ok(Answers { questionnaire: q.id.clone(), version: q.version, ratings })
    }
}

/// The 1-based line of byte offset `at`.
fn line_of(text: &str, at: usize) -> usize {
    text.get(..at).map_or(1, |head| head.matches('\n').count() + 1)
}

/// The file's rules beyond its syntax, each refused with the line of the item it concerns.
fn check(text: &str, file: &File, agencies: Option<&[&str]>) -> Result<(), ServicesError> {
    let at = |span: std::ops::Range<usize>, message: String| ServicesError {
        line: line_of(text, span.start),
        message,
    };
    let mut versions = BTreeSet::new();
    for q in &file.questionnaires {
        check_questionnaire(q.get_ref()).map_err(|m| at(q.span(), m))?;
        if !versions.insert((q.get_ref().id.clone(), q.get_ref().version)) {
            return Err(at(
                q.span(),
                format!("questionnaire `{}` version {} is given twice", q.get_ref().id, q.get_ref().version),
            ));
        }
    }
    let known = |id: &str| versions.iter().any(|(q, _)| q == id);
    let d = &file.default_questionnaire;
    if !known(d.get_ref()) {
        return Err(at(
            d.span(),
            format!("default_questionnaire `{}` is not a questionnaire of this file", d.get_ref()),
        ));
    }
    let agency_known = |a: &str| agencies.is_none_or(|list| list.contains(&a));
    for (id, s) in &file.agencies {
        if !agency_known(id) {
            return Err(at(s.span(), format!("agency `{id}` is not in keys/agencies.toml")));
        }
        if !known(&s.get_ref().questionnaire) {
            return Err(at(
                s.span(),
                format!("agency `{id}` names unknown questionnaire `{}`", s.get_ref().questionnaire),
            ));
        }
    }
    let mut centre_ids = BTreeSet::new();
    for c in &file.centres {
        let centre = c.get_ref();
        let fail = |m: String| at(c.span(), m);
        if !valid_id(&centre.id) {
            return Err(fail(format!(
                "centre id `{}` must be 1 to 64 lowercase letters, digits, '-' or '_'",
                centre.id
            )));
        }
        if !centre_ids.insert(centre.id.clone()) {
            return Err(fail(format!("centre `{}` is given twice", centre.id)));
        }
        if !agency_known(&centre.agency) {
            return Err(fail(format!(
                "centre `{}`: agency `{}` is not in keys/agencies.toml",
                centre.id, centre.agency
            )));
        }
        all_languages(&centre.name)
            .map_err(|l| fail(format!("centre `{}` has no name in `{l}`", centre.id)))?;
        if centre.place.values().all(|p| p.trim().is_empty()) {
            return Err(fail(format!("centre `{}` needs a place (governorate or city)", centre.id)));
        }
        if let Some(q) = centre.questionnaire.as_deref().filter(|q| !known(q)) {
            return Err(fail(format!("centre `{}` names unknown questionnaire `{q}`", centre.id)));
        }
    }
    Ok(())
}

fn check_questionnaire(q: &Questionnaire) -> Result<(), String> {
    if !valid_id(&q.id) {
        return Err(format!(
            "questionnaire id `{}` must be 1 to 64 lowercase letters, digits, '-' or '_'",
            q.id
        ));
    }
    if q.version == 0 {
        return Err(format!("questionnaire `{}`: versions start at 1", q.id));
    }
    all_languages(&q.title).map_err(|l| format!("questionnaire `{}` has no title in `{l}`", q.id))?;
    if q.criteria.is_empty() || q.criteria.len() > 40 {
        return Err(format!("questionnaire `{}` needs 1 to 40 criteria", q.id));
    }
    let mut seen = BTreeSet::new();
    for c in &q.criteria {
        if !valid_id(&c.id) || !seen.insert(&c.id) {
            return Err(format!(
                "questionnaire `{}`: criterion id `{}` is invalid or given twice",
                q.id, c.id
            ));
        }
        all_languages(&c.question)
            .map_err(|l| format!("questionnaire `{}`, criterion `{}`: no question in `{l}`", q.id, c.id))?;
    }
    Ok(())
}

/// The first of the eight languages with no (or a blank) text.
fn all_languages(texts: &Texts) -> Result<(), &'static str> {
    match LANGUAGES.iter().find(|l| texts.get(**l).is_none_or(|t| t.trim().is_empty())) {
        Some(l) => Err(l),
        None => Ok(()),
    }
}
