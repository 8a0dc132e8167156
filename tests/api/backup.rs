//! `amana backup` / `amana restore`: a backup restored into an empty data directory serves
//! old cases by their old codes, and reviewers can still pull and decrypt them.

use std::{fs, path::Path, process::Output};

use age::secrecy::ExposeSecret;
use serde_json::json;

use crate::helpers::{amana_command, Deployment, KeyGen, TestApp, OVERSIGHT};

/// `amana restore` of the backup at `out` into `data_dir`.
fn restore(data_dir: &Path, out: &Path, identity_file: &Path) -> Output {
    amana_command()
        .args(["restore", "--data-dir"])
        .arg(data_dir)
        .arg("--db")
        .arg(out.with_extension("db"))
        .arg("--secrets")
        .arg(out.with_extension("secrets.age"))
        .arg("--identity")
        .arg(identity_file)
        .output()
        .expect("run restore")
}

#[tokio::test]
async fn a_restored_backup_serves_old_codes_and_decrypts() {
    let mut app = TestApp::start(Deployment::standard(KeyGen::InProcess), &[]);
    let code =
        app.submit(&json!({ "kind": "violation", "agency": "health", "body": "backed-up report ٣٤" })).await;
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

    // Disaster: the data directory is gone.
    app.stop();
    fs::remove_dir_all(app.dep.data_dir()).expect("wipe");
    let restored = restore(&app.dep.data_dir(), &out, &identity_file);
    assert!(restored.status.success(), "{}", String::from_utf8_lossy(&restored.stderr));

    app.start_again();
    assert_eq!(app.status_of(&code).await, "received", "the old code works after restore");
    let reviewer = app.dep.reviewer(OVERSIGHT);
    reviewer.cli(&app.address, &["pull"]).ok("pull from the restored server");
    let id = reviewer.listed_ids(&app.address).pop().expect("a case");
    let shown = reviewer.cli(&app.address, &["show", &id]).ok("show");
    assert!(shown.stdout.contains("backed-up report ٣٤"), "{}", shown.stdout);
    // Restoring over existing data is refused.
    app.stop();
    let again = restore(&app.dep.data_dir(), &out, &identity_file);
    assert!(!again.status.success());
}
