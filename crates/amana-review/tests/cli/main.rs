//! End-to-end tests of the `amana-review` binary (one test binary, several modules).

// Tests may unwrap: a failed expectation is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod actions;
mod airgap;
mod attachments;
mod desk;
mod export;
mod keygen;
mod kpis;
mod offline;
mod online;
mod receipts;
mod room;
mod support;
