//! End-to-end tests of the `amana-review` binary (one test binary, several modules).

mod keygen;
mod offline;
mod online;
mod support;
