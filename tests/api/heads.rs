//! Signatures bound to history (docs/FORMATS.md §3, §5), with the REAL server and the REAL
//! `amana-review`: every signed body names the head its reviewer verified; the server refuses
//! a body without one (400 `upgrade_required`) and a head that is not an event of the case
//! (409), committing nothing; the CLI refuses a case whose reviewer event a database writer
//! re-dated, even with the hash chain recomputed.

use amana_core::events;
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use serde_json::{json, Value};

use crate::helpers::{open_db, status_body, Deployment, KeyGen, Signer, TestApp, HEALTH, OVERSIGHT};

const UPGRADE: &str = "this server needs a newer amana-review: upgrade it, pull, and sign the action again";
const NOT_OURS: &str = "your copy of this case is not the server's: pull again, check, and sign again";

fn route(case: &str, action: &str) -> String {
    format!("/api/v1/review/cases/{case}/{action}")
}

/// A server with in-process keys and two health cases; returns their ids.
async fn two_cases() -> (TestApp, String, String) {
    let app = TestApp::start(Deployment::standard(KeyGen::InProcess), &[]);
    app.submit_simple("health", false).await;
    app.submit_simple("health", false).await;
    let mut ids: Vec<String> =
        app.cases_as(app.dep.reviewer(OVERSIGHT)).await.into_iter().map(|c| c.id).collect();
    ids.sort();
    let (b, a) = (ids.pop().expect("two cases"), ids.pop().expect("two cases"));
    (app, a, b)
}

/// Status and error body of a signed POST by `signer`.
async fn post(app: &TestApp, signer: &Signer, path: &str, body: &[u8]) -> (u16, Value) {
    let sig = signer.sign("POST", path, body);
    let resp = app.send_signed("POST", path, body.to_vec(), &sig).await;
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A small age file for `recipient`, base64.
fn age_b64(recipient: &age::x25519::Recipient) -> String {
    B64.encode(amana_core::envelope::encrypt(b"x", std::slice::from_ref(recipient)).expect("encrypt"))
}

/// The rows a change would add: events, envelopes.
async fn rows(app: &TestApp) -> (i64, i64) {
    (app.count_rows("events").await, app.count_rows("envelopes").await)
}

#[tokio::test]
async fn a_body_without_a_head_is_refused_with_upgrade_required() {
    let (app, case, _) = two_cases().await;
    let health = app.dep.reviewer(HEALTH).clone();
    let signer = health.signer();
    // Only oversight rewraps (an agency key gets 403 before its body is read).
    let oversight = app.dep.reviewer(OVERSIGHT).signer();
    let age = age_b64(&health.identity().to_public());
    let rewrap_item = json!({ "envelope_id": "x", "age_b64": age, "plaintext_sha256": "a".repeat(64) });
    let before = rows(&app).await;
    // The bodies an older amana-review signs.
    for (action, body) in [
        ("status", json!({ "status": "acknowledged" })),
        ("replies", json!({ "age_b64": age })),
        ("extend", json!({ "days": 3, "reason_age_b64": age })),
        ("rewrap", json!([rewrap_item])),
    ] {
        let by = if action == "rewrap" { &oversight } else { &signer };
        let (status, err) = post(&app, by, &route(&case, action), body.to_string().as_bytes()).await;
        assert_eq!(status, 400, "{action}: {err}");
        assert_eq!(
            (err["error"].as_str(), err["message"].as_str()),
            (Some("upgrade_required"), Some(UPGRADE))
        );
    }
    assert_eq!(rows(&app).await, before, "nothing committed");
    // The previous amana-review shows the server's message as it is: it says "upgrade".
    let (_, err) = post(&app, &signer, &route(&case, "status"), br#"{"status":"acknowledged"}"#).await;
    assert!(err["message"].as_str().is_some_and(|m| m.contains("upgrade") && !m.contains("tamper")));
}

#[tokio::test]
async fn a_genuine_body_whose_head_is_not_in_the_chain_is_refused_and_nothing_is_committed() {
    let (app, case, other) = two_cases().await;
    let health = app.dep.reviewer(HEALTH).clone();
    let signer = health.signer();
    let age = age_b64(&health.identity().to_public());
    let (own, foreign) = (app.head(&case).await, app.head(&other).await);
    let before = rows(&app).await;
    for head in [foreign.clone(), "0".repeat(64)] {
        for (action, body) in [
            ("status", json!({ "status": "acknowledged", "head": head })),
            ("replies", json!({ "age_b64": age, "head": head })),
            ("extend", json!({ "days": 3, "reason_age_b64": age, "head": head })),
        ] {
            let (status, err) = post(&app, &signer, &route(&case, action), body.to_string().as_bytes()).await;
            assert_eq!(status, 409, "{action}: {err}");
            assert_eq!(err["message"].as_str(), Some(NOT_OURS), "{action}");
        }
    }
    let envelope = app.cases_as(&health).await.into_iter().find(|c| c.id == case).expect("case").envelopes;
    let rewrap = json!({ "head": foreign, "envelopes": [
        { "envelope_id": envelope[0].id, "age_b64": age, "plaintext_sha256": "a".repeat(64) }
    ] });
    let oversight = app.dep.reviewer(OVERSIGHT).signer();
    let (status, err) = post(&app, &oversight, &route(&case, "rewrap"), rewrap.to_string().as_bytes()).await;
    assert_eq!((status, err["message"].as_str()), (409, Some(NOT_OURS)));
    let (status, _) =
        post(&app, &signer, &route(&case, "status"), &status_body("acknowledged", "not-a-hash")).await;
    assert_eq!(status, 400, "a malformed head");
    assert_eq!(rows(&app).await, before, "nothing committed");
    assert_eq!(app.cases_as(&health).await.iter().find(|c| c.id == case).map(|c| c.envelopes.len()), Some(1));
    // The case's own head goes through.
    let (status, err) =
        post(&app, &signer, &route(&case, "status"), &status_body("acknowledged", &own)).await;
    assert_eq!(status, 204, "{err}");
}

#[tokio::test]
async fn a_signed_request_replayed_against_another_case_is_refused() {
    let (app, case, other) = two_cases().await;
    let signer = app.dep.reviewer(HEALTH).signer();
    let path = route(&case, "status");
    let body = status_body("acknowledged", &app.head(&case).await);
    let sig = signer.sign("POST", &path, &body);
    assert_eq!(app.send_signed("POST", &path, body.clone(), &sig).await.status(), 204);
    let before = rows(&app).await;
    // The same request again, to its own case or to another: its nonce is spent (and its
    // signature covers the path).
    for target in [path.clone(), route(&other, "status")] {
        let resp = app.send_signed("POST", &target, body.clone(), &sig).await;
        assert_eq!(resp.status(), 401, "{target}");
    }
    // The same body signed anew for the other case: its head belongs to the first case.
    let (status, err) = post(&app, &signer, &route(&other, "status"), &body).await;
    assert_eq!((status, err["message"].as_str()), (409, Some(NOT_OURS)));
    assert_eq!(rows(&app).await, before, "nothing committed");
}

#[tokio::test]
async fn the_cli_names_its_verified_head_and_is_told_when_the_server_rebuilt_the_case() {
    let app = TestApp::start(Deployment::standard(KeyGen::InProcess), &[]);
    app.submit_simple("health", false).await;
    let health = app.dep.reviewer(HEALTH).clone();
    let addr = app.address.as_str();
    health.cli(addr, &["pull"]).ok("pull");
    let case = health.listed_ids(addr).remove(0);
    let pulled_head = app.head(&case).await;
    health.cli(addr, &["status", &case, "acknowledged"]).ok("acknowledge");
    // Two more actions on the same local copy: each names the head this home verified (the
    // submission), which is still in the server's chain.
    health.cli(addr, &["reply", &case, "--message", "we are on it"]).ok("reply");
    health.cli(addr, &["status", &case, "in_review"]).ok("in review");
    let events = app.cases_as(&health).await.remove(0).events;
    for e in &events[1..] {
        let signed: events::SignedAction =
            serde_json::from_str(e.signed.as_deref().expect("signed")).expect("json");
        let body: Value = serde_json::from_str(&signed.body).expect("body");
        assert_eq!(body["head"].as_str(), Some(pulled_head.as_str()), "event {}", e.seq);
    }
    health.cli(addr, &["pull"]).ok("the history verifies");

    // A database writer rebuilds the case (another date of receipt, every hash recomputed).
    let pool = open_db(&app.dep.db_path()).await;
    let mut prev = events::GENESIS.to_string();
    for mut e in app.cases_as(&health).await.remove(0).events {
        if e.seq == 0 {
            e.on = e.on.previous_day().expect("date");
        }
        e.prev_hash = prev;
        e.hash = events::compute_hash(&case, &e);
        prev = e.hash.clone();
        sqlx::query("UPDATE events SET on_date = ?, prev_hash = ?, hash = ? WHERE case_id = ? AND seq = ?")
            .bind(e.on.to_string())
            .bind(&e.prev_hash)
            .bind(&e.hash)
            .bind(&case)
            .bind(e.seq)
            .execute(&pool)
            .await
            .expect("rebuild");
    }
    pool.close().await;
    let before = rows(&app).await;
    // The reviewer acts on their copy: its head is not in the rebuilt chain.
    let out = health.cli(addr, &["status", &case, "needs_info"]).failed("acting on a rebuilt case");
    assert!(out.stderr.contains(&format!("(HTTP 409): {NOT_OURS}")), "{}", out.stderr);
    assert_eq!(rows(&app).await, before, "nothing committed");
}

#[tokio::test]
async fn a_reviewer_event_re_dated_in_the_database_is_refused_by_the_cli() {
    let app = TestApp::start(Deployment::standard(KeyGen::InProcess), &[]);
    app.submit_simple("health", false).await;
    let health = app.dep.reviewer(HEALTH).clone();
    let oversight = app.dep.reviewer(OVERSIGHT).clone();
    let addr = app.address.as_str();
    health.cli(addr, &["pull"]).ok("pull");
    let case = health.listed_ids(addr).remove(0);
    health.cli(addr, &["status", &case, "acknowledged"]).ok("acknowledge");

    // A database writer dates the acknowledgement 40 days later and recomputes its hash
    // (the last event, so no later head or link changes): the chain verifies, the signature
    // verifies, the head it names is still the submission; only the date bound is left.
    let pool = open_db(&app.dep.db_path()).await;
    let mut ack = app.cases_as(&oversight).await.remove(0).events.remove(1);
    ack.on += time::Duration::days(40);
    ack.hash = events::compute_hash(&case, &ack);
    sqlx::query("UPDATE events SET on_date = ?, hash = ? WHERE case_id = ? AND seq = 1")
        .bind(ack.on.to_string())
        .bind(&ack.hash)
        .bind(&case)
        .execute(&pool)
        .await
        .expect("re-date");
    pool.close().await;

    // A home that never pulled the case, and one whose pinned head (the submission) the
    // rebuilt chain still contains: both refuse it, and store nothing.
    for (who, home) in [("oversight", &oversight), ("health", &health)] {
        let out = home.cli(addr, &["pull"]).failed(who);
        assert!(
            out.stderr
                .contains(&format!("case {case}: its history does not verify: event 1: dated {}", ack.on))
                && out.stderr.contains("(the event was re-dated)"),
            "{who}: {}",
            out.stderr
        );
    }
    assert!(!oversight.home.join("cases").join(&case).exists(), "nothing stored");
    // So the indicators never see the 40 days.
    let kpis: Value =
        serde_json::from_str(&oversight.cli(addr, &["kpis", "--json"]).ok("kpis").stdout).expect("json");
    assert!(kpis["groups"][0]["median_days_to_acknowledge"].is_null(), "{kpis}");
}
