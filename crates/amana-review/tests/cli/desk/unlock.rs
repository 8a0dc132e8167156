//! Unlocking the desk's keys: the passphrase asked on the page, or in the terminal with
//! `--ask-here`; locked again on request and when the desk stops.

use std::io::{BufReader, Read, Write};
use std::process::{Command, Stdio};

use super::{get, Desk};
use crate::support::TestHome;

/// A home whose keys are protected by the passphrase "open sesame".
fn protected_home() -> TestHome {
    let home = TestHome::new();
    home.cmd()
        .args(["keygen", "--id", "alice", "--agency", "health", "--deployment-id", crate::support::DEP])
        .env("AMANA_REVIEW_PASSPHRASE", "open sesame")
        .assert()
        .success();
    home
}

/// `desk --ask-here`: the passphrase is asked in the terminal (a real pseudo-terminal, from
/// util-linux's `script`), not echoed, and the desk starts unlocked; Ctrl-C in that terminal
/// stops it and locks the keys.
#[test]
#[cfg(target_os = "linux")]
fn ask_here_takes_the_passphrase_in_the_terminal_unechoed() {
    let home = protected_home();
    let bin = assert_cmd::cargo::cargo_bin("amana-review");
    let desk = format!(
        "{} --home {} --offline desk --no-browser --listen 127.0.0.1:0 --ask-here",
        bin.display(),
        home.path.display()
    );
    let mut child = Command::new("script")
        .args(["--quiet", "--flush", "--return", "--command", &desk, "/dev/null"])
        .env_remove("AMANA_REVIEW_PASSPHRASE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("script (util-linux) runs the desk in a pseudo-terminal");
    // Reads below block: a desk that never prints what is awaited is stopped after a minute,
    // which ends the output and fails the test instead of hanging it.
    let finished = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (pid, watched) = (child.id().to_string(), finished.clone());
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(60));
        if !watched.load(std::sync::atomic::Ordering::SeqCst) {
            let _ = Command::new("kill").arg(&pid).status();
        }
    });
    let mut stdin = child.stdin.take().expect("stdin");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut seen = Vec::new();
    // The terminal's output so far, read until `done` holds for it.
    let mut until = |done: &dyn Fn(&str) -> bool| -> String {
        while !done(&String::from_utf8_lossy(&seen)) {
            let mut byte = [0u8; 1];
            let n = out.read(&mut byte).expect("terminal output");
            assert_eq!(n, 1, "the terminal closed: {}", String::from_utf8_lossy(&seen));
            seen.push(byte[0]);
        }
        String::from_utf8_lossy(&seen).into_owned()
    };
    until(&|t| t.contains("Passphrase for your reviewer keys: "));
    // The prompt is written just before the terminal's echo is turned off: a person types
    // later than that, and so does the test (typed at once, a busy machine may echo it).
    std::thread::sleep(std::time::Duration::from_secs(1));
    stdin.write_all(b"open sesame\n").expect("type the passphrase");
    let shown = until(&|t| t.split("/?token=").nth(1).is_some_and(|rest| rest.contains('\n')));
    let line =
        shown.lines().find(|l| l.contains("desk listening on")).expect("address line").trim().to_string();
    assert!(!shown.contains("open sesame"), "the passphrase was echoed: {shown}");
    let url = line.split("desk listening on http://127.0.0.1:").nth(1).expect("address");
    let (port, token) = url.split_once("/?token=").expect("token");
    let desk = Desk { port: port.parse().expect("port"), token: token.to_string(), child };
    let (cookie, _) = desk.login();
    let page = get(&desk, &cookie, "/").1;
    assert!(!page.contains("id=\"passphrase\""), "started unlocked: the page asks for nothing");

    stdin.write_all(b"\x03").expect("Ctrl-C");
    until(&|t| t.contains("desk stopped; the keys are locked"));
    finished.store(true, std::sync::atomic::Ordering::SeqCst);
}

#[test]
fn protected_keys_are_asked_for_on_the_page_and_forgotten_on_lock() {
    let home = protected_home();
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
