//! Canonical reviewer routes (docs/FORMATS.md §3, "One canonical form").
//!
//! A signature covers the path it was made over. Two spellings of one route — a
//! percent-encoded case id, a query the route ignores — would each verify, and the server
//! would act on both, while a home compares the signed path with the route it expects and
//! calls anything else tampered: one such request then blocks every pull of the case. So
//! there is exactly one form: the server rebuilds the route from the parameters it decoded
//! and accepts a request only when it was sent (and so signed) in that form; a home reads
//! the paths older servers stored the way the server routed them ([`routed_case_action`]).

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::wire::paths::CASES;

/// Everything but the RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`) is encoded.
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Why a query has no canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("a query parameter has an empty name or value")]
    Empty,
    #[error("a query parameter is named twice")]
    Repeated,
    #[error("a query parameter is not UTF-8 once decoded")]
    NotUtf8,
}

/// The canonical query for `pairs`: sorted by name, each name and value percent-encoded
/// except for unreserved characters, joined by `=` and `&`; no empty name or value and no
/// name twice (so no two different queries mean the same). Empty for no pairs.
pub fn canonical_query(pairs: &[(String, String)]) -> Result<String, QueryError> {
    let mut sorted: Vec<&(String, String)> = pairs.iter().collect();
    sorted.sort();
    if sorted.iter().any(|(k, v)| k.is_empty() || v.is_empty()) {
        return Err(QueryError::Empty);
    }
    if sorted.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(QueryError::Repeated);
    }
    let enc = |s: &str| utf8_percent_encode(s, NOT_UNRESERVED).to_string();
    Ok(sorted.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&"))
}

/// The decoded pairs of a raw query (`a=1&b=2`; percent-decoded, `+` is not a space). A
/// part without `=` has an empty value, which [`canonical_query`] refuses.
pub fn query_pairs(raw: &str) -> Result<Vec<(String, String)>, QueryError> {
    let dec = |s: &str| {
        percent_decode_str(s).decode_utf8().map(|c| c.into_owned()).map_err(|_| QueryError::NotUtf8)
    };
    raw.split('&')
        .filter(|p| !raw.is_empty() || !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            Ok((dec(k)?, dec(v)?))
        })
        .collect()
}

/// `path` with the canonical form of `query` (a raw query, or none): what a request to
/// that route must be sent, and signed, as.
pub fn canonical_target(path: &str, query: Option<&str>) -> Result<String, QueryError> {
    let q = canonical_query(&query_pairs(query.unwrap_or_default())?)?;
    Ok(if q.is_empty() { path.to_string() } else { format!("{path}?{q}") })
}

/// The case action route (`/api/v1/review/cases/{id}/{action}`) that a server routes
/// `signed_path` to, rebuilt in canonical form: the query is dropped and the case id
/// percent-decoded, as the router and its path extractor did; the literal segments are
/// matched as sent. `None` when no case action route matches.
pub fn routed_case_action(signed_path: &str) -> Option<String> {
    let path = signed_path.split_once('?').map_or(signed_path, |(p, _)| p);
    let rest = path.strip_prefix(CASES)?.strip_prefix('/')?;
    let (raw_id, action) = rest.split_once('/')?;
    if raw_id.is_empty()
        || !matches!(
            action,
            "status"
                | "replies"
                | "extend"
                | "rewrap"
                | "hold"
                | "release"
                | "transfer"
                | "exclude"
                | "assign"
        )
    {
        return None;
    }
    let id = percent_decode_str(raw_id).decode_utf8().ok()?;
    Some(format!("{CASES}/{id}/{action}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn one_form_per_query() {
        assert_eq!(canonical_query(&[]), Ok(String::new()));
        assert_eq!(canonical_query(&pairs(&[("format", "2")])), Ok("format=2".into()));
        assert_eq!(canonical_query(&pairs(&[("b", "x y"), ("a", "é~")])), Ok("a=%C3%A9~&b=x%20y".into()));
        assert_eq!(canonical_query(&pairs(&[("a", "")])), Err(QueryError::Empty));
        assert_eq!(canonical_query(&pairs(&[("a", "1"), ("a", "2")])), Err(QueryError::Repeated));
        assert_eq!(
            canonical_target(crate::wire::paths::CASES, Some("format=4")).as_deref(),
            Ok(crate::wire::paths::CASES_PULL)
        );
        // Other spellings of the same query are not canonical.
        for raw in ["%66ormat=2", "format=2&", "format=%32", "b=1&format=2&a=1"] {
            let t = canonical_target(CASES, Some(raw)).unwrap_or_default();
            assert_ne!(t, format!("{CASES}?{raw}"), "{raw}");
        }
        assert!(canonical_target(CASES, Some("format")).is_err());
        assert!(canonical_target(CASES, Some("a=%FF")).is_err());
        assert_eq!(canonical_target(CASES, None).as_deref(), Ok(CASES));
    }

    #[test]
    fn stored_paths_are_read_as_the_server_routed_them() {
        let route = format!("{CASES}/4e11/status");
        assert_eq!(routed_case_action(&route).as_deref(), Some(route.as_str()));
        assert_eq!(routed_case_action(&format!("{CASES}/%34e%311/status")).as_deref(), Some(route.as_str()));
        assert_eq!(routed_case_action(&format!("{CASES}/4e11/status?x=1")).as_deref(), Some(route.as_str()));
        // Literal segments are matched as sent: these never reached a case action.
        assert_eq!(routed_case_action(&format!("{CASES}/4e11/%73tatus")), None);
        assert_eq!(routed_case_action(&format!("{CASES}//status")), None);
        assert_eq!(routed_case_action(&format!("{CASES}/4e11/status/")), None);
        assert_eq!(routed_case_action("/api/v1/review/%63ases/4e11/status"), None);
    }
}
