//! Fixtures that the server's tests (`tests/api`, `tests/store`) and the CLI's tests
//! (`amana-review`'s unit tests and `tests/cli`) share, written once:
//!
//! - [`Signer`]: a reviewer key that signs requests and builds the signed actions the server
//!   records;
//! - [`chain`]: case bundles with a real hash chain, attested as the server attests
//!   submissions, escalations, follow-ups and ratings ([`chain::Attesters`]);
//! - `postgres` (feature `postgres`): the test PostgreSQL server and a throw-away database.
//!
//! A dev-dependency only, so test code never reaches a release binary.

// Test fixtures fail loudly: a broken fixture is a failed test, never a request path.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod chain;
#[cfg(feature = "postgres")]
pub mod postgres;
mod signer;

pub use signer::{signed_action, Signer};
