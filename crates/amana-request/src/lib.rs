//! The reporter API's JSON request bodies, parsed and checked with no I/O.
//!
//! [`fields`] checks any body against its type's field table, so every refusal names the
//! field in our own words; [`report`] is the report submission (`POST /api/v1/reports`),
//! from bytes ([`report::parse_report_json`]) to a checked [`report::Submission`]. The server
//! maps a [`BadRequest`] to its 400 answer; the intake fuzz target calls the very same
//! functions, which is why they live outside the server crate (its fuzz build would
//! otherwise compile axum, sqlx and the rest under the sanitizer).

pub mod fields;
pub mod report;

/// A refused request body, with the message the client is shown (a 400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRequest(pub String);

impl std::fmt::Display for BadRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadRequest {}
