//! "Oversight only" reports (invariant 1, recipients): encrypted to the oversight reviewers
//! alone. The agency's reviewer neither receives the case nor can open its envelope.

use amana_core::{envelope, payload::Payload};
use serde_json::json;

use crate::helpers::{spawn_app, HEALTH, OVERSIGHT};

const SECRET_BODY: &str = "The head of the licensing office takes cuts — تقرير للرقابة فقط";

#[tokio::test]
async fn oversight_only_case_reaches_oversight_alone() {
    let app = spawn_app().await;
    app.submit(&json!({
        "kind": "violation",
        "agency": "health",
        "body": SECRET_BODY,
        "oversight_only": true,
    }))
    .await;
    // An ordinary health case, so the agency reviewer's pull is not trivially empty.
    app.submit_simple("health", false).await;

    let oversight = app.dep.reviewer(OVERSIGHT);
    oversight.cli(&app.address, &["pull"]).ok("oversight pull");
    let list = oversight.cli(&app.address, &["list"]).ok("list").stdout;
    let row = list
        .lines()
        .find(|l| l.contains("oversight-only"))
        .unwrap_or_else(|| panic!("oversight sees no oversight-only case:\n{list}"));
    let case = row.split_whitespace().next().expect("case id").to_string();
    assert_eq!(oversight.listed_ids(&app.address).len(), 2);
    let shown = oversight.cli(&app.address, &["show", &case]).ok("show").stdout;
    assert!(shown.contains(SECRET_BODY), "{shown}");

    // Scope: the agency reviewer gets the ordinary case only.
    let health = app.dep.reviewer(HEALTH);
    health.cli(&app.address, &["pull"]).ok("health pull");
    let ids = health.listed_ids(&app.address);
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert!(!ids.contains(&case), "the agency reviewer pulled an oversight-only case");
    assert!(app.cases_as(health).await.iter().all(|c| !c.oversight_only));

    // Encryption: even holding the envelope, the agency reviewer cannot open it.
    let src = oversight.home.join("cases").join(&case);
    let dst = health.home.join("cases").join(&case);
    copy_dir(&src, &dst);
    let out = health.cli(&app.address, &["show", &case]).failed("show by the agency reviewer");
    assert!(!out.stdout.contains(SECRET_BODY));
    assert!(out.stderr.contains("not encrypted to your key"), "{}", out.stderr);

    // The same, without the CLI: the age file has no stanza for the agency's identity.
    let age_file = std::fs::read_dir(&src)
        .expect("case dir")
        .map(|e| e.expect("entry").path())
        .find(|p| p.extension().is_some_and(|e| e == "age"))
        .expect("an envelope file");
    let ciphertext = std::fs::read(age_file).expect("read envelope");
    let agency_id = health.identity();
    assert!(matches!(
        envelope::decrypt(&ciphertext, &[&agency_id]),
        Err(envelope::EnvelopeError::NoMatchingKey)
    ));
    let oversight_id = oversight.identity();
    let plain = envelope::decrypt(&ciphertext, &[&oversight_id]).expect("oversight decrypts");
    assert_eq!(Payload::decode(&plain).expect("payload").body, SECRET_BODY);
}

fn copy_dir(src: &std::path::Path, dst: &std::path::Path) {
    std::fs::create_dir_all(dst).expect("mkdir");
    for entry in std::fs::read_dir(src).expect("read dir") {
        let path = entry.expect("entry").path();
        let name = path.file_name().expect("name");
        std::fs::copy(&path, dst.join(name)).expect("copy");
    }
}
