//! Published figures (SECURITY.md, "Published figures"): oversight's signed file uploaded by
//! the real CLI from a machine with no key, served verbatim as JSON and as a page in every
//! language; refused when an agency key signed it, when it was changed after signing, when
//! its period is too recent, and a second time; and never served once a database writer
//! changes it.

use amana_core::disclosure::Count;
use amana_core::publication::{self, AgencyFigures, Document, Signed};
use serde_json::Value;
use time::macros::date;

use crate::helpers::{
    open_db, review_cli, CliOutput, Deployment, KeyGen, Reviewer, TestApp, HEALTH, OVERSIGHT,
};

fn document(from: time::Date, to: time::Date) -> Document {
    Document {
        format: publication::FORMAT.into(),
        deployment_id: crate::helpers::DEPLOYMENT_ID.into(),
        from,
        to,
        k: 5,
        agencies: vec![AgencyFigures {
            agency: "health".into(),
            received: Count::About(10),
            received_by_kind: [("violation".to_string(), Count::About(10))].into(),
            acknowledged_on_time: Some(0.5),
            median_days_to_acknowledge: Some(2.0),
            satisfaction: None,
            rated: Count::FewerThan(5),
            acknowledged: Some(Count::About(10)),
            settled: Some(Count::About(10)),
            median_days_to_first_reply: None,
            replied: Some(Count::FewerThan(5)),
            evaluations: vec![],
        }],
    }
}

/// `amana-review --server URL publish-figures FILE` from a directory with no home.
fn upload(app: &TestApp, dir: &std::path::Path, name: &str, signed: &Signed) -> CliOutput {
    let file = dir.join(name);
    std::fs::write(&file, serde_json::to_vec(signed).expect("json")).expect("write");
    review_cli(&["--server", &app.address, "publish-figures", file.to_str().expect("utf-8")])
}

fn signed_by(r: &Reviewer, doc: &Document) -> Signed {
    publication::sign(&r.signing_key(), &r.id, doc).expect("sign")
}

#[tokio::test]
async fn oversight_figures_are_published_once_and_served_as_signed() {
    let app = TestApp::start(Deployment::standard(KeyGen::InProcess), &[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let oversight = app.dep.reviewer(OVERSIGHT).clone();
    let health = app.dep.reviewer(HEALTH).clone();
    let january = document(date!(2026 - 01 - 01), date!(2026 - 01 - 31));

    // Refused: an agency key's signature, a changed document, a period too recent.
    let out = upload(&app, dir.path(), "agency.json", &signed_by(&health, &january)).failed("agency key");
    assert!(out.stderr.contains("not a current oversight key"), "{}", out.stderr);
    let mut changed = signed_by(&oversight, &january);
    changed.document = changed.document.replace("\"about\":10", "\"about\":100");
    let out = upload(&app, dir.path(), "changed.json", &changed).failed("changed after signing");
    assert!(out.stderr.contains("does not verify"), "{}", out.stderr);
    let today = time::OffsetDateTime::now_utc().date();
    let recent =
        signed_by(&oversight, &document(today - time::Duration::days(30), today - time::Duration::days(1)));
    let out = upload(&app, dir.path(), "recent.json", &recent).failed("too recent");
    assert!(out.stderr.contains("published only 120 days after it ends"), "{}", out.stderr);

    // Published, then frozen.
    let signed = signed_by(&oversight, &january);
    upload(&app, dir.path(), "january.json", &signed).ok("publish-figures");
    let out = upload(&app, dir.path(), "again.json", &signed_by(&oversight, &january)).failed("twice");
    assert!(out.stderr.contains("published once"), "{}", out.stderr);

    // Served verbatim: anyone can check the signature again.
    let list: Value = app.get("/api/v1/transparency").await.json().await.expect("json");
    let served: Signed = serde_json::from_value(list["publications"][0].clone()).expect("signed file");
    assert_eq!(served, signed);
    let page = app.get("/en/transparency").await.text().await.expect("page");
    assert!(page.contains("≈ 10") && page.contains("50%") && page.contains("2.0"), "{page}");
    let ar = app.get("/ar/transparency").await.text().await.expect("page");
    assert!(ar.contains("≈ ١٠") && ar.contains("أرقام الشفافية"), "{ar}");

    // A database writer raises a figure: the file no longer verifies and is not served.
    let pool = open_db(&app.dep.db_path()).await;
    let tampered = serde_json::to_string(&Signed {
        document: signed.document.replace("\"about\":10", "\"about\":500"),
        ..signed.clone()
    })
    .expect("json");
    sqlx::query("UPDATE publications SET signed = ?").bind(tampered).execute(&pool).await.expect("update");
    pool.close().await;
    let list: Value = app.get("/api/v1/transparency").await.json().await.expect("json");
    assert_eq!(list["publications"], serde_json::json!([]));
    let page = app.get("/en/transparency").await.text().await.expect("page");
    assert!(!page.contains("500") && page.contains("No figures have been published yet"), "{page}");
}
