//! SQLite backend: WAL, `synchronous=FULL` (a code is shown only after a durable commit),
//! `secure_delete` (purged ciphertext is overwritten), temp data in memory. Write
//! transactions start with `BEGIN IMMEDIATE` so concurrent writers queue on the busy
//! timeout instead of failing on a lock upgrade. Evidence-file pieces live in a second
//! file with a rollback journal, attached to every connection (`pieces_file`).

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions, SqliteQueryResult,
    SqliteRow, SqliteSynchronous,
};
use sqlx::{Pool, Sqlite, Transaction};
use std::{
    path::{Path, PathBuf},
    str::FromStr,
    time::Duration,
};

use super::backend::{Backend, Record};
use super::pieces_file;
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
            // Large pages: fewer pages per row for the envelopes (the pieces file sets its own).
            // Takes effect when the file is created.
            .page_size(65536)
            .pragma("secure_delete", "ON")
            .pragma("temp_store", "MEMORY");
        let pieces_path = pieces_file::path_for(path);
        pieces_file::create_private(&pieces_path)
            .map_err(|e| StoreError::Corrupt(format!("cannot create {}: {e}", pieces_path.display())))?;
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections.max(1))
            .after_connect(attach_pieces(pieces_path.clone()))
            .connect_with(opts.clone())
            .await?;
        // Connections for attachment pieces: `synchronous=NORMAL` for the main file, where a
        // piece only adds to its file's size (no piece matters until the claiming commit,
        // which syncs the WAL); the pieces file itself stays `synchronous=FULL`.
        let pieces = SqlitePoolOptions::new()
            .max_connections(2)
            .after_connect(attach_pieces(pieces_path))
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

    /// A consistent online copy of the pieces file into a new file; take it after the main
    /// database's copy, then check the pair with [`Self::copies_match`].
    pub async fn vacuum_pieces_into(&self, path: &Path) -> Result<(), StoreError> {
        let target = path.to_str().ok_or_else(|| StoreError::Corrupt("backup path is not UTF-8".into()))?;
        sqlx::query("VACUUM pieces INTO ?").bind(target).execute(&self.pool).await?;
        Ok(())
    }

    /// Whether every committed file in the copy `db` has all its pieces in the copy
    /// `pieces`. The two copies are two snapshots: a purge that ran between them took pieces
    /// the first still names (claims cannot: a file's pieces are written before its claim).
    pub async fn copies_match(db: &Path, pieces: &Path) -> Result<bool, StoreError> {
        use sqlx::Connection;
        let opts = SqliteConnectOptions::new().filename(db).read_only(true);
        let mut conn = SqliteConnection::connect_with(&opts).await?;
        pieces_file::attach_read_only(&mut conn, pieces).await?;
        let (missing,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM attachments a WHERE a.case_id IS NOT NULL AND a.pieces <> \
             (SELECT COUNT(*) FROM pieces.attachment_pieces p WHERE p.attachment_id = a.id)",
        )
        .fetch_one(&mut conn)
        .await?;
        conn.close().await?;
        Ok(missing == 0)
    }
}

/// The hook that attaches the pieces file to each new connection of a pool.
fn attach_pieces(
    path: PathBuf,
) -> impl Fn(
    &mut SqliteConnection,
    sqlx::pool::PoolConnectionMetadata,
) -> futures_util::future::BoxFuture<'_, Result<(), sqlx::Error>>
       + Send
       + Sync
       + 'static {
    move |conn, _| {
        let path = path.clone();
        Box::pin(async move { pieces_file::attach(conn, &path).await })
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

    async fn drop_orphan_pieces(conn: &mut SqliteConnection) -> Result<u64, sqlx::Error> {
        Ok(sqlx::query(pieces_file::ORPHANS).execute(conn).await?.rows_affected())
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
