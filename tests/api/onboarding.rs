//! ops/README.md, "A reviewer joins", run step by step with the REAL server and the REAL
//! `amana-review`: the new officer's `keygen`, the operator saving the printed entry, the
//! oversight unit's `roster-sign`, a restart, the officer's first pull (their agency's cases,
//! not yet readable to them), oversight's `rewrap` of the agency's open cases, and the
//! officer reading them — while another agency's case never reaches them.

use std::fs;

use amana_core::roster::SignedRoster;
use serde_json::json;

use crate::helpers::{review_cli, Deployment, KeyGen, Reviewer, TestApp, HEALTH, OVERSIGHT};

const NEW: &str = "health-officer-2";
const OLD_CASE: &str = "ONBOARD-OLD-MARK the pharmacy sells donated medicine";
const NEW_CASE: &str = "ONBOARD-NEW-MARK the queue number system is skipped for friends";
const OTHER_AGENCY: &str = "ONBOARD-TRANSPORT-MARK the bus licence office asks for a tip";

fn roster_version(app: &TestApp) -> u64 {
    let bytes = fs::read(app.dep.keys_dir().join("roster.json")).expect("roster.json");
    let signed: SignedRoster = serde_json::from_slice(&bytes).expect("signed roster");
    signed.open_self_signed().expect("self-consistent roster").version
}

#[tokio::test]
async fn a_reviewer_joins_by_the_documented_commands() {
    let mut app = TestApp::start(Deployment::standard(KeyGen::Cli), &[]);
    let addr = app.address.clone();
    app.submit(&json!({ "kind": "complaint", "agency": "health", "body": OLD_CASE })).await;
    app.submit(&json!({ "kind": "complaint", "agency": "transport", "body": OTHER_AGENCY })).await;
    let fingerprint = app.dep.roster_fingerprint();

    // 1. On the new officer's laptop: keys, with the fingerprint from oversight's paper.
    let home = app.dep.root().join("homes").join(NEW);
    let home_arg = home.to_str().expect("utf-8");
    let entry = review_cli(&[
        "--home",
        home_arg,
        "keygen",
        "--id",
        NEW,
        "--agency",
        "health",
        "--no-passphrase",
        "--roster-fingerprint",
        &fingerprint,
    ])
    .ok("keygen")
    .stdout;
    // 2. The operator saves the printed entry (checked in person) as keys/reviewers/<id>.toml.
    fs::write(app.dep.keys_dir().join("reviewers").join(format!("{NEW}.toml")), &entry).expect("save entry");
    // 3. Oversight signs a new roster from the key directory; 4. the operator restarts.
    let before = roster_version(&app);
    app.dep.roster_sign(&[]).ok("roster-sign");
    assert_eq!(roster_version(&app), before + 1, "a new roster version");
    app.restart();
    let addr_after = app.address.clone();
    assert_ne!(addr, addr_after);
    let addr = addr_after;

    // 5. The first pull: their agency's case, not another agency's; not yet readable.
    let officer = Reviewer { id: NEW.into(), home: home.clone() };
    officer.cli(&addr, &["pull"]).ok("first pull");
    let ids = officer.listed_ids(&addr);
    assert_eq!(ids.len(), 1, "only the health case: {ids:?}");
    let case = ids[0].clone();
    let out = officer.cli(&addr, &["show", &case]).failed("not a reader of an older case yet");
    assert!(out.stderr.contains("not encrypted to your key"), "{}", out.stderr);

    // 6. Oversight rewraps the agency's open cases to the readers the new roster gives them.
    let oversight = app.dep.reviewer(OVERSIGHT).clone();
    oversight.cli(&addr, &["pull"]).ok("oversight pulls");
    let out = oversight.cli(&addr, &["rewrap", &case]).ok("rewrap");
    assert!(out.stdout.contains(NEW), "the new officer is a reader: {}", out.stdout);

    // 7. The officer reads it; a case submitted now is encrypted to them from the start.
    app.submit(&json!({ "kind": "complaint", "agency": "health", "body": NEW_CASE })).await;
    officer.cli(&addr, &["pull"]).ok("pull after the rewrap");
    let ids = officer.listed_ids(&addr);
    assert_eq!(ids.len(), 2, "{ids:?}");
    let shown: String = ids.iter().map(|id| officer.cli(&addr, &["show", id]).ok("show").stdout).collect();
    for text in [OLD_CASE, NEW_CASE] {
        assert!(shown.contains(text), "{text} missing:\n{shown}");
    }
    assert!(!shown.contains(OTHER_AGENCY));
    // The agency's first officer still reads and verifies everything.
    let health = app.dep.reviewer(HEALTH).clone();
    health.cli(&addr, &["pull"]).ok("the first officer verifies the rewrap");
    assert!(health.cli(&addr, &["show", &case]).ok("show").stdout.contains(OLD_CASE));
}
