//! Incremental, paged pulls (issue 17) through the real server and the real CLI, on SQLite
//! and PostgreSQL: a pull sends what changed since the home's last one, page by page; a case
//! changed later comes again; a purged case reaches the home as a tombstone; evidence files
//! wait on the server beyond the budget until `fetch`; a quarantined case keeps the cursor
//! where it was; an older client's whole-list request still works; and over the air gap a
//! carrier cannot change what an authorization asks for.

use serde_json::json;

use crate::case_support::{arg, connected_cli, post, set_deployment_id};
use crate::db_writer::{on_both_backends, Arg, Target};
use crate::helpers::{spawn_app, status_body, Reviewer, TestApp, HEALTH, OVERSIGHT};

/// Submits a health report with one small evidence file; returns its code.
async fn submit_with_file(app: &TestApp) -> String {
    let part = reqwest::multipart::Part::bytes(b"PULLS-FILE-MARK\n".to_vec())
        .file_name("note.txt")
        .mime_str("text/plain")
        .expect("mime");
    let form = reqwest::multipart::Form::new()
        .text("kind", "violation")
        .text("agency", "health")
        .text("body", "the clinic sells free vaccines")
        .part("attachment", part);
    let resp = app.client.post(app.url("/api/v1/reports")).multipart(form).send().await.expect("submit");
    assert_eq!(resp.status(), 201);
    let body: serde_json::Value = resp.json().await.expect("json");
    body["code"].as_str().expect("code").to_string()
}

/// The `since` of the reviewer's pull cursor, as written.
fn cursor_since(r: &Reviewer) -> serde_json::Value {
    let text = std::fs::read_to_string(r.home.join("pull-cursor.json")).expect("the pull cursor");
    serde_json::from_str::<serde_json::Value>(&text).expect("json")["since"].clone()
}

on_both_backends!(
    /// The whole incremental cycle for one reviewer home (the server's calendar moves on two
    /// days in the middle).
    pulls_send_what_changed_page_by_page => incremental_scenario
);

async fn incremental_scenario(t: &mut Target) {
    let app = &t.app;
    let addr = app.address.clone();
    let health = app.dep.reviewer(HEALTH).clone();
    let oversight = app.dep.reviewer(OVERSIGHT).clone();
    let code = submit_with_file(app).await;
    for _ in 0..3 {
        app.submit_simple("health", false).await;
    }
    app.submit_simple("transport", false).await;

    // First pull: four cases in three pages of at most two, no file within a zero budget.
    let pull = ["pull", "--page-size", "2", "--files-budget", "0"];
    let out = health.cli(&addr, &pull).ok("first pull");
    assert!(out.stdout.starts_with("pulled 4 cases (4 new)"), "{}", out.stdout);
    // The first page's total reaches the CLI (a bar on a terminal, one line otherwise).
    assert!(out.stderr.contains("pulling 4 cases"), "{}", out.stderr);
    assert!(out.stdout.contains("1 file (") && out.stdout.contains("left on the server"), "{}", out.stdout);
    let since = cursor_since(&health);
    assert!(since.is_string(), "{since}");
    let cases = app.cases_as(&health).await;
    let with_file =
        cases.iter().find(|c| !c.attachments.is_empty()).expect("the case with a file").id.clone();
    let mut others = cases.iter().map(|c| c.id.clone()).filter(|id| *id != with_file);
    let (victim, forged) = (others.next().expect("a second case"), others.next().expect("a third"));

    // Oversight closes one case and retention purges it: the next pull says it is gone.
    for status in ["acknowledged", "closed_unfounded"] {
        let path = format!("/api/v1/review/cases/{victim}/status");
        let resp =
            app.signed(&oversight, "POST", &path, &status_body(status, &head_of(t, &victim).await)).await;
        assert_eq!(resp.status(), 204, "{status}");
    }
    purge(t);
    let out = health.cli(&addr, &pull).ok("pull after the purge");
    assert!(out.stdout.contains("gone from the server") && out.stdout.contains(&victim), "{}", out.stdout);
    let shown = health.cli(&addr, &["show", &victim]).ok("show the purged case").stdout;
    assert!(shown.contains("purged on the server on"), "{shown}");
    let listed = health.cli(&addr, &["list"]).ok("list").stdout;
    assert!(
        listed.lines().any(|l| l.starts_with(&victim) && l.ends_with("GONE from the server")),
        "{listed}"
    );
    // An older client's request (no since, no page) still gets the whole list.
    assert_eq!(app.cases_as(&health).await.len(), 3);

    // Two days later the server resends what changed on or after the day before the last
    // pull (today's cases: nothing new to the home), then nothing at all.
    t.app.set_env("AMANA_TEST_CLOCK_OFFSET_DAYS", "2");
    t.app.restart();
    let (app, addr) = (&t.app, t.app.address.clone());
    // Heads first: the three are listed by their heads, which are the verified ones.
    let out = health.cli(&addr, &pull).ok("pull two days later");
    assert!(out.stdout.starts_with("pulled 0 cases (0 new)"), "{}", out.stdout);
    assert!(out.stdout.contains("0 changed, 3 unchanged"), "{}", out.stdout);
    assert_ne!(cursor_since(&health), since, "the cursor moved");
    let out = health.cli(&addr, &pull).ok("pull with nothing new");
    assert!(out.stdout.starts_with("pulled 0 cases (0 new)"), "{}", out.stdout);
    assert!(out.stdout.contains("0 changed, 0 unchanged"), "{}", out.stdout);

    // A follow-up changes one case: the next pull brings that one only.
    let (status, _) = post(app, &addr, "/api/v1/followups", &json!({ "code": code, "body": "more" })).await;
    assert_eq!(status, 201);
    let out = health.cli(&addr, &pull).ok("pull after a follow-up");
    assert!(out.stdout.starts_with("pulled 1 case (0 new)"), "{}", out.stdout);
    assert!(out.stdout.contains("1 changed, 0 unchanged"), "{}", out.stdout);
    // Its file waits on the server until asked for.
    let shown = health.cli(&addr, &["show", &with_file]).ok("show").stdout;
    assert!(
        shown.contains(&format!("NOT fetched (content on the server: `amana-review fetch {with_file} 1`"))
    );
    let out = health.cli(&addr, &["fetch", &with_file, "1"]).ok("fetch");
    assert!(out.stdout.contains("fetched 1 file"), "{}", out.stdout);
    assert!(health.cli(&addr, &["show", &with_file]).ok("show").stdout.contains("  fetched"));

    // A careful database writer forges an event: the case is quarantined and the cursor stays.
    let db = t.writer().await;
    db.insert_forged_event(&forged, amana_core::events::EventKind::FollowUp, json!({})).await;
    let server_today = (time::OffsetDateTime::now_utc().date() + time::Duration::days(2)).to_string();
    let args = [Arg::Text(&server_today), Arg::Text(&forged)];
    db.exec("UPDATE cases SET changed_on = $1 WHERE id = $2", &args).await;
    db.close().await;
    let before = cursor_since(&health);
    for round in ["first", "second"] {
        let out = health.cli(&addr, &["pull"]).failed("pull with a forged event");
        assert!(out.stderr.contains(&format!("QUARANTINED case {forged}")), "{round}: {}", out.stderr);
        assert_eq!(cursor_since(&health), before, "{round}: the cursor did not move");
    }
}

/// `amana purge` with no retention period, beside the server.
fn purge(t: &Target) {
    let mut cmd = crate::helpers::amana_command();
    cmd.arg("purge").arg("--data-dir").arg(t.app.dep.data_dir());
    cmd.args(["--retention-days", "0", "--after-content-days", "0"]);
    if let Some(url) = t.database_url() {
        cmd.env("AMANA_DATABASE_URL", url);
    }
    let out = cmd.output().expect("run amana purge");
    assert!(out.status.success(), "amana purge: {}", String::from_utf8_lossy(&out.stderr));
}

/// The hash of the last event of `case`, read through the target's database.
async fn head_of(t: &Target, case: &str) -> String {
    let db = t.writer().await;
    let sql = "SELECT hash FROM events WHERE case_id = $1 ORDER BY seq DESC LIMIT 1";
    let head = db.texts(sql, &[Arg::Text(case)]).await.remove(0);
    db.close().await;
    head
}

/// Over the air gap: the second authorization asks for what changed since the first import,
/// and a carrier who rewrites its `since` (to get more than the laptop asked for) is refused.
#[tokio::test]
async fn an_incremental_authorization_cannot_be_altered_by_the_carrier() {
    let app = spawn_app().await;
    app.submit_simple("health", false).await;
    let laptop = app.dep.reviewer(HEALTH);
    set_deployment_id(laptop);
    let lap = |args: &[&str]| {
        let mut all = vec!["--home", arg(&laptop.home)];
        all.extend_from_slice(args);
        crate::helpers::review_cli(&all)
    };
    let connected = tempfile::Builder::new().prefix("amana-connected-").tempdir().expect("tempdir");
    let (dir, server) = (connected.path(), app.address.as_str());
    let carry = |auth: &std::path::Path, bundle: &std::path::Path| {
        connected_cli(dir, &["--server", server, "pull", "--authorization", arg(auth), "--out", arg(bundle)])
    };

    let (auth, bundle) = (dir.join("auth-1.json"), dir.join("bundle-1.json"));
    let out = lap(&["authorize-pull", "--out", arg(&auth)]).ok("authorize-pull");
    assert!(out.stdout.contains("every case in your scope"), "{}", out.stdout);
    carry(&auth, &bundle).ok("carry 1");
    lap(&["import", arg(&bundle)]).ok("import 1");

    let auth = dir.join("auth-2.json");
    let out = lap(&["authorize-pull", "--out", arg(&auth)]).ok("authorize-pull 2");
    assert!(out.stdout.contains("the cases changed since"), "{}", out.stdout);
    let text = std::fs::read_to_string(&auth).expect("read");
    assert!(text.contains("since="), "{text}");
    // The carrier asks for everything since 2000 instead: the signature no longer covers it.
    let altered = dir.join("auth-2-altered.json");
    let mut file: serde_json::Value = serde_json::from_str(&text).expect("json");
    let path = file["path"].as_str().expect("path").to_string();
    let start = path.find("since=").expect("since") + "since=".len();
    file["path"] = json!(format!("{}2000-01-01{}", &path[..start], &path[start + 10..]));
    std::fs::write(&altered, file.to_string()).expect("write");
    let out = carry(&altered, &dir.join("bundle-x.json")).failed("an altered authorization");
    assert!(out.stderr.contains("401") || out.stderr.contains("signature"), "{}", out.stderr);
    // The laptop's own authorization still works, once, and brings nothing new.
    let bundle = dir.join("bundle-2.json");
    carry(&auth, &bundle).ok("carry 2");
    let out = lap(&["import", arg(&bundle)]).ok("import 2");
    // The day before the first import is resent (the cursor is a date, not a clock).
    assert!(out.stdout.contains("imported 1 case (0 new)"), "{}", out.stdout);
}

/// The query of a pull, checked after its signature: `since` alone is a page as large as the
/// server sends; a value that does not parse, or a name it does not know, is a 400.
#[tokio::test]
async fn a_pull_query_is_read_strictly() {
    let app = spawn_app().await;
    app.submit_simple("health", false).await;
    let health = app.dep.reviewer(HEALTH);
    let resp = app.signed(health, "GET", "/api/v1/review/cases?format=4&since=2000-01-01", b"").await;
    assert_eq!(resp.status(), 200);
    let list: amana_core::wire::CaseList = resp.json().await.expect("a case list");
    assert_eq!((list.cases.len(), list.next.is_none(), list.as_of.is_some()), (1, true, true));
    assert_eq!(list.total, Some(1));
    // The first page of two says how many the pull lists (counted in SQL); the next does not.
    app.submit_simple("health", false).await;
    let page = |query: String| {
        let (app, health) = (&app, &health);
        async move {
            let resp = app.signed(health, "GET", &format!("/api/v1/review/cases?{query}"), b"").await;
            assert_eq!(resp.status(), 200, "{query}");
            resp.json::<amana_core::wire::CaseList>().await.expect("a case list")
        }
    };
    let first = page("format=3&limit=1".into()).await;
    assert_eq!((first.cases.len(), first.total), (1, Some(2)));
    let after = first.next.expect("a second page");
    let second = page(format!("after={after}&format=3&limit=1")).await;
    assert_eq!((second.cases.len(), second.total), (1, None));
    for (query, says) in [
        ("format=4&heads=1", "send it with since, after or limit"),
        ("format=4&ids=a%2Cb&limit=2", "send it without since, after or limit"),
        ("format=4&ids=a%2Cb%2F", "at most 500 case ids"),
        ("format=4&limit=0", "limit a number from 1"),
        ("format=4&since=yesterday", "since must be a date"),
        ("format=4&limit=10&sort=id", "unknown query parameter `sort`"),
    ] {
        let resp = app.signed(health, "GET", &format!("/api/v1/review/cases?{query}"), b"").await;
        assert_eq!(resp.status(), 400, "{query}");
        assert!(resp.text().await.expect("body").contains(says), "{query}");
    }
}

on_both_backends!(
    /// A database writer alters held cases without moving their heads — one envelope byte,
    /// one stored event. A plain pull (heads first) does not fetch them: the home keeps the
    /// copies it verified. `pull --full` resends them, and a case resent is not checked
    /// again only if it is byte for byte as held (docs/FORMATS.md §3): both are caught.
    a_resent_case_altered_by_a_database_writer_is_still_quarantined => resent_and_altered
);

async fn resent_and_altered(t: &mut Target) {
    let (app, addr) = (&t.app, t.app.address.clone());
    for _ in 0..3 {
        app.submit_simple("health", false).await;
    }
    let health = app.dep.reviewer(HEALTH).clone();
    let out = health.cli(&addr, &["pull"]).ok("first pull");
    assert!(out.stdout.starts_with("pulled 3 cases (3 new)"), "{}", out.stdout);
    // Resent as held (`--full`: every case in full): stored again without a write.
    let out = health.cli(&addr, &["pull", "--full"]).ok("pull with nothing new");
    assert!(out.stdout.starts_with("pulled 3 cases (0 new)"), "{}", out.stdout);
    let mut ids: Vec<String> = app.cases_as(&health).await.into_iter().map(|c| c.id).collect();
    ids.sort();
    let (envelope_case, event_case) = (&ids[0], &ids[1]);
    let held_envelope = |case: &str| {
        let dir = health.home.join("cases").join(case);
        let age = std::fs::read_dir(&dir)
            .expect("case dir")
            .flatten()
            .find(|e| e.path().extension() == Some("age".as_ref()));
        std::fs::read(age.expect("an envelope").path()).expect("read")
    };
    let before = held_envelope(envelope_case);

    let db = t.writer().await;
    let sql = "SELECT ciphertext FROM envelopes WHERE case_id = $1 ORDER BY seq";
    let mut bytes = db.blobs(sql, &[Arg::Text(envelope_case)]).await.remove(0);
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let sql = "UPDATE envelopes SET ciphertext = $1 WHERE case_id = $2 AND seq = 0";
    assert_eq!(db.exec(sql, &[Arg::Blob(&bytes), Arg::Text(envelope_case)]).await, 1);
    let sql = "UPDATE events SET detail = $1 WHERE case_id = $2 AND seq = 0";
    assert_eq!(db.exec(sql, &[Arg::Text("{\"altered\":true}"), Arg::Text(event_case)]).await, 1);
    db.close().await;

    // Heads first: their heads are the verified ones, so nothing is fetched or changed.
    let out = health.cli(&addr, &["pull"]).ok("pull of altered cases, heads first");
    assert!(out.stdout.contains("0 changed, 3 unchanged"), "{}", out.stdout);
    assert_eq!(held_envelope(envelope_case), before, "the home keeps the copy it verified");
    let out = health.cli(&addr, &["pull", "--full"]).failed("full pull of altered cases");
    for case in [envelope_case, event_case] {
        assert!(out.stderr.contains(&format!("QUARANTINED case {case}")), "{case}: {}", out.stderr);
    }
    assert!(out.stdout.starts_with("pulled 1 case (0 new)"), "{}", out.stdout);
    assert_eq!(held_envelope(envelope_case), before, "the home keeps the copy it verified");
}

on_both_backends!(
    /// Heads first (docs/FORMATS.md §3): a pull with nothing new fetches no case; a case a
    /// reviewer changed is fetched and verified; a forged event (a new head) is fetched and
    /// quarantined, the home keeping what it verified; a heads page is the page's heads, and
    /// `ids=` sends only cases in the key's scope.
    a_pull_fetches_only_the_cases_whose_head_moved => heads_first
);

async fn heads_first(t: &mut Target) {
    let (app, addr) = (&t.app, t.app.address.clone());
    for _ in 0..3 {
        app.submit_simple("health", false).await;
    }
    app.submit_simple("transport", false).await;
    let health = app.dep.reviewer(HEALTH).clone();
    let out = health.cli(&addr, &["pull"]).ok("first pull");
    assert!(out.stdout.starts_with("pulled 3 cases (3 new)"), "{}", out.stdout);
    assert!(out.stdout.contains("3 changed, 0 unchanged"), "{}", out.stdout);
    let out = health.cli(&addr, &["pull"]).ok("pull with nothing new");
    assert!(out.stdout.starts_with("pulled 0 cases (0 new)"), "{}", out.stdout);
    assert!(out.stdout.contains("0 changed, 3 unchanged"), "{}", out.stdout);

    let mut ids: Vec<String> = app.cases_as(&health).await.into_iter().map(|c| c.id).collect();
    ids.sort();
    let (acted, forged) = (ids[0].clone(), ids[1].clone());
    let path = format!("/api/v1/review/cases/{acted}/status");
    let body = status_body("acknowledged", &head_of(t, &acted).await);
    assert_eq!(app.signed(&health, "POST", &path, &body).await.status(), 204);
    let out = health.cli(&addr, &["pull"]).ok("pull after an action");
    assert!(out.stdout.starts_with("pulled 1 case (0 new)"), "{}", out.stdout);
    assert!(out.stdout.contains("1 changed, 2 unchanged"), "{}", out.stdout);
    let heads = std::fs::read_to_string(health.home.join("verified-heads.json")).expect("heads");
    assert!(heads.contains(&head_of(t, &acted).await), "the new head is verified: {heads}");

    let case_json = health.home.join("cases").join(&forged).join("case.json");
    let held = std::fs::read(&case_json).expect("held case");
    let db = t.writer().await;
    db.insert_forged_event(&forged, amana_core::events::EventKind::FollowUp, json!({})).await;
    db.close().await;
    let out = health.cli(&addr, &["pull"]).failed("pull of a forged event");
    assert!(out.stderr.contains(&format!("QUARANTINED case {forged}")), "{}", out.stderr);
    assert!(out.stdout.contains("1 changed, 2 unchanged"), "{}", out.stdout);
    assert_eq!(std::fs::read(&case_json).expect("held case"), held, "the verified copy stays");

    // The heads page itself: every field of a page, the heads of the page, no case.
    let get = |query: String| {
        let (app, health) = (&app, &health);
        async move {
            let resp = app.signed(health, "GET", &format!("/api/v1/review/cases?{query}"), b"").await;
            assert_eq!(resp.status(), 200, "{query}");
            resp.json::<serde_json::Value>().await.expect("json")
        }
    };
    let page = get("format=4&heads=1&limit=2".into()).await;
    assert_eq!(page["cases"], json!([]));
    assert_eq!((page["total"].as_u64(), page["next"].as_str()), (Some(3), Some(ids[1].as_str())));
    assert!(page["roster"].is_object() && page["as_of"].is_string(), "{page}");
    assert_eq!(page["heads"][0]["id"], json!(acted));
    assert_eq!(page["heads"][0]["hash"], json!(head_of(t, &acted).await));
    // `ids=`: another agency's case is simply not returned.
    let transport = app.cases_as(app.dep.reviewer(OVERSIGHT)).await;
    let other = transport.iter().find(|c| c.agency == "transport").expect("transport case");
    let list = get(format!("format=4&ids={acted}%2C{}", other.id)).await;
    let sent: Vec<&str> =
        list["cases"].as_array().expect("cases").iter().filter_map(|c| c["id"].as_str()).collect();
    assert_eq!(sent, [acted.as_str()]);
}
