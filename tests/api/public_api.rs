//! The public JSON API and the headers every response carries (invariant 4: no cookies, no
//! referrers, nothing cached, no script).

use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::helpers::{spawn_app, status_body, TestApp};

#[tokio::test]
async fn openapi_agencies_and_healthz() {
    let app = spawn_app().await;

    let resp = app.get("/api/v1/openapi.json").await;
    assert_eq!(resp.status(), 200);
    let doc: Value = resp.json().await.expect("OpenAPI JSON");
    let version = doc["openapi"].as_str().expect("openapi version");
    assert!(version.starts_with("3.1"), "OpenAPI {version}");
    for path in ["/api/v1/reports", "/api/v1/status"] {
        assert!(doc["paths"][path]["post"].is_object(), "{path} missing: {doc}");
    }
    assert!(doc["paths"]["/api/v1/reports"]["post"]["responses"]["201"].is_object());
    // `code` is read straight into the server's typed code; to clients it is still text.
    for request in ["StatusRequest", "FollowUpRequest", "RatingRequest"] {
        let code = &doc["components"]["schemas"][request]["properties"]["code"];
        assert_eq!(code["type"], "string", "{request}.code: {code}");
    }

    let resp = app.get("/api/v1/agencies").await;
    assert_eq!(resp.status(), 200);
    let list: Value = resp.json().await.expect("agencies JSON");
    assert_eq!(list["deployment_id"], crate::helpers::DEPLOYMENT_ID);
    let ids: Vec<&str> = list["agencies"]
        .as_array()
        .expect("agencies")
        .iter()
        .map(|a| a["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["health", "transport"]);
    assert_eq!(list["agencies"][0]["name"]["ar"], "وزارة الصحة");
    let kinds: Vec<&str> =
        list["kinds"].as_array().expect("kinds").iter().map(|k| k.as_str().expect("kind")).collect();
    assert_eq!(
        kinds,
        ["violation", "complaint", "suggestion", "compliment", "inquiry", "service_evaluation"]
    );

    let resp = app.get("/healthz").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.expect("body"), "ok");
}

#[track_caller]
fn assert_hardened(what: &str, h: &HeaderMap) {
    let get = |name: &str| {
        h.get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{what}: no {name} header"))
            .to_string()
    };
    let csp = get("content-security-policy");
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert!(!csp.contains("unsafe-eval"), "{what}: {csp}");
    assert!(csp.contains("default-src 'self'"), "{what}: {csp}");
    assert!(csp.contains("script-src 'none'"), "{what}: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert_eq!(get("referrer-policy"), "no-referrer", "{what}");
    assert_eq!(get("x-frame-options"), "DENY", "{what}");
    assert_eq!(get("x-content-type-options"), "nosniff", "{what}");
    assert!(get("cache-control").contains("no-store"), "{what}");
    assert!(h.get("set-cookie").is_none(), "{what}: sets a cookie");
    assert!(h.get("server").is_none(), "{what}: advertises its software");
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_no_cookie() {
    let app = spawn_app().await;
    let code = app.submit_simple("health", false).await;
    let c = &app.client;
    let url = |p: &str| app.url(p);
    let requests: Vec<(&str, reqwest::RequestBuilder)> = vec![
        ("GET / (redirect)", c.get(url("/"))),
        ("GET /ar/", c.get(url("/ar/"))),
        ("GET /en/report/violation", c.get(url("/en/report/violation"))),
        ("GET /en/status", c.get(url("/en/status"))),
        ("GET unknown language", c.get(url("/xx/status"))),
        ("GET css", c.get(url("/static/amana.css"))),
        ("GET agencies", c.get(url("/api/v1/agencies"))),
        ("GET openapi", c.get(url("/api/v1/openapi.json"))),
        ("GET healthz", c.get(url("/healthz"))),
        ("GET unknown route", c.get(url("/wp-login.php"))),
        ("DELETE /", c.delete(url("/"))),
        (
            "POST /report",
            c.post(url("/en/report")).form(&[("kind", "inquiry"), ("agency", "health"), ("body", "q")]),
        ),
        ("POST /report refused", c.post(url("/en/report")).form(&[("kind", "x")])),
        ("POST /status (page)", c.post(url("/en/status")).form(&[("code", code.as_str())])),
        ("POST /status (page, wrong)", c.post(url("/en/status")).form(&[("code", "1")])),
        ("POST status", c.post(url("/api/v1/status")).json(&serde_json::json!({ "code": code }))),
        ("POST status wrong", c.post(url("/api/v1/status")).json(&serde_json::json!({ "code": "1" }))),
        ("POST report 400", c.post(url("/api/v1/reports")).json(&serde_json::json!({}))),
        (
            "POST report 413",
            c.post(url("/api/v1/reports"))
                .header("content-type", "application/json")
                .body(vec![b' '; 300 * 1024]),
        ),
        ("review 401", c.get(url("/api/v1/review/cases"))),
        (
            "review POST 401",
            c.post(url("/api/v1/review/cases/x/status")).body(status_body("acknowledged", &"0".repeat(64))),
        ),
    ];
    let mut statuses = Vec::new();
    for (what, req) in requests {
        let resp = req.send().await.unwrap_or_else(|e| panic!("{what}: {e}"));
        statuses.push((what, resp.status().as_u16()));
        assert_hardened(what, resp.headers());
    }
    // The list covers successes and each kind of refusal.
    for expected in [200, 201, 303, 400, 401, 404, 405, 413] {
        assert!(statuses.iter().any(|(_, s)| *s == expected), "no {expected} among {statuses:?}");
    }
    signed_response_is_hardened(&app).await;
}

async fn signed_response_is_hardened(app: &TestApp) {
    let resp = app
        .signed(app.dep.reviewer(crate::helpers::OVERSIGHT), "GET", amana_core::wire::paths::CASES_PULL, b"")
        .await;
    assert_eq!(resp.status(), 200);
    assert_hardened("signed review GET", resp.headers());
}
