//! `pull` and `status` against a loopback stub: what the CLI sends and how it stores the
//! answer. The real server's integration tests cover the other side.

use amana_core::case::{Kind, Status};
use amana_core::keyring::ReviewerEntry;
use amana_core::payload::Part;
use amana_core::reviewer_keys::home::ReviewerConfig;
use amana_core::signing::{self, RequestParts};
use amana_core::wire::{AgencyList, StatusChange};
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use predicates::prelude::*;

use crate::support::{bundle, case_list, date, encrypt, payload, read, Kit, Recorded, Stub, TestHome, DEP};

fn agencies() -> (u16, String) {
    let list = AgencyList { deployment_id: DEP.into(), agencies: vec![], kinds: vec![Kind::Violation] };
    (200, serde_json::to_string(&list).expect("json"))
}

/// Checks that `req` carries a valid signature by `entry` over exactly what was sent.
fn assert_signed(req: &Recorded, entry: &ReviewerEntry, method: &str) {
    assert_eq!(req.method, method);
    assert_eq!(req.header(signing::HEADER_KEY), Some(entry.id.as_str()));
    let timestamp: i64 = req.header(signing::HEADER_TIMESTAMP).expect("timestamp").parse().expect("number");
    let nonce = req.header(signing::HEADER_NONCE).expect("nonce");
    let parts = RequestParts {
        deployment_id: DEP,
        key_id: &entry.id,
        method,
        path_and_query: &req.path,
        body: &req.body,
        timestamp,
        nonce,
    };
    let public_key = B64.decode(&entry.ed25519_public_key).expect("b64");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let sig = req.header(signing::HEADER_SIGNATURE).expect("signature");
    // Signed with the hour, not the second (docs/FORMATS.md §3): up to an hour old.
    assert_eq!(timestamp % signing::TIMESTAMP_GRANULARITY_SECS, 0);
    assert_eq!(
        signing::verify(&public_key, &parts, sig, now, signing::TIMESTAMP_GRANULARITY_SECS + 600),
        Ok(())
    );
}

#[test]
fn pull_stores_standard_age_files_and_show_reads_them() {
    let home = TestHome::new();
    let me = home.keygen("alice", "health");
    let age_file = encrypt(&payload(Part::Report, "تقرير سري", None, "2026-11-20"), &[&me.age_recipient]);
    let kit = home.kit("alice");
    let mut case = kit.case("case-1", age_file.clone(), &[("alice", &me.age_recipient)], &me.age_recipient);
    kit.status(&mut case, Status::Acknowledged);
    let list = case_list(&[kit.wire()], vec![case]);
    let stub = Stub::start(vec![agencies(), (200, list)]);

    home.cmd()
        .args(["pull", "--server", &stub.url])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("pulled 1 case (1 new); history verified\nroster: version "));

    let first = stub.next();
    assert_eq!((first.method.as_str(), first.path.as_str()), ("GET", "/api/v1/agencies"));
    assert_eq!(first.header(signing::HEADER_SIGNATURE), None, "the public list is not signed");
    let pull = stub.next();
    assert_eq!(pull.path, "/api/v1/review/cases?format=4&limit=500");
    assert_signed(&pull, &me, "GET");

    assert_eq!(read(&home.case_dir("case-1").join("rep.age")), age_file);
    let stored = home.case_json("case-1");
    assert!(stored.envelopes.iter().all(|e| e.age_b64.is_empty()));
    let config: ReviewerConfig =
        toml::from_str(&String::from_utf8_lossy(&read(&home.file("config.toml")))).expect("config");
    assert_eq!(config.deployment_id.as_deref(), Some(DEP), "learnt once, kept");
    let roster = String::from_utf8_lossy(&read(&home.file("roster.json"))).into_owned();
    assert!(roster.contains(&kit.wire().ed25519_public_key), "the verified roster is kept: {roster}");
    let heads = String::from_utf8_lossy(&read(&home.file("verified-heads.json"))).into_owned();
    assert!(heads.contains("case-1") && heads.contains(&stored.events[1].hash), "{heads}");

    home.cmd().args(["show", "case-1"]).assert().success().stdout(
        predicate::str::contains("تقرير سري")
            .and(predicate::str::contains("status_changed  acknowledged by alice")),
    );
}

#[test]
fn a_pull_whose_history_does_not_verify_writes_nothing() {
    let home = TestHome::new();
    let me = home.keygen("alice", "health");
    let kit = home.kit("alice");
    let mut case = kit.case("case-1", b"age".to_vec(), &[("alice", &me.age_recipient)], &me.age_recipient);
    kit.status(&mut case, Status::Acknowledged);
    // Signed by a key the server does not vouch for.
    let stranger = Kit::new("alice");
    let stub = Stub::start(vec![agencies(), (200, case_list(&[stranger.wire()], vec![case]))]);
    home.cmd().args(["pull", "--server", &stub.url]).assert().failure().stderr(
        predicate::str::contains(
            "QUARANTINED case case-1: case case-1: its history does not verify: event 1",
        )
        .and(predicate::str::contains("1 case(s) could not be verified")),
    );
    assert!(!home.path.join("cases").exists());
    let q = String::from_utf8_lossy(&read(&home.file("quarantine.json"))).into_owned();
    assert!(q.contains("case-1"), "{q}");
}

#[test]
fn refused_signature_is_explained() {
    let home = TestHome::new();
    home.keygen("alice", "health");
    let refusal = r#"{"error":"unauthorized","message":"unknown or revoked key"}"#;
    let stub = Stub::start(vec![agencies(), (401, refusal.into())]);
    home.cmd().args(["pull", "--server", &stub.url]).assert().failure().stderr(
        predicate::str::contains("the server refused the signature (HTTP 401): unknown or revoked key")
            .and(predicate::str::contains("keys/reviewers/")),
    );
    assert!(!home.path.join("cases").exists());
}

#[test]
fn unreachable_server_is_named() {
    let home = TestHome::new();
    home.keygen("alice", "health");
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    home.cmd()
        .args(["pull"])
        .env("AMANA_SERVER", format!("http://127.0.0.1:{port}"))
        .assert()
        .failure()
        .stderr(predicate::str::contains(format!("could not reach http://127.0.0.1:{port}/api/v1/agencies")));
}

#[test]
fn status_change_is_signed_and_recorded_locally() {
    let home = TestHome::new();
    let me = home.keygen("alice", "health");
    crate::support::write_case(&home, &bundle("case-9", "2026-11-20", &[Status::Received], false), &[]);
    let stub = Stub::start(vec![agencies(), (200, "{}".into())]);
    home.cmd()
        .args(["--server", &stub.url, "status", "case-9", "acknowledged"])
        .assert()
        .success()
        .stdout(predicate::str::contains("case case-9: received -> acknowledged"));
    stub.next();
    let post = stub.next();
    assert_eq!(post.path, "/api/v1/review/cases/case-9/status");
    assert_signed(&post, &me, "POST");
    let change: StatusChange = serde_json::from_slice(&post.body).expect("body");
    assert_eq!(change.status, Status::Acknowledged);
    assert_eq!(Some(change.head), home.case_json("case-9").events.last().map(|e| e.hash.clone()));
    assert_eq!(home.case_json("case-9").status, Status::Acknowledged);
}

#[test]
fn refused_status_change_keeps_the_local_status() {
    let home = TestHome::new();
    home.keygen("alice", "health");
    crate::support::write_case(&home, &bundle("case-9", "2026-11-20", &[Status::Received], false), &[]);
    let refusal = r#"{"error":"conflict","message":"the case is already acknowledged"}"#;
    let stub = Stub::start(vec![agencies(), (409, refusal.into())]);
    home.cmd()
        .args(["--server", &stub.url, "status", "case-9", "acknowledged"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("(HTTP 409): the case is already acknowledged"));
    assert_eq!(home.case_json("case-9").status, Status::Received);
}

#[test]
fn a_server_that_needs_a_newer_client_says_so_and_nothing_changes() {
    let home = TestHome::new();
    home.keygen("alice", "health");
    crate::support::write_case(&home, &bundle("case-9", "2026-11-20", &[Status::Received], false), &[]);
    let refusal = r#"{"error":"upgrade_required","message":"this server needs a newer amana-review: upgrade it, pull, and sign the action again"}"#;
    let stub = Stub::start(vec![agencies(), (400, refusal.into())]);
    home.cmd()
        .args(["--server", &stub.url, "status", "case-9", "acknowledged"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("(HTTP 400): this server needs a newer amana-review: upgrade it"));
    assert_eq!(home.case_json("case-9").status, Status::Received);
}

#[test]
fn a_case_without_history_is_not_acted_on() {
    let home = TestHome::new();
    home.keygen_offline("alice", "health");
    let mut b = bundle("case-9", "2026-11-20", &[Status::Received], false);
    b.events.clear();
    crate::support::write_case(&home, &b, &[]);
    home.cmd()
        .args(["--offline", "status", "case-9", "acknowledged"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("case case-9 has no verified history here").and(
            predicate::str::contains("run `amana-review pull` (or `import`) first. Nothing was signed"),
        ));
    assert!(home.outbox().is_empty());
}

#[test]
fn heads_shows_what_this_home_verified_and_why_a_case_is_quarantined() {
    let home = TestHome::new();
    let me = home.keygen("alice", "health");
    let kit = home.kit("alice");
    let mut case = kit.case("case-1", b"age".to_vec(), &[("alice", &me.age_recipient)], &me.age_recipient);
    kit.status(&mut case, Status::Acknowledged);
    let stub = Stub::start(vec![agencies(), (200, case_list(&[kit.wire()], vec![case.clone()]))]);
    home.cmd().args(["pull", "--server", &stub.url]).assert().success();
    let head = case.events[1].hash.clone();
    let verified = format!("case-1  seq 1  {head}  verified\n");
    home.cmd().args(["heads"]).assert().success().stdout(verified.clone());

    // The server now answers a rewritten history: quarantined, the head kept, the reason said.
    let mut rewritten = case.clone();
    rewritten.events[0].on = date("2001-01-01");
    let stub = Stub::start(vec![(200, case_list(&[kit.wire()], vec![rewritten]))]);
    home.cmd().args(["pull", "--server", &stub.url]).assert().failure();
    let today = time::OffsetDateTime::now_utc().date();
    home.cmd().args(["heads", "case"]).assert().success().stdout(
        predicate::str::starts_with(format!("case-1  seq 1  {head}  QUARANTINED since {today}: "))
            .and(predicate::str::contains("does not verify")),
    );
    home.cmd().args(["heads", "other"]).assert().failure();

    // The sound history again (under a newer roster: each signing rises): the quarantine ends.
    // A newer roster makes the pull ask for every case again (their readers may have changed).
    let list = case_list(&[kit.wire()], vec![case]);
    let stub = Stub::start(vec![(200, list.clone()), (200, list)]);
    home.cmd().args(["pull", "--server", &stub.url]).assert().success();
    home.cmd().args(["heads", "case-1"]).assert().success().stdout(verified);
}

/// A home made by the release before the roster (keys pinned on first use in
/// `known-keys.toml`, no fingerprint) is told to get the fingerprint in person — never
/// "tampered" — and after `trust-roster` pulls again, keeping the heads it verified.
#[test]
fn a_home_from_before_the_roster_asks_for_the_fingerprint_then_pulls() {
    let home = TestHome::new();
    let me = home.keygen("alice", "health");
    let age_file = encrypt(&payload(Part::Report, "x", None, "2026-11-20"), &[&me.age_recipient]);
    let kit = home.kit("alice");
    let case = kit.case("case-1", age_file, &[("alice", &me.age_recipient)], &me.age_recipient);
    let list = case_list(&[kit.wire()], vec![case]);
    let stub = Stub::start(vec![agencies(), (200, list.clone())]);
    home.cmd().args(["pull", "--server", &stub.url]).assert().success();
    let heads = read(&home.file("verified-heads.json"));

    // What the previous release left: no fingerprint, no roster, first-use pins.
    let config = home.file("config.toml");
    let mut cfg: toml::Table =
        toml::from_str(&std::fs::read_to_string(&config).expect("config")).expect("toml");
    cfg.remove("roster_fingerprint").expect("this release writes one");
    std::fs::write(&config, toml::to_string(&cfg).expect("toml")).expect("write config");
    std::fs::remove_file(home.file("roster.json")).expect("roster");
    std::fs::write(home.file("known-keys.toml"), "[keys]\nalice = \"pinned on first use\"\n").expect("pins");

    let stub = Stub::start(vec![(200, list.clone())]);
    let out = home.cmd().args(["pull", "--server", &stub.url]).assert().failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("trust-roster") && stderr.contains("IN PERSON"), "{stderr}");
    assert!(!stderr.to_lowercase().contains("tamper"), "{stderr}");

    home.cmd().args(["trust-roster", &crate::support::anchor_fingerprint()]).assert().success();
    let stub = Stub::start(vec![(200, list)]);
    home.cmd().args(["pull", "--server", &stub.url]).assert().success();
    assert_eq!(read(&home.file("verified-heads.json")), heads, "the heads it verified are kept");
}

/// A page of the list: `cases` with the server's date and the next page's `after`, under
/// `roster` (one roster for every page: a newer one would make the pull ask for all cases).
fn page(
    kit: &Kit,
    roster: &serde_json::Value,
    cases: Vec<amana_core::wire::CaseBundle>,
    as_of: &str,
    next: Option<&str>,
) -> String {
    let mut v: serde_json::Value = serde_json::from_str(&case_list(&[kit.wire()], cases)).expect("json");
    v["roster"] = roster.clone();
    v["as_of"] = serde_json::json!(as_of);
    if let Some(next) = next {
        v["next"] = serde_json::json!(next);
    }
    v.to_string()
}

/// A server from before heads first refuses `heads=1` (400): the CLI asks for the page
/// itself, as every release before, and the pull goes on.
#[test]
fn a_server_without_heads_first_gets_the_request_it_knows() {
    let home = TestHome::new();
    let me = home.keygen("alice", "health");
    let kit = home.kit("alice");
    let file = encrypt(&payload(Part::Report, "x", None, "2026-11-20"), &[&me.age_recipient]);
    let list = case_list(
        &[kit.wire()],
        vec![kit.case("case-1", file, &[("alice", &me.age_recipient)], &me.age_recipient)],
    );
    let stub = Stub::start(vec![agencies(), (200, list.clone())]);
    home.cmd().args(["pull", "--server", &stub.url]).assert().success();
    let unknown = r#"{"error":"bad_request","message":"unknown query parameter `heads`"}"#;
    let stub = Stub::start(vec![(400, unknown.into()), (200, list)]);
    home.cmd().args(["pull", "--server", &stub.url]).assert().success().stdout(
        predicate::str::contains("pulled 1 case (0 new)")
            .and(predicate::str::contains("1 changed, 0 unchanged")),
    );
    assert!(stub.next().path.contains("heads=1"));
    let again = stub.next().path;
    assert!(again.starts_with("/api/v1/review/cases?format=4&limit=500&since="), "{again}");
}

#[test]
fn a_pull_follows_the_pages_goes_on_after_an_interruption_and_then_asks_since_a_date() {
    let home = TestHome::new();
    let me = home.keygen("alice", "health");
    let kit = home.kit("alice");
    let file = encrypt(&payload(Part::Report, "x", None, "2026-11-20"), &[&me.age_recipient]);
    let case = |id: &str| kit.case(id, file.clone(), &[("alice", &me.age_recipient)], &me.age_recipient);
    let cursor = || -> serde_json::Value {
        serde_json::from_slice(&read(&home.file("pull-cursor.json"))).expect("cursor json")
    };
    let refusal = r#"{"error":"internal","message":"try again"}"#;
    let both: serde_json::Value =
        serde_json::from_str(&case_list(&[kit.wire()], vec![case("case-1"), case("case-2")])).expect("json");
    let roster = &both["roster"];
    let first = page(&kit, roster, vec![case("case-1")], "2026-11-20", Some("case-1"));
    let stub = Stub::start(vec![agencies(), (200, first), (500, refusal.into())]);
    home.cmd().args(["pull", "--server", &stub.url, "--page-size", "1"]).assert().failure();
    stub.next();
    assert_eq!(stub.next().path, "/api/v1/review/cases?format=4&limit=1");
    assert_eq!(stub.next().path, "/api/v1/review/cases?after=case-1&format=4&limit=1");
    assert_eq!(cursor()["pending"]["after"], "case-1", "{}", cursor());
    assert!(home.case_dir("case-1").join("case.json").is_file(), "the first page is stored");

    // The next pull goes on after the last stored case; the cursor counts from the first page.
    let last = page(&kit, roster, vec![case("case-2")], "2026-11-21", None);
    let stub = Stub::start(vec![(200, last)]);
    home.cmd().args(["pull", "--server", &stub.url, "--page-size", "1"]).assert().success();
    // The home holds a case now: heads first (a stub that ignores `heads` sends the page).
    assert_eq!(stub.next().path, "/api/v1/review/cases?after=case-1&format=4&heads=1&limit=1");
    assert_eq!(
        (&cursor()["since"], &cursor()["pending"]),
        (&serde_json::json!("2026-11-19"), &serde_json::Value::Null)
    );

    // Then only what changed since that date; `--full` asks for everything again.
    let stub = Stub::start(vec![(200, page(&kit, roster, vec![], "2026-11-22", None))]);
    home.cmd()
        .args(["pull", "--server", &stub.url])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("pulled 0 cases"));
    assert_eq!(stub.next().path, "/api/v1/review/cases?format=4&heads=1&limit=500&since=2026-11-19");
    let stub = Stub::start(vec![(200, page(&kit, roster, vec![case("case-1")], "2026-11-22", None))]);
    let out = home.cmd().args(["pull", "--server", &stub.url, "--full"]).assert().success();
    assert_eq!(stub.next().path, "/api/v1/review/cases?format=4&limit=500");
    out.stdout(
        predicate::str::contains("1 case you hold is gone from the server")
            .and(predicate::str::contains("case-2")),
    );

    // A newer roster may give unchanged cases new readers: the pull then asks for them all.
    let newer = case_list(&[kit.wire()], vec![case("case-1")]);
    let stub = Stub::start(vec![(200, newer.clone()), (200, newer)]);
    home.cmd()
        .args(["pull", "--server", &stub.url])
        .assert()
        .success()
        .stderr(predicate::str::contains("the roster changed: pulling every case"));
    assert_eq!(stub.next().path, "/api/v1/review/cases?format=4&heads=1&limit=500&since=2026-11-21");
    assert_eq!(stub.next().path, "/api/v1/review/cases?format=4&limit=500");
}
