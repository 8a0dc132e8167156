//! `import` of a carried bundle: verified like a pull, and the roster and history it brings
//! cannot be swapped or rolled back.

use std::path::{Path, PathBuf};

use amana_core::case::Status;
use amana_core::payload::Part;
use amana_core::signing::SignedRequestFile;
use amana_core::wire::CaseBundle;
use predicates::prelude::*;

use crate::support::{case_list, encrypt, payload, read, roster_for, Kit, TestHome, DEP};

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
