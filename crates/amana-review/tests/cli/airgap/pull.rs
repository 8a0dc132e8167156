//! `authorize-pull` on the laptop and `pull --authorization` on the connected machine.

use amana_core::signing::{self, SignedRequestFile};
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use predicates::prelude::*;

use crate::support::{case_list, read, Stub, TestHome, DEP};

use super::connected;

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
            ("GET", "/api/v1/review/cases?format=4", "")
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
    assert_eq!((req.method.as_str(), req.path.as_str()), ("GET", "/api/v1/review/cases?format=4"));
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

/// The connected machine writes the answer to disk as it arrives: an answer six times larger
/// (3,000 cases against 500) costs it far less extra memory than its size; the bundle is the
/// answer byte for byte and appears only when complete. A wrong answer leaves no file.
#[test]
#[cfg(target_os = "linux")]
fn pull_with_an_authorization_writes_a_large_answer_in_flat_memory() {
    let laptop = TestHome::new();
    laptop.keygen_offline("alice", "health");
    let kit = laptop.kit("alice");
    let usb = tempfile::tempdir().expect("usb");
    let auth = usb.path().join("auth.json");
    laptop.cmd().args(["authorize-pull", "--out"]).arg(&auth).assert().success();
    let empty = tempfile::tempdir().expect("empty home");
    let bundle = usb.path().join("bundle.json");
    let part = usb.path().join("bundle.json.part");
    let fetch = |answer: String| {
        let stub = Stub::start(vec![(200, answer)]);
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("amana-review"));
        cmd.env("HOME", empty.path()).args(["--server", &stub.url, "pull", "--authorization"]);
        cmd.arg(&auth).arg("--out").arg(&bundle);
        super::peak_kib(cmd)
    };
    let mut peaks = Vec::new();
    for n in [500, 3_000] {
        let answer = case_list(&[kit.wire()], super::import::many_cases(&laptop, &kit, n));
        let (peak, out) = fetch(answer.clone());
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.contains(&format!("({n} cases, still encrypted)")), "{stdout}");
        assert!(read(&bundle) == answer.as_bytes() && !part.exists(), "the answer byte for byte");
        peaks.push((peak, answer.len() as u64));
    }
    let ((small_kib, _), (large_kib, large_bytes)) = (peaks[0], peaks[1]);
    eprintln!("peak RSS: {small_kib} KiB (500 cases), {large_kib} KiB (3000 cases, {large_bytes} bytes)");
    let grew = large_kib.saturating_sub(small_kib);
    assert!(grew * 1024 < large_bytes / 4, "grew by {grew} KiB for {large_bytes} bytes: not streamed");

    std::fs::remove_file(&bundle).expect("rm");
    let (_, out) = fetch("<html>a captive portal</html>".into());
    assert!(!out.status.success() && !bundle.exists() && !part.exists(), "a wrong answer leaves no file");
}

/// The laptop's public signing key, from its public entry.
fn public_key(home: &TestHome) -> Vec<u8> {
    let entry: amana_core::keyring::ReviewerEntry =
        toml::from_str(&String::from_utf8_lossy(&read(&home.file("public-entry.toml")))).expect("entry");
    B64.decode(entry.ed25519_public_key).expect("b64")
}
