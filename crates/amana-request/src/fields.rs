//! Checking a JSON body against its type's fields, with messages in our own words.
//!
//! The body is parsed into a JSON value first and checked against the request type's
//! [`JsonFields`] table (an object; no unknown field where they are refused; every required
//! field present; each of the right type), so every refusal names the field and says what it
//! must be. A parser's own error text (which quotes positions, Rust types and the client's
//! input) never reaches the client.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::BadRequest;

/// Parses a request body into `T`: JSON, then checked against `T`'s fields ([`check`]),
/// then converted. Every refusal is a message for the client.
pub fn parse<T: DeserializeOwned + JsonFields>(bytes: &[u8]) -> Result<T, BadRequest> {
    let mut value: Value =
        serde_json::from_slice(bytes).map_err(|_| BadRequest("The body is not valid JSON.".into()))?;
    check(&value, T::FIELDS, T::ONLY_THESE)?;
    normalise_whole_numbers(&mut value, T::FIELDS);
    // The checks above cover every way the conversion can fail; this is a backstop.
    serde_json::from_value(value).map_err(|_| {
        BadRequest("A field has a value of the wrong type; see GET /api/v1/openapi.json.".into())
    })
}

/// What a field must hold.
#[derive(Debug, Clone, Copy)]
pub enum Expect {
    /// A JSON string.
    Text,
    /// A string or `null`.
    TextOrNull,
    /// `true` or `false`.
    Flag,
    /// A whole number in this range.
    Whole { min: u64, max: u64 },
    /// An object whose values are whole numbers or null (evaluation answers), or null.
    AnswersOrNull,
    /// A list of at most this many strings.
    Texts { max: usize },
}

impl Expect {
    fn accepts(self, v: &Value) -> bool {
        match self {
            Expect::Text => v.is_string(),
            Expect::TextOrNull => v.is_string() || v.is_null(),
            Expect::Flag => v.is_boolean(),
            Expect::Whole { min, max } => whole(v).is_some_and(|n| (min..=max).contains(&n)),
            Expect::Texts { max } => {
                v.as_array().is_some_and(|a| a.len() <= max && a.iter().all(Value::is_string))
            }
            Expect::AnswersOrNull => {
                v.is_null()
                    || v.as_object().is_some_and(|o| o.values().all(|x| x.is_null() || whole(x).is_some()))
            }
        }
    }

    fn words(self) -> String {
        match self {
            Expect::Text => "text (a JSON string)".into(),
            Expect::TextOrNull => "text (a JSON string) or null".into(),
            Expect::Flag => "true or false".into(),
            Expect::Whole { min, max } => format!("a whole number from {min} to {max}"),
            Expect::Texts { max } => format!("a list of at most {max} texts (JSON strings)"),
            Expect::AnswersOrNull => {
                "an object of criterion ids, each a whole number from 1 to 5 or null (not applicable)".into()
            }
        }
    }
}

/// A whole number, also when written with a fraction of zero (`5.0` is the integer 5 in
/// JSON Schema).
fn whole(v: &Value) -> Option<u64> {
    v.as_u64()
        .or_else(|| v.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= 1e15).map(|f| f as u64))
}

/// One field of a JSON request body.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub required: bool,
    pub expect: Expect,
}

/// The fields of a JSON request body, for checking it with messages in our own words.
pub trait JsonFields {
    /// Every field the type reads.
    const FIELDS: &'static [Field];
    /// Whether fields not listed are refused (`deny_unknown_fields`) or ignored.
    const ONLY_THESE: bool;
}

/// A client-supplied name, shortened and escaped for a message.
fn shown(name: &str) -> String {
    let short: String = name.chars().take(40).collect();
    let more = if short.len() < name.len() { "…" } else { "" };
    format!("{}{more}", short.escape_debug())
}

fn names(fields: &[Field]) -> String {
    fields.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
}

/// Writes `5.0` as `5` in whole-number fields (checked already), for the typed conversion.
fn normalise_whole_numbers(value: &mut Value, fields: &[Field]) {
    let normalise = |v: &mut Value| {
        if let Some(n) = whole(v) {
            *v = Value::from(n);
        }
    };
    for f in fields {
        match (f.expect, value.get_mut(f.name)) {
            (Expect::Whole { .. }, Some(v)) => normalise(v),
            (Expect::AnswersOrNull, Some(Value::Object(o))) => o.values_mut().for_each(normalise),
            _ => {}
        }
    }
}

/// Checks a parsed body against its fields; the first problem found, in our words.
pub fn check(value: &Value, fields: &[Field], only_these: bool) -> Result<(), BadRequest> {
    let Some(object) = value.as_object() else {
        return Err(BadRequest(format!(
            "The body must be a JSON object with the fields: {}.",
            names(fields)
        )));
    };
    if only_these {
        if let Some(unknown) = object.keys().find(|k| !fields.iter().any(|f| f.name == k.as_str())) {
            return Err(BadRequest(format!(
                "Unknown field `{}`. The fields are: {}.",
                shown(unknown),
                names(fields)
            )));
        }
    }
    for f in fields {
        match object.get(f.name) {
            None if f.required => return Err(BadRequest(format!("Missing field `{}`.", f.name))),
            None => {}
            Some(v) if !f.expect.accepts(v) => {
                return Err(BadRequest(format!("The field `{}` must be {}.", f.name, f.expect.words())))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const FIELDS: &[Field] = &[
        Field { name: "code", required: true, expect: Expect::Text },
        Field { name: "rating", required: true, expect: Expect::Whole { min: 1, max: 5 } },
        Field { name: "note", required: false, expect: Expect::TextOrNull },
    ];

    fn message(v: Value) -> String {
        match check(&v, FIELDS, true) {
            Err(BadRequest(m)) => m,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn messages_name_the_field_and_never_quote_the_parser() {
        assert_eq!(
            message(json!({"code": "1", "rating": 300})),
            "The field `rating` must be a whole number from 1 to 5."
        );
        assert_eq!(
            message(json!({"code": "1", "rating": 0})),
            "The field `rating` must be a whole number from 1 to 5."
        );
        assert_eq!(
            message(json!({"code": "1", "rating": 2.5})),
            "The field `rating` must be a whole number from 1 to 5."
        );
        assert_eq!(message(json!({"code": "1"})), "Missing field `rating`.");
        assert_eq!(
            message(json!({"code": 5, "rating": 1})),
            "The field `code` must be text (a JSON string)."
        );
        assert!(message(json!({"code": "1", "rating": 1, "ip": "x"})).starts_with("Unknown field `ip`."));
        assert!(message(json!([1, 2])).starts_with("The body must be a JSON object"));
        assert!(check(&json!({"code": "1", "rating": 5, "note": null}), FIELDS, true).is_ok());
        assert!(check(&json!({"code": "1", "rating": 5.0}), FIELDS, true).is_ok());
        assert!(check(&json!({"code": "1", "rating": 5.5}), FIELDS, true).is_err());
        assert!(check(&json!({"code": "1", "rating": 5, "extra": 1}), FIELDS, false).is_ok());
    }
}
