//! The service evaluation ("mystery shopper") and the compliment's centre: where the visit
//! was, the questionnaire that applies there, and the answers.
//!
//! The evaluation form has two steps, both without JavaScript. A small GET form picks the
//! agency and the service centre (or "no particular centre") and reloads the page with
//! `?agency=…&centre=…`; the page then shows the questions of the questionnaire that applies
//! there (`Services::questionnaire_for`), labelled in the page's language from the operator's
//! file, with the agency and centre in hidden fields of the report form. The answers are sent
//! as data (`SubmitReport::ratings`, `centre`) and checked like the API's.
//!
//! The encrypted text keeps a readable copy for reviewers: a ratings block with the
//! criterion ids, in English, then the comment:
//!
//! ```text
//! Service evaluation ratings (1 = very poor, 5 = excellent)
//! Rating — access_location: 4/5
//! Rating — payment_channels: not applicable
//! …
//!
//! Comment:
//! <the reporter's comment>
//! ```
//!
//! A compliment's centre is one select listing every centre grouped by agency (`optgroup`)
//! inside the report form, rather than the evaluation's two steps: it is optional, no
//! questions depend on it, and one step is shorter. A centre of another agency than the one
//! chosen is refused with the form back.

use std::collections::BTreeMap;

use amana_core::services::{Centre, Questionnaire, Services, Texts};
use maud::{html, Markup};

use super::{layout::Frame, report::agency_name};
use crate::i18n::Lang;

/// Room left in the report text for the ratings block: a questionnaire has at most 40
/// criteria, and a line with a 64-character id takes under 100 characters.
pub const BLOCK_RESERVE_CHARS: usize = 4_000;

/// The form field of a criterion's answer.
pub fn field(criterion: &str) -> String {
    format!("rating_{criterion}")
}

/// One criterion's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rating {
    Score(u8),
    NotApplicable,
}

impl Rating {
    fn parse(value: &str) -> Option<Rating> {
        match value {
            "na" => Some(Rating::NotApplicable),
            v => v.parse::<u8>().ok().filter(|n| (1..=5).contains(n)).map(Rating::Score),
        }
    }
}

/// What the form posted for each criterion of the questionnaire, in its order; `None` where
/// nothing valid was chosen.
pub type Answers = Vec<(String, Option<Rating>)>;

/// The text in `lang`, else English, else any; with the language it is in.
pub fn text_in(texts: &Texts, lang: Lang) -> (String, String) {
    for tag in [lang.tag(), "en"] {
        if let Some(t) = texts.get(tag) {
            return (t.clone(), tag.to_string());
        }
    }
    texts.iter().next().map(|(tag, t)| (t.clone(), tag.clone())).unwrap_or_default()
}

/// Where an evaluation is made: a known agency and, if chosen, one of its centres.
pub struct Place<'a> {
    pub agency: &'a amana_core::keyring::Agency,
    pub centre: Option<&'a Centre>,
    pub questionnaire: &'a Questionnaire,
}

/// Why a chosen agency and centre do not make a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaceError {
    /// No agency chosen yet (the first step).
    NotChosen,
    /// An agency or centre that is not this deployment's, or a centre of another agency.
    Unknown,
}

/// The place `agency` and `centre` (empty: none) name in this deployment.
pub fn place<'a>(
    state: &'a crate::state::AppState,
    agency: &str,
    centre: &str,
) -> Result<Place<'a>, PlaceError> {
    if agency.is_empty() {
        return Err(PlaceError::NotChosen);
    }
    let agency = state.keyring.agency(agency).ok_or(PlaceError::Unknown)?;
    let centre = match centre {
        "" => None,
        id => Some(state.services.check_centre(&agency.id, id).map_err(|_| PlaceError::Unknown)?),
    };
    let questionnaire = state.services.questionnaire_for(&agency.id, centre).ok_or(PlaceError::Unknown)?;
    Ok(Place { agency, centre, questionnaire })
}

/// The place the form is for. A centre that is not one of the agency's is dropped (`true`):
/// the form is then for the agency alone, with a message, so what was typed is not lost.
pub fn place_or_agency<'a>(
    state: &'a crate::state::AppState,
    agency: &str,
    centre: &str,
) -> Result<(Place<'a>, bool), PlaceError> {
    match place(state, agency, centre) {
        Ok(p) => Ok((p, false)),
        Err(PlaceError::Unknown) if !centre.is_empty() => place(state, agency, "").map(|p| (p, true)),
        Err(e) => Err(e),
    }
}

/// Reads the answer to each criterion of `q` as far as it is valid.
pub fn read(q: &Questionnaire, mut value_of: impl FnMut(&str) -> Option<String>) -> Answers {
    q.criteria
        .iter()
        .map(|c| (c.id.clone(), value_of(&field(&c.id)).as_deref().and_then(Rating::parse)))
        .collect()
}

/// Every answer, or `None` if one is missing (or there are none).
pub fn complete(answers: &[(String, Option<Rating>)]) -> Option<Vec<(String, Rating)>> {
    if answers.is_empty() {
        return None;
    }
    answers.iter().map(|(c, r)| Some((c.clone(), (*r)?))).collect()
}

/// The answers as the API takes them (`null`: not applicable).
pub fn as_data(ratings: &[(String, Rating)]) -> BTreeMap<String, Option<u64>> {
    ratings
        .iter()
        .map(|(c, r)| match r {
            Rating::Score(n) => (c.clone(), Some(u64::from(*n))),
            Rating::NotApplicable => (c.clone(), None),
        })
        .collect()
}

/// The report text: the ratings block, then the comment if there is one.
pub fn compose(ratings: &[(String, Rating)], comment: &str) -> String {
    let mut text = String::from("Service evaluation ratings (1 = very poor, 5 = excellent)\n");
    for (criterion, rating) in ratings {
        match rating {
            Rating::Score(n) => text.push_str(&format!("Rating — {criterion}: {n}/5\n")),
            Rating::NotApplicable => text.push_str(&format!("Rating — {criterion}: not applicable\n")),
        }
    }
    if !comment.trim().is_empty() {
        text.push_str("\nComment:\n");
        text.push_str(comment);
    }
    text
}

/// Every `rating_*` field name a questionnaire of `services` may post (the page's form spec
/// accepts these and no other: the ids come from the operator's file).
pub fn all_fields(services: &Services, agencies: &[amana_core::keyring::Agency]) -> Vec<String> {
    let mut questionnaires: Vec<&Questionnaire> = agencies
        .iter()
        .flat_map(|a| {
            let centres = services.centres_of(&a.id).map(Some);
            std::iter::once(None).chain(centres).filter_map(|c| services.questionnaire_for(&a.id, c))
        })
        .collect();
    questionnaires.dedup_by(|a, b| a.id == b.id && a.version == b.version);
    let mut fields: Vec<String> =
        questionnaires.iter().flat_map(|q| q.criteria.iter().map(|c| field(&c.id))).collect();
    fields.sort();
    fields.dedup();
    fields
}

/// The first step: a GET form that reloads the evaluation page with the agency and centre.
pub fn place_picker(f: &Frame, agency: &str, centre: &str, unknown: bool) -> Markup {
    html! {
        form.place method="get" action=(f.href("report/service_evaluation")) {
            fieldset {
                legend { (f.t("form-place-title")) }
                p.hint #place-hint { (f.t("form-place-hint")) }
                @if unknown { p.error #place-error role="alert" { (f.t("form-place-unknown")) } }
                label for="place-agency" { (f.t("form-agency")) }
                select #place-agency name="agency" required aria-describedby="place-hint" {
                    option value="" { (f.t("form-agency-choose")) }
                    @for a in &f.state.keyring.agencies {
                        @let name = agency_name(a, f.lang);
                        option value=(a.id) lang=(name.1) selected[a.id == agency] { (name.0) }
                    }
                }
                (centre_select(f, "place-centre", centre))
                button type="submit" { (f.t("form-place-show")) }
            }
        }
    }
}

/// A select of every centre, grouped by agency, with "no particular centre" first.
pub fn centre_select(f: &Frame, id: &str, chosen: &str) -> Markup {
    let services = &f.state.services;
    html! {
        label for=(id) { (f.t("form-centre")) }
        select id=(id) name="centre" {
            option value="" { (f.t("form-centre-none")) }
            @for a in &f.state.keyring.agencies {
                @let centres: Vec<&Centre> = services.centres_of(&a.id).collect();
                @if !centres.is_empty() {
                    optgroup label=(agency_name(a, f.lang).0) {
                        @for c in centres {
                            @let name = text_in(&c.name, f.lang);
                            @let place = text_in(&c.place, f.lang);
                            option value=(c.id) selected[c.id == chosen] {
                                (name.0) " — " (place.0)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Whether the deployment has any centre (else no centre select is shown).
pub fn has_centres(f: &Frame) -> bool {
    f.state.keyring.agencies.iter().any(|a| f.state.services.centres_of(&a.id).next().is_some())
}

/// What the report form says about the chosen place, with its hidden fields.
pub fn chosen_place(f: &Frame, p: &Place) -> Markup {
    let agency = agency_name(p.agency, f.lang);
    html! {
        p.place-chosen {
            (f.t("form-place-chosen")) " "
            strong lang=(agency.1) { (agency.0) }
            @if let Some(c) = p.centre {
                @let name = text_in(&c.name, f.lang);
                " — " strong lang=(name.1) { (name.0) }
            }
        }
        input type="hidden" name="agency" value=(p.agency.id);
        input type="hidden" name="centre" value=(p.centre.map_or("", |c| c.id.as_str()));
    }
}

/// The questionnaire's rating groups: a fieldset each, radios 1–5 and "did not apply", with
/// the `answers` given before checked (a form shown again).
pub fn fieldsets(f: &Frame, q: &Questionnaire, answers: &[(String, Option<Rating>)]) -> Markup {
    let chosen = |c: &str| answers.iter().find(|(k, _)| k == c).and_then(|(_, r)| *r);
    let title = text_in(&q.title, f.lang);
    html! {
        fieldset.ratings {
            legend { (f.t("form-ratings-title")) }
            p.hint { span lang=(title.1) { (title.0) } ". " (f.t("form-ratings-scale")) }
            @for c in &q.criteria {
                @let chosen = chosen(&c.id);
                @let question = text_in(&c.question, f.lang);
                fieldset.criterion {
                    legend lang=(question.1) { (question.0) }
                    div.scale {
                        @for n in 1..=5u8 {
                            label.choice {
                                input type="radio" name=(field(&c.id)) value=(n) required[n == 1]
                                    checked[chosen == Some(Rating::Score(n))];
                                span { (f.lang.digits(&n.to_string())) }
                            }
                        }
                        label.choice.na {
                            input type="radio" name=(field(&c.id)) value="na"
                                checked[chosen == Some(Rating::NotApplicable)];
                            span { (f.t("rating-na")) }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn office() -> Questionnaire {
        // The shipped default: the government service centre's nine criteria.
        Services::defaults().questionnaire_for("any", None).expect("shipped").clone()
    }

    #[test]
    fn block_lists_every_criterion_then_the_comment() {
        let q = office();
        let answers =
            read(&q, |name| Some(if name == "rating_payment_channels" { "na" } else { "2" }.into()));
        let ratings = complete(&answers).expect("valid answers");
        let text = compose(&ratings, "Slow queue");
        assert!(text.starts_with("Service evaluation ratings"));
        assert!(text.contains("Rating — reception: 2/5\n"));
        assert!(text.contains("Rating — payment_channels: not applicable\n"));
        assert!(text.ends_with("\nComment:\nSlow queue"));
        assert!(compose(&ratings, "  ").chars().count() < BLOCK_RESERVE_CHARS);
        let data = as_data(&ratings);
        assert_eq!(data.get("reception"), Some(&Some(2)));
        assert_eq!(data.get("payment_channels"), Some(&None));
    }

    #[test]
    fn missing_or_out_of_range_answers_are_refused() {
        let q = office();
        assert!(complete(&read(&q, |_| None)).is_none());
        assert!(complete(&read(&q, |_| Some("6".into()))).is_none());
        assert!(complete(&read(&q, |_| Some("0".into()))).is_none());
        assert!(complete(&read(&q, |n| (n != "rating_environment").then(|| "3".into()))).is_none());
        assert_eq!(complete(&read(&q, |_| Some("5".into()))).map(|r| r.len()), Some(q.criteria.len()));
        assert!(complete(&[]).is_none());
    }
}
