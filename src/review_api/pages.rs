//! Incremental, paged pulls (docs/FORMATS.md §3, "Incremental pulls"): the cases in the
//! key's scope changed on or after `since`, at most `limit` of them after the id `after`,
//! selected in SQL, so the server holds one page at a time however many cases it keeps.
//! The cursor is a date and a random id: neither orders cases by arrival.

use amana_core::route::query_pairs;
use amana_core::wire::{CaseList, PullQuery, Tombstone, MAX_PAGE};

use crate::{error::ApiError, state::AppState, store::CaseFilter};

/// The query of a case-list request: the format asked for, and the page, if it is a paged
/// pull. A name the server does not know is refused, so no request means two things.
pub fn parse(route: &str) -> Result<(u32, Option<PullQuery>), ApiError> {
    let query = route.split_once('?').map_or("", |(_, q)| q);
    let pairs = query_pairs(query).map_err(|e| ApiError::BadRequest(format!("invalid query: {e}")))?;
    let mut format = 0;
    for (name, value) in &pairs {
        match (name.as_str(), value.as_str()) {
            ("format", "4") => format = 4,
            ("format", "3") => format = 3,
            ("format", "2") => format = 2,
            ("format" | "since" | "after" | "limit", _) => {}
            (other, _) => {
                return Err(ApiError::BadRequest(format!(
                    "unknown query parameter `{}`: a pull takes format, since, after and limit",
                    other.escape_debug()
                )))
            }
        }
    }
    let paged = pairs.iter().any(|(n, _)| n != "format");
    let page = match PullQuery::parse(route) {
        Some(q) if q.limit > 0 && q.after.as_deref().is_none_or(|a| !a.contains('\0')) => Some(q),
        Some(_) | None if paged => {
            return Err(ApiError::BadRequest(
                "since must be a date (YYYY-MM-DD), limit a number from 1, after a case id".into(),
            ))
        }
        _ => None,
    };
    Ok((format, page))
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
pub async fn finish(
    state: &AppState,
    q: &PullQuery,
    filter: &CaseFilter,
    list: &mut CaseList,
) -> Result<(), ApiError> {
    if list.cases.len() >= q.limit.min(MAX_PAGE) as usize {
        list.next = list.cases.last().map(|c| c.id.clone());
    }
    if q.after.is_none() {
        // A page shorter than the limit is the whole pull: no count needed.
        list.total = Some(match list.next {
            Some(_) => state.store.count_cases(filter).await?,
            None => list.cases.len() as u64,
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
