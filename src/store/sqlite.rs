//! SQLite backend: WAL, `synchronous=FULL` (a code is shown only after a durable commit),
//! `secure_delete` (purged ciphertext is overwritten), temp data in memory. Write
//! transactions start with `BEGIN IMMEDIATE` so concurrent writers queue on the busy
//! timeout instead of failing on a lock upgrade.

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions, SqliteQueryResult,
    SqliteRow, SqliteSynchronous,
};
use sqlx::{Pool, Sqlite, Transaction};
use std::{path::Path, str::FromStr, time::Duration};

use super::backend::{Backend, Record};
use super::sql_store::SqlStore;
use super::sqlite_order;
use super::write_turns::WriteTurns;
use super::StoreError;

/// Pool size unless `--database-max-connections` says otherwise (SQLite has one writer).
pub const DEFAULT_MAX_CONNECTIONS: u32 = 8;

/// The embedded SQLite store.
pub type SqliteStore = SqlStore<Sqlite>;

impl SqlStore<Sqlite> {
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
        // Connections for attachment pieces: `synchronous=NORMAL`, so a piece's commit does
        // not wait for an fsync. Safe because no piece matters until the report's (or
        // follow-up's) own commit claims it, and that commit, on `pool` with
        // `synchronous=FULL`, syncs the WAL and with it every piece written before.
        let pieces = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(opts.create_if_missing(false).synchronous(SqliteSynchronous::Normal))
            .await?;
        Ok(Self { pool, pieces, turns: WriteTurns::one_at_a_time() })
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
}

#[async_trait::async_trait]
impl Backend for Sqlite {
    async fn begin_write(pool: &Pool<Self>) -> Result<Transaction<'static, Self>, sqlx::Error> {
        pool.begin_with("BEGIN IMMEDIATE").await
    }

    async fn begin_piece(pieces: &Pool<Self>) -> Result<Transaction<'static, Self>, sqlx::Error> {
        pieces.begin_with("BEGIN IMMEDIATE").await
    }

    async fn begin_snapshot(pool: &Pool<Self>) -> Result<Transaction<'static, Self>, sqlx::Error> {
        // Deferred: the first read takes a WAL snapshot that every later read of the
        // transaction sees, whatever writers commit meanwhile; it blocks no writer.
        pool.begin_with("BEGIN DEFERRED").await
    }

    async fn lock_case(_: &mut SqliteConnection, _: &str) -> Result<(), sqlx::Error> {
        // `BEGIN IMMEDIATE` already holds the database's only write lock.
        Ok(())
    }

    async fn lock_files(_: &mut SqliteConnection) -> Result<(), sqlx::Error> {
        // `BEGIN IMMEDIATE` already holds the database's only write lock.
        Ok(())
    }

    async fn migrate(pool: &Pool<Self>) -> Result<(), StoreError> {
        // No rowid anywhere, sqlx's own table included (see `sqlite_order`).
        sqlite_order::migrations_table(pool).await?;
        sqlx::migrate!("./migrations/sqlite").run(pool).await?;
        if sqlite_order::vacuum_if_pending(pool).await? && !Self::scrub(pool).await? {
            // A reader held the WAL: the file is clean but the WAL may still hold old pages.
            // Asked for again, so the next start repeats both; this one goes on.
            sqlite_order::request_vacuum(pool).await?;
            tracing::warn!("the WAL could not be truncated after the rebuild; retried at the next start");
        }
        Ok(())
    }

    async fn scrub(pool: &Pool<Self>) -> Result<bool, StoreError> {
        // secure_delete (set on every connection in `open`) zeroed the deleted content in
        // the pages written to the WAL; the checkpoint copies them into the main file and
        // TRUNCATE empties the WAL, which still held the pages as they were inserted.
        for _ in 0..5 {
            let (busy, _, _): (i64, i64, i64) =
                sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(pool).await?;
            if busy == 0 {
                return Ok(true);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Ok(false)
    }

    fn rows_affected(done: &SqliteQueryResult) -> u64 {
        done.rows_affected()
    }

    fn decode<T: Record>(row: &SqliteRow) -> Result<T, sqlx::Error> {
        T::from_row(row)
    }
}
