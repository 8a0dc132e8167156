//! Improvement periods (docs/OPERATIONS-ROOM.md): opened and closed by an oversight key with
//! the real CLI, stored by the real server, handed by `pull` only to the homes of the agency
//! concerned, shown by `kpis` (and its HTML report) with before/after figures once closed;
//! refused when an agency key signed them, when changed after signing, and never served or
//! shown once a database writer or a disk writer changes them.

use amana_core::improvement::{self, Document, Signed, FORMAT};
use serde_json::Value;

use crate::helpers::{
    open_db, Deployment, KeyGen, Reviewer, TestApp, DEPLOYMENT_ID, HEALTH, OVERSIGHT, TRANSPORT,
};

fn document(agency: &str) -> Document {
    let today = time::OffsetDateTime::now_utc().date();
    Document {
        format: FORMAT.into(),
        deployment_id: DEPLOYMENT_ID.into(),
        id: improvement::new_id(),
        agency: agency.into(),
        centre: None,
        reason: "slow acknowledgements".into(),
        criteria: vec!["on_time".into()],
        opened_on: today,
        deadline: today + time::Duration::days(30),
        closed_on: None,
    }
}

fn signed_by(r: &Reviewer, doc: &Document) -> Vec<u8> {
    serde_json::to_vec(&improvement::sign(&r.signing_key(), &r.id, doc).expect("sign")).expect("json")
}

#[tokio::test]
async fn improvement_periods_are_signed_scoped_and_shown() {
    let app = TestApp::start(Deployment::standard(KeyGen::InProcess), &[]);
    let addr = app.address.clone();
    app.submit_simple("health", false).await;
    let [oversight, health, transport] =
        [OVERSIGHT, HEALTH, TRANSPORT].map(|id| app.dep.reviewer(id).clone());
    for r in [&oversight, &health, &transport] {
        r.cli(&addr, &["pull"]).ok("pull");
    }
    let case = health.listed_ids(&addr).remove(0);
    health.cli(&addr, &["status", &case, "acknowledged"]).ok("acknowledge");

    // An agency key cannot open one: its CLI refuses, and so does the server.
    let open =
        ["improvement", "open", "--agency", "health", "--reason", "slow acknowledgements", "--criteria"];
    let out = health.cli(&addr, &[&open[..], &["on_time"]].concat()).failed("an agency key");
    assert!(out.stderr.contains("only a current oversight reviewer"), "{}", out.stderr);
    let path = amana_core::wire::paths::IMPROVEMENTS;
    let resp = app.post_raw_json(path, signed_by(&health, &document("health"))).await;
    assert_eq!(resp.status(), 400);
    assert!(resp.text().await.expect("text").contains("not a current oversight key"));
    // Forged (changed after signing) or unsigned: refused.
    let mut forged: Signed =
        serde_json::from_slice(&signed_by(&oversight, &document("health"))).expect("json");
    forged.document = forged.document.replace("slow", "fast");
    let resp = app.post_raw_json(path, serde_json::to_vec(&forged).expect("json")).await;
    assert_eq!(resp.status(), 400);
    let unsigned = Signed { signature: String::new(), ..forged };
    assert_eq!(app.post_raw_json(path, serde_json::to_vec(&unsigned).expect("json")).await.status(), 400);
    // A period cannot be opened in the past, nor for an agency the deployment lacks.
    let mut old = document("health");
    old.opened_on -= time::Duration::days(40);
    assert_eq!(app.post_raw_json(path, signed_by(&oversight, &old)).await.status(), 400);
    assert_eq!(app.post_raw_json(path, signed_by(&oversight, &document("prisons"))).await.status(), 400);

    // Oversight opens one for health, with the default deadline (30 days).
    let out = oversight.cli(&addr, &[&open[..], &["on_time,satisfaction"]].concat()).ok("open");
    let id = out.stdout.split_whitespace().nth(2).expect("id").to_string();
    assert_eq!(id.len(), 32, "{}", out.stdout);
    // Health's home gets it with its next pull; transport's never does.
    health.cli(&addr, &["pull"]).ok("pull");
    let listed = health.cli(&addr, &["improvement", "list"]).ok("list").stdout;
    assert!(
        listed.contains(&id) && listed.contains("slow acknowledgements") && listed.contains("open"),
        "{listed}"
    );
    transport.cli(&addr, &["pull"]).ok("pull");
    let none = transport.cli(&addr, &["improvement", "list"]).ok("list").stdout;
    assert!(none.contains("no improvement periods"), "{none}");

    // Changing it is refused; closing it is not, and health then sees before and after.
    let mut moved: Document = serde_json::from_str(
        &serde_json::from_slice::<Signed>(
            &std::fs::read(health.home.join("improvements").join(format!("{id}.json"))).expect("file"),
        )
        .expect("signed")
        .document,
    )
    .expect("doc");
    moved.deadline += time::Duration::days(60);
    assert_eq!(app.post_raw_json(path, signed_by(&oversight, &moved)).await.status(), 409);
    oversight.cli(&addr, &["improvement", "close", &id[..8]]).ok("close");
    health.cli(&addr, &["pull"]).ok("pull");
    let kpis: Value =
        serde_json::from_str(&health.cli(&addr, &["kpis", "--json"]).ok("kpis").stdout).expect("json");
    let shown = &kpis["improvements"][0];
    assert!(shown["period"]["closed_on"].is_string(), "{kpis}");
    let on_time = &shown["figures"][0];
    assert_eq!(on_time["criterion"], "on_time");
    assert_eq!((on_time["after"].as_f64(), on_time["n_after"].as_u64()), (Some(1.0), Some(1)), "{shown}");
    assert_eq!((on_time["before"].clone(), on_time["n_before"].as_u64()), (Value::Null, Some(0)));
    let dir = tempfile::tempdir().expect("tempdir");
    let html = dir.path().join("room.html");
    health.cli(&addr, &["kpis", "--html", html.to_str().expect("utf-8")]).ok("html");
    let text = std::fs::read_to_string(&html).expect("report");
    assert!(
        text.contains("slow acknowledgements") && text.contains("Before: – (n &lt;5) → After: – (n &lt;5)"),
        "{text}"
    );

    // A file changed on the home's disk is not shown.
    let file = health.home.join("improvements").join(format!("{id}.json"));
    let mut on_disk: Signed = serde_json::from_slice(&std::fs::read(&file).expect("file")).expect("json");
    on_disk.document = on_disk.document.replace("slow", "no");
    std::fs::write(&file, serde_json::to_vec(&on_disk).expect("json")).expect("write");
    let out = health.cli(&addr, &["improvement", "list"]).ok("list");
    assert!(
        out.stderr.contains("is not shown") && !out.stdout.contains(&id),
        "{} {}",
        out.stdout,
        out.stderr
    );

    // A database writer's change is never served: a home that lost its copy gets nothing.
    let pool = open_db(&app.dep.db_path()).await;
    let tampered = serde_json::to_string(&on_disk).expect("json");
    sqlx::query("UPDATE improvement_periods SET signed = ?")
        .bind(tampered)
        .execute(&pool)
        .await
        .expect("update");
    pool.close().await;
    std::fs::remove_file(&file).expect("remove");
    health.cli(&addr, &["pull"]).ok("pull");
    assert!(!file.exists(), "the changed period was served");
}
