//! Invariants 1, 2 and 4 on disk and in the logs: after real traffic (JSON and form
//! submissions, resumable uploads for a report and for a follow-up, code checks right and
//! wrong, reviewer pulls and a signed status change), no file the server wrote and no line
//! it logged holds reporter content, the code, an upload capability, the client's address,
//! its user agent or referrer, or a time of day.

use std::{collections::BTreeMap, path::Path};

use serde_json::json;
use sqlx::{Column, Row};

use crate::helpers::{
    append_upload, contains_bytes, files_under, find_time_of_day, open_db, spawn_app, with_digits, TestApp,
    CLIENT_IP, HEALTH, OVERSIGHT,
};

/// Strings that must appear nowhere the server writes.
struct Needles(Vec<(String, String)>);

impl Needles {
    fn add(&mut self, what: &str, value: impl Into<String>) {
        self.0.push((what.into(), value.into()));
    }

    #[track_caller]
    fn assert_absent_from(&self, name: &str, bytes: &[u8]) {
        for (what, value) in &self.0 {
            assert!(!contains_bytes(bytes, value.as_bytes()), "{what} `{value}` found in {name}");
        }
    }
}

/// Exercises every route that sees reporter data, with identifying request metadata.
async fn traffic(app: &mut TestApp, tag: &str) -> (Needles, Vec<String>) {
    let ua = format!("AmanaLeakProbe/1.0 (ua-{tag})");
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in [
        ("referer", format!("https://referrer-{tag}.example/page")),
        ("x-forwarded-for", "203.0.113.77".to_string()),
        ("x-real-ip", "203.0.113.78".to_string()),
        ("forwarded", "for=203.0.113.79".to_string()),
        ("accept-language", format!("ar-JO-x-{tag}")),
    ] {
        headers.insert(name, value.parse().expect("header value"));
    }
    app.client = reqwest::Client::builder()
        .local_address(std::net::IpAddr::V4(CLIENT_IP))
        .user_agent(&ua)
        .default_headers(headers)
        .build()
        .expect("client");

    let body = format!("MARKER-BODY-{tag} رشوة في المكتب");
    let contact = format!("MARKER-CONTACT-{tag}@example.org");
    let code_json =
        app.submit(&json!({"kind": "violation", "agency": "health", "body": body, "contact": contact})).await;
    let form_body = format!("MARKER-FORM-{tag}");
    let form_contact = format!("MARKER-FORMCONTACT-{tag}");
    let page = app
        .client
        .post(app.url("/en/report"))
        .form(&[
            ("kind", "complaint"),
            ("agency", "health"),
            ("body", form_body.as_str()),
            ("contact", form_contact.as_str()),
        ])
        .send()
        .await
        .expect("form submit");
    assert_eq!(page.status(), 201);
    let page = page.text().await.expect("page");
    let code_form = crate::helpers::find_grouped_code(&page).expect("code on the page");

    // Resumable uploads: one claimed by a report, one left pending (its row stays).
    let file = format!("MARKER-FILE-{tag} ").repeat(300).into_bytes();
    let file_name = format!("MARKER-NAME-{tag}.pdf");
    let mut capabilities = Vec::new();
    for _ in 0..2 {
        let start = json!({"kind": "violation", "agency": "health", "name": file_name,
            "size": file.len(), "sha256": amana_core::attachment::sha256_hex(&file)});
        let begun: serde_json::Value =
            app.post_json("/api/v1/uploads", &start).await.json().await.expect("begun");
        let cap = begun["upload"].as_str().expect("capability").to_string();
        assert_eq!(append_upload(app, &cap, 0, &file[..file.len() / 2]).await.status(), 204);
        capabilities.push(cap);
    }
    assert_eq!(
        append_upload(app, &capabilities[0], file.len() / 2, &file[file.len() / 2..]).await.status(),
        204
    );
    let with_file = json!({"kind": "violation", "agency": "health", "body": "see the file",
        "uploads": [capabilities[0]]});
    assert_eq!(app.post_json("/api/v1/reports", &with_file).await.status(), 201);
    // A follow-up's resumable upload, begun with the code and claimed by the follow-up.
    let start = json!({"code": code_json, "name": file_name, "size": file.len(),
        "sha256": amana_core::attachment::sha256_hex(&file)});
    let begun: serde_json::Value =
        app.post_json("/api/v1/uploads", &start).await.json().await.expect("begun for a follow-up");
    let cap = begun["upload"].as_str().expect("capability").to_string();
    assert_eq!(append_upload(app, &cap, 0, &file).await.status(), 204);
    let follow_up = json!({"code": code_json, "body": format!("MARKER-BODY-{tag} more"), "uploads": [cap]});
    assert_eq!(app.post_json("/api/v1/followups", &follow_up).await.status(), 201);
    capabilities.push(cap);

    // Code checks: right (three spellings, API and page) and wrong.
    for code in [&code_json, &code_form] {
        assert_eq!(app.status_of(code).await, "received");
        assert_eq!(app.status_of(&with_digits(code, '\u{0660}')).await, "received");
        let r = app
            .client
            .post(app.url("/ar/status"))
            .form(&[("code", code.as_str())])
            .send()
            .await
            .expect("status page");
        assert_eq!(r.status(), 200);
    }
    let digits = code_json.replace(' ', "");
    let check = digits.as_bytes()[24] - b'0';
    let wrong = format!("{}{}", &digits[..24], (check + 1) % 10);
    assert_eq!(app.check_code(&wrong).await.status(), 404);

    // Reviewer traffic: pulls, a signed status change, a refused signed request.
    let health = app.dep.reviewer(HEALTH).clone();
    health.cli(&app.address, &["pull"]).ok("pull");
    let case = health.listed_ids(&app.address)[0].clone();
    health.cli(&app.address, &["status", &case, "acknowledged"]).ok("status");
    app.dep.reviewer(OVERSIGHT).cli(&app.address, &["pull"]).ok("oversight pull");
    let unsigned = app.get("/api/v1/review/cases").await;
    assert_eq!(unsigned.status(), 401);

    let mut needles = Needles(Vec::new());
    needles.add("report body", format!("MARKER-BODY-{tag}"));
    needles.add("contact", contact);
    needles.add("form body", form_body);
    needles.add("form contact", form_contact);
    needles.add("user agent", format!("ua-{tag}"));
    needles.add("referrer/language", format!("-{tag}"));
    needles.add("client address", CLIENT_IP.to_string());
    needles.add("uploaded file", format!("MARKER-FILE-{tag}"));
    needles.add("uploaded file's name", file_name);
    for cap in capabilities {
        needles.add("upload capability", cap);
    }
    needles.add("forwarded address", "203.0.113.");
    for code in [&code_json, &code_form] {
        let digits = code.replace(' ', "");
        needles.add("code (grouped)", code.clone());
        needles.add("code (digits)", digits.clone());
        needles.add("code (dashed)", code.replace(' ', "-"));
        needles.add("code lookup part", digits[..8].to_string());
        needles.add("code secret part", digits[8..24].to_string());
        needles.add("code (Arabic-Indic)", with_digits(&digits, '\u{0660}'));
    }
    (needles, vec![code_json, code_form])
}

fn scan_data_dir(data_dir: &Path, needles: &Needles) {
    let files = files_under(data_dir);
    assert!(
        files.iter().any(|f| f.ends_with("amana.db")),
        "no database found under {}: {files:?}",
        data_dir.display()
    );
    for file in &files {
        let bytes = std::fs::read(file).expect("read data file");
        let name = file.display().to_string();
        needles.assert_absent_from(&name, &bytes);
        // The server's own listen address has no business in the data files either.
        assert!(!contains_bytes(&bytes, b"127.0.0.1"), "an address found in {name}");
    }
}

#[tokio::test]
async fn no_reporter_content_code_or_client_metadata_in_files_or_logs() {
    let mut app = crate::helpers::TestApp::start(
        crate::helpers::Deployment::standard(crate::helpers::KeyGen::Cli),
        &[("AMANA_LOG", "debug")],
    );
    let tag = amana_core::signing::new_nonce();
    let (needles, _codes) = traffic(&mut app, &tag).await;

    // While the server runs (WAL and shared-memory files present) …
    scan_data_dir(&app.dep.data_dir(), &needles);
    // … and after it has shut down and flushed everything.
    app.stop();
    scan_data_dir(&app.dep.data_dir(), &needles);

    let stderr = app.stderr();
    assert!(stderr.contains("INSECURE TEST KDF"), "the log should be captured:\n{stderr}");
    needles.assert_absent_from("the log (stderr)", stderr.as_bytes());
    // The listening line on stdout is the only place the server's address may appear.
    assert!(!stderr.contains("127.0.0.1"), "an address in the log:\n{stderr}");
    assert_eq!(find_time_of_day(stderr.as_bytes()), None, "a time in the log");
    let stdout = app.stdout();
    needles.assert_absent_from("stdout", stdout.as_bytes());
    for line in stdout.lines() {
        assert!(
            line.starts_with("amana listening on http://127.0.0.1:") || !line.contains("127.0.0.1"),
            "unexpected address on stdout: {line}"
        );
    }
}

/// Invariant 4: UTC dates only. Nothing in the database files looks like a time of day,
/// every date column holds a bare `YYYY-MM-DD`, and no table defaults to the current time.
#[tokio::test]
async fn database_holds_dates_never_times() {
    let mut app = spawn_app().await;
    let tag = amana_core::signing::new_nonce();
    traffic(&mut app, &tag).await;

    let db_files: Vec<_> = files_under(&app.dep.data_dir())
        .into_iter()
        .filter(|f| f.to_string_lossy().contains("amana.db"))
        .collect();
    assert!(!db_files.is_empty());
    let mut times = BTreeMap::new();
    for file in &db_files {
        let bytes = std::fs::read(file).expect("read");
        if let Some(t) = find_time_of_day(&bytes) {
            times.insert(file.display().to_string(), t);
        }
    }

    app.stop();
    let pool = open_db(&app.dep.db_path()).await;
    let tables: Vec<(String, String)> =
        sqlx::query_as("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
            .fetch_all(&pool)
            .await
            .expect("tables");
    assert!(tables.iter().any(|(n, _)| n == "cases"));
    let mut problems = Vec::new();
    for (table, sql) in &tables {
        let upper = sql.to_ascii_uppercase();
        let clock = ["CURRENT_TIME", "CURRENT_DATE", "DATETIME(", "STRFTIME(", "UNIXEPOCH("];
        if let Some(bad) = clock.iter().find(|f| upper.contains(*f)) {
            problems.push(format!("table {table} uses {bad}…: {sql}"));
        }
        let rows = sqlx::query(&format!("SELECT * FROM \"{table}\"")).fetch_all(&pool).await.expect("select");
        for row in &rows {
            for (i, col) in row.columns().iter().enumerate() {
                let Ok(Some(text)) = row.try_get::<Option<String>, _>(i) else {
                    continue;
                };
                let name = col.name();
                if let Some(t) = find_time_of_day(text.as_bytes()) {
                    problems.push(format!("{table}.{name} holds a time of day: {t} ({text})"));
                }
                if name.ends_with("_on") || name == "on" {
                    let ok = text.len() == 10
                        && text.bytes().enumerate().all(|(i, b)| {
                            if i == 4 || i == 7 {
                                b == b'-'
                            } else {
                                b.is_ascii_digit()
                            }
                        });
                    if !ok {
                        problems.push(format!("{table}.{name} is not a bare date: {text}"));
                    }
                }
            }
        }
    }
    pool.close().await;
    assert!(
        times.is_empty() && problems.is_empty(),
        "times of day stored by the server:\nin files: {times:?}\n{}",
        problems.join("\n")
    );
}

/// Runs traffic and returns the log lines it added after start-up.
async fn lines_logged_by_requests(env: &[(&str, &str)]) -> Vec<String> {
    let mut app = crate::helpers::TestApp::start(
        crate::helpers::Deployment::standard(crate::helpers::KeyGen::Cli),
        env,
    );
    // Start-up facts are logged once; give the first hourly nonce purge time to run.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let at_start = app.stderr();
    traffic(&mut app, &amana_core::signing::new_nonce()).await;
    let after = app.stderr();
    app.stop();
    assert!(after.starts_with(&at_start));
    after[at_start.len()..].lines().map(str::to_string).collect()
}

/// "No per-request lines" (src/telemetry.rs): whatever timestamps the log collector adds
/// (journald does) would otherwise record the exact time of each report.
#[tokio::test]
async fn requests_add_no_log_lines() {
    let lines = lines_logged_by_requests(&[]).await;
    assert!(lines.is_empty(), "requests were logged:\n{}", lines.join("\n"));
}

/// The same with `AMANA_LOG=debug`, which an operator turns on to chase a problem: a line
/// per database statement is a line per report, and the journal timestamps it.
#[tokio::test]
async fn requests_add_no_log_lines_even_at_debug_level() {
    let lines = lines_logged_by_requests(&[("AMANA_LOG", "debug")]).await;
    assert!(
        lines.is_empty(),
        "{} log lines for one session of traffic, e.g.:\n{}",
        lines.len(),
        lines.iter().take(5).map(|l| &l[..l.len().min(160)]).collect::<Vec<_>>().join("\n")
    );
}

/// Reporter traffic over HTTP/2 (prior knowledge, as a proxy or Tor client may speak it):
/// hyper and h2 log each frame and stream at debug and trace level.
async fn http2_traffic(app: &TestApp) {
    let h2 = reqwest::Client::builder()
        .local_address(std::net::IpAddr::V4(CLIENT_IP))
        .http2_prior_knowledge()
        .build()
        .expect("HTTP/2 client");
    for _ in 0..3 {
        let r = h2.get(app.url("/en/")).send().await.expect("HTTP/2 page");
        assert_eq!((r.version(), r.status().as_u16()), (reqwest::Version::HTTP_2, 200));
        let r = h2
            .post(app.url("/api/v1/status"))
            .json(&json!({ "code": "12345 67890 12345 67890 12345" }))
            .send()
            .await
            .expect("HTTP/2 status check");
        assert_eq!(r.status(), 404);
    }
}

/// The promise holds at every level an operator can set, not only at debug: trace, and
/// directives naming the HTTP crates themselves. Lines from other crates are capped at
/// warnings (src/telemetry.rs), so none of these can turn on a line per request.
#[tokio::test]
async fn requests_add_no_log_lines_at_any_level_or_over_http2() {
    for level in ["trace", "debug,h2=trace,hyper=trace,hyper_util=trace,tower=trace,axum=trace"] {
        let mut app = crate::helpers::TestApp::start(
            crate::helpers::Deployment::standard(crate::helpers::KeyGen::Cli),
            &[("AMANA_LOG", level)],
        );
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let at_start = app.stderr();
        http2_traffic(&app).await;
        traffic(&mut app, &amana_core::signing::new_nonce()).await;
        http2_traffic(&app).await;
        let after = app.stderr();
        app.stop();
        let lines: Vec<&str> = after[at_start.len()..].lines().collect();
        assert!(
            lines.is_empty(),
            "AMANA_LOG={level}: {} log lines for one session of traffic, e.g.:\n{}",
            lines.len(),
            lines.iter().take(5).map(|l| &l[..l.len().min(160)]).collect::<Vec<_>>().join("\n")
        );
    }
}
