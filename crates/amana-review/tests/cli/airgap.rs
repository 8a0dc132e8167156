//! The air gap: `authorize-pull` (offline), `pull --authorization` and `push` on a connected
//! machine without keys or home (against a loopback stub), and `import` with the same
//! verification as a pull.

use std::path::{Path, PathBuf};

use amana_core::case::Status;
use amana_core::payload::Part;
use amana_core::signing::{self, SignedRequestFile};
use amana_core::wire::CaseBundle;
use assert_cmd::Command;
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use predicates::prelude::*;

use crate::support::{
    bundle, case_list, encrypt, oversight_recipient, payload, read, roster_for, write_case, Kit, Stub,
    TestHome, DEP,
};

/// The binary as the connected machine runs it: no home, HOME pointing at an empty dir.
fn connected(empty_home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("amana-review").expect("binary");
    cmd.env("HOME", empty_home)
        .env_remove("AMANA_REVIEW_HOME")
        .env_remove("AMANA_SERVER")
        .env_remove("AMANA_REVIEW_PASSPHRASE")
        .timeout(std::time::Duration::from_secs(120));
    cmd
}

fn public_key(home: &TestHome) -> Vec<u8> {
    let entry: amana_core::keyring::ReviewerEntry =
        toml::from_str(&String::from_utf8_lossy(&read(&home.file("public-entry.toml")))).expect("entry");
    B64.decode(entry.ed25519_public_key).expect("b64")
}

#[test]
fn authorize_pull_writes_a_signed_get_and_nothing_secret() {
    let home = TestHome::new();
    home.keygen_offline("alice", "health");
    home.cmd().arg("authorize-pull").assert().success().stdout(
        predicate::str::contains("pull-authorization.json").and(predicate::str::contains("can be used once")),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("auth.json");
    home.cmd().args(["authorize-pull", "--out"]).arg(&out).assert().success();
    for path in [home.file("pull-authorization.json"), out] {
        let text = String::from_utf8(read(&path)).expect("utf8");
        assert!(!text.contains("AGE-SECRET-KEY") && !text.contains("AMANA-SIGNING-KEY"));
        let file: SignedRequestFile = serde_json::from_str(&text).expect("file");
        assert_eq!(file.version, "amana-signed-request-v1");
        assert_eq!((file.deployment_id.as_str(), file.key_id.as_str()), (DEP, "alice"));
        assert_eq!(
            (file.method.as_str(), file.path.as_str(), file.body.as_str()),
            ("GET", "/api/v1/review/cases?format=3", "")
        );
        assert_eq!(file.validate(), Ok(()));
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        // Signed with the hour, not the second (docs/FORMATS.md §3): up to an hour old.
        assert_eq!(file.timestamp % signing::TIMESTAMP_GRANULARITY_SECS, 0);
        assert_eq!(
            signing::verify(
                &public_key(&home),
                &file.parts(),
                &file.signature,
                now,
                signing::TIMESTAMP_GRANULARITY_SECS + 600
            ),
            Ok(())
        );
    }
}

#[test]
fn pull_with_an_authorization_sends_it_verbatim_and_saves_the_answer() {
    let laptop = TestHome::new();
    laptop.keygen_offline("alice", "health");
    let usb = tempfile::tempdir().expect("usb");
    let auth = usb.path().join("auth.json");
    laptop.cmd().args(["authorize-pull", "--out"]).arg(&auth).assert().success();
    let file: SignedRequestFile = serde_json::from_slice(&read(&auth)).expect("file");

    let answer = case_list(&[], vec![]);
    let stub = Stub::start(vec![(200, answer.clone())]);
    let empty = tempfile::tempdir().expect("empty home");
    let bundle = usb.path().join("bundle.json");
    connected(empty.path())
        .args(["--server", &stub.url, "pull", "--authorization"])
        .arg(&auth)
        .arg("--out")
        .arg(&bundle)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("0 cases, still encrypted")
                .and(predicate::str::contains("amana-review import")),
        );
    let req = stub.next();
    assert_eq!((req.method.as_str(), req.path.as_str()), ("GET", "/api/v1/review/cases?format=3"));
    assert_eq!(req.header(signing::HEADER_KEY), Some("alice"));
    assert_eq!(req.header(signing::HEADER_NONCE), Some(file.nonce.as_str()));
    assert_eq!(req.header(signing::HEADER_TIMESTAMP), Some(file.timestamp.to_string().as_str()));
    assert_eq!(req.header(signing::HEADER_SIGNATURE), Some(file.signature.as_str()));
    assert_eq!(read(&bundle), answer.as_bytes(), "the answer byte for byte");
    assert_eq!(std::fs::read_dir(empty.path()).expect("dir").count(), 0, "no home was made");

    // Without a server, or with a POST file, it says what to do.
    connected(empty.path())
        .args(["pull", "--authorization"])
        .arg(&auth)
        .arg("--out")
        .arg(&bundle)
        .assert()
        .failure()
        .stderr(predicate::str::contains("pass --server URL"));
}

/// Two offline actions in the laptop's outbox, copied to a "USB stick"; returns its outbox.
fn carried_outbox(laptop: &TestHome, usb: &Path) -> PathBuf {
    laptop.keygen_offline("alice", "health");
    let me: amana_core::keyring::ReviewerEntry =
        toml::from_str(&String::from_utf8_lossy(&read(&laptop.file("public-entry.toml")))).expect("entry");
    let mut case = bundle("case-1", "2026-11-20", &[Status::Received], false);
    case.reporter_recipient = age::x25519::Identity::generate().to_public().to_string();
    case.recipients = vec![
        amana_core::wire::RecipientWire {
            key_id: "alice".into(),
            age_recipient: me.age_recipient,
            oversight: false,
        },
        oversight_recipient(),
    ];
    write_case(laptop, &case, &[]);
    laptop.cmd().args(["--offline", "status", "case-1", "acknowledged"]).assert().success();
    laptop.cmd().args(["--offline", "reply", "case-1", "--message", "thanks"]).assert().success();
    let outbox = usb.join("outbox");
    std::fs::create_dir_all(&outbox).expect("mkdir");
    for f in laptop.outbox() {
        std::fs::copy(&f, outbox.join(f.file_name().expect("name"))).expect("copy");
    }
    outbox
}

#[test]
fn push_sends_in_order_moves_what_was_sent_and_stops_at_a_refusal() {
    let laptop = TestHome::new();
    let usb = tempfile::tempdir().expect("usb");
    let outbox = carried_outbox(&laptop, usb.path());
    let files = laptop.outbox();
    let refusal = r#"{"error":"conflict","message":"the case changed meanwhile; pull again and retry"}"#;
    let stub = Stub::start(vec![(204, String::new()), (409, refusal.into())]);
    let empty = tempfile::tempdir().expect("empty home");
    connected(empty.path())
        .args(["--server", &stub.url, "push"])
        .arg(&outbox)
        .assert()
        .failure()
        .stdout(predicate::str::contains(
            "sent 000001-case-1-status.json (POST /api/v1/review/cases/case-1/status)",
        ))
        .stderr(
            predicate::str::contains("push stopped at")
                .and(predicate::str::contains("000002-case-1-reply.json"))
                .and(predicate::str::contains("(HTTP 409): the case changed meanwhile"))
                .and(predicate::str::contains("Sent before it: 1")),
        );
    for (req, file) in [stub.next(), stub.next()].iter().zip(&files) {
        let f: SignedRequestFile = serde_json::from_slice(&read(file)).expect("file");
        assert_eq!((req.method.as_str(), req.path.as_str()), ("POST", f.path.as_str()));
        assert_eq!(req.body, f.body.as_bytes(), "body verbatim");
        assert_eq!(req.header(signing::HEADER_SIGNATURE), Some(f.signature.as_str()));
        assert_eq!(req.header("content-type"), Some("application/json"));
    }
    assert!(outbox.join("sent/000001-case-1-status.json").exists());
    assert!(outbox.join("000002-case-1-reply.json").exists(), "the refused one stays");

    let stub = Stub::start(vec![(201, String::new())]);
    connected(empty.path())
        .args(["--server", &stub.url, "push"])
        .arg(&outbox)
        .assert()
        .success()
        .stdout(predicate::str::contains("sent 1 request;"));
    assert!(outbox.join("sent/000002-case-1-reply.json").exists());
    assert_eq!(std::fs::read_dir(empty.path()).expect("dir").count(), 0, "no home was made");
    connected(empty.path())
        .args(["--server", &stub.url, "push"])
        .arg(&outbox)
        .assert()
        .success()
        .stdout(predicate::str::contains("nothing to send"));
}

#[test]
fn push_refuses_a_pull_authorization() {
    let laptop = TestHome::new();
    laptop.keygen_offline("alice", "health");
    let usb = tempfile::tempdir().expect("usb");
    laptop
        .cmd()
        .args(["authorize-pull", "--out"])
        .arg(usb.path().join("000001-pull.json"))
        .assert()
        .success();
    connected(usb.path())
        .args(["--server", "http://127.0.0.1:9", "push"])
        .arg(usb.path())
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("push sends actions only")
                .and(predicate::str::contains("pull --authorization FILE")),
        );
}

/// A case signed by the laptop's own key: report, acknowledgement, reply.
fn signed_case(laptop: &TestHome, kit: &Kit) -> CaseBundle {
    let me: amana_core::keyring::ReviewerEntry =
        toml::from_str(&String::from_utf8_lossy(&read(&laptop.file("public-entry.toml")))).expect("entry");
    let report = encrypt(&payload(Part::Report, "تقرير عن رشوة", None, "2026-11-20"), &[&me.age_recipient]);
    let mut case = kit.case("case-1", report, &[("alice", &me.age_recipient)], &me.age_recipient);
    kit.status(&mut case, Status::Acknowledged);
    kit.reply(
        &mut case,
        "reply-1",
        encrypt(&payload(Part::Reply, "شكراً", None, "2026-11-21"), &[&me.age_recipient]),
    );
    let mut reason = payload(Part::Note, "waiting for the audit", None, "2026-11-22");
    reason.author = Some("alice".into());
    kit.extend(&mut case, 30, "why-1", encrypt(&reason, &[&me.age_recipient]));
    case
}

fn write_bundle(dir: &Path, name: &str, kit: &Kit, cases: Vec<CaseBundle>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, case_list(&[kit.wire()], cases)).expect("bundle");
    path
}

#[test]
fn import_verifies_like_a_pull_and_refuses_a_rewritten_history() {
    let laptop = TestHome::new();
    laptop.keygen_offline("alice", "health");
    let kit = laptop.kit("alice");
    let usb = tempfile::tempdir().expect("usb");
    let case = signed_case(&laptop, &kit);
    let first = write_bundle(usb.path(), "b1.json", &kit, vec![case.clone()]);
    laptop
        .cmd()
        .arg("import")
        .arg(&first)
        .assert()
        .success()
        .stdout(predicate::str::starts_with("imported 1 case (1 new); history verified\n"));
    let out = laptop.cmd().args(["show", "case-1"]).assert().success();
    let shown = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    for expected in [
        "extension days  30",
        "escalated       no",
        "readable by     alice",
        "#0   ",
        "submitted       received",
        "status_changed  acknowledged by alice",
        "reply           acknowledged by alice",
        "extended        acknowledged by alice (+30 days)",
        "--- report, written 2026-11-20 ---\nتقرير عن رشوة",
        "--- reply by alice, written 2026-11-21 ---\nشكراً",
        "--- note for reviewers by alice (reason for an extension), written 2026-11-22 ---\nwaiting for the audit",
    ] {
        assert!(shown.contains(expected), "{expected:?} missing:\n{shown}");
    }
    let case_json = laptop.case_dir("case-1").join("case.json");
    let before = read(&case_json);

    // One event altered in place: its hash no longer matches. (The last one, re-dated by a
    // day, which its signature allows: an earlier or larger change is refused on its own by
    // the heads the later actions signed and the date bound, even without a local copy.)
    let mut altered = case.clone();
    altered.events[3].on = altered.events[3].on.next_day().expect("date");
    let bad = write_bundle(usb.path(), "b2.json", &kit, vec![altered.clone()]);
    laptop.cmd().arg("import").arg(&bad).assert().failure().stderr(predicate::str::contains(
        "case case-1: its history does not verify: event 3: hash does not match",
    ));
    assert_eq!(read(&case_json), before, "local copy untouched");

    // The same edit with the whole chain recomputed: caught by the remembered head.
    crate::support::rehash(&mut altered);
    let rewritten = write_bundle(usb.path(), "b3.json", &kit, vec![altered]);
    laptop
        .cmd()
        .arg("import")
        .arg(&rewritten)
        .assert()
        .failure()
        .stderr(predicate::str::contains("case case-1:").and(predicate::str::contains("rewritten")));
    assert_eq!(read(&case_json), before, "local copy untouched");

    // A bundle of another deployment.
    let other = usb.path().join("b4.json");
    let text = String::from_utf8(read(&first)).expect("utf8").replace(DEP, "other-dep");
    std::fs::write(&other, text).expect("write");
    laptop
        .cmd()
        .arg("import")
        .arg(&other)
        .assert()
        .failure()
        .stderr(predicate::str::contains("is for deployment `other-dep`"));
    assert_eq!(read(&case_json), before);
}

#[test]
fn a_carrier_cannot_swap_the_roster_or_replay_an_old_one() {
    let laptop = TestHome::new();
    laptop.keygen_offline("alice", "health");
    let kit = laptop.kit("alice");
    let usb = tempfile::tempdir().expect("usb");
    let case = signed_case(&laptop, &kit);
    let old = write_bundle(usb.path(), "b1.json", &kit, vec![case.clone()]);
    let newer = write_bundle(usb.path(), "b2.json", &kit, vec![case.clone()]);
    laptop.cmd().arg("import").arg(&newer).assert().success();
    let held = read(&laptop.file("roster.json"));
    // The carrier replays the older bundle (and its older roster): refused, nothing written.
    laptop
        .cmd()
        .arg("import")
        .arg(&old)
        .assert()
        .failure()
        .stderr(predicate::str::contains("older than version"));
    // The carrier signs a roster of its own that lists its own key as alice's: refused.
    let mut list: serde_json::Value = serde_json::from_slice(&read(&newer)).expect("bundle");
    let carrier = Kit::new("alice");
    let forged_roster =
        amana_core::roster::sign(&carrier.key, &roster_for(&[carrier.wire()], &[case])).expect("sign");
    list["roster"] = serde_json::to_value(forged_roster).expect("json");
    let forged = usb.path().join("forged.json");
    std::fs::write(&forged, serde_json::to_vec(&list).expect("json")).expect("write");
    laptop
        .cmd()
        .arg("import")
        .arg(&forged)
        .assert()
        .failure()
        .stderr(predicate::str::contains("not signed by the roster key whose fingerprint this home holds"));
    assert_eq!(read(&laptop.file("roster.json")), held);
}

#[test]
fn import_archives_outbox_requests_the_server_applied() {
    let laptop = TestHome::new();
    laptop.keygen_offline("alice", "health");
    let kit = laptop.kit("alice");
    let usb = tempfile::tempdir().expect("usb");
    let mut case = signed_case(&laptop, &kit);
    laptop
        .cmd()
        .arg("import")
        .arg(write_bundle(usb.path(), "b1.json", &kit, vec![case.clone()]))
        .assert()
        .success();
    laptop.cmd().args(["--offline", "status", "case-1", "in_review"]).assert().success();
    laptop
        .cmd()
        .args(["show", "case-1"])
        .assert()
        .success()
        .stdout(predicate::str::contains("pending         1 signed request"));
    // The server applied exactly that signed request: its nonce is in the new history.
    let sent: SignedRequestFile = serde_json::from_slice(&read(&laptop.outbox()[0])).expect("file");
    let action = amana_core::events::SignedAction {
        key_id: sent.key_id,
        timestamp: sent.timestamp,
        nonce: sent.nonce,
        signature: sent.signature,
        method: sent.method,
        path: sent.path,
        body: sent.body,
    };
    let detail = serde_json::json!({ "from": "acknowledged", "envelope_id": null });
    let today = time::OffsetDateTime::now_utc().date();
    let signed = Some(serde_json::to_string(&action).expect("json"));
    let event_kind = amana_core::events::EventKind::StatusChanged;
    crate::support::push_event(
        &mut case,
        today,
        event_kind,
        Status::InReview,
        detail,
        Some("alice".into()),
        signed,
    );
    case.status = Status::InReview;
    laptop
        .cmd()
        .arg("import")
        .arg(write_bundle(usb.path(), "b2.json", &kit, vec![case]))
        .assert()
        .success()
        .stdout(predicate::str::contains("1 outbox request applied by the server, moved to outbox/sent/"));
    assert!(laptop.outbox().is_empty());
    assert!(laptop.path.join("outbox/sent/000001-case-1-status.json").exists());
}

/// The roster rarely changes, so an old bundle may carry the very roster the laptop holds:
/// the carrier replays it to hide what happened since. Each case must still extend what the
/// laptop verified; the replayed one is quarantined and the newer copy kept.
#[test]
fn an_old_bundle_replayed_under_the_same_roster_cannot_roll_a_case_back() {
    let laptop = TestHome::new();
    laptop.keygen_offline("alice", "health");
    let kit = laptop.kit("alice");
    let usb = tempfile::tempdir().expect("usb");
    let me: amana_core::keyring::ReviewerEntry =
        toml::from_str(&String::from_utf8_lossy(&read(&laptop.file("public-entry.toml")))).expect("entry");
    let report = encrypt(&payload(Part::Report, "x", None, "2026-11-20"), &[&me.age_recipient]);
    let mut case = kit.case("case-1", report, &[("alice", &me.age_recipient)], &me.age_recipient);
    let old_case = case.clone();
    kit.status(&mut case, Status::Acknowledged);
    let newer = write_bundle(usb.path(), "b2.json", &kit, vec![case]);
    laptop.cmd().arg("import").arg(&newer).assert().success();
    let held = read(&laptop.case_dir("case-1").join("case.json"));
    let mut old: serde_json::Value =
        serde_json::from_slice(&read(&write_bundle(usb.path(), "b1.json", &kit, vec![old_case])))
            .expect("json");
    old["roster"] =
        serde_json::from_slice::<serde_json::Value>(&read(&newer)).expect("json")["roster"].clone();
    let replayed = usb.path().join("replayed.json");
    std::fs::write(&replayed, serde_json::to_vec(&old).expect("json")).expect("write");
    laptop.cmd().arg("import").arg(&replayed).assert().failure().stderr(
        predicate::str::contains("QUARANTINED case case-1")
            .and(predicate::str::contains("last verified event 1")),
    );
    assert_eq!(read(&laptop.case_dir("case-1").join("case.json")), held, "the newer copy is kept");
}
