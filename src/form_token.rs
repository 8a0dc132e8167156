//! A minimum time to fill in the report form, without cookies or server state.
//!
//! The form carries a hidden token `<unix seconds>.<HMAC>` made when the page was served;
//! the HMAC key is derived from the pepper, so the token cannot be forged. A submission that
//! comes back faster than a person could type — or with a token that is missing, forged,
//! made under another pepper, or older than a day — is not stored, and nobody is told it
//! was: the page shows the same form again with everything typed in it (`pages::report`).
//! A bot that does not post again stores nothing; a person loses nothing.
//!
//! The form shown again carries a *re-shown* token, `<unix seconds>.r.<HMAC>`, that is never
//! refused for speed: the fill-time clock runs from the first form served for that draft,
//! and a person who already waited must not be sent round again. Its time is the original
//! token's when that one was genuine and less than a day old, else the time it is re-shown.
//! Timestamps travel only in the page and its own POST; they are never logged or stored.

use ring::hmac;

/// The longest a form may stay open before its token expires.
const MAX_AGE_SECS: i64 = 24 * 3600;

/// The form-token checker.
pub struct FormTokens {
    key: hmac::Key,
    /// Seconds a person needs at least; 0 switches the check off (tests).
    pub min_fill_secs: i64,
}

/// A token read back from a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Token {
    issued: i64,
    reshown: bool,
}

/// What a posted token says about the submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A person's pace with a genuine, current token: store it.
    Accept,
    /// Too fast, or no genuine current token: show the form again, never store it.
    Again,
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

    fn mac(&self, t: Token) -> String {
        // Distinct messages: `r:` can never parse as the seconds of a fresh token.
        let message = if t.reshown {
            format!("amana-form-v1:r:{}", t.issued)
        } else {
            format!("amana-form-v1:{}", t.issued)
        };
        let tag = hmac::sign(&self.key, message.as_bytes());
        hex::encode(&tag.as_ref()[..16])
    }

    fn encode(&self, t: Token) -> String {
        if t.reshown {
            format!("{}.r.{}", t.issued, self.mac(t))
        } else {
            format!("{}.{}", t.issued, self.mac(t))
        }
    }

    /// The token if it is genuine (made by this key), whatever its age.
    fn genuine(&self, token: Option<&str>) -> Option<Token> {
        let token = token?;
        let (head, mac) = token.rsplit_once('.')?;
        let (issued, reshown) = match head.split_once('.') {
            None => (head, false),
            Some((issued, "r")) => (issued, true),
            Some(_) => return None,
        };
        let t = Token { issued: issued.parse().ok()?, reshown };
        let ok: bool = subtle::ConstantTimeEq::ct_eq(mac.as_bytes(), self.mac(t).as_bytes()).into();
        ok.then_some(t)
    }

    /// A token for a form served now.
    pub fn issue(&self) -> String {
        self.encode(Token { issued: now(), reshown: false })
    }

    /// Whether a submission with this token may be stored.
    pub fn verdict(&self, token: Option<&str>) -> Verdict {
        self.verdict_at(token, now())
    }

    fn verdict_at(&self, token: Option<&str>, now: i64) -> Verdict {
        if self.min_fill_secs <= 0 {
            return Verdict::Accept;
        }
        let Some(t) = self.genuine(token) else { return Verdict::Again };
        let age = now - t.issued;
        let fast_enough = t.reshown || age >= self.min_fill_secs;
        if fast_enough && age <= MAX_AGE_SECS {
            Verdict::Accept
        } else {
            Verdict::Again
        }
    }

    /// The token for the form shown again after `posted` (the token the refused or failed
    /// submission carried): re-shown, so it is never refused for speed, and dated when the
    /// draft's first form was served if that is known and less than a day ago.
    pub fn again(&self, posted: Option<&str>) -> String {
        self.again_at(posted, now())
    }

    fn again_at(&self, posted: Option<&str>, now: i64) -> String {
        let issued = self
            .genuine(posted)
            .map(|t| t.issued)
            .filter(|issued| (0..MAX_AGE_SECS).contains(&(now - issued)))
            .unwrap_or(now);
        self.encode(Token { issued, reshown: true })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issued(token: &str) -> i64 {
        token.split('.').next().and_then(|s| s.parse().ok()).unwrap_or(0)
    }

    #[test]
    fn fast_forged_and_stale_submissions_are_sent_back() {
        let t = FormTokens::new(b"pepper", 3);
        let token = t.issue();
        let at = issued(&token);
        assert_eq!(t.verdict_at(Some(&token), at + 1), Verdict::Again, "too fast");
        assert_eq!(t.verdict_at(Some(&token), at + 5), Verdict::Accept);
        assert_eq!(t.verdict_at(Some(&token), at + MAX_AGE_SECS + 1), Verdict::Again, "stale");
        assert_eq!(t.verdict_at(None, at + 5), Verdict::Again, "missing");
        assert_eq!(t.verdict_at(Some(""), at + 5), Verdict::Again, "empty");
        let forged = format!("{}.{}", at - 100, token.split('.').nth(1).unwrap_or(""));
        assert_eq!(t.verdict_at(Some(&forged), at + 5), Verdict::Again, "forged time");
        let other = FormTokens::new(b"other pepper", 3);
        assert_eq!(other.verdict_at(Some(&token), at + 5), Verdict::Again, "another key (pepper rotated)");
        assert_eq!(FormTokens::new(b"pepper", 0).verdict_at(None, 0), Verdict::Accept, "switched off");
    }

    #[test]
    fn a_reshown_form_is_never_refused_for_speed_and_keeps_the_first_time() {
        let t = FormTokens::new(b"pepper", 3);
        let first = t.issue();
        let at = issued(&first);
        // Sent back after one second: the new token keeps the first form's time.
        let again = t.again_at(Some(&first), at + 1);
        assert_eq!(issued(&again), at);
        assert!(again.contains(".r."), "{again}");
        assert_eq!(t.verdict_at(Some(&again), at + 1), Verdict::Accept, "sent again at once");
        // ... but it still expires a day after the first form was served.
        assert_eq!(t.verdict_at(Some(&again), at + MAX_AGE_SECS + 1), Verdict::Again);
        // Without a usable token (missing, forged, stale) the clock starts when it is re-shown.
        for posted in [None, Some("12.34"), Some(first.as_str())] {
            let now = at + MAX_AGE_SECS + 10;
            let again = t.again_at(posted, now);
            assert_eq!(issued(&again), now, "{posted:?}");
            assert_eq!(t.verdict_at(Some(&again), now), Verdict::Accept, "{posted:?}");
        }
        // The mark cannot be added to, or removed from, a token by hand.
        let marked = first.replacen('.', ".r.", 1);
        assert_eq!(t.verdict_at(Some(&marked), at), Verdict::Again, "mark added");
        let unmarked = again.replacen(".r.", ".", 1);
        assert_eq!(t.verdict_at(Some(&unmarked), at + 1), Verdict::Again, "mark removed");
        assert_eq!(t.verdict_at(Some(&format!("{at}.x.{}", "0".repeat(32))), at + 5), Verdict::Again);
    }
}
