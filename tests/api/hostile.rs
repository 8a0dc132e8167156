//! The trust model played by its attackers against the REAL server and the REAL CLI
//! (docs/FORMATS.md §9, SECURITY.md "Who can do what"): a database writer with no key at all,
//! and the air-gap carrier who edits bundles. Each attack must be refused or quarantined,
//! nothing may open with the attacker's key, readable copies survive, and unrelated cases
//! still pull.

use amana_core::events::{self, Event, EventKind};
use serde_json::{json, Value};

use crate::case_support::case_json;
use crate::helpers::{open_db, review_cli, spawn_app, HEALTH, OVERSIGHT};

/// Appends a forged event to a case in the database, linked and hashed as the server would
/// (a careful forger), but unsigned: no key was needed to write it.
async fn insert_forged_event(pool: &sqlx::SqlitePool, case: &str, kind: EventKind, detail: Value) {
    let (seq, prev_hash, status): (i64, String, String) =
        sqlx::query_as("SELECT seq, hash, status FROM events WHERE case_id = ? ORDER BY seq DESC LIMIT 1")
            .bind(case)
            .fetch_one(pool)
            .await
            .expect("last event");
    let mut e = Event {
        seq: seq + 1,
        on: time::OffsetDateTime::now_utc().date(),
        kind,
        status: status.parse().expect("status"),
        actor: None,
        detail: detail.to_string(),
        signed: None,
        prev_hash,
        hash: String::new(),
    };
    e.hash = events::compute_hash(case, &e);
    sqlx::query("INSERT INTO events (case_id, seq, on_date, kind, status, actor, detail, signed, prev_hash, hash) VALUES (?, ?, ?, ?, ?, NULL, ?, NULL, ?, ?)")
        .bind(case)
        .bind(e.seq)
        .bind(e.on.to_string())
        .bind(kind.as_str())
        .bind(&status)
        .bind(&e.detail)
        .bind(&e.prev_hash)
        .bind(&e.hash)
        .execute(pool)
        .await
        .expect("insert forged event");
}

#[tokio::test]
async fn a_database_writer_can_neither_redirect_replies_nor_speak_for_the_reporter() {
    let app = spawn_app().await;
    let addr = app.address.clone();
    app.submit_simple("health", false).await;
    let health = app.dep.reviewer(HEALTH).clone();
    health.cli(&addr, &["pull"]).ok("pull");
    let case = health.listed_ids(&addr).remove(0);
    let held = std::fs::read(case_json(&health, &case)).expect("case.json");
    app.submit_simple("health", false).await;

    // The writer swaps the reporter's reply recipient for its own key.
    let attacker = age::x25519::Identity::generate();
    let pool = open_db(&app.dep.db_path()).await;
    sqlx::query("UPDATE cases SET reporter_recipient = ? WHERE id = ?")
        .bind(attacker.to_public().to_string())
        .bind(&case)
        .execute(&pool)
        .await
        .expect("swap the recipient");
    // A home that held the case and a fresh one both refuse it; the other case still pulls.
    for reviewer in [&health, app.dep.reviewer(OVERSIGHT)] {
        let out = reviewer.cli(&addr, &["pull"]).failed("pull of a swapped recipient");
        assert!(out.stderr.contains(&format!("QUARANTINED case {case}")), "{}", out.stderr);
        assert!(out.stderr.contains("reporter recipient"), "{}", out.stderr);
        assert!(out.stdout.contains("pulled 1 case"), "the other case is stored: {}", out.stdout);
    }
    assert_eq!(std::fs::read(case_json(&health, &case)).expect("kept"), held, "the readable copy survives");
    let listed = health.cli(&addr, &["list"]).ok("list").stdout;
    assert!(listed.contains("UNVERIFIED"), "{listed}");
    // A reply made now is encrypted from the verified copy: the attacker's key opens nothing.
    health.cli(&addr, &["reply", &case, "--message", "HOSTILE-REPLY-MARK"]).ok("reply");
    let replies: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT ciphertext FROM envelopes WHERE case_id = ? AND part = 'reply'")
            .bind(&case)
            .fetch_all(&pool)
            .await
            .expect("replies");
    assert_eq!(replies.len(), 1);
    assert!(amana_core::envelope::decrypt(&replies[0], &[&attacker as &dyn age::Identity]).is_err());

    // The writer puts the recipient back and inserts a "follow-up" in the reporter's name.
    let original: String = serde_json::from_slice::<Value>(&held).expect("json")["reporter_recipient"]
        .as_str()
        .expect("recipient")
        .to_string();
    sqlx::query("UPDATE cases SET reporter_recipient = ? WHERE id = ?")
        .bind(&original)
        .bind(&case)
        .execute(&pool)
        .await
        .expect("restore");
    let envelope: String =
        sqlx::query_scalar("SELECT id FROM envelopes WHERE case_id = ? AND part = 'report'")
            .bind(&case)
            .fetch_one(&pool)
            .await
            .expect("report id");
    insert_forged_event(&pool, &case, EventKind::FollowUp, json!({ "envelope_id": envelope })).await;
    insert_forged_event(&pool, &case, EventKind::Escalated, json!({})).await;
    pool.close().await;
    let fresh = app.dep.reviewer(OVERSIGHT).fresh_copy(&app.dep.root().join("homes/fresh-oversight"));
    let out = fresh.cli(&addr, &["pull"]).failed("pull of an invented follow-up");
    assert!(out.stderr.contains(&format!("QUARANTINED case {case}")), "{}", out.stderr);
    assert!(out.stderr.contains("no attestation"), "{}", out.stderr);
}

#[tokio::test]
async fn the_carrier_can_neither_add_a_reader_nor_invent_a_case() {
    let app = spawn_app().await;
    let addr = app.address.clone();
    app.submit_simple("health", false).await;
    let health = app.dep.reviewer(HEALTH).clone();
    let home = health.home.to_str().expect("utf-8").to_string();
    // Once online (it learns the deployment id and verifies the roster), then air-gapped.
    health.cli(&addr, &["pull"]).ok("first pull");
    // The air gap: the laptop signs a pull authorization, the carrier fetches the bundle.
    let dir = app.dep.root().join("usb");
    std::fs::create_dir_all(&dir).expect("usb");
    let auth = dir.join("auth.json");
    let bundle = dir.join("bundle.json");
    review_cli(&["--home", &home, "authorize-pull", "--out", auth.to_str().expect("utf-8")]).ok("authorize");
    let connected = tempfile::tempdir().expect("connected");
    let mut cmd = crate::helpers::review_command(&[
        "--server",
        &addr,
        "pull",
        "--authorization",
        auth.to_str().expect("utf-8"),
        "--out",
        bundle.to_str().expect("utf-8"),
    ]);
    cmd.env("HOME", connected.path());
    crate::helpers::run_review(cmd).ok("carrier pulls");

    // The carrier adds an "oversight" reader of its own and invents a second case by copying
    // the first under another id.
    let carrier = age::x25519::Identity::generate();
    let mut list: Value = serde_json::from_slice(&std::fs::read(&bundle).expect("bundle")).expect("json");
    let real = list["cases"][0].clone();
    let case = real["id"].as_str().expect("id").to_string();
    list["cases"][0]["recipients"].as_array_mut().expect("recipients").push(json!({
        "key_id": "audit", "age_recipient": carrier.to_public().to_string(), "oversight": true
    }));
    let mut invented = real.clone();
    invented["id"] = json!("0123456789abcdef0123");
    list["cases"].as_array_mut().expect("cases").push(invented);
    std::fs::write(&bundle, serde_json::to_vec(&list).expect("json")).expect("edit bundle");

    let out = review_cli(&["--home", &home, "import", bundle.to_str().expect("utf-8")]).failed("import");
    assert!(out.stderr.contains("QUARANTINED case 0123456789abcdef0123"), "{}", out.stderr);
    assert!(out.stdout.contains("imported 1 case"), "the genuine case is stored: {}", out.stdout);
    // The laptop computes the readers from the signed roster: nothing goes to the carrier.
    let out = review_cli(&["--home", &home, "--offline", "reply", &case, "--message", "CARRIER-MARK"])
        .failed("reply to a case whose list names another reader");
    assert!(out.stderr.contains("other readers"), "{}", out.stderr);
    assert!(
        !health.home.join("outbox").exists()
            || std::fs::read_dir(health.home.join("outbox")).expect("outbox").count() == 0
    );
}

/// A case from a database made before the server attested events: a home that verified it
/// then keeps it; a fresh home quarantines it (an unsigned event is what a forger makes) until
/// oversight vouches for its head in a newly signed roster.
#[tokio::test]
async fn a_case_from_before_the_upgrade_needs_a_home_that_verified_it_or_oversights_word() {
    let mut app = spawn_app().await;
    app.submit_simple("health", false).await;
    let oversight = app.dep.reviewer(OVERSIGHT).clone();
    let case = app.cases_as(&oversight).await.remove(0);
    // What the previous release stored: an unsigned submission naming only its envelope.
    let envelope = case.envelopes[0].id.clone();
    let mut e = case.events[0].clone();
    e.signed = None;
    e.detail = json!({ "envelope_id": envelope }).to_string();
    e.hash = events::compute_hash(&case.id, &e);
    let pool = open_db(&app.dep.db_path()).await;
    sqlx::query("UPDATE events SET signed = NULL, detail = ?, hash = ? WHERE case_id = ? AND seq = 0")
        .bind(&e.detail)
        .bind(&e.hash)
        .bind(&case.id)
        .execute(&pool)
        .await
        .expect("an old submission");
    pool.close().await;
    // Oversight's home had verified it before the upgrade (its remembered head).
    let heads = json!({ case.id.clone(): { "seq": 0, "hash": e.hash } });
    std::fs::write(oversight.home.join("verified-heads.json"), heads.to_string()).expect("heads");
    oversight.cli(&app.address, &["pull"]).ok("a home that verified it keeps it");
    // A fresh home (a new reviewer's) has no such memory.
    let health = app.dep.reviewer(HEALTH).clone();
    let out = health.cli(&app.address, &["pull"]).failed("a fresh home");
    assert!(out.stderr.contains("carries no attestation"), "{}", out.stderr);
    // Oversight vouches, from its home, in a newly signed roster.
    app.dep.vouch_from(&oversight.home);
    app.restart();
    health.cli(&app.address, &["pull"]).ok("the vouched case verifies in a fresh home");
    assert!(health.cli(&app.address, &["show", &case.id]).ok("show").stdout.contains("received"));
}

/// A rating is the reporter's word too: one a database writer adds to a closed case (with the
/// case's clear rating to match) is refused, by the home that pulled it and by a fresh one.
#[tokio::test]
async fn a_database_writer_cannot_rate_a_case_in_the_reporters_name() {
    let app = spawn_app().await;
    let addr = app.address.clone();
    app.submit_simple("health", false).await;
    let health = app.dep.reviewer(HEALTH).clone();
    health.cli(&addr, &["pull"]).ok("pull");
    let case = health.listed_ids(&addr).remove(0);
    health.cli(&addr, &["status", &case, "acknowledged"]).ok("acknowledge");
    health.cli(&addr, &["pull"]).ok("pull");
    health.cli(&addr, &["status", &case, "closed_unfounded"]).ok("close");
    health.cli(&addr, &["pull"]).ok("pull the closure");
    let pool = open_db(&app.dep.db_path()).await;
    insert_forged_event(&pool, &case, EventKind::Rated, json!({ "rating": 1 })).await;
    sqlx::query("UPDATE cases SET rating = 1 WHERE id = ?").bind(&case).execute(&pool).await.expect("rating");
    pool.close().await;
    for reviewer in [&health, app.dep.reviewer(OVERSIGHT)] {
        let out = reviewer.cli(&addr, &["pull"]).failed("pull of a forged rating");
        assert!(out.stderr.contains(&format!("QUARANTINED case {case}")), "{}", out.stderr);
        assert!(out.stderr.contains("no attestation"), "{}", out.stderr);
    }
}
