//! `keygen`.

use amana_core::keyring::ReviewerEntry;
use amana_core::reviewer_keys::{self, home::ReviewerConfig};
use predicates::prelude::*;

use crate::support::{read, TestHome};

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).expect("metadata").permissions().mode() & 0o777
}

#[test]
fn creates_private_standard_files() {
    let home = TestHome::new();
    let out = home
        .cmd()
        .args(["keygen", "--id", "alice", "--agency", "health", "--agency", "transport"])
        .args(["--no-passphrase", "--server", "http://127.0.0.1:8080"])
        .assert()
        .success()
        .stderr(predicate::str::contains("keys/reviewers/alice.toml"));
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();

    // The public entry is what the server's keys/ parser expects, and the file copy matches.
    let entry: ReviewerEntry = toml::from_str(&stdout).expect("entry parses");
    assert_eq!(entry.id, "alice");
    assert_eq!(entry.agencies, ["health", "transport"]);
    assert!(!entry.oversight);
    assert_eq!(read(&home.file("public-entry.toml")), stdout.as_bytes());

    // A standard age identity file whose public key is the entry's recipient.
    let identity = String::from_utf8(read(&home.file("identity.age"))).expect("utf8");
    assert!(identity.lines().any(|l| l.starts_with("AGE-SECRET-KEY-1")), "{identity}");
    let parsed = reviewer_keys::parse_identity_file(&identity).expect("identity");
    assert_eq!(parsed.to_public().to_string(), entry.age_recipient);
    let signing = String::from_utf8(read(&home.file("signing.key"))).expect("utf8");
    let key = reviewer_keys::parse_signing_key_file(&signing).expect("signing key");
    assert_eq!(amana_core::signing::public_key_b64(&key), entry.ed25519_public_key);

    let config: ReviewerConfig =
        toml::from_str(&String::from_utf8_lossy(&read(&home.file("config.toml")))).expect("config");
    assert_eq!(config.key_id, "alice");
    assert_eq!(config.server.as_deref(), Some("http://127.0.0.1:8080"));
    assert_eq!(config.deployment_id, None);

    #[cfg(unix)]
    {
        assert_eq!(mode(&home.path), 0o700);
        assert_eq!(mode(&home.file("identity.age")), 0o600);
        assert_eq!(mode(&home.file("signing.key")), 0o600);
    }
}

#[test]
fn oversight_needs_no_agency() {
    let home = TestHome::new();
    let out = home.cmd().args(["keygen", "--id", "ovs", "--oversight", "--no-passphrase"]).assert().success();
    let entry: ReviewerEntry =
        toml::from_str(&String::from_utf8_lossy(&out.get_output().stdout)).expect("entry");
    assert!(entry.oversight && entry.agencies.is_empty());
}

#[test]
fn refuses_to_overwrite_keys() {
    let home = TestHome::new();
    home.keygen("alice", "health");
    let before = (read(&home.file("identity.age")), read(&home.file("signing.key")));
    home.cmd()
        .args(["keygen", "--id", "bob", "--agency", "health", "--no-passphrase"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("already exists: refusing to overwrite"));
    assert_eq!(before, (read(&home.file("identity.age")), read(&home.file("signing.key"))));
}

#[test]
fn needs_an_agency_or_oversight() {
    let home = TestHome::new();
    home.cmd().args(["keygen", "--id", "alice", "--no-passphrase"]).assert().failure().stderr(
        predicate::str::contains("at least one agency (--agency ID")
            .and(predicate::str::contains("(--oversight)")),
    );
    assert!(!home.path.exists(), "nothing is created for a refused keygen");
}

#[test]
fn refuses_ids_the_server_would_refuse() {
    let home = TestHome::new();
    home.cmd()
        .args(["keygen", "--id", "Alice Smith", "--agency", "health", "--no-passphrase"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("invalid key id"));
}

#[test]
fn passphrase_protects_both_files() {
    let home = TestHome::new();
    home.cmd()
        .args(["keygen", "--id", "alice", "--agency", "health"])
        .env("AMANA_REVIEW_PASSPHRASE", "correct horse battery")
        .assert()
        .success();
    for name in ["identity.age", "signing.key"] {
        let text = String::from_utf8(read(&home.file(name))).expect("armoured text");
        assert!(text.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"), "{name}: {text}");
        assert!(!text.contains("AGE-SECRET-KEY-1") && !text.contains("AMANA-SIGNING-KEY-1"));
    }
    // Opening them is covered with `show` in offline.rs (right and wrong passphrase).
}

#[test]
fn empty_passphrase_is_refused() {
    let home = TestHome::new();
    home.cmd()
        .args(["keygen", "--id", "alice", "--agency", "health"])
        .env("AMANA_REVIEW_PASSPHRASE", "")
        .assert()
        .failure()
        .stderr(predicate::str::contains("--no-passphrase"));
    assert!(!home.file("identity.age").exists());
}
