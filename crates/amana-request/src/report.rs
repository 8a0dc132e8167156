//! The report submission (`POST /api/v1/reports`): its JSON body, parsed
//! ([`parse_report_json`]) and checked ([`Submission::validate`]) exactly as the server does.

use amana_core::{
    case::Kind,
    payload::{Part, Payload},
};
use serde::Deserialize;
use std::collections::BTreeMap;
use zeroize::Zeroizing;

use crate::fields::{Expect, Field, JsonFields};
use crate::BadRequest;

/// Longest report text, in characters.
pub const MAX_BODY_CHARS: usize = 50_000;
/// Longest contact field, in characters.
pub const MAX_CONTACT_CHARS: usize = 500;
/// Largest JSON request body for a report, in bytes.
pub const MAX_JSON_BYTES: usize = 256 * 1024;
/// `POST /api/v1/reports` body.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SubmitReport {
    /// One of `GET /api/v1/agencies` → `kinds`.
    #[cfg_attr(feature = "openapi", schema(example = "violation"))]
    pub kind: String,
    /// An agency id from `GET /api/v1/agencies`.
    #[cfg_attr(feature = "openapi", schema(example = "health"))]
    pub agency: String,
    /// What happened, 1 to 50 000 characters, not only white space. Encrypted before it
    /// is stored.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 50000))]
    pub body: String,
    /// Optional way to reach you, at most 500 characters. Encrypted; leave empty to stay
    /// anonymous.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub contact: Option<String>,
    /// Send to the oversight unit only (e.g. the report concerns the agency's own officers).
    #[serde(default)]
    pub oversight_only: bool,
    /// Ask for a signed proof-of-filing receipt. Whoever finds the receipt together with
    /// your text learns that you filed this report, and the case's reviewers (who hold the
    /// text) can find your case from the receipt alone: keep it safe, or do not ask.
    #[serde(default)]
    pub receipt: bool,
    /// For a `service_evaluation` or a `compliment` only: the service centre visited, an id
    /// from `GET /api/v1/agencies` (of the same agency). Stored in the clear. Other kinds
    /// name a place inside the (encrypted) text: a violation is often about the reporter's
    /// own workplace.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "central-hospital"))]
    pub centre: Option<String>,
    /// For a `service_evaluation` only: an answer to every criterion of the questionnaire
    /// that applies (`GET /api/v1/agencies`), 1 (very poor) to 5 (excellent), or null for
    /// not applicable. Stored in the clear, as numbers; `body` is the encrypted comment.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<BTreeMap<String, Option<u8>>>, example = json!({"waiting_time": 4, "parking": null}))
    )]
    pub ratings: Option<BTreeMap<String, Option<u64>>>,
    /// For a `service_evaluation` only: the visit token a commissioned mystery shopper got from
    /// the oversight unit (`amana-review visit-tokens`). Makes the evaluation count as
    /// commissioned; each token counts once (409 the second time), and the stored case does
    /// not say which token it was. A token that does not verify gets 403.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 2048))]
    pub visit_token: Option<String>,
    /// Evidence files sent beforehand through resumable uploads: the `upload` capability of
    /// each complete one (`POST /api/v1/uploads`), in order. Stored with the report in one
    /// commit; an unknown, expired or incomplete one refuses the report (409), storing nothing.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 100))]
    pub uploads: Vec<String>,
}

impl JsonFields for SubmitReport {
    const FIELDS: &'static [Field] = &[
        Field { name: "kind", required: true, expect: Expect::Text },
        Field { name: "agency", required: true, expect: Expect::Text },
        Field { name: "body", required: true, expect: Expect::Text },
        Field { name: "contact", required: false, expect: Expect::TextOrNull },
        Field { name: "oversight_only", required: false, expect: Expect::Flag },
        Field { name: "receipt", required: false, expect: Expect::Flag },
        Field { name: "centre", required: false, expect: Expect::TextOrNull },
        Field { name: "ratings", required: false, expect: Expect::AnswersOrNull },
        Field { name: "visit_token", required: false, expect: Expect::TextOrNull },
        Field { name: "uploads", required: false, expect: Expect::Texts { max: 100 } },
    ];
    const ONLY_THESE: bool = true;
}

/// A report's JSON body, checked field by field (what the server's handler calls).
pub fn parse_report_json(bytes: &[u8]) -> Result<SubmitReport, BadRequest> {
    crate::fields::parse(bytes)
}

/// A checked submission; text fields are zeroized on drop.
pub struct Submission {
    pub kind: Kind,
    pub agency: String,
    pub body: Zeroizing<String>,
    pub contact: Option<Zeroizing<String>>,
    pub oversight_only: bool,
    pub receipt: bool,
}

impl Submission {
    /// Checks raw fields; `is_agency` says whether an agency id is the deployment's.
    pub fn validate(raw: SubmitReport, is_agency: impl Fn(&str) -> bool) -> Result<Self, BadRequest> {
        let body = Zeroizing::new(raw.body);
        let contact = raw.contact.map(Zeroizing::new);
        if contact.as_ref().is_some_and(|c| c.chars().count() > MAX_CONTACT_CHARS) {
            return Err(BadRequest(format!(
                "The contact field is longer than {MAX_CONTACT_CHARS} characters."
            )));
        }
        let contact = contact.filter(|c| !c.trim().is_empty());
        let kind: Kind = raw.kind.parse().map_err(|_| {
            BadRequest(format!("Unknown kind. Use one of: {}.", Kind::ALL.map(|k| k.as_str()).join(", ")))
        })?;
        if !is_agency(&raw.agency) {
            return Err(BadRequest("Unknown agency. See GET /api/v1/agencies for the list.".into()));
        }
        if body.trim().is_empty() {
            return Err(BadRequest("The report text is empty.".into()));
        }
        if body.chars().count() > MAX_BODY_CHARS {
            return Err(BadRequest(format!(
                "The report text is longer than {MAX_BODY_CHARS} characters; shorten it or add the rest as a follow-up."
            )));
        }
        Ok(Self {
            kind,
            agency: raw.agency,
            body,
            contact,
            oversight_only: raw.oversight_only,
            receipt: raw.receipt,
        })
    }

    /// The payload this submission is encrypted as, written `today`.
    pub fn payload(&self, today: time::Date) -> Payload {
        Payload {
            salt: None,
            part: Part::Report,
            kind: Some(self.kind),
            agency: Some(self.agency.clone()),
            body: self.body.to_string(),
            contact: self.contact.as_ref().map(|c| c.to_string()),
            written_on: today,
            author: None,
        }
    }
}
