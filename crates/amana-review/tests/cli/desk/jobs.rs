//! Pull, push and a refused action run from the desk: in the background, with a progress
//! page, and their results in the reviewer's language.

use std::net::TcpStream;

use super::{form_headers, get, in_lang, progress_ended, progress_until, status, Desk};
use crate::support::TestHome;

/// A server that accepts connections and answers nothing until released; then it closes
/// every connection, held or new.
struct Silent {
    port: u16,
    release: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Silent {
    fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let release = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let released = release.clone();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming().flatten() {
                if released.load(std::sync::atomic::Ordering::SeqCst) {
                    held.clear();
                } else {
                    held.push(stream);
                }
            }
        });
        Silent { port, release }
    }

    fn release(&self) {
        self.release.store(true, std::sync::atomic::Ordering::SeqCst);
        // Wakes the accept loop, which then closes what it held.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

#[test]
fn a_pull_runs_in_the_background_and_its_result_comes_in_arabic() {
    let home = TestHome::new();
    home.keygen_offline("alice", "health");
    let server = Silent::start();
    let desk = Desk::start_with(&home, &["--server", &format!("http://127.0.0.1:{}", server.port)]);
    let (cookie, csrf) = desk.login();
    let cookie = in_lang(&desk, &cookie, "ar");
    let (_, idle) = get(&desk, &cookie, "/progress");
    assert!(idle.contains("لا شيء قيد التنفيذ"), "no job yet: {idle}");
    let form = form_headers(&desk, &cookie);
    let start = || desk.send("POST", "/sync/pull", &form, &format!("csrf={csrf}")).0;
    let head = start();
    assert_eq!(status(&head), 303, "{head}");
    assert!(head.contains("\r\nlocation: /progress\r\n"), "answered at once: {head}");
    // While the server is silent: the page refreshes itself and counts what is verified.
    let (_, running) = get(&desk, &cookie, "/progress");
    assert!(running.contains("<meta http-equiv=\"refresh\" content=\"1\">"), "{running}");
    assert!(
        running.contains("<progress id=\"job\"></progress>") && running.contains("تم التحقق من 0 بلاغ"),
        "{running}"
    );
    // A second start while it runs shows the running one.
    assert!(start().contains("\r\nlocation: /progress\r\n"));
    assert!(get(&desk, &cookie, "/progress").1.contains("http-equiv=\"refresh\""));
    server.release();
    let page = progress_ended(&desk, &cookie);
    assert!(!page.contains("http-equiv=\"refresh\""), "the pull did not end: {page}");
    assert!(page.contains("dir=\"rtl\"") && page.contains("class=\"flash err\""), "{page}");
    assert!(page.contains("<pre lang=\"en\" dir=\"ltr\">") && page.contains("error: "), "{page}");
    // A wrong form token starts nothing.
    assert_eq!(status(&desk.send("POST", "/sync/pull", &form, "csrf=stale").0), 403);
}

#[test]
fn a_push_counts_the_actions_it_sent() {
    let home = TestHome::new();
    home.keygen_offline("alice", "health");
    // Two requests waiting (their signatures are never checked: the server stays silent).
    let outbox = home.path.join("outbox");
    std::fs::create_dir_all(&outbox).expect("outbox");
    for n in 1..=2 {
        let request = serde_json::json!({
            "version": "amana-signed-request-v1", "deployment_id": "test", "method": "POST",
            "path": "/api/v1/review/cases/case-1/ack", "body": "{}", "key_id": "alice",
            "timestamp": 0, "nonce": "00000000000000000000000000000000", "signature": "AA==",
        });
        std::fs::write(outbox.join(format!("{n:04}.json")), request.to_string()).expect("request");
    }
    let server = Silent::start();
    let desk = Desk::start_with(&home, &["--server", &format!("http://127.0.0.1:{}", server.port)]);
    let (cookie, csrf) = desk.login();
    let cookie = in_lang(&desk, &cookie, "ar");
    let form = form_headers(&desk, &cookie);
    assert_eq!(status(&desk.send("POST", "/sync/push", &form, &format!("csrf={csrf}")).0), 303);
    let running = progress_until(&desk, &cookie, |p| p.contains("max=\"2\""));
    assert!(
        running.contains("<progress id=\"job\" max=\"2\" value=\"0\">")
            && running.contains("أُرسل 0 من 2 إجراء"),
        "{running}"
    );
    server.release();
    let page = progress_ended(&desk, &cookie);
    // It stopped at the first (the silent server closed it): how many went is said.
    assert!(page.contains("<p class=\"job\">أُرسل 0 من 2 إجراء</p>"), "{page}");
}

#[test]
fn a_refused_action_says_why_in_arabic_with_the_next_step() {
    let home = TestHome::new();
    home.keygen_offline("alice", "health");
    // Nothing listens on port 9 of this machine: the pull is refused at once.
    let desk = Desk::start_with(&home, &["--server", "http://127.0.0.1:9"]);
    let (cookie, csrf) = desk.login();
    let cookie = in_lang(&desk, &cookie, "ar");
    let form = form_headers(&desk, &cookie);
    desk.send("POST", "/sync/pull", &form, &format!("csrf={csrf}"));
    let page = progress_ended(&desk, &cookie);
    assert!(page.contains("<h2>تعذّر الوصول إلى الخادم: تحقق من الاتصال ثم أعد المحاولة</h2>"), "{page}");
    assert!(page.contains("could not reach"), "the command's own words below: {page}");
}
