//! Listings: the metadata of the cases a filter admits, and a reviewer's pull of those
//! cases with their envelopes, files and history.

use std::collections::HashMap;

use super::backend::{Exec, Stmt};
use super::rows::{
    convert, AttachmentRow, EnvelopeRow, EventRow, MetaRow, ATTACHMENT_COLUMNS, ENVELOPE_COLUMNS,
    EVENT_COLUMNS, META_COLUMNS,
};
use super::{CaseFilter, CaseMeta, CaseRecord, StoreError};

/// The metadata of every case `filter` admits, oldest first (ties by id, in byte order on
/// both databases); a page in id order.
pub async fn case_metas<B: Exec>(
    conn: &mut B::Connection,
    filter: &CaseFilter,
) -> Result<Vec<CaseMeta>, StoreError> {
    let mut stmt = Stmt::new(format!("SELECT {META_COLUMNS} FROM cases WHERE "));
    filter.push_condition(&mut stmt);
    filter.push_order(&mut stmt, "received_on, id");
    convert(B::fetch_all::<MetaRow>(conn, stmt).await?)
}

/// How many cases `filter` admits, whatever its page: one `COUNT(*)` on the same condition.
pub async fn count_cases<B: Exec>(conn: &mut B::Connection, filter: &CaseFilter) -> Result<u64, StoreError> {
    let whole = CaseFilter { page: None, ..filter.clone() };
    let mut stmt = Stmt::new("SELECT CAST(COUNT(*) AS BIGINT) FROM cases WHERE ");
    whole.push_condition(&mut stmt);
    let (n,): (i64,) = B::fetch_optional(conn, stmt).await?.unwrap_or((0,));
    Ok(u64::try_from(n).unwrap_or(0))
}

/// A case's id and its history head (sequence number and hash of its last event; `None`
/// for a case without events).
pub type CaseHeadRow = (String, Option<i64>, Option<String>);

/// The heads of the cases `filter` admits, in id order: one statement that reads the
/// `cases` ids and one `events` row per case, never an envelope or a file.
pub async fn heads<B: Exec>(
    conn: &mut B::Connection,
    filter: &CaseFilter,
) -> Result<Vec<CaseHeadRow>, StoreError> {
    let mut stmt = Stmt::new(
        "SELECT c.id, e.seq, e.hash FROM cases c LEFT JOIN events e ON e.case_id = c.id \
         AND e.seq = (SELECT MAX(m.seq) FROM events m WHERE m.case_id = c.id) \
         WHERE c.id IN (SELECT id FROM cases WHERE ",
    );
    filter.push_condition(&mut stmt);
    if filter.page.is_some() {
        filter.push_order(&mut stmt, "");
    }
    stmt.push(") ORDER BY c.id");
    B::fetch_all(conn, stmt).await
}

/// A statement over the rows of the cases `filter` admits: `head` then
/// `<case_column> IN (<those cases' ids>)`, then `tail`.
fn of_cases<'a>(head: &str, case_column: &str, filter: &'a CaseFilter, tail: &str) -> Stmt<'a> {
    let mut stmt = Stmt::new(format!("{head} WHERE {case_column} IN (SELECT id FROM cases WHERE "));
    filter.push_condition(&mut stmt);
    if filter.page.is_some() {
        filter.push_order(&mut stmt, "");
    }
    stmt.push(") ").push(tail);
    stmt
}

/// Every case `filter` admits, with envelopes, files and history. The caller runs it in one
/// snapshot ([`Backend::begin_snapshot`](super::backend::Backend::begin_snapshot)), so a
/// pull never shows metadata that its own history does not reach yet, or the reverse: four
/// statements, not four per case.
pub async fn records<B: Exec>(
    conn: &mut B::Connection,
    filter: &CaseFilter,
) -> Result<Vec<CaseRecord>, StoreError> {
    let metas = case_metas::<B>(&mut *conn, filter).await?;
    let head = format!("SELECT {ENVELOPE_COLUMNS} FROM envelopes");
    let rows: Vec<EnvelopeRow> =
        B::fetch_all(&mut *conn, of_cases(&head, "case_id", filter, "ORDER BY case_id, seq")).await?;
    let mut envelopes = by_case(rows, |r| r.case_id.clone())?;
    let head = format!("SELECT {EVENT_COLUMNS} FROM events");
    let rows: Vec<EventRow> =
        B::fetch_all(&mut *conn, of_cases(&head, "case_id", filter, "ORDER BY case_id, seq")).await?;
    let mut events = by_case(rows, |r| r.case_id.clone())?;
    let head =
        format!("SELECT {ATTACHMENT_COLUMNS} FROM attachments a JOIN envelopes e ON e.id = a.envelope_id");
    let tail = "ORDER BY a.case_id, e.seq, a.seq";
    let rows: Vec<AttachmentRow> =
        B::fetch_all(&mut *conn, of_cases(&head, "a.case_id", filter, tail)).await?;
    let mut files = by_case(rows, |r| r.case_id.clone())?;
    Ok(metas
        .into_iter()
        .map(|meta| CaseRecord {
            envelopes: envelopes.remove(&meta.id).unwrap_or_default(),
            attachments: files.remove(&meta.id).unwrap_or_default(),
            events: events.remove(&meta.id).unwrap_or_default(),
            meta,
        })
        .collect())
}

/// Groups converted rows by their case id, keeping their order.
fn by_case<R, T: TryFrom<R, Error = StoreError>>(
    rows: Vec<R>,
    case_id: impl Fn(&R) -> String,
) -> Result<HashMap<String, Vec<T>>, StoreError> {
    let mut out: HashMap<String, Vec<T>> = HashMap::new();
    for row in rows {
        out.entry(case_id(&row)).or_default().push(T::try_from(row)?);
    }
    Ok(out)
}
