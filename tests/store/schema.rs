//! What the schema can hold: dates, never times of day, and no order of arrival (no rowid
//! table, no sequence, no serial or identity column, no time-ordered key or default); and
//! the same tables and columns on both backends (the two migration folders are kept in
//! step by hand). Every check reads the real schema of a migrated database, so it covers
//! every table a later migration adds (SECURITY.md, "What the server knows").

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

/// Columns whose name suggests a clock or an arrival order, and why each is allowed. A new
/// one fails the tests until it is either renamed or argued for here.
const ALLOWED: &[(&str, &str, &str)] = &[
    ("events", "seq", "position in one case's hash chain, which the chain itself shows"),
    ("envelopes", "seq", "position among one case's envelopes, as its events show"),
    ("attachments", "seq", "order within one upload, not across uploads or cases"),
    ("attachment_pieces", "seq", "order of pieces within one file"),
    ("_sqlx_migrations", "version", "the migration's number, public in the source"),
    ("_sqlx_migrations", "execution_time", "how long a migration ran, not when"),
];

/// Why a column's name or declared type looks like a clock or a counter, if it does.
fn clock_like(table: &str, column: &str, kind: &str) -> Option<String> {
    if ALLOWED.iter().any(|(t, c, _)| *t == table && *c == column) {
        return None;
    }
    let name = column.to_lowercase();
    let kind = kind.to_lowercase();
    let names = ["time", "_at", "_ts", "stamp", "seq", "serial", "counter", "order"];
    if kind.contains("time") || kind.contains("interval") || kind.contains("serial") {
        return Some(format!("{table}.{column} is of type {kind}"));
    }
    if names.iter().any(|n| name.contains(n)) || name == "ts" {
        return Some(format!("{table}.{column}: the name suggests a clock or an arrival order"));
    }
    None
}

/// Whether a column default reads a clock, a counter or a time-ordered id generator.
fn clock_default(default: &str) -> bool {
    let d = default.to_lowercase().replace("date('now')", "");
    let clocks = [
        "now",
        "current_time",
        "current_date",
        "localtime",
        "clock_timestamp",
        "julianday",
        "unixepoch",
        "strftime",
        "nextval",
        "uuid_generate_v1",
        "uuidv7",
        "random_id_v7",
    ];
    clocks.iter().any(|c| d.contains(c))
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
    let period = r#"{"document":"{\"opened_on\":\"2026-01-05\"}","key_id":"oversight","signature":"c2ln"}"#;
    store.put_improvement(&amana_core::improvement::new_id(), "health", period).await.unwrap();
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
        let mut problems = Vec::new();
        let mut tables = std::collections::BTreeSet::new();
        for row in &columns {
            let (table, column, kind, default): (String, String, String, String) =
                (row.get(0), row.get(1), row.get(2), row.get(3));
            problems.extend(clock_like(&table, &column, &kind));
            // `installed_on DATE DEFAULT CURRENT_DATE` of sqlx's table is a date.
            if clock_default(&default) && !(table == "_sqlx_migrations" && column == "installed_on") {
                problems.push(format!("{table}.{column} defaults to {default}"));
            }
            tables.insert(table);
        }
        problems.extend(postgres_counters(&pool).await);
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

/// Sequences, identity columns and single-column integer keys: each numbers rows in the
/// order they arrive.
async fn postgres_counters(pool: &PgPool) -> Vec<String> {
    let mut problems = Vec::new();
    let sequences: Vec<(String,)> = sqlx::query_as(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = current_schema() AND c.relkind = 'S'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    problems.extend(sequences.into_iter().map(|(s,)| format!("sequence {s}")));
    let identities: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND (is_identity = 'YES' OR is_generated <> 'NEVER')",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    problems
        .extend(identities.into_iter().map(|(t, c)| format!("{t}.{c} is an identity or generated column")));
    let keys: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod) \
         FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0] \
         WHERE i.indisprimary AND i.indnatts = 1 AND n.nspname = current_schema()",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (table, column, kind) in keys {
        if (kind.contains("int") || kind.contains("uuid")) && table != "_sqlx_migrations" {
            problems.push(format!("{table}.{column} is a {kind} primary key: random text keys only"));
        }
    }
    problems
}

#[tokio::test]
async fn sqlite_has_no_rowid_tables_counters_or_times() {
    with_sqlite(|db| async move {
        traffic(&*db.open().await).await;
        let pool = sqlite_pool(db.url()).await;
        assert!(pieces_attached(&pool).await, "the check must see the pieces file too");
        let problems = sqlite_problems(&pool).await;
        pool.close().await;
        assert!(problems.is_empty(), "order or times in the SQLite database:\n{}", problems.join("\n"));
    })
    .await
}

/// Everything in a SQLite database that numbers rows in arrival order or holds a time.
pub async fn sqlite_problems(pool: &SqlitePool) -> Vec<String> {
    let mut problems = Vec::new();
    // `wr` is 1 for WITHOUT ROWID; AUTOINCREMENT's `sqlite_sequence` is a rowid table too.
    // Every schema but `temp`: the main file, and the pieces file where it is attached.
    let rowid: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM pragma_table_list WHERE schema <> 'temp' AND type = 'table' \
         AND wr = 0 AND name <> 'sqlite_schema'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    problems.extend(rowid.into_iter().map(|(t,)| format!("{t} is a rowid table")));
    let columns: Vec<(String, String, String, Option<String>, i64)> = sqlx::query_as(
        "SELECT m.name, p.name, p.type, p.dflt_value, \
         (SELECT count(*) FROM pragma_table_info(m.name, m.schema) k WHERE k.pk > 0) = 1 AND p.pk = 1 \
         FROM pragma_table_list m JOIN pragma_table_info(m.name, m.schema) p \
         WHERE m.type = 'table' AND m.schema <> 'temp' AND m.name <> 'sqlite_schema'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (table, column, kind, default, sole_key) in &columns {
        problems.extend(clock_like(table, column, kind));
        if default.as_deref().is_some_and(clock_default) {
            problems.push(format!("{table}.{column} defaults to {default:?}"));
        }
        if *sole_key == 1 && kind.to_uppercase().contains("INT") && table != "_sqlx_migrations" {
            problems.push(format!("{table}.{column} is an integer primary key: random text keys only"));
        }
        if !kind.eq_ignore_ascii_case("BLOB") {
            let sql = format!("SELECT CAST(\"{column}\" AS TEXT) FROM \"{table}\"");
            let values: Vec<(Option<String>,)> = sqlx::query_as(&sql).fetch_all(pool).await.unwrap();
            for text in values.into_iter().filter_map(|(v,)| v) {
                if let Some(t) = time_of_day(&text) {
                    problems.push(format!("{table}.{column} holds a time of day {t}: {text:.200}"));
                }
            }
        }
    }
    problems
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

        let sqlite = sqlite_pool(&url).await;
        // Both files: `attachment_pieces` lives in the pieces file (migrations/sqlite/0010).
        let lite: Vec<(String, String)> = sqlx::query_as(
            "SELECT m.name, p.name FROM pragma_table_list m JOIN pragma_table_info(m.name, m.schema) p \
             WHERE m.type = 'table' AND m.schema <> 'temp' AND m.name NOT LIKE 'sqlite_%' \
             ORDER BY m.name, p.cid",
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

/// A pool on a server's SQLite database with its pieces file attached, as the server has it.
pub async fn sqlite_pool(url: &str) -> SqlitePool {
    let opts: sqlx::sqlite::SqliteConnectOptions = url.parse().unwrap();
    let pieces = amana::store::pieces_path(opts.get_filename()).display().to_string();
    sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .after_connect(move |conn, _| {
            let pieces = pieces.clone();
            Box::pin(async move {
                sqlx::query("ATTACH DATABASE ? AS pieces").bind(pieces).execute(conn).await.map(drop)
            })
        })
        .connect_with(opts)
        .await
        .unwrap()
}

/// Whether the pieces file is attached and holds the pieces table.
async fn pieces_attached(pool: &SqlitePool) -> bool {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM pragma_table_list WHERE schema = 'pieces' AND name = 'attachment_pieces'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    n == 1
}

#[test]
fn time_of_day_finds_clock_times_only() {
    assert_eq!(time_of_day("2026-01-01 19:44:03"), Some("19:44"));
    assert_eq!(time_of_day("2026-01-01"), None);
    assert_eq!(time_of_day("argon2id:m=65536"), None);
}

#[test]
fn the_name_and_default_checks_catch_clocks_and_counters() {
    assert!(clock_like("later", "created_at", "TEXT").is_some());
    assert!(clock_like("later", "id", "bigserial").is_some());
    assert!(clock_like("later", "received", "timestamp with time zone").is_some());
    assert!(clock_like("later", "upload_seq", "INTEGER").is_some());
    assert!(clock_like("events", "seq", "INTEGER").is_none());
    assert!(clock_like("cases", "received_on", "TEXT").is_none());
    assert!(clock_default("CURRENT_TIMESTAMP") && clock_default("nextval('x_seq'::regclass)"));
    assert!(clock_default("(datetime('now'))") && !clock_default("(date('now'))"));
}

/// The server's ids (cases, envelopes, files, uploads) carry no order of making: ids made
/// one after another are in ascending order about half the time, as random ones are, not
/// always, as a time-ordered id (a ULID, a UUIDv7) would be.
#[test]
fn ids_are_not_time_ordered() {
    let ids: Vec<String> = (0..256).map(|_| amana::state::random_id()).collect();
    let ascending = ids.windows(2).filter(|w| w[0] < w[1]).count();
    assert!((64..192).contains(&ascending), "{ascending} of 255 consecutive ids ascend");
    assert!(ids.iter().all(|id| id.len() == 20), "80 random bits each");
}
