//! The follow-up code as a reporter typed it, in a type of its own.

use amana_core::code::{CodeError, FollowUpCode};
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::i18n::ascii_digits;

/// A code as typed, before any check. JSON request bodies deserialize straight into it, so
/// the text is in this wiped-on-drop type from the edge on; it is not *validated* there on
/// purpose: every text that does not open a case must get the same answer after the same
/// Argon2id work (`status::authenticate`), so malformed input travels as far as a
/// well-formed miss. The type is neither `Debug` nor `Clone`:
///
/// ```compile_fail,E0277
/// fn log(c: &amana::status::TypedCode) -> String { format!("{c:?}") }
/// ```
pub struct TypedCode(Zeroizing<String>);

/// Any JSON string is a typed code (the request's `JsonFields` table has already refused a
/// non-string with its own message). In the OpenAPI document the field stays a string.
impl<'de> Deserialize<'de> for TypedCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(TypedCode::new)
    }
}

impl TypedCode {
    /// A code from the JSON API, as sent (the parser reads Arabic-Indic and Persian digits).
    pub fn new(typed: String) -> Self {
        TypedCode(Zeroizing::new(typed))
    }

    /// A code from a page's form: Bengali and Devanagari digits are made ASCII too, since
    /// the pages are served in those scripts and a keyboard may type them.
    pub fn from_form(typed: Zeroizing<String>) -> Self {
        TypedCode(Zeroizing::new(ascii_digits(&typed)))
    }

    /// All its digits, but a check digit that does not match: a typing mistake. That
    /// depends on what was typed alone, so saying so tells nothing about which codes exist.
    pub fn is_typo(&self) -> bool {
        matches!(FollowUpCode::parse(&self.0), Err(CodeError::BadCheckDigit))
    }

    /// The text, for `status::authenticate` alone.
    pub(super) fn as_str(&self) -> &str {
        &self.0
    }
}
