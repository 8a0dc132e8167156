//! Evidence-file storage (docs/FORMATS.md §8), the same SQL on both backends.
//!
//! A file is written while its upload arrives: one row in `attachments` under a pending
//! upload id, then one short transaction per ciphertext piece, so a slow upload over Tor
//! never holds SQLite's single write lock. The report or follow-up that carries the files
//! claims them inside its own commit ([`UploadClaim`]); until then they belong to no case,
//! and a refused or broken upload's rows are deleted at once ([`Attachments::discard_upload`])
//! or when a node starts ([`Attachments::discard_stale_uploads`]).

use std::borrow::Cow;

use super::{parse_date, StoreError};
use time::Date;

/// A pending file's first row.
pub struct NewAttachment {
    pub id: String,
    pub upload_id: String,
    /// Order within the upload.
    pub seq: i64,
    pub created_on: Date,
}

/// The files a commit takes over: every complete file of `upload_id`, exactly `count`.
#[derive(Debug, Clone)]
pub struct UploadClaim {
    pub upload_id: String,
    pub count: u64,
    /// Each file's digests, for the attested event that records the commit.
    pub files: Vec<amana_core::attachment::FileDigest>,
}

impl UploadClaim {
    /// Adds what an event's detail records of these files: how many, and their digests.
    pub fn record_in(claim: Option<&Self>, detail: &mut serde_json::Value) {
        let Some(c) = claim.filter(|c| c.count > 0) else { return };
        detail["attachments"] = c.count.into();
        detail["files"] = serde_json::json!(c.files);
    }
}

/// A committed file's clear facts and encrypted description.
#[derive(Debug, Clone)]
pub struct StoredAttachment {
    pub id: String,
    pub envelope_id: String,
    pub created_on: Date,
    /// Padded ciphertext bytes.
    pub size: u64,
    pub pieces: i64,
    pub meta: Vec<u8>,
}

/// File storage; every method is one short statement or transaction.
#[async_trait::async_trait]
pub trait Attachments: Send + Sync {
    /// Starts a pending file.
    async fn begin_attachment(&self, a: &NewAttachment) -> Result<(), StoreError>;
    /// Stores piece `seq` of a pending file and counts its bytes.
    async fn put_piece(&self, attachment_id: &str, seq: i64, data: &[u8]) -> Result<(), StoreError>;
    /// Marks a pending file complete with its encrypted description.
    async fn complete_attachment(
        &self,
        attachment_id: &str,
        pieces: i64,
        meta: &[u8],
    ) -> Result<(), StoreError>;
    /// Deletes every still-pending file of an upload.
    async fn discard_upload(&self, upload_id: &str) -> Result<u64, StoreError>;
    /// Deletes pending files begun before `before`, or all pending files when `None`.
    async fn discard_stale_uploads(&self, before: Option<Date>) -> Result<u64, StoreError>;
    /// Ciphertext bytes held, pending files included (for the disk quota).
    async fn attachment_bytes(&self) -> Result<u64, StoreError>;
    /// A case's committed files, in upload order.
    async fn attachments(&self, case_id: &str) -> Result<Vec<StoredAttachment>, StoreError>;
    /// One piece of a committed file of `case_id`.
    async fn attachment_piece(
        &self,
        case_id: &str,
        attachment_id: &str,
        seq: i64,
    ) -> Result<Option<Vec<u8>>, StoreError>;
}

/// SQL with `?` placeholders, as SQLite takes it.
pub(super) fn question_marks(sql: &str) -> Cow<'_, str> {
    Cow::Borrowed(sql)
}

/// SQL with `?` placeholders rewritten to PostgreSQL's `$1, $2, …` (no `?` appears in
/// these statements other than as a placeholder).
pub(super) fn numbered(sql: &str) -> Cow<'_, str> {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for ch in sql.chars() {
        if ch == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(ch);
        }
    }
    Cow::Owned(out)
}

pub(super) const CLAIM_SQL: &str = "UPDATE attachments SET case_id = ?, envelope_id = ?, upload_id = NULL \
     WHERE upload_id = ? AND case_id IS NULL AND meta IS NOT NULL";

pub(super) fn attachment_from_row<R: sqlx::Row>(row: &R) -> Result<StoredAttachment, StoreError>
where
    for<'r> &'r str: sqlx::ColumnIndex<R> + sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(StoredAttachment {
        id: row.try_get("id")?,
        envelope_id: row.try_get("envelope_id")?,
        created_on: parse_date(row.try_get::<&str, _>("created_on")?)?,
        size: u64::try_from(row.try_get::<i64, _>("size")?)
            .map_err(|_| StoreError::Corrupt("size".into()))?,
        pieces: row.try_get("pieces")?,
        meta: row.try_get("meta")?,
    })
}

/// Implements [`Attachments`] for a store with a `pool` field, and `claim_upload` for its
/// transactions; `$sql` adapts placeholders.
macro_rules! impl_attachments {
    ($store:ty, $db:ty, $sql:path) => {
        /// Takes over an upload's complete files for `case_id` inside `tx`; all or nothing.
        async fn claim_upload(
            tx: &mut sqlx::Transaction<'static, $db>,
            case_id: &str,
            envelope_id: &str,
            claim: Option<&$crate::store::attachments::UploadClaim>,
        ) -> Result<(), StoreError> {
            let Some(claim) = claim else { return Ok(()) };
            let done = sqlx::query(&$sql($crate::store::attachments::CLAIM_SQL))
                .bind(case_id)
                .bind(envelope_id)
                .bind(&claim.upload_id)
                .execute(&mut **tx)
                .await?;
            if done.rows_affected() == claim.count {
                Ok(())
            } else {
                Err(StoreError::Conflict)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::attachments::Attachments for $store {
            async fn begin_attachment(
                &self,
                a: &$crate::store::attachments::NewAttachment,
            ) -> Result<(), StoreError> {
                sqlx::query(&$sql(
                    "INSERT INTO attachments (id, upload_id, seq, created_on) VALUES (?, ?, ?, ?)",
                ))
                .bind(&a.id)
                .bind(&a.upload_id)
                .bind(a.seq)
                .bind(format_date(a.created_on))
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn put_piece(&self, attachment_id: &str, seq: i64, data: &[u8]) -> Result<(), StoreError> {
                let mut tx = self.piece_tx().await?;
                sqlx::query(&$sql(
                    "INSERT INTO attachment_pieces (attachment_id, seq, data) VALUES (?, ?, ?)",
                ))
                .bind(attachment_id)
                .bind(seq)
                .bind(data)
                .execute(&mut *tx)
                .await?;
                sqlx::query(&$sql("UPDATE attachments SET size = size + ? WHERE id = ? AND case_id IS NULL"))
                    .bind(data.len() as i64)
                    .bind(attachment_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn complete_attachment(
                &self,
                attachment_id: &str,
                pieces: i64,
                meta: &[u8],
            ) -> Result<(), StoreError> {
                sqlx::query(&$sql(
                    "UPDATE attachments SET pieces = ?, meta = ? WHERE id = ? AND case_id IS NULL",
                ))
                .bind(pieces)
                .bind(meta)
                .bind(attachment_id)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn discard_upload(&self, upload_id: &str) -> Result<u64, StoreError> {
                let done =
                    sqlx::query(&$sql("DELETE FROM attachments WHERE upload_id = ? AND case_id IS NULL"))
                        .bind(upload_id)
                        .execute(&self.pool)
                        .await?;
                Ok(done.rows_affected())
            }

            async fn discard_stale_uploads(&self, before: Option<Date>) -> Result<u64, StoreError> {
                let done = sqlx::query(&$sql(
                    "DELETE FROM attachments WHERE case_id IS NULL AND (? IS NULL OR created_on < ?)",
                ))
                .bind(before.map(format_date))
                .bind(before.map(format_date))
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected())
            }

            async fn attachment_bytes(&self) -> Result<u64, StoreError> {
                let (total,): (i64,) =
                    sqlx::query_as(&$sql("SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM attachments"))
                        .fetch_one(&self.pool)
                        .await?;
                Ok(u64::try_from(total).unwrap_or(0))
            }

            async fn attachments(
                &self,
                case_id: &str,
            ) -> Result<Vec<$crate::store::attachments::StoredAttachment>, StoreError> {
                sqlx::query(&$sql(
                    "SELECT a.id, a.envelope_id, a.created_on, a.size, a.pieces, a.meta \
                     FROM attachments a JOIN envelopes e ON e.id = a.envelope_id \
                     WHERE a.case_id = ? ORDER BY e.seq, a.seq",
                ))
                .bind(case_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map($crate::store::attachments::attachment_from_row)
                .collect()
            }

            async fn attachment_piece(
                &self,
                case_id: &str,
                attachment_id: &str,
                seq: i64,
            ) -> Result<Option<Vec<u8>>, StoreError> {
                if case_id.contains('\0') || attachment_id.contains('\0') {
                    return Ok(None); // PostgreSQL TEXT cannot hold NUL: such an id names nothing.
                }
                let row: Option<(Vec<u8>,)> = sqlx::query_as(&$sql(
                    "SELECT p.data FROM attachment_pieces p JOIN attachments a ON a.id = p.attachment_id \
                     WHERE a.case_id = ? AND a.id = ? AND p.seq = ?",
                ))
                .bind(case_id)
                .bind(attachment_id)
                .bind(seq)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|(data,)| data))
            }
        }
    };
}
pub(super) use impl_attachments;

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_numbered_for_postgres() {
        assert_eq!(super::numbered("a = ? AND b = ?"), "a = $1 AND b = $2");
        assert_eq!(super::question_marks("a = ?"), "a = ?");
    }
}
