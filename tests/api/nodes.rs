//! Two nodes, one database: two real `amana serve` processes on one PostgreSQL database,
//! sharing the pepper and the server signing key (copied, as the operator copies them).
//! Needs `AMANA_TEST_DATABASE_URL` (`bash .ci/with-postgres`); skipped without it unless
//! `CI` is set, when it fails.

use amana_core::{events::EventKind, wire::CaseList};
use serde_json::Value;

use crate::helpers::{postgres_url, status_body, Deployment, KeyGen, PgDatabase, TestApp, HEALTH, OVERSIGHT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_share_one_postgresql_database() {
    let Some(admin) = postgres_url("two_nodes_share_one_postgresql_database") else { return };
    let db = PgDatabase::create(&admin, "amana_api").await;
    let dep_a = Deployment::standard(KeyGen::InProcess);
    dep_a.init_secrets();
    let dep_b = dep_a.another_node();
    let env = [("AMANA_DATABASE_URL", db.url.as_str()), ("AMANA_ESCALATION_INTERVAL_SECS", "1")];
    let mut a = TestApp::start(dep_a, &env);
    let mut b = TestApp::start(dep_b, &env);
    let health = a.dep.reviewer(HEALTH).clone();
    let oversight = a.dep.reviewer(OVERSIGHT).clone();

    // A report submitted on A is readable by its code on B (same pepper, same database).
    let code = a.submit_simple("health", false).await;
    assert_eq!(b.status_of(&code).await, "received");

    // A reviewer pulls from either node; the second pull extends the first.
    health.cli(&a.address, &["pull"]).ok("pull from node A");
    let id = health.listed_ids(&a.address).pop().expect("the case");
    health.cli(&b.address, &["status", &id, "acknowledged"]).ok("act through node B");
    health.cli(&a.address, &["pull"]).ok("pull from node A again");
    oversight.cli(&b.address, &["pull"]).ok("pull from node B");
    let shown = oversight.cli(&b.address, &["show", &id]).ok("show");
    assert!(shown.stdout.contains("The counter was closed all week."), "{}", shown.stdout);
    assert_eq!(a.status_of(&code).await, "acknowledged");

    // A signed request's nonce used on A is refused on B.
    let path = format!("/api/v1/review/cases/{id}/status");
    let head =
        a.cases_as(&health).await.into_iter().find(|c| c.id == id).expect("case").events[0].hash.clone();
    let body = status_body("in_review", &head);
    let sig = health.signer().sign("POST", &path, &body);
    assert_eq!(a.send_signed("POST", &path, body.clone(), &sig).await.status(), 204);
    let replay = b.send_signed("POST", &path, body, &sig).await;
    assert_eq!(replay.status(), 401);
    let err: Value = replay.json().await.expect("error body");
    assert!(err["message"].as_str().is_some_and(|m| m.contains("already used")), "{err}");

    // Escalation: more cases, then both nodes wake up 30 days later at the same moment and
    // escalate every second. Each overdue case is escalated exactly once.
    for agency in ["health", "transport", "health", "transport", "health"] {
        a.submit_simple(agency, false).await;
    }
    a.stop();
    b.stop();
    for app in [&mut a, &mut b] {
        app.set_env("AMANA_TEST_CLOCK_OFFSET_DAYS", "30");
    }
    std::thread::scope(|s| {
        s.spawn(|| a.start_again());
        s.spawn(|| b.start_again());
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let cases = loop {
        let resp = b.signed(&oversight, "GET", amana_core::wire::paths::CASES_PULL, b"").await;
        let list: CaseList = resp.json().await.expect("case list");
        // The acknowledged case is not overdue for acknowledgement; the 5 new ones are.
        if list.cases.iter().filter(|c| c.escalated).count() == 5 {
            break list.cases;
        }
        assert!(std::time::Instant::now() < deadline, "cases were not escalated in 30 s");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    // A few more ticks on both nodes.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let resp = a.signed(&oversight, "GET", amana_core::wire::paths::CASES_PULL, b"").await;
    let after: CaseList = resp.json().await.expect("case list");
    assert_eq!(after.cases.len(), cases.len());
    for c in &after.cases {
        let escalations = c.events.iter().filter(|e| e.kind == EventKind::Escalated).count();
        assert_eq!(escalations, usize::from(c.escalated), "case {} escalated {escalations} times", c.id);
    }
    assert!(after.cases.iter().any(|c| c.id == id && !c.escalated));
    oversight.cli(&a.address, &["pull"]).ok("the escalated histories verify");
    drop((a, b));
    drop(db);
}
