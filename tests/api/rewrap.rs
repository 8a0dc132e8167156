//! `amana-review rewrap` through the REAL server and CLI: after a reviewer is added, oversight
//! re-encrypts an old case to the readers the signed roster gives it, with one signed request;
//! the new reviewer can then read it, the reporter still reads their thread, every history
//! verifies, and the CLI refuses a server that swaps an envelope without a signed rewrap, a
//! rewrap by an agency reviewer, and readers the roster does not give the case.

use std::fs;

use serde_json::{json, Value};

use crate::case_support::{case_json, messages, post, reporter_view};
use crate::helpers::{open_db, Deployment, KeyGen, TestApp, HEALTH, OVERSIGHT};

const REPORT: &str = "REWRAP-REPORT-MARK the clerk asks for cash";
const REPLY: &str = "REWRAP-REPLY-MARK we are looking into it";
const FOLLOW_UP: &str = "REWRAP-FOLLOWUP-MARK it happens on Thursdays";
const DEPUTY: &str = "health-deputy";

#[tokio::test]
async fn rewrap_lets_a_new_reviewer_read_an_old_case_and_keeps_the_reporter_and_oversight() {
    let mut dep = Deployment::new();
    dep.add_reviewer(OVERSIGHT, &[], true, KeyGen::InProcess);
    dep.add_reviewer(HEALTH, &["health"], false, KeyGen::InProcess);
    let mut app = TestApp::start(dep, &[]);
    let addr = app.address.clone();
    let code = app.submit(&json!({ "kind": "violation", "agency": "health", "body": REPORT })).await;
    let health = app.dep.reviewer(HEALTH).clone();
    health.cli(&addr, &["pull"]).ok("pull");
    let case = health.listed_ids(&addr).remove(0);
    health.cli(&addr, &["reply", &case, "--message", REPLY]).ok("reply");
    let (status, _) =
        post(&app, &addr, "/api/v1/followups", &json!({ "code": code, "body": FOLLOW_UP })).await;
    assert_eq!(status, 201);
    health.cli(&addr, &["pull"]).ok("pull the thread");

    // A deputy joins the agency: new cases include them, this old one does not yet.
    let deputy = app.dep.add_reviewer(DEPUTY, &["health"], false, KeyGen::InProcess);
    app.restart();
    let addr = app.address.clone();
    deputy.cli(&addr, &["pull"]).ok("deputy pulls");
    let out = deputy.cli(&addr, &["show", &case]).failed("not a recipient yet");
    assert!(out.stderr.contains("not encrypted to your key"), "{}", out.stderr);

    // An agency reviewer may not rewrap (it could shut oversight out): refused before signing.
    health.cli(&addr, &["pull"]).ok("pull the new recipient list");
    let events_before = app.count_rows("events").await;
    let out = health.cli(&addr, &["rewrap", &case]).failed("an agency reviewer rewraps");
    assert!(out.stderr.contains("only oversight reviewers may rewrap"), "{}", out.stderr);
    // Readers are computed from the signed roster: a case list naming another reader (a
    // database writer's, a carrier's) is refused before anything is encrypted or signed.
    let oversight = app.dep.reviewer(OVERSIGHT).clone();
    oversight.cli(&addr, &["pull"]).ok("oversight pulls");
    let path = case_json(&oversight, &case);
    let saved = fs::read_to_string(&path).expect("case.json");
    let mut bundle: Value = serde_json::from_str(&saved).expect("json");
    let attacker = age::x25519::Identity::generate();
    bundle["recipients"].as_array_mut().expect("recipients").push(
        json!({ "key_id": "audit", "age_recipient": attacker.to_public().to_string(), "oversight": true }),
    );
    fs::write(&path, serde_json::to_vec(&bundle).expect("json")).expect("write");
    let out = oversight.cli(&addr, &["rewrap", &case]).failed("rewrap to an extra reader");
    assert!(out.stderr.contains("other readers"), "{}", out.stderr);
    assert_eq!(app.count_rows("events").await, events_before, "nothing was sent");
    fs::write(&path, saved).expect("restore");

    // The rewrap: three envelopes (report, reply, follow-up), to health, oversight and the deputy.
    let out = oversight.cli(&addr, &["rewrap", &case]).ok("rewrap");
    assert!(out.stdout.contains("3 envelope(s) re-encrypted to: "), "{}", out.stdout);
    for id in [HEALTH, OVERSIGHT, DEPUTY] {
        assert!(out.stdout.contains(id), "{id} missing: {}", out.stdout);
    }

    // The deputy reads the whole thread; every home verifies the history and the hashes.
    deputy.cli(&addr, &["pull"]).ok("deputy pulls the rewrapped case");
    let shown = deputy.cli(&addr, &["show", &case]).ok("deputy reads").stdout;
    for text in [REPORT, REPLY, FOLLOW_UP] {
        assert!(shown.contains(text), "{text} missing:\n{shown}");
    }
    assert!(shown.contains(&format!("rewrapped       received by {OVERSIGHT}")), "{shown}");
    oversight.cli(&addr, &["pull"]).ok("the rewrapper pulls: old copies match the signed hashes");
    health.cli(&addr, &["pull"]).ok("health verifies the rewrap");
    assert!(health.cli(&addr, &["show", &case]).ok("health reads").stdout.contains(REPLY));
    assert!(oversight.cli(&addr, &["show", &case]).ok("oversight reads").stdout.contains(REPLY));
    // The reporter still reads the reply and their follow-up.
    let view = reporter_view(&app, &addr, &code).await;
    assert_eq!(messages(&view, "reply"), [REPLY]);
    assert_eq!(messages(&view, "follow_up"), [FOLLOW_UP]);

    // The server swaps the report for another age file with no signed rewrap for it: every
    // home refuses the pull and keeps what it had.
    let pool = open_db(&app.dep.db_path()).await;
    let forged = amana_core::envelope::encrypt(b"forged", &[deputy.identity().to_public()]).expect("encrypt");
    sqlx::query("UPDATE envelopes SET ciphertext = ? WHERE case_id = ? AND part = 'report'")
        .bind(forged)
        .bind(&case)
        .execute(&pool)
        .await
        .expect("swap the report");
    pool.close().await;
    let before = fs::read(case_json(&deputy, &case)).expect("case.json");
    // The head did not move: a plain pull keeps the verified copy; a full one fetches it.
    let out = deputy.cli(&addr, &["pull"]).ok("swapped envelope, heads first");
    assert!(out.stdout.contains("0 changed, 1 unchanged"), "{}", out.stdout);
    let out = deputy.cli(&addr, &["pull", "--full"]).failed("swapped envelope");
    assert!(out.stderr.contains(&format!("QUARANTINED case {case}")), "{}", out.stderr);
    assert!(out.stderr.contains("not the age file the reviewer signed"), "{}", out.stderr);
    assert_eq!(fs::read(case_json(&deputy, &case)).expect("kept"), before);
    assert!(deputy.cli(&addr, &["show", &case]).ok("still readable").stdout.contains(REPORT));
}

/// What the server checks on its own: scope, envelope ids of this case (each once), the hash
/// format, and that each upload is an age file with 1 to 64 recipients. A refusal commits
/// nothing.
#[tokio::test]
async fn the_server_refuses_malformed_or_out_of_scope_rewraps() {
    let app = crate::helpers::spawn_app().await;
    app.submit_simple("health", false).await;
    app.submit_simple("transport", false).await;
    let oversight = app.dep.reviewer(OVERSIGHT).clone();
    let health = app.dep.reviewer(HEALTH).clone();
    let cases = app.cases_as(&oversight).await;
    let (mine, other) =
        if cases[0].agency == "health" { (&cases[0], &cases[1]) } else { (&cases[1], &cases[0]) };
    let path = format!("/api/v1/review/cases/{}/rewrap", mine.id);
    let age = amana_core::envelope::encrypt(b"x", &[health.identity().to_public()]).expect("encrypt");
    let age_b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &age);
    let sha = "a".repeat(64);
    let item = |id: &str, b64: &str, sha: &str| json!({ "envelope_id": id, "age_b64": b64, "plaintext_sha256": sha });
    let own = mine.envelopes[0].id.as_str();
    let head = mine.events[0].hash.clone();
    let request = |items: Value| json!({ "head": head, "envelopes": items });
    let events = app.count_rows("events").await;
    for (body, why) in [
        (request(json!([])), "empty"),
        (request(json!([item(&other.envelopes[0].id, &age_b64, &sha)])), "another case's envelope"),
        (request(json!([item(own, &age_b64, &sha), item(own, &age_b64, &sha)])), "twice"),
        (request(json!([item(own, &age_b64, "ABC")])), "bad hash"),
        (request(json!([item(own, "bm90IGFnZQ==", &sha)])), "not an age file"),
        (json!([item(own, &age_b64, &sha)]), "the bare list of an older amana-review"),
    ] {
        let resp = app.signed(&oversight, "POST", &path, body.to_string().as_bytes()).await;
        assert_eq!(resp.status(), 400, "{why}");
    }
    let transport = app.dep.reviewer(crate::helpers::TRANSPORT).clone();
    let body = request(json!([item(own, &age_b64, &sha)])).to_string();
    assert_eq!(app.signed(&transport, "POST", &path, body.as_bytes()).await.status(), 403);
    // Only oversight keys may rewrap: an agency reviewer in scope is refused too.
    assert_eq!(app.signed(&health, "POST", &path, body.as_bytes()).await.status(), 403);
    assert_eq!(app.count_rows("events").await, events, "refusals commit nothing");
    assert_eq!(app.signed(&oversight, "POST", &path, body.as_bytes()).await.status(), 204);
    assert_eq!(app.count_rows("events").await, events + 1);
}

/// The lost-laptop runbook (ops/README.md): revoke the key, then rewrap — the server's copies
/// of the case no longer open with the lost key; oversight and the reporter still read theirs.
#[tokio::test]
async fn after_a_revocation_rewrap_shuts_the_lost_key_out_of_the_servers_copies() {
    let mut dep = Deployment::new();
    dep.add_reviewer(OVERSIGHT, &[], true, KeyGen::InProcess);
    dep.add_reviewer(HEALTH, &["health"], false, KeyGen::InProcess);
    let mut app = TestApp::start(dep, &[]);
    let code = app.submit(&json!({ "kind": "violation", "agency": "health", "body": REPORT })).await;
    let addr = app.address.clone();
    let (status, _) =
        post(&app, &addr, "/api/v1/followups", &json!({ "code": code, "body": FOLLOW_UP })).await;
    assert_eq!(status, 201);
    let lost = app.dep.reviewer(HEALTH).identity();
    let opens_with_lost_key = |case: &amana_core::wire::CaseBundle| {
        case.envelopes.iter().any(|e| {
            let bytes =
                base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &e.age_b64).expect("b64");
            amana_core::envelope::decrypt(&bytes, &[&lost as &dyn age::Identity]).is_ok()
        })
    };

    let entry = app.dep.keys_dir().join("reviewers").join(format!("{HEALTH}.toml"));
    let today = time::OffsetDateTime::now_utc().date();
    let mut text = fs::read_to_string(&entry).expect("entry");
    text.push_str(&format!("revoked_on = {today}\n"));
    fs::write(&entry, text).expect("revoke");
    app.restart();
    let addr = app.address.clone();
    let oversight = app.dep.reviewer(OVERSIGHT).clone();
    assert!(opens_with_lost_key(&app.cases_as(&oversight).await[0]), "before the rewrap");

    oversight.cli(&addr, &["pull"]).ok("pull");
    let case = oversight.listed_ids(&addr).remove(0);
    let out = oversight.cli(&addr, &["rewrap", &case]).ok("rewrap");
    assert!(out.stdout.contains("2 envelope(s) re-encrypted to: oversight"), "{}", out.stdout);
    let after = app.cases_as(&oversight).await.remove(0);
    assert!(!opens_with_lost_key(&after), "after the rewrap");
    oversight.cli(&addr, &["pull"]).ok("pull verifies the rewrap");
    assert!(oversight.cli(&addr, &["show", &case]).ok("show").stdout.contains(FOLLOW_UP));
    let view = reporter_view(&app, &addr, &code).await;
    assert_eq!(messages(&view, "follow_up"), [FOLLOW_UP]);
}
