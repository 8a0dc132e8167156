//! Persistence behind one trait, so SQLite (embedded default) and PostgreSQL (scale-out)
//! are interchangeable. All SQL lives in the dialect modules.
//!
//! What is stored is exactly the list in SECURITY.md ("What the server knows"): reporter
//! content only as age ciphertext, dates only (never times), no addresses, no codes.

use amana_core::case::{Kind, Status};
use amana_core::payload::Part;
use amana_core::wire::CaseBundle;
use time::Date;

pub mod sqlite;

/// Errors from the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The lookup index is taken: draw a new lookup part and try again.
    #[error("lookup index collision")]
    LookupCollision,
    /// The case changed under us (e.g. a concurrent status change).
    #[error("case status changed concurrently")]
    Conflict,
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// A case to insert, with its first envelope, in one transaction.
pub struct NewCase {
    pub id: String,
    pub kind: Kind,
    pub agency: String,
    pub oversight_only: bool,
    pub received_on: Date,
    pub lookup_index: [u8; 32],
    pub kdf_salt: Vec<u8>,
    pub kdf_params: String,
    pub verifier: Vec<u8>,
    pub reporter_recipient: String,
    pub envelope_id: String,
    pub ciphertext: Vec<u8>,
}

/// What a code check needs to verify the reporter.
pub struct CaseCredentials {
    pub id: String,
    pub kdf_salt: Vec<u8>,
    pub kdf_params: String,
    pub verifier: Vec<u8>,
}

/// The clear metadata of a case.
#[derive(Debug, Clone)]
pub struct CaseMeta {
    pub id: String,
    pub kind: Kind,
    pub agency: String,
    pub oversight_only: bool,
    pub status: Status,
    pub received_on: Date,
}

/// A status change, appended to the case's history.
pub struct StatusUpdate<'a> {
    pub case_id: &'a str,
    pub from: Status,
    pub to: Status,
    pub on: Date,
    pub actor: &'a str,
}

/// An envelope to append to an existing case.
pub struct NewEnvelope<'a> {
    pub id: &'a str,
    pub case_id: &'a str,
    pub part: Part,
    pub created_on: Date,
    pub ciphertext: &'a [u8],
}

/// The persistence interface. Every method is tested against each backend.
#[async_trait::async_trait]
pub trait Store: Send + Sync {
    /// Applies pending migrations.
    async fn migrate(&self) -> Result<(), StoreError>;
    /// Inserts a case, its first envelope and its first event atomically and durably.
    async fn insert_case(&self, case: &NewCase) -> Result<(), StoreError>;
    /// Finds the credentials stored under a lookup index.
    async fn credentials(
        &self,
        lookup_index: &[u8; 32],
    ) -> Result<Option<CaseCredentials>, StoreError>;
    /// The clear metadata of one case.
    async fn case_meta(&self, id: &str) -> Result<Option<CaseMeta>, StoreError>;
    /// Every case, with envelopes and history, that `filter` admits.
    async fn bundles(
        &self,
        filter: &(dyn for<'a> Fn(&'a CaseMeta) -> bool + Sync),
    ) -> Result<Vec<CaseBundle>, StoreError>;
    /// Compare-and-set of a case's status, with a history event.
    async fn set_status(&self, update: &StatusUpdate<'_>) -> Result<(), StoreError>;
    /// Appends an envelope to a case.
    async fn add_envelope(&self, envelope: &NewEnvelope<'_>) -> Result<(), StoreError>;
    /// Records a nonce; `false` if it was already used.
    async fn use_nonce(&self, nonce: &str, expires_on: Date) -> Result<bool, StoreError>;
    /// Forgets nonces whose window has passed.
    async fn purge_nonces(&self, today: Date) -> Result<u64, StoreError>;
}

fn parse_date(s: &str) -> Result<Date, StoreError> {
    Date::parse(s, &time::format_description::well_known::Iso8601::DATE)
        .map_err(|_| StoreError::Corrupt(format!("bad date `{s}`")))
}

/// Formats a date as stored: `YYYY-MM-DD`.
pub fn format_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn parse_name<T: std::str::FromStr>(s: &str) -> Result<T, StoreError> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("bad name `{s}`")))
}
