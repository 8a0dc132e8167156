//! What the schema can hold: dates, never times of day; and the same tables and columns
//! on both backends (the two migration folders are kept in step by hand).

use amana::store::{Change, Store};
use amana_core::events::EventKind;
use amana_core::payload::Part;
use sqlx::{PgPool, Row, SqlitePool};

use crate::harness::*;

/// The first `HH:MM` in `text`, if any.
fn time_of_day(text: &str) -> Option<&str> {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(4))
        .find(|&i| {
            b[i].is_ascii_digit()
                && b[i + 1].is_ascii_digit()
                && b[i + 2] == b':'
                && b[i + 3].is_ascii_digit()
                && b[i + 4].is_ascii_digit()
        })
        .map(|i| &text[i..i + 5])
}

/// Some of everything the server writes.
async fn traffic(store: &dyn Store) {
    store.insert_case(&new_case("case-a", day("2026-01-01"))).await.unwrap();
    let m = store.case_meta("case-a").await.unwrap().unwrap();
    let mut c = Change::event_only(&m, day("2026-01-02"), event(EventKind::FollowUp));
    c.envelope = Some(envelope(Part::FollowUp));
    c.follow_up_cap = Some(5);
    store.apply(&c).await.unwrap();
    store.escalate_overdue(day("2026-02-01"), None).await.unwrap();
    store.use_nonce(&amana_core::signing::new_nonce(), day("2026-01-05")).await.unwrap();
}

#[tokio::test]
async fn postgres_holds_dates_never_times() {
    with_postgres(|db| async move {
        traffic(&*db.open().await).await;
        let _second_node = db.open().await;
        let pool = PgPool::connect(db.url()).await.unwrap();
        let columns = sqlx::query(
            "SELECT table_name::text, column_name::text, data_type::text, COALESCE(column_default, '') \
             FROM information_schema.columns WHERE table_schema = current_schema()",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        let clocks = ["now()", "current_timestamp", "current_time", "localtime", "clock_timestamp"];
        let mut problems = Vec::new();
        let mut tables = std::collections::BTreeSet::new();
        for row in &columns {
            let (table, column, kind, default): (String, String, String, String) =
                (row.get(0), row.get(1), row.get(2), row.get(3));
            if kind.contains("time") || kind.contains("interval") {
                problems.push(format!("{table}.{column} is of type {kind}"));
            }
            if clocks.iter().any(|c| default.to_lowercase().contains(c)) {
                problems.push(format!("{table}.{column} defaults to {default}"));
            }
            tables.insert(table);
        }
        assert!(tables.contains("cases") && tables.contains("_sqlx_migrations"), "{tables:?}");
        for table in &tables {
            let rows =
                sqlx::query(&format!("SELECT t::text FROM \"{table}\" t")).fetch_all(&pool).await.unwrap();
            for row in &rows {
                let text: String = row.get(0);
                if let Some(t) = time_of_day(&text) {
                    problems.push(format!("a row of {table} holds a time of day {t}: {text:.200}"));
                }
            }
        }
        pool.close().await;
        assert!(problems.is_empty(), "times in the PostgreSQL database:\n{}", problems.join("\n"));
    })
    .await
}

#[tokio::test]
async fn both_backends_have_the_same_tables_and_columns() {
    with_postgres(|pg| async move {
        let _ = pg.open().await;
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("amana.db").display());
        let data = amana::config::DataSettings {
            data_dir: dir.path().into(),
            database_url: Some(url.clone()),
            database_max_connections: None,
        };
        drop(amana::startup::open_store(&data).await.unwrap());

        let sqlite = SqlitePool::connect(&url).await.unwrap();
        let lite: Vec<(String, String)> = sqlx::query_as(
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid",
        )
        .fetch_all(&sqlite)
        .await
        .unwrap();
        let postgres = PgPool::connect(pg.url()).await.unwrap();
        let mut big: Vec<(String, String)> = sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position",
        )
        .fetch_all(&postgres)
        .await
        .unwrap();
        // Byte order, as SQLite sorts the table names.
        big.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        assert_eq!(lite, big, "migrations/sqlite and migrations/postgres have drifted apart");
        sqlite.close().await;
        postgres.close().await;
    })
    .await
}

#[test]
fn time_of_day_finds_clock_times_only() {
    assert_eq!(time_of_day("2026-01-01 19:44:03"), Some("19:44"));
    assert_eq!(time_of_day("2026-01-01"), None);
    assert_eq!(time_of_day("argon2id:m=65536"), None);
}
