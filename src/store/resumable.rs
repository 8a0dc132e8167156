//! Resumable uploads (docs/FORMATS.md §8, "Segmented content"): the pending file of an
//! upload begun through `POST /api/v1/uploads`, grown one segment per request.
//!
//! A segment's pieces are numbered after the committed ones, under the file's own id, so a
//! claimed file is stored and served exactly like any other. Only one request appends at a
//! time: each takes the upload over ([`Resumable::take_over`], which deletes whatever pieces
//! an earlier, unfinished request left past the committed ones), every piece it writes
//! checks it still holds the upload, and its segment is committed with a compare-and-set on
//! the offset ([`Resumable::commit_segments`]). A request that lost the upload to a later
//! one therefore stops at its next piece or its commit, and its pieces were deleted by the
//! one that took over.

use amana_core::attachment::SegmentDigest;
use amana_core::ciphertext::Ciphertext;
use time::Date;

use super::backend::{Exec, Stmt};
use super::sql_store::SqlStore;
use super::StoreError;

/// What a new resumable upload stores at its start.
pub struct NewResumable {
    /// Hex SHA-256 of the capability.
    pub key: String,
    pub file_id: String,
    pub begun_on: Date,
    /// The recipients, one age recipient per line.
    pub recipients: String,
    pub size: u64,
    pub meta: Ciphertext,
    pub meta_sha256: String,
}

/// A resumable upload as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResumableRow {
    pub key: String,
    pub file_id: String,
    pub begun_on: String,
    pub recipients: String,
    pub size: i64,
    pub received: i64,
    pub complete: bool,
    pub segments: String,
    pub meta_sha256: String,
}

impl ResumableRow {
    /// The committed segments, in order.
    pub fn segment_list(&self) -> Result<Vec<SegmentDigest>, StoreError> {
        serde_json::from_str(&self.segments).map_err(|_| StoreError::Corrupt("bad segment list".into()))
    }
}

/// One commit: the segments a request adds, their pieces, and the file bytes they hold.
pub struct SegmentCommit<'a> {
    pub key: &'a str,
    /// The request's token ([`Resumable::take_over`]).
    pub writer: &'a str,
    /// The offset the request started from.
    pub from: u64,
    /// File bytes added (the padding segment adds none).
    pub added: u64,
    /// The segments added, in order, and how many pieces they hold together.
    pub segments: &'a [SegmentDigest],
    pub pieces: i64,
    /// Whether the last one is the padding.
    pub complete: bool,
}

const COLUMNS: &str = "key, file_id, begun_on, recipients, size, received, complete, segments, meta_sha256";

/// Resumable-upload storage; every method is one short transaction.
#[async_trait::async_trait]
pub trait Resumable: Send + Sync {
    /// Starts an upload: its row and its pending file with the encrypted description.
    async fn begin_resumable(&self, r: &NewResumable) -> Result<(), StoreError>;
    /// The upload `key`, if it exists and was begun on or after `since`.
    async fn resumable(&self, key: &str, since: Date) -> Result<Option<ResumableRow>, StoreError>;
    /// Makes `writer` the one request that may append at offset `from`, deleting pieces an
    /// earlier request left past the committed ones; `false` if the offset moved meanwhile.
    /// Returns the number of committed pieces (where the new ones start).
    async fn take_over(&self, key: &str, from: u64, writer: &str) -> Result<Option<i64>, StoreError>;
    /// Stores one piece for `writer`; [`StoreError::Conflict`] once another request took over.
    async fn put_segment_piece(
        &self,
        key: &str,
        writer: &str,
        seq: i64,
        data: &Ciphertext,
    ) -> Result<(), StoreError>;
    /// Commits segments if `writer` still holds the upload at `from`; `false` otherwise.
    async fn commit_segments(&self, c: &SegmentCommit<'_>) -> Result<bool, StoreError>;
    /// Gives up `writer`'s hold, deleting the pieces it wrote (a refused request).
    async fn abandon_segment(&self, key: &str, writer: &str) -> Result<(), StoreError>;
    /// Moves the complete uploads `keys` (begun on or after `since`, to `recipients`) into
    /// the pending upload `upload_id`, in order, deleting their rows. Returns the rows as
    /// they were, or why not (and nothing changed): one is unknown, expired, incomplete,
    /// named twice or made for other recipients.
    async fn adopt_resumable(
        &self,
        keys: &[String],
        since: Date,
        recipients: &str,
        upload_id: &str,
    ) -> Result<Result<Vec<ResumableRow>, String>, StoreError>;
    /// Deletes uploads begun before `before`, with their files.
    async fn discard_expired_resumable(&self, before: Date) -> Result<u64, StoreError>;
}

#[async_trait::async_trait]
impl<B: Exec> Resumable for SqlStore<B> {
    async fn begin_resumable(&self, r: &NewResumable) -> Result<(), StoreError> {
        let _turn = self.turns.take().await;
        let mut tx = B::begin_write(&self.pool).await?;
        let file =
            "INSERT INTO attachments (id, upload_id, seq, created_on, meta) VALUES ($1, $2, 0, $3, $4)";
        let stmt = Stmt::new(file).bind(&r.file_id).bind(&r.key).bind(r.begun_on).bind(&r.meta);
        B::execute(&mut *tx, stmt).await?;
        let row = "INSERT INTO resumable_uploads (key, file_id, begun_on, recipients, size, meta_sha256) \
                   VALUES ($1, $2, $3, $4, $5, $6)";
        let stmt = Stmt::new(row)
            .bind(&r.key)
            .bind(&r.file_id)
            .bind(r.begun_on)
            .bind(&r.recipients)
            .bind(as_i64(r.size))
            .bind(&r.meta_sha256);
        B::execute(&mut *tx, stmt).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn resumable(&self, key: &str, since: Date) -> Result<Option<ResumableRow>, StoreError> {
        let stmt =
            Stmt::new(format!("SELECT {COLUMNS} FROM resumable_uploads WHERE key = $1 AND begun_on >= $2"))
                .bind(key)
                .bind(since);
        B::fetch_optional(&mut *self.conn().await?, stmt).await
    }

    async fn take_over(&self, key: &str, from: u64, writer: &str) -> Result<Option<i64>, StoreError> {
        let _turn = self.turns.take().await;
        let mut tx = B::begin_piece(&self.pieces).await?;
        let stmt = Stmt::new(
            "UPDATE resumable_uploads SET writer = $1 WHERE key = $2 AND received = $3 AND NOT complete \
             RETURNING file_id",
        )
        .bind(writer)
        .bind(key)
        .bind(as_i64(from));
        let Some((file_id,)) = B::fetch_optional::<(String,)>(&mut *tx, stmt).await? else {
            return Ok(None);
        };
        let stmt =
            Stmt::new("SELECT pieces FROM attachments WHERE id = $1 AND case_id IS NULL").bind(&file_id);
        let Some((pieces,)) = B::fetch_optional::<(i64,)>(&mut *tx, stmt).await? else {
            return Ok(None);
        };
        let stmt = Stmt::new("DELETE FROM attachment_pieces WHERE attachment_id = $1 AND seq >= $2")
            .bind(&file_id)
            .bind(pieces);
        B::execute(&mut *tx, stmt).await?;
        tx.commit().await?;
        Ok(Some(pieces))
    }

    async fn put_segment_piece(
        &self,
        key: &str,
        writer: &str,
        seq: i64,
        data: &Ciphertext,
    ) -> Result<(), StoreError> {
        let _turn = self.turns.take().await;
        let mut tx = B::begin_piece(&self.pieces).await?;
        // Touching the row also holds it until this commit, so a take-over waits for it
        // and then deletes this piece with the rest.
        let stmt = Stmt::new(
            "UPDATE resumable_uploads SET writer = writer WHERE key = $1 AND writer = $2 RETURNING file_id",
        )
        .bind(key)
        .bind(writer);
        let Some((file_id,)) = B::fetch_optional::<(String,)>(&mut *tx, stmt).await? else {
            return Err(StoreError::Conflict);
        };
        let stmt = Stmt::new("INSERT INTO attachment_pieces (attachment_id, seq, data) VALUES ($1, $2, $3)")
            .bind(&file_id)
            .bind(seq)
            .bind(data);
        B::execute(&mut *tx, stmt).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn commit_segments(&self, c: &SegmentCommit<'_>) -> Result<bool, StoreError> {
        let _turn = self.turns.take().await;
        let mut tx = B::begin_write(&self.pool).await?;
        let stmt = Stmt::new(format!(
            "SELECT {COLUMNS} FROM resumable_uploads WHERE key = $1 AND writer = $2 AND received = $3"
        ))
        .bind(c.key)
        .bind(c.writer)
        .bind(as_i64(c.from));
        let Some(row) = B::fetch_optional::<ResumableRow>(&mut *tx, stmt).await? else {
            return Ok(false);
        };
        let mut segments = row.segment_list()?;
        segments.extend_from_slice(c.segments);
        let json = serde_json::to_string(&segments).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let added_bytes: u64 = c.segments.iter().map(|s| s.bytes).sum();
        // The compare-and-set: only the holder, only from the offset it started at.
        let stmt = Stmt::new(
            "UPDATE resumable_uploads SET received = received + $1, segments = $2, complete = $3, writer = NULL \
             WHERE key = $4 AND writer = $5 AND received = $6",
        )
        .bind(as_i64(c.added))
        .bind(json)
        .bind(c.complete)
        .bind(c.key)
        .bind(c.writer)
        .bind(as_i64(c.from));
        if B::execute(&mut *tx, stmt).await? != 1 {
            return Ok(false);
        }
        let stmt = Stmt::new(
            "UPDATE attachments SET pieces = pieces + $1, size = size + $2 WHERE id = $3 AND case_id IS NULL",
        )
        .bind(c.pieces)
        .bind(as_i64(added_bytes))
        .bind(&row.file_id);
        B::execute(&mut *tx, stmt).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn abandon_segment(&self, key: &str, writer: &str) -> Result<(), StoreError> {
        // Taking over from oneself deletes one's own pieces past the committed ones.
        let _turn = self.turns.take().await;
        let mut tx = B::begin_piece(&self.pieces).await?;
        let stmt = Stmt::new(
            "UPDATE resumable_uploads SET writer = NULL WHERE key = $1 AND writer = $2 RETURNING file_id",
        )
        .bind(key)
        .bind(writer);
        if let Some((file_id,)) = B::fetch_optional::<(String,)>(&mut *tx, stmt).await? {
            let stmt = Stmt::new(
                "DELETE FROM attachment_pieces WHERE attachment_id = $1 \
                 AND seq >= (SELECT pieces FROM attachments WHERE id = $1)",
            )
            .bind(&file_id);
            B::execute(&mut *tx, stmt).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn adopt_resumable(
        &self,
        keys: &[String],
        since: Date,
        recipients: &str,
        upload_id: &str,
    ) -> Result<Result<Vec<ResumableRow>, String>, StoreError> {
        let _turn = self.turns.take().await;
        let mut tx = B::begin_write(&self.pool).await?;
        let mut rows = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            let stmt = Stmt::new(format!(
                "SELECT {COLUMNS} FROM resumable_uploads WHERE key = $1 AND begun_on >= $2"
            ))
            .bind(key)
            .bind(since);
            let Some(row) = B::fetch_optional::<ResumableRow>(&mut *tx, stmt).await? else {
                return Ok(Err(format!("upload {} is unknown or expired", i + 1)));
            };
            if !row.complete {
                return Ok(Err(format!(
                    "upload {} is incomplete ({} of {} bytes)",
                    i + 1,
                    row.received,
                    row.size
                )));
            }
            if row.recipients != recipients {
                return Ok(Err(format!(
                    "upload {} was begun for other readers than these (for a report: another \
                     agency or oversight-only choice; for a follow-up: another case's code; or the \
                     reviewers changed since): start it again with the same fields or code",
                    i + 1
                )));
            }
            let stmt = Stmt::new("DELETE FROM resumable_uploads WHERE key = $1 AND complete").bind(key);
            if B::execute(&mut *tx, stmt).await? != 1 {
                return Ok(Err(format!("upload {} was named twice or claimed meanwhile", i + 1)));
            }
            let stmt = Stmt::new(
                "UPDATE attachments SET upload_id = $1, seq = $2 WHERE id = $3 AND upload_id = $4 AND case_id IS NULL",
            )
            .bind(upload_id)
            .bind(i as i64)
            .bind(&row.file_id)
            .bind(key);
            if B::execute(&mut *tx, stmt).await? != 1 {
                return Ok(Err(format!("upload {} has no file any more", i + 1)));
            }
            rows.push(row);
        }
        tx.commit().await?;
        Ok(Ok(rows))
    }

    async fn discard_expired_resumable(&self, before: Date) -> Result<u64, StoreError> {
        let _turn = self.turns.take().await;
        let mut tx = B::begin_write(&self.pool).await?;
        let files = "SELECT file_id FROM resumable_uploads WHERE begun_on < $1";
        let stmt = Stmt::new(format!("{} ({files})", super::attachments::PIECES_OF)).bind(before);
        B::execute(&mut *tx, stmt).await?;
        let stmt = Stmt::new(format!("DELETE FROM attachments WHERE case_id IS NULL AND id IN ({files})"))
            .bind(before);
        B::execute(&mut *tx, stmt).await?;
        let stmt = Stmt::new("DELETE FROM resumable_uploads WHERE begun_on < $1").bind(before);
        let removed = B::execute(&mut *tx, stmt).await?;
        tx.commit().await?;
        Ok(removed)
    }
}

fn as_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
