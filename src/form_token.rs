//! A minimum time to fill in the report form, without cookies or server state.
//!
//! The form carries a hidden token `<unix seconds>.<HMAC>` made when the page was served;
//! the HMAC key is derived from the pepper, so the token cannot be forged. A submission that
//! comes back faster than a person could type — or without a valid token — is treated like
//! a filled honeypot: answered like a success, stored nowhere. The timestamp travels only
//! in the page and its own POST; it is never logged or stored.

use ring::hmac;

/// The longest a form may stay open before its token expires.
const MAX_AGE_SECS: i64 = 24 * 3600;

/// The form-token checker.
pub struct FormTokens {
    key: hmac::Key,
    /// Seconds a person needs at least; 0 switches the check off (tests).
    pub min_fill_secs: i64,
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl FormTokens {
    /// Derives the token key from the pepper (domain-separated, never the pepper itself).
    pub fn new(pepper: &[u8], min_fill_secs: i64) -> Self {
        let derived = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, pepper), b"amana-form-token-key-v1");
        Self { key: hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref()), min_fill_secs }
    }

    fn mac(&self, issued: i64) -> String {
        let tag = hmac::sign(&self.key, format!("amana-form-v1:{issued}").as_bytes());
        hex::encode(&tag.as_ref()[..16])
    }

    /// A token for a form served now.
    pub fn issue(&self) -> String {
        let issued = now();
        format!("{issued}.{}", self.mac(issued))
    }

    /// Whether a submission with this token looks like a person's.
    pub fn looks_human(&self, token: Option<&str>) -> bool {
        self.check(token, now())
    }

    fn check(&self, token: Option<&str>, now: i64) -> bool {
        if self.min_fill_secs <= 0 {
            return true;
        }
        let Some((issued, mac)) = token.and_then(|t| t.split_once('.')) else { return false };
        let Ok(issued) = issued.parse::<i64>() else { return false };
        let genuine: bool = subtle::ConstantTimeEq::ct_eq(mac.as_bytes(), self.mac(issued).as_bytes()).into();
        let age = now - issued;
        genuine && age >= self.min_fill_secs && age <= MAX_AGE_SECS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_forged_and_stale_submissions_fail() {
        let t = FormTokens::new(b"pepper", 3);
        let token = t.issue();
        let issued: i64 = token.split('.').next().and_then(|s| s.parse().ok()).unwrap_or(0);
        assert!(!t.check(Some(&token), issued + 1), "too fast");
        assert!(t.check(Some(&token), issued + 5));
        assert!(!t.check(Some(&token), issued + MAX_AGE_SECS + 1), "stale");
        assert!(!t.check(None, issued + 5), "missing");
        let forged = format!("{}.{}", issued - 100, token.split('.').nth(1).unwrap_or(""));
        assert!(!t.check(Some(&forged), issued + 5), "forged time");
        assert!(!FormTokens::new(b"other", 3).check(Some(&token), issued + 5), "other key");
        assert!(FormTokens::new(b"pepper", 0).check(None, 0), "switched off");
    }
}
