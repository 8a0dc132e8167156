//! `push` of a carried outbox on the connected machine.

use std::path::{Path, PathBuf};

use amana_core::case::Status;
use amana_core::signing::{self, SignedRequestFile};
use predicates::prelude::*;

use crate::support::{bundle, oversight_recipient, read, write_case, Stub, TestHome};

use super::connected;

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
