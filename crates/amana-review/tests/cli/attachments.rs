//! Attachments on `pull`, `import` and `show`: ciphertext fetched once, streamed, checked
//! for length, listed with escaped names.

use amana_core::keyring::ReviewerEntry;
use amana_core::wire::AgencyList;
use predicates::prelude::*;

use crate::support::{
    add_attachment, bundle, case_list, encrypt_attachment, read, write_case_with_files, Stub, TestHome, DEP,
};
use amana_core::case::{Kind, Status};

const OCTETS: &str = "application/octet-stream";

fn agencies() -> (u16, &'static str, Vec<u8>) {
    let list = AgencyList { deployment_id: DEP.into(), agencies: vec![], kinds: vec![Kind::Violation] };
    (200, "application/json", serde_json::to_vec(&list).expect("json"))
}

fn json(body: String) -> (u16, &'static str, Vec<u8>) {
    (200, "application/json", body.into_bytes())
}

/// A one-case list whose report came with one file (`att-1`: `content`, `meta`), for `me`.
fn list_with_file(kit: &crate::support::Kit, me: &ReviewerEntry, content: &[u8], meta: &[u8]) -> String {
    let report = crate::support::encrypt(
        &crate::support::payload(amana_core::payload::Part::Report, "x", None, "2026-11-20"),
        &[&me.age_recipient],
    );
    let mut case = kit.case("case-1", report, &[("alice", &me.age_recipient)], &me.age_recipient);
    add_attachment(&mut case, "att-1", "rep", content, meta);
    case_list(&[kit.wire()], vec![case])
}

#[test]
fn pull_fetches_each_file_once_and_show_lists_it() {
    let home = TestHome::new();
    let me = home.keygen("alice", "health");
    let kit = home.kit("alice");
    let photo: Vec<u8> = (0..1_500_000u32).map(|i| (i % 253) as u8).collect();
    let (content, meta) =
        encrypt_attachment(&photo, "photo\u{202E}gpj.exe", "image/jpeg", &[&me.age_recipient]);
    let report = crate::support::encrypt(
        &crate::support::payload(amana_core::payload::Part::Report, "see the photo", None, "2026-11-20"),
        &[&me.age_recipient],
    );
    let mut case = kit.case("case-1", report, &[("alice", &me.age_recipient)], &me.age_recipient);
    add_attachment(&mut case, "att-1", "rep", &content, &meta);
    let list = case_list(&[kit.wire()], vec![case]);
    let stub = Stub::start_raw(vec![agencies(), json(list.clone()), (200, OCTETS, content.clone())]);

    let out = home.cmd().args(["pull", "--server", &stub.url]).assert().success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(stdout.contains("attachments: 1 fetched"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        !stderr.contains('\r') && !stderr.contains('\u{1b}'),
        "no progress bar off a terminal: {stderr:?}"
    );
    let _ = (stub.next(), stub.next());
    let fetch = stub.next();
    assert_eq!(
        (fetch.method.as_str(), fetch.path.as_str()),
        ("GET", "/api/v1/review/cases/case-1/attachments/att-1")
    );
    assert!(fetch.header(amana_core::signing::HEADER_SIGNATURE).is_some(), "signed like the case list");
    let stored = home.case_dir("case-1").join("attachments").join("att-1.age");
    assert_eq!(read(&stored), content, "the ciphertext, byte for byte");
    assert_eq!(home.case_json("case-1").attachments.len(), 1);

    // Already complete: a second pull asks only for the list.
    let stub = Stub::start_raw(vec![json(list)]);
    let out = home.cmd().args(["pull", "--server", &stub.url]).assert().success();
    assert!(String::from_utf8_lossy(&out.get_output().stdout)
        .contains("0 fetched (0 bytes, still encrypted), 1 already here"));

    home.cmd().args(["show", "case-1"]).assert().success().stdout(
        predicate::str::contains("attachments (1)")
            .and(predicate::str::contains("\"photo\\u{202e}gpj.exe\""))
            .and(predicate::str::contains("1500000 bytes  with the report  fetched"))
            .and(predicate::str::contains('\u{202E}').not()),
    );
}

#[test]
fn a_short_or_long_download_is_refused_and_leaves_no_file() {
    let home = TestHome::new();
    let me = home.keygen("alice", "health");
    let kit = home.kit("alice");
    let (content, meta) = encrypt_attachment(b"evidence", "a.txt", "text/plain", &[&me.age_recipient]);
    let list = list_with_file(&kit, &me, &content, &meta);
    let mut longer = content.clone();
    longer.extend_from_slice(b"extra");
    for (first, body) in [(true, content[..content.len() - 10].to_vec()), (false, longer)] {
        // The deployment id is asked for once, then remembered.
        let mut answers = if first { vec![agencies()] } else { vec![] };
        answers.extend([json(list.clone()), (200, OCTETS, body)]);
        let stub = Stub::start_raw(answers);
        home.cmd().args(["pull", "--server", &stub.url]).assert().failure().stderr(
            predicate::str::contains("case lists").and(predicate::str::contains("could not be fetched")),
        );
        let dir = home.case_dir("case-1").join("attachments");
        let files: Vec<_> = std::fs::read_dir(&dir).map(|d| d.flatten().collect()).unwrap_or_default();
        assert!(files.is_empty(), "{files:?}");
    }
    // The case itself was stored; show says the file is not here.
    home.cmd().args(["show", "case-1"]).assert().success().stdout(predicate::str::contains("NOT fetched"));
}

#[test]
fn a_content_other_than_the_recorded_one_is_refused() {
    let home = TestHome::new();
    let me = home.keygen("alice", "health");
    let kit = home.kit("alice");
    let (content, meta) = encrypt_attachment(b"evidence", "a.txt", "text/plain", &[&me.age_recipient]);
    // Other bytes of the listed length: the digest the attested submission records tells
    // them apart before anything is decrypted.
    let mut other = content.clone();
    let last = other.len() - 1;
    other[last] ^= 0x55;
    let list = list_with_file(&kit, &me, &content, &meta);
    let stub = Stub::start_raw(vec![agencies(), json(list), (200, OCTETS, other)]);
    home.cmd().args(["pull", "--server", &stub.url]).assert().failure().stderr(
        predicate::str::contains("not the file the case's attested history records")
            .and(predicate::str::contains("could not be fetched")),
    );
    let dir = home.case_dir("case-1").join("attachments");
    let files: Vec<_> = std::fs::read_dir(&dir).map(|d| d.flatten().collect()).unwrap_or_default();
    assert!(files.is_empty(), "{files:?}");
}

#[test]
fn an_imported_bundle_lists_files_without_content() {
    let home = TestHome::new();
    let me = home.keygen_offline("alice", "health");
    let kit = home.kit("alice");
    let (content, meta) = encrypt_attachment(b"scan", "scan.pdf", "application/pdf", &[&me.age_recipient]);
    let bundle_file = home.path.with_extension("bundle.json");
    std::fs::write(&bundle_file, list_with_file(&kit, &me, &content, &meta)).expect("bundle");
    home.cmd()
        .args(["--offline", "import"])
        .arg(&bundle_file)
        .assert()
        .success()
        .stdout(predicate::str::contains("1 attachment file was not fetched"));
    home.cmd().args(["show", "case-1"]).assert().success().stdout(predicate::str::contains(
        "\"scan.pdf\"  \"application/pdf\"  4 bytes  with the report  NOT fetched",
    ));
    let out = home.path.parent().expect("parent").join("out");
    home.cmd()
        .args(["export", "case-1"])
        .arg(&out)
        .assert()
        .failure()
        .stderr(predicate::str::contains("air-gapped import carries only the file list"));
}

#[test]
fn show_lists_files_sent_with_a_follow_up() {
    let home = TestHome::new();
    let me = home.keygen_offline("alice", "health");
    let mut b = bundle("case-2", "2026-11-01", &[Status::Received], false);
    crate::support::add_envelope(&mut b, "fu1", amana_core::payload::Part::FollowUp, "2026-11-05");
    write_case_with_files(&home, &mut b, &me.age_recipient, &[("att-9", "more.txt", b"later".to_vec())]);
    b.attachments[0].envelope_id = "fu1".into();
    crate::support::write_case(&home, &b, &[]);
    let fu = crate::support::encrypt(
        &crate::support::payload(amana_core::payload::Part::FollowUp, "more", None, "2026-11-05"),
        &[&me.age_recipient],
    );
    std::fs::write(home.case_dir("case-2").join("fu1.age"), fu).expect("envelope");
    home.cmd().args(["show", "case-2"]).assert().success().stdout(
        predicate::str::contains("\"more.txt\"")
            .and(predicate::str::contains("with the follow-up of 2026-11-05  fetched")),
    );
}
