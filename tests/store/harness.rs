//! A fresh database per test, of either backend, and the fixtures the tests share.
//!
//! SQLite: a file in a temp directory. PostgreSQL: a new database with a random name on
//! the server named by `AMANA_TEST_DATABASE_URL` (any database on it; the user must be
//! allowed to create databases), dropped after the test even when it fails. Without that
//! variable the PostgreSQL half fails when `CI` is set and is skipped, with a notice,
//! otherwise. `.ci/with-postgres` starts a throw-away server and sets the variable.

use std::{future::Future, sync::Arc};

use amana::config::DataSettings;
pub use amana::store::CaseFilter;
use amana::store::{NewCase, NewEnvelope, NewEvent, Store};
use amana_core::case::Kind;
use amana_core::deadlines::Deadlines;
use amana_core::events::{Event, EventKind};
use amana_core::payload::Part;
use amana_core::signing;
use amana_testkit::postgres::{postgres_url, PgDatabase};
use amana_testkit::Signer;
use rand::RngCore;
use ring::signature::KeyPair;
use tempfile::TempDir;
use time::{Date, Duration};

/// One fresh, empty database. Cheap to clone; every [`TestDb::open`] is a separate store
/// with its own connection pool, as a second `amana serve` node would have.
#[derive(Clone)]
pub struct TestDb {
    url: String,
    dir: Arc<TempDir>,
}

impl TestDb {
    /// Opens (and migrates) a new store on this database through `open_store`, the path
    /// the server takes.
    pub async fn open(&self) -> Arc<dyn Store> {
        let data = DataSettings {
            data_dir: self.dir.path().to_path_buf(),
            database_url: Some(self.url.clone()),
            database_max_connections: None,
        };
        amana::startup::open_store(&data).await.expect("open the store")
    }

    /// The database URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// Runs `test` on a fresh SQLite file.
pub async fn with_sqlite<F, Fut>(test: F)
where
    F: FnOnce(TestDb) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
    let url = format!("sqlite://{}", dir.path().join("amana.db").display());
    test(TestDb { url, dir }).await;
}

/// Runs `test` on a new PostgreSQL database, dropped afterwards (also when `test` panics).
pub async fn with_postgres<F, Fut>(test: F)
where
    F: FnOnce(TestDb) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let rerun = "bash .ci/with-postgres cargo test -p amana --test store";
    let Some(admin_url) = postgres_url("the store tests", rerun) else { return };
    let pg = PgDatabase::create(&admin_url, "amana_test").await;
    let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
    let db = TestDb { url: pg.url.clone(), dir };
    // Spawned so a failing test still reaches the drop (and so the DROP DATABASE) below.
    let outcome = tokio::spawn(test(db)).await;
    drop(pg);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Declares each listed `async fn(TestDb)` as two tests, `<name>::sqlite` and
/// `<name>::postgres`, so every test is written once and runs on both backends.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                $crate::harness::with_sqlite(super::$name).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                $crate::harness::with_postgres(super::$name).await
            }
        }
    )*};
}

/// A date from `YYYY-MM-DD`.
pub fn day(s: &str) -> Date {
    Date::parse(s, &time::format_description::well_known::Iso8601::DATE).expect("a date")
}

/// `d` plus `n` days.
pub fn plus(d: Date, n: i64) -> Date {
    d + Duration::days(n)
}

/// Random bytes.
/// `bytes` as the store's ciphertext type (the store tests check exact bytes and sizes).
pub fn ct(bytes: Vec<u8>) -> amana_core::ciphertext::Ciphertext {
    amana_core::ciphertext::Ciphertext::for_tests(bytes)
}

pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut b = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b
}

/// A case received on `received`, deadlines after the default policy (7 / 90 days).
pub fn new_case(id: &str, received: Date) -> NewCase {
    let mut lookup_index = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut lookup_index);
    NewCase {
        id: id.to_string(),
        kind: Kind::Violation,
        agency: "health".into(),
        oversight_only: false,
        received_on: received,
        deadlines: Deadlines { acknowledge_by: plus(received, 7), feedback_by: plus(received, 97) },
        lookup_index,
        pepper_id: 1,
        kdf_salt: random_bytes(16),
        kdf_params: "argon2id:m=65536,t=3,p=1".into(),
        verifier: random_bytes(32),
        reporter_recipient: format!("age1{id}"),
        envelope_id: format!("{id}-report"),
        ciphertext: ct(random_bytes(1024)),
        attachments: None,
        reporter_key: String::new(),
        commitment: String::new(),
        attest: None,
        evaluation: Default::default(),
    }
}

/// A fresh random id.
pub fn random_id() -> String {
    hex::encode(random_bytes(12))
}

/// An envelope of `part`.
pub fn envelope(part: Part) -> NewEnvelope {
    NewEnvelope { id: random_id(), part, ciphertext: ct(random_bytes(1024)) }
}

/// An unsigned event (reporter or server action).
pub fn event(kind: EventKind) -> NewEvent {
    assert!(!kind.is_reviewer_action(), "reviewer events are signed: use Reviewer::event");
    NewEvent { kind, actor: None, detail: "{}".into(), signed: None, attest: None }
}

/// The deployment id used in signatures.
pub const DEPLOYMENT: &str = "amana-test";

/// A reviewer who signs events, so chains with reviewer actions verify for real.
pub struct Reviewer {
    pub id: String,
    signer: Signer,
}

impl Reviewer {
    /// A new reviewer with a fresh Ed25519 key.
    pub fn new(id: &str) -> Self {
        Self { id: id.to_string(), signer: Signer::generate(id, DEPLOYMENT) }
    }

    /// A reviewer event carrying a real signed request.
    pub fn event(&self, kind: EventKind, case_id: &str, detail: &str) -> NewEvent {
        let path = format!("/api/v1/review/cases/{case_id}/{}", kind.as_str());
        let signed = self.signer.action_at(&path, detail.to_string(), 1_780_000_000, &signing::new_nonce());
        NewEvent {
            kind,
            actor: Some(self.id.clone()),
            detail: detail.to_string(),
            signed: Some(signed),
            attest: None,
        }
    }

    /// Verifies a case's whole history (links, hashes, this reviewer's signatures) and
    /// returns the head hash.
    pub fn verify(&self, case_id: &str, events: &[Event]) -> String {
        let public = self.signer.key.public_key().as_ref().to_vec();
        let key_for = |id: &str| (id == self.id).then(|| public.clone());
        amana_core::events::verify_chain(case_id, DEPLOYMENT, events, &key_for)
            .unwrap_or_else(|e| panic!("the chain of {case_id} does not verify: {e}"))
    }
}

/// A case's history, read through `records`.
pub async fn history(store: &dyn Store, case_id: &str) -> Vec<Event> {
    let mut records = store.records(&CaseFilter::case(case_id)).await.expect("records");
    assert_eq!(records.len(), 1, "case {case_id} not found");
    records.remove(0).events
}
