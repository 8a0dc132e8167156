//! Transfer, exclusion and assignment (issue 15) through the REAL server and the REAL CLI, on
//! SQLite and PostgreSQL: after a transfer the former agency can neither pull nor decrypt the
//! case from the server while the new one reads it all; after an exclusion the excluded key
//! opens nothing the server holds or stores later; an agency reviewer is refused oversight's
//! actions; a second officer is warned before replying to a case someone else holds.

use serde_json::json;

use crate::case_support::{messages, post, reporter_view};
use crate::db_writer::{on_both_backends, Arg, Target};
use crate::helpers::{Reviewer, TestApp, HEALTH, OVERSIGHT, TRANSPORT};

const REPORT: &str = "CUSTODY-REPORT-MARK the depot sells the fuel";
const REPLY: &str = "CUSTODY-REPLY-MARK we are looking into it";
const FOLLOW_UP: &str = "CUSTODY-FOLLOWUP-MARK it happens at night";

/// Submits a health report with one evidence file; returns its code.
async fn submit_with_file(app: &TestApp) -> String {
    let part = reqwest::multipart::Part::bytes(b"litres,900\n".to_vec())
        .file_name("fuel.csv")
        .mime_str("text/csv")
        .expect("mime");
    let form = reqwest::multipart::Form::new()
        .text("kind", "violation")
        .text("agency", "health")
        .text("body", REPORT)
        .part("attachment", part);
    let resp = app.client.post(app.url("/api/v1/reports")).multipart(form).send().await.expect("submit");
    assert_eq!(resp.status(), 201);
    let body: serde_json::Value = resp.json().await.expect("json");
    body["code"].as_str().expect("code").to_string()
}

/// Whether any envelope (report, follow-up, reply, note) the server holds for `case` opens
/// with `who`'s key.
async fn opens_anything(t: &Target, case: &str, who: &Reviewer) -> bool {
    opens(t, "SELECT ciphertext FROM envelopes WHERE case_id = $1", case, who).await
}

/// Whether an evidence file's description still opens with `who`'s key: the known limit
/// (SECURITY.md, "Transfers and exclusions"): files are not re-encrypted, only no longer served.
async fn file_still_opens(t: &Target, case: &str, who: &Reviewer) -> bool {
    opens(t, "SELECT meta FROM attachments WHERE case_id = $1", case, who).await
}

async fn opens(t: &Target, sql: &str, case: &str, who: &Reviewer) -> bool {
    let db = t.writer().await;
    let blobs = db.blobs(sql, &[Arg::Text(case)]).await;
    db.close().await;
    let id = who.identity();
    blobs.iter().any(|b| amana_core::envelope::decrypt(b, &[&id as &dyn age::Identity]).is_ok())
}

/// A signed `GET` of the case's first evidence file as `who`: its status.
async fn fetch_file(app: &TestApp, who: &Reviewer, case: &str, file: &str) -> u16 {
    let path = amana_core::wire::paths::attachment(case, file);
    app.signed(who, "GET", &path, b"").await.status().as_u16()
}

on_both_backends!(
    /// Oversight moves a misrouted health case to transport: the health officer's pull no
    /// longer lists it and every route answers 404, no envelope on the server opens with its
    /// key, the transport officer reads the whole thread, and the reporter sees the new agency
    /// and still reads the reply.
    a_transfer_hands_the_case_to_the_new_agency_only => transfer_scenario
);

async fn transfer_scenario(t: &mut Target) {
    let app = &t.app;
    let addr = app.address.clone();
    let code = submit_with_file(app).await;
    let (health, transport, oversight) = (
        app.dep.reviewer(HEALTH).clone(),
        app.dep.reviewer(TRANSPORT).clone(),
        app.dep.reviewer(OVERSIGHT).clone(),
    );
    health.cli(&addr, &["pull"]).ok("health pulls");
    let case = health.listed_ids(&addr).remove(0);
    health.cli(&addr, &["reply", &case, "--message", REPLY]).ok("reply");
    let (status, _) =
        post(app, &addr, "/api/v1/followups", &json!({ "code": code, "body": FOLLOW_UP })).await;
    assert_eq!(status, 201);
    health.cli(&addr, &["pull"]).ok("health pulls the thread");
    let file = app.cases_as(&oversight).await.remove(0).attachments[0].id.clone();
    assert_eq!(fetch_file(app, &health, &case, &file).await, 200, "health is served the file before");

    // The agency may not move the case itself: the CLI refuses before signing, the server with 403.
    let out = health.cli(&addr, &["transfer", &case, "transport"]).failed("an agency reviewer transfers");
    assert!(out.stderr.contains("only oversight reviewers may transfer"), "{}", out.stderr);
    let body = json!({ "head": app.cases_as(&health).await[0].events.last().expect("event").hash,
                       "agency": "transport", "readers": [OVERSIGHT], "envelopes": [] });
    let path = amana_core::wire::paths::transfer(&case);
    assert_eq!(app.signed(&health, "POST", &path, body.to_string().as_bytes()).await.status(), 403);

    oversight.cli(&addr, &["pull"]).ok("oversight pulls");
    let out = oversight.cli(&addr, &["transfer", &case, "transport"]).ok("transfer");
    assert!(out.stdout.contains("transferred to transport"), "{}", out.stdout);
    assert!(out.stdout.contains(TRANSPORT) && !out.stdout.contains(HEALTH), "{}", out.stdout);

    // The former agency: not listed, 404 on every route, nothing on the server opens with its key.
    // An incremental pull sends what changed in the key's scope; `--full` reconciles the rest.
    let pulled = health.cli(&addr, &["pull"]).ok("health pulls after the transfer");
    assert!(pulled.stdout.starts_with("pulled 0 cases"), "{pulled:?}");
    let pulled = health.cli(&addr, &["pull", "--full"]).ok("health pulls everything after the transfer");
    assert!(pulled.stdout.contains("gone from the server"), "{pulled:?}");
    let shown = health.cli(&addr, &["show", &case]).ok("show").stdout;
    assert!(shown.contains("not listed by the server since"), "{shown}");
    assert!(app.cases_as(&health).await.is_empty());
    let status_body = crate::helpers::status_body("acknowledged", &"0".repeat(64));
    let path = amana_core::wire::paths::status(&case);
    assert_eq!(app.signed(&health, "POST", &path, &status_body).await.status(), 404);
    assert_eq!(
        fetch_file(app, &health, &case, &file).await,
        404,
        "the old agency is no longer served the file"
    );
    assert!(!opens_anything(t, &case, &health).await, "an envelope still opens with the old agency's key");
    assert!(file_still_opens(t, &case, &health).await, "the documented limit changed: update SECURITY.md");

    // The new agency reads everything; every home verifies the history.
    transport.cli(&addr, &["pull"]).ok("transport pulls");
    let shown = transport.cli(&addr, &["show", &case]).ok("transport reads").stdout;
    for text in [REPORT, REPLY, FOLLOW_UP] {
        assert!(shown.contains(text), "{text} missing:\n{shown}");
    }
    assert!(shown.contains("transferred") && shown.contains("(from health to transport)"), "{shown}");
    assert!(!shown.contains("differs from the case metadata"), "{shown}");
    oversight.cli(&addr, &["pull"]).ok("oversight verifies the transfer");
    assert_eq!(fetch_file(app, &transport, &case, &file).await, 200);
    let view = reporter_view(app, &addr, &code).await;
    assert_eq!(view["agency"], "transport", "{view}");
    assert_eq!(messages(&view, "reply"), [REPLY]);
    assert_eq!(messages(&view, "follow_up"), [FOLLOW_UP]);
}

on_both_backends!(
    /// Oversight excludes the health officer from a case about them: refused to the officer
    /// itself, then the officer is no longer served the case or its file, nothing on the server
    /// opens with their key — not even a follow-up stored afterwards — and the reporter, oversight
    /// and a fresh oversight home still read and verify everything.
    an_excluded_reviewer_opens_nothing_new => exclusion_scenario
);

async fn exclusion_scenario(t: &mut Target) {
    let app = &t.app;
    let addr = app.address.clone();
    let code = submit_with_file(app).await;
    let (health, oversight) = (app.dep.reviewer(HEALTH).clone(), app.dep.reviewer(OVERSIGHT).clone());
    health.cli(&addr, &["pull"]).ok("health pulls");
    let case = health.listed_ids(&addr).remove(0);
    let out =
        health.cli(&addr, &["exclude", &case, OVERSIGHT]).failed("an agency reviewer excludes oversight");
    assert!(out.stderr.contains("only oversight reviewers may exclude"), "{}", out.stderr);
    let body = json!({ "head": app.cases_as(&health).await[0].events[0].hash,
                       "reviewer": OVERSIGHT, "readers": [HEALTH], "envelopes": [] });
    let path = amana_core::wire::paths::exclude(&case);
    assert_eq!(app.signed(&health, "POST", &path, body.to_string().as_bytes()).await.status(), 403);

    oversight.cli(&addr, &["pull"]).ok("oversight pulls");
    let out = oversight.cli(&addr, &["exclude", &case, HEALTH]).ok("exclude");
    assert!(out.stdout.contains(&format!("{HEALTH} excluded")), "{}", out.stdout);
    assert!(!opens_anything(t, &case, &health).await, "an envelope still opens with the excluded key");
    let file = app.cases_as(&oversight).await.remove(0).attachments[0].id.clone();
    assert_eq!(fetch_file(app, &health, &case, &file).await, 404);
    assert!(app.cases_as(&health).await.is_empty(), "the excluded reviewer is not served the case");

    // A follow-up stored after the exclusion is not encrypted to the excluded key either.
    let (status, _) =
        post(app, &addr, "/api/v1/followups", &json!({ "code": code, "body": FOLLOW_UP })).await;
    assert_eq!(status, 201);
    assert!(!opens_anything(t, &case, &health).await, "a new follow-up opens with the excluded key");
    let out =
        health.cli(&addr, &["reply", &case, "--message", REPLY]).failed("the excluded reviewer replies");
    assert!(out.stderr.contains("404") || out.stderr.contains("no case"), "{}", out.stderr);

    oversight.cli(&addr, &["pull"]).ok("oversight verifies the exclusion");
    oversight.cli(&addr, &["reply", &case, "--message", REPLY]).ok("oversight replies");
    let fresh = oversight.fresh_copy(&app.dep.root().join(format!("homes/fresh-{}", t.backend)));
    fresh.cli(&addr, &["pull"]).ok("a fresh oversight home verifies the history");
    let shown = fresh.cli(&addr, &["show", &case]).ok("show").stdout;
    assert!(shown.contains(REPORT) && shown.contains(FOLLOW_UP), "{shown}");
    assert!(!opens_anything(t, &case, &health).await, "the reply opens with the excluded key");
    // A later rewrap keeps them out: the CLI names the readers it encrypted to, and the server
    // refuses a rewrap naming the excluded reviewer.
    fresh.cli(&addr, &["rewrap", &case]).ok("rewrap after the exclusion");
    assert!(!opens_anything(t, &case, &health).await, "a rewrap re-added the excluded key");
    let bundle = app.cases_as(&oversight).await.remove(0);
    let body = json!({ "head": bundle.events.last().expect("event").hash, "readers": [OVERSIGHT, HEALTH],
                       "envelopes": [{ "envelope_id": bundle.envelopes[0].id, "age_b64": bundle.envelopes[0].age_b64,
                                       "plaintext_sha256": "a".repeat(64) }] });
    let path = amana_core::wire::paths::rewrap(&case);
    assert_eq!(app.signed(&oversight, "POST", &path, body.to_string().as_bytes()).await.status(), 409);
    oversight.cli(&addr, &["pull"]).ok("oversight verifies the rewrap");
    let view = reporter_view(app, &addr, &code).await;
    assert_eq!(messages(&view, "reply"), [REPLY]);
}

on_both_backends!(
    /// The health officer takes a case; oversight (a second reader) is warned before replying
    /// and must say --anyway; the inbox shows who holds it; handing it over is a signed event
    /// every home verifies.
    assignment_warns_a_second_reader => assignment_scenario
);

async fn assignment_scenario(t: &mut Target) {
    let app = &t.app;
    let addr = app.address.clone();
    app.submit_simple("health", false).await;
    let (health, oversight) = (app.dep.reviewer(HEALTH).clone(), app.dep.reviewer(OVERSIGHT).clone());
    health.cli(&addr, &["pull"]).ok("health pulls");
    let case = health.listed_ids(&addr).remove(0);
    let transport = app.dep.reviewer(TRANSPORT).clone();
    let out = health.cli(&addr, &["assign", &case, "--to", TRANSPORT]).failed("hand to another agency");
    assert!(out.stderr.contains("not one of its readers"), "{}", out.stderr);
    assert!(transport.cli(&addr, &["inbox"]).ok("inbox").stdout.lines().all(|l| !l.contains(&case)));
    // Taken on an air-gapped laptop: signed into the outbox, carried, pushed.
    let out = health.cli(&addr, &["--offline", "assign", &case]).ok("health takes the case offline");
    assert!(out.stdout.contains("signed offline, not sent yet"), "{}", out.stdout);
    let outbox = health.home.join("outbox");
    let outbox = outbox.to_str().expect("path");
    health.cli(&addr, &["push", outbox]).ok("push the assignment");
    let inbox = health.cli(&addr, &["inbox"]).ok("inbox").stdout;
    assert!(inbox.contains(&format!("{case} ({HEALTH})")), "{inbox}");

    oversight.cli(&addr, &["pull"]).ok("oversight pulls the assignment");
    let shown = oversight.cli(&addr, &["show", &case]).ok("show").stdout;
    assert!(shown.contains(&format!("held by         {HEALTH}")), "{shown}");
    let out = oversight.cli(&addr, &["reply", &case, "--message", REPLY]).failed("reply to a held case");
    assert!(
        out.stderr.contains(&format!("held by {HEALTH}")) && out.stderr.contains("--anyway"),
        "{}",
        out.stderr
    );
    let out = oversight.cli(&addr, &["reply", &case, "--message", REPLY, "--anyway"]).ok("reply anyway");
    assert!(out.stderr.contains("warning"), "{}", out.stderr);
    health.cli(&addr, &["pull"]).ok("health pulls");
    health.cli(&addr, &["assign", &case, "--to", OVERSIGHT]).ok("hand over to oversight");
    oversight.cli(&addr, &["pull"]).ok("oversight verifies the hand-over");
    oversight
        .cli(&addr, &["reply", &case, "--message", "second reply"])
        .ok("the holder replies without warning");
    let out = health.cli(&addr, &["pull"]).ok("pull");
    assert!(!out.stderr.contains("QUARANTINED"), "{}", out.stderr);
}

/// What the server checks on its own, before anything is committed: oversight only for
/// transfer and exclusion (403), scope (404), a known and different agency, a reader set that
/// is exactly the roster's for the case (409 otherwise), no self-exclusion, an excluded or
/// assigned key that is a reader of the case.
#[tokio::test]
async fn the_server_refuses_custody_requests_outside_the_rules() {
    let app = crate::helpers::spawn_app().await;
    app.submit_simple("health", false).await;
    let (health, transport, oversight) = (
        app.dep.reviewer(HEALTH).clone(),
        app.dep.reviewer(TRANSPORT).clone(),
        app.dep.reviewer(OVERSIGHT).clone(),
    );
    let case = app.cases_as(&oversight).await.remove(0);
    let head = case.events[0].hash.clone();
    let age = amana_core::envelope::encrypt(b"x", &[oversight.identity().to_public()]).expect("encrypt");
    let age_b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &age);
    let envelopes = json!([{ "envelope_id": case.envelopes[0].id, "age_b64": age_b64, "plaintext_sha256": "a".repeat(64) }]);
    let (transfer, exclude, assign) = (
        amana_core::wire::paths::transfer(&case.id),
        amana_core::wire::paths::exclude(&case.id),
        amana_core::wire::paths::assign(&case.id),
    );
    let to = |agency: &str, readers: &[&str]| json!({ "head": head, "agency": agency, "readers": readers, "envelopes": envelopes });
    let out = |reviewer: &str, readers: &[&str]| json!({ "head": head, "reviewer": reviewer, "readers": readers, "envelopes": envelopes });
    let events = app.count_rows("events").await;
    for (who, path, body, status, why) in [
        (&health, &transfer, to("transport", &[OVERSIGHT, TRANSPORT]), 403, "an agency reviewer transfers"),
        (&health, &exclude, out(OVERSIGHT, &[HEALTH]), 403, "an agency reviewer excludes oversight"),
        (&transport, &assign, json!({ "head": head, "holder": TRANSPORT }), 404, "out of scope"),
        (&oversight, &transfer, to("nowhere", &[OVERSIGHT]), 400, "unknown agency"),
        (&oversight, &transfer, to("health", &[OVERSIGHT, HEALTH]), 400, "same agency"),
        (&oversight, &transfer, to("transport", &[OVERSIGHT, TRANSPORT, HEALTH]), 409, "a reader too many"),
        (&oversight, &transfer, to("transport", &[OVERSIGHT]), 409, "a reader too few"),
        (&oversight, &exclude, out(OVERSIGHT, &[HEALTH]), 400, "oneself"),
        (&oversight, &exclude, out(TRANSPORT, &[OVERSIGHT, HEALTH]), 400, "not a reader"),
        (&oversight, &exclude, out(HEALTH, &[OVERSIGHT, HEALTH]), 409, "the excluded kept as a reader"),
        (&health, &assign, json!({ "head": head, "holder": TRANSPORT }), 400, "a holder of another agency"),
    ] {
        let resp = app.signed(who, "POST", path, body.to_string().as_bytes()).await;
        assert_eq!(resp.status().as_u16(), status, "{why}");
    }
    assert_eq!(app.count_rows("events").await, events, "refusals commit nothing");
    let body = to("transport", &[OVERSIGHT, TRANSPORT]).to_string();
    assert_eq!(app.signed(&oversight, "POST", &transfer, body.as_bytes()).await.status(), 204);
    assert_eq!(app.count_rows("events").await, events + 1);
}
