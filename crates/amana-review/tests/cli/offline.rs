//! `list`, `show` and the local half of `status`: no network.

use amana_core::case::Status;
use amana_core::payload::Part;
use predicates::prelude::*;

use crate::support::{add_envelope, bundle, encrypt, payload, read, write_case, TestHome};

const REPORT_AR: &str = "طلب الموظف رشوة مقابل تسريع المعاملة في مكتب الترخيص.\nالسطر الثاني: ٢٠٢٦";
const CONTACT_AR: &str = "بريد: reporter@example.org";
const FOLLOW_UP: &str = "More detail: it happened twice.";
const REPLY: &str = "شكراً، نحن نتابع الموضوع.";

/// A case with a report, a follow-up and a reply, all encrypted to `recipients`.
fn write_conversation(home: &TestHome, id: &str, recipients: &[&str], oversight_only: bool) {
    let mut case = bundle(id, "2026-11-20", &[Status::Received, Status::Acknowledged], oversight_only);
    // Listed out of order on purpose: `show` puts the report first.
    add_envelope(&mut case, "reply1", Part::Reply, "2026-11-22");
    add_envelope(&mut case, "report1", Part::Report, "2026-11-20");
    add_envelope(&mut case, "follow1", Part::FollowUp, "2026-11-21");
    let files = [
        ("report1", encrypt(&payload(Part::Report, REPORT_AR, Some(CONTACT_AR), "2026-11-20"), recipients)),
        ("follow1", encrypt(&payload(Part::FollowUp, FOLLOW_UP, None, "2026-11-21"), recipients)),
        ("reply1", encrypt(&payload(Part::Reply, REPLY, None, "2026-11-22"), recipients)),
    ];
    write_case(home, &case, &files);
}

fn other_recipient() -> String {
    age::x25519::Identity::generate().to_public().to_string()
}

#[test]
fn list_on_an_empty_home_says_what_to_do() {
    let home = TestHome::new();
    home.keygen("alice", "health");
    home.cmd().arg("list").assert().success().stdout("").stderr(
        predicate::str::contains("no cases pulled yet").and(predicate::str::contains("amana-review pull")),
    );
}

#[test]
fn list_puts_the_nearest_deadline_first_and_marks_oversight_only() {
    let home = TestHome::new();
    home.keygen("alice", "health");
    write_case(&home, &bundle("zzz-old", "2026-11-01", &[Status::Received], false), &[]);
    write_case(&home, &bundle("bbb-new", "2026-11-05", &[Status::Received], true), &[]);
    write_case(
        &home,
        &bundle("aaa-new", "2026-11-05", &[Status::Received, Status::Acknowledged], false),
        &[],
    );
    let out = home.cmd().arg("list").assert().success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let ids: Vec<&str> = text.lines().skip(1).filter_map(|l| l.split_whitespace().next()).collect();
    // Acknowledgement due 11-08, then 11-12; the acknowledged case's feedback is due later.
    assert_eq!(ids, ["zzz-old", "bbb-new", "aaa-new"], "{text}");
    let bbb = text.lines().find(|l| l.starts_with("bbb-new")).expect("row");
    assert!(bbb.contains("violation") && bbb.contains("health") && bbb.contains("2026-11-05"));
    assert!(bbb.ends_with("oversight-only"), "{bbb}");
    let aaa = text.lines().find(|l| l.starts_with("aaa-new")).expect("row");
    assert!(aaa.contains("acknowledged") && !aaa.contains("oversight-only"), "{aaa}");
}

#[test]
fn list_honours_the_home_env_var() {
    let home = TestHome::new();
    home.keygen("alice", "health");
    write_case(&home, &bundle("c1", "2026-11-01", &[Status::Received], false), &[]);
    let mut cmd = assert_cmd::Command::cargo_bin("amana-review").expect("binary");
    cmd.env("AMANA_REVIEW_HOME", &home.path)
        .arg("list")
        .assert()
        .success()
        .stdout(predicate::str::contains("c1"));
}

#[test]
fn show_decrypts_offline_and_keeps_arabic_intact() {
    let home = TestHome::new();
    let me = home.keygen("alice", "health");
    write_conversation(&home, "case-ar-1", &[&me.age_recipient, &other_recipient()], false);
    // A prefix is enough when it is unique.
    let out = home.cmd().args(["show", "case-ar"]).assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).expect("UTF-8 output");
    assert!(text.contains(REPORT_AR), "{text}");
    assert!(text.contains(CONTACT_AR) && text.contains(FOLLOW_UP) && text.contains(REPLY), "{text}");
    for line in ["case            case-ar-1", "status          acknowledged", "oversight only  no"] {
        assert!(text.contains(line), "missing {line:?} in {text}");
    }
    assert!(text.contains("acknowledged by alice"), "history: {text}");
    let pos = |s: &str| text.find(s).expect(s);
    assert!(pos(REPORT_AR) < pos(FOLLOW_UP) && pos(FOLLOW_UP) < pos(REPLY), "order: {text}");
    assert!(text.contains("written 2026-11-20") && text.contains("reply by alice"), "{text}");
}

#[test]
fn show_needs_the_right_passphrase() {
    let home = TestHome::new();
    let out = home
        .cmd()
        .args(["keygen", "--id", "alice", "--agency", "health"])
        .env("AMANA_REVIEW_PASSPHRASE", "correct horse battery")
        .assert()
        .success();
    let me: amana_core::keyring::ReviewerEntry =
        toml::from_str(&String::from_utf8_lossy(&out.get_output().stdout)).expect("entry");
    write_conversation(&home, "c1", &[&me.age_recipient], false);
    let out = home
        .cmd()
        .args(["show", "c1"])
        .env("AMANA_REVIEW_PASSPHRASE", "wrong horse")
        .assert()
        .failure()
        .stderr(predicate::str::contains("identity.age: wrong passphrase"))
        .stdout("");
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert_eq!(stderr.matches("wrong passphrase").count(), 1, "said once: {stderr}");
    home.cmd()
        .args(["show", "c1"])
        .env("AMANA_REVIEW_PASSPHRASE", "correct horse battery")
        .assert()
        .success()
        .stdout(predicate::str::contains(REPORT_AR));
}

#[test]
fn show_of_a_case_for_another_key_says_so() {
    let home = TestHome::new();
    home.keygen("alice", "health");
    write_conversation(&home, "not-mine", &[&other_recipient()], true);
    home.cmd()
        .args(["show", "not-mine"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("case not-mine is not encrypted to your key"))
        .stdout("");
}

#[test]
fn show_escapes_terminal_control_sequences() {
    let home = TestHome::new();
    let me = home.keygen("alice", "health");
    let mut case = bundle("esc", "2026-11-20", &[Status::Received], false);
    add_envelope(&mut case, "r", Part::Report, "2026-11-20");
    let body = "hello \u{1b}]0;pwned\u{7} مرحبا";
    write_case(
        &home,
        &case,
        &[("r", encrypt(&payload(Part::Report, body, None, "2026-11-20"), &[&me.age_recipient]))],
    );
    let out = home.cmd().args(["show", "esc"]).assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).expect("utf8");
    assert!(!text.contains('\u{1b}') && !text.contains('\u{7}'), "{text:?}");
    assert!(text.contains("hello \\u{1b}]0;pwned\\u{7} مرحبا"), "{text}");
}

#[test]
fn show_of_an_unknown_case() {
    let home = TestHome::new();
    home.keygen("alice", "health");
    write_case(&home, &bundle("c1", "2026-11-01", &[Status::Received], false), &[]);
    home.cmd()
        .args(["show", "nope"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no pulled case matches `nope`"));
}

#[test]
fn commands_without_keys_point_to_keygen() {
    let home = TestHome::new();
    std::fs::create_dir_all(home.path.join("cases")).expect("mkdir");
    write_case(&home, &bundle("c1", "2026-11-01", &[Status::Received], false), &[]);
    home.cmd()
        .args(["show", "c1"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no reviewer keys in").and(predicate::str::contains("keygen")));
}

#[test]
fn invalid_transition_is_refused_locally() {
    let home = TestHome::new();
    home.keygen("alice", "health");
    write_case(&home, &bundle("c1", "2026-11-01", &[Status::Received], false), &[]);
    let before = read(&home.case_dir("c1").join("case.json"));
    // No server is configured: the refusal cannot have come from one.
    home.cmd().args(["status", "c1", "closed_unfounded"]).assert().failure().stderr(
        predicate::str::contains(
            "case c1 is `received` and cannot move to `closed_unfounded`; allowed next: acknowledged",
        ),
    );
    assert_eq!(read(&home.case_dir("c1").join("case.json")), before);
}

#[test]
fn valid_transition_needs_a_server() {
    let home = TestHome::new();
    home.keygen("alice", "health");
    write_case(&home, &bundle("c1", "2026-11-01", &[Status::Received], false), &[]);
    home.cmd()
        .args(["status", "c1", "acknowledged"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no server address"));
    assert_eq!(home.case_json("c1").status, Status::Received, "not changed locally");
}

#[test]
fn unknown_status_names_are_listed() {
    let home = TestHome::new();
    home.cmd()
        .args(["status", "c1", "done"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("acknowledged, in_review, needs_info"));
}

#[test]
fn show_of_a_case_with_a_missing_envelope_says_to_pull_again() {
    let home = TestHome::new();
    let me = home.keygen("alice", "health");
    write_conversation(&home, "c1", &[&me.age_recipient], false);
    std::fs::remove_file(home.case_dir("c1").join("follow1.age")).expect("remove");
    home.cmd()
        .args(["show", "c1"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("follow1.age is missing: run `amana-review pull`"))
        .stdout("");
}
