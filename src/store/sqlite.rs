//! SQLite backend: WAL, `synchronous=FULL` (a code is shown only after a durable commit),
//! `secure_delete` (purged ciphertext is overwritten), temp data in memory.

use amana_core::payload::Part;
use amana_core::wire::{CaseBundle, EnvelopeWire, EventWire};
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::{path::Path, str::FromStr, time::Duration};
use time::Date;

use super::*;

/// The embedded SQLite store.
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("secure_delete", "ON")
            .pragma("temp_store", "MEMORY");
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts)
            .await?;
        Ok(Self { pool })
    }

    /// Opens a database from a `sqlite://` URL.
    pub async fn open_url(url: &str) -> Result<Self, StoreError> {
        let opts = SqliteConnectOptions::from_str(url)?;
        Self::open(opts.get_filename()).await
    }
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

fn meta_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<CaseMeta, StoreError> {
    Ok(CaseMeta {
        id: row.try_get("id")?,
        kind: parse_name(row.try_get::<&str, _>("kind")?)?,
        agency: row.try_get("agency")?,
        oversight_only: row.try_get::<i64, _>("oversight_only")? != 0,
        status: parse_name(row.try_get::<&str, _>("status")?)?,
        received_on: parse_date(row.try_get::<&str, _>("received_on")?)?,
    })
}

const META_COLUMNS: &str = "id, kind, agency, oversight_only, status, received_on";

impl SqliteStore {
    async fn envelopes_of(&self, case_id: &str) -> Result<Vec<EnvelopeWire>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, part, created_on, ciphertext FROM envelopes WHERE case_id = ? ORDER BY seq",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let part: Part =
                    serde_json::from_value(serde_json::Value::String(r.try_get("part")?))
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                Ok(EnvelopeWire {
                    id: r.try_get("id")?,
                    part,
                    created_on: parse_date(r.try_get::<&str, _>("created_on")?)?,
                    age_b64: B64.encode(r.try_get::<&[u8], _>("ciphertext")?),
                })
            })
            .collect()
    }

    async fn events_of(&self, case_id: &str) -> Result<Vec<EventWire>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, on_date, status, actor FROM events WHERE case_id = ? ORDER BY seq",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(EventWire {
                    seq: r.try_get("seq")?,
                    on: parse_date(r.try_get::<&str, _>("on_date")?)?,
                    status: parse_name(r.try_get::<&str, _>("status")?)?,
                    actor: r.try_get("actor")?,
                })
            })
            .collect()
    }
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn migrate(&self) -> Result<(), StoreError> {
        sqlx::migrate!("./migrations/sqlite")
            .run(&self.pool)
            .await?;
        Ok(())
    }

    async fn insert_case(&self, c: &NewCase) -> Result<(), StoreError> {
        let on = format_date(c.received_on);
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO cases (id, kind, agency, oversight_only, status, received_on, lookup_index, \
             kdf_salt, kdf_params, verifier, reporter_recipient) VALUES (?, ?, ?, ?, 'received', ?, ?, ?, ?, ?, ?)",
        )
        .bind(&c.id)
        .bind(c.kind.as_str())
        .bind(&c.agency)
        .bind(c.oversight_only as i64)
        .bind(&on)
        .bind(&c.lookup_index[..])
        .bind(&c.kdf_salt)
        .bind(&c.kdf_params)
        .bind(&c.verifier)
        .bind(&c.reporter_recipient)
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => return Err(StoreError::LookupCollision),
            other => other?,
        };
        sqlx::query("INSERT INTO envelopes (id, case_id, seq, part, created_on, ciphertext) VALUES (?, ?, 0, ?, ?, ?)")
            .bind(&c.envelope_id)
            .bind(&c.id)
            .bind(Part::Report.as_str())
            .bind(&on)
            .bind(&c.ciphertext)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO events (case_id, seq, on_date, status, actor) VALUES (?, 0, ?, 'received', NULL)")
            .bind(&c.id)
            .bind(&on)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn credentials(
        &self,
        lookup_index: &[u8; 32],
    ) -> Result<Option<CaseCredentials>, StoreError> {
        let row = sqlx::query(
            "SELECT id, kdf_salt, kdf_params, verifier FROM cases WHERE lookup_index = ?",
        )
        .bind(&lookup_index[..])
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(CaseCredentials {
                id: r.try_get("id")?,
                kdf_salt: r.try_get("kdf_salt")?,
                kdf_params: r.try_get("kdf_params")?,
                verifier: r.try_get("verifier")?,
            })
        })
        .transpose()
    }

    async fn case_meta(&self, id: &str) -> Result<Option<CaseMeta>, StoreError> {
        let sql = format!("SELECT {META_COLUMNS} FROM cases WHERE id = ?");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(meta_from_row).transpose()
    }

    async fn bundles(
        &self,
        filter: &(dyn for<'a> Fn(&'a CaseMeta) -> bool + Sync),
    ) -> Result<Vec<CaseBundle>, StoreError> {
        let sql = format!("SELECT {META_COLUMNS} FROM cases ORDER BY received_on, id");
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        let mut out = Vec::new();
        for row in &rows {
            let m = meta_from_row(row)?;
            if !filter(&m) {
                continue;
            }
            out.push(CaseBundle {
                envelopes: self.envelopes_of(&m.id).await?,
                events: self.events_of(&m.id).await?,
                id: m.id,
                kind: m.kind,
                agency: m.agency,
                oversight_only: m.oversight_only,
                status: m.status,
                received_on: m.received_on,
            });
        }
        Ok(out)
    }

    async fn set_status(&self, u: &StatusUpdate<'_>) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let changed = sqlx::query("UPDATE cases SET status = ? WHERE id = ? AND status = ?")
            .bind(u.to.as_str())
            .bind(u.case_id)
            .bind(u.from.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed != 1 {
            return Err(StoreError::Conflict);
        }
        sqlx::query(
            "INSERT INTO events (case_id, seq, on_date, status, actor) \
             SELECT ?, COALESCE(MAX(seq), -1) + 1, ?, ?, ? FROM events WHERE case_id = ?",
        )
        .bind(u.case_id)
        .bind(format_date(u.on))
        .bind(u.to.as_str())
        .bind(u.actor)
        .bind(u.case_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn add_envelope(&self, e: &NewEnvelope<'_>) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO envelopes (id, case_id, seq, part, created_on, ciphertext) \
             SELECT ?, ?, COALESCE(MAX(seq), -1) + 1, ?, ?, ? FROM envelopes WHERE case_id = ?",
        )
        .bind(e.id)
        .bind(e.case_id)
        .bind(e.part.as_str())
        .bind(format_date(e.created_on))
        .bind(e.ciphertext)
        .bind(e.case_id)
        .execute(&self.pool)
        .await?;
        Ok(())
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
}
