//! `amana backup` / `amana restore`: a backup restored into an empty data directory serves
//! old cases by their old codes, and reviewers can still pull and decrypt them.

use std::{
    fs,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::Output,
};

use age::secrecy::ExposeSecret;
use serde_json::json;

use crate::helpers::{amana_command, postgres_url, Deployment, KeyGen, PgDatabase, TestApp, OVERSIGHT};

/// The SQLite database and its companion files present in `data_dir` (at least the database).
fn database_files(data_dir: &Path) -> Vec<PathBuf> {
    let files: Vec<PathBuf> = [
        "amana.db",
        "amana.db-wal",
        "amana.db-shm",
        "amana.db-journal",
        "amana.db.pieces",
        "amana.db.pieces-journal",
    ]
    .iter()
    .map(|f| data_dir.join(f))
    .filter(|p| p.exists())
    .collect();
    assert!(files.iter().any(|p| p.ends_with("amana.db")), "no database in {}", data_dir.display());
    files
}

/// Each file is readable and writable by its owner alone (0600), whatever the umask made.
#[track_caller]
fn assert_private(files: &[PathBuf]) {
    for f in files {
        let mode = fs::metadata(f).expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{} has mode {mode:o}", f.display());
    }
}

/// `amana restore` of the database file `db` and the secrets beside it into `data_dir`.
fn restore_command(data_dir: &Path, db: &Path, identity_file: &Path) -> std::process::Command {
    let mut cmd = amana_command();
    cmd.args(["restore", "--data-dir"])
        .arg(data_dir)
        .arg("--db")
        .arg(db)
        .arg("--secrets")
        .arg(db.with_extension("secrets.age"))
        .arg("--identity")
        .arg(identity_file);
    cmd
}

/// `amana restore` of the backup at `out` into `data_dir`.
fn restore(data_dir: &Path, out: &Path, identity_file: &Path) -> Output {
    restore_command(data_dir, &out.with_extension("db"), identity_file).output().expect("run restore")
}

#[tokio::test]
async fn a_restored_backup_serves_old_codes_and_decrypts() {
    let mut app = TestApp::start(Deployment::standard(KeyGen::InProcess), &[]);
    // A report with an evidence file: its pieces live in `amana.db.pieces`, which the backup
    // must carry too.
    let evidence: Vec<u8> =
        (0..3 * 1024 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    let form = reqwest::multipart::Form::new()
        .text("kind", "violation")
        .text("agency", "health")
        .text("body", "backed-up report ٣٤")
        .part("attachment", reqwest::multipart::Part::bytes(evidence.clone()).file_name("ledger.bin"));
    let resp = app.client.post(app.url("/api/v1/reports")).multipart(form).send().await.expect("submit");
    assert_eq!(resp.status(), 201);
    let code =
        resp.json::<serde_json::Value>().await.expect("json")["code"].as_str().expect("code").to_string();
    let operator = age::x25519::Identity::generate();
    let dir = tempfile::tempdir().expect("tempdir");
    let identity_file = dir.path().join("operator.key");
    fs::write(&identity_file, format!("{}\n", operator.to_string().expose_secret())).expect("identity");
    let out = dir.path().join("nightly");
    // Online backup while the server runs.
    let backup = amana_command()
        .args(["backup", "--data-dir"])
        .arg(app.dep.data_dir())
        .arg("--out")
        .arg(&out)
        .args(["--to", &operator.to_public().to_string()])
        .output()
        .expect("run backup");
    assert!(backup.status.success(), "{}", String::from_utf8_lossy(&backup.stderr));
    let secrets = fs::read(out.with_extension("secrets.age")).expect("secrets file");
    assert!(secrets.starts_with(b"age-encryption.org/v1\n"), "secrets must be encrypted");
    assert_private(&[
        out.with_extension("db"),
        out.with_extension("pieces"),
        out.with_extension("secrets.age"),
    ]);
    assert_private(&database_files(&app.dep.data_dir()));

    // Disaster: the data directory is gone.
    app.stop();
    fs::remove_dir_all(app.dep.data_dir()).expect("wipe");
    let restored = restore(&app.dep.data_dir(), &out, &identity_file);
    assert!(restored.status.success(), "{}", String::from_utf8_lossy(&restored.stderr));

    assert_private(&database_files(&app.dep.data_dir()));
    // A database an older release left readable by others is made private at start.
    let db = app.dep.data_dir().join("amana.db");
    fs::set_permissions(&db, fs::Permissions::from_mode(0o644)).expect("chmod");
    app.start_again();
    assert_eq!(app.status_of(&code).await, "received", "the old code works after restore");
    assert_private(&database_files(&app.dep.data_dir()));
    let reviewer = app.dep.reviewer(OVERSIGHT);
    reviewer.cli(&app.address, &["pull"]).ok("pull from the restored server");
    let id = reviewer.listed_ids(&app.address).pop().expect("a case");
    let shown = reviewer.cli(&app.address, &["show", &id]).ok("show");
    assert!(shown.stdout.contains("backed-up report ٣٤"), "{}", shown.stdout);
    let out_dir = dir.path().join("export");
    reviewer.cli(&app.address, &["export", &id, out_dir.to_str().expect("utf-8")]).ok("export");
    let exported = fs::read_dir(&out_dir)
        .expect("export dir")
        .map(|e| e.expect("entry").path())
        .find(|p| p.to_string_lossy().contains("ledger"))
        .expect("the evidence file exported");
    assert!(fs::read(exported).expect("read") == evidence, "the restored evidence file differs");
    // Restoring over existing data is refused.
    app.stop();
    let again = restore(&app.dep.data_dir(), &out, &identity_file);
    assert!(!again.status.success());
}

/// `amana restore` of a PostgreSQL backup at `out` into `data_dir` and the database `url`.
fn restore_pg(data_dir: &Path, out: &Path, identity_file: &Path, url: &str) -> Output {
    restore_command(data_dir, &out.with_extension("pgdump"), identity_file)
        .args(["--database-url", url])
        .output()
        .expect("run restore")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pg_dump_backup_restored_into_a_fresh_database_serves_old_codes_and_decrypts() {
    let test = "a_pg_dump_backup_restored_into_a_fresh_database_serves_old_codes_and_decrypts";
    let Some(admin) = postgres_url(test) else { return };
    let original = PgDatabase::create(&admin, "amana_api").await;
    let dep = Deployment::standard(KeyGen::InProcess);
    dep.init_secrets();
    let mut app = TestApp::start(dep, &[("AMANA_DATABASE_URL", original.url.as_str())]);
    let code = app.submit(&json!({ "kind": "violation", "agency": "health", "body": "pg backup ٥٦" })).await;
    let reviewer = app.dep.reviewer(OVERSIGHT).clone();
    reviewer.cli(&app.address, &["pull"]).ok("pull before the backup");
    let id = reviewer.listed_ids(&app.address).pop().expect("a case");
    reviewer.cli(&app.address, &["status", &id, "acknowledged"]).ok("acknowledge");

    let operator = age::x25519::Identity::generate();
    let dir = tempfile::tempdir().expect("tempdir");
    let identity_file = dir.path().join("operator.key");
    fs::write(&identity_file, format!("{}\n", operator.to_string().expose_secret())).expect("identity");
    let out = dir.path().join("nightly");
    let backup = amana_command()
        .args(["backup", "--data-dir"])
        .arg(app.dep.data_dir())
        .args(["--database-url", &original.url, "--out"])
        .arg(&out)
        .args(["--to", &operator.to_public().to_string()])
        .output()
        .expect("run backup");
    assert!(backup.status.success(), "{}", String::from_utf8_lossy(&backup.stderr));
    assert!(
        fs::read(out.with_extension("pgdump")).expect("dump").starts_with(b"PGDMP"),
        "a custom-format dump"
    );
    assert_private(&[out.with_extension("pgdump"), out.with_extension("secrets.age")]);

    // Disaster: the database and the node's data directory are gone.
    app.stop();
    drop(original);
    fs::remove_dir_all(app.dep.data_dir()).expect("wipe");
    let fresh = PgDatabase::create(&admin, "amana_api").await;
    let restored = restore_pg(&app.dep.data_dir(), &out, &identity_file, &fresh.url);
    assert!(restored.status.success(), "{}", String::from_utf8_lossy(&restored.stderr));

    app.set_env("AMANA_DATABASE_URL", &fresh.url);
    app.start_again();
    assert_eq!(app.status_of(&code).await, "acknowledged", "the old code works after restore");
    // The same home pulls again: the restored history extends the one it verified before.
    reviewer.cli(&app.address, &["pull"]).ok("pull from the restored server");
    let shown = reviewer.cli(&app.address, &["show", &id]).ok("show");
    assert!(shown.stdout.contains("pg backup ٥٦"), "{}", shown.stdout);
    app.stop();

    // Restoring into a database that is not empty is refused, and so is a dump without a URL.
    let again = restore_pg(&dir.path().join("other-node"), &out, &identity_file, &fresh.url);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("not empty"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let no_url = amana_command()
        .args(["restore", "--data-dir"])
        .arg(dir.path().join("third-node"))
        .arg("--db")
        .arg(out.with_extension("pgdump"))
        .arg("--secrets")
        .arg(out.with_extension("secrets.age"))
        .arg("--identity")
        .arg(&identity_file)
        .output()
        .expect("run restore");
    assert!(!no_url.status.success());
    assert!(String::from_utf8_lossy(&no_url.stderr).contains("--database-url"));
}
