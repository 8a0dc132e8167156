//! `desk`: the real binary serving a real home on 127.0.0.1, spoken to over raw HTTP/1.1 —
//! who may reach it (token, cookie, Host, Origin, form token), the headers on every answer,
//! a case's text shown inert, its attachments' warnings, the dashboard and the browser profile;
//! unlocking (`unlock`) and background jobs (`jobs`) in modules of their own.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use amana_core::case::Status;
use amana_core::payload::Part;

use crate::support::{add_envelope, bundle, encrypt, payload, write_case, TestHome};

mod jobs;
mod unlock;

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
        Self::start_with(home, &["--offline"])
    }

    /// A desk with these options before `desk` (`--offline`, or `--server URL`).
    fn start_with(home: &TestHome, global: &[&str]) -> Self {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("amana-review"))
            .arg("--home")
            .arg(&home.path)
            .args(global)
            .args(["desk", "--no-browser", "--listen", "127.0.0.1:0"])
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

/// The page at `path` with `cookie` (and the language cookie, if any).
fn get(desk: &Desk, cookie: &str, path: &str) -> (String, String) {
    desk.send("GET", path, &[("Cookie", cookie.to_string())], "")
}

/// The session cookie joined with the language cookie for `lang`.
fn in_lang(desk: &Desk, cookie: &str, lang: &str) -> String {
    let (head, _) = get(desk, cookie, &format!("/lang/{lang}"));
    let set = head.lines().find_map(|l| l.strip_prefix("set-cookie: ")).expect("a language cookie");
    format!("{cookie}; {}", set.split(';').next().expect("pair"))
}

/// The session cookie, the Origin and the form type a posted action carries.
fn form_headers(desk: &Desk, cookie: &str) -> [(&'static str, String); 3] {
    [
        ("Cookie", cookie.to_string()),
        ("Origin", desk.origin()),
        ("Content-Type", "application/x-www-form-urlencoded".to_string()),
    ]
}

/// The progress page once `done` holds of it (at most 30 s).
fn progress_until(desk: &Desk, cookie: &str, done: impl Fn(&str) -> bool) -> String {
    let mut page = String::new();
    for _ in 0..300 {
        page = get(desk, cookie, "/progress").1;
        if done(&page) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    page
}

/// The progress page once the job ended (it no longer refreshes itself).
fn progress_ended(desk: &Desk, cookie: &str) -> String {
    progress_until(desk, cookie, |p| !p.contains("http-equiv=\"refresh\""))
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
fn the_case_page_warns_of_what_an_attachment_gives_away_without_writing_it() {
    // A photo with GPS, a camera serial and a comment; a large copy of it (beyond what is
    // inspected when the page is built); a text file nothing can be said of.
    let photo = crate::export::jpeg_with_gps();
    let mut large = photo.clone();
    large.resize(17 << 20, 0);
    let files = [
        ("j1", "IMG_0001.JPG", photo),
        ("j2", "video-still.jpg", large),
        ("t1", "notes.txt", b"plain".to_vec()),
    ];
    let (home, export_dir) = crate::export::home_with(&files);
    let desk = Desk::start(&home);
    let (cookie, _) = desk.login();
    let (head, page) = get(&desk, &cookie, "/case/case-1");
    assert_eq!(status(&head), 200, "{page}");
    let files_part = page.split("id=\"files\"").nth(1).expect("the attachment list");
    let item = |name: &str| {
        files_part.split("<li><bdi class=\"name\">").find(|li| li.contains(name)).expect(name).to_string()
    };
    let small = item("IMG_0001.JPG");
    for needle in [
        "class=\"meta warn\"",
        "Identifying metadata in this file",
        "<bdi lang=\"en\" dir=\"ltr\">GPS position</bdi>",
        "31.950000, 35.910000",
        "SN-0042",
        "shot by samir",
    ] {
        assert!(small.contains(needle), "{needle} missing: {small}");
    }
    let big = item("video-still.jpg");
    assert!(
        big.contains("name=\"inspect\" value=\"j2\"") && !big.contains("GPS"),
        "inspected on demand: {big}"
    );
    assert!(item("notes.txt").contains("Metadata not inspected"));
    let (_, asked) = get(&desk, &cookie, "/case/case-1?inspect=j2");
    let big = asked
        .split("<li><bdi class=\"name\">")
        .find(|li| li.contains("video-still.jpg"))
        .expect("the large file")
        .to_string();
    assert!(big.contains("31.950000, 35.910000"), "inspected when asked: {big}");
    // In Arabic: the warning and the labels in Arabic (the inspector's words beside them),
    // the values as found, marked English and left-to-right.
    let (_, ar) = get(&desk, &in_lang(&desk, &cookie, "ar"), "/case/case-1");
    assert!(
        ar.contains("بيانات وصفية قد تكشف الهوية")
            && ar.contains("<li>الموقع الجغرافي (GPS) <bdi lang=\"en\" dir=\"ltr\">(GPS position)</bdi>: <bdi lang=\"en\" dir=\"ltr\">31.950000"),
        "{ar}"
    );
    // Decrypted in memory only: no export folder, and no file in the home holds the photo's text.
    assert!(!export_dir.exists() && !home.path.join("exports").exists());
    let leaked =
        walk(&home.path).into_iter().any(|f| std::fs::read(&f).is_ok_and(|b| contains(&b, b"SN-0042")));
    assert!(!leaked, "a decrypted attachment was written in the home");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("ls").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn the_dashboard_is_the_operations_room_report_with_its_own_stylesheet() {
    let (home, _) = crate::export::home_with(&[("t1", "notes.txt", b"plain".to_vec())]);
    let desk = Desk::start(&home);
    let (cookie, _) = desk.login();
    for (lang, title) in [("en", "Operations room report"), ("ar", "تقرير غرفة العمليات")] {
        let (head, page) = get(&desk, &in_lang(&desk, &cookie, lang), "/kpis?period=2026&k=5");
        assert_eq!(status(&head), 200, "{page}");
        assert!(page.contains(&format!("<h1>{title}</h1>")), "{page}");
        assert!(page.contains("<svg") && page.contains("href=\"/report.css\""), "{page}");
        assert!(
            !page.contains("style=") && !page.contains("<style"),
            "the CSP allows no inline style: {page}"
        );
        assert!(page.contains("name=\"period\" dir=\"ltr\" value=\"2026\""), "the filter kept: {page}");
    }
    let (head, css) = get(&desk, &cookie, "/report.css");
    assert!(head.contains("content-type: text/css") && css.contains("td.n"), "{head}");
    let (_, bad) = get(&desk, &cookie, "/kpis?period=yesterday");
    assert!(bad.contains("is not a period"), "{bad}");
}

#[cfg(unix)]
#[test]
fn the_browser_gets_a_temporary_private_profile_deleted_when_the_desk_stops() {
    use std::os::unix::fs::PermissionsExt;
    let home = TestHome::new();
    home.keygen_offline("alice", "health");
    let bin = tempfile::tempdir().expect("tempdir");
    let script = bin.path().join("browser");
    let args = bin.path().join("args");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > {}.tmp\nmv {0}.tmp {0}\nexec sleep 30\n", args.display()),
    )
    .expect("script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("amana-review"))
        .arg("--home")
        .arg(&home.path)
        .args(["--offline", "desk", "--listen", "127.0.0.1:0", "--browser"])
        .arg(&script)
        .env_remove("AMANA_REVIEW_PASSPHRASE")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("desk starts");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    out.read_line(&mut first).expect("address");
    let mut given = String::new();
    for _ in 0..100 {
        if let Ok(text) = std::fs::read_to_string(&args) {
            given = text;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let profile = given.lines().find_map(|l| l.strip_prefix("--user-data-dir=")).expect(&given).to_string();
    assert!(
        given.lines().any(|l| l.starts_with("--app=http://127.0.0.1:") && l.contains("/?token=")),
        "{given}"
    );
    let mode = std::fs::metadata(&profile).expect("the profile exists").permissions().mode();
    assert_eq!(mode & 0o777, 0o700, "a private profile");
    let interrupted = Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill");
    assert!(interrupted.success());
    let mut rest = String::new();
    out.read_to_string(&mut rest).expect("the rest of the output");
    assert!(child.wait().expect("exit").success(), "{rest}");
    assert!(rest.contains("desk stopped; the keys are locked"), "{rest}");
    assert!(!std::path::Path::new(&profile).exists(), "the temporary profile is deleted");
}
