//! Invariants 1 and 3 end to end: a report goes in through the JSON API, comes out only
//! through the reviewer's key (`amana-review pull` / `show`), and a signed status change
//! reaches the reporter, who holds nothing but the code.

use serde_json::json;

use crate::helpers::{spawn_app, HEALTH, TRANSPORT};

const BODY: &str = "طلب موظف في قسم التراخيص مبلغ ٥٠ ديناراً لتسريع المعاملة.\n\
                    It happened on Sunday at the second counter — «رشوة».";
const CONTACT: &str = "Signal: +962 7 9000 0000 · بريد: reporter@example.org";

#[tokio::test]
async fn report_round_trip_through_the_reviewer_cli() {
    let app = spawn_app().await;
    let code = app
        .submit(&json!({
            "kind": "violation",
            "agency": "health",
            "body": BODY,
            "contact": CONTACT,
        }))
        .await;
    assert_eq!(app.status_of(&code).await, "received");

    let health = app.dep.reviewer(HEALTH);
    let out = health.cli(&app.address, &["pull"]).ok("pull");
    assert!(out.stdout.contains("pulled 1 case"), "{}", out.stdout);

    let ids = health.listed_ids(&app.address);
    assert_eq!(ids.len(), 1, "list should show exactly the one case");
    let case = &ids[0];
    let list = health.cli(&app.address, &["list"]).ok("list").stdout;
    let row = list.lines().find(|l| l.starts_with(case.as_str())).expect("row");
    for column in ["violation", "health", "received"] {
        assert!(row.contains(column), "list row lacks {column}: {row}");
    }

    let shown = health.cli(&app.address, &["show", case]).ok("show").stdout;
    assert!(shown.contains(&format!("\n{BODY}\n")), "show must print the body verbatim:\n{shown}");
    assert!(
        shown.contains(&format!("contact: {CONTACT}\n")),
        "show must print the contact verbatim:\n{shown}"
    );

    health.cli(&app.address, &["status", case, "acknowledged"]).ok("status acknowledged");
    assert_eq!(app.status_of(&code).await, "acknowledged");

    // The history the reviewer pulls next records who acted.
    health.cli(&app.address, &["pull"]).ok("second pull");
    let shown = health.cli(&app.address, &["show", case]).ok("show").stdout;
    assert!(shown.contains(&format!("acknowledged by {HEALTH}")), "{shown}");

    // A reviewer of another agency neither receives nor can act on the case.
    let transport = app.dep.reviewer(TRANSPORT);
    let out = transport.cli(&app.address, &["pull"]).ok("transport pull");
    assert!(out.stdout.contains("pulled 0 cases"), "{}", out.stdout);
    assert!(transport.listed_ids(&app.address).is_empty());
}
