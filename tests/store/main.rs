//! The store test suite: every `Store` method, written once, run against a real SQLite
//! file and a real PostgreSQL server (`<test>::sqlite` and `<test>::postgres`).
//!
//! PostgreSQL comes from `AMANA_TEST_DATABASE_URL`; `bash .ci/with-postgres <command>`
//! starts a throw-away server and sets it. See `harness.rs` for what happens without it.

// Tests may unwrap: a failed expectation is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod harness;

mod attachments;
mod cases;
mod changes;
mod commit_ts;
mod concurrency;
mod custody;
mod improvements;
mod migration;
mod nonces;
mod pieces;
mod pulls;
mod ratings;
mod resumable;
mod retention;
mod schema;
mod setup;
