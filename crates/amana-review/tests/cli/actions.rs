//! `status`, `reply` and `extend` with `--offline`: what lands in the outbox, who can read
//! it, and the local refusals (argument errors, empty text, extension limits). No network.

use amana_core::case::Status;
use amana_core::envelope;
use amana_core::payload::{Part, Payload};
use amana_core::signing::{self, SignedRequestFile};
use amana_core::wire::{Extension, RecipientWire, ReplyUpload, StatusChange};
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use predicates::prelude::*;

use crate::support::{bundle, read, write_case, TestHome, DEP};

/// A laptop home (deployment id configured) with one acknowledged case readable by alice and
/// a colleague; returns the reporter's identity and the colleague's.
fn laptop() -> (TestHome, age::x25519::Identity, age::x25519::Identity) {
    let home = TestHome::new();
    let me = home.keygen_offline("alice", "health");
    let reporter = age::x25519::Identity::generate();
    let colleague = age::x25519::Identity::generate();
    let mut case = bundle("case-7", "2026-11-20", &[Status::Received, Status::Acknowledged], false);
    case.reporter_recipient = reporter.to_public().to_string();
    case.recipients = vec![
        RecipientWire { key_id: "alice".into(), age_recipient: me.age_recipient.clone(), oversight: false },
        RecipientWire {
            key_id: "oversight".into(),
            age_recipient: colleague.to_public().to_string(),
            oversight: true,
        },
    ];
    write_case(&home, &case, &[]);
    (home, reporter, colleague)
}

/// Reads an outbox file and checks its signature with alice's key.
fn signed_file(home: &TestHome, path: &std::path::Path) -> SignedRequestFile {
    let file: SignedRequestFile = serde_json::from_slice(&read(path)).expect("request file");
    assert_eq!((file.version.as_str(), file.deployment_id.as_str()), ("amana-signed-request-v1", DEP));
    let entry: amana_core::keyring::ReviewerEntry =
        toml::from_str(&String::from_utf8_lossy(&read(&home.file("public-entry.toml")))).expect("entry");
    let pk = B64.decode(entry.ed25519_public_key).expect("b64");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    // Signed with the hour, not the second (docs/FORMATS.md §3): up to an hour old.
    assert_eq!(file.timestamp % signing::TIMESTAMP_GRANULARITY_SECS, 0);
    assert_eq!(
        signing::verify(&pk, &file.parts(), &file.signature, now, signing::TIMESTAMP_GRANULARITY_SECS + 600),
        Ok(())
    );
    file
}

/// Writes an executable shell script.
fn script(path: &std::path::Path, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, format!("#!/bin/sh\n{body}")).expect("script");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

fn open(age_b64: &str, identity: &age::x25519::Identity) -> Option<Payload> {
    let ct = B64.decode(age_b64).expect("b64");
    let plain = envelope::decrypt(&ct, &[identity]).ok()?;
    Some(Payload::decode(&plain).expect("payload"))
}

#[test]
fn offline_status_with_a_note_goes_to_the_outbox_for_reviewers_only() {
    let (home, reporter, colleague) = laptop();
    let before = read(&home.case_dir("case-7").join("case.json"));
    home.cmd()
        .args(["--offline", "status", "case-7", "in_review", "--note", "رقم الملف ٤٥"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("case case-7: acknowledged -> in_review")
                .and(predicate::str::contains("signed offline, not sent yet"))
                .and(predicate::str::contains("note for reviewers encrypted to: alice, oversight")),
        );
    let files = home.outbox();
    assert_eq!(files.len(), 1);
    assert!(files[0].ends_with("000001-case-7-status.json"), "{files:?}");
    let file = signed_file(&home, &files[0]);
    assert_eq!((file.method.as_str(), file.path.as_str()), ("POST", "/api/v1/review/cases/case-7/status"));
    let change: StatusChange = serde_json::from_str(&file.body).expect("body");
    assert_eq!(change.status, Status::InReview);
    // Bound to the history this home verified: its last event.
    let head = home.case_json("case-7").events.last().map(|e| e.hash.clone()).expect("head");
    assert_eq!(change.head, head);
    let note_b64 = change.note_age_b64.expect("note");
    let note = open(&note_b64, &colleague).expect("the colleague reads the note");
    assert_eq!(
        (note.part, note.body.as_str(), note.author.as_deref()),
        (Part::Note, "رقم الملف ٤٥", Some("alice"))
    );
    assert!(open(&note_b64, &home.identity()).is_some(), "the author reads it too");
    assert!(open(&note_b64, &reporter).is_none(), "never the reporter");
    // Not applied locally until the server has it; but the next check counts it.
    assert_eq!(read(&home.case_dir("case-7").join("case.json")), before);
    home.cmd()
        .args(["--offline", "status", "case-7", "in_review"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("is `in_review` and cannot move to `in_review`"));
    home.cmd()
        .args(["--offline", "status", "case-7", "needs_info"])
        .assert()
        .success()
        .stdout(predicate::str::contains("(counting 1 pending in the outbox)"));
    assert_eq!(home.outbox().len(), 2);
    // The second queued action names the same verified head, not the first one's result.
    let second: StatusChange =
        serde_json::from_str(&signed_file(&home, &home.outbox()[1]).body).expect("body");
    assert_eq!(second.head, head);
}

#[test]
fn offline_reply_is_encrypted_to_the_reporter_and_every_reviewer() {
    let (home, reporter, colleague) = laptop();
    let text = "شكراً لبلاغك. نحتاج تاريخ الواقعة.";
    home.cmd()
        .args(["--offline", "reply", "case-7", "--message", text])
        .assert()
        .success()
        .stdout(predicate::str::contains("reply encrypted to: the reporter, alice, oversight"));
    let files = home.outbox();
    let file = signed_file(&home, &files[0]);
    assert!(files[0].ends_with("000001-case-7-reply.json"));
    assert_eq!(file.path, "/api/v1/review/cases/case-7/replies");
    let upload: ReplyUpload = serde_json::from_str(&file.body).expect("body");
    assert_eq!(Some(upload.head.clone()), home.case_json("case-7").events.last().map(|e| e.hash.clone()));
    for who in [&reporter, &colleague, &home.identity()] {
        let p = open(&upload.age_b64, who).expect("readable");
        assert_eq!((p.part, p.body.as_str(), p.author.as_deref()), (Part::Reply, text, Some("alice")));
        assert_eq!(p.written_on, time::OffsetDateTime::now_utc().date());
    }
    assert!(!String::from_utf8_lossy(&read(&files[0])).contains("شكراً"), "no plaintext in the outbox");
}

#[test]
fn reply_text_from_a_file_or_the_editor_and_the_draft_is_removed() {
    let (home, reporter, _) = laptop();
    let dir = tempfile::tempdir().expect("tempdir");
    let from_file = dir.path().join("reply.txt");
    std::fs::write(&from_file, "from a file\n").expect("write");
    home.cmd().args(["--offline", "reply", "case-7", "--file"]).arg(&from_file).assert().success();
    // An "editor" that keeps the template it was given, writes the reply above it, and
    // records where its draft was.
    let editor = dir.path().join("editor.sh");
    let seen = dir.path().join("seen");
    let template = dir.path().join("template");
    script(
        &editor,
        &format!(
            "cp \"$1\" '{}'\n{{ printf 'from the editor'; cat \"$1\"; }} > \"$1.new\" && cat \"$1.new\" > \"$1\" && rm \"$1.new\"\necho \"$1\" > '{}'\n",
            template.display(),
            seen.display()
        ),
    );
    home.cmd().args(["--offline", "reply", "case-7"]).env("EDITOR", &editor).assert().success();
    let template = std::fs::read_to_string(&template).expect("the draft's template");
    assert!(template.contains("# Reply to case case-7 (") && template.contains("left out"), "{template}");
    let draft = std::fs::read_to_string(&seen).expect("editor ran");
    let draft = std::path::PathBuf::from(draft.trim());
    assert!(draft.starts_with(&home.path), "draft inside the home: {}", draft.display());
    assert!(!draft.exists(), "draft removed");
    let bodies: Vec<String> = home
        .outbox()
        .iter()
        .map(|f| {
            let file: SignedRequestFile = serde_json::from_slice(&read(f)).expect("file");
            let upload: ReplyUpload = serde_json::from_str(&file.body).expect("body");
            open(&upload.age_b64, &reporter).expect("reporter").body.clone()
        })
        .collect();
    assert_eq!(bodies, ["from a file\n", "from the editor"]);
}

#[test]
fn empty_replies_are_refused_and_nothing_is_signed() {
    let (home, _, _) = laptop();
    let dir = tempfile::tempdir().expect("tempdir");
    let blank = dir.path().join("blank.txt");
    std::fs::write(&blank, " \n\n").expect("write");
    let empty_editor = dir.path().join("true.sh");
    script(&empty_editor, "exit 0\n");
    let cases: [(&[&str], Option<&std::path::Path>); 3] = [
        (&["--message", "   "], None),
        (&["--file", blank.to_str().expect("utf8")], None),
        (&[], Some(&empty_editor)),
    ];
    for (args, editor) in cases {
        let mut cmd = home.cmd();
        cmd.args(["--offline", "reply", "case-7"]).args(args);
        match editor {
            Some(e) => cmd.env("EDITOR", e),
            None => cmd.env_remove("EDITOR"),
        };
        cmd.assert().failure().stderr(predicate::str::contains("the reply is empty: nothing was signed"));
    }
    home.cmd()
        .args(["--offline", "reply", "case-7"])
        .env_remove("EDITOR")
        .assert()
        .failure()
        .stderr(predicate::str::contains("pass --message TEXT or --file PATH, or set EDITOR"));
    assert!(home.outbox().is_empty());
    assert_eq!(
        std::fs::read_dir(&home.path)
            .expect("home")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with("draft-"))
            .count(),
        0
    );
}

#[test]
fn argument_errors() {
    let (home, _, _) = laptop();
    home.cmd()
        .args(["reply", "case-7", "--message", "a", "--file", "b"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("cannot be used with"));
    home.cmd()
        .args(["extend", "case-7", "--days", "3"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--reason"));
    home.cmd()
        .args(["pull", "--out", "x.json"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--authorization"));
    home.cmd()
        .args(["--offline", "pull"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("cannot run with --offline"));
    home.cmd()
        .args(["--offline", "inbox"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("cannot run with --offline"));
    home.cmd()
        .args(["--offline", "status", "nope", "acknowledged"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no pulled case matches `nope`"));
}

#[test]
fn offline_actions_need_the_deployment_id() {
    let home = TestHome::new();
    home.keygen("alice", "health");
    write_case(&home, &bundle("c1", "2026-11-20", &[Status::Received], false), &[]);
    home.cmd().args(["--offline", "status", "c1", "acknowledged"]).assert().failure().stderr(
        predicate::str::contains("no deployment id in").and(predicate::str::contains("deployment_id = ")),
    );
    home.cmd()
        .args(["authorize-pull"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no deployment id"));
    assert!(home.outbox().is_empty());
}

#[test]
fn extension_limits_are_checked_locally() {
    let (home, _, _) = laptop();
    let refuse = |args: &[&str], msg: &str| {
        home.cmd()
            .args(["--offline", "extend", "case-7"])
            .args(args)
            .assert()
            .failure()
            .stderr(predicate::str::contains(msg.to_string()));
    };
    refuse(&["--days", "0", "--reason", "r"], "--days must be at least 1 (you gave 0)");
    refuse(&["--days", "-5", "--reason", "r"], "--days must be at least 1 (you gave -5)");
    refuse(
        &["--days", "184", "--reason", "r"],
        "184 more days would make 184 days of extension in all; the most is 183",
    );
    refuse(&["--days", "30", "--reason", "  "], "the reason is empty");
    home.cmd()
        .args(["--offline", "extend", "case-7", "--days", "150", "--reason", "waiting for the audit report"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("extension by 150 days signed")
                .and(predicate::str::contains("reason encrypted to: alice, oversight")),
        );
    let file: SignedRequestFile = serde_json::from_slice(&read(&home.outbox()[0])).expect("file");
    let ext: Extension = serde_json::from_str(&file.body).expect("body");
    assert_eq!(ext.days, 150);
    assert_eq!(Some(ext.head), home.case_json("case-7").events.last().map(|e| e.hash.clone()));
    // The pending 150 days count: 150 + 40 > 183.
    refuse(&["--days", "40", "--reason", "r"], "(0 used so far, 150 more waiting in the outbox)");
    home.cmd().args(["--offline", "extend", "case-7", "--days", "33", "--reason", "r"]).assert().success();
    // A closed case has no deadline.
    write_case(
        &home,
        &bundle(
            "shut",
            "2026-11-20",
            &[Status::Received, Status::Acknowledged, Status::ClosedUnfounded],
            false,
        ),
        &[],
    );
    home.cmd()
        .args(["--offline", "extend", "shut", "--days", "3", "--reason", "r"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("case shut is closed"));
}
