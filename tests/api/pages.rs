//! The reporter pages work with JavaScript off: a plain form posts the report, the code is
//! shown once, and the status page asks for the code again (no session, no cookie). The
//! language lives in the path (`/ar/…`, `/en/…`); `/` redirects by Accept-Language.

use crate::helpers::{find_grouped_code, spawn_app, Deployment, KeyGen, TestApp};

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
    let unknown = amana_core::code::FollowUpCode::generate().grouped().to_string();
    let resp = app
        .client
        .post(app.url("/en/status"))
        .form(&[("code", unknown.as_str())])
        .send()
        .await
        .expect("status page");
    assert_eq!(resp.status(), 404);
    let miss = resp.text().await.expect("page");
    assert!(miss.contains(r#"role="alert""#), "{miss}");
    assert!(!miss.contains("Ministry of Transport") && !miss.contains("Received"));
}

/// A multipart report form as the page sends it, with `fields` and, if given, one file.
fn report_form(fields: &[(&str, &str)], file: Option<Vec<u8>>) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    if let Some(bytes) = file {
        let part = reqwest::multipart::Part::bytes(bytes).file_name("evidence.bin");
        form = form.part("attachment", part);
    }
    form
}

#[tokio::test]
async fn a_refused_report_form_comes_back_with_every_word_and_stores_nothing() {
    // A person's pace (3 s) is required, and files are small: 1 MB per case.
    let app = TestApp::start(
        Deployment::standard(KeyGen::InProcess),
        &[("AMANA_MIN_FILL_SECS", "3"), ("AMANA_MAX_CASE_FILES_MB", "1"), ("AMANA_MAX_FILE_MB", "1")],
    );
    let body = "رأيت الموظف يأخذ رشوة\nline two <b>not markup</b>";
    let typed = [
        ("kind", "violation"),
        ("agency", "transport"),
        ("body", body),
        ("contact", "signal: +000 reporter"),
        ("oversight_only", "true"),
    ];
    let post = |extra: &[(&str, &str)], file: Option<Vec<u8>>| {
        let fields: Vec<(&str, &str)> = typed.iter().chain(extra).copied().collect();
        app.client.post(app.url("/en/report")).multipart(report_form(&fields, file)).send()
    };
    let fresh =
        crate::hardening::form_token(&app.get("/en/report/violation").await.text().await.expect("form"));
    // Every check a bot fails: the same form again (422), never a "received" page.
    let cases: [(&str, Vec<(&str, &str)>); 5] = [
        ("sent at once", vec![("t", &fresh)]),
        ("the honeypot filled in", vec![("t", &fresh), ("website", "http://spam.example")]),
        ("no token", vec![]),
        ("a forged token", vec![("t", "1.00000000000000000000000000000000")]),
        ("a forged re-shown token", vec![("t", "99999999999.r.0")]),
    ];
    let mut again = String::new();
    for (what, extra) in cases {
        let resp = post(&extra, None).await.expect("post");
        assert_eq!(resp.status(), 422, "{what}");
        assert!(resp.headers().get("set-cookie").is_none());
        let page = resp.text().await.expect("page");
        // Everything typed is on the page again, escaped, in the form's own fields.
        assert!(
            page.contains("رأيت الموظف يأخذ رشوة\nline two &lt;b&gt;not markup&lt;/b&gt;</textarea>"),
            "{what}: {page}"
        );
        assert!(page.contains(r#"value="signal: +000 reporter""#), "{what}: contact");
        assert!(page.contains(r#"<option value="transport" lang="en" selected>"#), "{what}: agency");
        assert!(
            page.contains(r#"value="true" aria-describedby="oversight-hint" checked"#),
            "{what}: oversight"
        );
        assert!(page.contains("Nothing was sent yet") && page.contains("choose them again"), "{what}");
        assert!(
            !page.contains("was received") && find_grouped_code(&page).is_none(),
            "{what}: false success"
        );
        assert!(
            !page.contains(r#"name="website" tabindex="-1" autocomplete="off" value"#),
            "{what}: honeypot kept"
        );
        assert_eq!(app.count_rows("cases").await, 0, "{what}: stored");
        again = crate::hardening::form_token(&page);
    }
    assert!(again.contains(".r."), "a re-shown token: {again}");

    // A body declared larger than a case's files may be (3 MiB): refused once the text
    // fields are read, before any file byte, with the form again and the limit in words.
    let fields: Vec<(&str, &str)> = typed.iter().copied().chain([("t", again.as_str())]).collect();
    let (status, page) = post_declaring(&app, "/en/report", &fields, 3 * 1024 * 1024).await;
    assert_eq!(status, 413, "{page}");
    assert!(page.contains("larger than") && page.contains("line two &lt;b&gt;"), "{page}");
    assert_eq!(app.count_rows("cases").await, 0);
    assert_eq!(app.count_rows("attachments").await, 0);

    // The re-shown form is sent again at once (with a small file): stored, code shown.
    let again = crate::hardening::form_token(&page);
    let resp = post(&[("t", &again)], Some(vec![7u8; 1000])).await.expect("post");
    assert_eq!(resp.status(), 201);
    assert!(find_grouped_code(&resp.text().await.expect("page")).is_some());
    assert_eq!(app.count_rows("cases").await, 1);
    assert_eq!(app.count_rows("attachments").await, 1);
}

/// Sends a multipart form whose `Content-Length` declares `declared` bytes but whose body
/// stops after the text fields and the head of one file part, over a raw connection, and
/// returns the status and page the server answers with before the rest would arrive. (With
/// a real body of that size, the client may still be writing when the server answers and
/// closes, and an HTTP client then reports a broken pipe instead of the answer.)
async fn post_declaring(
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
    declared: usize,
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let boundary = "amana-test-boundary-7f3a";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"big.bin\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n0123456789"
    ));
    let addr = app.address.trim_start_matches("http://");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n\
         Content-Length: {declared}\r\nConnection: close\r\n\r\n"
    );
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("write head");
    stream.write_all(body.as_bytes()).await.expect("write fields");
    let mut answer = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(30), stream.read_to_end(&mut answer))
        .await
        .expect("the server answers without waiting for the rest of the body")
        .expect("read the answer");
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let page = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, page)
}

#[tokio::test]
async fn a_mistyped_or_wrong_code_keeps_the_follow_up_text_and_says_which_mistake() {
    let app = TestApp::start(Deployment::standard(KeyGen::InProcess), &[]);
    let code = app.submit_simple("health", false).await;
    // One digit changed: the check digit catches it. A random code: valid, but unknown.
    let typo = {
        let mut d: Vec<char> = code.chars().collect();
        d[3] = if d[3] == '9' { '0' } else { char::from(d[3] as u8 + 1) };
        d.into_iter().collect::<String>()
    };
    let unknown = amana_core::code::FollowUpCode::generate().grouped().to_string();
    let text = "Follow-up words that must survive\nsecond line";
    let follow_up = |code: &str| {
        let form = reqwest::multipart::Form::new().text("code", code.to_string()).text("body", text);
        app.client.post(app.url("/en/followup")).multipart(form).send()
    };
    for (what, typed, status, says) in [
        ("typo", typo.as_str(), 422, "a digit is wrong or two digits are swapped"),
        ("unknown", unknown.as_str(), 404, "No report matches this code"),
        ("malformed", "12345", 404, "No report matches this code"),
    ] {
        let resp = follow_up(typed).await.expect("post");
        assert_eq!(resp.status(), status, "{what}");
        let page = resp.text().await.expect("page");
        assert!(page.contains(says), "{what}: {page}");
        assert!(
            page.contains("Follow-up words that must survive\nsecond line</textarea>"),
            "{what}: text lost"
        );
        assert!(page.contains(r#"action="/en/followup""#), "{what}: no form");
        assert!(!page.contains(&code) && !page.contains(typed), "{what}: the code is echoed");
        assert!(!page.contains("Ministry of Health"), "{what}: case data shown");
    }
    // The status form says the same, and only a typo is told apart.
    for (typed, status, says) in
        [(&typo, 422, "two digits are swapped"), (&unknown, 404, "No report matches")]
    {
        let resp =
            app.client.post(app.url("/en/status")).form(&[("code", typed)]).send().await.expect("post");
        assert_eq!(resp.status(), status);
        assert!(resp.text().await.expect("page").contains(says));
    }
    assert_eq!(app.count_rows("envelopes").await, 1, "only the report");
    let resp = follow_up(&code).await.expect("post");
    assert_eq!(resp.status(), 201);
    assert_eq!(app.count_rows("envelopes").await, 2);
}
