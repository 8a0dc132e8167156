//! What `amana-review` prints, as new reviewers met it: a closed pipe is not a crash, and
//! `list` says what needs attention.

use std::{io::Read, process::Stdio};

use crate::helpers::{review_command, Deployment, KeyGen, TestApp, HEALTH};

/// `amana-review pull | head -1`: the reader goes away after one line. The pull must neither
/// panic (exit 101) nor stop half-way: it completes and stores what it verified.
#[tokio::test]
async fn a_closed_pipe_neither_panics_nor_cuts_a_pull_short() {
    let app = TestApp::start(Deployment::standard(KeyGen::InProcess), &[]);
    for _ in 0..3 {
        app.submit_simple("health", false).await;
    }
    let health = app.dep.reviewer(HEALTH).clone();
    let home = health.home.to_str().expect("utf-8").to_string();
    let mut child = review_command(&["--home", &home, "--server", &app.address, "pull"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn pull");
    // `head -1`: read one byte, then close the pipe before the rest is written.
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 1];
    stdout.read_exact(&mut first).expect("the first byte");
    drop(stdout);
    let mut stderr = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("stderr");
    let status = child.wait().expect("wait");
    assert!(status.success(), "pull with a closed pipe: {status:?}\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(health.listed_ids(&app.address).len(), 3, "the pull completed");
}

/// `kpis --officers`: the oversight unit sees each reviewer's timeliness on its terminal; an
/// agency reviewer is refused, whatever its home says, because the signed roster decides.
#[tokio::test]
async fn officers_figures_are_for_oversight_only() {
    let app = TestApp::start(Deployment::standard(KeyGen::InProcess), &[]);
    app.submit_simple("health", false).await;
    let health = app.dep.reviewer(HEALTH).clone();
    health.cli(&app.address, &["pull"]).ok("pull");
    let case = health.listed_ids(&app.address).remove(0);
    health.cli(&app.address, &["status", &case, "acknowledged"]).ok("acknowledge");
    health.cli(&app.address, &["reply", &case, "--message", "we are on it"]).ok("reply");
    let oversight = app.dep.reviewer(crate::helpers::OVERSIGHT).clone();
    oversight.cli(&app.address, &["pull"]).ok("oversight pulls");
    let out = oversight.cli(&app.address, &["kpis", "--officers"]).ok("officers").stdout;
    assert!(out.contains("officers (oversight only"), "{out}");
    assert!(out.contains(&format!("{HEALTH}  1  0.0  0.0  0  0")), "{out}");
    health.cli(&app.address, &["pull"]).ok("pull");
    let refused = health.cli(&app.address, &["kpis", "--officers"]).failed("an agency key");
    assert!(refused.stderr.contains("for oversight reviewers only"), "{}", refused.stderr);
}
