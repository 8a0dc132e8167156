//! What a person typed into the report form, read from the posted fields: what is stored
//! when it is accepted, and what the form shows again when it is not.

use amana_core::case::Kind;
use zeroize::Zeroizing;

use super::{FORM_TOKEN, HONEYPOT};
use crate::intake::SubmitReport;
use crate::pages::{evaluation, take};
use crate::state::AppState;

/// Everything a person typed into the report form (files excepted), the text zeroized on
/// drop: what is stored when it is accepted, and what the form shows again when not.
pub(super) struct Draft {
    pub(super) kind: Kind,
    pub(super) agency: String,
    /// The service centre chosen (evaluations and compliments), empty for none.
    pub(super) centre: String,
    /// The text as typed (for a service evaluation, the comment without the ratings block).
    pub(super) body: Zeroizing<String>,
    pub(super) contact: Zeroizing<String>,
    pub(super) oversight_only: bool,
    pub(super) receipt: bool,
    /// The service evaluation's answers (empty for other kinds).
    pub(super) ratings: evaluation::Answers,
    /// The honeypot field was filled in.
    pub(super) honeypot: bool,
    /// The form token, as posted.
    pub(super) token: Option<String>,
}

impl Draft {
    pub(super) fn empty(kind: Kind) -> Self {
        Self {
            kind,
            agency: String::new(),
            centre: String::new(),
            body: Zeroizing::default(),
            contact: Zeroizing::default(),
            oversight_only: false,
            receipt: false,
            ratings: Vec::new(),
            honeypot: false,
            token: None,
        }
    }

    /// The draft in a posted form; `None` without a known kind (not our form). Only the
    /// answers to the questionnaire that applies are read; `stray` says another was sent.
    pub(super) fn read(pairs: &mut [(String, String)], state: &AppState) -> Option<(Self, bool)> {
        let kind = take(pairs, "kind")?.parse::<Kind>().ok()?;
        let agency = take(pairs, "agency").unwrap_or_default();
        let centre = take(pairs, "centre").unwrap_or_default();
        let ratings = match evaluation::place_or_agency(state, &agency, &centre) {
            Ok((p, _)) if kind == Kind::ServiceEvaluation => {
                evaluation::read(p.questionnaire, |name| take(pairs, name))
            }
            _ => Vec::new(),
        };
        let stray = pairs.iter().any(|(k, v)| k.starts_with("rating_") && !v.is_empty());
        let draft = Self {
            kind,
            agency,
            centre,
            body: Zeroizing::new(take(pairs, "body").unwrap_or_default()),
            contact: Zeroizing::new(take(pairs, "contact").unwrap_or_default()),
            oversight_only: take(pairs, "oversight_only").is_some(),
            receipt: take(pairs, "receipt").is_some(),
            ratings,
            honeypot: take(pairs, HONEYPOT).is_some_and(|v| !v.trim().is_empty()),
            token: take(pairs, FORM_TOKEN),
        };
        Some((draft, stray))
    }

    /// A centre that the page did not offer for this agency (a tampered form, or a centre
    /// the operator removed since the page was shown).
    pub(super) fn centre_refused(&self, state: &AppState) -> bool {
        matches!(self.kind, Kind::ServiceEvaluation | Kind::Compliment)
            && !self.centre.is_empty()
            && state.services.check_centre(&self.agency, &self.centre).is_err()
    }

    /// The submission the draft makes (for a service evaluation, the answers as data and,
    /// in the text, the ratings block and the comment), or `None` if it is incomplete.
    pub(super) fn submission(&self) -> Option<SubmitReport> {
        let (body, ratings) = if self.kind == Kind::ServiceEvaluation {
            let answers = evaluation::complete(&self.ratings)?;
            (evaluation::compose(&answers, &self.body), Some(evaluation::as_data(&answers)))
        } else if self.body.trim().is_empty() {
            return None;
        } else {
            (self.body.to_string(), None)
        };
        Some(SubmitReport {
            kind: self.kind.as_str().to_string(),
            agency: self.agency.clone(),
            body,
            contact: Some(self.contact.to_string()),
            oversight_only: self.oversight_only,
            receipt: self.receipt,
            centre: (!self.centre.is_empty()).then(|| self.centre.clone()),
            ratings,
            // A commissioned visit's token comes through the API (docs/FORMATS.md §10).
            visit_token: None,
            uploads: Vec::new(),
        })
    }
}
