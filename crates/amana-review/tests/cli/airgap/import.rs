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

/// `n` cases (`case-00000`…), each with a 6 KB report for the laptop's key.
pub(super) fn many_cases(laptop: &TestHome, kit: &Kit, n: usize) -> Vec<CaseBundle> {
    let me: amana_core::keyring::ReviewerEntry =
        toml::from_str(&String::from_utf8_lossy(&read(&laptop.file("public-entry.toml")))).expect("entry");
    let body = "x".repeat(6_000);
    let report = encrypt(&payload(Part::Report, &body, None, "2026-11-20"), &[&me.age_recipient]);
    let readers = [("alice", me.age_recipient.as_str())];
    (0..n).map(|i| kit.case(&format!("case-{i:05}"), report.clone(), &readers, &me.age_recipient)).collect()
}

/// A whole-list bundle of [`many_cases`]; returns its path and size.
fn big_bundle(dir: &Path, name: &str, laptop: &TestHome, kit: &Kit, n: usize) -> (PathBuf, u64) {
    let path = write_bundle(dir, name, kit, many_cases(laptop, kit, n));
    let size = std::fs::metadata(&path).expect("size").len();
    (path, size)
}

/// A bundle read a part (500 cases) at a time is still checked as one list: a case listed
/// in the first part and again in the second is refused both times, the others are stored.
#[test]
fn a_case_listed_twice_in_two_parts_of_a_bundle_is_refused() {
    let laptop = TestHome::new();
    laptop.keygen_offline("alice", "health");
    let kit = laptop.kit("alice");
    let usb = tempfile::tempdir().expect("usb");
    let mut cases = many_cases(&laptop, &kit, 501);
    cases[500] = cases[0].clone();
    let bundle = write_bundle(usb.path(), "twice.json", &kit, cases);
    let out = laptop.cmd().arg("import").arg(&bundle).assert().failure();
    let (stdout, stderr) = (&out.get_output().stdout, &out.get_output().stderr);
    let (stdout, stderr) = (String::from_utf8_lossy(stdout), String::from_utf8_lossy(stderr));
    assert!(stdout.starts_with("imported 499 cases (499 new)"), "{stdout}");
    assert!(stderr.contains("QUARANTINED case case-00000") && stderr.contains("listed twice"), "{stderr}");
    assert!(!laptop.case_dir("case-00000").exists(), "neither copy is stored");
}

#[cfg(target_os = "linux")]
/// `import BUNDLE` by the real binary into a fresh home of alice; its peak RSS in KiB and
/// what it printed.
fn import_peak_kib(bundle: &Path, keys_from: &TestHome) -> (u64, String) {
    let home = TestHome::new();
    copy_dir(&keys_from.path, &home.path);
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("amana-review"));
    cmd.arg("--home").arg(&home.path).arg("import").arg(bundle);
    let (peak, out) = super::peak_kib(cmd);
    assert!(out.status.success(), "import: {}", String::from_utf8_lossy(&out.stderr));
    (peak, String::from_utf8_lossy(&out.stdout).into_owned())
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// `import` reads a bundle a part at a time: a bundle six times larger (3,000 cases against
/// 500, one part) costs the CLI far less extra memory than its own size, where reading it
/// whole costs more than its size (the file, then every case parsed from it).
#[test]
#[cfg(target_os = "linux")]
fn import_streams_a_large_bundle_in_flat_memory() {
    let laptop = TestHome::new();
    laptop.keygen_offline("alice", "health");
    let kit = laptop.kit("alice");
    let usb = tempfile::tempdir().expect("usb");
    let (small, _) = big_bundle(usb.path(), "small.json", &laptop, &kit, 500);
    let (large, large_bytes) = big_bundle(usb.path(), "large.json", &laptop, &kit, 3_000);
    let (small_kib, out) = import_peak_kib(&small, &laptop);
    assert!(out.starts_with("imported 500 cases (500 new)"), "{out}");
    let (large_kib, out) = import_peak_kib(&large, &laptop);
    assert!(out.starts_with("imported 3000 cases (3000 new)"), "{out}");
    let grew = large_kib.saturating_sub(small_kib);
    eprintln!(
        "peak RSS: {small_kib} KiB (500 cases), {large_kib} KiB (3000 cases, bundle {large_bytes} bytes)"
    );
    assert!(
        grew * 1024 < large_bytes / 4,
        "import grew by {grew} KiB for a bundle of {large_bytes} bytes: it is not streamed"
    );
}
