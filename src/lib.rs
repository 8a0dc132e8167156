//! The Amana server: reporter intake and status, the signed reviewer API, and the stores.
//! `main.rs` is a thin shell over [`cli::run`].
#![forbid(unsafe_code)]

pub mod auth;
pub mod backup;
pub mod cli;
pub mod config;
pub mod demo;
pub mod error;
pub mod followup;
pub mod form_token;
pub mod i18n;
pub mod improvements;
pub mod intake;
pub mod json;
pub mod kdf_pool;
pub mod keys;
pub mod limits;
pub mod openapi;
pub mod pages;
pub mod pepper;
pub mod private_files;
pub mod public;
pub mod retention;
pub mod review_api;
pub mod routes;
pub mod schemas;
pub mod server;
pub mod server_key;
pub mod startup;
pub mod state;
pub mod status;
pub mod store;
pub mod telemetry;
pub mod transparency;
pub mod upload;
