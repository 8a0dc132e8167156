//! Invariant 6: reviewer actions are signed requests. Only keys in `keys/`, only over the
//! exact request, only within the freshness window, each nonce once (even across a
//! restart), only within the key's scope, and only along the case lifecycle.

use amana_core::signing::{self, Signature};
use serde_json::Value;

use crate::helpers::{now, status_body, Deployment, KeyGen, Signer, TestApp, HEALTH, OVERSIGHT, TRANSPORT};

const CASES: &str = "/api/v1/review/cases";
const PULL: &str = amana_core::wire::paths::CASES_PULL;
const HOUR: i64 = 3600;

fn status_path(case: &str) -> String {
    format!("{CASES}/{case}/status")
}

/// A server with in-process keys (these tests do not need the CLI), one ordinary health
/// case and one oversight-only health case. Returns (app, ordinary id and code, oversight-only id and code).
async fn setup() -> (TestApp, (String, String), (String, String)) {
    let app = TestApp::start(Deployment::standard(KeyGen::InProcess), &[]);
    let code_a = app.submit_simple("health", false).await;
    let code_b = app.submit_simple("health", true).await;
    let cases = app.cases_as(app.dep.reviewer(OVERSIGHT)).await;
    assert_eq!(cases.len(), 2);
    let a = cases.iter().find(|c| !c.oversight_only).expect("ordinary");
    let b = cases.iter().find(|c| c.oversight_only).expect("oversight-only");
    let ids = (a.id.clone(), b.id.clone());
    (app, (ids.0, code_a), (ids.1, code_b))
}

async fn post_status(app: &TestApp, signer: &Signer, case: &str, body: Vec<u8>) -> (u16, String) {
    let path = status_path(case);
    let sig = signer.sign("POST", &path, &body);
    send(app, "POST", &path, &body, &sig).await
}

#[track_caller]
fn assert_unauthorized(status: u16, body: &str, what: &str) {
    assert_eq!(status, 401, "{what}: {body}");
    let err: Value = serde_json::from_str(body).expect("JSON error");
    assert_eq!(err["error"], "unauthorized", "{what}");
}

/// A replay is refused with its own code, so clients give the right advice.
#[track_caller]
fn assert_replayed(status: u16, body: &str, what: &str) {
    assert_eq!(status, 401, "{what}: {body}");
    let err: Value = serde_json::from_str(body).expect("JSON error");
    assert_eq!(err["error"], "replayed", "{what}");
}

async fn send(app: &TestApp, method: &str, path: &str, body: &[u8], sig: &Signature) -> (u16, String) {
    let resp = app.send_signed(method, path, body.to_vec(), sig).await;
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

#[tokio::test]
async fn unsigned_unknown_and_forged_requests_are_refused() {
    let (app, (case, code), _) = setup().await;
    let path = status_path(&case);
    let ack = status_body("acknowledged", &app.head(&case).await);

    // Unsigned.
    let r = app.get(CASES).await;
    let s = r.status().as_u16();
    assert_unauthorized(s, &r.text().await.expect("body"), "unsigned GET");
    let r = app
        .client
        .post(app.url(&path))
        .header("content-type", "application/json")
        .body(ack.clone())
        .send()
        .await
        .expect("post");
    let s = r.status().as_u16();
    assert_unauthorized(s, &r.text().await.expect("body"), "unsigned POST");

    // A well-formed key that is not in keys/.
    let outsider = app.dep.make_home("outsider", &["health"], true, KeyGen::InProcess);
    let stranger = Signer::new(&outsider);
    let (s, b) = send(&app, "GET", PULL, b"", &stranger.sign("GET", PULL, b"")).await;
    assert_unauthorized(s, &b, "key not in keys/");
    assert!(b.contains("unknown"), "{b}");
    let (s, b) = send(&app, "POST", &path, &ack, &stranger.sign("POST", &path, &ack)).await;
    assert_unauthorized(s, &b, "POST by a key not in keys/");

    // That key claiming a listed key id.
    let impostor = Signer { key_id: HEALTH.into(), ..Signer::new(&outsider) };
    let (s, b) = send(&app, "GET", PULL, b"", &impostor.sign("GET", PULL, b"")).await;
    assert_unauthorized(s, &b, "another key under a listed id");
    let (s, b) = send(&app, "POST", &path, &ack, &impostor.sign("POST", &path, &ack)).await;
    assert_unauthorized(s, &b, "POST with another key under a listed id");

    let health = Signer::new(app.dep.reviewer(HEALTH));
    // The signed body differs from the sent body, by one space.
    let sig = health.sign("POST", &path, &ack);
    let (s, b) = send(&app, "POST", &path, br#"{"status": "acknowledged"}"#, &sig).await;
    assert_unauthorized(s, &b, "body differs from the signed body");
    // Signed for another case, sent to this one.
    let other = status_path("00000000000000000000");
    let sig = health.sign("POST", &other, &ack);
    let (s, b) = send(&app, "POST", &path, &ack, &sig).await;
    assert_unauthorized(s, &b, "path differs from the signed path");
    // The query string is signed too: dropped, or added after signing.
    let with_query = format!("{CASES}?all=1");
    let sig = health.sign("GET", &with_query, b"");
    let (s, b) = send(&app, "GET", PULL, b"", &sig).await;
    assert_unauthorized(s, &b, "signed query dropped");
    let sig = health.sign("GET", PULL, b"");
    let (s, b) = send(&app, "GET", &with_query, b"", &sig).await;
    assert_unauthorized(s, &b, "query added after signing");
    // Signed as a GET, sent as a POST.
    let sig = health.sign("GET", &path, &ack);
    let (s, b) = send(&app, "POST", &path, &ack, &sig).await;
    assert_unauthorized(s, &b, "method differs from the signed method");
    // Signed for another deployment.
    let elsewhere =
        Signer { deployment_id: "another-deployment".into(), ..Signer::new(app.dep.reviewer(HEALTH)) };
    let (s, b) = send(&app, "POST", &path, &ack, &elsewhere.sign("POST", &path, &ack)).await;
    assert_unauthorized(s, &b, "signed for another deployment");
    // Timestamp header changed after signing.
    let mut sig = health.sign("POST", &path, &ack);
    sig.timestamp -= 1;
    let (s, b) = send(&app, "POST", &path, &ack, &sig).await;
    assert_unauthorized(s, &b, "timestamp changed after signing");
    // Garbage signature, malformed nonce, missing header.
    let mut sig = health.sign("POST", &path, &ack);
    sig.signature = "not base64!".into();
    let (s, b) = send(&app, "POST", &path, &ack, &sig).await;
    assert_unauthorized(s, &b, "signature not base64");
    let upper = signing::new_nonce().to_uppercase();
    let sig = health.sign_at("POST", &path, &ack, now(), &upper);
    let (s, b) = send(&app, "POST", &path, &ack, &sig).await;
    assert_unauthorized(s, &b, "malformed nonce");
    let sig = health.sign("POST", &path, &ack);
    let r = app
        .client
        .post(app.url(&path))
        .header(signing::HEADER_KEY, &sig.key_id)
        .header(signing::HEADER_TIMESTAMP, sig.timestamp.to_string())
        .header(signing::HEADER_NONCE, &sig.nonce)
        .header("content-type", "application/json")
        .body(ack.clone())
        .send()
        .await
        .expect("post");
    let s = r.status().as_u16();
    assert_unauthorized(s, &r.text().await.expect("body"), "signature header missing");

    // None of that changed anything.
    assert_eq!(app.status_of(&code).await, "received");
    // The genuine request goes through.
    let (s, b) = send(&app, "POST", &path, &ack, &health.sign("POST", &path, &ack)).await;
    assert_eq!(s, 204, "{b}");
    assert_eq!(app.status_of(&code).await, "acknowledged");
}

#[tokio::test]
async fn only_fresh_signatures_are_accepted() {
    let (app, (case, code), _) = setup().await;
    let health = Signer::new(app.dep.reviewer(HEALTH));
    let path = status_path(&case);
    let ack = status_body("acknowledged", &app.head(&case).await);

    for (what, ts) in [
        ("73 h old", now() - 73 * HOUR),
        ("73 h in the future", now() + 73 * HOUR),
        ("a year old", now() - 365 * 24 * HOUR),
        ("epoch", 0),
    ] {
        let nonce = signing::new_nonce();
        let sig = health.sign_at("GET", PULL, b"", ts, &nonce);
        let (s, b) = send(&app, "GET", PULL, b"", &sig).await;
        assert_unauthorized(s, &b, what);
        assert!(b.contains("freshness window"), "{what}: {b}");
        let sig = health.sign_at("POST", &path, &ack, ts, &signing::new_nonce());
        let (s, b) = send(&app, "POST", &path, &ack, &sig).await;
        assert_unauthorized(s, &b, what);
    }
    assert_eq!(app.status_of(&code).await, "received");

    // Inside the 72 h default window (air-gapped clocks drift; files travel slowly).
    let sig = health.sign_at("GET", PULL, b"", now() - 71 * HOUR, &signing::new_nonce());
    let (s, b) = send(&app, "GET", PULL, b"", &sig).await;
    assert_eq!(s, 200, "71 h old: {b}");
    let sig = health.sign_at("GET", PULL, b"", now() + 71 * HOUR, &signing::new_nonce());
    let (s, b) = send(&app, "GET", PULL, b"", &sig).await;
    assert_eq!(s, 200, "71 h ahead: {b}");
    // An action becomes an event dated the server's day, which amana-review accepts only from
    // the UTC date of the signature to 72 h after it: one signed on a later date than the
    // server's is refused (nothing recorded, the nonce not spent), one 71 h old is taken.
    let ahead = health.sign_at("POST", &path, &ack, now() + 71 * HOUR, &signing::new_nonce());
    let (s, b) = send(&app, "POST", &path, &ack, &ahead).await;
    assert_unauthorized(s, &b, "an action signed on a later date");
    assert!(b.contains("Check the laptop's clock and sign it again"), "{b}");
    assert_eq!(app.status_of(&code).await, "received");
    let sig = health.sign_at("POST", &path, &ack, now() - 71 * HOUR, &signing::new_nonce());
    let (s, b) = send(&app, "POST", &path, &ack, &sig).await;
    assert_eq!(s, 204, "71 h old: {b}");
    assert_eq!(app.status_of(&code).await, "acknowledged");
}

#[tokio::test]
async fn each_nonce_is_accepted_once_even_after_a_restart() {
    let (mut app, (case, code), _) = setup().await;
    let health = Signer::new(app.dep.reviewer(HEALTH));
    let list = health.sign("GET", PULL, b"");
    let path = status_path(&case);
    let head = app.head(&case).await;
    let ack = status_body("acknowledged", &head);
    let change = health.sign("POST", &path, &ack);

    let (s, b) = send(&app, "GET", PULL, b"", &list).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = send(&app, "GET", PULL, b"", &list).await;
    assert_replayed(s, &b, "replayed GET");
    assert!(b.contains("already used"), "{b}");

    let (s, b) = send(&app, "POST", &path, &ack, &change).await;
    assert_eq!(s, 204, "{b}");
    let (s, b) = send(&app, "POST", &path, &ack, &change).await;
    assert_replayed(s, &b, "replayed POST");

    // The same nonce under a different, freshly signed request is a replay too.
    let in_review = status_body("in_review", &head);
    let sig = health.sign_at("POST", &path, &in_review, now(), &change.nonce);
    let (s, b) = send(&app, "POST", &path, &in_review, &sig).await;
    assert_replayed(s, &b, "nonce reused for another request");
    assert_eq!(app.status_of(&code).await, "acknowledged");

    app.restart();
    let (s, b) = send(&app, "GET", PULL, b"", &list).await;
    assert_replayed(s, &b, "GET replayed after a restart");
    let (s, b) = send(&app, "POST", &path, &ack, &change).await;
    assert_replayed(s, &b, "POST replayed after a restart");
    // Fresh requests still work after the restart.
    let (s, b) = send(&app, "GET", PULL, b"", &health.sign("GET", PULL, b"")).await;
    assert_eq!(s, 200, "{b}");
}

#[tokio::test]
async fn reviewers_act_only_within_their_scope() {
    let (app, (ordinary, code_a), (only_oversight, code_b)) = setup().await;
    let ack = status_body("acknowledged", &app.head(&ordinary).await);
    let ack_b = status_body("acknowledged", &app.head(&only_oversight).await);
    let transport = Signer::new(app.dep.reviewer(TRANSPORT));
    let health = Signer::new(app.dep.reviewer(HEALTH));
    let oversight = Signer::new(app.dep.reviewer(OVERSIGHT));

    // Reading: scope filters the list.
    assert!(app.cases_as(app.dep.reviewer(TRANSPORT)).await.is_empty());
    let seen: Vec<String> = app.cases_as(app.dep.reviewer(HEALTH)).await.into_iter().map(|c| c.id).collect();
    assert_eq!(seen, vec![ordinary.clone()]);

    // Acting: another agency's case, and an oversight-only case, are refused with the very
    // answer a case that does not exist gets, so a key cannot tell which ids exist.
    let missing = status_path("ffffffffffffffffffff");
    let (s, nothing) = send(&app, "POST", &missing, &ack, &transport.sign("POST", &missing, &ack)).await;
    assert_eq!(s, 404, "a case that does not exist: {nothing}");
    let path = status_path(&ordinary);
    let (s, b) = send(&app, "POST", &path, &ack, &transport.sign("POST", &path, &ack)).await;
    assert_eq!((s, &b), (404, &nothing), "transport reviewer on a health case");
    let path_b = status_path(&only_oversight);
    let (s, b) = send(&app, "POST", &path_b, &ack_b, &health.sign("POST", &path_b, &ack_b)).await;
    assert_eq!((s, &b), (404, &nothing), "agency reviewer on an oversight-only case");
    for (route, body) in [
        (format!("{CASES}/{only_oversight}/replies"), r#"{"age_b64":"x","head":"HEAD"}"#),
        (format!("{CASES}/{only_oversight}/extend"), r#"{"days":1,"reason_age_b64":"x","head":"HEAD"}"#),
    ] {
        let body = body.replace("HEAD", &app.head(&only_oversight).await).into_bytes();
        let (s, b) = send(&app, "POST", &route, &body, &health.sign("POST", &route, &body)).await;
        let gone = route.replace(&only_oversight, "ffffffffffffffffffff");
        let (s2, b2) = send(&app, "POST", &gone, &body, &health.sign("POST", &gone, &body)).await;
        assert_eq!((s, b), (s2, b2), "{route}");
    }
    assert_eq!(app.status_of(&code_a).await, "received");
    assert_eq!(app.status_of(&code_b).await, "received");

    // Oversight may act on both.
    let (s, b) = send(&app, "POST", &path_b, &ack_b, &oversight.sign("POST", &path_b, &ack_b)).await;
    assert_eq!(s, 204, "{b}");
    let (s, b) = send(&app, "POST", &path, &ack, &oversight.sign("POST", &path, &ack)).await;
    assert_eq!(s, 204, "{b}");
    assert_eq!(app.status_of(&code_a).await, "acknowledged");
    assert_eq!(app.status_of(&code_b).await, "acknowledged");
    let events = &app
        .cases_as(app.dep.reviewer(OVERSIGHT))
        .await
        .into_iter()
        .find(|c| c.id == only_oversight)
        .expect("case")
        .events;
    assert_eq!(events.last().and_then(|e| e.actor.as_deref()), Some(OVERSIGHT));
}

#[tokio::test]
async fn status_changes_follow_the_lifecycle() {
    let (app, (case, code), _) = setup().await;
    let health = Signer::new(app.dep.reviewer(HEALTH));
    // The submission's hash: it stays in the chain, so every step may name it.
    let head = app.head(&case).await;
    let post = |status: &'static str| {
        let body = if status.starts_with('{') || status == "not json" {
            status.replace("HEAD", &head).into_bytes()
        } else {
            status_body(status, &head)
        };
        post_status(&app, &health, &case, body)
    };

    let (s, b) = post("closed_unfounded").await;
    assert_eq!(s, 409, "received -> closed_unfounded: {b}");
    assert!(b.contains("allowed next: acknowledged"), "{b}");
    let (s, b) = post("in_review").await;
    assert_eq!(s, 409, "received -> in_review: {b}");
    let (s, b) = post(r#"{"status":"done","head":"HEAD"}"#).await;
    assert_eq!(s, 400, "unknown status: {b}");
    let (s, b) = post("not json").await;
    assert_eq!(s, 400, "not JSON: {b}");
    assert_eq!(app.status_of(&code).await, "received");

    for next in ["acknowledged", "in_review", "needs_info", "in_review", "closed_unfounded"] {
        let (s, b) = post(next).await;
        assert_eq!(s, 204, "-> {next}: {b}");
        assert_eq!(app.status_of(&code).await, next);
    }
    let (s, b) = post("in_review").await;
    assert_eq!(s, 409, "closed -> in_review: {b}");
    assert_eq!(app.status_of(&code).await, "closed_unfounded");

    // A case that does not exist, properly signed.
    let missing = status_path("ffffffffffffffffffff");
    let body = status_body("acknowledged", &head);
    let (s, b) = send(&app, "POST", &missing, &body, &health.sign("POST", &missing, &body)).await;
    assert_eq!(s, 404, "{b}");

    let history: Vec<String> = app
        .cases_as(app.dep.reviewer(HEALTH))
        .await
        .into_iter()
        .find(|c| c.id == case)
        .expect("case")
        .events
        .iter()
        .map(|e| e.status.as_str().to_string())
        .collect();
    assert_eq!(
        history,
        ["received", "acknowledged", "in_review", "needs_info", "in_review", "closed_unfounded"]
    );
}

/// Sends a request signed over the exact `path` it is sent to (whatever its spelling).
async fn spelt(app: &TestApp, signer: &Signer, method: &str, path: &str, body: &[u8]) -> (u16, String) {
    send(app, method, path, body, &signer.sign(method, path, body)).await
}

#[tokio::test]
async fn only_the_canonical_spelling_of_a_route_is_accepted() {
    let (app, (case, code), _) = setup().await;
    let health = Signer::new(app.dep.reviewer(HEALTH));
    let ack = status_body("acknowledged", &app.head(&case).await);
    // Every other spelling of the case's status route: each would reach the same handler,
    // and each, signed as sent, verified before. A home refuses such an event (its signed
    // path is not the route), so one of them blocked every pull of the case.
    let encoded = |c: &str| c.chars().map(|ch| format!("%{:02x}", ch as u32)).collect::<String>();
    let first = case.chars().next().map(|c| format!("%{:02X}", c as u32)).unwrap_or_default();
    let spellings = [
        format!("{CASES}/{first}{}/status", &case[1..]),
        format!("{CASES}/{}/status", encoded(&case)),
        format!("{}?x=1", status_path(&case)),
        format!("{}?", status_path(&case)),
    ];
    let nonces_before = app.count_rows("nonces").await;
    for path in &spellings {
        let (s, b) = spelt(&app, &health, "POST", path, &ack).await;
        assert_eq!(s, 400, "{path}: {b}");
        assert!(b.contains("canonical"), "{path}: {b}");
    }
    // Refused before the signature was checked: no nonce spent, nothing recorded.
    assert_eq!(app.count_rows("nonces").await, nonces_before);
    assert_eq!(app.status_of(&code).await, "received");

    // Routes that take a query take it in one form: sorted, unreserved characters only.
    for path in [
        format!("{CASES}?format=%32"),
        format!("{CASES}?%66ormat=2"),
        format!("{CASES}?format=2&"),
        format!("{CASES}?format=2&format=2"),
        format!("{CASES}?format=2&extra="),
        format!("{CASES}?z=1&format=2"),
        "/api/v1/review/inbox?x=1".to_string(),
    ] {
        let (s, b) = spelt(&app, &health, "GET", &path, b"").await;
        assert_eq!(s, 400, "{path}: {b}");
    }

    // The canonical spelling works, and a home verifies the result.
    let (s, b) = spelt(&app, &health, "POST", &status_path(&case), &ack).await;
    assert_eq!(s, 204, "{b}");
    assert_eq!(app.status_of(&code).await, "acknowledged");
    let (s, b) = spelt(&app, &health, "GET", PULL, b"").await;
    assert_eq!(s, 200, "{b}");
}

/// What an older server recorded for a status change sent to `path` in another spelling:
/// the signed request as sent, chained after the case's last event, the case row updated.
async fn record_as_an_older_server(app: &TestApp, signer: &Signer, case: &str, path: &str) {
    use amana_core::events::{self, Event, EventKind, SignedAction};
    let pool = crate::helpers::open_db(&app.dep.db_path()).await;
    let (seq, prev_hash): (i64, String) =
        sqlx::query_as("SELECT seq, hash FROM events WHERE case_id = ? ORDER BY seq DESC LIMIT 1")
            .bind(case)
            .fetch_one(&pool)
            .await
            .expect("last event");
    let body = status_body("acknowledged", &prev_hash);
    let sig = signer.sign("POST", path, &body);
    let action = SignedAction {
        key_id: sig.key_id,
        timestamp: sig.timestamp,
        nonce: sig.nonce,
        signature: sig.signature,
        method: "POST".into(),
        path: path.into(),
        body: String::from_utf8(body).expect("utf-8"),
    };
    let today = time::OffsetDateTime::now_utc().date();
    let mut e = Event {
        seq: seq + 1,
        on: today,
        kind: EventKind::StatusChanged,
        status: amana_core::case::Status::Acknowledged,
        actor: Some(HEALTH.into()),
        detail: serde_json::json!({ "from": "received", "envelope_id": null }).to_string(),
        signed: Some(serde_json::to_string(&action).expect("json")),
        prev_hash,
        hash: String::new(),
    };
    e.hash = events::compute_hash(case, &e);
    sqlx::query("INSERT INTO events (case_id, seq, on_date, kind, status, actor, detail, signed, prev_hash, hash) VALUES (?, ?, ?, 'status_changed', 'acknowledged', ?, ?, ?, ?, ?)")
        .bind(case)
        .bind(e.seq)
        .bind(today.to_string())
        .bind(HEALTH)
        .bind(&e.detail)
        .bind(&e.signed)
        .bind(&e.prev_hash)
        .bind(&e.hash)
        .execute(&pool)
        .await
        .expect("insert the event");
    sqlx::query("UPDATE cases SET status = 'acknowledged', acknowledged_on = ? WHERE id = ?")
        .bind(today.to_string())
        .bind(case)
        .execute(&pool)
        .await
        .expect("update the case");
    pool.close().await;
}

/// Events an older server accepted in another spelling (a percent-encoded id, a query) are
/// read the way that server routed them: a home that held the case before, and a fresh one,
/// both verify them, and the case works on.
#[tokio::test]
async fn actions_an_older_server_stored_in_another_spelling_still_verify() {
    let app = TestApp::start(Deployment::standard(KeyGen::Cli), &[]);
    let addr = app.address.clone();
    app.submit_simple("health", false).await;
    let health = app.dep.reviewer(HEALTH);
    health.cli(&addr, &["pull"]).ok("pull");
    let case = health.listed_ids(&addr).remove(0);
    let first = case.chars().next().map(|c| format!("%{:02X}", c as u32)).unwrap_or_default();
    let encoded = format!("{CASES}/{first}{}/status?via=old-server", &case[1..]);
    record_as_an_older_server(&app, &Signer::new(health), &case, &encoded).await;

    health.cli(&addr, &["pull"]).ok("pull of the older server's event");
    let fresh = health.fresh_copy(&app.dep.root().join("homes/fresh-health"));
    fresh.cli(&addr, &["pull"]).ok("a fresh home pulls it too");
    let listed = fresh.cli(&addr, &["list"]).ok("list").stdout;
    assert!(listed.contains("acknowledged") && !listed.contains("UNVERIFIED"), "{listed}");
    health.cli(&addr, &["status", &case, "in_review"]).ok("the case works on");
    health.cli(&addr, &["pull"]).ok("pull");
}
