//! One bad envelope breaks nothing (issue "Hostile inputs"). A reviewer in the case's scope
//! — or anyone holding such a key — can encrypt any bytes to the reporter and the readers
//! and send them as a signed reply: valid age, but no Amana payload. The reporter's page and
//! API still answer 200 with every other message and one sentence for that one (no id, no
//! date); the server logs nothing about it, at any level; `amana-review show` flags it and
//! shows the rest; oversight's rewrap leaves it be and re-encrypts the rest; and reporter
//! text that tries to reorder the terminal is escaped.

use amana_core::wire::{paths, CaseBundle, ReplyUpload};
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use serde_json::json;

use crate::case_support::{messages, reporter_view};
use crate::helpers::{TestApp, HEALTH, OVERSIGHT};

/// The case's reporter and reader recipients, as a reviewer's pull gives them.
fn recipients_of(bundle: &CaseBundle) -> Vec<age::x25519::Recipient> {
    std::iter::once(bundle.reporter_recipient.as_str())
        .chain(bundle.recipients.iter().map(|r| r.age_recipient.as_str()))
        .map(|r| r.parse().expect("age recipient"))
        .collect()
}

/// A signed reply whose age file holds `plaintext` (not a payload), bound to the case's head.
async fn send_raw_reply(app: &TestApp, case: &str, plaintext: &[u8]) {
    let bundle =
        app.cases_as(app.dep.reviewer(HEALTH)).await.into_iter().find(|c| c.id == case).expect("case");
    let age = amana_core::envelope::encrypt(plaintext, &recipients_of(&bundle)).expect("encrypt");
    let body = serde_json::to_vec(&ReplyUpload { age_b64: B64.encode(age), head: app.head(case).await })
        .expect("json");
    let resp = app.signed(app.dep.reviewer(HEALTH), "POST", &paths::replies(case), &body).await;
    assert_eq!(resp.status(), 201, "the server cannot read replies, so it takes this one");
}

#[tokio::test]
async fn an_undecodable_reply_leaves_the_thread_readable_and_the_log_silent() {
    let app = TestApp::start(
        crate::helpers::Deployment::standard(crate::helpers::KeyGen::Cli),
        &[("AMANA_LOG", "trace")],
    );
    let addr = app.address.as_str();
    // The report carries a right-to-left override that would reverse "100$ paid" on screen.
    let report = "paid \u{202E}$001\u{202C} to the clerk";
    let code = app.submit(&json!({ "kind": "violation", "agency": "health", "body": report })).await;
    let health = app.dep.reviewer(HEALTH);
    health.cli(addr, &["pull"]).ok("pull");
    let case = health.listed_ids(addr).remove(0);
    health.cli(addr, &["reply", &case, "--message", "first reply FIRST-MARK"]).ok("first reply");
    send_raw_reply(&app, &case, b"GARBAGE-NOT-A-PAYLOAD \x00\x01 not amana").await;
    health.cli(addr, &["pull"]).ok("pull after the bad reply");
    health.cli(addr, &["reply", &case, "--message", "second reply SECOND-MARK"]).ok("second reply");
    let at_start = app.stderr();

    // The API: 200, both genuine replies, one unreadable message counted.
    for _ in 0..2 {
        let view = reporter_view(&app, addr, &code).await;
        assert_eq!(messages(&view, "reply"), ["first reply FIRST-MARK", "second reply SECOND-MARK"]);
        assert_eq!(view["unreadable"], 1, "{view}");
    }
    // The page, in every language: 200, the replies, and the one sentence.
    for (lang, sentence) in [("en", "One message could not be shown."), ("ar", "تعذّر عرض رسالة واحدة.")]
    {
        let page = app
            .client
            .post(app.url(&format!("/{lang}/status")))
            .form(&[("code", code.as_str())])
            .send()
            .await
            .expect("status page");
        assert_eq!(page.status(), 200, "{lang}");
        let html = page.text().await.expect("page");
        assert!(html.contains("FIRST-MARK") && html.contains("SECOND-MARK"), "{lang}: {html}");
        assert_eq!(html.matches(sentence).count(), 1, "{lang}: {html}");
    }
    // Nothing logged about it, at trace level: no case, no code, no request singled out.
    let after = app.stderr();
    let added: Vec<&str> = after[at_start.len()..].lines().collect();
    assert!(added.is_empty(), "status checks were logged:\n{}", added.join("\n"));

    // The reviewers: `show` flags the bad envelope, shows the rest, escapes the override.
    for who in [HEALTH, OVERSIGHT] {
        let r = app.dep.reviewer(who);
        r.cli(addr, &["pull"]).ok("pull");
        let out = r.cli(addr, &["show", &case]).ok("show");
        assert!(out.stdout.contains("--- UNREADABLE reply by health-officer"), "{}", out.stdout);
        assert!(out.stdout.contains("FIRST-MARK") && out.stdout.contains("SECOND-MARK"), "{}", out.stdout);
        assert!(!out.stdout.contains("GARBAGE"), "{}", out.stdout);
        assert!(out.stderr.contains("1 envelope(s)"), "{}", out.stderr);
        assert!(out.stdout.contains("paid \\u{202e}$001\\u{202c} to the clerk"), "{}", out.stdout);
        assert!(!out.stdout.contains('\u{202E}'), "a raw override reached the terminal");
    }
    // Oversight's rewrap (after a revocation) re-encrypts the rest and leaves that one as it
    // is, instead of refusing the whole case; every home verifies the result.
    let oversight = app.dep.reviewer(OVERSIGHT);
    let out = oversight.cli(addr, &["rewrap", &case]).ok("rewrap");
    assert!(out.stdout.contains("3 envelope(s) re-encrypted"), "{}", out.stdout);
    assert!(out.stdout.contains("hold no Amana payload, so they keep their recipients"), "{}", out.stdout);
    for who in [HEALTH, OVERSIGHT] {
        app.dep.reviewer(who).cli(addr, &["pull"]).ok("pull after the rewrap");
    }
    assert_eq!(reporter_view(&app, addr, &code).await["unreadable"], 1);
}
