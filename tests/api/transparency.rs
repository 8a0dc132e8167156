//! Published figures (SECURITY.md, "Published figures"): oversight's signed file uploaded by
//! the real CLI from a machine with no key, served verbatim as JSON and as a page in every
//! language; refused when an agency key signed it, when it was changed after signing, when
//! its period is too recent or not a calendar quarter, and a second time; each quarter and
//! each year (summed from four quarters) as JSON and CSV, with an entity tag and public
//! caching; and never served once a database writer changes it.

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
    let january = document(date!(2026 - 01 - 01), date!(2026 - 03 - 31));

    // Refused: an agency key's signature, a changed document, a period too recent.
    let out = upload(&app, dir.path(), "agency.json", &signed_by(&health, &january)).failed("agency key");
    assert!(out.stderr.contains("not a current oversight key"), "{}", out.stderr);
    let mut changed = signed_by(&oversight, &january);
    changed.document = changed.document.replace("\"about\":10", "\"about\":100");
    let out = upload(&app, dir.path(), "changed.json", &changed).failed("changed after signing");
    assert!(out.stderr.contains("does not verify"), "{}", out.stderr);
    let today = time::OffsetDateTime::now_utc().date();
    let (from, to) = this_quarter(today);
    let recent = signed_by(&oversight, &document(from, to));
    let out = upload(&app, dir.path(), "recent.json", &recent).failed("too recent");
    assert!(out.stderr.contains("published only 120 days after it ends"), "{}", out.stderr);
    let month = signed_by(&oversight, &document(date!(2025 - 01 - 01), date!(2025 - 01 - 31)));
    let out = upload(&app, dir.path(), "month.json", &month).failed("a month");
    assert!(out.stderr.contains("not a calendar quarter"), "{}", out.stderr);

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
    served_as_files(&app, &signed).await;
    a_year_sums_its_quarters(&app, dir.path(), &oversight).await;

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
    assert_eq!(app.get("/api/v1/transparency/2026-Q1").await.status(), 404);
}

/// The calendar quarter `today` falls in.
fn this_quarter(today: time::Date) -> (time::Date, time::Date) {
    let q = (u8::from(today.month()) - 1) / 3;
    let first = time::Month::try_from(3 * q + 1).expect("month");
    let last = time::Month::try_from(3 * q + 3).expect("month");
    let from = time::Date::from_calendar_date(today.year(), first, 1).expect("date");
    (from, time::Date::from_calendar_date(today.year(), last, last.length(today.year())).expect("date"))
}

/// `GET /api/v1/transparency/2026-Q1` is the signed file verbatim, `.csv` the same figures,
/// both with an entity tag a client can send back (304) and public caching; a wrong spelling
/// is a 400 and a period not published a 404, each saying what to ask for.
async fn served_as_files(app: &TestApp, signed: &Signed) {
    let resp = app.get("/api/v1/transparency/2026-Q1").await;
    assert_eq!(resp.status(), 200);
    let cache = resp.headers()["cache-control"].to_str().expect("ascii").to_string();
    assert!(cache.starts_with("public, max-age="), "{cache}");
    let etag = resp.headers()["etag"].clone();
    let served: Signed = resp.json().await.expect("json");
    assert_eq!(&served, signed);
    let again = crate::helpers::client()
        .get(app.url("/api/v1/transparency/2026-Q1"))
        .header("if-none-match", etag)
        .send()
        .await
        .expect("request");
    assert_eq!(again.status(), 304);
    let csv = app.get("/api/v1/transparency/2026-Q1.csv").await;
    assert!(csv.headers()["content-type"].to_str().expect("ascii").starts_with("text/csv"));
    let csv = csv.text().await.expect("csv");
    assert!(csv.starts_with("\"period\",\"agency\",\"centre\",\"figure\",\"value\",\"n\"\r\n"), "{csv}");
    assert!(csv.contains("\"2026-Q1\",\"health\",\"\",\"received:violation\",\"10\",\"\"\r\n"), "{csv}");
    assert!(csv.contains("\"2026-Q1\",\"health\",\"\",\"satisfaction\",\"\",\"<5\"\r\n"), "{csv}");
    for (path, status, says) in [
        ("/api/v1/transparency/2026-13", 400, "not a period"),
        ("/api/v1/transparency/2026-Q1.json", 400, "not a period"),
        ("/api/v1/transparency/2025-Q3", 404, "no figures are published for 2025-Q3"),
        ("/api/v1/transparency/2026.csv", 404, "a year once its four quarters are"),
    ] {
        let resp = app.get(path).await;
        assert_eq!(resp.status(), status, "{path}");
        let body: Value = resp.json().await.expect("json");
        assert!(body["message"].as_str().unwrap_or("").contains(says), "{path}: {body}");
    }
}

/// Four quarters of 2025 make a year: counts added up (a hidden quarter said as such),
/// served beside the four signed files so anyone can redo the sums.
async fn a_year_sums_its_quarters(app: &TestApp, dir: &std::path::Path, oversight: &Reviewer) {
    let quarters = [(1, 3, 31), (4, 6, 30), (7, 9, 30), (10, 12, 31)];
    let mut files = Vec::new();
    for (i, (first, last, day)) in quarters.into_iter().enumerate() {
        let m = |n: u8| time::Month::try_from(n).expect("month");
        let mut doc = document(
            time::Date::from_calendar_date(2025, m(first), 1).expect("date"),
            time::Date::from_calendar_date(2025, m(last), day).expect("date"),
        );
        if i == 2 {
            doc.agencies[0].received = Count::FewerThan(5);
        }
        let signed = signed_by(oversight, &doc);
        upload(app, dir, &format!("2025-{i}.json"), &signed).ok("publish a quarter");
        files.push(signed);
    }
    let list: Value = app.get("/api/v1/transparency").await.json().await.expect("json");
    assert_eq!(list["years"], serde_json::json!([2025]));
    let year: Value = app.get("/api/v1/transparency/2025").await.json().await.expect("json");
    assert_eq!(
        year["year"]["agencies"][0]["received"],
        serde_json::json!({"about": 30, "quarters_below_k": 1})
    );
    let quarters: Vec<Signed> = serde_json::from_value(year["quarters"].clone()).expect("signed files");
    assert_eq!(quarters, files, "the four signed files, oldest first");
    let csv = app.get("/api/v1/transparency/2025.csv").await.text().await.expect("csv");
    assert!(csv.contains("\"2025\",\"health\",\"\",\"received\",\"30 + 1×<5\",\"\""), "{csv}");
    let page = app.get("/en/transparency").await.text().await.expect("page");
    assert!(page.contains("Year 2025") && page.contains("≈ 30 + 1×&lt;5"), "{page}");
}
