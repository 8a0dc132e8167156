//! The database writer of the hostile suite (SECURITY.md "Who can do what"): someone who
//! can run SQL against the server's database — a DBA, a restored backup, an injection — and
//! holds no key at all. The same attacks run against SQLite and PostgreSQL: each statement
//! is written once with `$N` placeholders, which both drivers accept.

use amana_core::events::{self, Event, EventKind};
use serde_json::Value;

use crate::helpers::{open_db, postgres_url, spawn_app, Deployment, KeyGen, PgDatabase, TestApp};

/// A connection to the server's database, whichever it is.
pub enum Writer {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// One value bound to a statement.
pub enum Arg<'a> {
    Text(&'a str),
    OptText(Option<&'a str>),
    Int(i64),
    Blob(&'a [u8]),
}

/// Runs `$body` with `$pool` bound to the pool of either backend (the two arms are typed
/// apart, so one text serves both).
macro_rules! on_pool {
    ($writer:expr, $pool:ident => $body:expr) => {
        match $writer {
            Writer::Sqlite($pool) => $body,
            Writer::Postgres($pool) => $body,
        }
    };
}

/// Binds `args` in order to `sql`.
macro_rules! bound {
    ($query:expr, $args:expr) => {{
        let mut q = $query;
        for a in $args {
            q = match a {
                Arg::Text(t) => q.bind(t.to_string()),
                Arg::OptText(t) => q.bind(t.map(str::to_string)),
                Arg::Int(i) => q.bind(*i),
                Arg::Blob(b) => q.bind(b.to_vec()),
            };
        }
        q
    }};
}

impl Writer {
    /// Runs a statement; returns the rows it changed.
    pub async fn exec(&self, sql: &str, args: &[Arg<'_>]) -> u64 {
        on_pool!(self, p => bound!(sqlx::query(sql), args).execute(p).await.map(|r| r.rows_affected()))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The first column of every row, as text.
    pub async fn texts(&self, sql: &str, args: &[Arg<'_>]) -> Vec<String> {
        on_pool!(self, p => bound!(sqlx::query_scalar::<_, String>(sql), args).fetch_all(p).await)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The first column of every row, as bytes.
    pub async fn blobs(&self, sql: &str, args: &[Arg<'_>]) -> Vec<Vec<u8>> {
        on_pool!(self, p => bound!(sqlx::query_scalar::<_, Vec<u8>>(sql), args).fetch_all(p).await)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Appends a forged event to a case, linked and hashed as the server would (a careful
    /// forger), but unsigned: no key was needed to write it.
    pub async fn insert_forged_event(&self, case: &str, kind: EventKind, detail: Value) {
        self.append_event(case, kind, None, detail, None).await;
    }

    /// Appends an event as the server would link and hash it, by `actor` with the signed
    /// request `signed` (JSON of a `SignedAction`), if any — the writer may hold a genuine
    /// signature that the server itself refused to act on.
    pub async fn append_event(
        &self,
        case: &str,
        kind: EventKind,
        actor: Option<&str>,
        detail: Value,
        signed: Option<String>,
    ) {
        let last = self
            .texts(
                "SELECT CAST(seq AS TEXT) || ' ' || hash || ' ' || status FROM events \
                 WHERE case_id = $1 ORDER BY seq DESC LIMIT 1",
                &[Arg::Text(case)],
            )
            .await;
        let last = last.first().expect("the case's last event");
        let mut parts = last.split(' ');
        let mut next = || parts.next().expect("seq, hash and status").to_string();
        let (seq, prev_hash, status) = (next().parse::<i64>().expect("seq"), next(), next());
        let mut e = Event {
            seq: seq + 1,
            on: time::OffsetDateTime::now_utc().date(),
            kind,
            status: status.parse().expect("status"),
            actor: actor.map(str::to_string),
            detail: detail.to_string(),
            signed,
            prev_hash,
            hash: String::new(),
        };
        e.hash = events::compute_hash(case, &e);
        let on = e.on.to_string();
        self.exec(
            "INSERT INTO events (case_id, seq, on_date, kind, status, actor, detail, signed, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[
                Arg::Text(case),
                Arg::Int(e.seq),
                Arg::Text(&on),
                Arg::Text(kind.as_str()),
                Arg::Text(&status),
                Arg::OptText(e.actor.as_deref()),
                Arg::Text(&e.detail),
                Arg::OptText(e.signed.as_deref()),
                Arg::Text(&e.prev_hash),
                Arg::Text(&e.hash),
            ],
        )
        .await;
    }

    /// Closes the pool (SQLite: so the server's next checkpoint is not held up).
    pub async fn close(self) {
        on_pool!(self, p => p.close().await);
    }
}

/// A running server with its database open to the attacker, on one backend.
pub struct Target {
    pub app: TestApp,
    pub backend: &'static str,
    /// Keeps the PostgreSQL database alive until the test ends.
    _pg: Option<PgDatabase>,
}

impl Target {
    /// The PostgreSQL database's URL (`None` on SQLite), for commands run beside the server.
    pub fn database_url(&self) -> Option<&str> {
        self._pg.as_ref().map(|db| db.url.as_str())
    }

    /// A connection for the attacker (open a new one per attack; close it after).
    pub async fn writer(&self) -> Writer {
        match &self._pg {
            None => Writer::Sqlite(open_db(&self.app.dep.db_path()).await),
            Some(db) => {
                Writer::Postgres(sqlx::PgPool::connect(&db.url).await.expect("connect as the writer"))
            }
        }
    }
}

/// A test that plays `$scenario` (an `async fn(&mut Target)`) against the real server on
/// SQLite, then on PostgreSQL (see [`targets`]); doc comments inside the call are the test's.
macro_rules! on_both_backends {
    ($(#[$doc:meta])* $name:ident => $scenario:ident) => {
        $(#[$doc])*
        #[tokio::test]
        async fn $name() {
            for mut t in crate::db_writer::targets(stringify!($name)).await {
                eprintln!("on {}", t.backend);
                $scenario(&mut t).await;
            }
        }
    };
}
pub(crate) use on_both_backends;

/// The standard deployment on SQLite, then on PostgreSQL when the test server is there
/// (always in CI: see [`postgres_url`]).
pub async fn targets(test: &str) -> Vec<Target> {
    let mut all = vec![Target { app: spawn_app().await, backend: "sqlite", _pg: None }];
    if let Some(admin) = postgres_url(test) {
        let db = PgDatabase::create(&admin).await;
        let dep = Deployment::standard(KeyGen::Cli);
        dep.init_secrets();
        let app = TestApp::start(dep, &[("AMANA_DATABASE_URL", db.url.as_str())]);
        all.push(Target { app, backend: "postgresql", _pg: Some(db) });
    }
    all
}
