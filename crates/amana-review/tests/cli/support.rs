//! Helpers: run the real binary in a fresh home, build pulled cases by hand, and a tiny
//! loopback HTTP stub that records what the CLI sends.

use amana_core::ciphertext::Ciphertext;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use amana_core::case::{Kind, Status};
use amana_core::events::EventKind;
use amana_core::keyring::ReviewerEntry;
use amana_core::payload::{Part, Payload};
use amana_core::wire::{
    paths, AttachmentWire, CaseBundle, CaseList, EnvelopeWire, Extension, RecipientWire, ReplyUpload,
    ReviewerKeyWire, StatusChange,
};
pub use amana_testkit::chain::head;
use amana_testkit::chain::{empty_bundle, Attesters, NewEvent};
use amana_testkit::Signer;
use assert_cmd::Command;
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde_json::{json, Value};
use time::Date;

/// The deployment id of the test homes and stubs.
pub const DEP: &str = "test-dep";

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

/// A payload as the server or a reviewer would encrypt it.
pub fn payload(part: Part, body: &str, contact: Option<&str>, written_on: &str) -> Payload {
    Payload {
        salt: None,
        part,
        kind: (part == Part::Report).then_some(Kind::Violation),
        agency: (part == Part::Report).then(|| "health".to_string()),
        body: body.into(),
        contact: contact.map(str::to_string),
        written_on: date(written_on),
        author: (part == Part::Reply).then(|| "alice".to_string()),
    }
}

/// A binary age envelope of `payload` for `recipients` (`age1…`).
pub fn encrypt(payload: &Payload, recipients: &[&str]) -> Vec<u8> {
    let list: Vec<String> = recipients.iter().map(|r| r.to_string()).collect();
    let recipients = amana_core::envelope::parse_recipients(&list).expect("recipients");
    let plain = payload.encode().expect("encode");
    amana_core::envelope::encrypt(&plain, &recipients).expect("encrypt")
}

/// A case's metadata with one event per status in `history` (unsigned: for the offline
/// commands, which do not verify history).
pub fn bundle(id: &str, received_on: &str, history: &[Status], oversight_only: bool) -> CaseBundle {
    let dated: Vec<(Status, &str)> = history.iter().map(|s| (*s, received_on)).collect();
    bundle_dated(id, Kind::Violation, received_on, &dated, oversight_only)
}

/// Like [`bundle`], with a date per event.
pub fn bundle_dated(
    id: &str,
    kind: Kind,
    received_on: &str,
    history: &[(Status, &str)],
    oversight_only: bool,
) -> CaseBundle {
    let received = date(received_on);
    let mut b = empty_bundle(id, kind, received, oversight_only);
    for (i, (s, on)) in history.iter().enumerate() {
        let kind = if i == 0 { EventKind::Submitted } else { EventKind::StatusChanged };
        let actor = (i > 0).then(|| "alice".to_string());
        push_event(&mut b, date(on), kind, *s, json!({}), actor, None);
    }
    b.status = history.last().expect("at least one event").0;
    b
}

/// Appends a linked, hashed event.
pub fn push_event(
    b: &mut CaseBundle,
    on: Date,
    kind: EventKind,
    status: Status,
    detail: Value,
    actor: Option<String>,
    signed: Option<String>,
) {
    attesters().push(b, NewEvent { on, kind, status, detail, actor, signed });
}

/// The test server's attestation key and the reporter's key of every fixture case (the
/// roster of [`roster_for`] names the server's).
fn attesters() -> &'static Attesters {
    static A: std::sync::OnceLock<Attesters> = std::sync::OnceLock::new();
    A.get_or_init(|| Attesters::fixed(DEP))
}

/// Recomputes every hash after an edit, as a server rewriting history would (with the
/// server's own key: it re-attests what it attests).
pub fn rehash(b: &mut CaseBundle) {
    attesters().rehash(b);
}

/// A reviewer signing history events the way the server records them.
pub struct Kit(pub Signer);

impl std::ops::Deref for Kit {
    type Target = Signer;
    fn deref(&self) -> &Signer {
        &self.0
    }
}

impl Kit {
    /// A fresh key.
    pub fn new(key_id: &str) -> Self {
        Kit(Signer::generate(key_id, DEP))
    }

    /// A received case with a report envelope (`age` bytes) and its `submitted` event;
    /// readable by `recipients` (key id, age1…), replies also by `reporter`.
    pub fn case(&self, id: &str, report: Vec<u8>, recipients: &[(&str, &str)], reporter: &str) -> CaseBundle {
        let today = time::OffsetDateTime::now_utc().date();
        let mut b = empty_bundle(id, Kind::Violation, today, false);
        b.reporter_recipient = reporter.into();
        b.recipients = recipients
            .iter()
            .map(|(k, r)| RecipientWire {
                key_id: k.to_string(),
                age_recipient: r.to_string(),
                oversight: *k == "oversight",
            })
            .collect();
        b.envelopes.push(EnvelopeWire {
            id: "rep".into(),
            part: Part::Report,
            created_on: today,
            age_b64: B64.encode(report),
        });
        push_event(
            &mut b,
            today,
            EventKind::Submitted,
            Status::Received,
            json!({ "envelope_id": "rep" }),
            None,
            None,
        );
        b
    }

    /// A signed status change recorded today.
    pub fn status(&self, b: &mut CaseBundle, status: Status) {
        let from = b.status;
        let body =
            serde_json::to_string(&StatusChange { status, note_age_b64: None, head: head(b) }).expect("json");
        let signed = self.signed(&paths::status(&b.id), body);
        let detail = json!({ "from": from, "envelope_id": null });
        let today = time::OffsetDateTime::now_utc().date();
        push_event(
            b,
            today,
            EventKind::StatusChanged,
            status,
            detail,
            Some(self.key_id.clone()),
            Some(signed),
        );
        b.status = status;
    }

    /// A signed reply (age bytes `age`) stored as envelope `env`, recorded today.
    pub fn reply(&self, b: &mut CaseBundle, env: &str, age: Vec<u8>) {
        let today = time::OffsetDateTime::now_utc().date();
        let age_b64 = B64.encode(age);
        b.envelopes.push(EnvelopeWire {
            id: env.into(),
            part: Part::Reply,
            created_on: today,
            age_b64: age_b64.clone(),
        });
        let body = serde_json::to_string(&ReplyUpload { age_b64, head: head(b) }).expect("json");
        let signed = self.signed(&paths::replies(&b.id), body);
        let status = b.status;
        push_event(
            b,
            today,
            EventKind::Reply,
            status,
            json!({ "envelope_id": env }),
            Some(self.key_id.clone()),
            Some(signed),
        );
    }

    /// A signed extension by `days` with a reason envelope `env` (age bytes `age`).
    pub fn extend(&self, b: &mut CaseBundle, days: i64, env: &str, age: Vec<u8>) {
        let today = time::OffsetDateTime::now_utc().date();
        let reason_age_b64 = B64.encode(age);
        b.envelopes.push(EnvelopeWire {
            id: env.into(),
            part: Part::Note,
            created_on: today,
            age_b64: reason_age_b64.clone(),
        });
        let body = serde_json::to_string(&Extension { days, reason_age_b64, head: head(b) }).expect("json");
        let signed = self.signed(&paths::extend(&b.id), body);
        let status = b.status;
        let detail = json!({ "days": days, "envelope_id": env });
        push_event(b, today, EventKind::Extended, status, detail, Some(self.key_id.clone()), Some(signed));
        b.extension_days += days;
    }

    fn signed(&self, path: &str, body: String) -> String {
        self.action(path, body)
    }
}

/// A `GET /api/v1/review/cases` answer, with a roster signed by the test anchor in which
/// each case's readers are exactly its recipients and every listed key may sign.
pub fn case_list(keys: &[ReviewerKeyWire], cases: Vec<CaseBundle>) -> String {
    let roster = Some(signed_roster(keys, &cases));
    serde_json::to_string(&CaseList {
        format: amana_core::wire::CASE_LIST_FORMAT,
        min_cli: None,
        roster,
        deployment_id: DEP.into(),
        reviewer_keys: keys.to_vec(),
        cases,
    })
    .expect("json")
}

/// An oversight reader (every real case has one: the roster makes oversight read all).
pub fn oversight_recipient() -> RecipientWire {
    static R: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let r = R.get_or_init(|| age::x25519::Identity::generate().to_public().to_string());
    RecipientWire { key_id: "oversight".into(), age_recipient: r.clone(), oversight: true }
}

/// The oversight unit's roster key of every test (one per test process).
pub fn anchor() -> &'static Ed25519KeyPair {
    static KEY: std::sync::OnceLock<Ed25519KeyPair> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).expect("gen");
        Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("key")
    })
}

/// The anchor's fingerprint, as every test home trusts it.
pub fn anchor_fingerprint() -> String {
    amana_core::roster::fingerprint(anchor().public_key().as_ref())
}

/// A roster (unsigned) for `keys` and `cases`: recipients keep their recipient and role and
/// serve the agencies of their cases; keys that read no case serve every case's agency, so
/// they may sign there. Versions rise with every call, as a real ceremony's do.
pub fn roster_for(keys: &[ReviewerKeyWire], cases: &[CaseBundle]) -> amana_core::roster::Roster {
    use amana_core::roster::{Roster, RosterEntry, FORMAT};
    use std::collections::BTreeMap;
    static VERSION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let mut entries: BTreeMap<String, RosterEntry> = BTreeMap::new();
    let blank = |id: &str| RosterEntry {
        id: id.into(),
        ed25519_public_key: B64.encode([7u8; 32]),
        age_recipient: age::x25519::Identity::generate().to_public().to_string(),
        oversight: false,
        agencies: vec![],
        revoked_on: None,
        valid_events: vec![],
    };
    for c in cases {
        for r in &c.recipients {
            let e = entries.entry(r.key_id.clone()).or_insert_with(|| blank(&r.key_id));
            e.age_recipient = r.age_recipient.clone();
            e.oversight |= r.oversight;
            if !r.oversight && !e.agencies.contains(&c.agency) {
                e.agencies.push(c.agency.clone());
            }
        }
    }
    let all_agencies: Vec<String> = {
        let mut v: Vec<String> = cases.iter().map(|c| c.agency.clone()).collect();
        v.sort();
        v.dedup();
        if v.is_empty() {
            v.push("health".into());
        }
        v
    };
    for k in keys {
        let e = entries.entry(k.key_id.clone()).or_insert_with(|| blank(&k.key_id));
        e.ed25519_public_key = k.ed25519_public_key.clone();
        e.revoked_on = k.revoked_on;
        if !e.oversight && e.agencies.is_empty() {
            e.agencies = all_agencies.clone();
        }
    }
    for e in entries.values_mut().filter(|e| e.oversight) {
        e.agencies.clear();
    }
    if !entries.values().any(|e| e.oversight && e.revoked_on.is_none()) {
        // A roster always has a current oversight key; this one reads only an agency no
        // case belongs to, so it changes no case's readers.
        let mut o = blank("roster-oversight");
        o.oversight = true;
        o.revoked_on = None;
        entries.insert(o.id.clone(), o);
    }
    Roster {
        format: FORMAT.into(),
        deployment_id: DEP.into(),
        version: VERSION.fetch_add(1, std::sync::atomic::Ordering::SeqCst),
        issued_on: time::OffsetDateTime::now_utc().date(),
        attestation_key: attesters().server_public(),
        reviewers: entries.into_values().collect(),
        vouched_heads: vec![],
    }
}

/// [`roster_for`], signed by the anchor.
pub fn signed_roster(keys: &[ReviewerKeyWire], cases: &[CaseBundle]) -> amana_core::roster::SignedRoster {
    amana_core::roster::sign(anchor(), &roster_for(keys, cases)).expect("sign roster")
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

/// Adds an envelope to `bundle` (metadata only) and returns its id.
pub fn add_envelope(bundle: &mut CaseBundle, id: &str, part: Part, on: &str) {
    bundle.envelopes.push(EnvelopeWire { id: id.into(), part, created_on: date(on), age_b64: String::new() });
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

/// One request as the stub received it.
#[derive(Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A loopback HTTP stub that answers the given responses in order, one per connection,
/// then stops. Requests are reported on the channel.
pub struct Stub {
    pub url: String,
    pub requests: mpsc::Receiver<Recorded>,
}

impl Stub {
    pub fn start(responses: Vec<(u16, String)>) -> Self {
        Self::start_raw(responses.into_iter().map(|(s, b)| (s, "application/json", b.into_bytes())).collect())
    }

    /// Like [`Stub::start`], with a content type and a binary body per answer.
    pub fn start_raw(responses: Vec<(u16, &'static str, Vec<u8>)>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for (status, content_type, body) in responses {
                let Ok((stream, _)) = listener.accept() else {
                    return;
                };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                let Some(req) = read_request(&stream) else {
                    return;
                };
                let _ = tx.send(req);
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\n\
                     content-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = (&stream).write_all(&[head.as_bytes(), &body].concat());
            }
        });
        Self { url, requests: rx }
    }

    /// The next recorded request.
    pub fn next(&self) -> Recorded {
        self.requests.recv_timeout(Duration::from_secs(30)).expect("a request reached the stub")
    }
}

fn read_request(stream: &std::net::TcpStream) -> Option<Recorded> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut words = line.split_whitespace();
    let (method, path) = (words.next()?.to_string(), words.next()?.to_string());
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (name, value) = h.split_once(':')?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let len = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0usize);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Recorded { method, path, headers, body })
}

/// Reads a whole file, for before/after comparisons.
pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).expect("read")
}

/// An evidence file encrypted as the server stores it: (content age file, description age
/// file), both to `recipients` (`age1…`).
pub fn encrypt_attachment(
    data: &[u8],
    name: &str,
    content_type: &str,
    recipients: &[&str],
) -> (Vec<u8>, Vec<u8>) {
    let list: Vec<String> = recipients.iter().map(|r| r.to_string()).collect();
    let recipients = amana_core::envelope::parse_recipients(&list).expect("recipients");
    let mut enc = amana_core::attachment::StreamEncryptor::new(&recipients).expect("start");
    let mut content = Vec::new();
    for piece in data.chunks(100_000) {
        content.extend(Ciphertext::join(enc.push(piece).expect("push")));
    }
    let done = enc.finish(name, content_type).expect("finish");
    content.extend(Ciphertext::join(done.pieces));
    (content, done.meta_age.into_bytes())
}

/// Lists an attachment (content age file `content`, description `meta_age`) in `bundle`,
/// recorded with its digests by the event that stored `envelope_id` (if there is one),
/// re-attested as the server does.
pub fn add_attachment(bundle: &mut CaseBundle, id: &str, envelope_id: &str, content: &[u8], meta_age: &[u8]) {
    bundle.attachments.push(AttachmentWire {
        id: id.into(),
        envelope_id: envelope_id.into(),
        created_on: bundle.received_on,
        size: content.len() as u64,
        meta_age_b64: B64.encode(meta_age),
    });
    let digest = amana_core::attachment::FileDigest {
        id: id.into(),
        meta_sha256: amana_core::attachment::sha256_hex(meta_age),
        content_sha256: amana_core::attachment::sha256_hex(content),
    };
    // Cases written straight into a home (never pulled) may have no such event.
    let Some(event) = bundle
        .events
        .iter_mut()
        .find(|e| serde_json::from_str::<Value>(&e.detail).is_ok_and(|d| d["envelope_id"] == envelope_id))
    else {
        return;
    };
    let mut detail: Value = serde_json::from_str(&event.detail).expect("detail");
    let mut files = detail.get("files").cloned().unwrap_or_else(|| json!([]));
    files.as_array_mut().expect("a list").push(json!(digest));
    detail["attachments"] = json!(files.as_array().map_or(0, Vec::len));
    detail["files"] = files;
    event.detail = detail.to_string();
    rehash(bundle);
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
