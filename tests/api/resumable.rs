//! Resumable evidence uploads through the JSON API (issue 17): a broken append resumes from
//! the stored offset, a report or a follow-up claims complete uploads, and the real
//! `amana-review` checks each segment before decrypting and exports the exact file;
//! refusals store nothing; a follow-up's start answers a wrong code as follow-ups do; a
//! database writer who reorders or swaps segments gets the file refused, never a wrong one.

use std::{
    fs,
    io::Write,
    net::TcpStream,
    time::{Duration, Instant},
};

use amana_core::attachment::sha256_hex;
use serde_json::{json, Value};

use crate::helpers::{
    append_upload, contains_bytes, evidence, files_under, open_db, postgres_url, Deployment, KeyGen,
    PgDatabase, TestApp, HEALTH,
};

const MIB: usize = 1024 * 1024;
const MARKER: &str = "MARKER-resumable-51d0e2";

async fn json_of(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// `POST /api/v1/uploads` for `data`; the capability.
async fn begin(app: &TestApp, name: &str, data: &[u8]) -> String {
    let body = json!({"kind": "violation", "agency": "health", "name": name,
        "content_type": "application/pdf", "size": data.len(), "sha256": sha256_hex(data)});
    let (status, answer) = json_of(app.post_json("/api/v1/uploads", &body).await).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["offset"], 0);
    answer["upload"].as_str().expect("capability").to_string()
}

async fn offset_of(app: &TestApp, cap: &str) -> (u16, Value) {
    json_of(app.client.get(app.url(&format!("/api/v1/uploads/{cap}"))).send().await.expect("status")).await
}

/// Sends the whole of `data` as one upload in `parts` appends.
async fn upload_in(app: &TestApp, name: &str, data: &[u8], parts: usize) -> String {
    let cap = begin(app, name, data).await;
    let step = data.len().div_ceil(parts);
    for at in (0..data.len()).step_by(step) {
        let resp = append_upload(app, &cap, at, &data[at..(at + step).min(data.len())]).await;
        assert_eq!(resp.status(), 204, "append at {at}");
    }
    cap
}

/// `POST /api/v1/uploads` for a follow-up of the case of `code`: the answer.
async fn begin_for(app: &TestApp, code: &str, name: &str, data: &[u8]) -> (u16, Value) {
    let body = json!({"code": code, "name": name, "content_type": "image/jpeg", "size": data.len(),
        "sha256": sha256_hex(data)});
    json_of(app.post_json("/api/v1/uploads", &body).await).await
}

async fn follow_up_with(app: &TestApp, code: &str, uploads: &[&str]) -> (u16, Value) {
    let body = json!({"code": code, "body": "More files.", "uploads": uploads});
    json_of(app.post_json("/api/v1/followups", &body).await).await
}

/// Waits until a cut append has committed what it carried; that offset.
async fn committed_offset(app: &TestApp, cap: &str) -> usize {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, state) = offset_of(app, cap).await;
        assert_eq!(status, 200, "{state}");
        let n = state["offset"].as_u64().expect("offset") as usize;
        if n > 0 {
            return n;
        }
        assert!(Instant::now() < deadline, "nothing committed after the cut");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An append over a raw socket that sends `sent` of `data`'s bytes and is then cut.
fn cut_append(app: &TestApp, cap: &str, data: &[u8], sent: usize) {
    let addr = app.address.trim_start_matches("http://");
    let mut sock = TcpStream::connect(addr).expect("connect");
    let head = format!(
        "PATCH /api/v1/uploads/{cap} HTTP/1.1\r\nHost: {addr}\r\nUpload-Offset: 0\r\n\
         Content-Type: application/offset+octet-stream\r\nContent-Length: {}\r\n\r\n",
        data.len()
    );
    sock.write_all(head.as_bytes()).expect("head");
    sock.write_all(&data[..sent]).expect("half the file");
    sock.flush().expect("flush");
    std::thread::sleep(Duration::from_millis(300));
    drop(sock);
}

async fn report_with(app: &TestApp, uploads: &[&str]) -> (u16, Value) {
    let body = json!({"kind": "violation", "agency": "health", "body": "The files are attached.",
        "uploads": uploads});
    json_of(app.post_json("/api/v1/reports", &body).await).await
}

#[tokio::test]
async fn a_broken_upload_resumes_and_the_cli_exports_the_exact_file() {
    let app = TestApp::start(Deployment::standard(KeyGen::InProcess), &[]);
    let data = evidence(3 * MIB + 12_345, MARKER);
    let cap = begin(&app, "memo.pdf", &data).await;

    // Cut mid-body: the segment is finished with what arrived, and that is the offset.
    let sent = 3 * MIB / 2;
    cut_append(&app, &cap, &data, sent);
    let offset = committed_offset(&app, &cap).await;
    assert!(offset <= sent, "{offset} > {sent}");
    let head = app.client.head(app.url(&format!("/api/v1/uploads/{cap}"))).send().await.expect("head");
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["upload-offset"].to_str().expect("ascii"), offset.to_string());

    // A wrong offset is refused with the stored one.
    // (A short body: the server answers before reading it, and closes the connection.)
    let (status, body) = json_of(append_upload(&app, &cap, 0, &data[..100]).await).await;
    assert_eq!((status, body["offset"].as_u64()), (409, Some(offset as u64)), "{body}");

    // The rest, in two appends; the report claims the complete upload.
    let middle = offset + (data.len() - offset) / 2;
    assert_eq!(append_upload(&app, &cap, offset, &data[offset..middle]).await.status(), 204);
    let last = append_upload(&app, &cap, middle, &data[middle..]).await;
    assert_eq!(last.status(), 204);
    assert_eq!(last.headers()["upload-offset"].to_str().expect("ascii"), data.len().to_string());
    let (_, state) = offset_of(&app, &cap).await;
    assert_eq!(state["complete"], true, "{state}");
    let (status, filed) = report_with(&app, &[&cap]).await;
    assert_eq!(status, 201, "{filed}");
    assert!(filed["code"].as_str().is_some_and(|c| c.len() == 29), "{filed}");
    assert_eq!(offset_of(&app, &cap).await.0, 404, "a claimed upload is gone");

    // The event records the segments: three, the last one padded.
    let reviewer = app.dep.reviewer(HEALTH);
    let case = app.cases_as(reviewer).await.into_iter().next().expect("the case");
    let detail: Value = serde_json::from_str(&case.events[0].detail).expect("detail");
    assert_eq!(detail["files"][0]["segments"].as_array().map(Vec::len), Some(3), "{detail}");

    // An amana-review from before segments hears "upgrade".
    let (status, body) =
        json_of(app.signed(reviewer, "GET", "/api/v1/review/cases?format=3", b"").await).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("upgrade_required")), "{body}");

    // The real CLI: pull (each segment checked), export (the exact bytes).
    reviewer.cli(&app.address, &["pull"]).ok("pull");
    let out = app.dep.root().join("export");
    reviewer.cli(&app.address, &["export", &case.id, out.to_str().expect("utf-8")]).ok("export");
    assert!(fs::read(out.join("memo.pdf")).expect("exported") == data, "the export differs");

    for path in files_under(&app.dep.data_dir()).into_iter().chain(files_under(&app.dep.root().join("logs")))
    {
        let bytes = fs::read(&path).expect("read");
        assert!(!contains_bytes(&bytes, MARKER.as_bytes()), "marker found in {}", path.display());
        assert!(!contains_bytes(&bytes, cap.as_bytes()), "capability found in {}", path.display());
    }
}

#[tokio::test]
async fn refusals_store_nothing_and_uploads_expire() {
    let mut app = TestApp::start(Deployment::standard(KeyGen::InProcess), &[("AMANA_MAX_FILE_MB", "1")]);
    let data = evidence(4000, MARKER);
    let cap = begin(&app, "a.txt", &data).await;
    assert_eq!(append_upload(&app, &cap, 0, &data[..1000]).await.status(), 204);

    // An incomplete upload refuses the report; the upload stays resumable.
    let (status, body) = report_with(&app, &[&cap]).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| m.contains("incomplete")), "{body}");
    assert_eq!(app.count_rows("cases").await, 0);
    assert_eq!(offset_of(&app, &cap).await.1["offset"], 1000);

    // Unknown and malformed capabilities.
    let unknown = "A".repeat(43);
    let (status, body) = offset_of(&app, &unknown).await;
    assert_eq!(status, 404);
    assert!(body["message"].as_str().is_some_and(|m| m.contains("Start the upload again")), "{body}");
    assert_eq!(report_with(&app, &[&unknown]).await.0, 409);
    assert_eq!(report_with(&app, &["not a capability"]).await.0, 400);
    assert_eq!(app.count_rows("cases").await, 0);

    // More bytes than the declared size: 413, nothing of that request kept.
    let pieces = app.count_rows("attachment_pieces").await;
    let (status, body) = json_of(append_upload(&app, &cap, 1000, &[7u8; 3001]).await).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(app.count_rows("attachment_pieces").await, pieces);
    assert_eq!(offset_of(&app, &cap).await.1["offset"], 1000);

    // Over the file limit at once.
    let big = json!({"kind": "violation", "agency": "health", "name": "b", "size": 2 * MIB,
        "sha256": "0".repeat(64)});
    assert_eq!(app.post_json("/api/v1/uploads", &big).await.status(), 413);

    // A restart keeps an upload begun today; one begun before yesterday expires and goes.
    let old = begin(&app, "old.txt", &data).await;
    assert_eq!(append_upload(&app, &old, 0, &data[..10]).await.status(), 204);
    let db = open_db(&app.dep.db_path()).await;
    let key = sha256_hex(&base64_url(&old));
    sqlx::query("UPDATE resumable_uploads SET begun_on = '2000-01-01' WHERE key = ?")
        .bind(&key)
        .execute(&db)
        .await
        .expect("age the upload");
    db.close().await;
    assert_eq!(offset_of(&app, &old).await.0, 404, "expired");
    app.restart();
    assert_eq!(app.count_rows("resumable_uploads").await, 1, "only the expired upload went");
    assert_eq!(app.count_rows("attachments").await, 1);
    assert_eq!(
        append_upload(&app, &cap, 1000, &data[1000..]).await.status(),
        204,
        "resumed after the restart"
    );
    let (status, body) = report_with(&app, &[&cap]).await;
    assert_eq!(status, 201, "{body}");
}

/// A follow-up's upload, begun with the code, cut mid-body, resumed and claimed by the
/// follow-up: the real CLI pulls and exports the exact file. On SQLite and PostgreSQL.
#[tokio::test]
async fn a_follow_up_claims_a_resumed_upload_and_the_cli_exports_the_exact_file() {
    let test = "a_follow_up_claims_a_resumed_upload_and_the_cli_exports_the_exact_file";
    follow_up_round_trip(TestApp::start(Deployment::standard(KeyGen::InProcess), &[])).await;
    if let Some(admin) = postgres_url(test) {
        let db = PgDatabase::create(&admin, "amana_resume").await;
        let dep = Deployment::standard(KeyGen::InProcess);
        dep.init_secrets();
        follow_up_round_trip(TestApp::start(dep, &[("AMANA_DATABASE_URL", db.url.as_str())])).await;
    }
}

async fn follow_up_round_trip(app: TestApp) {
    let code = app.submit_simple("health", false).await;
    let data = evidence(2 * MIB + 4321, MARKER);
    let (status, begun) = begin_for(&app, &code, "ledger.jpg", &data).await;
    assert_eq!(status, 201, "{begun}");
    let cap = begun["upload"].as_str().expect("capability").to_string();

    cut_append(&app, &cap, &data, MIB);
    let offset = committed_offset(&app, &cap).await;
    assert!(offset <= MIB, "{offset} > {MIB}");
    assert_eq!(append_upload(&app, &cap, offset, &data[offset..]).await.status(), 204);
    let (status, body) = follow_up_with(&app, &code, &[&cap]).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(offset_of(&app, &cap).await.0, 404, "a claimed upload is gone");
    assert_eq!(follow_up_with(&app, &code, &[&cap]).await.0, 409, "claimed once");

    let reviewer = app.dep.reviewer(HEALTH);
    let case = app.cases_as(reviewer).await.into_iter().next().expect("the case");
    let event = case.events.last().expect("the follow-up's event");
    let detail: Value = serde_json::from_str(&event.detail).expect("detail");
    assert_eq!(detail["files"][0]["segments"].as_array().map(Vec::len), Some(2), "{detail}");
    assert_eq!(case.attachments.len(), 1);
    let envelope = case.envelopes.iter().find(|e| e.id == case.attachments[0].envelope_id);
    assert!(envelope.is_some_and(|e| e.part == amana_core::payload::Part::FollowUp));

    reviewer.cli(&app.address, &["pull"]).ok("pull");
    let out = app.dep.root().join("export");
    reviewer.cli(&app.address, &["export", &case.id, out.to_str().expect("utf-8")]).ok("export");
    assert!(fs::read(out.join("ledger.jpg")).expect("exported") == data, "the export differs");
}

/// A follow-up's start checks the code as `POST /api/v1/followups` does: the same answer
/// for a wrong code, a typo, a non-code and a closed case, and nothing stored.
#[tokio::test]
async fn a_follow_up_upload_answers_a_wrong_code_as_follow_ups_do() {
    let app = TestApp::start(Deployment::standard(KeyGen::InProcess), &[]);
    let health = app.dep.reviewer(HEALTH);
    let closed = app.submit_simple("health", false).await;
    health.cli(&app.address, &["pull"]).ok("pull");
    let closed_id = health.listed_ids(&app.address).pop().expect("the case");
    health.cli(&app.address, &["spam", &closed_id]).ok("close the case");
    let code = app.submit_simple("health", false).await;
    let data = evidence(3000, MARKER);
    let typo = {
        let mut c = code.clone().into_bytes();
        let last = c.len() - 1;
        c[last] = if c[last] == b'1' { b'2' } else { b'1' };
        String::from_utf8(c).expect("ascii")
    };

    for wrong in [typo.as_str(), "12345 67890", "not a code", "", closed.as_str()] {
        let expected = follow_up_with(&app, wrong, &[]).await;
        let answer = begin_for(&app, wrong, "x.bin", &data).await;
        assert!(matches!(expected.0, 404 | 409), "{wrong:?}: {expected:?}");
        assert_eq!(answer, expected, "the upload start answers {wrong:?} as a follow-up does");
    }
    assert_eq!(app.count_rows("resumable_uploads").await, 0);

    // Exactly one of the two shapes.
    let both = json!({"code": code, "kind": "violation", "agency": "health", "name": "x", "size": 3,
        "sha256": "0".repeat(64)});
    let neither = json!({"name": "x", "size": 3, "sha256": "0".repeat(64)});
    let with_flag = json!({"code": code, "oversight_only": false, "name": "x", "size": 3,
        "sha256": "0".repeat(64)});
    let null_kind = json!({"code": code, "kind": null, "name": "x", "size": 3, "sha256": "0".repeat(64)});
    for body in [both, neither, with_flag, null_kind] {
        let (status, answer) = json_of(app.post_json("/api/v1/uploads", &body).await).await;
        assert_eq!(status, 400, "{body}: {answer}");
    }
    assert_eq!(app.count_rows("resumable_uploads").await, 0);
}

/// A follow-up's start checks a code, so it spends the code checks' budget: alternating it
/// with follow-ups buys no extra guesses. A report's start does not.
#[tokio::test]
async fn a_follow_up_upload_start_spends_the_code_checks_budget() {
    let env = [("AMANA_PEER_COSTLY_EVERY_MS", "60000"), ("AMANA_PEER_COSTLY_BURST", "3")];
    let app = TestApp::start(Deployment::standard(KeyGen::InProcess), &env);
    let data = evidence(3000, MARKER);
    assert_eq!(begin_for(&app, "12345", "x.bin", &data).await.0, 404);
    assert_eq!(app.check_code("12345").await.status(), 404);
    assert_eq!(follow_up_with(&app, "12345", &[]).await.0, 404);
    assert_eq!(begin_for(&app, "12345", "x.bin", &data).await.0, 429);
    assert_eq!(follow_up_with(&app, "12345", &[]).await.0, 429);
    for _ in 0..4 {
        begin(&app, "report.bin", &data).await;
    }
}

/// A follow-up naming an upload begun for another agency's readers, or one upload twice, is
/// refused before anything is stored; the uploads stay resumable and claimable.
#[tokio::test]
async fn a_follow_up_refuses_uploads_for_other_readers_and_stores_nothing() {
    let app = TestApp::start(Deployment::standard(KeyGen::InProcess), &[]);
    let code = app.submit_simple("health", false).await;
    let data = evidence(5000, MARKER);
    let (_, begun) = begin_for(&app, &code, "own.bin", &data).await;
    let own = begun["upload"].as_str().expect("capability").to_string();
    assert_eq!(append_upload(&app, &own, 0, &data).await.status(), 204);
    let body = json!({"kind": "violation", "agency": "transport", "name": "other.bin",
        "size": data.len(), "sha256": sha256_hex(&data)});
    let (_, begun) = json_of(app.post_json("/api/v1/uploads", &body).await).await;
    let other = begun["upload"].as_str().expect("capability").to_string();
    assert_eq!(append_upload(&app, &other, 0, &data).await.status(), 204);

    let stored = || async { (app.count_rows("envelopes").await, app.count_rows("events").await) };
    let before = stored().await;
    let (status, body) = follow_up_with(&app, &code, &[&own, &other]).await;
    assert_eq!(status, 409, "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains("follow-up was not saved") && message.contains("other readers"), "{body}");
    let (status, body) = follow_up_with(&app, &code, &[&own, &own]).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(stored().await, before, "nothing stored");
    assert_eq!(app.count_rows("resumable_uploads").await, 2, "both uploads are still there");

    let (status, body) = follow_up_with(&app, &code, &[&own]).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(follow_up_with(&app, &code, &[&own]).await.0, 409, "claimed once");
}

fn base64_url(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).expect("base64url")
}

#[tokio::test]
async fn a_database_writer_who_reorders_or_swaps_segments_gets_the_file_refused() {
    let mut app = TestApp::start(Deployment::standard(KeyGen::InProcess), &[]);
    let (one, two) = (evidence(5000, MARKER), evidence(7000, MARKER));
    let first = upload_in(&app, "one.bin", &one, 2).await;
    let second = upload_in(&app, "two.bin", &two, 2).await;
    let (status, body) = report_with(&app, &[&first, &second]).await;
    assert_eq!(status, 201, "{body}");
    let case = app.cases_as(app.dep.reviewer(HEALTH)).await.into_iter().next().expect("the case");
    let (a, b) = (case.attachments[0].id.clone(), case.attachments[1].id.clone());

    // Each small segment is one piece: reorder the first file's, and put the second file's
    // first segment in place of its own (a genuine segment, to the same reviewers).
    app.stop();
    let db = open_db(&app.dep.db_path()).await;
    let piece = |id: &str, seq: i64| {
        let (db, id) = (db.clone(), id.to_string());
        async move {
            sqlx::query_scalar::<_, Vec<u8>>(
                "SELECT data FROM attachment_pieces WHERE attachment_id = ? AND seq = ?",
            )
            .bind(id)
            .bind(seq)
            .fetch_one(&db)
            .await
            .expect("piece")
        }
    };
    let (a0, a1) = (piece(&a, 0).await, piece(&a, 1).await);
    for (id, seq, data) in [(&a, 0, &a1), (&a, 1, &a0), (&b, 0, &a0)] {
        sqlx::query("UPDATE attachment_pieces SET data = ? WHERE attachment_id = ? AND seq = ?")
            .bind(data)
            .bind(id)
            .bind(seq)
            .execute(&db)
            .await
            .expect("tamper");
    }
    db.close().await;
    app.start_again();

    let reviewer = app.dep.reviewer(HEALTH);
    let pulled = reviewer.cli(&app.address, &["pull"]);
    let said = format!("{}{}", pulled.stdout, pulled.stderr);
    // The reordered file: its segments' digests; the other, longer now, is cut off by the
    // length the server announced. Neither is kept.
    assert!(said.contains("not the file the case's attested history records"), "{said}");
    assert!(said.contains("2 attachment(s) could not be fetched"), "{said}");
    let out = app.dep.root().join("export");
    let exported = reviewer.cli(&app.address, &["export", &case.id, out.to_str().expect("utf-8")]);
    let said = format!("{}{}", exported.stdout, exported.stderr);
    assert_eq!(said.matches("not in your home").count(), 2, "{said}");
    let left: Vec<_> = fs::read_dir(&out).map(|d| d.collect()).unwrap_or_default();
    assert!(left.is_empty(), "a refused file was written: {left:?}");
}

/// Two nodes on one PostgreSQL database: an upload begun on one goes on on the other, and of
/// two appends from the same offset at once, one per node, exactly one lands.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_resumes_on_another_node_and_concurrent_appends_do_not_both_land() {
    let test = "an_upload_resumes_on_another_node_and_concurrent_appends_do_not_both_land";
    let Some(admin) = postgres_url(test) else { return };
    let db = PgDatabase::create(&admin, "amana_resume").await;
    let dep_a = Deployment::standard(KeyGen::InProcess);
    dep_a.init_secrets();
    let dep_b = dep_a.another_node();
    let env = [("AMANA_DATABASE_URL", db.url.as_str())];
    let a = TestApp::start(dep_a, &env);
    let b = TestApp::start(dep_b, &env);
    let data = evidence(2 * MIB + 777, MARKER);
    let cap = begin(&a, "nodes.bin", &data).await;
    assert_eq!(append_upload(&a, &cap, 0, &data[..MIB]).await.status(), 204);
    assert_eq!(offset_of(&b, &cap).await.1["offset"], MIB);

    let (one, two) =
        tokio::join!(append_upload(&a, &cap, MIB, &data[MIB..]), append_upload(&b, &cap, MIB, &data[MIB..]));
    let mut statuses = [one.status().as_u16(), two.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [204, 409]);
    let (_, state) = offset_of(&a, &cap).await;
    assert_eq!(
        (state["offset"].as_u64(), state["complete"].as_bool()),
        (Some(data.len() as u64), Some(true))
    );

    let (status, body) = report_with(&b, &[&cap]).await;
    assert_eq!(status, 201, "{body}");
    let reviewer = a.dep.reviewer(HEALTH);
    reviewer.cli(&a.address, &["pull"]).ok("pull");
    let id = reviewer.listed_ids(&a.address).pop().expect("the case");
    let out = a.dep.root().join("export");
    reviewer.cli(&a.address, &["export", &id, out.to_str().expect("utf-8")]).ok("export");
    assert!(fs::read(out.join("nodes.bin")).expect("exported") == data, "the export differs");
}
