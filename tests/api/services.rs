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
