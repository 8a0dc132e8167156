//! No insertion order in the SQLite file (SECURITY.md, "What the server knows").
//!
//! Every table is `WITHOUT ROWID` (migrations/sqlite/0004_without_rowid.sql): a rowid
//! numbers rows in arrival order, and that order dated a reporter's follow-up next to the
//! reviewers' signed timestamps. sqlx's own bookkeeping table is made here, before sqlx
//! would make it as a rowid table, and an existing one is rebuilt. After a rebuild the file
//! is VACUUMed and the WAL truncated, so no page of the old tables survives.

use sqlx::{Pool, Sqlite};

use super::StoreError;

/// `PRAGMA user_version` while a rebuild still awaits its VACUUM (set by migration 0004).
pub const VACUUM_PENDING: i64 = 4;

/// sqlx's migration table as sqlx makes it, but `WITHOUT ROWID` and with a date where
/// sqlx records the exact time of each migration (`DEFAULT CURRENT_TIMESTAMP`).
const MIGRATIONS_TABLE: &str = "(version BIGINT PRIMARY KEY, description TEXT NOT NULL, \
     installed_on TEXT NOT NULL DEFAULT (date('now')), success BOOLEAN NOT NULL, \
     checksum BLOB NOT NULL, execution_time BIGINT NOT NULL) WITHOUT ROWID";

/// Makes `_sqlx_migrations` a `WITHOUT ROWID` table, rebuilding one made by an older
/// release (and asking for the VACUUM that removes its old pages).
pub async fn migrations_table(pool: &Pool<Sqlite>) -> Result<(), StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let old: Option<(i64,)> = sqlx::query_as(
        "SELECT wr FROM pragma_table_list WHERE name = '_sqlx_migrations' AND schema = 'main'",
    )
    .fetch_optional(&mut *tx)
    .await?;
    match old {
        None => {
            sqlx::query(&format!("CREATE TABLE _sqlx_migrations {MIGRATIONS_TABLE}"))
                .execute(&mut *tx)
                .await?;
        }
        Some((0,)) => {
            sqlx::query(&format!("CREATE TABLE _sqlx_migrations_new {MIGRATIONS_TABLE}"))
                .execute(&mut *tx)
                .await?;
            for sql in [
                "INSERT INTO _sqlx_migrations_new SELECT version, description, installed_on, success, \
                 checksum, execution_time FROM _sqlx_migrations ORDER BY version",
                "DROP TABLE _sqlx_migrations",
                "ALTER TABLE _sqlx_migrations_new RENAME TO _sqlx_migrations",
            ] {
                sqlx::query(sql).execute(&mut *tx).await?;
            }
            // Asked in the same transaction as the rebuild, so a crash cannot lose the request.
            sqlx::query(&format!("PRAGMA user_version = {VACUUM_PENDING}")).execute(&mut *tx).await?;
        }
        Some(_) => {}
    }
    tx.commit().await?;
    Ok(())
}

/// If a rebuild asked for it: VACUUM (the file is rewritten with no free page, so no old
/// page survives in it), then clear the request. The caller truncates the WAL next.
/// Returns whether it ran.
pub async fn vacuum_if_pending(pool: &Pool<Sqlite>) -> Result<bool, StoreError> {
    let (version,): (i64,) = sqlx::query_as("PRAGMA user_version").fetch_one(pool).await?;
    if version != VACUUM_PENDING {
        return Ok(false);
    }
    // Cleared only after the VACUUM: a crash between the two repeats it at the next start.
    sqlx::query("VACUUM").execute(pool).await?;
    sqlx::query("PRAGMA user_version = 0").execute(pool).await?;
    Ok(true)
}

/// Asks the next start for the VACUUM and WAL truncation again.
pub async fn request_vacuum(pool: &Pool<Sqlite>) -> Result<(), StoreError> {
    sqlx::query(&format!("PRAGMA user_version = {VACUUM_PENDING}")).execute(pool).await?;
    Ok(())
}
