//! Invariant 8 (a refused request commits nothing) and bounded input: every malformed
//! submission gets a 400 that says what to fix, or a 413, and leaves no row behind.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

async fn assert_nothing_stored(app: &TestApp, what: &str) {
    for table in ["cases", "envelopes", "events"] {
        assert_eq!(app.count_rows(table).await, 0, "{what}: a row in {table}");
    }
}

async fn refused(app: &TestApp, what: &str, resp: reqwest::Response, status: u16) -> String {
    let got = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    assert_eq!(got, status, "{what}: {text}");
    assert_nothing_stored(app, what).await;
    text
}

/// A 400 whose JSON message mentions every word of `hints` (case-insensitively).
async fn bad_request(app: &TestApp, what: &str, resp: reqwest::Response, hints: &[&str]) {
    let text = refused(app, what, resp, 400).await;
    let err: Value = serde_json::from_str(&text).expect("JSON error body");
    assert_eq!(err["error"], "bad_request", "{what}");
    let message = err["message"].as_str().expect("message").to_lowercase();
    for hint in hints {
        assert!(message.contains(hint), "{what}: message should mention `{hint}`: {message}");
    }
}

fn report(kind: &str, agency: &str, body: &str) -> Value {
    json!({ "kind": kind, "agency": agency, "body": body })
}

#[tokio::test]
async fn refused_submissions_say_why_and_store_nothing() {
    let app = spawn_app().await;
    const PATH: &str = "/api/v1/reports";

    // > 256 KiB of JSON.
    let big = report("violation", "health", &"x".repeat(300 * 1024));
    refused(&app, "oversized JSON", app.post_json(PATH, &big).await, 413).await;
    // Far larger, and without a Content-Length header the server could trust.
    let huge = serde_json::to_vec(&report("violation", "health", &"y".repeat(4 << 20))).expect("json");
    let sent = tokio::time::timeout(std::time::Duration::from_secs(30), chunked_post(&app, PATH, &huge))
        .await
        .expect("the server must answer or close, not hang");
    if let Some(status) = sent {
        // The server may also just close the connection; either way nothing is stored.
        assert_eq!(status, 413, "4 MiB sent chunked");
    }
    assert_nothing_stored(&app, "4 MiB sent chunked").await;
    // Under the byte limit but over the text limit.
    let long = report("violation", "health", &"ب".repeat(60_000));
    bad_request(&app, "60 000 characters", app.post_json(PATH, &long).await, &["longer"]).await;

    let cases: Vec<(&str, Value, &[&str])> = vec![
        ("unknown kind", report("bribe", "health", "text"), &["kind", "violation"]),
        ("unknown agency", report("violation", "finance", "text"), &["agency"]),
        ("empty body", report("violation", "health", ""), &["empty"]),
        ("blank body", report("violation", "health", " \n\t "), &["empty"]),
        ("missing body", json!({"kind": "violation", "agency": "health"}), &["body"]),
        ("missing kind", json!({"agency": "health", "body": "text"}), &["kind"]),
        ("missing agency", json!({"kind": "violation", "body": "text"}), &["agency"]),
        ("body is a number", json!({"kind": "violation", "agency": "health", "body": 5}), &["body"]),
        (
            "unknown field",
            json!({"kind": "violation", "agency": "health", "body": "t", "ip": "1.2.3.4"}),
            &["ip"],
        ),
        (
            "contact too long",
            json!({"kind": "violation", "agency": "health", "body": "t", "contact": "c".repeat(600)}),
            &["contact"],
        ),
    ];
    for (what, body, hints) in cases {
        bad_request(&app, what, app.post_json(PATH, &body).await, hints).await;
    }
    bad_request(&app, "not JSON", app.post_raw_json(PATH, "kind=violation").await, &["json"]).await;
    bad_request(&app, "empty request", app.post_raw_json(PATH, "").await, &["json"]).await;
    let resp = app
        .client
        .post(app.url(PATH))
        .body(serde_json::to_vec(&report("violation", "health", "text")).expect("json"))
        .send()
        .await
        .expect("post");
    bad_request(&app, "no JSON content type", resp, &["content-type"]).await;

    // The HTML form refuses the same way.
    let resp = app
        .client
        .post(app.url("/en/report"))
        .form(&[("kind", "violation"), ("agency", "finance"), ("body", "text")])
        .send()
        .await
        .expect("form");
    refused(&app, "form: unknown agency", resp, 400).await;
    let resp = app
        .client
        .post(app.url("/en/report"))
        .form(&[("kind", "violation"), ("agency", "health")])
        .send()
        .await
        .expect("form");
    let page = refused(&app, "form: no body field", resp, 400).await;
    // ... and shows the form again with what was sent, not a page without it.
    assert!(page.contains(r#"<option value="health" lang="en" selected>"#), "{page}");

    // A valid report is stored (so the counting above can see a row when there is one).
    app.submit(&report("violation", "health", "valid")).await;
    assert_eq!(app.count_rows("cases").await, 1);
    assert_eq!(app.count_rows("envelopes").await, 1);
    assert_eq!(app.count_rows("events").await, 1);
    assert_eq!(app.get("/healthz").await.status(), 200);
}

/// POSTs `body` with `Transfer-Encoding: chunked` (no Content-Length to check up front)
/// over a raw connection; returns the response status, if the server sent one.
async fn chunked_post(app: &TestApp, path: &str, body: &[u8]) -> Option<u16> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let mut wire = head.into_bytes();
    for chunk in body.chunks(64 * 1024) {
        wire.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        wire.extend_from_slice(chunk);
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(b"0\r\n\r\n");
    // The server may answer and close before reading it all; a write error is fine.
    let _ = stream.write_all(&wire).await;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    let text = String::from_utf8_lossy(&response);
    text.strip_prefix("HTTP/1.1 ").and_then(|rest| rest.get(..3)).and_then(|code| code.parse().ok())
}

/// Every refusal is in our own words: no parser positions, Rust types or quoted input
/// (schemathesis found "expected u8 at line 1 column 33" on the rating route).
#[tokio::test]
async fn error_messages_are_ours_and_name_the_field() {
    let app = spawn_app().await;
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "/api/v1/rating",
            json!({"code": "1", "rating": 300}),
            "The field `rating` must be a whole number from 1 to 5.",
        ),
        (
            "/api/v1/rating",
            json!({"code": "1", "rating": 0}),
            "The field `rating` must be a whole number from 1 to 5.",
        ),
        (
            "/api/v1/rating",
            json!({"code": "1", "rating": "5"}),
            "The field `rating` must be a whole number from 1 to 5.",
        ),
        ("/api/v1/rating", json!({"code": "1"}), "Missing field `rating`."),
        ("/api/v1/status", json!({"code": 12345}), "The field `code` must be text (a JSON string)."),
        ("/api/v1/status", json!(["code"]), "The body must be a JSON object with the fields: code."),
        (
            "/api/v1/followups",
            json!({"code": "1", "body": null}),
            "The field `body` must be text (a JSON string).",
        ),
        (
            "/api/v1/reports",
            json!({"kind": "violation", "agency": "health", "body": "t", "receipt": "yes"}),
            "The field `receipt` must be true or false.",
        ),
    ];
    for (path, body, expected) in cases {
        let resp = app.post_json(path, &body).await;
        assert_eq!(resp.status(), 400, "{path} {body}");
        let err: Value = resp.json().await.expect("JSON error");
        assert_eq!(err["message"], expected, "{path} {body}");
    }
    let resp = app.post_raw_json("/api/v1/rating", r#"{"code": "1", "rating": 3"#).await;
    let err: Value = resp.json().await.expect("JSON error");
    assert_eq!(err["message"], "The body is not valid JSON.");
    // A rating written 4.0 is the whole number 4 (JSON Schema says so): the code is what fails.
    assert_eq!(app.post_json("/api/v1/rating", &json!({"code": "1", "rating": 4.0})).await.status(), 404);
    assert_nothing_stored(&app, "refused requests").await;
}
