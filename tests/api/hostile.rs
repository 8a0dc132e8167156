//! The trust model played by its attackers against the REAL server and the REAL CLI
//! (docs/FORMATS.md §9, SECURITY.md "Who can do what"): a database writer with no key at all,
//! and the air-gap carrier who edits bundles. Each attack must be refused or quarantined,
//! nothing may open with the attacker's key, readable copies survive, and unrelated cases
//! still pull.

use amana_core::ciphertext::Ciphertext;
use amana_core::events::{self, EventKind};
use serde_json::{json, Value};

use crate::case_support::case_json;
use crate::db_writer::{on_both_backends, Arg, Target};
use crate::helpers::{review_cli, spawn_app, HEALTH, OVERSIGHT};

/// Submits a health case and pulls it into the health officer's home: (that reviewer, the case).
async fn a_case_pulled_by_health(app: &crate::helpers::TestApp) -> (crate::helpers::Reviewer, String) {
    app.submit_simple("health", false).await;
    let health = app.dep.reviewer(HEALTH).clone();
    health.cli(&app.address, &["pull"]).ok("pull");
    let case = health.listed_ids(&app.address).remove(0);
    (health, case)
}

on_both_backends!(a_database_writer_can_neither_redirect_replies_nor_speak_for_the_reporter => redirect_replies_and_speak_for_the_reporter);

async fn redirect_replies_and_speak_for_the_reporter(t: &mut Target) {
    let app = &t.app;
    let addr = app.address.clone();
    let (health, case) = a_case_pulled_by_health(app).await;
    let held = std::fs::read(case_json(&health, &case)).expect("case.json");
    app.submit_simple("health", false).await;

    // The writer swaps the reporter's reply recipient for its own key.
    let attacker = age::x25519::Identity::generate();
    let db = t.writer().await;
    let attacker_recipient = attacker.to_public().to_string();
    let swap = "UPDATE cases SET reporter_recipient = $1 WHERE id = $2";
    db.exec(swap, &[Arg::Text(&attacker_recipient), Arg::Text(&case)]).await;
    // Its head did not move: a heads-first pull does not fetch it, the home keeps its copy.
    let out = health.cli(&addr, &["pull"]).ok("pull, heads first");
    assert!(out.stdout.contains("1 changed, 1 unchanged"), "{}", out.stdout);
    assert_eq!(std::fs::read(case_json(&health, &case)).expect("kept"), held);
    // Fetched in full, by the home that held the case and a fresh one, both refuse it; the
    // other case still pulls.
    for reviewer in [&health, app.dep.reviewer(OVERSIGHT)] {
        let out = reviewer.cli(&addr, &["pull", "--full"]).failed("pull of a swapped recipient");
        assert!(out.stderr.contains(&format!("QUARANTINED case {case}")), "{}", out.stderr);
        assert!(out.stderr.contains("reporter recipient"), "{}", out.stderr);
        assert!(out.stdout.contains("pulled 1 case"), "the other case is stored: {}", out.stdout);
    }
    assert_eq!(std::fs::read(case_json(&health, &case)).expect("kept"), held, "the readable copy survives");
    let listed = health.cli(&addr, &["list"]).ok("list").stdout;
    assert!(listed.contains("UNVERIFIED"), "{listed}");
    let inbox = health.cli(&addr, &["inbox"]).failed("inbox while a case is quarantined");
    assert!(inbox.stdout.contains(&format!("{case} (UNVERIFIED since")), "{}", inbox.stdout);
    // A reply made now is encrypted from the verified copy: the attacker's key opens nothing.
    health.cli(&addr, &["reply", &case, "--message", "HOSTILE-REPLY-MARK"]).ok("reply");
    let replies = db
        .blobs("SELECT ciphertext FROM envelopes WHERE case_id = $1 AND part = 'reply'", &[Arg::Text(&case)])
        .await;
    assert_eq!(replies.len(), 1);
    assert!(amana_core::envelope::decrypt(&replies[0], &[&attacker as &dyn age::Identity]).is_err());

    // The writer puts the recipient back and inserts a "follow-up" in the reporter's name.
    let original: String = serde_json::from_slice::<Value>(&held).expect("json")["reporter_recipient"]
        .as_str()
        .expect("recipient")
        .to_string();
    db.exec(swap, &[Arg::Text(&original), Arg::Text(&case)]).await;
    let envelope = db
        .texts("SELECT id FROM envelopes WHERE case_id = $1 AND part = 'report'", &[Arg::Text(&case)])
        .await;
    db.insert_forged_event(&case, EventKind::FollowUp, json!({ "envelope_id": envelope[0] })).await;
    db.insert_forged_event(&case, EventKind::Escalated, json!({})).await;
    db.close().await;
    let fresh = app.dep.reviewer(OVERSIGHT).fresh_copy(&app.dep.root().join("homes/fresh-oversight"));
    let out = fresh.cli(&addr, &["pull"]).failed("pull of an invented follow-up");
    assert!(out.stderr.contains(&format!("QUARANTINED case {case}")), "{}", out.stderr);
    assert!(out.stderr.contains("no attestation"), "{}", out.stderr);
}

#[tokio::test]
async fn the_carrier_can_neither_add_a_reader_nor_invent_a_case() {
    let app = spawn_app().await;
    let addr = app.address.clone();
    app.submit_simple("health", false).await;
    let health = app.dep.reviewer(HEALTH).clone();
    let home = health.home.to_str().expect("utf-8").to_string();
    // Once online (it learns the deployment id and verifies the roster), then air-gapped.
    health.cli(&addr, &["pull"]).ok("first pull");
    // The air gap: the laptop signs a pull authorization, the carrier fetches the bundle.
    let dir = app.dep.root().join("usb");
    std::fs::create_dir_all(&dir).expect("usb");
    let auth = dir.join("auth.json");
    let bundle = dir.join("bundle.json");
    review_cli(&["--home", &home, "authorize-pull", "--out", auth.to_str().expect("utf-8")]).ok("authorize");
    let connected = tempfile::tempdir().expect("connected");
    let mut cmd = crate::helpers::review_command(&[
        "--server",
        &addr,
        "pull",
        "--authorization",
        auth.to_str().expect("utf-8"),
        "--out",
        bundle.to_str().expect("utf-8"),
    ]);
    cmd.env("HOME", connected.path());
    crate::helpers::run_review(cmd).ok("carrier pulls");

    // The carrier adds an "oversight" reader of its own and invents a second case by copying
    // the first under another id.
    let carrier = age::x25519::Identity::generate();
    let mut list: Value = serde_json::from_slice(&std::fs::read(&bundle).expect("bundle")).expect("json");
    let real = list["cases"][0].clone();
    let case = real["id"].as_str().expect("id").to_string();
    list["cases"][0]["recipients"].as_array_mut().expect("recipients").push(json!({
        "key_id": "audit", "age_recipient": carrier.to_public().to_string(), "oversight": true
    }));
    let mut invented = real.clone();
    invented["id"] = json!("0123456789abcdef0123");
    list["cases"].as_array_mut().expect("cases").push(invented);
    std::fs::write(&bundle, serde_json::to_vec(&list).expect("json")).expect("edit bundle");

    let out = review_cli(&["--home", &home, "import", bundle.to_str().expect("utf-8")]).failed("import");
    assert!(out.stderr.contains("QUARANTINED case 0123456789abcdef0123"), "{}", out.stderr);
    assert!(out.stdout.contains("imported 1 case"), "the genuine case is stored: {}", out.stdout);
    // The laptop computes the readers from the signed roster: nothing goes to the carrier.
    let out = review_cli(&["--home", &home, "--offline", "reply", &case, "--message", "CARRIER-MARK"])
        .failed("reply to a case whose list names another reader");
    assert!(out.stderr.contains("other readers"), "{}", out.stderr);
    assert!(
        !health.home.join("outbox").exists()
            || std::fs::read_dir(health.home.join("outbox")).expect("outbox").count() == 0
    );
}

on_both_backends!(
    /// A case from a database made before the server attested events: a home that verified it
    /// then keeps it; a fresh home quarantines it (an unsigned event is what a forger makes) until
    /// oversight vouches for its head in a newly signed roster.
    a_case_from_before_the_upgrade_needs_a_home_that_verified_it_or_oversights_word
        => a_case_from_before_the_upgrade
);

async fn a_case_from_before_the_upgrade(t: &mut Target) {
    let db = t.writer().await;
    let app = &mut t.app;
    app.submit_simple("health", false).await;
    let oversight = app.dep.reviewer(OVERSIGHT).clone();
    let case = app.cases_as(&oversight).await.remove(0);
    // What the previous release stored: an unsigned submission naming only its envelope.
    let envelope = case.envelopes[0].id.clone();
    let mut e = case.events[0].clone();
    e.signed = None;
    e.detail = json!({ "envelope_id": envelope }).to_string();
    e.hash = events::compute_hash(&case.id, &e);
    db.exec(
        "UPDATE events SET signed = NULL, detail = $1, hash = $2 WHERE case_id = $3 AND seq = 0",
        &[Arg::Text(&e.detail), Arg::Text(&e.hash), Arg::Text(&case.id)],
    )
    .await;
    db.close().await;
    // Oversight's home had verified it before the upgrade (its remembered head).
    let heads = json!({ case.id.clone(): { "seq": 0, "hash": e.hash } });
    std::fs::write(oversight.home.join("verified-heads.json"), heads.to_string()).expect("heads");
    oversight.cli(&app.address, &["pull"]).ok("a home that verified it keeps it");
    // A fresh home (a new reviewer's) has no such memory.
    let health = app.dep.reviewer(HEALTH).clone();
    let out = health.cli(&app.address, &["pull"]).failed("a fresh home");
    assert!(out.stderr.contains("carries no attestation"), "{}", out.stderr);
    // Oversight vouches, from its home, in a newly signed roster.
    app.dep.vouch_from(&oversight.home);
    app.restart();
    health.cli(&app.address, &["pull"]).ok("the vouched case verifies in a fresh home");
    assert!(health.cli(&app.address, &["show", &case.id]).ok("show").stdout.contains("received"));
}

on_both_backends!(
    /// A rating is the reporter's word too: one a database writer adds to a closed case (with the
    /// case's clear rating to match) is refused, by the home that pulled it and by a fresh one.
    a_database_writer_cannot_rate_a_case_in_the_reporters_name => rate_in_the_reporters_name
);

async fn rate_in_the_reporters_name(t: &mut Target) {
    let app = &t.app;
    let addr = app.address.clone();
    let (health, case) = a_case_pulled_by_health(app).await;
    health.cli(&addr, &["status", &case, "acknowledged"]).ok("acknowledge");
    health.cli(&addr, &["pull"]).ok("pull");
    health.cli(&addr, &["status", &case, "closed_unfounded"]).ok("close");
    health.cli(&addr, &["pull"]).ok("pull the closure");
    let db = t.writer().await;
    db.insert_forged_event(&case, EventKind::Rated, json!({ "rating": 1 })).await;
    db.exec("UPDATE cases SET rating = 1 WHERE id = $1", &[Arg::Text(&case)]).await;
    db.close().await;
    for reviewer in [&health, app.dep.reviewer(OVERSIGHT)] {
        let out = reviewer.cli(&addr, &["pull"]).failed("pull of a forged rating");
        assert!(out.stderr.contains(&format!("QUARANTINED case {case}")), "{}", out.stderr);
        assert!(out.stderr.contains("no attestation"), "{}", out.stderr);
    }
}

on_both_backends!(
    /// Evidence files are the reporter's words too. A database writer who swaps a file's content,
    /// or the file and its description (encrypted to the public recipients, as the server would),
    /// is caught against the digests the attested submission records; the other case still
    /// pulls and a home's fetched copy survives.
    a_database_writer_cannot_swap_an_evidence_file => swap_an_evidence_file
);

async fn swap_an_evidence_file(t: &mut Target) {
    let app = &t.app;
    let addr = app.address.clone();
    let form = reqwest::multipart::Form::new()
        .text("kind", "violation")
        .text("agency", "health")
        .text("body", "The ledger is attached.")
        .part("attachment", evidence_part("ledger.csv", b"cash,500\n".to_vec()));
    let resp = app.client.post(app.url("/api/v1/reports")).multipart(form).send().await.expect("submit");
    assert_eq!(resp.status(), 201);
    let oversight = app.dep.reviewer(OVERSIGHT).clone();
    let case = app.cases_as(&oversight).await.remove(0);
    app.submit_simple("health", false).await;
    let health = app.dep.reviewer(HEALTH).clone();
    health.cli(&addr, &["pull"]).ok("pull with the genuine file");
    let held_path = health.home.join("cases").join(&case.id).join("attachments");
    let held = std::fs::read(held_path.join(format!("{}.age", case.attachments[0].id))).expect("fetched");

    // The writer's own file, encrypted to the case's public recipients.
    let readers: Vec<String> = case.recipients.iter().map(|r| r.age_recipient.clone()).collect();
    let readers = amana_core::envelope::parse_recipients(&readers).expect("recipients");
    let mut enc = amana_core::attachment::StreamEncryptor::new(&readers).expect("encrypt");
    let mut content = Ciphertext::join(enc.push(b"cash,0\n").expect("push"));
    let done = enc.finish("ledger.csv", "text/csv").expect("finish");
    content.extend(Ciphertext::join(done.pieces));
    let id = case.attachments[0].id.clone();
    let db = t.writer().await;
    db.exec("DELETE FROM attachment_pieces WHERE attachment_id = $1", &[Arg::Text(&id)]).await;
    db.exec(
        "INSERT INTO attachment_pieces (attachment_id, seq, data) VALUES ($1, 0, $2)",
        &[Arg::Text(&id), Arg::Blob(&content)],
    )
    .await;
    let size = i64::try_from(content.len()).expect("size");
    db.exec("UPDATE attachments SET size = $1, pieces = 1 WHERE id = $2", &[Arg::Int(size), Arg::Text(&id)])
        .await;
    // The content alone: the case verifies, but its file is not fetched.
    let fresh = oversight.fresh_copy(&app.dep.root().join("homes/fresh-1"));
    let out = fresh.cli(&addr, &["pull"]).failed("a swapped content");
    assert!(out.stderr.contains("not the file the case's attested history records"), "{}", out.stderr);
    assert!(!fresh.home.join("cases").join(&case.id).join("attachments").join(format!("{id}.age")).exists());

    // The description too: the case is quarantined.
    db.exec(
        "UPDATE attachments SET meta = $1 WHERE id = $2",
        &[Arg::Blob(done.meta_age.as_bytes()), Arg::Text(&id)],
    )
    .await;
    db.close().await;
    let fresh = oversight.fresh_copy(&app.dep.root().join("homes/fresh-2"));
    let out = fresh.cli(&addr, &["pull"]).failed("a swapped file and description");
    assert!(out.stderr.contains(&format!("QUARANTINED case {}", case.id)), "{}", out.stderr);
    assert!(out.stderr.contains("description of evidence file"), "{}", out.stderr);
    assert!(out.stdout.contains("pulled 1 case"), "the other case is stored: {}", out.stdout);
    // The head did not move: only a full pull fetches the case again.
    let out = health.cli(&addr, &["pull", "--full"]).failed("the home that held the genuine file");
    assert!(out.stderr.contains(&format!("QUARANTINED case {}", case.id)), "{}", out.stderr);
    let kept = std::fs::read(held_path.join(format!("{id}.age"))).expect("still there");
    assert_eq!(kept, held, "the fetched copy survives");
}

fn evidence_part(name: &str, bytes: Vec<u8>) -> reqwest::multipart::Part {
    reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()).mime_str("text/csv").expect("mime")
}

on_both_backends!(
    /// The rogue agency reviewer rewraps a case to itself alone, to shut oversight out. The server
    /// refuses (403); a database writer records it anyway with the reviewer's genuine signature
    /// and swaps the report for the rewrapped copy. Oversight's home keeps its readable copy and
    /// quarantines the case; a fresh oversight home refuses it too.
    an_agency_reviewer_cannot_rewrap_a_case_to_itself => rewrap_to_itself
);

async fn rewrap_to_itself(t: &mut Target) {
    use base64::{engine::general_purpose::STANDARD as B64, Engine};
    let app = &t.app;
    let addr = app.address.clone();
    app.submit_simple("health", false).await;
    let oversight = app.dep.reviewer(OVERSIGHT).clone();
    oversight.cli(&addr, &["pull"]).ok("oversight pulls");
    let health = app.dep.reviewer(HEALTH).clone();
    let case = app.cases_as(&health).await.remove(0);
    let report = &case.envelopes[0];
    let me = health.identity();
    let plain = amana_core::envelope::decrypt(
        &B64.decode(&report.age_b64).expect("b64"),
        &[&me as &dyn age::Identity],
    )
    .expect("health reads the report");
    let to_itself = amana_core::envelope::encrypt(&plain, &[me.to_public()]).expect("encrypt");
    let commitment = amana_core::payload::commitment(&plain).expect("commitment");
    let head = case.events.last().expect("events").hash.clone();
    let record = json!({ "envelope_id": report.id, "plaintext_sha256": commitment });
    let body = json!({ "head": head, "envelopes": [{
        "envelope_id": report.id, "age_b64": B64.encode(&to_itself), "plaintext_sha256": commitment
    }] })
    .to_string();
    let path = format!("/api/v1/review/cases/{}/rewrap", case.id);
    assert_eq!(app.signed(&health, "POST", &path, body.as_bytes()).await.status(), 403);

    let sig = health.signer().sign("POST", &path, body.as_bytes());
    let action = amana_testkit::signed_action(sig, "POST", &path, body);
    let db = t.writer().await;
    let signed = serde_json::to_string(&action).expect("json");
    let detail = json!({ "envelopes": [record] });
    db.append_event(&case.id, EventKind::Rewrapped, Some(HEALTH), detail, Some(signed)).await;
    db.exec(
        "UPDATE envelopes SET ciphertext = $1 WHERE id = $2",
        &[Arg::Blob(&to_itself), Arg::Text(&report.id)],
    )
    .await;
    db.close().await;
    let fresh = oversight.fresh_copy(&app.dep.root().join("homes/fresh-oversight"));
    for home in [&oversight, &fresh] {
        let out = home.cli(&addr, &["pull"]).failed("a rewrap by an agency key");
        assert!(out.stderr.contains(&format!("QUARANTINED case {}", case.id)), "{}", out.stderr);
        assert!(out.stderr.contains("only oversight keys may rewrap"), "{}", out.stderr);
    }
    let shown = oversight.cli(&addr, &["show", &case.id]).ok("oversight still reads its copy");
    assert!(shown.stdout.contains("The counter was closed all week."), "{}", shown.stdout);
}

on_both_backends!(
    /// A server that acknowledges a reply and then drops it (deletes its event and envelope)
    /// would leave the reviewer believing the reporter was answered: the next pull says which
    /// acknowledged request the case's history lacks, and fails until it is sent again.
    a_reply_the_server_acknowledged_and_dropped_is_named_at_the_next_pull => drop_an_acknowledged_reply
);

async fn drop_an_acknowledged_reply(t: &mut Target) {
    let app = &t.app;
    let addr = app.address.clone();
    let (health, case) = a_case_pulled_by_health(app).await;
    health.cli(&addr, &["reply", &case, "--message", "We are on it."]).ok("reply acknowledged");
    let db = t.writer().await;
    db.exec("DELETE FROM events WHERE case_id = $1 AND kind = 'reply'", &[Arg::Text(&case)]).await;
    db.exec("DELETE FROM envelopes WHERE case_id = $1 AND part = 'reply'", &[Arg::Text(&case)]).await;
    db.close().await;
    let out = health.cli(&addr, &["pull"]).failed("a pull that lacks the acknowledged reply");
    assert!(out.stderr.contains(&format!("NOT IN HISTORY: your reply on case {case}")), "{}", out.stderr);
    // Sent again, the reply is in the history: the next pull is clean.
    health.cli(&addr, &["reply", &case, "--message", "We are on it."]).ok("reply again");
    let out = health.cli(&addr, &["pull"]).ok("the reply sent again is in the history");
    assert!(!out.stderr.contains("NOT IN HISTORY"), "{}", out.stderr);
}
