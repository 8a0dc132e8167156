//! Incremental, paged pulls (docs/FORMATS.md §3, "Incremental pulls"): the cases in the
//! key's scope changed on or after `since`, at most `limit` of them after the id `after`,
//! selected in SQL, so the server holds one page at a time however many cases it keeps.
//! The cursor is a date and a random id: neither orders cases by arrival.

use amana_core::pull_heads::CaseHead;
use amana_core::route::{canonical_query, query_pairs};
use amana_core::wire::{paths, CaseList, PullQuery, Tombstone, MAX_PAGE};

use super::RouteId;
use crate::{error::ApiError, state::AppState, store::CaseFilter};

/// What a case-list request asks for beside its format and page (docs/FORMATS.md §3,
/// "Heads first").
#[derive(Debug, PartialEq, Eq)]
pub enum Form {
    /// Whole cases: what every `amana-review` before heads first asks for.
    Cases,
    /// `heads=1`: the page's ids and history heads only.
    Heads,
    /// `ids=A,B,…`: those cases in full, those outside the key's scope left out.
    Ids(Vec<String>),
}

/// The query of a case-list request: the format asked for, the page, if it is a paged
/// pull, and the form. A name the server does not know is refused, so no request means two
/// things.
pub fn parse(route: &str) -> Result<(u32, Option<PullQuery>, Form), ApiError> {
    let query = route.split_once('?').map_or("", |(_, q)| q);
    let pairs = query_pairs(query).map_err(|e| ApiError::BadRequest(format!("invalid query: {e}")))?;
    let mut format = 0;
    let mut form = Form::Cases;
    for (name, value) in &pairs {
        match (name.as_str(), value.as_str()) {
            ("format", "4") => format = 4,
            ("format", "3") => format = 3,
            ("format", "2") => format = 2,
            ("heads", "1") => form = Form::Heads,
            ("ids", ids) => form = Form::Ids(parse_ids(ids)?),
            ("format" | "since" | "after" | "limit", _) => {}
            (other, _) => {
                return Err(ApiError::BadRequest(format!(
                    "unknown query parameter `{}`: a pull takes format, since, after, limit, heads=1 \
                     or ids",
                    other.escape_debug()
                )))
            }
        }
    }
    let paged = pairs.iter().any(|(n, _)| matches!(n.as_str(), "since" | "after" | "limit"));
    // The page's own parameters, read as every release reads them.
    let page_pairs: Vec<_> = pairs.into_iter().filter(|(n, _)| n != "heads" && n != "ids").collect();
    let page_route =
        format!("{}?{}", paths::CASES, canonical_query(&page_pairs).unwrap_or_else(|_| query.to_string()));
    let page = match PullQuery::parse(&page_route) {
        Some(q) if q.limit > 0 && q.after.as_deref().is_none_or(|a| !a.contains('\0')) => Some(q),
        Some(_) | None if paged => {
            return Err(ApiError::BadRequest(
                "since must be a date (YYYY-MM-DD), limit a number from 1, after a case id".into(),
            ))
        }
        _ => None,
    };
    match (&form, &page) {
        (Form::Heads, None) => Err(ApiError::BadRequest(
            "heads=1 lists one page of a pull: send it with since, after or limit".into(),
        )),
        (Form::Ids(_), Some(_)) => Err(ApiError::BadRequest(
            "ids names the cases to send: send it without since, after or limit".into(),
        )),
        _ => Ok((format, page, form)),
    }
}

/// The ids of an `ids=` request: at most a page of them, each one that can be an id.
fn parse_ids(text: &str) -> Result<Vec<String>, ApiError> {
    let ids: Vec<String> = text.split(',').map(str::to_string).collect();
    if ids.len() > MAX_PAGE as usize || ids.iter().any(|id| RouteId::parse(id).is_none()) {
        return Err(ApiError::BadRequest(format!(
            "ids takes at most {MAX_PAGE} case ids, separated by commas: ask for the rest in another request"
        )));
    }
    Ok(ids)
}

/// The filter of one page for `base` (the key's scope).
pub fn filter(base: CaseFilter, q: &PullQuery) -> CaseFilter {
    let base = match q.since {
        Some(since) => base.changed_since(since),
        None => base,
    };
    base.page(q.after.clone(), q.limit.min(MAX_PAGE))
}

/// Fills in what a page carries beyond the cases: the next page's `after` when this one is
/// full, on the first page the number of cases of the whole pull (`filter`, the page's own,
/// counted in SQL) and, on the first page of an incremental pull, the tombstones.
/// `ids`: the page's case ids, in order (its cases', or its heads').
pub async fn finish(
    state: &AppState,
    q: &PullQuery,
    filter: &CaseFilter,
    ids: &[&str],
    list: &mut CaseList,
) -> Result<(), ApiError> {
    if ids.len() >= q.limit.min(MAX_PAGE) as usize {
        list.next = ids.last().map(|id| id.to_string());
    }
    if q.after.is_none() {
        // A page shorter than the limit is the whole pull: no count needed.
        list.total = Some(match list.next {
            Some(_) => state.store.count_cases(filter).await?,
            None => ids.len() as u64,
        });
    }
    if let (Some(since), None) = (q.since, &q.after) {
        // Every key hears of every purge: a tombstone holds a hash of a random id and a date,
        // and the agency it belonged to is not kept after the purge (SECURITY.md).
        list.purged = state
            .store
            .tombstones(since)
            .await?
            .into_iter()
            .map(|(case_sha256, purged_on)| Tombstone { case_sha256, purged_on })
            .collect();
    }
    Ok(())
}

/// The heads of the page `filter` selects, as the wire carries them.
pub async fn heads(state: &AppState, filter: &CaseFilter) -> Result<Vec<CaseHead>, ApiError> {
    let rows = state.store.heads(filter).await?;
    Ok(rows.into_iter().map(|(id, seq, hash)| CaseHead { id, seq, hash }).collect())
}
