//! The air-gapped path end to end (SECURITY.md invariants 6, docs/FORMATS.md §7): a "laptop"
//! home with the keys that never talks to the server, and a "connected" working directory
//! with no key files that only carries signed files and bundles.

use serde_json::json;

use crate::case_support::{arg, connected_cli, messages, reporter_view, set_deployment_id};
use crate::helpers::{contains_bytes, files_under, spawn_app, HEALTH};

const REPORT: &str = "الموظف في النافذة ٣ يطلب رسوماً غير رسمية.";

#[tokio::test]
async fn the_lifecycle_over_the_air_gap_with_no_key_on_the_connected_side() {
    let app = spawn_app().await;
    let code = app.submit(&json!({ "kind": "violation", "agency": "health", "body": REPORT })).await;
    let laptop = app.dep.reviewer(HEALTH);
    set_deployment_id(laptop);
    let lap = |args: &[&str]| {
        let mut all = vec!["--home", arg(&laptop.home)];
        all.extend_from_slice(args);
        crate::helpers::review_cli(&all)
    };
    let connected = tempfile::Builder::new().prefix("amana-connected-").tempdir().expect("tempdir");
    let usb = connected.path().join("usb");
    std::fs::create_dir_all(&usb).expect("mkdir usb");
    let server = app.address.as_str();

    // Round 1: authorize on the laptop, pull on the connected machine, import on the laptop.
    let auth = usb.join("pull-1.json");
    lap(&["authorize-pull", "--out", arg(&auth)]).ok("authorize-pull");
    let bundle = usb.join("bundle-1.json");
    let out = connected_cli(
        connected.path(),
        &["--server", server, "pull", "--authorization", arg(&auth), "--out", arg(&bundle)],
    )
    .ok("connected pull");
    assert!(out.stdout.contains("1 case, still encrypted"), "{}", out.stdout);
    // The authorization is single use.
    let again = connected_cli(
        connected.path(),
        &["--server", server, "pull", "--authorization", arg(&auth), "--out", arg(&usb.join("x.json"))],
    )
    .failed("replayed authorization");
    assert!(again.stderr.contains("already used"), "{}", again.stderr);
    let out = lap(&["import", arg(&bundle)]).ok("import");
    assert!(out.stdout.contains("imported 1 case (1 new); history verified"), "{}", out.stdout);
    let case = laptop.listed_ids(server).remove(0);
    let shown = lap(&["show", &case]).ok("show").stdout;
    assert!(shown.contains(REPORT), "{shown}");

    // Actions made offline on the laptop, carried and pushed.
    let reply = format!("وصلنا بلاغك وسنتابعه. AIRGAP-REPLY-{}", amana_core::signing::new_nonce());
    lap(&["--offline", "status", &case, "acknowledged", "--note", "opened file 12/2026"])
        .ok("offline status");
    let out = lap(&["--offline", "reply", &case, "--message", &reply]).ok("offline reply");
    assert!(out.stdout.contains("signed offline, not sent yet"), "{}", out.stdout);
    assert_eq!(app.status_of(&code).await, "received", "nothing reached the server yet");
    let outbox = usb.join("outbox");
    std::fs::create_dir_all(&outbox).expect("mkdir outbox");
    for f in files_under(&laptop.home.join("outbox")) {
        std::fs::copy(&f, outbox.join(f.file_name().expect("name"))).expect("carry");
    }
    let out = connected_cli(connected.path(), &["--server", server, "push", arg(&outbox)]).ok("push");
    assert!(out.stdout.contains("sent 2 requests"), "{}", out.stdout);
    assert_eq!(files_under(&outbox.join("sent")).len(), 2);

    // The reporter sees the change and the reply, with the code alone.
    let view = reporter_view(&app, server, &code).await;
    assert_eq!(view["status"], "acknowledged");
    assert_eq!(messages(&view, "reply"), [reply.as_str()]);

    // Pushing the same files again is refused as a replay and stops at the first one.
    for f in files_under(&outbox.join("sent")) {
        std::fs::copy(&f, outbox.join(f.file_name().expect("name"))).expect("copy back");
    }
    let out = connected_cli(connected.path(), &["--server", server, "push", arg(&outbox)]).failed("replay");
    assert!(out.stderr.contains("push stopped at") && out.stderr.contains("already used"), "{}", out.stderr);
    assert!(out.stderr.contains("already seen") && !out.stderr.contains("clock"), "{}", out.stderr);

    // Round 2: the laptop learns what the server applied and clears its outbox.
    let auth = usb.join("pull-2.json");
    lap(&["authorize-pull", "--out", arg(&auth)]).ok("authorize-pull 2");
    let bundle = usb.join("bundle-2.json");
    connected_cli(
        connected.path(),
        &["--server", server, "pull", "--authorization", arg(&auth), "--out", arg(&bundle)],
    )
    .ok("connected pull 2");
    let out = lap(&["import", arg(&bundle)]).ok("import 2");
    assert!(out.stdout.contains("2 outbox requests applied by the server"), "{}", out.stdout);
    assert!(files_under(&laptop.home.join("outbox"))
        .iter()
        .all(|f| f.parent().is_some_and(|p| p.ends_with("sent"))));
    let shown = lap(&["show", &case]).ok("show 2").stdout;
    for line in [
        "status_changed  acknowledged by health-officer",
        "--- reply by health-officer",
        &reply,
        "opened file 12/2026",
    ] {
        assert!(shown.contains(line), "{line:?} missing:\n{shown}");
    }

    // The connected side never held a secret key, nor a reviewer home.
    assert!(!connected.path().join(".amana-review").exists());
    let files = files_under(connected.path());
    assert!(files.len() >= 6, "{files:?}");
    for file in files {
        let bytes = std::fs::read(&file).expect("read");
        for secret in ["AGE-SECRET-KEY", "AMANA-SIGNING-KEY", "BEGIN AGE ENCRYPTED FILE"] {
            assert!(!contains_bytes(&bytes, secret.as_bytes()), "{secret} in {}", file.display());
        }
        assert!(!contains_bytes(&bytes, reply.as_bytes()), "reply plaintext in {}", file.display());
    }
}
