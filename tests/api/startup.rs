//! Start-up: unsafe configurations are refused with a message that says what to do, and
//! with no keys on loopback the server runs a clearly marked demo whose reviewer homes work
//! with the real CLI.

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::json;

use crate::helpers::{
    amana_command, contains_bytes, files_under, serve_args, Deployment, KeyGen, Reviewer, TestApp, CLIENT_IP,
};

/// Runs `amana ARGS`, which must exit (not serve) within 60 s; returns (success, stderr).
fn run_to_exit(mut cmd: Command) -> (bool, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let err_path = dir.path().join("stderr");
    let err = std::fs::File::create(&err_path).expect("stderr file");
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::from(err)).spawn().expect("spawn amana");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "amana kept running instead of refusing:\n{}",
                std::fs::read_to_string(&err_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status.success(), std::fs::read_to_string(&err_path).expect("read stderr"))
}

fn serve(dep: &Deployment, listen: &str, extra: &[&str]) -> Command {
    let mut cmd = amana_command();
    cmd.args(serve_args(dep, listen)).args(extra);
    cmd
}

fn serve_without_test_kdf(dep: &Deployment, listen: &str) -> Command {
    let mut cmd = amana_command();
    cmd.args(serve_args(dep, listen).into_iter().filter(|a| a != "--insecure-test-kdf"));
    cmd
}

#[test]
fn public_address_without_keys_is_refused() {
    let dep = Deployment::empty();
    let (ok, stderr) = run_to_exit(serve_without_test_kdf(&dep, "0.0.0.0:0"));
    assert!(!ok, "served on 0.0.0.0 without keys");
    let lower = stderr.to_lowercase();
    assert!(lower.contains("demo") && lower.contains("loopback"), "{stderr}");
    assert!(!dep.data_dir().join("demo").exists(), "demo keys made for a public address");
}

#[test]
fn test_kdf_on_a_public_address_is_refused() {
    let dep = Deployment::standard(KeyGen::InProcess);
    let (ok, stderr) = run_to_exit(serve(&dep, "0.0.0.0:0", &[]));
    assert!(!ok, "served the test KDF on 0.0.0.0");
    assert!(stderr.contains("insecure-test-kdf"), "{stderr}");
    assert!(stderr.contains("loopback"), "{stderr}");
}

#[test]
fn unknown_database_scheme_is_refused() {
    let dep = Deployment::standard(KeyGen::InProcess);
    let (ok, stderr) = run_to_exit(serve(&dep, "127.0.0.1:0", &["--database-url", "mysql://x"]));
    assert!(!ok, "served with a mysql:// URL");
    assert!(stderr.contains("unknown database URL scheme"), "{stderr}");
    // The same from the environment.
    let mut cmd = amana_command();
    cmd.args(serve_args(&dep, "127.0.0.1:0")).env("AMANA_DATABASE_URL", "mongodb://x");
    let (ok, stderr) = run_to_exit(cmd);
    assert!(!ok && stderr.contains("unknown database URL scheme"), "{stderr}");
}

#[test]
fn a_secret_key_in_the_key_directory_is_refused() {
    let dep = Deployment::standard(KeyGen::InProcess);
    let home = &dep.reviewers[0].home;
    std::fs::copy(home.join("identity.age"), dep.keys_dir().join("reviewers").join("leaked.toml"))
        .expect("copy");
    let (ok, stderr) = run_to_exit(serve(&dep, "127.0.0.1:0", &[]));
    assert!(!ok, "served with a secret key in keys/");
    assert!(stderr.contains("SECRET"), "{stderr}");
}

#[test]
fn a_secret_key_anywhere_in_the_key_directory_is_refused() {
    let dep = Deployment::standard(KeyGen::InProcess);
    dep.sign_roster();
    let keys = dep.keys_dir();
    let identity = std::fs::read(dep.reviewers[0].home.join("identity.age")).expect("identity");
    let signing = std::fs::read(dep.reviewers[0].home.join("signing.key")).expect("signing key");
    let agencies = std::fs::read(keys.join("agencies.toml")).expect("agencies");
    // Beside the signed roster (which the server reads instead of reviewers/), in a file the
    // server never parses, and deeper down: each is refused.
    let plants: [(&str, Vec<u8>); 3] = [
        ("roster.key", identity.clone()),
        ("old/backup/signing.key", signing),
        ("agencies.toml", [agencies.clone(), b"\n# ".to_vec(), identity].concat()),
    ];
    for (name, content) in plants {
        let path = keys.join(name);
        let before = std::fs::read(&path).ok();
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, content).expect("plant");
        let (ok, stderr) = run_to_exit(serve(&dep, "127.0.0.1:0", &[]));
        assert!(!ok, "served with a secret key in keys/{name}");
        assert!(stderr.contains("SECRET") && stderr.contains(name), "{name}: {stderr}");
        match before {
            Some(b) => std::fs::write(&path, b).expect("restore"),
            None => std::fs::remove_file(&path).expect("remove"),
        }
    }
}

#[tokio::test]
async fn demo_mode_on_loopback_is_marked_and_works_with_the_cli() {
    let app = TestApp::start(Deployment::empty(), &[]);
    let stderr = app.stderr();
    assert!(stderr.contains("DEMO MODE"), "{stderr}");

    for path in ["/ar/", "/en/", "/en/status", "/fa/report/violation"] {
        let page = app.get(path).await.text().await.expect("page");
        assert!(page.contains(r#"class="demo""#), "no demo banner on {path}");
        assert!(!path.starts_with("/en/") || page.contains("DEMO MODE"), "no demo banner on {path}");
    }
    // Demo centres, and Jordan's four axes for the demo health ministry.
    let list: serde_json::Value = app.get("/api/v1/agencies").await.json().await.expect("agencies");
    assert_eq!(list["agencies"][0]["centres"][0]["id"], "central-hospital", "{list}");
    assert_eq!(list["agencies"][0]["questionnaire"], "service-axes");
    let body = format!("demo report {}", amana_core::signing::new_nonce());
    let code = app
        .submit(&json!({"kind": "inquiry", "agency": "health", "body": body, "contact": "demo-contact-x"}))
        .await;
    let resp = app
        .client
        .post(app.url("/en/report"))
        .form(&[("kind", "complaint"), ("agency", "municipality"), ("body", "b")])
        .send()
        .await
        .expect("form");
    assert_eq!(resp.status(), 201);
    assert!(resp.text().await.expect("page").contains("DEMO MODE"));

    // The demo oversight home is usable as is: its config names this server.
    let demo_root = app.dep.data_dir().join("demo");
    let oversight = Reviewer { id: "demo-oversight".into(), home: demo_root.join("demo-oversight") };
    let out = crate::helpers::review_cli(&["--home", oversight.home.to_str().expect("utf-8"), "pull"])
        .ok("demo pull without --server");
    assert!(out.stdout.contains("pulled 2 cases"), "{}", out.stdout);
    let ids = oversight.listed_ids(&app.address);
    assert_eq!(ids.len(), 2);
    let shown: String =
        ids.iter().map(|id| oversight.cli(&app.address, &["show", id]).ok("show").stdout).collect();
    assert!(shown.contains(&body), "{shown}");
    assert!(shown.contains("contact: demo-contact-x"), "{shown}");

    // The demo agency reviewer sees its agency's case only. Its home names the deployment
    // before any online command (the air gap needs it), and the banner shows how to use it.
    let health = Reviewer { id: "demo-health".into(), home: demo_root.join("demo-health") };
    let config = std::fs::read_to_string(health.home.join("config.toml")).expect("config.toml");
    assert!(config.contains("deployment_id = \"amana-demo\""), "{config}");
    let home_line = format!("amana-review --home {} pull", health.home.display());
    assert!(stderr.contains(&home_line) || app.stdout().contains(&home_line), "binary form in the banner");
    health.cli(&app.address, &["pull"]).ok("demo-health pull");
    let case = health.listed_ids(&app.address);
    assert_eq!(case.len(), 1);
    health.cli(&app.address, &["status", &case[0], "acknowledged"]).ok("demo status");
    assert_eq!(app.status_of(&code).await, "acknowledged");

    // Demo mode keeps the same privacy rules: nothing of the report, the code or the
    // client in the data directory (which holds the demo keys and homes).
    let digits = code.replace(' ', "");
    for file in files_under(&app.dep.data_dir()) {
        let bytes = std::fs::read(&file).expect("read");
        for needle in
            [body.as_str(), "demo-contact-x", code.as_str(), digits.as_str(), &CLIENT_IP.to_string()]
        {
            assert!(!contains_bytes(&bytes, needle.as_bytes()), "`{needle}` in {}", file.display());
        }
    }
}
