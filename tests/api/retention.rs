//! `amana purge`: a closed case past its retention period is deleted — by the real binary,
//! next to the running server — and its ciphertext is gone from the SQLite file and its WAL;
//! a case with fresh reporter content (a rating) is kept until the quiet days have passed.

use std::{fs, process::Output};

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use serde_json::json;

use crate::helpers::{
    amana_command, contains_bytes, files_under, open_db, status_body, Deployment, KeyGen, TestApp, OVERSIGHT,
};

fn purge(app: &TestApp, extra: &[&str]) -> Output {
    let out = amana_command()
        .arg("purge")
        .arg("--data-dir")
        .arg(app.dep.data_dir())
        .args(["--retention-days", "0"])
        .args(extra)
        .output()
        .expect("run amana purge");
    assert!(
        out.status.success(),
        "amana purge failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Every byte of every file in the data directory (the database, its WAL and shm).
fn data_bytes(app: &TestApp) -> Vec<u8> {
    files_under(&app.dep.data_dir()).iter().flat_map(|f| fs::read(f).expect("read data file")).collect()
}

#[tokio::test]
async fn purge_removes_a_closed_case_and_its_ciphertext_from_the_sqlite_files() {
    let app = TestApp::start(Deployment::standard(KeyGen::InProcess), &[]);
    let oversight = app.dep.reviewer(OVERSIGHT).clone();
    let code = app.submit_simple("health", false).await;
    let kept_code = app.submit_simple("transport", false).await;
    let cases = app.cases_as(&oversight).await;
    let case = cases.iter().find(|c| c.agency == "health").expect("the health case");
    let ciphertext = B64.decode(&case.envelopes[0].age_b64).expect("base64");
    // 64 bytes from the middle of the age file: random-looking, found nowhere else.
    let marker = ciphertext[ciphertext.len() / 2..][..64].to_vec();
    // Checkpointed into the main file first, so the test shows that secure_delete overwrites
    // it there (not merely that a never-checkpointed WAL was thrown away).
    let pool = open_db(&app.dep.db_path()).await;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&pool).await.expect("checkpoint");
    pool.close().await;
    let main_file = fs::read(app.dep.db_path()).expect("read amana.db");
    assert!(contains_bytes(&main_file, &marker), "the marker must be in amana.db before the purge");

    for status in ["acknowledged", "closed_action_taken"] {
        let path = format!("/api/v1/review/cases/{}/status", case.id);
        let resp =
            app.signed(&oversight, "POST", &path, &status_body(status, &app.head(&case.id).await)).await;
        assert_eq!(resp.status(), 204, "{status}");
    }
    let rated = app.post_json("/api/v1/rating", &json!({ "code": code, "rating": 4 })).await;
    assert!(rated.status().is_success(), "rating: {}", rated.status());

    // Rated today: never purged within the quiet days, whatever the retention period.
    let out = purge(&app, &["--after-content-days", "1"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("0 closed case(s) purged; 1 closed case(s) kept")
    );
    let dry = purge(&app, &["--after-content-days", "0", "--dry-run"]);
    assert!(String::from_utf8_lossy(&dry.stdout).contains(&case.id));
    assert_eq!(app.status_of(&code).await, "closed_action_taken", "a dry run deletes nothing");

    // Past both: purged while the server runs, and scrubbed.
    let out = purge(&app, &["--after-content-days", "0"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("1 closed case(s) purged") && stdout.contains(&case.id), "{stdout}");
    let bytes = data_bytes(&app);
    assert!(!contains_bytes(&bytes, &marker), "purged ciphertext is still in the SQLite file or WAL");
    assert!(!contains_bytes(&bytes, case.id.as_bytes()), "the purged case id is still in the files");
    let wal = app.dep.data_dir().join("amana.db-wal");
    assert!(fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) == 0, "the WAL was not truncated");

    // The case is gone for the reviewers; its reporter's code only learns that it was purged
    // (SECURITY.md, "After a purge"); the open case is untouched.
    assert_eq!(app.check_code(&code).await.status(), 410);
    assert_eq!(app.status_of(&kept_code).await, "received");
    let left = app.cases_as(&oversight).await;
    assert_eq!(left.iter().map(|c| c.agency.as_str()).collect::<Vec<_>>(), ["transport"]);
    assert_eq!(app.count_rows("envelopes").await, 1);
    assert_eq!(app.count_rows("events").await, 1);
}
