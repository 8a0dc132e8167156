//! Invariants 5 and 8 under pressure: rate limits with separate budgets, a slow-loris
//! client, a crash in the middle of a load, and a graceful shutdown with work in flight.

use std::{
    io::{Read, Write},
    net::TcpStream,
    time::{Duration, Instant},
};

use serde_json::{json, Value};

use crate::helpers::{Deployment, KeyGen, TestApp, OVERSIGHT};

fn report(n: usize) -> Value {
    json!({ "kind": "complaint", "agency": "health", "body": format!("load report {n}") })
}

/// A server with the given limit variables on top of the relaxed test limits.
fn app_with(env: &[(&str, &str)]) -> TestApp {
    TestApp::start(Deployment::standard(KeyGen::InProcess), env)
}

#[tokio::test]
async fn a_client_over_its_budget_gets_429_with_retry_after_and_other_routes_keep_working() {
    let app = app_with(&[("AMANA_PEER_COSTLY_EVERY_MS", "60000"), ("AMANA_PEER_COSTLY_BURST", "3")]);
    for _ in 0..3 {
        assert_eq!(app.check_code("12345").await.status(), 404);
    }
    let limited = app.check_code("12345").await;
    assert_eq!(limited.status(), 429);
    let retry: u64 = limited
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    let body: Value = limited.json().await.expect("JSON 429");
    assert_eq!(body["error"], "rate_limited");
    assert!(body["message"].as_str().is_some_and(|m| m.contains("Nothing was saved")));
    // Submissions have their own budget: a flood of code checks does not use it up.
    app.submit(&report(0)).await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    // Refused requests are not logged, and neither is the client's address.
    let log = app.stderr();
    assert!(!log.contains("127.0.0.2") && !log.contains("429"), "log: {log}");
}

#[tokio::test]
async fn the_global_budget_holds_when_every_client_looks_the_same() {
    // Behind Tor every client is 127.0.0.1: a per-address limit alone would be no limit.
    let app = app_with(&[("AMANA_GLOBAL_COSTLY_EVERY_MS", "60000"), ("AMANA_GLOBAL_COSTLY_BURST", "2")]);
    app.submit(&report(1)).await;
    app.submit(&report(2)).await;
    let third = app.post_json("/api/v1/reports", &report(3)).await;
    assert_eq!(third.status(), 429);
    assert_eq!(app.count_rows("cases").await, 2, "a refused submission commits nothing");
    // The code-check group has its own global budget.
    assert_eq!(app.check_code("12345").await.status(), 404);
}

#[tokio::test]
async fn a_slow_loris_client_is_cut_off_and_does_not_block_others() {
    let app = app_with(&[("AMANA_HEADER_TIMEOUT_SECS", "1")]);
    let addr = app.address.trim_start_matches("http://").to_string();
    let started = Instant::now();
    let mut slow = TcpStream::connect(&addr).expect("connect");
    slow.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").expect("write");
    // Trickle one header line every 300 ms, for at most ~6 s.
    let mut cut = false;
    for i in 0..20 {
        std::thread::sleep(Duration::from_millis(300));
        if slow.write_all(format!("X-Slow-{i}: 1\r\n").as_bytes()).is_err() {
            cut = true;
            break;
        }
        // Meanwhile a normal client is served.
        if i == 1 {
            assert_eq!(app.get("/healthz").await.status(), 200);
        }
    }
    if !cut {
        let mut buf = [0u8; 256];
        cut = matches!(slow.read(&mut buf), Ok(0) | Err(_)) || String::from_utf8_lossy(&buf).contains("408");
    }
    assert!(cut, "the trickling client was not cut off");
    assert!(started.elapsed() < Duration::from_secs(8), "cut off too late: {:?}", started.elapsed());
}

#[tokio::test]
async fn a_crash_during_load_loses_no_accepted_report() {
    let mut app = app_with(&[]);
    let url = app.url("/api/v1/reports");
    let client = app.client.clone();
    let mut tasks = Vec::new();
    for n in 0..6 {
        let (client, url) = (client.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let mut codes = Vec::new();
            for i in 0..200 {
                match client.post(&url).json(&report(n * 1000 + i)).send().await {
                    Ok(r) if r.status() == 201 => {
                        let v: Value = r.json().await.unwrap_or_default();
                        if let Some(c) = v["code"].as_str() {
                            codes.push(c.to_string());
                        }
                    }
                    // After the crash connections fail: stop this client.
                    _ => break,
                }
            }
            codes
        }));
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    app.crash();
    let mut accepted = Vec::new();
    for t in tasks {
        accepted.extend(t.await.expect("client task"));
    }
    assert!(accepted.len() >= 5, "too little load before the crash: {}", accepted.len());
    app.start_again();
    for code in &accepted {
        assert_eq!(app.status_of(code).await, "received", "a report answered 201 was lost");
    }
    // Every stored case is whole: the oversight reviewer pulls (history verified) and reads one.
    let reviewer = app.dep.reviewer(OVERSIGHT);
    reviewer.cli(&app.address, &["pull"]).ok("pull after crash");
    let ids = reviewer.listed_ids(&app.address);
    assert!(ids.len() >= accepted.len());
    let shown = reviewer.cli(&app.address, &["show", &ids[0]]).ok("show after crash");
    assert!(shown.stdout.contains("load report"), "{}", shown.stdout);
}

#[tokio::test]
async fn shutdown_lets_submissions_in_flight_finish() {
    let mut app = app_with(&[]);
    let url = app.url("/api/v1/reports");
    let mut tasks = Vec::new();
    for n in 0..8 {
        let (client, url) = (app.client.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let r = client.post(&url).json(&report(n)).send().await.ok()?;
            let status = r.status().as_u16();
            let v: Value = r.json().await.ok()?;
            Some((status, v["code"].as_str().map(String::from)))
        }));
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    app.stop();
    let mut answered = Vec::new();
    for t in tasks {
        if let Some((status, code)) = t.await.expect("task") {
            assert_eq!(status, 201, "a request in flight was answered {status}");
            answered.push(code.expect("code"));
        }
    }
    app.start_again();
    for code in &answered {
        assert_eq!(app.status_of(code).await, "received");
    }
}

/// The form's hidden minimum-fill-time token, read from the served page.
pub fn form_token(page: &str) -> String {
    let at = page.find(r#"name="t" value=""#).expect("token field") + r#"name="t" value=""#.len();
    page[at..].split('"').next().unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_form_posted_faster_than_a_person_types_is_not_stored_but_comes_back() {
    let app = app_with(&[("AMANA_MIN_FILL_SECS", "2")]);
    let page = app.get("/en/report/complaint").await.text().await.expect("form");
    let token = form_token(&page);
    let post = |t: String| {
        app.client.post(app.url("/en/report")).form(&[
            ("kind", "complaint".to_string()),
            ("agency", "health".to_string()),
            ("body", "posted by a script".to_string()),
            ("t", t),
        ])
    };
    // At once, and with no token at all: the form again with the text, nothing stored, no
    // code, and no "received" page.
    let mut again = String::new();
    for t in [token.clone(), String::new()] {
        let resp = post(t).send().await.expect("post");
        assert_eq!(resp.status(), 422);
        let text = resp.text().await.expect("page");
        assert!(text.contains("posted by a script") && text.contains(r#"id="again""#), "{text}");
        assert!(!text.contains("was received"), "{text}");
        assert!(!text.chars().filter(char::is_ascii_digit).collect::<String>().contains("0000000000"));
        assert_eq!(app.count_rows("cases").await, 0);
        again = form_token(&text);
    }
    // The form shown again is never refused for speed: sent at once, it is stored.
    assert_eq!(post(again).send().await.expect("post").status(), 201);
    assert_eq!(app.count_rows("cases").await, 1, "the re-shown form is accepted at once");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(post(token).send().await.expect("post").status(), 201);
    assert_eq!(app.count_rows("cases").await, 2, "a person's pace is accepted");
}

#[tokio::test]
async fn a_panicking_handler_answers_500_and_its_payload_never_reaches_the_log() {
    let app = app_with(&[("AMANA_LOG", "debug")]);
    let marker = "PANIC-MARKER-7f3a";
    let resp = app.client.post(app.url("/__test/panic")).body(marker).send().await.expect("post");
    assert_eq!(resp.status(), 500);
    let body = resp.text().await.expect("body");
    assert!(!body.contains(marker) && !body.contains("panicked at"), "{body}");
    assert_eq!(app.get("/healthz").await.status(), 200, "the server survives");
    let log = app.stderr();
    assert!(log.contains("panic"), "the panic is logged (without payload): {log}");
    assert!(!log.contains(marker), "payload leaked into the log: {log}");
    // Its cause is logged once, by the one middleware that logs causes.
    let failed = log.lines().filter(|l| l.contains("request failed")).collect::<Vec<_>>();
    assert_eq!(failed.len(), 1, "{log}");
    assert!(failed[0].contains("a request handler panicked"), "{log}");
}
