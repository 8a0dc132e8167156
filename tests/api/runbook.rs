//! ops/README.md, "When a pull cries tampered", run step by step with the REAL server, the
//! REAL `amana-review` and the operator's real `amana backup` / `amana restore`: what the
//! oversight unit compares between homes (`amana-review heads`), how it tells a tampered
//! database from a tampered bundle, how a quarantined case recovers, and how a reviewer
//! restores a home onto a replacement laptop.

use std::{fs, path::Path, process::Command};

use age::secrecy::ExposeSecret;
use serde_json::Value;

use crate::case_support::{arg, connected_cli};
use crate::helpers::{amana_command, open_db, review_cli, CliOutput, Reviewer, TestApp, HEALTH, OVERSIGHT};

/// `amana-review --home HOME ARGS` with no server named (the air-gapped laptop).
fn offline(r: &Reviewer, args: &[&str]) -> CliOutput {
    let mut all = vec!["--home", arg(&r.home)];
    all.extend_from_slice(args);
    review_cli(&all)
}

/// The `heads` line of `case` without its state: what two homes must agree on.
fn verified_head(r: &Reviewer, case: &str) -> String {
    let line = offline(r, &["heads", case]).ok("heads").stdout;
    line.split("  ").take(3).collect::<Vec<_>>().join("  ")
}

/// A command that must succeed (tar, the operator's amana).
fn run(cmd: &mut Command, what: &str) {
    let out = cmd.output().expect(what);
    assert!(out.status.success(), "{what}: {}", String::from_utf8_lossy(&out.stderr));
}

/// The laptop signs a pull authorization, the connected machine (no keys, no home) fetches
/// the bundle into `usb`, returning its path.
fn carry_bundle(app: &TestApp, laptop: &Reviewer, usb: &Path, n: u32) -> std::path::PathBuf {
    let auth = usb.join(format!("auth-{n}.json"));
    let bundle = usb.join(format!("bundle-{n}.json"));
    offline(laptop, &["authorize-pull", "--out", arg(&auth)]).ok("authorize-pull");
    let args =
        ["--server", app.address.as_str(), "pull", "--authorization", arg(&auth), "--out", arg(&bundle)];
    connected_cli(usb, &args).ok("connected pull");
    bundle
}

#[tokio::test]
async fn when_a_pull_cries_tampered() {
    let mut app = crate::helpers::spawn_app().await;
    let addr = app.address.clone();
    app.submit_simple("health", false).await;
    app.submit_simple("health", false).await;
    let health = app.dep.reviewer(HEALTH).clone();
    let oversight = app.dep.reviewer(OVERSIGHT).clone();
    health.cli(&addr, &["pull"]).ok("pull");
    let ids = health.listed_ids(&addr);
    let (a, b) = (ids[0].clone(), ids[1].clone());
    health.cli(&addr, &["status", &a, "acknowledged"]).ok("acknowledge");
    for r in [&health, &oversight] {
        r.cli(&addr, &["pull"]).ok("pull");
    }

    // The operator's nightly backup, and the reviewer's backup of the home (ops/README.md).
    let vault = app.dep.root().join("vault");
    fs::create_dir_all(&vault).expect("vault");
    let operator = age::x25519::Identity::generate();
    let operator_key = vault.join("operator.key");
    fs::write(&operator_key, format!("{}\n", operator.to_string().expose_secret())).expect("key");
    let nightly = vault.join("amana-nightly");
    run(
        amana_command()
            .args(["backup", "--data-dir", arg(&app.dep.data_dir()), "--out", arg(&nightly)])
            .args(["--to", &operator.to_public().to_string()]),
        "amana backup",
    );
    let home_backup = vault.join("health-home.tar.gz");
    let (parent, name) = (health.home.parent().expect("parent"), health.home.file_name().expect("name"));
    run(Command::new("tar").arg("-C").arg(parent).arg("-czf").arg(&home_backup).arg(name), "tar -czf");

    // Someone with the database rewrites case A's history (no key needed to write rows).
    let pool = open_db(&app.dep.db_path()).await;
    sqlx::query("UPDATE events SET on_date = '2001-01-01' WHERE case_id = ? AND seq = 0")
        .bind(&a)
        .execute(&pool)
        .await
        .expect("tamper");
    pool.close().await;

    // 1. Both homes cry: A is quarantined, B still pulls; `list` and `heads` say since when.
    //    (A's head did not move, so only `pull --full` fetches it again: ops/README.md.)
    for r in [&health, &oversight] {
        let out = r.cli(&addr, &["pull", "--full"]).failed("pull of a rewritten case");
        assert!(out.stderr.contains(&format!("QUARANTINED case {a}")), "{}", out.stderr);
        assert!(r.cli(&addr, &["list"]).ok("list").stdout.contains("UNVERIFIED since"));
        let heads = offline(r, &["heads"]).ok("heads").stdout;
        assert!(heads.lines().any(|l| l.starts_with(&a) && l.contains("QUARANTINED since")), "{heads}");
        assert!(heads.lines().any(|l| l.starts_with(&b) && l.ends_with("verified")), "{heads}");
    }
    // 2. Compare: both homes verified the same head of A, and both online pulls (no carrier)
    //    are refused: the server's own answer changed — a database (or server) matter.
    assert_eq!(verified_head(&health, &a), verified_head(&oversight, &a));

    // 3. A carrier's doing looks different: a bundle edited in transit is refused...
    let usb = app.dep.root().join("usb");
    fs::create_dir_all(&usb).expect("usb");
    let bundle = carry_bundle(&app, &oversight, &usb, 1);
    let mut list: Value = serde_json::from_slice(&fs::read(&bundle).expect("bundle")).expect("json");
    for case in list["cases"].as_array_mut().expect("cases") {
        if case["id"] == b.as_str() {
            case["events"][0]["on"] = "2001-01-02".into();
        }
    }
    fs::write(&bundle, serde_json::to_vec(&list).expect("json")).expect("edit bundle");
    let out = offline(&oversight, &["import", arg(&bundle)]).failed("import of an edited bundle");
    assert!(out.stderr.contains(&format!("QUARANTINED case {b}")), "{}", out.stderr);
    // ...while an online pull of the same case, by another home, verifies it: the server's
    // answer is sound, the bundle was changed after it left. A second bundle, carried by
    // someone else, lifts that quarantine.
    health.cli(&addr, &["pull"]).failed("A is still quarantined");
    assert!(offline(&health, &["heads", &b]).ok("heads").stdout.ends_with("verified\n"));
    let bundle = carry_bundle(&app, &oversight, &usb, 2);
    offline(&oversight, &["import", arg(&bundle)]).failed("A is still quarantined");
    assert!(offline(&oversight, &["heads", &b]).ok("heads").stdout.ends_with("verified\n"));

    // 4. Recovery from the database side: the operator restores the last good backup; the
    //    next pull verifies A again and ends its quarantine in every home.
    app.stop();
    fs::remove_dir_all(app.dep.data_dir()).expect("wipe");
    run(
        amana_command().args(["restore", "--data-dir", arg(&app.dep.data_dir())]).args([
            "--db",
            arg(&nightly.with_extension("db")),
            "--secrets",
            arg(&nightly.with_extension("secrets.age")),
            "--identity",
            arg(&operator_key),
        ]),
        "amana restore",
    );
    app.start_again();
    let addr = app.address.clone();
    for r in [&health, &oversight] {
        r.cli(&addr, &["pull"]).ok("pull after the restore");
        assert!(!r.cli(&addr, &["list"]).ok("list").stdout.contains("UNVERIFIED"));
        assert!(offline(r, &["heads", &a]).ok("heads").stdout.ends_with("verified\n"));
    }

    // 5. A replacement laptop: the home backup unpacked, the fingerprint checked against the
    //    paper from the ceremony, then a pull that must extend every pinned head.
    let laptop = app.dep.root().join("new-laptop");
    fs::create_dir_all(&laptop).expect("laptop");
    run(Command::new("tar").arg("-C").arg(&laptop).arg("-xzf").arg(&home_backup), "tar -xzf");
    let restored = Reviewer { id: health.id.clone(), home: laptop.join(name) };
    let paper = app.dep.roster_fingerprint();
    let out = offline(&restored, &["trust-roster", &paper]).ok("trust-roster");
    assert!(out.stdout.contains("already trusts"), "{}", out.stdout);
    assert_eq!(verified_head(&restored, &b), verified_head(&health, &b), "the pins came along");
    restored.cli(&addr, &["pull"]).ok("pull on the replacement laptop");
    assert_eq!(verified_head(&restored, &a), verified_head(&health, &a));
    let shown = restored.cli(&addr, &["show", &a]).ok("show").stdout;
    assert!(shown.contains("acknowledged"), "{shown}");
}
