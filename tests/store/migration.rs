//! An existing SQLite database, made by the migrations before the WITHOUT ROWID rebuild
//! (migrations/sqlite/0004_without_rowid.sql), migrates: its rows survive, every table
//! loses its rowid, and the file is VACUUMed with the WAL truncated, so no page of the
//! old, arrival-ordered tables is left.

use std::path::Path;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::SqlitePool;

use crate::schema::sqlite_problems;

/// The database an older release made: its connection settings, its rowid
/// `_sqlx_migrations`, migrations 1 to 3, and some rows.
async fn old_database(dir: &Path) -> SqlitePool {
    let migrations = dir.join("old-migrations");
    std::fs::create_dir(&migrations).unwrap();
    for entry in std::fs::read_dir("migrations/sqlite").unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if name.as_str() < "0004" {
            std::fs::copy(&path, migrations.join(name)).unwrap();
        }
    }
    let opts = SqliteConnectOptions::new()
        .filename(dir.join("amana.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .foreign_keys(true)
        .page_size(65536)
        .pragma("secure_delete", "ON");
    let pool = SqlitePoolOptions::new().max_connections(1).connect_with(opts).await.unwrap();
    sqlx::query(
        "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, \
         installed_on TEXT NOT NULL DEFAULT (date('now')), success BOOLEAN NOT NULL, \
         checksum BLOB NOT NULL, execution_time BIGINT NOT NULL)",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::migrate::Migrator::new(migrations.as_path()).await.unwrap().run(&pool).await.unwrap();
    for id in ["case-c", "case-a", "case-b"] {
        sqlx::query(
            "INSERT INTO cases (id, kind, agency, oversight_only, status, received_on, acknowledge_by, \
             feedback_by, lookup_index, kdf_salt, kdf_params, verifier, reporter_recipient) \
             VALUES ($1, 'complaint', 'agency', 0, 'received', '2026-01-01', '2026-01-08', '2026-04-01', \
             $2, x'00', 'argon2id:m=8,t=1,p=1', x'00', 'age1x')",
        )
        .bind(id)
        .bind(id.as_bytes())
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO events (case_id, seq, on_date, kind, status, detail, prev_hash, hash) \
             VALUES ($1, 0, '2026-01-01', 'submitted', 'received', '{}', '', 'h')",
        )
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query("INSERT INTO nonces (nonce, expires_on) VALUES ($1, '2026-01-04')")
            .bind(id)
            .execute(&pool)
            .await
            .unwrap();
    }
    // A committed evidence file with two pieces, in the main file as older releases kept them.
    sqlx::query(
        "INSERT INTO attachments (id, case_id, envelope_id, seq, created_on, size, pieces, meta) \
         VALUES ('file-a', 'case-a', 'env-a', 0, '2026-01-01', 6, 2, x'00')",
    )
    .execute(&pool)
    .await
    .unwrap();
    for (seq, data) in [(0, "PIECE0"), (1, "PIECE1")] {
        sqlx::query("INSERT INTO attachment_pieces (attachment_id, seq, data) VALUES ('file-a', $1, $2)")
            .bind(seq)
            .bind(data.as_bytes())
            .execute(&pool)
            .await
            .unwrap();
    }
    pool
}

async fn one<T: Send + Unpin + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>>(
    pool: &SqlitePool,
    sql: &str,
) -> T {
    sqlx::query_as(sql).fetch_one(pool).await.unwrap()
}

#[tokio::test]
async fn an_old_sqlite_database_is_rebuilt_without_rowids_and_vacuumed() {
    let dir = tempfile::tempdir().unwrap();
    let old = old_database(dir.path()).await;
    let before = sqlite_problems(&old).await;
    assert!(before.iter().any(|p| p == "cases is a rowid table"), "{before:?}");
    assert!(before.iter().any(|p| p == "_sqlx_migrations is a rowid table"), "{before:?}");
    old.close().await;

    let data = amana::config::DataSettings {
        data_dir: dir.path().into(),
        database_url: Some(format!("sqlite://{}", dir.path().join("amana.db").display())),
        database_max_connections: None,
    };
    let store = amana::startup::open_store(&data).await.unwrap();
    let ids: Vec<String> =
        store.case_metas(&amana::store::CaseFilter::all()).await.unwrap().into_iter().map(|m| m.id).collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    drop(store);

    let pool = crate::schema::sqlite_pool(data.database_url.as_deref().unwrap()).await;
    let after = sqlite_problems(&pool).await;
    assert!(after.is_empty(), "{after:?}");
    let (events,): (i64,) = one(&pool, "SELECT count(*) FROM events").await;
    let (nonces,): (i64,) = one(&pool, "SELECT count(*) FROM nonces").await;
    assert_eq!((events, nonces), (3, 3));
    // The evidence pieces moved into the pieces file (migrations/sqlite/0010_pieces_file.sql).
    let (moved,): (i64,) =
        one(&pool, "SELECT count(*) FROM pieces.attachment_pieces WHERE attachment_id = 'file-a'").await;
    let (left,): (i64,) =
        one(&pool, "SELECT count(*) FROM main.sqlite_master WHERE name = 'attachment_pieces'").await;
    assert_eq!((moved, left), (2, 0));
    let (applied,): (i64,) = one(&pool, "SELECT count(*) FROM _sqlx_migrations WHERE success").await;
    assert!(applied >= 4, "{applied}");
    // VACUUM ran: no free page (the dropped tables left many) and the request is cleared.
    let (free,): (i64,) = one(&pool, "PRAGMA freelist_count").await;
    let (pending,): (i64,) = one(&pool, "PRAGMA user_version").await;
    assert_eq!((free, pending), (0, 0));
    // The WAL was truncated after it: nothing of the old pages waits there either.
    let (busy, frames, _): (i64, i64, i64) = one(&pool, "PRAGMA wal_checkpoint(TRUNCATE)").await;
    assert_eq!(busy, 0);
    assert_eq!(frames, 0, "the WAL held frames after the rebuild's own truncation");
    pool.close().await;
}
