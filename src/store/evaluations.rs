//! What service evaluations and compliments record in the clear (docs/FORMATS.md §10): the
//! centre, the answers and a used visit token, and the sums figures are made from.

use time::Date;

/// The centre and numeric answers an evaluation or compliment records in the clear
/// (docs/FORMATS.md §10; SECURITY.md, "What the server knows"); the comment stays encrypted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evaluation {
    pub centre: Option<String>,
    pub answers: Option<amana_core::services::Answers>,
    /// The visit token that makes it commissioned: recorded as used in the same transaction
    /// (its id and last valid date), never linked to the case.
    pub visit: Option<SpentVisit>,
}

/// A used visit token: the SHA-256 of its nonce, and the date after which it can go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpentVisit {
    pub id: String,
    pub expires_on: Date,
}

/// Which cases' ratings to sum: received from `from` to `to` (inclusive), of one agency or all.
#[derive(Debug, Clone)]
pub struct RatingFilter {
    pub agency: Option<String>,
    pub from: Date,
    pub to: Date,
}

/// The answers to one criterion of one questionnaire version at one agency and centre.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingSummary {
    pub agency: String,
    pub centre: Option<String>,
    pub questionnaire: String,
    pub version: i64,
    pub criterion: String,
    /// Commissioned (a shopper's visit token) or public; counted apart.
    pub commissioned: bool,
    /// Answers 1–5, and their sum (the mean is `sum / answered`).
    pub answered: i64,
    pub sum: i64,
    /// "Not applicable" answers.
    pub not_applicable: i64,
}
