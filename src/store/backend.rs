//! The seam between the one set of statements ([`super::sql_store`]) and the two databases.
//!
//! A statement is a [`Stmt`]: its SQL text, with `$N` placeholders (which SQLite takes as
//! well as PostgreSQL), and its bound values as data. [`Backend`] is what truly differs per
//! database (transaction modes, read snapshots, locking, migrations, scrubbing); [`Exec`]
//! runs a statement on either, written once for both.

use amana_core::ciphertext::Ciphertext;
use std::borrow::Cow;

use sqlx::error::BoxDynError;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Arguments, Database, Encode, Executor, FromRow, IntoArguments, Pool, Transaction, Type};
use time::Date;

use super::{format_date, StoreError};

/// One bound value: the few column types the schema uses on both databases.
#[derive(Debug, Clone)]
pub enum Arg<'a> {
    Text(Option<Cow<'a, str>>),
    Blob(Option<&'a [u8]>),
    Int(Option<i64>),
    Int32(Option<i32>),
    Small(Option<i16>),
    Bool(bool),
}

macro_rules! arg_from {
    ($($t:ty => |$v:ident| $e:expr),* $(,)?) => {$(
        impl<'a> From<$t> for Arg<'a> {
            fn from($v: $t) -> Self {
                $e
            }
        }
    )*};
}

arg_from! {
    &'a str => |v| Arg::Text(Some(Cow::Borrowed(v))),
    &'a String => |v| Arg::Text(Some(Cow::Borrowed(v))),
    String => |v| Arg::Text(Some(Cow::Owned(v))),
    Option<&'a str> => |v| Arg::Text(v.map(Cow::Borrowed)),
    Date => |v| Arg::Text(Some(Cow::Owned(format_date(v)))),
    Option<Date> => |v| Arg::Text(v.map(|d| Cow::Owned(format_date(d)))),
    &'a [u8] => |v| Arg::Blob(Some(v)),
    &'a Vec<u8> => |v| Arg::Blob(Some(v)),
    &'a Ciphertext => |v| Arg::Blob(Some(v.as_bytes())),
    i64 => |v| Arg::Int(Some(v)),
    Option<i64> => |v| Arg::Int(v),
    i32 => |v| Arg::Int32(Some(v)),
    Option<i16> => |v| Arg::Small(v),
    bool => |v| Arg::Bool(v),
}

/// A statement and its bound values, in placeholder order (`$1` is the first).
#[derive(Debug, Clone)]
pub struct Stmt<'a> {
    sql: String,
    args: Vec<Arg<'a>>,
}

impl<'a> Stmt<'a> {
    pub fn new(sql: impl Into<String>) -> Self {
        Self { sql: sql.into(), args: Vec::new() }
    }

    /// Binds the next placeholder of the text given so far.
    pub fn bind(mut self, value: impl Into<Arg<'a>>) -> Self {
        self.args.push(value.into());
        self
    }

    /// Appends SQL text.
    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Appends a placeholder numbered after every value bound so far, bound to `value`.
    pub fn push_bind(&mut self, value: impl Into<Arg<'a>>) -> &mut Self {
        self.args.push(value.into());
        let n = self.args.len();
        self.sql.push_str(&format!("${n}"));
        self
    }

    /// The SQL text, as sent.
    pub fn sql(&self) -> &str {
        &self.sql
    }
}

/// A row type both databases decode: a struct deriving `sqlx::FromRow`, or a tuple.
pub trait Record: Send + Unpin + for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> {}
impl<T> Record for T where T: Send + Unpin + for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> {}

/// What differs between SQLite and PostgreSQL; implemented in `sqlite.rs` and `postgres.rs`.
#[async_trait::async_trait]
pub trait Backend: Database {
    /// A transaction for a change: it must not fail on a lock upgrade (SQLite) nor on a
    /// serialization error when it queued behind another change (PostgreSQL).
    async fn begin_write(pool: &Pool<Self>) -> Result<Transaction<'static, Self>, sqlx::Error>;
    /// A write transaction for one attachment piece, on the pool made for pieces; its commit
    /// need not wait for the disk (the claiming commit does).
    async fn begin_piece(pieces: &Pool<Self>) -> Result<Transaction<'static, Self>, sqlx::Error>;
    /// A read-only transaction whose every statement sees one snapshot.
    async fn begin_snapshot(pool: &Pool<Self>) -> Result<Transaction<'static, Self>, sqlx::Error>;
    /// Inside a write transaction: holds the case still until the commit, so that a check
    /// made next stays true (retention's delete).
    async fn lock_case(conn: &mut Self::Connection, id: &str) -> Result<(), sqlx::Error>;
    /// Inside a write transaction: holds every file claim still until the commit, so that a
    /// quota checked next stays true.
    async fn lock_files(conn: &mut Self::Connection) -> Result<(), sqlx::Error>;
    /// Applies pending migrations.
    async fn migrate(pool: &Pool<Self>) -> Result<(), StoreError>;
    /// Deletes attachment pieces that no file row names (SQLite, whose pieces live in another
    /// file: `pieces_file`); returns how many.
    async fn drop_orphan_pieces(conn: &mut Self::Connection) -> Result<u64, sqlx::Error>;
    /// See [`super::Store::scrub`].
    async fn scrub(pool: &Pool<Self>) -> Result<bool, StoreError>;
    fn rows_affected(done: &Self::QueryResult) -> u64;
    /// Maps a row into `T` (one line per backend: the mapping itself is `T`'s `FromRow`).
    fn decode<T: Record>(row: &Self::Row) -> Result<T, sqlx::Error>;
}

/// Runs [`Stmt`]s; one implementation for every [`Backend`].
#[async_trait::async_trait]
pub trait Exec: Backend {
    /// Runs a statement; returns how many rows it changed.
    async fn execute(conn: &mut Self::Connection, stmt: Stmt<'_>) -> Result<u64, StoreError>;
    async fn fetch_all<T: Record>(conn: &mut Self::Connection, stmt: Stmt<'_>) -> Result<Vec<T>, StoreError>;
    async fn fetch_optional<T: Record>(
        conn: &mut Self::Connection,
        stmt: Stmt<'_>,
    ) -> Result<Option<T>, StoreError>;
}

/// The bound values as the database's arguments.
fn arguments<'q, DB: Database>(args: &'q [Arg<'q>]) -> Result<DB::Arguments<'q>, BoxDynError>
where
    Option<&'q str>: Encode<'q, DB> + Type<DB>,
    Option<&'q [u8]>: Encode<'q, DB> + Type<DB>,
    Option<i64>: Encode<'q, DB> + Type<DB>,
    Option<i32>: Encode<'q, DB> + Type<DB>,
    Option<i16>: Encode<'q, DB> + Type<DB>,
    bool: Encode<'q, DB> + Type<DB>,
{
    let mut out = DB::Arguments::default();
    for arg in args {
        match arg {
            Arg::Text(v) => out.add(v.as_deref())?,
            Arg::Blob(v) => out.add(*v)?,
            Arg::Int(v) => out.add(*v)?,
            Arg::Int32(v) => out.add(*v)?,
            Arg::Small(v) => out.add(*v)?,
            Arg::Bool(v) => out.add(*v)?,
        }
    }
    Ok(out)
}

#[async_trait::async_trait]
impl<DB> Exec for DB
where
    DB: Backend,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q [u8]>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i32>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i16>: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
{
    async fn execute(conn: &mut DB::Connection, stmt: Stmt<'_>) -> Result<u64, StoreError> {
        let query = sqlx::query_with(&stmt.sql, arguments::<DB>(&stmt.args).map_err(sqlx::Error::Encode)?);
        Ok(DB::rows_affected(&query.execute(conn).await?))
    }

    async fn fetch_all<T: Record>(conn: &mut DB::Connection, stmt: Stmt<'_>) -> Result<Vec<T>, StoreError> {
        let query = sqlx::query_with(&stmt.sql, arguments::<DB>(&stmt.args).map_err(sqlx::Error::Encode)?);
        let rows = query.fetch_all(conn).await?;
        Ok(rows.iter().map(DB::decode).collect::<Result<_, _>>()?)
    }

    async fn fetch_optional<T: Record>(
        conn: &mut DB::Connection,
        stmt: Stmt<'_>,
    ) -> Result<Option<T>, StoreError> {
        let query = sqlx::query_with(&stmt.sql, arguments::<DB>(&stmt.args).map_err(sqlx::Error::Encode)?);
        let row = query.fetch_optional(conn).await?;
        Ok(row.as_ref().map(DB::decode).transpose()?)
    }
}
