//! The reporter's follow-up code (SECURITY.md invariant 2).
//!
//! Layout: `LLLLLLLL SSSSSSSSSSSSSSSS C` — an 8-digit random *lookup* part, an independent
//! 16-digit random *secret* part and one Damm check digit over both: 25 digits, shown in
//! five groups of five. The lookup part finds the record (through an HMAC index); the secret
//! part never leaves the Argon2id KDF. Input tolerates spaces, dashes, dots and
//! Arabic-Indic (٠-٩) or Persian (۰-۹) digits.

use rand::Rng;
use std::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::damm;

/// Digits in the lookup part.
pub const LOOKUP_DIGITS: usize = 8;
/// Digits in the secret part: 10^16 ≈ 2^53.15 guesses to recover one code.
pub const SECRET_DIGITS: usize = 16;
/// Total digits, including the check digit.
pub const CODE_DIGITS: usize = LOOKUP_DIGITS + SECRET_DIGITS + 1;
/// Longest input we even look at; anything longer is refused before parsing.
pub const MAX_INPUT_CHARS: usize = 128;

/// Why a typed code was refused. The server maps every variant to the same generic
/// answer; the distinction exists for the reporter-facing form hints only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("the code is empty")]
    Empty,
    #[error("the code is too long")]
    TooLong,
    #[error("the code may only contain digits, spaces and dashes")]
    InvalidCharacter,
    #[error("the code must have exactly {CODE_DIGITS} digits")]
    WrongLength,
    #[error("the code has a typing mistake (check digit does not match)")]
    BadCheckDigit,
}

/// A parsed, checked follow-up code. Zeroized on drop.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct FollowUpCode {
    lookup: String,
    secret: String,
}

impl fmt::Debug for FollowUpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print a code, not even in a debug log.
        f.write_str("FollowUpCode(<redacted>)")
    }
}

/// Maps one input character to an ASCII digit, `None` for an ignorable separator,
/// or an error for anything else.
fn normalize_char(c: char) -> Result<Option<u8>, CodeError> {
    match c {
        '0'..='9' => Ok(Some(c as u8 - b'0')),
        '\u{0660}'..='\u{0669}' => Ok(Some((c as u32 - 0x0660) as u8)),
        '\u{06F0}'..='\u{06F9}' => Ok(Some((c as u32 - 0x06F0) as u8)),
        // Bengali and Devanagari: the Bengali and Hindi pages show codes in them.
        '\u{09E6}'..='\u{09EF}' => Ok(Some((c as u32 - 0x09E6) as u8)),
        '\u{0966}'..='\u{096F}' => Ok(Some((c as u32 - 0x0966) as u8)),
        ' ' | '-' | '.' | '\t' | '\u{00A0}' | '\u{2010}'..='\u{2015}' | '\u{2212}' => Ok(None),
        // Bidi marks that phones insert around numbers in RTL text.
        '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => Ok(None),
        _ => Err(CodeError::InvalidCharacter),
    }
}

/// Reduces user input to ASCII digits (zeroized on drop).
pub fn normalize(input: &str) -> Result<Zeroizing<String>, CodeError> {
    if input.chars().count() > MAX_INPUT_CHARS {
        return Err(CodeError::TooLong);
    }
    let mut digits = Zeroizing::new(String::with_capacity(CODE_DIGITS));
    for c in input.trim().chars() {
        if let Some(d) = normalize_char(c)? {
            digits.push(char::from(b'0' + d));
        }
    }
    if digits.is_empty() {
        return Err(CodeError::Empty);
    }
    Ok(digits)
}

fn random_digits(rng: &mut impl Rng, n: usize) -> String {
    (0..n).map(|_| char::from(b'0' + rng.gen_range(0..10u8))).collect()
}

impl FollowUpCode {
    /// A fresh code from the OS random generator.
    pub fn generate() -> Self {
        let mut rng = rand::rngs::OsRng;
        Self {
            lookup: random_digits(&mut rng, LOOKUP_DIGITS),
            secret: random_digits(&mut rng, SECRET_DIGITS),
        }
    }

    /// A fresh code that keeps `self`'s secret part but draws a new lookup part
    /// (used when the lookup part collides with an existing record).
    pub fn with_new_lookup(&self) -> Self {
        Self { lookup: random_digits(&mut rand::rngs::OsRng, LOOKUP_DIGITS), secret: self.secret.clone() }
    }

    /// Parses user input: tolerant of separators and non-Latin digits, strict on length
    /// and check digit.
    pub fn parse(input: &str) -> Result<Self, CodeError> {
        let digits = normalize(input)?;
        if digits.len() != CODE_DIGITS {
            return Err(CodeError::WrongLength);
        }
        if !damm::is_valid(&digits) {
            return Err(CodeError::BadCheckDigit);
        }
        Ok(Self {
            lookup: digits[..LOOKUP_DIGITS].to_string(),
            secret: digits[LOOKUP_DIGITS..LOOKUP_DIGITS + SECRET_DIGITS].to_string(),
        })
    }

    /// The lookup part (input to the HMAC index).
    pub fn lookup(&self) -> &str {
        &self.lookup
    }

    /// The secret part (input to Argon2id only).
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// The 25 digits without separators.
    pub fn digits(&self) -> Zeroizing<String> {
        let mut s = Zeroizing::new(format!("{}{}", self.lookup, self.secret));
        let check = damm::check_digit(&s).unwrap_or('0');
        s.push(check);
        s
    }

    /// The code in five groups of five, as shown to reporters.
    pub fn grouped(&self) -> Zeroizing<String> {
        let digits = self.digits();
        let mut out = Zeroizing::new(String::with_capacity(CODE_DIGITS + 4));
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && i % 5 == 0 {
                out.push(' ');
            }
            out.push(c);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn generated_code_round_trips() {
        let code = FollowUpCode::generate();
        let shown = code.grouped();
        assert_eq!(shown.len(), CODE_DIGITS + 4);
        assert_eq!(FollowUpCode::parse(&shown), Ok(code));
    }

    #[test]
    fn native_digits_and_dashes_accepted() {
        let code = FollowUpCode::generate();
        // Arabic-Indic, Persian, Bengali, Devanagari: every script the pages show digits in.
        for zero in [0x0660, 0x06F0, 0x09E6, 0x0966] {
            let native: String = code
                .digits()
                .chars()
                .map(|c| char::from_u32(zero + (c as u32 - '0' as u32)).unwrap_or('x'))
                .collect();
            assert_eq!(FollowUpCode::parse(&native).as_ref(), Ok(&code), "digits from U+{zero:04X}");
        }
        let dashed = code.grouped().replace(' ', "-");
        assert_eq!(FollowUpCode::parse(&dashed).as_ref(), Ok(&code));
    }

    #[test]
    fn errors_are_specific() {
        assert_eq!(FollowUpCode::parse(""), Err(CodeError::Empty));
        assert_eq!(FollowUpCode::parse("  - "), Err(CodeError::Empty));
        assert_eq!(FollowUpCode::parse("12ab"), Err(CodeError::InvalidCharacter));
        assert_eq!(FollowUpCode::parse("123"), Err(CodeError::WrongLength));
        assert_eq!(FollowUpCode::parse(&"1".repeat(10_000)), Err(CodeError::TooLong));
        let mut d = FollowUpCode::generate().digits().to_string();
        let last = d.pop().unwrap_or('0');
        d.push(if last == '9' { '0' } else { char::from(last as u8 + 1) });
        assert_eq!(FollowUpCode::parse(&d), Err(CodeError::BadCheckDigit));
    }

    #[test]
    fn debug_never_shows_digits() {
        let code = FollowUpCode::generate();
        assert!(!format!("{code:?}").contains(code.lookup()));
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,200}") {
            let _ = FollowUpCode::parse(&s);
        }

        #[test]
        fn any_valid_digits_round_trip(lookup in "[0-9]{8}", secret in "[0-9]{16}") {
            let code = FollowUpCode { lookup, secret };
            prop_assert_eq!(FollowUpCode::parse(&code.grouped()), Ok(code));
        }

        #[test]
        fn single_digit_change_is_caught(pos in 0usize..CODE_DIGITS, delta in 1u8..10) {
            let code = FollowUpCode::generate();
            let mut b = code.digits().as_bytes().to_vec();
            b[pos] = b'0' + (b[pos] - b'0' + delta) % 10;
            let s = String::from_utf8(b).unwrap_or_default();
            prop_assert_eq!(FollowUpCode::parse(&s), Err(CodeError::BadCheckDigit));
        }
    }
}
