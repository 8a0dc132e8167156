//! The PostgreSQL server for tests, named by `AMANA_TEST_DATABASE_URL`
//! (`bash .ci/with-postgres` starts a throw-away one and sets it), and a throw-away
//! database on it.

use std::io::Write;
use std::sync::Once;

use sqlx::{Connection, Executor, PgConnection};

/// The environment variable naming the PostgreSQL server for tests.
pub const PG_ENV: &str = "AMANA_TEST_DATABASE_URL";

/// The test server's URL, or `None` when `what` may be skipped: without the variable it
/// fails when `CI` is set (PostgreSQL must be tested there) and is skipped otherwise, with
/// one notice per process telling how to run it (`rerun`).
pub fn postgres_url(what: &str, rerun: &str) -> Option<String> {
    match std::env::var(PG_ENV) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| !v.is_empty()) => {
            panic!("{PG_ENV} is not set but CI is: {what} must run against PostgreSQL. Use `{rerun}`")
        }
        _ => {
            static NOTICE: Once = Once::new();
            NOTICE.call_once(|| {
                // Straight to stderr: the test harness captures `eprintln!` of passing tests.
                let _ = writeln!(
                    std::io::stderr(),
                    "NOTICE: {PG_ENV} is not set; {what} (PostgreSQL) is SKIPPED. Run it with `{rerun}`."
                );
            });
            None
        }
    }
}

/// `url` with its database replaced by `name` (query parameters kept).
fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL with ://");
    let (rest, query) = rest.split_once('?').map_or((rest, None), |(r, q)| (r, Some(q)));
    let authority = rest.split('/').next().unwrap_or_default();
    let query = query.map(|q| format!("?{q}")).unwrap_or_default();
    format!("{scheme}://{authority}/{name}{query}")
}

/// A new, empty PostgreSQL database with a random name on the test server; dropped (with
/// any connections still open) when this value is dropped, also when a test panics.
pub struct PgDatabase {
    admin_url: String,
    pub name: String,
    /// The URL of this database.
    pub url: String,
}

impl PgDatabase {
    /// Creates the database, named `<prefix>_<random hex>`.
    pub async fn create(admin_url: &str, prefix: &str) -> Self {
        let name = format!("{prefix}_{}", hex::encode(rand::random::<[u8; 8]>()));
        let mut admin = PgConnection::connect(admin_url).await.expect("connect to the test PostgreSQL");
        admin.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("create a test database");
        let _ = admin.close().await;
        Self { admin_url: admin_url.to_string(), url: with_database(admin_url, &name), name }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop cannot await; a thread with its own runtime can.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                if let Ok(mut admin) = PgConnection::connect(&admin_url).await {
                    let _ =
                        admin.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await;
                }
            })
        })
        .join();
    }
}
