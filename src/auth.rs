//! Verification of signed reviewer requests (SECURITY.md invariant 6). There are no
//! passwords and no sessions: each request carries its own Ed25519 signature over the
//! canonical string, and each nonce is accepted once, recorded in the database so a
//! replay fails on every node and after restarts.

use amana_core::{
    events::{self, SignedAction},
    keyring::Reviewer,
    signing::{self, RequestParts, SignatureError},
};
use axum::http::{HeaderMap, Method, Uri};
use time::{Duration, OffsetDateTime};

use crate::{error::ApiError, state::AppState};

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str, SignatureError> {
    headers
        .get(name)
        .ok_or(SignatureError::Missing)?
        .to_str()
        .map_err(|_| SignatureError::Malformed("header is not ASCII"))
}

/// The date after which a nonce signed at `timestamp` can no longer verify.
fn nonce_expiry(timestamp: i64, window_secs: i64) -> time::Date {
    let last_valid = OffsetDateTime::from_unix_timestamp(timestamp.saturating_add(window_secs))
        .unwrap_or(OffsetDateTime::now_utc() + Duration::seconds(window_secs));
    last_valid.date().next_day().unwrap_or(last_valid.date())
}

/// A verified request: who signed it, and the signed action to keep in the history.
pub struct Verified<'s> {
    pub reviewer: &'s Reviewer,
    pub action: SignedAction,
}

impl Verified<'_> {
    /// The signed action as JSON text, for the history chain.
    pub fn action_json(&self) -> String {
        serde_json::to_string(&self.action).unwrap_or_default()
    }
}

/// Verifies the signature headers over the exact request; returns the reviewer.
pub async fn verify<'s>(
    state: &'s AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Verified<'s>, ApiError> {
    let key_id = header(headers, signing::HEADER_KEY)?;
    let timestamp: i64 = header(headers, signing::HEADER_TIMESTAMP)?
        .parse()
        .map_err(|_| SignatureError::Malformed("timestamp must be Unix seconds"))?;
    let nonce = header(headers, signing::HEADER_NONCE)?;
    let signature = header(headers, signing::HEADER_SIGNATURE)?;
    let reviewer = state.keyring.reviewer(key_id).ok_or(SignatureError::UnknownKey)?;
    let parts = RequestParts {
        deployment_id: &state.keyring.deployment_id,
        key_id,
        method: method.as_str(),
        path_and_query: uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"),
        body,
        timestamp,
        nonce,
    };
    let now = OffsetDateTime::now_utc().unix_timestamp();
    signing::verify(&reviewer.public_key, &parts, signature, now, state.signature_window_secs)?;
    // A revoked key is refused from its date, whether the request arrives or was signed on
    // or after it. Checked after the signature, so only the key holder learns the date.
    if let Some(revoked_on) = reviewer.entry.revoked_on {
        let signed_on = OffsetDateTime::from_unix_timestamp(timestamp).map(|t| t.date()).ok();
        if reviewer.is_revoked_on(state.today()) || signed_on.is_some_and(|d| reviewer.is_revoked_on(d)) {
            return Err(SignatureError::Revoked(crate::store::format_date(revoked_on)).into());
        }
    }
    // A POST becomes a history event dated the server's today, and amana-review refuses an
    // event dated before the UTC date of its signature or more than 72 h after it (a bound
    // fixed in the CLI, whatever --signature-window-hours says). Refused here, before the
    // nonce is spent, so no event can make a case unverifiable: a laptop clock ahead across
    // midnight, or a window wider than 72 h, is told to sign again.
    let today = state.today();
    if method == Method::POST && !events::dated_within(today, timestamp) {
        let signed_on = events::signed_dates(timestamp).map_or_else(|| "?".into(), |(d, _)| d.to_string());
        return Err(SignatureError::Undatable { signed_on, today: today.to_string() }.into());
    }
    // Recorded only after the signature verified, so strangers cannot fill the table.
    if !state.store.use_nonce(nonce, nonce_expiry(timestamp, state.signature_window_secs)).await? {
        return Err(SignatureError::Replayed.into());
    }
    let action = SignedAction {
        key_id: key_id.to_string(),
        timestamp,
        nonce: nonce.to_string(),
        signature: signature.to_string(),
        method: parts.method.to_string(),
        path: parts.path_and_query.to_string(),
        // Reviewer bodies are JSON; a non-UTF-8 body is refused by the handlers anyway.
        body: String::from_utf8_lossy(body).into_owned(),
    };
    Ok(Verified { reviewer, action })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonce_outlives_window() {
        let ts = 1_700_000_000; // 2023-11-14T22:13:20Z
        let exp = nonce_expiry(ts, 72 * 3600);
        assert_eq!(exp, time::macros::date!(2023 - 11 - 18));
    }
}
