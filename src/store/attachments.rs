//! Evidence-file storage (docs/FORMATS.md §8).
//!
//! A file is written while its upload arrives: one row in `attachments` under a pending
//! upload id, then one short transaction per ciphertext piece, so a slow upload over Tor
//! never holds SQLite's single write lock. The report or follow-up that carries the files
//! claims them inside its own commit ([`UploadClaim`]); until then they belong to no case,
//! and a refused or broken upload's rows are deleted at once ([`Attachments::discard_upload`])
//! or when a node starts ([`Attachments::discard_stale_uploads`]).

use amana_core::ciphertext::Ciphertext;
use time::Date;

use super::backend::{Exec, Stmt};
use super::rows::{convert, AttachmentRow, ATTACHMENT_COLUMNS};
use super::sql_store::{storable, SqlStore};
use super::StoreError;

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
    /// The files' bytes as the upload counted them against its budget (before encryption).
    pub bytes: u64,
    /// What the case and the server may hold once these files are claimed.
    pub limits: ClaimLimits,
}

/// The file limits, checked again inside the claiming commit: an upload checks them when it
/// starts, but two uploads to one case (or to the server) that run at once each saw the
/// files from before both, and together could go over (docs/FORMATS.md §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimLimits {
    pub max_files: u64,
    pub max_case_bytes: u64,
    pub quota_bytes: u64,
}

impl ClaimLimits {
    /// No limit at all.
    pub const NONE: Self = Self { max_files: u64::MAX, max_case_bytes: u64::MAX, quota_bytes: u64::MAX };
}

/// The limit a claim would have broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitBroken {
    Files { max: u64 },
    CaseBytes { max_bytes: u64 },
    Quota,
}

/// Inside the claiming transaction, after the claim: the case's files, and all committed
/// files, are within `claim.limits`. Other files count as stored (padded ciphertext); this
/// upload's as the upload counted them, the same sum the upload's own budget checked.
pub(super) async fn check_claim<B: Exec>(
    conn: &mut B::Connection,
    case_id: &str,
    envelope_id: &str,
    claim: &UploadClaim,
) -> Result<(), StoreError> {
    let l = claim.limits;
    let (files, others): (i64, i64) = B::fetch_optional(
        &mut *conn,
        Stmt::new(
            "SELECT CAST(COUNT(*) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN envelope_id = $2 THEN 0 ELSE size END), 0) AS BIGINT) \
             FROM attachments WHERE case_id = $1",
        )
        .bind(case_id)
        .bind(envelope_id),
    )
    .await?
    .unwrap_or((0, 0));
    if as_u64(files) > l.max_files {
        return Err(StoreError::FileLimit(LimitBroken::Files { max: l.max_files }));
    }
    if as_u64(others).saturating_add(claim.bytes) > l.max_case_bytes {
        return Err(StoreError::FileLimit(LimitBroken::CaseBytes { max_bytes: l.max_case_bytes }));
    }
    // Claims to other cases are not serialized by this case's lock: take the files lock.
    B::lock_files(&mut *conn).await?;
    let (others,): (i64,) = B::fetch_optional(
        &mut *conn,
        Stmt::new(
            "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM attachments \
             WHERE case_id IS NOT NULL AND envelope_id <> $1",
        )
        .bind(envelope_id),
    )
    .await?
    .unwrap_or((0,));
    if as_u64(others).saturating_add(claim.bytes) > l.quota_bytes {
        return Err(StoreError::FileLimit(LimitBroken::Quota));
    }
    Ok(())
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
    async fn put_piece(&self, attachment_id: &str, seq: i64, data: &Ciphertext) -> Result<(), StoreError>;
    /// Marks a pending file complete with its encrypted description.
    async fn complete_attachment(
        &self,
        attachment_id: &str,
        pieces: i64,
        meta: &Ciphertext,
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

#[async_trait::async_trait]
impl<B: Exec> Attachments for SqlStore<B> {
    async fn begin_attachment(&self, a: &NewAttachment) -> Result<(), StoreError> {
        let stmt =
            Stmt::new("INSERT INTO attachments (id, upload_id, seq, created_on) VALUES ($1, $2, $3, $4)")
                .bind(&a.id)
                .bind(&a.upload_id)
                .bind(a.seq)
                .bind(a.created_on);
        B::execute(&mut *self.conn().await?, stmt).await?;
        Ok(())
    }

    async fn put_piece(&self, attachment_id: &str, seq: i64, data: &Ciphertext) -> Result<(), StoreError> {
        let _turn = self.turns.take().await;
        let mut tx = B::begin_piece(&self.pieces).await?;
        let stmt = Stmt::new("UPDATE attachments SET size = size + $1 WHERE id = $2 AND case_id IS NULL")
            .bind(data.len() as i64)
            .bind(attachment_id);
        // No pending file (discarded meanwhile): refused, not orphaned. On SQLite no foreign
        // key reaches the pieces file to refuse it (`pieces_file`).
        if B::execute(&mut *tx, stmt).await? != 1 {
            return Err(StoreError::Conflict);
        }
        let stmt = Stmt::new("INSERT INTO attachment_pieces (attachment_id, seq, data) VALUES ($1, $2, $3)")
            .bind(attachment_id)
            .bind(seq)
            .bind(data);
        B::execute(&mut *tx, stmt).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn complete_attachment(
        &self,
        attachment_id: &str,
        pieces: i64,
        meta: &Ciphertext,
    ) -> Result<(), StoreError> {
        let stmt =
            Stmt::new("UPDATE attachments SET pieces = $1, meta = $2 WHERE id = $3 AND case_id IS NULL")
                .bind(pieces)
                .bind(meta)
                .bind(attachment_id);
        B::execute(&mut *self.conn().await?, stmt).await?;
        Ok(())
    }

    async fn discard_upload(&self, upload_id: &str) -> Result<u64, StoreError> {
        let pending = "SELECT id FROM attachments WHERE upload_id = $1 AND case_id IS NULL";
        self.discard(Stmt::new(format!("{PIECES_OF} ({pending})")).bind(upload_id), {
            Stmt::new("DELETE FROM attachments WHERE upload_id = $1 AND case_id IS NULL").bind(upload_id)
        })
        .await
    }

    async fn discard_stale_uploads(&self, before: Option<Date>) -> Result<u64, StoreError> {
        // Resumable uploads outlive a restart; they expire on their own dates
        // (`Resumable::discard_expired_resumable`).
        let stale = "SELECT id FROM attachments WHERE case_id IS NULL AND ($1 IS NULL OR created_on < $1) \
                     AND upload_id NOT IN (SELECT key FROM resumable_uploads)";
        let removed = self
            .discard(Stmt::new(format!("{PIECES_OF} ({stale})")).bind(before), {
                Stmt::new(format!("DELETE FROM attachments WHERE id IN ({stale})")).bind(before)
            })
            .await?;
        // Pieces a crash left without their row (see `pieces_file`); none on PostgreSQL,
        // where a foreign key holds them.
        B::drop_orphan_pieces(&mut *self.conn().await?).await?;
        Ok(removed)
    }

    async fn attachment_bytes(&self) -> Result<u64, StoreError> {
        let stmt = Stmt::new("SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM attachments");
        let total: Option<(i64,)> = B::fetch_optional(&mut *self.conn().await?, stmt).await?;
        Ok(total.map_or(0, |(t,)| u64::try_from(t).unwrap_or(0)))
    }

    async fn attachments(&self, case_id: &str) -> Result<Vec<StoredAttachment>, StoreError> {
        let stmt = Stmt::new(format!(
            "SELECT {ATTACHMENT_COLUMNS} FROM attachments a JOIN envelopes e ON e.id = a.envelope_id \
             WHERE a.case_id = $1 ORDER BY e.seq, a.seq"
        ))
        .bind(case_id);
        convert(B::fetch_all::<AttachmentRow>(&mut *self.conn().await?, stmt).await?)
    }

    async fn attachment_piece(
        &self,
        case_id: &str,
        attachment_id: &str,
        seq: i64,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        if !storable(case_id) || !storable(attachment_id) {
            return Ok(None);
        }
        let stmt = Stmt::new(
            "SELECT p.data FROM attachment_pieces p JOIN attachments a ON a.id = p.attachment_id \
             WHERE a.case_id = $1 AND a.id = $2 AND p.seq = $3",
        )
        .bind(case_id)
        .bind(attachment_id)
        .bind(seq);
        let row: Option<(Vec<u8>,)> = B::fetch_optional(&mut *self.conn().await?, stmt).await?;
        Ok(row.map(|(data,)| data))
    }
}

/// Deletes the pieces of the files a subquery names (appended in parentheses). Run before
/// the rows go, in the same transaction: on SQLite the pieces live in another file, with no
/// foreign key to cascade through (`pieces_file`).
pub(super) const PIECES_OF: &str = "DELETE FROM attachment_pieces WHERE attachment_id IN";

impl<B: Exec> SqlStore<B> {
    /// Deletes pending files' pieces, then their rows, in one transaction; returns how many
    /// files went.
    async fn discard(&self, pieces: Stmt<'_>, rows: Stmt<'_>) -> Result<u64, StoreError> {
        let mut tx = B::begin_write(&self.pool).await?;
        B::execute(&mut *tx, pieces).await?;
        let removed = B::execute(&mut *tx, rows).await?;
        tx.commit().await?;
        Ok(removed)
    }
}

/// A count or sum from SQL (never negative).
fn as_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
