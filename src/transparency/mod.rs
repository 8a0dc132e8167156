//! Public transparency figures: oversight's signed documents (`amana-review kpis --publish`),
//! uploaded once per period, checked here, and served verbatim as JSON and as a page.
//!
//! The server decides nothing in them: it checks the signature against the signed roster's
//! oversight keys and serves the file as signed, so no database writer can change what the
//! public sees without the signature failing for anyone who checks it (SECURITY.md,
//! "Published figures").
//!
//! A year is not uploaded: it is the sum of its four published quarters, computed here from
//! the signed quarters alone (`amana_core::publication::year`) and served with them, so anyone
//! can check the signatures and redo the sums. Every answer is made once per set of stored
//! documents (`cache`) and may be kept by browsers and proxies (ETag, `Cache-Control: public`).

mod cache;
mod page;

use amana_core::disclosure;
use amana_core::publication::{self, Signed};
use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{error::ApiError, state::AppState};

pub use cache::Cache;
pub use page::page;

/// Largest upload accepted, in bytes.
pub const MAX_UPLOAD_BYTES: usize = 1024 * 1024;

/// `POST /api/v1/review/publications`: a signed figures file, as `kpis --publish` wrote it.
/// Needs no request signature: the document's own signature by an oversight key is the
/// authority, so the connected machine (which holds no key) can upload it.
pub async fn upload(State(state): State<AppState>, body: Bytes) -> Result<StatusCode, ApiError> {
    let signed: Signed = serde_json::from_slice(&body).map_err(|_| {
        ApiError::BadRequest("send the file `amana-review kpis --publish` wrote, unchanged".into())
    })?;
    let today = state.today();
    let oversight_key = |id: &str| state.keyring.oversight_key(id, Some(today));
    let doc = publication::verify(&signed, oversight_key, &state.keyring.deployment_id)
        .map_err(|why| ApiError::BadRequest(format!("figures refused: {why}")))?;
    if publication::quarter(doc.from, doc.to).is_none() {
        return Err(ApiError::BadRequest(format!(
            "figures refused: {} to {} is not a calendar quarter; publish quarters (kpis --period 2026-Q1 \
             --publish), since overlapping periods could be subtracted from each other",
            doc.from, doc.to
        )));
    }
    if !disclosure::publishable(doc.to, today) {
        return Err(ApiError::BadRequest(format!(
            "figures refused: the period ends on {}, and is published only {} days after it ends",
            doc.to,
            disclosure::EMBARGO_DAYS
        )));
    }
    let text = serde_json::to_string(&signed).map_err(|e| ApiError::Internal(e.into()))?;
    if !state.store.publish(doc.from, doc.to, &text).await? {
        return Err(ApiError::Conflict(format!(
            "figures from {} were published before: a period is published once, then frozen",
            doc.from
        )));
    }
    Ok(StatusCode::CREATED)
}

/// `GET /api/v1/transparency` answer.
#[derive(Serialize, ToSchema)]
pub struct PublicationsDto {
    /// Each period's file as oversight signed it (`document` is JSON text; `signature` is
    /// base64 Ed25519 over `amana-transparency-1\n` and the document, by the key `key_id`
    /// of the deployment's signed roster), newest period first.
    #[schema(value_type = Vec<Object>)]
    pub publications: Vec<Signed>,
    /// The years whose four quarters are published, newest first: each is served, summed,
    /// at `/api/v1/transparency/{year}`.
    pub years: Vec<i32>,
}

/// The published figures, each as oversight signed it.
#[utoipa::path(
    get,
    path = "/api/v1/transparency",
    responses(
        (status = 200, body = PublicationsDto, headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified: the `If-None-Match` tag is current"),
    ),
    tag = "public"
)]
pub async fn list(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    Ok(cache::published(&state).await?.list.respond(&headers, JSON))
}

const JSON: &str = "application/json";
const CSV: &str = "text/csv; charset=utf-8; header=present";

/// One period's figures: a quarter's file as signed, or a year summed from its quarters.
#[utoipa::path(
    get,
    path = "/api/v1/transparency/{period}",
    params(("period" = String, Path, pattern = r"^[0-9]{4}(-Q[1-4])?(\.csv)?$", description = "A quarter (`2025-Q3`) or a year (`2025`); add `.csv` for CSV (RFC 4180, one figure a line: `period,agency,centre,figure,value,n`; a hidden count is the text `<k`)")),
    responses(
        (status = 200, description = "A quarter: the file oversight signed, verbatim. A year: `{\"year\": sums, \"quarters\": [the four signed files]}`. Or the same as CSV.",
            content((Object = "application/json"), (String = "text/csv")),
            headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified: the `If-None-Match` tag is current"),
        (status = 400, description = "Not a quarter or a year; the message shows the spelling", body = crate::schemas::ErrorSchema),
        (status = 404, description = "Not published: a quarter is published at least 120 days after it ends, a year once its four quarters are", body = crate::schemas::ErrorSchema),
    ),
    tag = "public"
)]
pub async fn period(
    State(state): State<AppState>,
    Path(period): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (name, csv) = period.strip_suffix(".csv").map_or((period.as_str(), false), |n| (n, true));
    let wanted = parse_period(name).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "`{}` is not a period: ask for a quarter (2025-Q3) or a year (2025), with .csv for CSV",
            name.chars().take(40).collect::<String>()
        ))
    })?;
    let published = cache::published(&state).await?;
    let missing = || {
        ApiError::Missing(format!(
            "no figures are published for {name}: a quarter is published at least {} days after it ends, a year once its four quarters are; GET /api/v1/transparency lists what is",
            disclosure::EMBARGO_DAYS
        ))
    };
    let (json, csv_body) = match wanted {
        Wanted::Quarter(label) => published.quarter(&label).map(|d| (&d.json, &d.csv)).ok_or_else(missing)?,
        Wanted::Year(y) => published.year(y).map(|v| (&v.json, &v.csv)).ok_or_else(missing)?,
    };
    Ok(if csv { csv_body.respond(&headers, CSV) } else { json.respond(&headers, JSON) })
}

enum Wanted {
    Quarter(String),
    Year(i32),
}

/// `2025` or `2025-Q3` (the only spellings: one address per period).
fn parse_period(s: &str) -> Option<Wanted> {
    let (year, quarter) = s.split_once("-Q").map_or((s, None), |(y, q)| (y, Some(q)));
    if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let y: i32 = year.parse().ok()?;
    match quarter {
        None => Some(Wanted::Year(y)),
        Some(q @ ("1" | "2" | "3" | "4")) => Some(Wanted::Quarter(format!("{y}-Q{q}"))),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn periods_have_one_spelling() {
        use super::{parse_period, Wanted};
        assert!(matches!(parse_period("2025"), Some(Wanted::Year(2025))));
        assert!(matches!(parse_period("2025-Q3"), Some(Wanted::Quarter(q)) if q == "2025-Q3"));
        for bad in ["", "25", "2025-q3", "2025-Q5", "2025-Q", "+202", "2025-01", "٢٠٢٥"] {
            assert!(parse_period(bad).is_none(), "{bad}");
        }
    }
}
