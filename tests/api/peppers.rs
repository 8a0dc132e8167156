//! Versioned peppers (the leaked-pepper runbook): `amana init-secrets --new-pepper` adds a
//! version for new codes; codes issued under the old one keep working, also after a backup
//! is restored.

use std::fs;

use age::secrecy::ExposeSecret;

use crate::helpers::{amana_command, open_db, Deployment, KeyGen, TestApp};

fn run(cmd: &mut std::process::Command, what: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("run {what}: {e}"));
    assert!(out.status.success(), "{what}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn a_new_pepper_serves_new_codes_while_old_codes_keep_working() {
    let mut app = TestApp::start(Deployment::standard(KeyGen::InProcess), &[]);
    let old_code = app.submit_simple("health", false).await;
    let data = app.dep.data_dir();
    let first = fs::read(data.join("pepper")).expect("pepper");

    // Rotation: a new version, then a restart.
    let printed =
        run(amana_command().args(["init-secrets", "--new-pepper", "--data-dir"]).arg(&data), "new pepper");
    assert!(printed.contains("pepper.2"), "{printed}");
    assert_eq!(fs::read(data.join("pepper")).expect("pepper"), first, "version 1 is kept as it was");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(fs::metadata(data.join("pepper.2")).expect("pepper.2").permissions().mode() & 0o777, 0o600);
    app.restart();
    let new_code = app.submit_simple("transport", false).await;
    assert_eq!(app.status_of(&old_code).await, "received", "an old code works after the rotation");
    assert_eq!(app.status_of(&new_code).await, "received");

    // Each case records the version that made its lookup index.
    let pool = open_db(&app.dep.db_path()).await;
    let ids: Vec<(String, i64)> = sqlx::query_as("SELECT agency, pepper_id FROM cases ORDER BY agency")
        .fetch_all(&pool)
        .await
        .expect("query");
    pool.close().await;
    assert_eq!(ids, [("health".to_string(), 1), ("transport".to_string(), 2)]);

    // The new code needs the new pepper: without pepper.2 it is unknown, the old one works.
    app.stop();
    let second = fs::read(data.join("pepper.2")).expect("pepper.2");
    fs::remove_file(data.join("pepper.2")).expect("hide pepper.2");
    app.start_again();
    assert_eq!(app.check_code(&new_code).await.status(), 404);
    assert_eq!(app.status_of(&old_code).await, "received");
    app.stop();
    fs::write(data.join("pepper.2"), &second).expect("put pepper.2 back");
    fs::set_permissions(data.join("pepper.2"), fs::Permissions::from_mode(0o600)).expect("chmod");
    // Losing version 1 is refused at start, never papered over with a new pepper.
    fs::rename(data.join("pepper"), data.join("pepper.saved")).expect("hide pepper");
    let mut serve = amana_command()
        .args(crate::helpers::serve_args(&app.dep, "127.0.0.1:0"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run serve");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(status) = serve.try_wait().expect("try_wait") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = serve.kill();
            panic!("amana serve started without pepper version 1");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut serve.stderr.take().expect("stderr"), &mut stderr)
        .expect("read stderr");
    assert!(!status.success());
    assert!(stderr.contains("version 1"), "{stderr}");
    assert!(!data.join("pepper").exists(), "a new version 1 was created");
    fs::rename(data.join("pepper.saved"), data.join("pepper")).expect("restore pepper");

    // Backup and restore carry every version.
    let operator = age::x25519::Identity::generate();
    let dir = tempfile::tempdir().expect("tempdir");
    let identity_file = dir.path().join("operator.key");
    fs::write(&identity_file, format!("{}\n", operator.to_string().expose_secret())).expect("identity");
    let out = dir.path().join("nightly");
    run(
        amana_command()
            .args(["backup", "--data-dir"])
            .arg(&data)
            .arg("--out")
            .arg(&out)
            .args(["--to", &operator.to_public().to_string()]),
        "backup",
    );
    fs::remove_dir_all(&data).expect("wipe");
    run(
        amana_command()
            .args(["restore", "--data-dir"])
            .arg(&data)
            .arg("--db")
            .arg(out.with_extension("db"))
            .arg("--secrets")
            .arg(out.with_extension("secrets.age"))
            .arg("--identity")
            .arg(&identity_file),
        "restore",
    );
    assert_eq!(fs::read(data.join("pepper.2")).expect("restored pepper.2"), second);
    app.start_again();
    assert_eq!(app.status_of(&old_code).await, "received");
    assert_eq!(app.status_of(&new_code).await, "received");
}
