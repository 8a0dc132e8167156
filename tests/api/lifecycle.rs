//! Case work end to end through the REAL server and the REAL `amana-review`: the lifecycle
//! with replies, follow-ups, an extension and a rating (SECURITY.md invariant 3: the reply
//! text is in no server file and no log); a rewritten history caught by the next pull
//! (invariant 9); escalation of an overdue case with the server's test clock.

use std::time::{Duration, Instant};

use amana_core::events;
use serde_json::json;

use crate::case_support::{case_json, messages, post, reporter_view, wrong_code, ExtraServer};
use crate::helpers::{contains_bytes, files_under, open_db, spawn_app, HEALTH, OVERSIGHT};

const REPORT: &str = "مدير القسم يطلب مبالغ نقدية لتوقيع الرخص.";
const FOLLOW_UP: &str = "معلومة إضافية: يحدث ذلك كل يوم خميس. FOLLOWUP-MARK";
const NOTE: &str = "closing note NOTE-MARK-5521";

#[tokio::test]
async fn full_lifecycle_through_the_cli() {
    let app = spawn_app().await;
    let tag = amana_core::signing::new_nonce();
    let reply = format!("شكراً لك، بدأنا التحقق. REPLY-MARK-{tag}");
    let code = app.submit(&json!({ "kind": "violation", "agency": "health", "body": REPORT })).await;
    let health = app.dep.reviewer(HEALTH);
    let addr = app.address.as_str();

    let out = health.cli(addr, &["pull"]).ok("pull");
    assert!(out.stdout.contains("pulled 1 case (1 new); history verified"), "{}", out.stdout);
    assert!(out.stdout.contains("roster: version 1, signed by the pinned roster key"), "{}", out.stdout);
    let case = health.listed_ids(addr).remove(0);
    let inbox = health.cli(addr, &["inbox"]).ok("inbox").stdout;
    assert!(inbox.lines().any(|l| l.starts_with("new") && l.contains(&case)), "{inbox}");

    // Acknowledge, reply; the reporter reads the reply with the code alone.
    health.cli(addr, &["status", &case, "acknowledged"]).ok("acknowledge");
    let out = health.cli(addr, &["reply", &case, "--message", &reply]).ok("reply");
    assert!(out.stdout.contains("reply sent, encrypted to: the reporter, "), "{}", out.stdout);
    assert!(out.stdout.contains(HEALTH) && out.stdout.contains(OVERSIGHT), "{}", out.stdout);
    let view = reporter_view(&app, addr, &code).await;
    assert_eq!(view["status"], "acknowledged");
    assert_eq!(messages(&view, "reply"), [reply.as_str()]);
    // A wrong code reads nothing.
    assert_eq!(post(&app, addr, "/api/v1/status", &json!({ "code": wrong_code(&code) })).await.0, 404);

    // The reporter adds information; the reviewer reads the whole thread in order.
    let (status, _) =
        post(&app, addr, "/api/v1/followups", &json!({ "code": code, "body": FOLLOW_UP })).await;
    assert_eq!(status, 201);
    health.cli(addr, &["pull"]).ok("second pull");
    let shown = health.cli(addr, &["show", &case]).ok("show").stdout;
    let pos = |s: &str| shown.find(s).unwrap_or_else(|| panic!("{s:?} missing:\n{shown}"));
    assert!(pos(REPORT) < pos(&reply) && pos(&reply) < pos(FOLLOW_UP), "thread order:\n{shown}");
    for line in [
        "status_changed  acknowledged by health-officer",
        "reply           acknowledged by health-officer",
        "follow_up       acknowledged",
        "--- reply by health-officer, written",
        "--- follow-up from the reporter, written",
    ] {
        pos(line);
    }

    // Extension: over the limit refused locally, within it accepted.
    health.cli(addr, &["extend", &case, "--days", "200", "--reason", "x"]).failed("too long");
    health
        .cli(addr, &["extend", &case, "--days", "30", "--reason", "awaiting the audit office"])
        .ok("extend");

    // Onwards to closure, with a note for the reviewers; an invalid transition is refused,
    // locally and by the server.
    health.cli(addr, &["status", &case, "in_review"]).ok("in review");
    let out = health.cli(addr, &["status", &case, "closed_action_taken", "--note", NOTE]).ok("close");
    assert!(out.stdout.contains("in_review -> closed_action_taken"), "{}", out.stdout);
    assert!(out.stdout.contains("note for reviewers encrypted to:") && !out.stdout.contains("the reporter"));
    let out = health.cli(addr, &["status", &case, "in_review"]).failed("closed stays closed");
    assert!(out.stderr.contains("allowed next: none (the case is closed)"), "{}", out.stderr);
    let signer = health.signer();
    let path = format!("/api/v1/review/cases/{case}/status");
    let body = crate::helpers::status_body("in_review", &app.head(&case).await);
    let sig = signer.sign("POST", &path, &body);
    let resp = app.send_signed("POST", &path, body, &sig).await;
    assert_eq!(resp.status(), 409, "the server refuses it too");

    // The reporter rates once.
    let view = reporter_view(&app, addr, &code).await;
    assert_eq!(
        (view["status"].as_str(), view["can_rate"].as_bool()),
        (Some("closed_action_taken"), Some(true))
    );
    assert_eq!(messages(&view, "follow_up"), [FOLLOW_UP]);
    assert_eq!(post(&app, addr, "/api/v1/rating", &json!({ "code": code, "rating": 4 })).await.0, 204);
    assert_eq!(post(&app, addr, "/api/v1/rating", &json!({ "code": code, "rating": 5 })).await.0, 409);
    health.cli(addr, &["pull"]).ok("pull after rating");
    let shown = health.cli(addr, &["show", &case]).ok("show").stdout;
    for line in [
        "status          closed_action_taken",
        "rating          4 of 5",
        "extension days  30",
        "rated           closed_action_taken (rating 4)",
        "(+30 days)",
        "--- note for reviewers by health-officer",
        "awaiting the audit office",
        NOTE,
    ] {
        assert!(shown.contains(line), "{line:?} missing:\n{shown}");
    }
    let kpis = health.cli(addr, &["kpis", "--json"]).ok("kpis").stdout;
    let kpis: serde_json::Value = serde_json::from_str(&kpis).expect("json");
    let all = kpis["groups"].as_array().and_then(|g| g.last()).expect("total");
    assert_eq!((all["cases"].as_u64(), all["average_rating"].as_f64()), (Some(1), Some(4.0)));

    // The reply text is in no server file and in no log line.
    for file in files_under(&app.dep.data_dir()) {
        let bytes = std::fs::read(&file).expect("read");
        for needle in [reply.as_str(), "REPLY-MARK", FOLLOW_UP] {
            assert!(!contains_bytes(&bytes, needle.as_bytes()), "{needle} in {}", file.display());
        }
    }
    let logs = app.stderr() + &app.stdout();
    assert!(!logs.contains("REPLY-MARK") && !logs.contains(&reply), "reply text in the server log");
}

#[tokio::test]
async fn a_note_is_for_reviewers_only_and_a_stale_status_is_refused_by_the_server() {
    let app = spawn_app().await;
    let code = app.submit_simple("health", false).await;
    let (health, oversight) = (app.dep.reviewer(HEALTH), app.dep.reviewer(OVERSIGHT));
    let addr = app.address.as_str();
    health.cli(addr, &["pull"]).ok("pull");
    oversight.cli(addr, &["pull"]).ok("pull");
    let case = health.listed_ids(addr).remove(0);
    health.cli(addr, &["status", &case, "acknowledged", "--note", NOTE]).ok("ack with note");
    // The oversight copy still says `received`: acknowledging again passes the local check
    // and is refused by the server.
    let out = oversight.cli(addr, &["status", &case, "acknowledged"]).failed("stale");
    assert!(
        out.stderr.contains("HTTP 409") && out.stderr.contains("cannot move a case from acknowledged"),
        "{}",
        out.stderr
    );
    oversight.cli(addr, &["pull"]).ok("refresh");
    let shown = oversight.cli(addr, &["show", &case]).ok("show").stdout;
    let heading = "--- note for reviewers by health-officer (with the move to acknowledged), written";
    assert!(shown.contains(heading) && shown.contains(NOTE), "{shown}");
    // The reporter never sees the note.
    let view = reporter_view(&app, addr, &code).await;
    assert_eq!(view["messages"].as_array().map(Vec::len), Some(0), "{view}");
}

#[tokio::test]
async fn a_history_rewritten_in_the_database_is_caught_by_the_next_pull() {
    let app = spawn_app().await;
    app.submit_simple("health", false).await;
    let health = app.dep.reviewer(HEALTH);
    let addr = app.address.as_str();
    health.cli(addr, &["pull"]).ok("pull");
    let case = health.listed_ids(addr).remove(0);
    health.cli(addr, &["status", &case, "acknowledged"]).ok("ack");
    health.cli(addr, &["pull"]).ok("pull");
    let case_file = case_json(health, &case);
    let before = std::fs::read(&case_file).expect("case.json");
    let heads = std::fs::read(health.home.join("verified-heads.json")).expect("heads");
    let pool = open_db(&app.dep.db_path()).await;

    // 1. One row edited in place: the chain no longer verifies.
    let detail: String = sqlx::query_scalar("SELECT detail FROM events WHERE case_id = ? AND seq = 1")
        .bind(&case)
        .fetch_one(&pool)
        .await
        .expect("detail");
    sqlx::query("UPDATE events SET detail = ? WHERE case_id = ? AND seq = 1")
        .bind(detail.replace("received", "in_review"))
        .bind(&case)
        .execute(&pool)
        .await
        .expect("tamper");
    // The head is not the row edited: a heads-first pull keeps the verified copy, a full
    // pull fetches the case again and refuses it.
    let out = health.cli(addr, &["pull"]).ok("pull, heads first");
    assert!(out.stdout.contains("0 changed, 1 unchanged"), "{}", out.stdout);
    let out = health.cli(addr, &["pull", "--full"]).failed("pull of an altered history");
    assert!(
        out.stderr.contains(&format!("case {case}")) && out.stderr.contains("hash does not match"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read(&case_file).expect("case.json"), before, "local copy untouched");

    // 2. The same edit with the whole chain recomputed, as a careful forger would: the
    //    acknowledgement's signed head is no longer an event of the chain (so even a home
    //    that never pulled the case refuses it), and the remembered head no longer matches.
    let mut bundle = app.cases_as(app.dep.reviewer(OVERSIGHT)).await.remove(0);
    bundle.events[1].detail = detail;
    bundle.events[0].on = bundle.events[0].on.previous_day().expect("date");
    let mut prev = events::GENESIS.to_string();
    for e in &mut bundle.events {
        e.prev_hash = prev;
        e.hash = events::compute_hash(&case, e);
        prev = e.hash.clone();
        sqlx::query("UPDATE events SET on_date = ?, detail = ?, prev_hash = ?, hash = ? WHERE case_id = ? AND seq = ?")
            .bind(e.on.to_string())
            .bind(&e.detail)
            .bind(&e.prev_hash)
            .bind(&e.hash)
            .bind(&case)
            .bind(e.seq)
            .execute(&pool)
            .await
            .expect("rewrite");
    }
    pool.close().await;
    let out = health.cli(addr, &["pull"]).failed("pull of a rewritten history");
    // Caught several times over: the remembered head, the submission's attestation (a
    // database writer cannot re-sign the date it changed), the head the status change signed.
    assert!(
        out.stderr.contains(&format!("QUARANTINED case {case}"))
            && ["rewritten", "attested submission", "signed against another history"]
                .iter()
                .any(|why| out.stderr.contains(why)),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("pulled 0 cases"), "{}", out.stdout);
    let fresh = app.dep.reviewer(OVERSIGHT).cli(addr, &["pull"]).failed("a fresh home");
    assert!(fresh.stderr.contains("event 1: signed against another history"), "{}", fresh.stderr);
    assert_eq!(std::fs::read(&case_file).expect("case.json"), before, "local copy untouched");
    assert_eq!(std::fs::read(health.home.join("verified-heads.json")).expect("heads"), heads);
}

#[tokio::test]
async fn an_overdue_case_is_escalated_and_shows_it_everywhere() {
    let mut app = spawn_app().await;
    // A complaint must be acknowledged within 3 days.
    let code = app.submit_simple("health", false).await;
    let health = app.dep.reviewer(HEALTH).clone();
    health.cli(&app.address, &["pull"]).ok("pull before");
    app.stop();
    // Ten days later, on the same data.
    let later = ExtraServer::start(
        &app.dep,
        &["--test-clock-offset-days", "10", "--escalation-interval-secs", "1"],
        "later",
    );
    let addr = later.address.as_str();
    let deadline = Instant::now() + Duration::from_secs(30);
    let view = loop {
        let view = reporter_view(&app, addr, &code).await;
        if view["escalated"] == true || Instant::now() > deadline {
            break view;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(view["escalated"], true, "reporter view: {view}");

    health.cli(addr, &["pull"]).ok("pull after escalation");
    let case = health.listed_ids(addr).remove(0);
    let inbox = health.cli(addr, &["inbox"]).ok("inbox").stdout;
    for row in ["escalated", "overdue", "new"] {
        assert!(
            inbox.lines().any(|l| l.starts_with(row) && l.contains(&case)),
            "{row} row lacks {case}:\n{inbox}"
        );
    }
    let shown = health.cli(addr, &["show", &case]).ok("show").stdout;
    assert!(shown.contains("escalated       yes"), "{shown}");
    assert!(shown.contains("  escalated       received"), "history entry:\n{shown}");
    let oversight = app.dep.reviewer(OVERSIGHT);
    let inbox = oversight.cli(addr, &["inbox"]).ok("oversight inbox").stdout;
    assert!(inbox.lines().any(|l| l.starts_with("escalated") && l.contains(&case)), "{inbox}");
}
