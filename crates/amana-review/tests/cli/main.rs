//! End-to-end tests of the `amana-review` binary (one test binary, several modules).

mod actions;
mod airgap;
mod attachments;
mod export;
mod keygen;
mod kpis;
mod offline;
mod online;
mod receipts;
mod support;
