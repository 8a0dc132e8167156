//! The whole case list — a pull without `since`, `after` or `limit`: every `amana-review`
//! before incremental pulls, and `authorize-pull --full` — streamed. Its JSON is written page
//! by page of the same SQL selection an incremental pull uses (cases in id order, `page` at a
//! time), so the server holds one page in memory however many cases it keeps. Each page is
//! read in its own snapshot: every case is consistent in itself (metadata and history agree),
//! and a case that changes while the list is written is sent again by the next pull (its
//! `changed_on` is after the list's `as_of` minus one day).

use std::sync::Arc;

use amana_core::wire::{CaseBundle, CaseList};
use axum::body::Bytes;
use futures_util::Stream;

use crate::store::{CaseFilter, CaseRecord, Store};

/// Makes a case's wire form from its record (the server's recipients for it).
pub type Bundler = Arc<dyn Fn(CaseRecord) -> CaseBundle + Send + Sync>;

/// Where the stream is.
enum Step {
    Open,
    /// The next page starts after this id (none: the first page); `first`: no case written yet.
    Page {
        after: Option<String>,
        first: bool,
    },
    Close,
    Done,
}

/// The JSON of `head` (a list whose `cases` are empty) with the cases of `filter` in place,
/// `page` cases per read. A read that fails ends the stream with an error, so the client
/// sees a cut answer, never a list that looks whole.
pub fn stream(
    store: Arc<dyn Store>,
    filter: CaseFilter,
    head: &CaseList,
    page: u32,
    bundle: Bundler,
) -> Result<impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static, serde_json::Error> {
    let (open, close) = frame(head)?;
    Ok(futures_util::stream::try_unfold(Step::Open, move |step| {
        let (store, filter, bundle, open) = (store.clone(), filter.clone(), bundle.clone(), open.clone());
        async move {
            match step {
                Step::Open => Ok(Some((Bytes::from(open), Step::Page { after: None, first: true }))),
                Step::Page { after, first } => {
                    let records =
                        store.records(&filter.page(after, page)).await.map_err(std::io::Error::other)?;
                    let full = records.len() >= page as usize;
                    let mut out = Vec::new();
                    let mut last = None;
                    for (i, r) in records.into_iter().enumerate() {
                        if !(first && i == 0) {
                            out.push(b',');
                        }
                        last = Some(r.meta.id.clone());
                        serde_json::to_writer(&mut out, &bundle(r)).map_err(std::io::Error::other)?;
                    }
                    let first = first && out.is_empty();
                    let next = match (full, last) {
                        (true, Some(after)) => Step::Page { after: Some(after), first },
                        _ => Step::Close,
                    };
                    Ok(Some((Bytes::from(out), next)))
                }
                Step::Close => Ok(Some((Bytes::from_static(close), Step::Done))),
                Step::Done => Ok(None),
            }
        }
    }))
}

/// The text before the first case (`{…every other field…,"cases":[`) and after the last.
fn frame(head: &CaseList) -> Result<(String, &'static [u8]), serde_json::Error> {
    let mut value = serde_json::to_value(head)?;
    if let Some(map) = value.as_object_mut() {
        map.remove("cases");
    }
    let mut open = serde_json::to_string(&value)?;
    // An object always ends with its closing brace; the cases go before it.
    open.pop();
    if open.len() > 1 {
        open.push(',');
    }
    open.push_str("\"cases\":[");
    Ok((open, b"]}"))
}
