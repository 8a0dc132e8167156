//! Evidence files (issue 5): multipart uploads streamed into age STREAM pieces through the
//! real server, fetched back by a signed reviewer request and decrypted byte for byte; the
//! limits answer 413 and leave nothing behind; a broken or crashed upload leaves nothing.

use std::{
    fs,
    io::Write,
    net::TcpStream,
    time::{Duration, Instant},
};

use amana_core::{attachment, wire::paths};
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::helpers::{
    contains_bytes, evidence, files_under, find_grouped_code, Deployment, KeyGen, TestApp, HEALTH,
};

const MIB: usize = 1024 * 1024;

fn report_form(kind: &str) -> Form {
    Form::new()
        .text("kind", kind.to_string())
        .text("agency", "health")
        .text("body", "See the attached files.")
}

fn file(name: &str, bytes: Vec<u8>) -> Part {
    Part::bytes(bytes).file_name(name.to_string()).mime_str("application/octet-stream").expect("mime")
}

async fn post_multipart(app: &TestApp, path: &str, form: Form) -> (u16, Value) {
    let resp = app.client.post(app.url(path)).multipart(form).send().await.expect("multipart request");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn assert_nothing_stored(app: &TestApp) {
    for table in ["cases", "envelopes", "attachments", "attachment_pieces"] {
        assert_eq!(app.count_rows(table).await, 0, "{table} rows left behind");
    }
}

/// Polls until `table` has `want` rows (background clean-up), failing after 15 s.
async fn wait_rows(app: &TestApp, table: &str, want: impl Fn(i64) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let n = app.count_rows(table).await;
        if want(n) {
            return;
        }
        assert!(Instant::now() < deadline, "{table}: {n} rows after 15 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_64_mib_file_round_trips_and_its_marker_is_nowhere_on_disk_or_in_logs() {
    let app = TestApp::start(Deployment::standard(KeyGen::InProcess), &[("AMANA_MAX_FILE_MB", "80")]);
    let marker = "MARKER-evidence-7f3a9c1e";
    let data = evidence(64 * MIB, marker);
    let files_before = data_files(&app);
    let form = report_form("violation")
        .part("attachment", file("../../etc/passwd", data.clone()))
        .part("attachment", file("note.txt", format!("small {marker}").into_bytes()));
    let (status, body) = post_multipart(&app, "/api/v1/reports", form).await;
    assert_eq!(status, 201, "{body}");
    assert!(body["code"].as_str().is_some_and(|c| c.len() == 29), "{body}");
    // No file per upload: a file's creation time and place on disk would date it. The
    // pieces went into the database files that were there before (stat'ed: all 0600).
    assert_eq!(data_files(&app), files_before, "an upload made or removed a file in the data directory");

    let reviewer = app.dep.reviewer(HEALTH);
    let cases = app.cases_as(reviewer).await;
    let case = cases.first().expect("one case");
    assert_eq!(case.attachments.len(), 2, "both files listed");
    let big = &case.attachments[0];
    assert_eq!(big.envelope_id, case.envelopes[0].id, "the file belongs to the report");
    // The server knows a padded size only: 64 MiB is already a bucket boundary, so the
    // content is 64 MiB plus age's framing (16 bytes per 64 KiB chunk) and header.
    assert!(big.size > 64 * MIB as u64 && big.size < 64 * MIB as u64 + 64 * 1024, "{}", big.size);
    assert_eq!(attachment::padded_len(data.len() as u64), 64 * MIB as u64);

    let resp = app.signed(reviewer, "GET", &paths::attachment(&case.id, &big.id), b"").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.content_length(), Some(big.size));
    let content = resp.bytes().await.expect("content");
    assert_eq!(content.len() as u64, big.size);
    let identity = reviewer.identity();
    let meta_age = base64_decode(&big.meta_age_b64);
    let meta = attachment::open_meta(&meta_age, &[&identity]).expect("description");
    assert_eq!((meta.name.as_str(), meta.size), ("../../etc/passwd", data.len() as u64));
    let mut out = Vec::with_capacity(data.len());
    attachment::decrypt_to(&content[..], &[&identity], &meta, &mut out).expect("decrypt");
    assert!(out == data, "the file came back different");

    // The real CLI: pull (ciphertext only), then export with the name made safe.
    reviewer.cli(&app.address, &["pull"]).ok("pull with files");
    let shown = reviewer.cli(&app.address, &["show", &case.id]).ok("show");
    assert!(shown.stdout.contains("passwd"), "{}", shown.stdout);
    let out_dir = app.dep.root().join("export");
    let exported = reviewer.cli(&app.address, &["export", &case.id, out_dir.to_str().expect("utf-8")]);
    exported.ok("export");
    let names: Vec<String> = fs::read_dir(&out_dir)
        .expect("export dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains('/') && !n.starts_with('.')), "{names:?}");
    let exported_big = names.iter().find(|n| n.contains("passwd")).expect("exported under a safe name");
    assert!(fs::read(out_dir.join(exported_big)).expect("read export") == data, "CLI export differs");
    assert!(!app.dep.root().join("etc").exists(), "export escaped its folder");

    // Another reviewer's scope does not reach it.
    let other = app.dep.reviewer(crate::helpers::TRANSPORT);
    let resp = app.signed(other, "GET", &paths::attachment(&case.id, &big.id), b"").await;
    assert!(matches!(resp.status().as_u16(), 403 | 404), "{}", resp.status());

    for path in files_under(&app.dep.data_dir()).into_iter().chain(files_under(&app.dep.root().join("logs")))
    {
        let bytes = fs::read(&path).expect("read");
        assert!(!contains_bytes(&bytes, marker.as_bytes()), "marker found in {}", path.display());
        assert!(!contains_bytes(&bytes, b"etc/passwd"), "file name found in {}", path.display());
    }
}

/// Every file in the data directory, by name, with its mode: what an upload must not change.
fn data_files(app: &TestApp) -> Vec<(String, u32)> {
    use std::os::unix::fs::PermissionsExt;
    let dir = app.dep.data_dir();
    let files: Vec<(String, u32)> = files_under(&dir)
        .into_iter()
        .map(|p| {
            let mode = fs::metadata(&p).expect("stat").permissions().mode() & 0o777;
            (p.strip_prefix(&dir).expect("under the data dir").display().to_string(), mode)
        })
        .collect();
    for (name, mode) in &files {
        assert_eq!(*mode, 0o600, "{name} is readable by others");
    }
    assert!(files.iter().any(|(n, _)| n == "amana.db.pieces"), "{files:?}");
    files
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).expect("base64")
}

#[tokio::test]
async fn over_the_limits_is_413_with_a_clear_message_and_nothing_left() {
    let limits =
        [("AMANA_MAX_FILE_MB", "1"), ("AMANA_MAX_CASE_FILES_MB", "2"), ("AMANA_MAX_FILES_PER_CASE", "3")];
    let app = TestApp::start(Deployment::standard(KeyGen::InProcess), &limits);
    let cases = [
        (vec![3 * MIB / 2], "larger than 1 MB"),
        (vec![900 * 1024, 900 * 1024, 900 * 1024], "larger than 2 MB"),
        (vec![10, 10, 10, 10], "at most 3 files"),
    ];
    for (sizes, message) in cases {
        let mut form = report_form("complaint");
        for (i, n) in sizes.iter().enumerate() {
            form = form.part("attachment", file(&format!("f{i}.bin"), vec![7u8; *n]));
        }
        let (status, body) = post_multipart(&app, "/api/v1/reports", form).await;
        assert_eq!(status, 413, "{sizes:?}: {body}");
        assert!(body["message"].as_str().is_some_and(|m| m.contains(message)), "{sizes:?}: {body}");
        assert!(body.get("code").is_none());
        wait_rows(&app, "attachments", |n| n == 0).await;
        assert_nothing_stored(&app).await;
    }
    // The same page route answers in the reporter's language.
    let form = Form::new()
        .text("kind", "complaint")
        .text("agency", "health")
        .text("body", "نص البلاغ")
        .part("attachment", file("big.bin", vec![1u8; 3 * MIB / 2]));
    let resp = app.client.post(app.url("/ar/report")).multipart(form).send().await.expect("page post");
    assert_eq!(resp.status(), 413);
    let page = resp.text().await.expect("page");
    assert!(page.contains("ميغابايت") && page.contains(r#"dir="rtl""#), "{page}");
    wait_rows(&app, "attachments", |n| n == 0).await;
    assert_nothing_stored(&app).await;

    // Within the limits, the same request shape is accepted.
    let form = report_form("complaint")
        .part("attachment", file("a.jpg", vec![1; 1000]))
        .part("attachment", file("b.pdf", vec![2; 2000]));
    let (status, body) = post_multipart(&app, "/api/v1/reports", form).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(app.count_rows("attachments").await, 2);
}

#[tokio::test]
async fn fields_must_come_before_files_and_be_known() {
    let app = TestApp::start(Deployment::standard(KeyGen::InProcess), &[]);
    let form = Form::new().part("attachment", file("x.bin", vec![1; 10])).text("kind", "complaint");
    let (status, body) = post_multipart(&app, "/api/v1/reports", form).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| m.contains("kind")), "{body}");

    let form =
        report_form("complaint").part("attachment", file("x.bin", vec![1; 10])).text("contact", "late");
    let (status, body) = post_multipart(&app, "/api/v1/reports", form).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| m.contains("before the first attachment")), "{body}");

    let form = report_form("complaint").text("colour", "red");
    let (status, body) = post_multipart(&app, "/api/v1/reports", form).await;
    assert_eq!(status, 400, "{body}");

    let resp = app
        .client
        .post(app.url("/api/v1/reports"))
        .header("content-type", "multipart/form-data; boundary=XYZ")
        .body("--XYZ\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\ncompl")
        .send()
        .await
        .expect("truncated multipart");
    assert_eq!(resp.status(), 400);
    wait_rows(&app, "attachments", |n| n == 0).await;
    assert_nothing_stored(&app).await;
}

/// Starts an upload over a raw socket and sends the text fields and `file_bytes` of a file
/// that claims to be much larger; returns the open socket.
fn start_raw_upload(app: &TestApp, file_bytes: usize) -> TcpStream {
    let addr = app.address.trim_start_matches("http://");
    let mut sock = TcpStream::connect(addr).expect("connect");
    let b = "AmanaBoundary42";
    let mut head = String::new();
    for (name, value) in [("kind", "complaint"), ("agency", "health"), ("body", "files follow")] {
        head.push_str(&format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    head.push_str(&format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"cut.bin\"\r\n\r\n"
    ));
    let request = format!(
        "POST /api/v1/reports HTTP/1.1\r\nHost: {addr}\r\nContent-Type: multipart/form-data; boundary={b}\r\n\
         Content-Length: {}\r\n\r\n{head}",
        head.len() + 100 * MIB
    );
    sock.write_all(request.as_bytes()).expect("send head");
    let chunk = vec![0x5Au8; 64 * 1024];
    for _ in 0..file_bytes / chunk.len() {
        sock.write_all(&chunk).expect("send file bytes");
    }
    sock.flush().expect("flush");
    sock
}

#[tokio::test]
async fn a_dropped_upload_is_removed_at_once_and_a_crashed_one_at_the_next_start() {
    let mut app = TestApp::start(Deployment::standard(KeyGen::InProcess), &[]);
    let sock = start_raw_upload(&app, 4 * MIB);
    wait_rows(&app, "attachment_pieces", |n| n >= 2).await;
    drop(sock);
    wait_rows(&app, "attachments", |n| n == 0).await;
    assert_nothing_stored(&app).await;

    let sock = start_raw_upload(&app, 4 * MIB);
    wait_rows(&app, "attachment_pieces", |n| n >= 2).await;
    app.crash();
    drop(sock);
    assert!(app.count_rows("attachments").await > 0, "the crash left pending rows to clean");
    app.start_again();
    assert_nothing_stored(&app).await;
}

#[tokio::test]
async fn follow_ups_carry_files_only_with_the_right_code() {
    let app = TestApp::start(Deployment::standard(KeyGen::InProcess), &[]);
    let code = app.submit_simple("health", false).await;
    let wrong = {
        let mut c = code.clone().into_bytes();
        let last = c.len() - 2;
        c[last] = if c[last] == b'1' { b'2' } else { b'1' };
        String::from_utf8(c).expect("ascii")
    };
    let follow_up = |code: &str| {
        Form::new()
            .text("code", code.to_string())
            .text("body", "A photo of the ledger.")
            .part("attachment", file("ledger.jpg", vec![9u8; 300_000]))
    };
    let (status, _) = post_multipart(&app, "/api/v1/followups", follow_up(&wrong)).await;
    assert_eq!(status, 404);
    assert_eq!(app.count_rows("attachments").await, 0, "no file read before the code was checked");

    let (status, body) = post_multipart(&app, "/api/v1/followups", follow_up(&code)).await;
    assert_eq!(status, 201, "{body}");
    let reviewer = app.dep.reviewer(HEALTH);
    let case = app.cases_as(reviewer).await.remove(0);
    assert_eq!(case.attachments.len(), 1);
    let follow_up_envelope = case.envelopes.iter().find(|e| e.id == case.attachments[0].envelope_id);
    assert!(follow_up_envelope.is_some_and(|e| e.part == amana_core::payload::Part::FollowUp));
    let event = case.events.last().expect("event");
    assert!(event.detail.contains(r#""attachments":1"#), "{}", event.detail);
}

#[tokio::test]
async fn the_report_page_takes_files_without_javascript() {
    let app = TestApp::start(Deployment::standard(KeyGen::InProcess), &[]);
    let form_page = app.get("/en/report/violation").await.text().await.expect("form");
    assert!(form_page.contains(r#"enctype="multipart/form-data""#), "{form_page}");
    assert!(form_page.contains(r#"type="file""#) && form_page.contains("files, each up to"), "{form_page}");
    let form = Form::new()
        .text("kind", "violation")
        .text("agency", "health")
        .text("body", "Photo attached.")
        .part("attachment", file("", Vec::new()))
        .part("attachment", file("photo.jpg", vec![3u8; 5000]));
    let resp = app.client.post(app.url("/en/report")).multipart(form).send().await.expect("page post");
    assert_eq!(resp.status(), 201);
    let page = resp.text().await.expect("page");
    assert!(find_grouped_code(&page).is_some(), "{page}");
    assert_eq!(app.count_rows("attachments").await, 1, "the empty file input is not a file");
}

/// Follow-ups with files sent to one case at the same time each check the case's files
/// when their upload begins, and each sees room; the commits that claim the files check
/// again, so the case ends with the per-case maximum and the others get the 413 (issue 14).
#[tokio::test]
async fn concurrent_follow_up_uploads_stop_at_the_file_limit() {
    let test = "concurrent_follow_up_uploads_stop_at_the_file_limit";
    let env = [("AMANA_MAX_FILES_PER_CASE", "3"), ("AMANA_KDF_WORKERS", "8")];
    concurrent_follow_ups(TestApp::start(Deployment::standard(KeyGen::InProcess), &env)).await;
    if let Some(admin) = crate::helpers::postgres_url(test) {
        let db = crate::helpers::PgDatabase::create(&admin, "amana_api").await;
        let dep = Deployment::standard(KeyGen::Cli);
        dep.init_secrets();
        let mut env = env.to_vec();
        env.push(("AMANA_DATABASE_URL", db.url.as_str()));
        concurrent_follow_ups(TestApp::start(dep, &env)).await;
    }
}

async fn concurrent_follow_ups(app: TestApp) {
    let code = app.submit_simple("health", false).await;
    let sends = (0..6).map(|i| {
        let form = Form::new()
            .text("code", code.clone())
            .text("body", format!("follow-up {i}"))
            .part("attachment", file(&format!("f{i}.bin"), vec![i as u8; 200_000]));
        post_multipart(&app, "/api/v1/followups", form)
    });
    let answers = futures_util::future::join_all(sends).await;
    let statuses: Vec<u16> = answers.iter().map(|(s, _)| *s).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 3, "{answers:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 413).count(), 3, "{answers:?}");
    let case = app.cases_as(app.dep.reviewer(HEALTH)).await.remove(0);
    assert_eq!(case.attachments.len(), 3, "three files, each with its own follow-up");
}
