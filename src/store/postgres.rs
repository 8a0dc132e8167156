//! PostgreSQL backend, for several stateless `amana serve` nodes on one database.
//!
//! Concurrency is the point of this backend, so each write says how it stays correct when
//! another node does the same thing at the same moment:
//! - every write transaction runs at READ COMMITTED, whatever the database default, so a
//!   statement that waited for a row lock sees the rows the other transaction committed;
//! - [`Store::apply`] starts with the guarded `UPDATE` of the case row. That takes the row
//!   lock, so changes to one case queue behind each other, and the chain head read after it
//!   is the one committed by the previous change (no duplicate `seq`, no fork);
//! - [`Store::escalate_overdue`] escalates with `UPDATE … WHERE NOT escalated AND <overdue>`:
//!   a second node's update waits on the lock, re-checks the guard, and changes nothing;
//! - [`Store::use_nonce`] is one `INSERT … ON CONFLICT DO NOTHING`;
//! - migrations hold sqlx's advisory lock, so nodes starting together migrate once.

use amana_core::deadlines::Deadlines;
use amana_core::events::{Event, EventKind};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{ConnectOptions, PgPool, Postgres, Row, Transaction};
use std::{collections::HashMap, str::FromStr, time::Duration};

use super::*;

super::attachments::impl_attachments!(PostgresStore, sqlx::Postgres, super::attachments::numbered);

/// Pool size per node unless `--database-max-connections` says otherwise.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 16;

/// The shared PostgreSQL store.
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to a `postgres://` or `postgresql://` URL (`?host=/run/postgresql` for a
    /// Unix socket). This build has no TLS: a remote server is reached over a private
    /// network or a tunnel, and `sslmode=require` is refused rather than ignored.
    pub async fn open_url(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        // No line per statement, even at debug level: a line per report, timestamped by the
        // journal, is the metadata invariant 4 forbids.
        let opts = PgConnectOptions::from_str(url)?.application_name("amana").disable_statement_logging();
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await?;
        Ok(Self { pool })
    }

    async fn write_tx(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        // Stated, not inherited: under REPEATABLE READ a change that queued behind another
        // on the case row would fail with a serialization error instead of going on.
        Ok(self.pool.begin_with("BEGIN ISOLATION LEVEL READ COMMITTED").await?)
    }
}

impl PostgresStore {
    /// A write transaction for attachment pieces that does not wait for the WAL flush at
    /// its commit: no piece matters until the report's own commit claims it, and that
    /// commit waits for the WAL, which holds every piece written before it.
    async fn piece_tx(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *tx).await?;
        Ok(tx)
    }
}

/// PostgreSQL `TEXT` cannot hold NUL, so no stored id contains one. Such an id (only a
/// hostile path segment can carry it) names nothing, as in SQLite, instead of an error.
fn storable(id: &str) -> bool {
    !id.contains('\0')
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

const META_COLUMNS: &str = "id, kind, agency, oversight_only, status, received_on, acknowledged_on, \
     acknowledge_by, feedback_by, extension_days, escalated, rating, follow_ups, reporter_recipient";

/// The open cases past a deadline on `$1` that are not escalated yet.
const OVERDUE: &str = "NOT escalated AND status NOT LIKE 'closed%' \
     AND ((status = 'received' AND acknowledge_by < $1) OR feedback_by < $1)";

fn opt_date(row: &PgRow, col: &str) -> Result<Option<Date>, StoreError> {
    row.try_get::<Option<&str>, _>(col)?.map(parse_date).transpose()
}

fn meta_from_row(row: &PgRow) -> Result<CaseMeta, StoreError> {
    Ok(CaseMeta {
        id: row.try_get("id")?,
        kind: parse_name(row.try_get::<&str, _>("kind")?)?,
        agency: row.try_get("agency")?,
        oversight_only: row.try_get("oversight_only")?,
        status: parse_name(row.try_get::<&str, _>("status")?)?,
        received_on: parse_date(row.try_get::<&str, _>("received_on")?)?,
        acknowledged_on: opt_date(row, "acknowledged_on")?,
        deadlines: Deadlines {
            acknowledge_by: parse_date(row.try_get::<&str, _>("acknowledge_by")?)?,
            feedback_by: parse_date(row.try_get::<&str, _>("feedback_by")?)?,
        },
        extension_days: row.try_get("extension_days")?,
        escalated: row.try_get("escalated")?,
        rating: row.try_get::<Option<i16>, _>("rating")?.map(|r| r.clamp(0, 5) as u8),
        follow_ups: row.try_get("follow_ups")?,
        reporter_recipient: row.try_get("reporter_recipient")?,
    })
}

/// Appends an event to the case's chain inside `tx`. The caller holds the case row lock,
/// so the head read here cannot move before the insert commits.
async fn append_event(
    tx: &mut Transaction<'static, Postgres>,
    case_id: &str,
    on: Date,
    status: Status,
    e: &NewEvent,
) -> Result<(), StoreError> {
    let prev: Option<(i64, String, String)> =
        sqlx::query_as("SELECT seq, hash, on_date FROM events WHERE case_id = $1 ORDER BY seq DESC LIMIT 1")
            .bind(case_id)
            .fetch_optional(&mut **tx)
            .await?;
    let prev = prev.map(|(seq, hash, on)| Ok::<_, StoreError>((seq, hash, parse_date(&on)?))).transpose()?;
    let ev = link_event(case_id, prev, on, status, e);
    sqlx::query(
        "INSERT INTO events (case_id, seq, on_date, kind, status, actor, detail, signed, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
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
/// change's transaction, after the case row is locked, so it holds at the commit (a chain
/// only grows anyway).
async fn check_head(
    tx: &mut Transaction<'static, Postgres>,
    case_id: &str,
    head: Option<&str>,
) -> Result<(), StoreError> {
    let Some(head) = head else { return Ok(()) };
    let found: Option<i64> = sqlx::query_scalar("SELECT seq FROM events WHERE case_id = $1 AND hash = $2")
        .bind(case_id)
        .bind(head)
        .fetch_optional(&mut **tx)
        .await?;
    found.map(|_| ()).ok_or(StoreError::UnknownHead)
}

/// Replaces one envelope's ciphertext; an id of another case (or none) refuses the change,
/// so a rewrap can never touch a case its signer was not scoped to.
async fn replace_ciphertext(
    tx: &mut Transaction<'static, Postgres>,
    case_id: &str,
    r: &EnvelopeRewrap,
) -> Result<(), StoreError> {
    let done = sqlx::query("UPDATE envelopes SET ciphertext = $1 WHERE id = $2 AND case_id = $3")
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
    tx: &mut Transaction<'static, Postgres>,
    case_id: &str,
    on: Date,
    e: &NewEnvelope,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO envelopes (id, case_id, seq, part, created_on, ciphertext) \
         SELECT $1, $2, COALESCE(MAX(seq), -1) + 1, $3, $4, $5 FROM envelopes WHERE case_id = $2",
    )
    .bind(&e.id)
    .bind(case_id)
    .bind(e.part.as_str())
    .bind(format_date(on))
    .bind(&e.ciphertext)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Every case `filter` admits, oldest first (ties by id, in byte order as in SQLite).
async fn filtered_metas<'e, E: sqlx::PgExecutor<'e>>(
    ex: E,
    filter: &(dyn for<'a> Fn(&'a CaseMeta) -> bool + Sync),
) -> Result<Vec<CaseMeta>, StoreError> {
    let sql = format!("SELECT {META_COLUMNS} FROM cases ORDER BY received_on, id");
    let rows = sqlx::query(&sql).fetch_all(ex).await?;
    let mut out = Vec::new();
    for row in &rows {
        let m = meta_from_row(row)?;
        if filter(&m) {
            out.push(m);
        }
    }
    Ok(out)
}

impl PostgresStore {
    async fn insert_case_row(tx: &mut Transaction<'static, Postgres>, c: &NewCase) -> Result<(), StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO cases (id, kind, agency, oversight_only, status, received_on, acknowledge_by, \
             feedback_by, lookup_index, kdf_salt, kdf_params, verifier, reporter_recipient, pepper_id) \
             VALUES ($1, $2, $3, $4, 'received', $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(&c.id)
        .bind(c.kind.as_str())
        .bind(&c.agency)
        .bind(c.oversight_only)
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

    /// The compare-and-set on the case row. It must stay the first statement of a change:
    /// it takes the row lock that orders concurrent changes to the same case.
    async fn update_case(tx: &mut Transaction<'static, Postgres>, c: &Change) -> Result<(), StoreError> {
        let changed = sqlx::query(
            "UPDATE cases SET status = $1, acknowledged_on = COALESCE($2, acknowledged_on), \
             acknowledge_by = COALESCE($3, acknowledge_by), feedback_by = COALESCE($4, feedback_by), \
             extension_days = COALESCE($5, extension_days), rating = COALESCE($6, rating), \
             follow_ups = follow_ups + $7 \
             WHERE id = $8 AND status = $9 AND ($6::SMALLINT IS NULL OR rating IS NULL) \
             AND ($10::BIGINT IS NULL OR follow_ups < $10)",
        )
        .bind(c.new_status.as_str())
        .bind(c.acknowledged_on.map(format_date))
        .bind(c.deadlines.map(|d| format_date(d.acknowledge_by)))
        .bind(c.deadlines.map(|d| format_date(d.feedback_by)))
        .bind(c.extension_days)
        .bind(c.rating.map(i16::from))
        .bind(i64::from(c.follow_up_cap.is_some()))
        .bind(&c.case_id)
        .bind(c.expect_status.as_str())
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

    /// Escalates one case if it is still overdue and not escalated, in its own transaction.
    async fn escalate_one(
        &self,
        id: &str,
        today: Date,
        attest: Option<&EventSigner>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let sql = format!("UPDATE cases SET escalated = TRUE WHERE id = $2 AND {OVERDUE} RETURNING status");
        let status: Option<String> =
            sqlx::query_scalar(&sql).bind(format_date(today)).bind(id).fetch_optional(&mut *tx).await?;
        let Some(status) = status else { return Ok(false) };
        let event = NewEvent {
            kind: EventKind::Escalated,
            actor: None,
            detail: "{}".into(),
            signed: None,
            attest: attest.cloned(),
        };
        append_event(&mut tx, id, today, parse_name(&status)?, &event).await?;
        tx.commit().await?;
        Ok(true)
    }
}

#[async_trait::async_trait]
impl Store for PostgresStore {
    async fn migrate(&self) -> Result<(), StoreError> {
        // sqlx's own bookkeeping table would record the exact time of each migration
        // (`TIMESTAMPTZ DEFAULT now()`); created first, with the same columns and a date
        // (sqlx sessions run in UTC), it keeps the "dates, never times" rule. The lock makes
        // nodes that start together create it once.
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(7416323465001)").execute(&mut *tx).await?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS _sqlx_migrations (version BIGINT PRIMARY KEY, \
             description TEXT NOT NULL, installed_on DATE NOT NULL DEFAULT CURRENT_DATE, \
             success BOOLEAN NOT NULL, checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL)",
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        sqlx::migrate!("./migrations/postgres").run(&self.pool).await?;
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
            "SELECT id, pepper_id, kdf_salt, kdf_params, verifier FROM cases WHERE lookup_index = $1",
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
        if !storable(id) {
            return Ok(None);
        }
        let sql = format!("SELECT {META_COLUMNS} FROM cases WHERE id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(meta_from_row).transpose()
    }

    async fn case_metas(
        &self,
        filter: &(dyn for<'a> Fn(&'a CaseMeta) -> bool + Sync),
    ) -> Result<Vec<CaseMeta>, StoreError> {
        filtered_metas(&self.pool, filter).await
    }

    async fn records(
        &self,
        filter: &(dyn for<'a> Fn(&'a CaseMeta) -> bool + Sync),
    ) -> Result<Vec<CaseRecord>, StoreError> {
        // One snapshot for metadata, envelopes and history, so a pull never shows a status
        // that its own history does not reach yet; three queries, not three per case.
        let mut tx = self.pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?;
        let metas = filtered_metas(&mut *tx, filter).await?;
        let ids: Vec<String> = metas.iter().map(|m| m.id.clone()).collect();
        let mut envelopes: HashMap<String, Vec<StoredEnvelope>> = HashMap::new();
        let rows = sqlx::query(
            "SELECT case_id, id, part, created_on, ciphertext FROM envelopes \
             WHERE case_id = ANY($1) ORDER BY case_id, seq",
        )
        .bind(&ids)
        .fetch_all(&mut *tx)
        .await?;
        for row in &rows {
            envelopes.entry(row.try_get("case_id")?).or_default().push(envelope_from_row(row)?);
        }
        let mut events: HashMap<String, Vec<Event>> = HashMap::new();
        let rows = sqlx::query("SELECT * FROM events WHERE case_id = ANY($1) ORDER BY case_id, seq")
            .bind(&ids)
            .fetch_all(&mut *tx)
            .await?;
        for row in &rows {
            events.entry(row.try_get("case_id")?).or_default().push(event_from_row(row)?);
        }
        let mut files: HashMap<String, Vec<StoredAttachment>> = HashMap::new();
        let rows = sqlx::query(
            "SELECT a.case_id, a.id, a.envelope_id, a.created_on, a.size, a.pieces, a.meta \
             FROM attachments a JOIN envelopes e ON e.id = a.envelope_id \
             WHERE a.case_id = ANY($1) ORDER BY a.case_id, e.seq, a.seq",
        )
        .bind(&ids)
        .fetch_all(&mut *tx)
        .await?;
        for row in &rows {
            files.entry(row.try_get("case_id")?).or_default().push(attachments::attachment_from_row(row)?);
        }
        tx.commit().await?;
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

    async fn envelopes(&self, case_id: &str, parts: &[Part]) -> Result<Vec<StoredEnvelope>, StoreError> {
        if !storable(case_id) {
            return Ok(Vec::new());
        }
        let parts: Vec<&str> = parts.iter().map(|p| p.as_str()).collect();
        let rows = sqlx::query(
            "SELECT id, part, created_on, ciphertext FROM envelopes \
             WHERE case_id = $1 AND part = ANY($2) ORDER BY seq",
        )
        .bind(case_id)
        .bind(&parts)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(envelope_from_row).collect()
    }

    async fn apply(&self, c: &Change) -> Result<(), StoreError> {
        if !storable(&c.case_id) {
            return Err(StoreError::Conflict);
        }
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
        let sql = format!("SELECT id FROM cases WHERE {OVERDUE} ORDER BY received_on, id");
        let candidates: Vec<String> =
            sqlx::query_scalar(&sql).bind(format_date(today)).fetch_all(&self.pool).await?;
        let mut done = Vec::new();
        for id in candidates {
            // The guard is checked again under the row lock: another node may have
            // escalated it, or a reviewer closed it, since the candidates were read.
            if self.escalate_one(&id, today, attest).await? {
                done.push(id);
            }
        }
        Ok(done)
    }

    async fn use_nonce(&self, nonce: &str, expires_on: Date) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO nonces (nonce, expires_on) VALUES ($1, $2) ON CONFLICT (nonce) DO NOTHING",
        )
        .bind(nonce)
        .bind(format_date(expires_on))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn purge_nonces(&self, today: Date) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM nonces WHERE expires_on < $1")
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
        if !storable(id) {
            return Ok(false);
        }
        let mut tx = self.write_tx().await?;
        // Every change to a case updates its row first; holding the row lock, the next
        // statement (READ COMMITTED: a new snapshot) sees any rating or follow-up that
        // another node committed meanwhile.
        let locked: Option<(String,)> =
            sqlx::query_as("SELECT id FROM cases WHERE id = $1 AND status LIKE 'closed%' FOR UPDATE")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        if locked.is_none() {
            return Ok(false);
        }
        let done = sqlx::query(&format!(
            "DELETE FROM cases WHERE id = $1 AND NOT EXISTS \
             (SELECT 1 FROM events WHERE case_id = $1 AND kind IN ({REPORTER_CONTENT_KINDS}) AND on_date >= $2)"
        ))
        .bind(id)
        .bind(format_date(quiet_since))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn scrub(&self) -> Result<bool, StoreError> {
        // The whole database (attachments included); not in a transaction block, where
        // VACUUM refuses to run.
        sqlx::raw_sql("VACUUM").execute(&self.pool).await?;
        Ok(true)
    }
}
