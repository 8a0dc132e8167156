//! Choosing the backend from the URL, and the secrets a PostgreSQL node must be given.

use std::{
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use amana::config::DataSettings;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::harness::*;

fn settings(dir: &Path, url: &str) -> DataSettings {
    DataSettings {
        data_dir: dir.to_path_buf(),
        database_url: Some(url.to_string()),
        database_max_connections: None,
    }
}

#[tokio::test]
async fn unknown_schemes_are_refused_never_guessed() {
    let dir = tempfile::tempdir().unwrap();
    for url in ["mysql://x/amana", "amana.db", "", "postgre://x", "file:amana.db"] {
        let err = match amana::startup::open_store(&settings(dir.path(), url)).await {
            Ok(_) => panic!("{url:?} opened a store"),
            Err(e) => format!("{e:#}"),
        };
        assert!(err.contains("unknown database URL scheme"), "{url:?}: {err}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "a refused URL left a file behind");
}

#[tokio::test]
async fn both_postgres_schemes_open_postgres() {
    with_postgres(|db| async move {
        let dir = tempfile::tempdir().unwrap();
        let alias = db.url().replacen("postgres://", "postgresql://", 1);
        for url in [db.url(), alias.as_str()] {
            let store = amana::startup::open_store(&settings(dir.path(), url)).await.expect(url);
            assert!(store.use_nonce(&amana_core::signing::new_nonce(), day("2026-01-01")).await.unwrap());
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no SQLite file beside PostgreSQL");
    })
    .await
}

#[tokio::test]
async fn the_pool_size_setting_caps_connections_per_node() {
    with_postgres(|db| async move {
        let dir = tempfile::tempdir().unwrap();
        let mut data = settings(dir.path(), db.url());
        data.database_max_connections = Some(2);
        let store = amana::startup::open_store(&data).await.expect("open");
        let tasks: Vec<_> = (0..24)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { store.case_metas(&amana::store::CaseFilter::all()).await.unwrap().len() })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), 0);
        }
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(db.url()).await.unwrap();
        let open: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'amana'",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        assert!((1..=2).contains(&open), "{open} connections with a pool of 2");
        drop(store);
    })
    .await
}

#[tokio::test]
async fn tls_url_options_parse_and_a_required_tls_is_never_downgraded() {
    use sqlx::postgres::{PgConnectOptions, PgSslMode};
    // The documented form for a remote database parses ...
    let opts: PgConnectOptions =
        "postgres://amana@db.internal:5432/amana?sslmode=verify-full&sslrootcert=/etc/amana/db-ca.pem"
            .parse()
            .expect("parse");
    assert!(matches!(opts.get_ssl_mode(), PgSslMode::VerifyFull));
    // ... and is never silently served in clear: this build has no TLS client, so a URL
    // that requires TLS is refused (here against the test server, which has no TLS either).
    with_postgres(|db| async move {
        let dir = tempfile::tempdir().unwrap();
        let sep = if db.url().contains('?') { '&' } else { '?' };
        for mode in ["require", "verify-ca", "verify-full"] {
            let url = format!("{}{sep}sslmode={mode}", db.url());
            let err = match amana::startup::open_store(&settings(dir.path(), &url)).await {
                Ok(_) => panic!("sslmode={mode} connected without TLS"),
                Err(e) => format!("{e:#}"),
            };
            assert!(err.contains("cannot connect to the PostgreSQL database"), "{err}");
            assert!(err.contains("TLS"), "{mode}: {err}");
        }
    })
    .await
}

#[tokio::test]
async fn unreachable_postgres_is_a_clear_error_without_the_password() {
    let dir = tempfile::tempdir().unwrap();
    // Port 1 on loopback: nothing listens there.
    let url = "postgres://amana:hunter2secret@127.0.0.1:1/amana";
    let err = match amana::startup::open_store(&settings(dir.path(), url)).await {
        Ok(_) => panic!("connected to nothing"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains("cannot connect to the PostgreSQL database"), "{err}");
    assert!(!err.contains("hunter2secret"), "the password leaked into the message: {err}");
}

fn amana(data: &Path, keys: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_amana"));
    cmd.args(args).arg("--data-dir").arg(data);
    if args.first() == Some(&"serve") {
        cmd.args(["--listen", "127.0.0.1:0", "--keys"]).arg(keys);
    }
    for var in ["AMANA_DATABASE_URL", "AMANA_DATA_DIR", "AMANA_KEYS", "AMANA_LISTEN"] {
        cmd.env_remove(var);
    }
    cmd.stdin(Stdio::null()).kill_on_drop(true);
    cmd
}

async fn fails_with(mut cmd: Command) -> String {
    let out = tokio::time::timeout(Duration::from_secs(60), cmd.output()).await.expect("exits").unwrap();
    assert!(!out.status.success(), "started: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn init_secrets_creates_once_and_keeps() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let files: [PathBuf; 2] = [data.join("pepper"), data.join("server-signing.key")];
    let out = amana(&data, dir.path(), &["init-secrets"]).output().await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.matches("created").count(), 2, "{stdout}");
    let before: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    for f in &files {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }
    assert_eq!(mode(&data), 0o700);
    let out = amana(&data, dir.path(), &["init-secrets"]).output().await.unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).matches("kept").count(), 2);
    let after: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    assert_eq!(before, after, "init-secrets replaced an existing secret");
}

#[tokio::test]
async fn a_postgres_node_never_creates_secrets_and_starts_with_them() {
    with_postgres(|db| async move {
        let dir = tempfile::tempdir().unwrap();
        let (data, keys) = (dir.path().join("data"), dir.path().join("keys"));
        std::fs::create_dir_all(&keys).unwrap();
        let (pepper, key) = (data.join("pepper"), data.join("server-signing.key"));
        let serve = || amana(&data, &keys, &["serve", "--database-url", db.url()]);

        let err = fails_with(serve()).await;
        assert!(err.contains(&pepper.display().to_string()) && err.contains("init-secrets"), "{err}");
        assert!(!pepper.exists() && !key.exists(), "a PostgreSQL node created a secret");

        let out = amana(&data, &keys, &["init-secrets"]).output().await.unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let (pepper_bytes, key_text) = (std::fs::read(&pepper).unwrap(), std::fs::read(&key).unwrap());
        std::fs::remove_file(&key).unwrap();
        let err = fails_with(serve()).await;
        assert!(err.contains(&key.display().to_string()), "{err}");
        assert!(!key.exists(), "a PostgreSQL node created the signing key");
        std::fs::write(&key, &key_text).unwrap();

        // With both secrets present the node migrates the database and serves.
        let mut child = serve().stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let listening = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if line.starts_with("amana listening on") {
                    return true;
                }
            }
            false
        })
        .await;
        child.kill().await.unwrap();
        assert_eq!(listening, Ok(true), "the node did not start on PostgreSQL");
        assert_eq!(std::fs::read(&pepper).unwrap(), pepper_bytes);
        assert!(!data.join("amana.db").exists(), "a SQLite file beside PostgreSQL");
    })
    .await
}

/// The check on the shared test server (which has `track_commit_timestamp` off, the
/// default) and the decision on each value `SHOW` may give; `commit_ts.rs` starts a server
/// with it on and sees a node refuse it.
#[tokio::test]
async fn a_postgres_that_records_commit_times_is_refused() {
    use amana::store::postgres::{commit_timestamps_allowed, refuse_commit_timestamps};
    with_postgres(|db| async move {
        let pool = sqlx::PgPool::connect(db.url()).await.unwrap();
        let (setting,): (String,) =
            sqlx::query_as("SHOW track_commit_timestamp").fetch_one(&pool).await.unwrap();
        assert_eq!(setting, "off", "the test server records commit times");
        refuse_commit_timestamps(&pool).await.unwrap();
        pool.close().await;
        for on in ["on", "ON", "true"] {
            let refused = commit_timestamps_allowed(on).unwrap_err();
            assert!(matches!(refused, amana::store::StoreError::Refused(_)), "{refused}");
            assert!(refused.to_string().contains("track_commit_timestamp"), "{refused}");
        }
        commit_timestamps_allowed("off").unwrap();
    })
    .await
}
