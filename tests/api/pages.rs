//! The reporter pages work with JavaScript off: a plain form posts the report, the code is
//! shown once, and the status page asks for the code again (no session, no cookie).

use crate::helpers::{find_grouped_code, spawn_app};

#[tokio::test]
async fn report_and_check_status_without_javascript() {
    let app = spawn_app().await;

    let resp = app.get("/").await;
    assert_eq!(resp.status(), 200);
    assert!(resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html")));
    let home = resp.text().await.expect("page");
    assert!(home.contains(r#"<form method="post" action="/report">"#), "{home}");
    for field in [r#"name="kind""#, r#"name="agency""#, r#"name="body""#, r#"name="contact""#] {
        assert!(home.contains(field), "form lacks {field}");
    }
    assert!(home.contains(r#"value="health""#) && home.contains("وزارة الصحة"));
    assert!(!home.to_lowercase().contains("<script"), "script on /");
    assert!(!home.contains("http://") && !home.contains("https://"), "third-party resource on /");
    assert!(!home.contains("DEMO MODE"), "demo banner with real keys");

    let resp = app
        .client
        .post(app.url("/report"))
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
    let saved = resp.text().await.expect("page");
    assert!(!saved.to_lowercase().contains("<script"));
    let code = find_grouped_code(&saved).unwrap_or_else(|| panic!("no code on:\n{saved}"));
    assert_eq!(code.len(), 29);

    let form = app.get("/status").await;
    assert_eq!(form.status(), 200);
    let form = form.text().await.expect("page");
    assert!(form.contains(r#"<form method="post" action="/status">"#), "{form}");
    assert!(!form.to_lowercase().contains("<script"));

    let resp = app
        .client
        .post(app.url("/status"))
        .form(&[("code", code.as_str())])
        .send()
        .await
        .expect("status page");
    assert_eq!(resp.status(), 200);
    let page = resp.text().await.expect("page");
    assert!(page.contains("received"), "{page}");
    assert!(page.contains("transport"), "{page}");
    assert!(!page.contains(&code), "the status page must not echo the code");
    // The same code works on the API: one store behind both.
    assert_eq!(app.status_of(&code).await, "received");

    // A wrong code: the generic answer, not the case.
    let resp = app
        .client
        .post(app.url("/status"))
        .form(&[("code", "12345 12345 12345 12345 12345")])
        .send()
        .await
        .expect("status page");
    assert_eq!(resp.status(), 404);
    let page = resp.text().await.expect("page");
    assert!(page.contains("No report matches this code"), "{page}");
    assert!(!page.contains("received"));
}
