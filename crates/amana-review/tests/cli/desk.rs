//! `desk`: the real binary serving a real home on 127.0.0.1, spoken to over raw HTTP/1.1 —
//! who may reach it (token, cookie, Host, Origin, form token), the headers on every answer,
//! a case's text shown inert, and the passphrase asked on the page.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use amana_core::case::Status;
use amana_core::payload::Part;

use crate::support::{add_envelope, bundle, encrypt, payload, write_case, TestHome};

/// A running desk, stopped when dropped.
struct Desk {
    child: Child,
    port: u16,
    token: String,
}

impl Drop for Desk {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Desk {
    fn start(home: &TestHome) -> Self {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("amana-review"))
            .arg("--home")
            .arg(&home.path)
            .args(["--offline", "desk", "--no-browser", "--listen", "127.0.0.1:0"])
            .env_remove("AMANA_REVIEW_PASSPHRASE")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("desk starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("address");
        let url = line.trim().strip_prefix("desk listening on http://127.0.0.1:").expect(&line).to_string();
        let (port, token) = url.split_once("/?token=").expect("token in the address");
        Desk { port: port.parse().expect("port"), token: token.to_string(), child }
    }

    /// One request; the answer's head (status line and headers, lowercased names) and body.
    fn send(&self, method: &str, path: &str, headers: &[(&str, String)], body: &str) -> (String, String) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        let mut req =
            format!("{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
            req.push_str(&format!("Host: 127.0.0.1:{}\r\n", self.port));
        }
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        req.push_str(body);
        stream.write_all(req.as_bytes()).expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read");
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        (head.to_ascii_lowercase(), body.to_string())
    }

    fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The session cookie, got with the token.
    fn login(&self) -> (String, String) {
        let (head, _) = self.send("GET", &format!("/?token={}", self.token), &[], "");
        assert!(head.starts_with("http/1.1 303"), "{head}");
        assert!(head.contains("\r\nlocation: /\r\n"), "the token leaves the address: {head}");
        let cookie = head.lines().find_map(|l| l.strip_prefix("set-cookie: ")).expect("a cookie").to_string();
        assert!(cookie.contains("httponly") && cookie.contains("samesite=strict"), "{cookie}");
        let pair = cookie.split(';').next().expect("pair").to_string();
        let (_, page) = self.send("GET", "/", &[("Cookie", pair.clone())], "");
        let csrf =
            page.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).expect("csrf");
        (pair, csrf.to_string())
    }
}

fn status(head: &str) -> u16 {
    head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

#[test]
fn only_the_printed_address_opens_it_and_every_answer_is_hardened() {
    let home = TestHome::new();
    home.keygen_offline("alice", "health");
    let desk = Desk::start(&home);
    let (head, _) = desk.send("GET", "/", &[], "");
    assert_eq!(status(&head), 401, "no cookie");
    assert_eq!(status(&desk.send("GET", &format!("/?token={}", "0".repeat(64)), &[], "").0), 401);
    let (cookie, csrf) = desk.login();
    let (head, page) = desk.send("GET", "/", &[("Cookie", cookie.clone())], "");
    assert_eq!(status(&head), 200);
    for h in [
        "cache-control: no-store",
        "default-src 'none'",
        "frame-ancestors 'none'",
        "x-content-type-options: nosniff",
    ] {
        assert!(head.contains(h), "{h} missing: {head}");
    }
    assert!(!page.contains("<script"), "no script on the page");
    let port = desk.port;
    let rebound = [("Host", format!("attacker.example:{port}")), ("Cookie", cookie.clone())];
    assert_eq!(status(&desk.send("GET", "/", &rebound, "").0), 403, "DNS rebinding");
    // A form from elsewhere, with the cookie and even the form token: refused.
    let form = format!("csrf={csrf}");
    let foreign = [("Cookie", cookie.clone()), ("Origin", "http://127.0.0.1:9".to_string())];
    assert_eq!(status(&desk.send("POST", "/lock", &foreign, &form).0), 403);
    let no_origin = [("Cookie", cookie.clone())];
    assert_eq!(status(&desk.send("POST", "/lock", &no_origin, &form).0), 403);
    let own = [
        ("Cookie", cookie.clone()),
        ("Origin", desk.origin()),
        ("Content-Type", "application/x-www-form-urlencoded".to_string()),
    ];
    assert_eq!(status(&desk.send("POST", "/lock", &own, "csrf=stale").0), 403, "the form token");
    assert_eq!(status(&desk.send("POST", "/lock", &own, &form).0), 303);
}

#[test]
fn a_case_shows_the_reporters_text_inert_and_its_history() {
    let home = TestHome::new();
    home.keygen_offline("alice", "health");
    let me = home.identity().to_public().to_string();
    let mut case = bundle("case-ar", "2026-11-20", &[Status::Received], false);
    add_envelope(&mut case, "report1", Part::Report, "2026-11-20");
    let text = "رشوة \u{202E}005\u{202C} <script>alert(1)</script>";
    write_case(
        &home,
        &case,
        &[("report1", encrypt(&payload(Part::Report, text, None, "2026-11-20"), &[&me]))],
    );
    let desk = Desk::start(&home);
    let (cookie, _) = desk.login();
    let (_, inbox) = desk.send("GET", "/", &[("Cookie", cookie.clone())], "");
    assert!(inbox.contains("href=\"/case/case-ar\""), "{inbox}");
    let (head, page) = desk.send("GET", "/case/case-ar", &[("Cookie", cookie)], "");
    assert_eq!(status(&head), 200, "{page}");
    assert!(page.contains("رشوة <span class=\"ctl\">⟨U+202E⟩</span>005"), "{page}");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !page.contains("<script>"), "{page}");
    assert!(!page.contains('\u{202E}'), "the override itself never reaches the browser");
}

#[test]
fn protected_keys_are_asked_for_on_the_page_and_forgotten_on_lock() {
    let home = TestHome::new();
    home.cmd()
        .args(["keygen", "--id", "alice", "--agency", "health", "--deployment-id", crate::support::DEP])
        .env("AMANA_REVIEW_PASSPHRASE", "open sesame")
        .assert()
        .success();
    let desk = Desk::start(&home);
    let (cookie, csrf) = desk.login();
    let post = |path: &str, body: String| {
        let h = [
            ("Cookie", cookie.clone()),
            ("Origin", desk.origin()),
            ("Content-Type", "application/x-www-form-urlencoded".to_string()),
        ];
        desk.send("POST", path, &h, &body)
    };
    let page = |path: &str| desk.send("GET", path, &[("Cookie", cookie.clone())], "").1;
    assert!(page("/").contains("id=\"passphrase\""), "asks for the passphrase");
    post("/unlock", format!("csrf={csrf}&passphrase=wrong"));
    let refused = page("/");
    assert!(refused.contains("wrong passphrase") && refused.contains("id=\"passphrase\""), "{refused}");
    post("/unlock", format!("csrf={csrf}&passphrase=open+sesame"));
    assert!(!page("/").contains("id=\"passphrase\""), "unlocked");
    post("/lock", format!("csrf={csrf}"));
    assert!(page("/").contains("id=\"passphrase\""), "locked again");
}
