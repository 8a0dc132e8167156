//! `verify-receipt` with receipts issued in-test by `amana_core::receipt::issue`.

use amana_core::receipt::{self, Receipt};
use amana_core::wire::ReceiptKey;
use assert_cmd::Command;
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use predicates::prelude::*;
use ring::signature::{Ed25519KeyPair, KeyPair};

use crate::support::Stub;

const TEXT: &str = "طلب الموظف رشوة مقابل تسريع المعاملة.\r\nThe second counter.\n";

struct Fixture {
    dir: tempfile::TempDir,
    key_b64: String,
    receipt: Receipt,
}

impl Fixture {
    fn new() -> Self {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).expect("gen");
        let key = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("key");
        let receipt = receipt::issue(&key, "amana-test", time::macros::date!(2026 - 11 - 23), TEXT);
        let f = Self {
            dir: tempfile::tempdir().expect("tempdir"),
            key_b64: B64.encode(key.public_key().as_ref()),
            receipt,
        };
        f.write_receipt(&f.receipt);
        f.write_text(TEXT);
        f
    }

    fn write_receipt(&self, r: &Receipt) {
        std::fs::write(self.dir.path().join("receipt.json"), serde_json::to_vec(r).expect("json"))
            .expect("write");
    }

    fn write_text(&self, text: &str) {
        std::fs::write(self.dir.path().join("report.txt"), text).expect("write");
    }

    fn cmd(&self) -> Command {
        let mut cmd = Command::cargo_bin("amana-review").expect("binary");
        cmd.env("HOME", self.dir.path())
            .env_remove("AMANA_REVIEW_HOME")
            .env_remove("AMANA_SERVER")
            .arg("verify-receipt")
            .arg(self.dir.path().join("receipt.json"))
            .arg(self.dir.path().join("report.txt"));
        cmd
    }
}

#[test]
fn a_receipt_verifies_with_the_published_key() {
    let f = Fixture::new();
    f.cmd()
        .args(["--server-key", &f.key_b64])
        .assert()
        .success()
        .stdout("valid: filed on 2026-11-23 at deployment amana-test\n");
    // Line endings and trailing whitespace are normalised (browsers send CRLF).
    f.write_text("طلب الموظف رشوة مقابل تسريع المعاملة.\nThe second counter.   \n\n");
    f.cmd().args(["--server-key", &f.key_b64]).assert().success();
}

#[test]
fn a_modified_text_fails() {
    let f = Fixture::new();
    f.write_text("طلب الموظف رشوة مقابل تسريع المعاملة.\nThe third counter.\n");
    f.cmd()
        .args(["--server-key", &f.key_b64])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains("receipt NOT valid: the text does not match this receipt"));
}

#[test]
fn a_modified_date_or_another_key_fails() {
    let f = Fixture::new();
    let mut later = f.receipt.clone();
    later.date = time::macros::date!(2026 - 11 - 24);
    f.write_receipt(&later);
    f.cmd().args(["--server-key", &f.key_b64]).assert().code(1).stderr(predicate::str::contains(
        "receipt NOT valid: the server's signature on the receipt is not valid",
    ));
    f.write_receipt(&f.receipt);
    let other = B64.encode([7u8; 32]);
    f.cmd().args(["--server-key", &other]).assert().code(1).stderr(predicate::str::contains("NOT valid"));
    f.cmd()
        .args(["--server-key", "short"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--server-key is not a valid Ed25519 public key"));
}

#[test]
fn the_key_can_be_fetched_from_the_server_and_says_so() {
    let f = Fixture::new();
    let published = ReceiptKey { deployment_id: "amana-test".into(), ed25519_public_key: f.key_b64.clone() };
    let stub = Stub::start(vec![(200, serde_json::to_string(&published).expect("json"))]);
    f.cmd().args(["--server", &stub.url]).assert().success().stdout(
        predicate::str::contains(format!("fetched from {}/.well-known/amana-receipt-key", stub.url))
            .and(predicate::str::contains("trusted because that server presented it"))
            .and(predicate::str::contains("valid: filed on 2026-11-23 at deployment amana-test")),
    );
    let req = stub.next();
    assert_eq!((req.method.as_str(), req.path.as_str()), ("GET", "/.well-known/amana-receipt-key"));

    let wrong = ReceiptKey { deployment_id: "elsewhere".into(), ed25519_public_key: f.key_b64.clone() };
    let stub = Stub::start(vec![(200, serde_json::to_string(&wrong).expect("json"))]);
    f.cmd()
        .args(["--server", &stub.url])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("the receipt names deployment amana-test"));
    f.cmd().assert().code(1).stderr(predicate::str::contains("pass --server URL"));
}
