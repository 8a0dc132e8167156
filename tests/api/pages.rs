//! The reporter pages work with JavaScript off: a plain form posts the report, the code is
//! shown once, and the status page asks for the code again (no session, no cookie). The
//! language lives in the path (`/ar/…`, `/en/…`); `/` redirects by Accept-Language.

use crate::helpers::{find_grouped_code, spawn_app, TestApp};

async fn page(app: &TestApp, path: &str) -> String {
    let resp = app.get(path).await;
    assert_eq!(resp.status(), 200, "GET {path}");
    assert!(
        resp.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html")),
        "GET {path}: not HTML"
    );
    let text = resp.text().await.expect("page");
    assert!(!text.to_lowercase().contains("<script"), "script on {path}");
    assert!(!text.contains("http://") && !text.contains("https://"), "absolute URL on {path}");
    text
}

#[tokio::test]
async fn report_and_check_status_without_javascript() {
    let app = spawn_app().await;

    // `/` picks a language without a cookie: Arabic by default, English when asked.
    let resp = app.get("/").await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/ar/");
    assert!(resp.headers().get("set-cookie").is_none());
    let resp = app.client.get(app.url("/")).header("accept-language", "en-GB,en;q=0.9").send().await;
    assert_eq!(resp.expect("GET /").headers()["location"], "/en/");

    let ar = page(&app, "/ar/").await;
    assert!(ar.contains(r#"lang="ar""#) && ar.contains(r#"dir="rtl""#), "Arabic page is not RTL");
    let home = page(&app, "/en/").await;
    assert!(home.contains(r#"href="/en/report/violation""#), "{home}");
    assert!(!home.contains("DEMO MODE"), "demo banner with real keys");

    let form = page(&app, "/en/report/complaint").await;
    assert!(form.contains(r#"method="post" action="/en/report""#), "{form}");
    for field in [r#"name="kind""#, r#"name="agency""#, r#"name="body""#, r#"name="contact""#] {
        assert!(form.contains(field), "form lacks {field}");
    }
    assert!(form.contains(r#"value="transport""#));

    let resp = app
        .client
        .post(app.url("/en/report"))
        .form(&[
            ("kind", "complaint"),
            ("agency", "transport"),
            ("body", "الحافلة لا تأتي في موعدها"),
            ("contact", ""),
        ])
        .send()
        .await
        .expect("submit form");
    assert_eq!(resp.status(), 201);
    assert!(resp.headers().get("set-cookie").is_none());
    let saved = resp.text().await.expect("page");
    assert!(!saved.to_lowercase().contains("<script"));
    let code = find_grouped_code(&saved).unwrap_or_else(|| panic!("no code on:\n{saved}"));
    assert_eq!(code.len(), 29);

    let status_form = page(&app, "/en/status").await;
    assert!(status_form.contains(r#"method="post" action="/en/status""#), "{status_form}");

    let resp = app
        .client
        .post(app.url("/en/status"))
        .form(&[("code", code.as_str())])
        .send()
        .await
        .expect("status page");
    assert_eq!(resp.status(), 200);
    let shown = resp.text().await.expect("page");
    assert!(shown.contains("Received"), "{shown}");
    assert!(shown.contains("Ministry of Transport"), "{shown}");
    assert!(!shown.contains(&code), "the status page must not echo the code");
    // The same code works on the API: one store behind both.
    assert_eq!(app.status_of(&code).await, "received");

    // A wrong code: the form again with the generic answer, not the case.
    let resp = app
        .client
        .post(app.url("/en/status"))
        .form(&[("code", "12345 12345 12345 12345 12345")])
        .send()
        .await
        .expect("status page");
    assert_eq!(resp.status(), 404);
    let miss = resp.text().await.expect("page");
    assert!(miss.contains(r#"role="alert""#), "{miss}");
    assert!(!miss.contains("Ministry of Transport") && !miss.contains("Received"));
}
