//! A reviewer home in a temp directory, the real binary run in it, and cases written into
//! it by hand as a pull would.

use std::path::{Path, PathBuf};
use std::time::Duration;

use amana_core::keyring::ReviewerEntry;
use amana_core::wire::{CaseBundle, ReviewerKeyWire};
use amana_testkit::Signer;
use assert_cmd::Command;
use time::Date;

use super::*;

/// A temporary reviewer home (not created yet: keygen creates it).
pub struct TestHome {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl TestHome {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("reviewer");
        Self { _dir: dir, path }
    }

    /// The binary with `--home`, and none of the caller's environment leaking in.
    pub fn cmd(&self) -> Command {
        let mut cmd = Command::cargo_bin("amana-review").expect("binary");
        cmd.arg("--home")
            .arg(&self.path)
            .env_remove("AMANA_REVIEW_HOME")
            .env_remove("AMANA_SERVER")
            .env_remove("AMANA_REVIEW_PASSPHRASE")
            .timeout(Duration::from_secs(120));
        cmd
    }

    /// `keygen --no-passphrase` for `id` serving `agency`.
    pub fn keygen(&self, id: &str, agency: &str) -> ReviewerEntry {
        let out = self
            .cmd()
            .args(["keygen", "--id", id, "--agency", agency, "--no-passphrase"])
            .args(["--roster-fingerprint", &anchor_fingerprint()])
            .assert()
            .success();
        toml::from_str(&String::from_utf8_lossy(&out.get_output().stdout)).expect("entry")
    }

    /// `keygen --no-passphrase --deployment-id DEP`: a laptop that never went online.
    pub fn keygen_offline(&self, id: &str, agency: &str) -> ReviewerEntry {
        let out = self
            .cmd()
            .args(["keygen", "--id", id, "--agency", agency, "--no-passphrase", "--deployment-id", DEP])
            .args(["--roster-fingerprint", &anchor_fingerprint()])
            .assert()
            .success();
        toml::from_str(&String::from_utf8_lossy(&out.get_output().stdout)).expect("entry")
    }

    /// The home's age identity.
    pub fn identity(&self) -> age::x25519::Identity {
        let text = std::fs::read_to_string(self.file("identity.age")).expect("identity");
        amana_core::reviewer_keys::parse_identity_file(&text).expect("parse identity")
    }

    /// The home's signing key, as a fixture signer with its key id.
    pub fn kit(&self, key_id: &str) -> Kit {
        let text = std::fs::read_to_string(self.file("signing.key")).expect("signing key");
        let key = amana_core::reviewer_keys::parse_signing_key_file(&text).expect("parse");
        Kit(Signer { key, key_id: key_id.into(), deployment_id: DEP.into() })
    }

    /// The files in the outbox, in order.
    pub fn outbox(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.path.join("outbox"))
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file()).collect())
            .unwrap_or_default();
        files.sort();
        files
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    pub fn case_dir(&self, id: &str) -> PathBuf {
        self.path.join("cases").join(id)
    }

    /// The local case.json of `id`.
    pub fn case_json(&self, id: &str) -> CaseBundle {
        let text = std::fs::read(self.case_dir(id).join("case.json")).expect("case.json");
        serde_json::from_slice(&text).expect("parse case.json")
    }
}

pub fn date(s: &str) -> Date {
    Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).expect("date")
}

/// Writes a roster into `home` as a pull would have, covering every case the home holds.
pub fn write_roster(home: &TestHome, keys: &[ReviewerKeyWire]) {
    let mut cases = Vec::new();
    for e in std::fs::read_dir(home.path.join("cases")).into_iter().flatten().flatten() {
        if let Ok(bytes) = std::fs::read(e.path().join("case.json")) {
            cases.push(serde_json::from_slice::<CaseBundle>(&bytes).expect("case.json"));
        }
    }
    let signed = signed_roster(keys, &cases);
    std::fs::write(home.file("roster.json"), serde_json::to_vec_pretty(&signed).expect("json"))
        .expect("roster");
}

/// Writes a pulled case by hand, as `pull` would: case.json and `<envelope>.age` files.
pub fn write_case(home: &TestHome, bundle: &CaseBundle, files: &[(&str, Vec<u8>)]) {
    let dir = home.case_dir(&bundle.id);
    std::fs::create_dir_all(&dir).expect("mkdir");
    for (id, bytes) in files {
        std::fs::write(dir.join(format!("{id}.age")), bytes).expect("write envelope");
    }
    std::fs::write(dir.join("case.json"), serde_json::to_vec(bundle).expect("json")).expect("write");
    write_roster(home, &[]);
}

/// Reads a whole file, for before/after comparisons.
pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).expect("read")
}

/// Writes a pulled case with fetched attachments: `(id, original name, content)` each,
/// encrypted to `recipient`.
pub fn write_case_with_files(
    home: &TestHome,
    bundle: &mut CaseBundle,
    recipient: &str,
    files: &[(&str, &str, Vec<u8>)],
) {
    let dir = home.case_dir(&bundle.id).join("attachments");
    std::fs::create_dir_all(&dir).expect("mkdir");
    for (id, name, data) in files {
        let (content, meta) = encrypt_attachment(data, name, "application/octet-stream", &[recipient]);
        std::fs::write(dir.join(format!("{id}.age")), &content).expect("write attachment");
        add_attachment(bundle, id, "rep", &content, &meta);
    }
    write_case(home, bundle, &[]);
}
