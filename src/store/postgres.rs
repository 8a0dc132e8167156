//! PostgreSQL backend, for several stateless `amana serve` nodes on one database.
//!
//! Concurrency is the point of this backend, so each write says how it stays correct when
//! another node does the same thing at the same moment:
//! - every write transaction runs at READ COMMITTED, whatever the database default, so a
//!   statement that waited for a row lock sees the rows the other transaction committed;
//! - [`Store::apply`](super::Store::apply) starts with the guarded `UPDATE` of the case row.
//!   That takes the row lock, so changes to one case queue behind each other, and the chain
//!   head read after it is the one committed by the previous change (no duplicate `seq`, no
//!   fork);
//! - [`Store::escalate_overdue`](super::Store::escalate_overdue) escalates with
//!   `UPDATE … WHERE NOT escalated AND <overdue>`: a second node's update waits on the lock,
//!   re-checks the guard, and changes nothing;
//! - [`Store::use_nonce`](super::Store::use_nonce) is one `INSERT … ON CONFLICT DO NOTHING`;
//! - retention locks the case row ([`Backend::lock_case`]) before it checks and deletes;
//! - migrations hold sqlx's advisory lock, so nodes starting together migrate once.

use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions, PgQueryResult, PgRow};
use sqlx::{ConnectOptions, Pool, Postgres, Transaction};
use std::{str::FromStr, time::Duration};

use super::backend::{Backend, Record};
use super::sql_store::SqlStore;
use super::write_turns::WriteTurns;
use super::StoreError;

/// Pool size per node unless `--database-max-connections` says otherwise.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 16;

/// The shared PostgreSQL store.
pub type PostgresStore = SqlStore<Postgres>;

impl SqlStore<Postgres> {
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
        refuse_commit_timestamps(&pool).await?;
        // Pieces share the pool; their transactions skip the WAL flush instead.
        Ok(Self { pieces: pool.clone(), pool, turns: WriteTurns::none() })
    }
}

/// Refuses a server with `track_commit_timestamp = on`: it keeps every transaction's commit
/// time, to the microsecond, readable with `pg_xact_commit_timestamp(xmin)` next to each row
/// a report or follow-up wrote (SECURITY.md, "What the server knows"). The setting needs a
/// server restart to change, so it is read once, when a node connects.
pub async fn refuse_commit_timestamps(pool: &Pool<Postgres>) -> Result<(), StoreError> {
    let (setting,): (String,) = sqlx::query_as("SHOW track_commit_timestamp").fetch_one(pool).await?;
    commit_timestamps_allowed(&setting)
}

/// The decision of [`refuse_commit_timestamps`] on the setting's value as `SHOW` gives it.
pub fn commit_timestamps_allowed(setting: &str) -> Result<(), StoreError> {
    if setting.trim().eq_ignore_ascii_case("off") {
        Ok(())
    } else {
        Err(StoreError::Refused(format!(
            "PostgreSQL has track_commit_timestamp = {setting}: it would record the time of every \
             report to the microsecond. Set it off and restart PostgreSQL (ops/README.md)"
        )))
    }
}

#[async_trait::async_trait]
impl Backend for Postgres {
    async fn begin_write(pool: &Pool<Self>) -> Result<Transaction<'static, Self>, sqlx::Error> {
        // Stated, not inherited: under REPEATABLE READ a change that queued behind another
        // on the case row would fail with a serialization error instead of going on.
        pool.begin_with("BEGIN ISOLATION LEVEL READ COMMITTED").await
    }

    async fn begin_piece(pieces: &Pool<Self>) -> Result<Transaction<'static, Self>, sqlx::Error> {
        // No wait for the WAL flush at the commit: no piece matters until the report's own
        // commit claims it, and that commit waits for the WAL, which holds every piece
        // written before it.
        let mut tx = Self::begin_write(pieces).await?;
        sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *tx).await?;
        Ok(tx)
    }

    async fn begin_snapshot(pool: &Pool<Self>) -> Result<Transaction<'static, Self>, sqlx::Error> {
        pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await
    }

    async fn lock_case(conn: &mut PgConnection, id: &str) -> Result<(), sqlx::Error> {
        // Every change to a case updates its row first; holding the row lock, the next
        // statement (READ COMMITTED: a new snapshot) sees any rating or follow-up that
        // another node committed meanwhile.
        sqlx::query("SELECT id FROM cases WHERE id = $1 FOR UPDATE").bind(id).execute(conn).await?;
        Ok(())
    }

    async fn lock_files(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        // Claims to different cases hold different case rows; this transaction-scoped lock
        // queues them for the quota check, held only for the rest of a short commit.
        sqlx::query("SELECT pg_advisory_xact_lock(7416323465002)").execute(conn).await?;
        Ok(())
    }

    async fn migrate(pool: &Pool<Self>) -> Result<(), StoreError> {
        // sqlx's own bookkeeping table would record the exact time of each migration
        // (`TIMESTAMPTZ DEFAULT now()`); created first, with the same columns and a date
        // (sqlx sessions run in UTC), it keeps the "dates, never times" rule. The lock makes
        // nodes that start together create it once.
        let mut tx = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(7416323465001)").execute(&mut *tx).await?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS _sqlx_migrations (version BIGINT PRIMARY KEY, \
             description TEXT NOT NULL, installed_on DATE NOT NULL DEFAULT CURRENT_DATE, \
             success BOOLEAN NOT NULL, checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL)",
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        sqlx::migrate!("./migrations/postgres").run(pool).await?;
        Ok(())
    }

    async fn drop_orphan_pieces(_: &mut PgConnection) -> Result<u64, sqlx::Error> {
        // `attachment_pieces` references `attachments` ON DELETE CASCADE: no orphan exists.
        Ok(0)
    }

    async fn scrub(pool: &Pool<Self>) -> Result<bool, StoreError> {
        // The whole database (attachments included); not in a transaction block, where
        // VACUUM refuses to run.
        sqlx::raw_sql("VACUUM").execute(pool).await?;
        Ok(true)
    }

    fn rows_affected(done: &PgQueryResult) -> u64 {
        done.rows_affected()
    }

    fn decode<T: Record>(row: &PgRow) -> Result<T, sqlx::Error> {
        T::from_row(row)
    }
}
