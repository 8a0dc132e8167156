//! Invariant 2 at the status endpoint: every code that does not match is the same 404
//! (whatever is wrong with it), malformed JSON is a 400, nothing crashes the server; and
//! real codes are accepted however a phone or a person types them.

use amana_core::damm;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, with_digits};

/// Appends the Damm check digit to 24 digits.
fn with_check(digits24: &str) -> String {
    let check = damm::check_digit(digits24).expect("digits");
    format!("{digits24}{check}")
}

async fn answer(resp: reqwest::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

#[tokio::test]
async fn every_wrong_code_gets_the_same_404() {
    let app = spawn_app().await;
    let real = app.submit_simple("health", false).await;
    let digits = real.replace(' ', "");

    // The right lookup part with another secret part: the record exists, the secret is wrong.
    let wrong_secret_part =
        if &digits[8..24] == "1111111111111111" { "2222222222222222" } else { "1111111111111111" };
    let wrong_secret = with_check(&format!("{}{wrong_secret_part}", &digits[..8]));
    // A well-formed code that was never issued (fresh lookup part).
    let other_lookup = if &digits[..8] == "00000000" { "99999999" } else { "00000000" };
    let never_issued = with_check(&format!("{other_lookup}{}", &digits[8..24]));
    // The real code with its check digit broken.
    let last = digits.as_bytes()[24] - b'0';
    let bad_check = format!("{}{}", &digits[..24], (last + 1) % 10);

    let code_shaped: Vec<(&str, Value)> = vec![
        ("never issued", json!({ "code": never_issued })),
        ("right lookup, wrong secret", json!({ "code": wrong_secret })),
        ("bad check digit", json!({ "code": bad_check })),
        ("empty", json!({ "code": "" })),
        ("only separators", json!({ "code": " - - " })),
        ("too short", json!({ "code": &digits[..20] })),
        ("letters", json!({ "code": "abcde fghij klmno pqrst uvwxy" })),
        ("10 KB code", json!({ "code": "1".repeat(10 * 1024) })),
        ("10 KB of Arabic-Indic digits", json!({ "code": "٣".repeat(5 * 1024) })),
        ("control characters", json!({ "code": "\u{0}\u{1b}[2J' OR 1=1 --" })),
    ];
    let mut first: Option<String> = None;
    for (what, req) in &code_shaped {
        let (status, body) = answer(app.post_json("/api/v1/status", req).await).await;
        assert_eq!(status, 404, "{what}: {body}");
        match &first {
            None => first = Some(body),
            Some(f) => assert_eq!(&body, f, "{what}: the 404 body must not differ"),
        }
    }
    let not_found: Value = serde_json::from_str(&first.expect("a 404")).expect("JSON error");
    assert_eq!(not_found["error"], "not_found");

    // Requests that are not a code at all: 400 with an actionable message, nothing echoed
    // from the stored data.
    let malformed: Vec<(&str, reqwest::Body)> = vec![
        ("not JSON", "code=12345".into()),
        ("truncated JSON", "{\"code\": \"12345".into()),
        ("a JSON number", "{\"code\": 1234567890123456789012345}".into()),
        ("null code", "{\"code\": null}".into()),
        ("missing code", "{}".into()),
        ("empty body", "".into()),
    ];
    for (what, body) in malformed {
        let (status, text) = answer(app.post_raw_json("/api/v1/status", body).await).await;
        assert_eq!(status, 400, "{what}: {text}");
        let err: Value = serde_json::from_str(&text).expect("JSON error body");
        assert_eq!(err["error"], "bad_request", "{what}");
        assert!(
            err["message"].as_str().is_some_and(|m| m.len() > 10),
            "{what}: the message should say what to fix: {text}"
        );
    }
    // Without a JSON content type.
    let resp = app
        .client
        .post(app.url("/api/v1/status"))
        .body(format!("{{\"code\": \"{real}\"}}"))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 400);

    let health = app.get("/healthz").await;
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.expect("body"), "ok");
    // And the real code still works.
    assert_eq!(app.status_of(&real).await, "received");
}

#[tokio::test]
async fn codes_are_accepted_as_people_type_them() {
    let app = spawn_app().await;
    let code = app.submit_simple("transport", false).await;
    let digits = code.replace(' ', "");
    assert_eq!(digits.len(), 25);
    assert!(digits.bytes().all(|b| b.is_ascii_digit()));

    let spellings = [
        code.clone(),
        digits.clone(),
        with_digits(&code, '\u{0660}'),   // Arabic-Indic, grouped
        with_digits(&digits, '\u{0660}'), // Arabic-Indic, run together
        with_digits(&code.replace(' ', "-"), '\u{06F0}'), // Persian, dashed
        format!("  {}  ", code.replace(' ', "   ")), // extra spaces
        code.replace(' ', " - "),         // spaces and dashes
        format!("\u{200F}{}\u{200F}", with_digits(&code, '\u{06F0}')), // RTL marks
        // Mixed: Latin, Arabic-Indic and Persian digits in one code.
        format!(
            "{}-{}-{}",
            &digits[..8],
            with_digits(&digits[8..16], '\u{0660}'),
            with_digits(&digits[16..], '\u{06F0}')
        ),
    ];
    for spelling in &spellings {
        let resp = app.check_code(spelling).await;
        let status = resp.status();
        let body: Value = resp.json().await.expect("JSON");
        assert_eq!(status, 200, "{spelling:?} refused: {body}");
        assert_eq!(body["status"], "received");
        assert_eq!(body["agency"], "transport");
        assert_eq!(body["kind"], "complaint");
    }

    // The reporter page takes the same spellings.
    let resp = app
        .client
        .post(app.url("/en/status"))
        .form(&[("code", with_digits(&code.replace(' ', "-"), '\u{0660}'))])
        .send()
        .await
        .expect("status page");
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.expect("page").contains("Received"));
}
