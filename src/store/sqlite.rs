//! SQLite backend: WAL, `synchronous=FULL` (a code is shown only after a durable commit),
//! `secure_delete` (purged ciphertext is overwritten), temp data in memory. Write
//! transactions start with `BEGIN IMMEDIATE` so concurrent writers queue on the busy
//! timeout instead of failing on a lock upgrade.

use amana_core::deadlines::Deadlines;
use amana_core::events::EventKind;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, Sqlite, SqlitePool, Transaction};
use std::{path::Path, str::FromStr, time::Duration};

use super::*;

super::attachments::impl_attachments!(SqliteStore, sqlx::Sqlite, super::attachments::question_marks);

/// Pool size unless `--database-max-connections` says otherwise (SQLite has one writer).
pub const DEFAULT_MAX_CONNECTIONS: u32 = 8;

/// The embedded SQLite store.
pub struct SqliteStore {
    pool: SqlitePool,
    /// Connections for attachment pieces: `synchronous=NORMAL`, so a piece's commit does
    /// not wait for an fsync. Safe because no piece matters until the report's (or
    /// follow-up's) own commit claims it, and that commit, on `pool` with
    /// `synchronous=FULL`, syncs the WAL and with it every piece written before.
    pieces: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file with the default pool size.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_with(path, DEFAULT_MAX_CONNECTIONS).await
    }

    /// Opens (creating if needed) the database file with at most `max_connections`.
    pub async fn open_with(path: &Path, max_connections: u32) -> Result<Self, StoreError> {
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // Large pages: evidence files are stored as 1 MiB pieces, and 64 KiB pages cut the
            // per-page work of writing them (measured in benches/upload.rs). Takes effect
            // when the file is created.
            .page_size(65536)
            .pragma("secure_delete", "ON")
            .pragma("temp_store", "MEMORY");
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections.max(1))
            .connect_with(opts.clone())
            .await?;
        let pieces = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(opts.create_if_missing(false).synchronous(SqliteSynchronous::Normal))
            .await?;
        Ok(Self { pool, pieces })
    }

    /// Opens a database from a `sqlite://` URL.
    pub async fn open_url(url: &str) -> Result<Self, StoreError> {
        Self::open_url_with(url, DEFAULT_MAX_CONNECTIONS).await
    }

    /// Opens a database from a `sqlite://` URL with at most `max_connections`.
    pub async fn open_url_with(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let opts = SqliteConnectOptions::from_str(url)?;
        Self::open_with(opts.get_filename(), max_connections).await
    }

    /// A consistent online copy of the database into a new file (`VACUUM INTO`).
    pub async fn vacuum_into(&self, path: &Path) -> Result<(), StoreError> {
        let target = path.to_str().ok_or_else(|| StoreError::Corrupt("backup path is not UTF-8".into()))?;
        sqlx::query("VACUUM INTO ?").bind(target).execute(&self.pool).await?;
        Ok(())
    }

    async fn write_tx(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// A write transaction for attachment pieces (no fsync at its commit; see `pieces`).
    async fn piece_tx(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        Ok(self.pieces.begin_with("BEGIN IMMEDIATE").await?)
    }
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

const META_COLUMNS: &str = "id, kind, agency, oversight_only, status, received_on, acknowledged_on, \
     acknowledge_by, feedback_by, extension_days, escalated, rating, follow_ups, reporter_recipient";

fn opt_date(row: &SqliteRow, col: &str) -> Result<Option<Date>, StoreError> {
    row.try_get::<Option<&str>, _>(col)?.map(parse_date).transpose()
}

fn meta_from_row(row: &SqliteRow) -> Result<CaseMeta, StoreError> {
    Ok(CaseMeta {
        id: row.try_get("id")?,
        kind: parse_name(row.try_get::<&str, _>("kind")?)?,
        agency: row.try_get("agency")?,
        oversight_only: row.try_get::<i64, _>("oversight_only")? != 0,
        status: parse_name(row.try_get::<&str, _>("status")?)?,
        received_on: parse_date(row.try_get::<&str, _>("received_on")?)?,
        acknowledged_on: opt_date(row, "acknowledged_on")?,
        deadlines: Deadlines {
            acknowledge_by: parse_date(row.try_get::<&str, _>("acknowledge_by")?)?,
            feedback_by: parse_date(row.try_get::<&str, _>("feedback_by")?)?,
        },
        extension_days: row.try_get("extension_days")?,
        escalated: row.try_get::<i64, _>("escalated")? != 0,
        rating: row.try_get::<Option<i64>, _>("rating")?.map(|r| r.clamp(0, 5) as u8),
        follow_ups: row.try_get("follow_ups")?,
        reporter_recipient: row.try_get("reporter_recipient")?,
    })
}

/// Appends an event to the case's chain inside `tx`.
async fn append_event(
    tx: &mut Transaction<'static, Sqlite>,
    case_id: &str,
    on: Date,
    status: Status,
    e: &NewEvent,
) -> Result<(), StoreError> {
    let prev =
        sqlx::query("SELECT seq, hash, on_date FROM events WHERE case_id = ? ORDER BY seq DESC LIMIT 1")
            .bind(case_id)
            .fetch_optional(&mut **tx)
            .await?
            .map(|r| {
                Ok::<_, StoreError>((
                    r.try_get("seq")?,
                    r.try_get("hash")?,
                    parse_date(r.try_get("on_date")?)?,
                ))
            })
            .transpose()?;
    let ev = link_event(case_id, prev, on, status, e);
    sqlx::query(
        "INSERT INTO events (case_id, seq, on_date, kind, status, actor, detail, signed, prev_hash, hash) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(case_id)
    .bind(ev.seq)
    .bind(format_date(ev.on))
    .bind(ev.kind.as_str())
    .bind(ev.status.as_str())
    .bind(&ev.actor)
    .bind(&ev.detail)
    .bind(&ev.signed)
    .bind(&ev.prev_hash)
    .bind(&ev.hash)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Refuses the change unless `head` is the hash of an event of the case. Inside the
/// change's write transaction, so it holds at the commit (a chain only grows anyway).
async fn check_head(
    tx: &mut Transaction<'static, Sqlite>,
    case_id: &str,
    head: Option<&str>,
) -> Result<(), StoreError> {
    let Some(head) = head else { return Ok(()) };
    let found: Option<i64> = sqlx::query_scalar("SELECT seq FROM events WHERE case_id = ? AND hash = ?")
        .bind(case_id)
        .bind(head)
        .fetch_optional(&mut **tx)
        .await?;
    found.map(|_| ()).ok_or(StoreError::UnknownHead)
}

/// Replaces one envelope's ciphertext; an id of another case (or none) refuses the change,
/// so a rewrap can never touch a case its signer was not scoped to.
async fn replace_ciphertext(
    tx: &mut Transaction<'static, Sqlite>,
    case_id: &str,
    r: &EnvelopeRewrap,
) -> Result<(), StoreError> {
    let done = sqlx::query("UPDATE envelopes SET ciphertext = ? WHERE id = ? AND case_id = ?")
        .bind(&r.ciphertext)
        .bind(&r.id)
        .bind(case_id)
        .execute(&mut **tx)
        .await?;
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict)
    }
}

async fn insert_envelope(
    tx: &mut Transaction<'static, Sqlite>,
    case_id: &str,
    on: Date,
    e: &NewEnvelope,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO envelopes (id, case_id, seq, part, created_on, ciphertext) \
         SELECT ?, ?, COALESCE(MAX(seq), -1) + 1, ?, ?, ? FROM envelopes WHERE case_id = ?",
    )
    .bind(&e.id)
    .bind(case_id)
    .bind(e.part.as_str())
    .bind(format_date(on))
    .bind(&e.ciphertext)
    .bind(case_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl SqliteStore {
    async fn insert_case_row(tx: &mut Transaction<'static, Sqlite>, c: &NewCase) -> Result<(), StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO cases (id, kind, agency, oversight_only, status, received_on, acknowledge_by, \
             feedback_by, lookup_index, kdf_salt, kdf_params, verifier, reporter_recipient, pepper_id) \
             VALUES (?, ?, ?, ?, 'received', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&c.id)
        .bind(c.kind.as_str())
        .bind(&c.agency)
        .bind(c.oversight_only as i64)
        .bind(format_date(c.received_on))
        .bind(format_date(c.deadlines.acknowledge_by))
        .bind(format_date(c.deadlines.feedback_by))
        .bind(&c.lookup_index[..])
        .bind(&c.kdf_salt)
        .bind(&c.kdf_params)
        .bind(&c.verifier)
        .bind(&c.reporter_recipient)
        .bind(c.pepper_id)
        .execute(&mut **tx)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => Err(StoreError::LookupCollision),
            other => other.map(|_| ()).map_err(Into::into),
        }
    }

    async fn update_case(tx: &mut Transaction<'static, Sqlite>, c: &Change) -> Result<(), StoreError> {
        let changed = sqlx::query(
            "UPDATE cases SET status = ?, acknowledged_on = COALESCE(?, acknowledged_on), \
             acknowledge_by = COALESCE(?, acknowledge_by), feedback_by = COALESCE(?, feedback_by), \
             extension_days = COALESCE(?, extension_days), rating = COALESCE(?, rating), \
             follow_ups = follow_ups + ? \
             WHERE id = ? AND status = ? AND (? IS NULL OR rating IS NULL) AND (? IS NULL OR follow_ups < ?)",
        )
        .bind(c.new_status.as_str())
        .bind(c.acknowledged_on.map(format_date))
        .bind(c.deadlines.map(|d| format_date(d.acknowledge_by)))
        .bind(c.deadlines.map(|d| format_date(d.feedback_by)))
        .bind(c.extension_days)
        .bind(c.rating.map(i64::from))
        .bind(c.follow_up_cap.is_some() as i64)
        .bind(&c.case_id)
        .bind(c.expect_status.as_str())
        .bind(c.rating.map(i64::from))
        .bind(c.follow_up_cap)
        .bind(c.follow_up_cap)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if changed == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }

    async fn fetch_records(&self, metas: Vec<CaseMeta>) -> Result<Vec<CaseRecord>, StoreError> {
        let mut out = Vec::with_capacity(metas.len());
        for meta in metas {
            let envelopes = sqlx::query(
                "SELECT id, part, created_on, ciphertext FROM envelopes WHERE case_id = ? ORDER BY seq",
            )
            .bind(&meta.id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(envelope_from_row)
            .collect::<Result<_, _>>()?;
            let events = sqlx::query("SELECT * FROM events WHERE case_id = ? ORDER BY seq")
                .bind(&meta.id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(event_from_row)
                .collect::<Result<_, _>>()?;
            let attachments = self.attachments(&meta.id).await?;
            out.push(CaseRecord { meta, envelopes, attachments, events });
        }
        Ok(out)
    }
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn migrate(&self) -> Result<(), StoreError> {
        // sqlx's own bookkeeping table would record the exact time of each migration
        // (`DEFAULT CURRENT_TIMESTAMP`); created first, with the same columns and a
        // date-only default, it keeps the "dates, never times" rule (SECURITY.md).
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS _sqlx_migrations (version BIGINT PRIMARY KEY, \
             description TEXT NOT NULL, installed_on TEXT NOT NULL DEFAULT (date('now')), \
             success BOOLEAN NOT NULL, checksum BLOB NOT NULL, execution_time BIGINT NOT NULL)",
        )
        .execute(&self.pool)
        .await?;
        sqlx::migrate!("./migrations/sqlite").run(&self.pool).await?;
        Ok(())
    }

    async fn insert_case(&self, c: &NewCase) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        Self::insert_case_row(&mut tx, c).await?;
        let envelope =
            NewEnvelope { id: c.envelope_id.clone(), part: Part::Report, ciphertext: c.ciphertext.clone() };
        insert_envelope(&mut tx, &c.id, c.received_on, &envelope).await?;
        claim_upload(&mut tx, &c.id, &c.envelope_id, c.attachments.as_ref()).await?;
        let detail = submitted_detail(c);
        let event = NewEvent {
            kind: EventKind::Submitted,
            actor: None,
            detail,
            signed: None,
            attest: c.attest.clone(),
        };
        append_event(&mut tx, &c.id, c.received_on, Status::Received, &event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn credentials(&self, lookup_index: &[u8; 32]) -> Result<Option<CaseCredentials>, StoreError> {
        let row = sqlx::query(
            "SELECT id, pepper_id, kdf_salt, kdf_params, verifier FROM cases WHERE lookup_index = ?",
        )
        .bind(&lookup_index[..])
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(CaseCredentials {
                id: r.try_get("id")?,
                pepper_id: r.try_get("pepper_id")?,
                kdf_salt: r.try_get("kdf_salt")?,
                kdf_params: r.try_get("kdf_params")?,
                verifier: r.try_get("verifier")?,
            })
        })
        .transpose()
    }

    async fn case_meta(&self, id: &str) -> Result<Option<CaseMeta>, StoreError> {
        let sql = format!("SELECT {META_COLUMNS} FROM cases WHERE id = ?");
        let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(meta_from_row).transpose()
    }

    async fn case_metas(
        &self,
        filter: &(dyn for<'a> Fn(&'a CaseMeta) -> bool + Sync),
    ) -> Result<Vec<CaseMeta>, StoreError> {
        let sql = format!("SELECT {META_COLUMNS} FROM cases ORDER BY received_on, id");
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        let mut out = Vec::new();
        for row in &rows {
            let m = meta_from_row(row)?;
            if filter(&m) {
                out.push(m);
            }
        }
        Ok(out)
    }

    async fn records(
        &self,
        filter: &(dyn for<'a> Fn(&'a CaseMeta) -> bool + Sync),
    ) -> Result<Vec<CaseRecord>, StoreError> {
        let metas = self.case_metas(filter).await?;
        self.fetch_records(metas).await
    }

    async fn envelopes(&self, case_id: &str, parts: &[Part]) -> Result<Vec<StoredEnvelope>, StoreError> {
        if parts.is_empty() {
            return Ok(Vec::new());
        }
        // Filtered in SQL: a status check must not load the report's ciphertext just to
        // drop it (SQLite has no array binds, hence one placeholder per part).
        let placeholders = vec!["?"; parts.len()].join(", ");
        let sql = format!(
            "SELECT id, part, created_on, ciphertext FROM envelopes \
             WHERE case_id = ? AND part IN ({placeholders}) ORDER BY seq"
        );
        let mut query = sqlx::query(&sql).bind(case_id);
        for part in parts {
            query = query.bind(part.as_str());
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(envelope_from_row).collect()
    }

    async fn apply(&self, c: &Change) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        Self::update_case(&mut tx, c).await?;
        check_head(&mut tx, &c.case_id, c.head.as_deref()).await?;
        if let Some(envelope) = &c.envelope {
            insert_envelope(&mut tx, &c.case_id, c.on, envelope).await?;
            claim_upload(&mut tx, &c.case_id, &envelope.id, c.attachments.as_ref()).await?;
        }
        for rewrap in &c.rewraps {
            replace_ciphertext(&mut tx, &c.case_id, rewrap).await?;
        }
        append_event(&mut tx, &c.case_id, c.on, c.new_status, &c.event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn escalate_overdue(
        &self,
        today: Date,
        attest: Option<&EventSigner>,
    ) -> Result<Vec<String>, StoreError> {
        let today_s = format_date(today);
        const OVERDUE: &str = "escalated = 0 AND status NOT LIKE 'closed%' \
             AND ((status = 'received' AND acknowledge_by < ?) OR feedback_by < ?)";
        let candidates: Vec<(String,)> = sqlx::query_as(&format!("SELECT id FROM cases WHERE {OVERDUE}"))
            .bind(&today_s)
            .bind(&today_s)
            .fetch_all(&self.pool)
            .await?;
        let mut done = Vec::new();
        for (id,) in candidates {
            let mut tx = self.write_tx().await?;
            // Re-checked inside the write transaction: the case may have been acknowledged,
            // closed or escalated (by another node) since the scan. Escalation happens once.
            let status: Option<(String,)> = sqlx::query_as(&format!(
                "UPDATE cases SET escalated = 1 WHERE id = ? AND {OVERDUE} RETURNING status"
            ))
            .bind(&id)
            .bind(&today_s)
            .bind(&today_s)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((status,)) = status {
                let event = NewEvent {
                    kind: EventKind::Escalated,
                    actor: None,
                    detail: "{}".into(),
                    signed: None,
                    attest: attest.cloned(),
                };
                append_event(&mut tx, &id, today, parse_name(&status)?, &event).await?;
                done.push(id);
            }
            tx.commit().await?;
        }
        Ok(done)
    }

    async fn use_nonce(&self, nonce: &str, expires_on: Date) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO nonces (nonce, expires_on) VALUES (?, ?) ON CONFLICT (nonce) DO NOTHING",
        )
        .bind(nonce)
        .bind(format_date(expires_on))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn purge_nonces(&self, today: Date) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM nonces WHERE expires_on < ?")
            .bind(format_date(today))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    async fn closed_cases(&self) -> Result<Vec<ClosedCase>, StoreError> {
        let rows = sqlx::query(&closed_cases_sql()).fetch_all(&self.pool).await?;
        rows.iter().map(closed_case_from_row).collect()
    }

    async fn delete_closed_case(&self, id: &str, quiet_since: Date) -> Result<bool, StoreError> {
        // BEGIN IMMEDIATE: no other writer (a rating, a follow-up) runs between the check and
        // the delete. Foreign keys are on for every connection, so the delete cascades.
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(&format!(
            "DELETE FROM cases WHERE id = ? AND status LIKE 'closed%' AND NOT EXISTS \
             (SELECT 1 FROM events WHERE case_id = ? AND kind IN ({REPORTER_CONTENT_KINDS}) AND on_date >= ?)"
        ))
        .bind(id)
        .bind(id)
        .bind(format_date(quiet_since))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn scrub(&self) -> Result<bool, StoreError> {
        // secure_delete (set on every connection in `open`) zeroed the deleted content in
        // the pages written to the WAL; the checkpoint copies them into the main file and
        // TRUNCATE empties the WAL, which still held the pages as they were inserted.
        for _ in 0..5 {
            let (busy, _, _): (i64, i64, i64) =
                sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(&self.pool).await?;
            if busy == 0 {
                return Ok(true);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Ok(false)
    }
}
