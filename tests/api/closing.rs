//! Closing cases (issue 15): junk closed in bulk as `closed_spam` through the real CLI and
//! kept out of every figure; oversight's legal hold surviving `amana purge` (and refused to
//! an agency key, by the CLI and with 403 by the server); the reporter's deletion date (JSON
//! and page) and, after the purge, the "purged on" answer that only the real code gets. Each
//! scenario runs on SQLite, then PostgreSQL.

use std::process::Output;

use serde_json::{json, Value};

use crate::case_support::{arg, connected_cli, post, reporter_view, set_deployment_id, wrong_code};
use crate::db_writer::{on_both_backends, Target};
use crate::helpers::{amana_command, files_under, Reviewer, TestApp, HEALTH, OVERSIGHT};

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// Submits a health case, pulls as `reviewer`, and returns (code, case id) of the new case.
async fn new_case(app: &TestApp, reviewer: &Reviewer) -> (String, String) {
    let before = reviewer.listed_ids(&app.address);
    let code = app.submit_simple("health", false).await;
    reviewer.cli(&app.address, &["pull"]).ok("pull");
    let id =
        reviewer.listed_ids(&app.address).into_iter().find(|id| !before.contains(id)).expect("the new case");
    (code, id)
}

/// Signs `args` with `--offline` in `reviewer`'s home, carries its outbox to a connected
/// machine and pushes it there; returns what the offline command printed.
fn through_the_outbox(app: &TestApp, reviewer: &Reviewer, args: &[&str]) -> String {
    set_deployment_id(reviewer);
    let mut offline = vec!["--offline"];
    offline.extend_from_slice(args);
    let out = reviewer.cli(&app.address, &offline).ok("offline action").stdout;
    assert!(out.contains("signed offline, not sent yet"), "{out}");
    let usb = tempfile::tempdir().expect("usb stick");
    let outbox = usb.path().join("outbox");
    std::fs::create_dir_all(&outbox).expect("mkdir outbox");
    for f in files_under(&reviewer.home.join("outbox")) {
        if f.parent() == Some(reviewer.home.join("outbox").as_path()) {
            std::fs::copy(&f, outbox.join(f.file_name().expect("name"))).expect("carry");
        }
    }
    connected_cli(usb.path(), &["--server", &app.address, "push", arg(&outbox)]).ok("push");
    out
}

/// The status page for `code` (its HTTP status and HTML).
async fn status_page(app: &TestApp, code: &str) -> (u16, String) {
    let resp = app.client.post(app.url("/en/status")).form(&[("code", code)]).send().await.expect("page");
    (resp.status().as_u16(), resp.text().await.expect("html"))
}

on_both_backends!(
    /// Junk at volume: `amana-review spam` closes several cases at once, reports each, and
    /// goes on past one it cannot close; junk leaves the inbox and every indicator, the
    /// reporter reads a neutral "closed", and an older amana-review pulling hears "upgrade".
    junk_is_closed_in_bulk_and_counted_nowhere => junk_in_bulk
);

async fn junk_in_bulk(t: &mut Target) {
    let app = &t.app;
    let addr = app.address.clone();
    let health = app.dep.reviewer(HEALTH).clone();
    let (_, real) = new_case(app, &health).await;
    let (junk_code, junk_a) = new_case(app, &health).await;
    let (_, junk_b) = new_case(app, &health).await;
    health.cli(&addr, &["status", &real, "acknowledged"]).ok("acknowledge the real case");

    let out = health.cli(&addr, &["spam", &junk_a, &junk_b]).ok("spam");
    assert!(out.stdout.contains(&format!("case {junk_a}: received -> closed_spam")), "{}", out.stdout);
    assert!(out.stdout.contains(&format!("case {junk_b}: received -> closed_spam")), "{}", out.stdout);
    // Again, with one still open: that one is closed, the two closed ones are named, and
    // the command fails.
    let out = health.cli(&addr, &["spam", &junk_a, &real]).failed("spam of a closed case");
    assert!(out.stdout.contains(&format!("case {real}: acknowledged -> closed_spam")), "{}", out.stdout);
    assert!(out.stderr.contains(&format!("not closed: case {junk_a}")), "{}", out.stderr);
    assert!(out.stderr.contains("1 case(s) were not closed"), "{}", out.stderr);

    // One more real case: the figures count it alone.
    let (_, counted) = new_case(app, &health).await;
    let inbox = health.cli(&addr, &["inbox"]).ok("inbox").stdout;
    assert!(inbox.contains(&counted) && !inbox.contains(&junk_a) && !inbox.contains(&junk_b), "{inbox}");
    health.cli(&addr, &["pull"]).ok("pull");
    let kpis: Value =
        serde_json::from_str(&health.cli(&addr, &["kpis", "--json"]).ok("kpis").stdout).expect("json");
    let all = kpis["groups"].as_array().and_then(|g| g.last()).expect("total").clone();
    assert_eq!(all["cases"], 1, "{kpis}");
    assert!(all["by_status"].get("closed_spam").is_none(), "{kpis}");
    // A fresh home verifies the closed_spam events too.
    let oversight = app.dep.reviewer(OVERSIGHT);
    oversight.cli(&addr, &["pull"]).ok("oversight pull");

    // The reporter: a neutral "closed", never the word spam, with the deletion date.
    let view = reporter_view(app, &addr, &junk_code).await;
    assert_eq!(view["status"], "closed", "{view}");
    assert!(!view.to_string().contains("spam"), "{view}");
    let (status, page) = status_page(app, &junk_code).await;
    assert_eq!(status, 200);
    assert!(page.contains("The case is closed.") && !page.to_lowercase().contains("spam"), "{page}");

    // Through the outbox: every pulled case still received (here the counted one, and one
    // more), one signed file each.
    let (late_code, late) = new_case(app, &health).await;
    let out = through_the_outbox(app, &health, &["spam", "--new"]);
    assert!(out.contains(&format!("case {late}: received -> closed_spam")), "{out}");
    assert!(out.contains(&format!("case {counted}: received -> closed_spam")), "{out}");
    assert_eq!(reporter_view(app, &addr, &late_code).await["status"], "closed");
    health.cli(&addr, &["pull"]).ok("pull after the push");

    // An amana-review that pulls case-list format 2 cannot read closed_spam: "upgrade".
    let resp = app.signed(oversight, "GET", "/api/v1/review/cases?format=2", b"").await;
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["error"], "upgrade_required", "{body}");
    assert!(body["message"].as_str().unwrap_or_default().contains("upgrade amana-review"), "{body}");
}

/// `amana purge` beside the server, on this target's database, keeping nothing for time.
fn purge(t: &Target) -> Output {
    let mut cmd = amana_command();
    cmd.arg("purge").arg("--data-dir").arg(t.app.dep.data_dir());
    cmd.args(["--retention-days", "0", "--after-content-days", "0"]);
    if let Some(url) = t.database_url() {
        cmd.env("AMANA_DATABASE_URL", url);
    }
    let out = cmd.output().expect("run amana purge");
    assert!(out.status.success(), "amana purge: {}", String::from_utf8_lossy(&out.stderr));
    out
}

on_both_backends!(
    /// Legal hold: oversight holds a closed case (the agency's key is refused by the CLI and
    /// with 403 by the server); `amana purge` keeps it and says so; the reporter sees it kept
    /// longer, then, once released and purged, that it was purged and when — while a wrong
    /// code still gets the ordinary 404.
    a_held_case_survives_purge_and_its_reporter_learns_the_deletion_date => held_then_purged
);

async fn held_then_purged(t: &mut Target) {
    let app = &t.app;
    let addr = app.address.clone();
    let oversight = app.dep.reviewer(OVERSIGHT).clone();
    let health = app.dep.reviewer(HEALTH).clone();
    let (code, case) = new_case(app, &oversight).await;
    oversight.cli(&addr, &["status", &case, "acknowledged"]).ok("acknowledge");
    oversight.cli(&addr, &["status", &case, "closed_unfounded"]).ok("close");

    // Closed: the deletion date by the server's (default) policy, in the JSON and the page.
    let due = (today() + time::Duration::days(365)).to_string();
    let view = reporter_view(app, &addr, &code).await;
    assert_eq!(view["deleted_after"], due.as_str(), "{view}");
    assert_eq!(view["kept_longer"], false, "{view}");
    let (_, page) = status_page(app, &code).await;
    assert!(
        page.contains(&format!(r#"datetime="{due}""#)) && page.contains("will be deleted after"),
        "{page}"
    );

    // The agency's key: refused by its CLI before signing, and by the server.
    let review_on = (today() + time::Duration::days(90)).to_string();
    health.cli(&addr, &["pull"]).ok("health pull");
    let hold = ["hold", &case, "--reason", "court order 12/2026", "--review-on", &review_on];
    let out = health.cli(&addr, &hold).failed("hold by an agency key");
    assert!(out.stderr.contains("only oversight reviewers may hold"), "{}", out.stderr);
    let body = json!({ "reason_age_b64": "", "review_on": review_on, "head": app.head_of(&case, t).await });
    let path = format!("/api/v1/review/cases/{case}/hold");
    let resp = app.signed(&health, "POST", &path, body.to_string().as_bytes()).await;
    assert_eq!(resp.status(), 403, "an agency key placing a legal hold");

    let out = oversight.cli(&addr, &hold).ok("hold");
    assert!(out.stdout.contains(&format!("to be reviewed on {review_on}")), "{}", out.stdout);
    oversight
        .cli(&addr, &["hold", &case, "--reason", "again", "--review-on", &review_on])
        .failed("held twice");
    // Not due for review for 90 days: oversight's inbox does not list it yet (the store
    // suite checks the listing on the review date, tests/store/retention.rs).
    let inbox = oversight.cli(&addr, &["inbox"]).ok("oversight inbox").stdout;
    assert!(!inbox.contains("hold due"), "{inbox}");
    // Every home verifies oversight's signed hold.
    oversight.cli(&addr, &["pull"]).ok("oversight pull");
    health.cli(&addr, &["pull"]).ok("health pull after the hold");
    // The reason is a note for the case's reviewers: the agency reads it, the server cannot.
    let shown = health.cli(&addr, &["show", &case]).ok("show").stdout;
    assert!(shown.contains("court order 12/2026") && shown.contains("reason for a legal hold"), "{shown}");
    assert!(shown.contains(&format!("to be reviewed on {review_on}")), "{shown}");

    let out = String::from_utf8_lossy(&purge(t).stdout).into_owned();
    assert!(out.starts_with("0 closed case(s) purged; 1 closed case(s) kept, 1 of them"), "{out}");
    assert!(out.contains("legal hold"), "{out}");
    let view = reporter_view(app, &addr, &code).await;
    assert!(view.get("deleted_after").is_none() && view["kept_longer"] == true, "{view}");
    let (_, page) = status_page(app, &code).await;
    assert!(page.contains("kept longer than usual"), "{page}");

    // Released through the outbox, as an air-gapped oversight laptop does.
    let out = through_the_outbox(app, &oversight, &["release", &case]);
    assert!(out.contains("release signed"), "{out}");
    oversight.cli(&addr, &["pull"]).ok("pull after the release");
    let out = String::from_utf8_lossy(&purge(t).stdout).into_owned();
    assert!(out.starts_with("1 closed case(s) purged") && out.contains(&case), "{out}");

    // Purged: the real code learns when; a wrong one gets the 404 every miss gets.
    let day = today().to_string();
    let (status, body) = post(app, &addr, "/api/v1/status", &json!({ "code": code })).await;
    assert_eq!(status, 410, "{body}");
    assert_eq!(body["error"], "purged", "{body}");
    assert!(body["message"].as_str().unwrap_or_default().contains(&day), "{body}");
    let (status, _) = post(app, &addr, "/api/v1/status", &json!({ "code": wrong_code(&code) })).await;
    assert_eq!(status, 404);
    let (status, page) = status_page(app, &code).await;
    assert_eq!(status, 410);
    assert!(page.contains("records were deleted on"), "{page}");
}

impl TestApp {
    /// The hash of the case's last event, from this target's database.
    async fn head_of(&self, case: &str, t: &Target) -> String {
        match t.database_url() {
            None => self.head(case).await,
            Some(url) => {
                let pool = sqlx::PgPool::connect(url).await.expect("connect");
                let head: String = sqlx::query_scalar(
                    "SELECT hash FROM events WHERE case_id = $1 ORDER BY seq DESC LIMIT 1",
                )
                .bind(case)
                .fetch_one(&pool)
                .await
                .expect("head");
                pool.close().await;
                head
            }
        }
    }
}
