//! JSON types of the reviewer API, shared by the server and `amana-review`.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::case::{Kind, Status};
use crate::payload::Part;

/// Reviewer API paths.
pub mod paths {
    /// `GET`: every case in the key's scope, with its envelopes.
    pub const CASES: &str = "/api/v1/review/cases";
    /// `GET` (public): deployment id, agencies and kinds.
    pub const AGENCIES: &str = "/api/v1/agencies";
    /// `POST` with [`super::StatusChange`]: `/api/v1/review/cases/{id}/status`.
    pub fn status(case_id: &str) -> String {
        format!("{}/{case_id}/status", CASES)
    }
}

/// One encrypted piece of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeWire {
    /// Random id.
    pub id: String,
    /// What it holds.
    pub part: Part,
    /// UTC date it was stored.
    pub created_on: Date,
    /// The age file, base64 (standard, padded).
    pub age_b64: String,
}

/// One entry of a case's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventWire {
    /// Position in the case's history, from 0.
    pub seq: i64,
    /// UTC date.
    pub on: Date,
    /// The status after this event.
    pub status: Status,
    /// Reviewer key id, absent for the submission itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

/// A case as the reviewer API returns it: metadata in clear, content encrypted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseBundle {
    pub id: String,
    pub kind: Kind,
    pub agency: String,
    pub oversight_only: bool,
    pub status: Status,
    pub received_on: Date,
    pub envelopes: Vec<EnvelopeWire>,
    pub events: Vec<EventWire>,
}

/// `GET /api/v1/review/cases` response.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseList {
    pub cases: Vec<CaseBundle>,
}

/// `POST /api/v1/review/cases/{id}/status` body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatusChange {
    pub status: Status,
}

/// The error body every API error uses.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Machine-readable code, e.g. `not_found`.
    pub error: String,
    /// What the user can do about it.
    pub message: String,
}

/// `GET /api/v1/agencies` response (public).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgencyList {
    /// Signed reviewer requests must name this deployment.
    pub deployment_id: String,
    pub agencies: Vec<crate::keyring::Agency>,
    pub kinds: Vec<Kind>,
}
