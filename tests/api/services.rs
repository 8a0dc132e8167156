//! Service centres and questionnaires (`amana serve --services FILE`, docs/FORMATS.md §10):
//! listed by `GET /api/v1/agencies`, and a mistaken file refused at start with its line.

use std::{process::Stdio, time::Duration};

use serde_json::Value;

use crate::helpers::{amana_command, serve_args, Deployment, KeyGen, TestApp};

const LANGS: &str =
    r#"{ ar = "س", en = "Q", fr = "Q", ur = "س", hi = "प्र", fa = "س", bn = "প্র", fil = "T" }"#;

fn services_file(centre_agency: &str) -> String {
    format!(
        r#"default_questionnaire = "office"

[[questionnaire]]
id = "office"
version = 1
title = {LANGS}
[[questionnaire.criterion]]
id = "waiting_time"
question = {LANGS}

[[questionnaire]]
id = "health"
version = 3
title = {LANGS}
[[questionnaire.criterion]]
id = "cleanliness"
question = {LANGS}

[[centre]]
id = "irbid-hospital"
agency = "{centre_agency}"
name = {LANGS}
place = {{ en = "Irbid" }}
questionnaire = "health"
"#
    )
}

#[tokio::test]
async fn agencies_list_their_centres_and_questionnaires() {
    let dep = Deployment::standard(KeyGen::InProcess);
    let path = dep.root().join("services.toml");
    std::fs::write(&path, services_file("health")).expect("services file");
    let app = TestApp::start(dep, &[("AMANA_SERVICES", path.to_str().expect("utf-8"))]);
    let list: Value = app.get("/api/v1/agencies").await.json().await.expect("json");
    let health = &list["agencies"][0];
    assert_eq!(health["id"], "health");
    assert_eq!(health["questionnaire"], "office");
    assert_eq!(health["centres"][0]["id"], "irbid-hospital");
    assert_eq!(health["centres"][0]["place"]["en"], "Irbid");
    assert_eq!(health["centres"][0]["questionnaire"], "health");
    assert_eq!(list["agencies"][1]["centres"], serde_json::json!([]));
    let ids: Vec<(&str, u64)> = list["questionnaires"]
        .as_array()
        .expect("questionnaires")
        .iter()
        .map(|q| (q["id"].as_str().expect("id"), q["version"].as_u64().expect("version")))
        .collect();
    assert_eq!(ids, [("health", 3), ("office", 1)]);
    assert_eq!(list["questionnaires"][0]["criteria"][0]["question"]["bn"], "প্র");
}

#[tokio::test]
async fn without_a_file_the_shipped_questionnaires_apply() {
    let app = TestApp::start(Deployment::standard(KeyGen::InProcess), &[]);
    let list: Value = app.get("/api/v1/agencies").await.json().await.expect("json");
    assert_eq!(list["agencies"][0]["questionnaire"], "government-office");
    let criteria = list["questionnaires"][0]["criteria"].as_array().expect("criteria");
    assert_eq!(criteria.len(), 9, "the UAE programme's criteria");
    assert_eq!(criteria[1]["question"]["ar"], "مواقف السيارات");
}

#[test]
fn a_centre_of_an_unknown_agency_is_refused_at_start_with_its_line() {
    let dep = Deployment::standard(KeyGen::InProcess);
    let path = dep.root().join("services.toml");
    let text = services_file("trains");
    std::fs::write(&path, &text).expect("services file");
    let out = amana_command()
        .args(serve_args(&dep, "127.0.0.1:0"))
        .env("AMANA_SERVICES", &path)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let out = wait_with_timeout(out, Duration::from_secs(30));
    assert!(!out.status.success(), "the server started with a bad services file");
    let err = String::from_utf8_lossy(&out.stderr);
    let line = text.lines().position(|l| l == "[[centre]]").expect("centre") + 1;
    assert!(
        err.contains(&format!(
            "line {line}: centre `irbid-hospital`: agency `trains` is not in keys/agencies.toml"
        )),
        "{err}"
    );
}

fn wait_with_timeout(mut child: std::process::Child, limit: Duration) -> std::process::Output {
    let deadline = std::time::Instant::now() + limit;
    while child.try_wait().expect("wait").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

/// The services file above, served; the health hospital answers questionnaire `health`.
async fn app_with_services() -> TestApp {
    let dep = Deployment::standard(KeyGen::InProcess);
    let path = dep.root().join("services.toml");
    std::fs::write(&path, services_file("health")).expect("services file");
    TestApp::start(dep, &[("AMANA_SERVICES", path.to_str().expect("utf-8"))])
}

#[tokio::test]
async fn an_evaluation_stores_its_centre_and_answers_as_attested_data() {
    let app = app_with_services().await;
    const COMMENT: &str = "EVAL-COMMENT-MARK the nurse at window 3 was kind";
    app.submit(&serde_json::json!({
        "kind": "service_evaluation", "agency": "health", "centre": "irbid-hospital",
        "ratings": { "cleanliness": 4.0 }, "body": COMMENT,
    }))
    .await;
    app.submit(&serde_json::json!({
        "kind": "compliment", "agency": "health", "centre": "irbid-hospital", "body": "thank you",
    }))
    .await;
    let pool = crate::helpers::open_db(&app.dep.db_path()).await;
    let rows: Vec<(String, i64, String, Option<i64>)> =
        sqlx::query_as("SELECT questionnaire, version, criterion, value FROM ratings")
            .fetch_all(&pool)
            .await
            .expect("ratings");
    assert_eq!(rows, [("health".to_string(), 3, "cleanliness".to_string(), Some(4))]);
    let centres: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT kind, centre FROM cases ORDER BY kind").fetch_all(&pool).await.expect("cases");
    assert_eq!(
        centres,
        [
            ("compliment".to_string(), Some("irbid-hospital".to_string())),
            ("service_evaluation".to_string(), Some("irbid-hospital".to_string()))
        ]
    );
    // In the attested intake event, so no database writer changes them unseen.
    let details: Vec<(String,)> = sqlx::query_as("SELECT detail FROM events WHERE kind = 'submitted'")
        .fetch_all(&pool)
        .await
        .expect("events");
    let eval: Value = details
        .iter()
        .map(|(d,)| serde_json::from_str::<Value>(d).expect("detail"))
        .find(|d| d.get("ratings").is_some())
        .expect("the evaluation's event");
    assert_eq!(eval["centre"], "irbid-hospital");
    assert_eq!(
        eval["ratings"],
        serde_json::json!({"questionnaire": "health", "version": 3, "answers": [["cleanliness", 4]]})
    );
    pool.close().await;
    let health = app.dep.reviewer(crate::helpers::HEALTH).clone();
    health.cli(&app.address, &["pull"]).ok("the attested events verify");
    // The reviewer sees them with the case, and `kpis` sums them with n.
    let shown: String = health
        .listed_ids(&app.address)
        .iter()
        .map(|id| health.cli(&app.address, &["show", id]).ok("show").stdout)
        .collect();
    assert!(shown.contains("centre          irbid-hospital"), "{shown}");
    assert!(
        shown.contains("answers         health (version 3), public rating") && shown.contains("cleanliness"),
        "{shown}"
    );
    let kpis = health.cli(&app.address, &["kpis"]).ok("kpis").stdout;
    assert!(
        kpis.contains("health  irbid-hospital  health@3  cleanliness")
            && kpis.contains("public        4.00 (n 1, n/a 0)"),
        "{kpis}"
    );
    // The comment is encrypted like any report: nowhere in the database files.
    for file in ["amana.db", "amana.db-wal"] {
        let bytes = std::fs::read(app.dep.data_dir().join(file)).unwrap_or_default();
        assert!(!bytes.windows(COMMENT.len()).any(|w| w == COMMENT.as_bytes()), "comment in {file}");
    }
}

#[tokio::test]
async fn centres_and_ratings_where_they_do_not_belong_are_refused_and_nothing_is_stored() {
    let app = app_with_services().await;
    let eval = |centre: &str, ratings: Value| serde_json::json!({"kind": "service_evaluation", "agency": "health", "centre": centre, "ratings": ratings, "body": "x"});
    let cases = [
        (
            serde_json::json!({"kind": "violation", "agency": "health", "centre": "irbid-hospital", "body": "x"}),
            "never names a service centre in the clear",
        ),
        (
            serde_json::json!({"kind": "complaint", "agency": "health", "centre": "irbid-hospital", "body": "x"}),
            "For a complaint, say which centre in the report text",
        ),
        (
            serde_json::json!({"kind": "complaint", "agency": "health", "ratings": {"waiting_time": 3}, "body": "x"}),
            "`ratings` is only for kind `service_evaluation`",
        ),
        (eval("irbid-hospital", serde_json::json!({"cleanliness": 6})), "`cleanliness` is 6"),
        (
            eval("irbid-hospital", serde_json::json!({"cleanliness": -1})),
            "a whole number from 1 to 5 or null",
        ),
        (eval("irbid-hospital", serde_json::json!({})), "`cleanliness` is missing"),
        (
            eval("irbid-hospital", serde_json::json!({"cleanliness": 2, "parking": 1})),
            "`parking` is not a question of questionnaire `health`",
        ),
        (eval("nowhere", serde_json::json!({"waiting_time": 2})), "`nowhere` is not a service centre"),
        (
            serde_json::json!({"kind": "compliment", "agency": "transport", "centre": "irbid-hospital", "body": "x"}),
            "belongs to agency `health`, not `transport`",
        ),
    ];
    for (body, message) in cases {
        let resp = app.post_json("/api/v1/reports", &body).await;
        assert_eq!(resp.status(), 400, "{body}");
        let err: Value = resp.json().await.expect("json");
        assert!(err["message"].as_str().is_some_and(|m| m.contains(message)), "{body}: {err}");
    }
    assert_eq!(app.count_rows("cases").await, 0);
    assert_eq!(app.count_rows("ratings").await, 0);
}

/// Commissioned mystery shoppers: oversight signs visit tokens offline with the real CLI; an
/// evaluation with one counts as commissioned, once; a token an agency key signed, one for
/// another centre and a reused one are refused and store nothing; the case does not record
/// which token it was.
#[tokio::test]
async fn visit_tokens_mark_commissioned_evaluations_once() {
    let app = app_with_services().await;
    let oversight = app.dep.reviewer(crate::helpers::OVERSIGHT).clone();
    let health = app.dep.reviewer(crate::helpers::HEALTH).clone();
    oversight.cli(&app.address, &["pull"]).ok("oversight learns the deployment");
    let file = app.dep.root().join("tokens.txt");
    let args = |who: &crate::helpers::Reviewer, out: &std::path::Path| {
        let home = who.home.to_str().expect("utf-8").to_string();
        let out = out.to_str().expect("utf-8").to_string();
        crate::helpers::review_cli(&[
            "--home",
            &home,
            "visit-tokens",
            "--agency",
            "health",
            "--centre",
            "irbid-hospital",
            "--count",
            "2",
            "--valid-until",
            "2099-12-31",
            "--out",
            &out,
        ])
    };
    args(&oversight, &file).ok("visit-tokens");
    let tokens: Vec<String> =
        std::fs::read_to_string(&file).expect("tokens").lines().map(str::to_string).collect();
    assert_eq!(tokens.len(), 2);
    health.cli(&app.address, &["pull"]).ok("health learns the deployment");
    let out = args(&health, &app.dep.root().join("mine.txt")).failed("an agency key signs tokens");
    assert!(out.stderr.contains("only oversight reviewers sign visit tokens"), "{}", out.stderr);

    let evaluation = |token: &str, centre: &str| {
        serde_json::json!({
            "kind": "service_evaluation", "agency": "health", "centre": centre,
            "ratings": { "cleanliness": 5 }, "body": "a commissioned visit", "visit_token": token,
        })
    };
    app.submit(&evaluation(&tokens[0], "irbid-hospital")).await;
    let again = app.post_json("/api/v1/reports", &evaluation(&tokens[0], "irbid-hospital")).await;
    assert_eq!(again.status(), 409);
    let forged = amana_core::visit::issue(
        &health.signing_key(),
        HEALTH_ID,
        &amana_core::visit::VisitClaims {
            deployment_id: crate::helpers::DEPLOYMENT_ID.into(),
            agency: "health".into(),
            centre: None,
            valid_until: time::macros::date!(2099 - 12 - 31),
            nonce: amana_core::visit::new_nonce(),
        },
    )
    .expect("token");
    for (token, message) in [
        (forged.as_str(), "not signed by an oversight key"),
        ("amana-visit-1.x.e30.e30", "not signed by an oversight key"),
        ("not a token", "not an Amana visit token"),
    ] {
        let resp = app.post_json("/api/v1/reports", &evaluation(token, "irbid-hospital")).await;
        assert_eq!(resp.status(), 403, "{token}");
        let err: Value = resp.json().await.expect("json");
        assert!(err["message"].as_str().is_some_and(|m| m.contains(message)), "{err}");
    }
    let pool = crate::helpers::open_db(&app.dep.db_path()).await;
    let flags: Vec<(bool,)> =
        sqlx::query_as("SELECT commissioned FROM cases").fetch_all(&pool).await.expect("cases");
    assert_eq!(flags, [(true,)], "one case, commissioned; the refusals stored nothing");
    let spent: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM spent_visits").fetch_one(&pool).await.expect("spent");
    assert_eq!(spent, 1);
    // The case's row and events name no token.
    let nonce_hash: String =
        sqlx::query_scalar("SELECT id FROM spent_visits").fetch_one(&pool).await.expect("id");
    let events: Vec<(String,)> =
        sqlx::query_as("SELECT detail FROM events").fetch_all(&pool).await.expect("events");
    assert!(events.iter().all(|(d,)| !d.contains(&nonce_hash) && !d.contains(&tokens[0])));
    pool.close().await;
    health.cli(&app.address, &["pull"]).ok("pull");
    let kpis = health.cli(&app.address, &["kpis"]).ok("kpis").stdout;
    assert!(kpis.contains("commissioned  5.00 (n 1, n/a 0)"), "{kpis}");
}

const HEALTH_ID: &str = crate::helpers::HEALTH;
