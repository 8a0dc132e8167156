//! Helpers: run the real binary in a fresh home, build pulled cases by hand, and a tiny
//! loopback HTTP stub that records what the CLI sends.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use amana_core::case::{Kind, Status};
use amana_core::keyring::ReviewerEntry;
use amana_core::payload::{Part, Payload};
use amana_core::wire::{CaseBundle, EnvelopeWire, EventWire};
use assert_cmd::Command;
use time::Date;

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
        let out =
            self.cmd().args(["keygen", "--id", id, "--agency", agency, "--no-passphrase"]).assert().success();
        toml::from_str(&String::from_utf8_lossy(&out.get_output().stdout)).expect("entry")
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

/// A case's metadata with one event per status in `history`.
pub fn bundle(id: &str, received_on: &str, history: &[Status], oversight_only: bool) -> CaseBundle {
    CaseBundle {
        id: id.into(),
        kind: Kind::Violation,
        agency: "health".into(),
        oversight_only,
        status: *history.last().expect("at least one event"),
        received_on: date(received_on),
        envelopes: vec![],
        events: history
            .iter()
            .enumerate()
            .map(|(i, s)| EventWire {
                seq: i as i64,
                on: date(received_on),
                status: *s,
                actor: (i > 0).then(|| "alice".to_string()),
            })
            .collect(),
    }
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
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for (status, body) in responses {
                let Ok((stream, _)) = listener.accept() else {
                    return;
                };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                let Some(req) = read_request(&stream) else {
                    return;
                };
                let _ = tx.send(req);
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n\
                     content-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = (&stream).write_all(reply.as_bytes());
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
