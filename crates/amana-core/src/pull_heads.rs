//! Heads first (docs/FORMATS.md §3, "Heads first"): a page of an incremental pull asked with
//! `heads=1` lists, per case, only its id and its history head (the sequence number and hash
//! of its last event); the reviewer's CLI then asks for the full cases whose head is not the
//! one it verified, by id (`ids=`). A pull with nothing new moves no case body at all.
//!
//! A head from the server only decides what is *not* fetched; a fetched case goes through
//! every check as before (SECURITY.md invariant 10).

use serde::{Deserialize, Serialize};

use crate::route::canonical_query;
use crate::wire::{paths, CaseList, PullQuery, CASE_LIST_FORMAT, MAX_PAGE};

/// One case of a heads-only page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseHead {
    pub id: String,
    /// The sequence number of the case's last event (none: a case without history, which
    /// no home holds as verified, so it is always fetched).
    pub seq: Option<i64>,
    /// That event's hash.
    pub hash: Option<String>,
}

/// The answer to a `heads=1` page: a case list's every field (its `cases` empty) and the
/// heads of the page's cases, in id order. Without `heads`, the answer of a server that
/// ignored the parameter: the page itself, cases and all.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HeadsPage {
    #[serde(flatten)]
    pub list: CaseList,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heads: Option<Vec<CaseHead>>,
}

/// The target of the heads-only form of the page `q`.
pub fn heads_target(q: &PullQuery) -> String {
    let target = q.target();
    // `target` is canonical (sorted names); adding one more pair keeps it so once re-sorted.
    let query = target.split_once('?').map_or("", |(_, q)| q);
    let mut pairs = crate::route::query_pairs(query).unwrap_or_default();
    pairs.push(("heads".into(), "1".into()));
    format!("{}?{}", paths::CASES, canonical_query(&pairs).unwrap_or_default())
}

/// The target asking for the full cases `ids` (at most [`MAX_PAGE`] of them).
pub fn ids_target(ids: &[String]) -> String {
    let pairs = vec![
        ("format".to_string(), CASE_LIST_FORMAT.to_string()),
        ("ids".to_string(), ids.iter().take(MAX_PAGE as usize).cloned().collect::<Vec<_>>().join(",")),
    ];
    format!("{}?{}", paths::CASES, canonical_query(&pairs).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_canonical() {
        let q = PullQuery { since: None, after: Some("ab".into()), limit: 7 };
        assert_eq!(heads_target(&q), "/api/v1/review/cases?after=ab&format=4&heads=1&limit=7");
        assert_eq!(ids_target(&["a".into(), "b".into()]), "/api/v1/review/cases?format=4&ids=a%2Cb");
    }
}
