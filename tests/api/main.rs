//! Integration tests: the real `amana` server on port 0 against a real SQLite database, and
//! the real `amana-review` CLI. One test binary (`cargo test --test api`).

// Tests may unwrap: a failed expectation is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod abuse;
mod airgap;
mod attachments;
mod auditor;
mod backup;
mod bad_envelope;
mod bad_input;
mod case_support;
mod cli_output;
mod closing;
mod codes;
mod custody;
mod db_writer;
mod doc_references;
mod evaluation_pages;
mod hardening;
mod heads;
mod helpers;
mod hostile;
mod improvements;
mod leaks;
mod lifecycle;
mod nodes;
mod onboarding;
mod oversight;
mod pages;
mod peppers;
mod public_api;
mod pulls;
mod resumable;
mod retention;
mod revocation;
mod rewrap;
mod round_trip;
mod runbook;
mod services;
mod signed_requests;
mod startup;
mod transparency;
