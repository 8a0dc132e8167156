//! Revoking a reviewer key with a date (`revoked_on`, signed into the roster): from that date
//! the key's signed requests are refused and new cases are not encrypted to it; a home keeps
//! the actions it verified before it learnt of the revocation, and a fresh home accepts only
//! those the roster vouches for (`roster-sign --vouch-from`).

use std::fs;

use amana_core::{envelope, wire::CaseList};
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use serde_json::Value;

use crate::helpers::{now, status_body, Deployment, KeyGen, TestApp, HEALTH, OVERSIGHT};

/// X25519 recipient stanzas in an age header (age may add a random "grease" stanza too).
fn x25519_stanzas(age_file: &[u8]) -> usize {
    let header_end = age_file.windows(4).position(|w| w == b"\n---").expect("age header");
    age_file[..header_end].split(|b| *b == b'\n').filter(|l| l.starts_with(b"-> X25519 ")).count()
}

#[tokio::test]
async fn a_revoked_key_is_refused_left_out_of_new_cases_and_its_history_still_verifies() {
    let mut app = TestApp::start(Deployment::standard(KeyGen::InProcess), &[]);
    let health = app.dep.reviewer(HEALTH).clone();
    let oversight = app.dep.reviewer(OVERSIGHT).clone();

    // Before the revocation: the health officer acts on a case (a signed event, dated today).
    app.submit_simple("health", false).await;
    health.cli(&app.address, &["pull"]).ok("pull before revocation");
    let old_id = health.listed_ids(&app.address).pop().expect("the old case");
    health.cli(&app.address, &["status", &old_id, "acknowledged"]).ok("acknowledge before revocation");
    oversight.cli(&app.address, &["pull"]).ok("oversight verifies the signed history");

    // The operator revokes the key from tomorrow (a scheduled revocation).
    let today = time::OffsetDateTime::now_utc().date();
    let revoked_on = today.next_day().expect("tomorrow").to_string();
    let entry = app.dep.keys_dir().join("reviewers").join(format!("{HEALTH}.toml"));
    let mut text = fs::read_to_string(&entry).expect("entry");
    text.push_str(&format!("revoked_on = {revoked_on}\n"));
    fs::write(&entry, text).expect("revoke");
    app.restart();
    // Today the key still works, but not for a request signed for a time on or after its
    // revocation date (a signed file meant to be carried in later, say).
    assert_eq!(app.signed(&health, "GET", "/api/v1/review/inbox", b"").await.status(), 200);
    let signer = health.signer();
    let tomorrow = now() + 24 * 3600;
    let sig = signer.sign_at("GET", "/api/v1/review/inbox", b"", tomorrow, &amana_core::signing::new_nonce());
    let resp = app.send_signed("GET", "/api/v1/review/inbox", Vec::new(), &sig).await;
    assert_eq!(resp.status(), 401, "signed for the revocation date");

    // The server's calendar moves to tomorrow.
    app.set_env("AMANA_TEST_CLOCK_OFFSET_DAYS", "1");
    app.restart();

    // 1. Its signed requests are refused with a clear error, by the server and in the CLI.
    let resp = app
        .signed(
            &health,
            "POST",
            &format!("/api/v1/review/cases/{old_id}/status"),
            &status_body("in_review", &app.head(&old_id).await),
        )
        .await;
    assert_eq!(resp.status(), 401);
    let body: Value = resp.json().await.expect("error body");
    let message = body["message"].as_str().expect("message");
    assert!(message.contains(&format!("revoked on {revoked_on}")), "{message}");
    let refused = health.cli(&app.address, &["pull"]).failed("pull with a revoked key");
    assert!(refused.stderr.contains(&format!("revoked on {revoked_on}")), "{}", refused.stderr);

    // 2. A new case of the agency is encrypted to oversight only.
    app.submit_simple("health", false).await;
    let list_resp = app.signed(&oversight, "GET", amana_core::wire::paths::CASES_PULL, b"").await;
    assert_eq!(list_resp.status(), 200);
    let list: CaseList = list_resp.json().await.expect("case list");
    let new_case = list.cases.iter().find(|c| c.id != old_id).expect("the new case");
    let key_ids: Vec<&str> = new_case.recipients.iter().map(|r| r.key_id.as_str()).collect();
    assert_eq!(key_ids, [OVERSIGHT], "replies go to current keys only");
    let report = B64.decode(&new_case.envelopes[0].age_b64).expect("base64");
    assert_eq!(x25519_stanzas(&report), 1, "one recipient: oversight");
    let health_id = health.identity();
    assert!(envelope::decrypt(&report, &[&health_id as &dyn age::Identity]).is_err());
    let oversight_id = oversight.identity();
    assert!(envelope::decrypt(&report, &[&oversight_id as &dyn age::Identity]).is_ok());
    // The old case was encrypted to both, and stays so (re-wrapping is a separate step).
    let old_case = list.cases.iter().find(|c| c.id == old_id).expect("the old case");
    let old_report = B64.decode(&old_case.envelopes[0].age_b64).expect("base64");
    assert_eq!(x25519_stanzas(&old_report), 2);

    // 3. The revoked key is still listed, marked with its date ...
    let listed = list.reviewer_keys.iter().find(|k| k.key_id == HEALTH).expect("revoked key listed");
    assert_eq!(listed.revoked_on.map(|d| d.to_string()), Some(revoked_on.clone()));
    assert!(list.reviewer_keys.iter().filter(|k| k.key_id != HEALTH).all(|k| k.revoked_on.is_none()));
    // ... and a home that verified its actions before learning of the revocation keeps them.
    let pulled = oversight.cli(&app.address, &["pull"]).ok("a home that verified before");
    assert!(
        pulled.stdout.contains(&format!("reviewer key {HEALTH} is REVOKED from {revoked_on}")),
        "{}",
        pulled.stdout
    );
    let shown = oversight.cli(&app.address, &["show", &old_id]).ok("show the old case");
    assert!(shown.stdout.contains("acknowledged"), "{}", shown.stdout);
    assert_eq!(oversight.listed_ids(&app.address).len(), 2);

    // A fresh home (a replacement laptop) has verified nothing: the revoked key's action is
    // quarantined — never accepted on first sight — while the other case is stored.
    let fresh = oversight.fresh_copy(&app.dep.root().join("homes/fresh-oversight"));
    let out = fresh.cli(&app.address, &["pull"]).failed("a fresh home meets a revoked key's action");
    assert!(
        out.stderr.contains(&format!("QUARANTINED case {old_id}")) && out.stderr.contains("revokes"),
        "{}",
        out.stderr
    );
    let listed = fresh.cli(&app.address, &["list"]).ok("list").stdout;
    let line = |id: &str| listed.lines().find(|l| l.starts_with(id)).unwrap_or_default().to_string();
    assert!(line(&old_id).contains("UNVERIFIED since"), "{listed}");
    let other = listed.lines().skip(1).find(|l| !l.starts_with(old_id.as_str())).unwrap_or_default();
    assert!(!other.is_empty() && !other.contains("UNVERIFIED"), "the other case is stored: {listed}");

    // The ceremony: oversight vouches, from its verified home, for what the key signed before.
    let signed = app.dep.vouch_from(&oversight.home);
    assert!(signed.stdout.contains("version 3"), "{}", signed.stdout);
    app.restart();
    fresh.cli(&app.address, &["pull"]).ok("the vouched action verifies in a fresh home");
    assert!(fresh.cli(&app.address, &["show", &old_id]).ok("show").stdout.contains("acknowledged"));
}

/// Revoked the same day the key acted (a laptop lost in the afternoon): the morning's action
/// stays valid where a home verified it before, a fresh home quarantines that one case, and
/// no pull fails as a whole.
#[tokio::test]
async fn a_same_day_revocation_quarantines_one_case_and_never_fails_a_pull() {
    let mut app = TestApp::start(Deployment::standard(KeyGen::InProcess), &[]);
    let health = app.dep.reviewer(HEALTH).clone();
    let oversight = app.dep.reviewer(OVERSIGHT).clone();
    app.submit_simple("health", false).await;
    health.cli(&app.address, &["pull"]).ok("pull");
    let acted = health.listed_ids(&app.address).pop().expect("the case");
    health.cli(&app.address, &["status", &acted, "acknowledged"]).ok("acknowledge in the morning");
    oversight.cli(&app.address, &["pull"]).ok("oversight verifies the action");
    app.submit_simple("health", false).await;

    let today = time::OffsetDateTime::now_utc().date().to_string();
    let entry = app.dep.keys_dir().join("reviewers").join(format!("{HEALTH}.toml"));
    let mut text = fs::read_to_string(&entry).expect("entry");
    text.push_str(&format!("revoked_on = {today}\n"));
    fs::write(&entry, text).expect("revoke");
    app.restart();

    let pulled = oversight.cli(&app.address, &["pull"]).ok("the home that verified it keeps it");
    assert!(pulled.stdout.contains("pulled 2 cases"), "{}", pulled.stdout);
    let fresh = oversight.fresh_copy(&app.dep.root().join("homes/fresh-same-day"));
    let out = fresh.cli(&app.address, &["pull"]).failed("a fresh home");
    assert!(out.stderr.contains(&format!("QUARANTINED case {acted}")), "{}", out.stderr);
    assert!(out.stdout.contains("pulled 1 case"), "the other case is stored: {}", out.stdout);
}
