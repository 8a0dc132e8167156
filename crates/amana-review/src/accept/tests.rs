//! Accepting fixture case lists: what is stored, what is quarantined, and why.

use super::*;
use crate::rewrap;
use crate::testkit::{self, Kit, DEP};
use amana_core::case::Status;
use amana_core::reviewer_keys::home::ReviewerConfig;

fn anchor() -> &'static testkit::Anchor {
    static A: std::sync::OnceLock<testkit::Anchor> = std::sync::OnceLock::new();
    A.get_or_init(testkit::Anchor::new)
}

fn home() -> (tempfile::TempDir, Home) {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = Home::resolve(Some(dir.path().to_path_buf())).expect("home");
    let config = ReviewerConfig {
        key_id: "alice".into(),
        server: None,
        deployment_id: Some(DEP.into()),
        roster_fingerprint: Some(anchor().fingerprint()),
    };
    home.save_config(&config).expect("config");
    (dir, home)
}

static VERSION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn body_with(roster: amana_core::roster::Roster, kit: &Kit, cases: Vec<CaseBundle>) -> Vec<u8> {
    let list = CaseList {
        format: amana_core::wire::CASE_LIST_FORMAT,
        min_cli: None,
        roster: Some(anchor().sign_roster(roster)),
        deployment_id: DEP.into(),
        reviewer_keys: vec![kit.wire()],
        cases,
        as_of: None,
        next: None,
        purged: vec![],
        total: None,
    };
    serde_json::to_vec(&list).expect("json")
}

fn next_roster(kit: &Kit) -> amana_core::roster::Roster {
    testkit::roster(VERSION.fetch_add(1, std::sync::atomic::Ordering::SeqCst), &[kit])
}

fn run(home: &Home, kit: &Kit, cases: Vec<CaseBundle>) -> Result<Summary, ReviewError> {
    accept(home, &body_with(next_roster(kit), kit, cases), "test")
}

/// The reason a pull quarantined `case`, if it did.
fn quarantined(s: &Summary, case: &str) -> Option<String> {
    s.quarantined.iter().find(|(id, _)| id == case).map(|(_, why)| why.clone())
}

#[test]
fn accepts_stores_and_remembers_the_head() {
    let (_dir, home) = home();
    let kit = Kit::new("alice");
    let mut b = kit.bundle("c1");
    let s = run(&home, &kit, vec![b.clone()]).expect("first");
    assert_eq!((s.cases, s.new, s.roster.1), (1, 1, None));
    assert_eq!(std::fs::read(home.case_dir("c1").join("rep.age")).expect("envelope"), b"age file rep");
    kit.status(&mut b, Status::Acknowledged);
    let s = run(&home, &kit, vec![b.clone()]).expect("extended");
    assert_eq!(s.new, 0);
    assert!(s.roster.1.is_some_and(|before| before < s.roster.0));
    let heads = Heads::load(&home).expect("heads");
    assert_eq!(heads.0["c1"].seq, 1);
    assert_eq!(heads.0["c1"].hash, b.events[1].hash);
}

/// The figures' index after a pull: rebuilt when there was none; else the lines of the cases
/// not stored kept as they were, one line per stored case (stored twice when the roster
/// changed); and left alone when nothing was stored.
#[test]
fn the_figures_index_is_updated_line_by_line_after_a_pull() {
    use crate::facts::index::{after_pull, before_pull, FILE};
    let (_dir, home) = home();
    let kit = Kit::new("alice");
    let (c1, mut c2) = (kit.bundle("c1"), kit.bundle("c2"));
    let s = run(&home, &kit, vec![c1, c2.clone()]).expect("first");
    after_pull(&home, before_pull(&home), &s.stored);
    let index = || std::fs::read_to_string(home.file(FILE)).expect("index");
    let first = index();
    assert_eq!(first.lines().count(), 3, "{first}");
    let c1_line = first.lines().find(|l| l.starts_with("c1\t")).expect("c1").to_string();

    let before = before_pull(&home);
    kit.status(&mut c2, Status::Acknowledged);
    let s = run(&home, &kit, vec![c2]).expect("again");
    after_pull(&home, before, &[s.stored.clone(), s.stored].concat());
    let second = index();
    assert_eq!(second.lines().count(), 3, "{second}");
    assert!(second.contains(&format!("{c1_line}\n")), "{second}");
    let c2_line = second.lines().find(|l| l.starts_with("c2\t")).expect("c2");
    assert!(c2_line.contains("\tacknowledged\t"), "{c2_line}");

    let marked = format!("{second}a line kpis would refuse\n");
    std::fs::write(home.file(FILE), &marked).expect("mark");
    after_pull(&home, before_pull(&home), &[]);
    assert_eq!(index(), marked, "a pull that stored nothing leaves the index as it was");
}

/// Writes an unprotected identity into the home; returns its recipient.
fn with_identity(home: &Home) -> age::x25519::Recipient {
    let secrets = amana_core::reviewer_keys::ReviewerSecrets::generate().expect("keys");
    let text = secrets.identity_file(testkit::ON);
    std::fs::write(home.file(home::IDENTITY_FILE), text.as_bytes()).expect("identity");
    amana_core::reviewer_keys::parse_identity_file(&text).expect("parse").to_public()
}

#[test]
fn a_changed_envelope_needs_a_signed_rewrap_with_the_right_plaintext_hash() {
    let (_dir, home) = home();
    let me = with_identity(&home);
    let kit = Kit::new("alice");
    let plain = b"the same payload";
    let old = amana_core::envelope::encrypt(plain, std::slice::from_ref(&me)).expect("encrypt");
    let mut b = kit.bundle("c1");
    b.envelopes[0].age_b64 = B64.encode(&old);
    run(&home, &kit, vec![b.clone()]).expect("first");
    // Swapped without a rewrap: quarantined, the copy kept.
    let new = amana_core::envelope::encrypt(plain, std::slice::from_ref(&me)).expect("encrypt");
    let mut swapped = b.clone();
    swapped.envelopes[0].age_b64 = B64.encode(&new);
    let s = run(&home, &kit, vec![swapped]).expect("pull");
    assert!(quarantined(&s, "c1").is_some_and(|w| w.contains("the content of envelope rep changed")));
    // A signed rewrap recording another plaintext's hash: quarantined, nothing written.
    let mut wrong = b.clone();
    kit.rewrap(&mut wrong, &[("rep", &new, &rewrap::plaintext_sha256(b"something else"))]);
    let s = run(&home, &kit, vec![wrong]).expect("pull");
    let why = quarantined(&s, "c1").expect("quarantined");
    assert!(why.contains("does not decrypt to the plaintext its signed rewrap records"), "{why}");
    assert_eq!(std::fs::read(home.case_dir("c1").join("rep.age")).expect("kept"), old);
    assert!(Quarantine::load(&home).expect("q").0.contains_key("c1"));
    // A rewrap to keys that shut this reviewer out: the readable copy is kept.
    let mut shut_out = b.clone();
    let stranger = age::x25519::Identity::generate().to_public();
    let other = amana_core::envelope::encrypt(plain, &[stranger]).expect("encrypt");
    kit.rewrap(&mut shut_out, &[("rep", &other, &rewrap::plaintext_sha256(plain))]);
    let s = run(&home, &kit, vec![shut_out]).expect("pull");
    assert!(quarantined(&s, "c1").is_some_and(|w| w.contains("no longer opens with your key")));
    assert_eq!(std::fs::read(home.case_dir("c1").join("rep.age")).expect("kept"), old);
    // The right hash: accepted, the new file replaces the old one, the quarantine ends.
    kit.rewrap(&mut b, &[("rep", &new, &rewrap::plaintext_sha256(plain))]);
    let s = run(&home, &kit, vec![b]).expect("rewrapped");
    assert!(s.quarantined.is_empty());
    assert_eq!(std::fs::read(home.case_dir("c1").join("rep.age")).expect("new"), new);
    assert!(Quarantine::load(&home).expect("q").0.is_empty());
}

#[test]
fn a_recomputed_rewrite_is_quarantined_even_without_the_local_copy_and_others_still_pull() {
    let (_dir, home) = home();
    let kit = Kit::new("alice");
    let mut b = kit.bundle("c1");
    kit.status(&mut b, Status::Acknowledged);
    run(&home, &kit, vec![b.clone()]).expect("first");
    let before = std::fs::read(home.case_dir("c1").join("case.json")).expect("case.json");
    let mut rewritten = b.clone();
    // Re-dated by a day, within what its signature allows; changing an earlier event
    // would also change the head the status change is bound to (history.rs tests that).
    rewritten.events[1].on = testkit::ON.next_day().expect("date");
    testkit::rehash(&mut rewritten);
    let s = run(&home, &kit, vec![rewritten.clone(), kit.bundle("c2")]).expect("pull");
    assert!(quarantined(&s, "c1").is_some());
    assert_eq!(s.listed, ["c2"], "the other case is stored");
    assert_eq!(std::fs::read(home.case_dir("c1").join("case.json")).expect("kept"), before);
    std::fs::remove_dir_all(home.case_dir("c1")).expect("rm");
    let s = run(&home, &kit, vec![rewritten]).expect("pull");
    let why = quarantined(&s, "c1").expect("heads still remember");
    assert!(why.contains("no longer contains the last verified event 1"), "{why}");
}

#[test]
fn a_wrong_deployment_or_roster_key_writes_nothing() {
    let (_dir, home) = home();
    let kit = Kit::new("alice");
    let b = kit.bundle("c1");
    let mut list: CaseList =
        serde_json::from_slice(&body_with(next_roster(&kit), &kit, vec![b.clone()])).expect("list");
    list.deployment_id = "other".into();
    let err = accept(&home, &serde_json::to_vec(&list).expect("json"), "bundle.json").expect_err("dep");
    assert!(err.to_string().contains("bundle.json is for deployment `other`"), "{err}");
    // A roster signed by anyone else (a server, a carrier) is refused as a whole.
    list.deployment_id = DEP.into();
    list.roster = Some(testkit::Anchor::new().sign(99, &[&kit]));
    let err = accept(&home, &serde_json::to_vec(&list).expect("json"), "t").expect_err("key");
    assert!(matches!(err, ReviewError::RosterRefused { .. }), "{err}");
    list.roster = None;
    let err = accept(&home, &serde_json::to_vec(&list).expect("json"), "t").expect_err("none");
    assert!(matches!(err, ReviewError::NoRoster), "{err}");
    assert!(!home.cases_dir().exists());
    // A newer list format says "upgrade".
    let mut newer: serde_json::Value =
        serde_json::from_slice(&body_with(next_roster(&kit), &kit, vec![b])).expect("json");
    newer["format"] = serde_json::json!(SUPPORTED_FORMAT + 1);
    let err = accept(&home, &serde_json::to_vec(&newer).expect("json"), "t").expect_err("newer");
    assert!(err.to_string().contains("upgrade amana-review"), "{err}");
}

#[test]
fn a_revoked_key_counts_only_for_what_this_home_verified_or_the_roster_vouches_for() {
    let kit = Kit::new("alice");
    let mut b = kit.bundle("c1");
    kit.status(&mut b, Status::Acknowledged);
    let revoked = |valid: Vec<String>| {
        let mut r = next_roster(&kit);
        let e = r.reviewers.iter_mut().find(|e| e.id == "alice").expect("alice");
        e.revoked_on = Some(testkit::ON);
        e.valid_events = valid;
        r
    };
    // A home that verified the event before learning of the revocation keeps it, even
    // with the revocation dated the same day.
    let (_dir, verified) = home();
    run(&verified, &kit, vec![b.clone()]).expect("before");
    let s = accept(&verified, &body_with(revoked(vec![]), &kit, vec![b.clone()]), "t").expect("after");
    assert!(s.quarantined.is_empty(), "{:?}", s.quarantined);
    // A later event by the revoked key is refused.
    let mut later = b.clone();
    kit.status(&mut later, Status::InReview);
    let s = accept(&verified, &body_with(revoked(vec![]), &kit, vec![later]), "t").expect("pull");
    assert!(quarantined(&s, "c1").is_some_and(|w| w.contains("revokes")));
    // A fresh home accepts it only if the roster vouches for it.
    let (_dir, fresh) = home();
    let s = accept(&fresh, &body_with(revoked(vec![]), &kit, vec![b.clone()]), "t").expect("pull");
    assert!(quarantined(&s, "c1").is_some());
    let (_dir, fresh) = home();
    let vouched = revoked(vec![b.events[1].hash.clone()]);
    let s = accept(&fresh, &body_with(vouched, &kit, vec![b]), "t").expect("pull");
    assert!(s.quarantined.is_empty(), "{:?}", s.quarantined);
}

#[test]
fn only_oversight_may_rewrap_and_unknown_signers_are_refused() {
    let (_dir, home) = home();
    let kit = Kit::new("alice");
    let mut b = kit.bundle("c1");
    kit.rewrap(&mut b, &[("rep", b"x", &"0".repeat(64))]);
    let mut roster = next_roster(&kit);
    let e = roster.reviewers.iter_mut().find(|e| e.id == "alice").expect("alice");
    (e.oversight, e.agencies) = (false, vec!["health".into()]);
    let s = accept(&home, &body_with(roster, &kit, vec![b]), "t").expect("pull");
    assert!(quarantined(&s, "c1").is_some_and(|w| w.contains("only oversight keys may rewrap")));
    let mut b = kit.bundle("c2");
    Kit::new("mallory").status(&mut b, Status::Acknowledged);
    let s = run(&home, &kit, vec![b]).expect("pull");
    assert!(quarantined(&s, "c2").is_some_and(|w| w.contains("not in the signed roster")));
}

#[test]
fn legal_holds_verify_when_oversight_signs_them_and_only_then() {
    let (_dir, h) = home();
    let kit = Kit::new("alice");
    let review_on = crate::testkit::ON + time::Duration::days(90);
    let mut b = kit.bundle("c1");
    kit.hold(&mut b, "why", review_on);
    kit.release(&mut b);
    let s = run(&h, &kit, vec![b]).expect("pull");
    assert!(s.quarantined.is_empty(), "{:?}", s.quarantined);
    // The same events by an agency key.
    let (_dir, h) = home();
    let mut b = kit.bundle("c2");
    kit.hold(&mut b, "why", review_on);
    let mut roster = next_roster(&kit);
    let e = roster.reviewers.iter_mut().find(|e| e.id == "alice").expect("alice");
    (e.oversight, e.agencies) = (false, vec!["health".into()]);
    let s = accept(&h, &body_with(roster, &kit, vec![b]), "t").expect("pull");
    assert!(quarantined(&s, "c2").is_some_and(|w| w.contains("only oversight keys may hold")));
    // A review date other than the one signed.
    let (_dir, h) = home();
    let mut b = kit.bundle("c3");
    kit.hold(&mut b, "why", review_on);
    b.events[1].detail = serde_json::json!({ "review_on": testkit::ON, "envelope_id": "why" }).to_string();
    b.events[1].hash = amana_core::events::compute_hash("c3", &b.events[1]);
    let s = run(&h, &kit, vec![b]).expect("pull");
    assert!(quarantined(&s, "c3").is_some_and(|w| w.contains("another review date")), "{:?}", s.quarantined);
}

#[test]
fn hostile_ids_and_duplicates_are_refused_and_the_rest_pulls() {
    let (dir, home) = home();
    let kit = Kit::new("alice");
    for bad in ["../x", "a/b", ""] {
        let s = run(&home, &kit, vec![kit.bundle("fine"), kit.bundle(bad)]).expect("pull");
        assert!(quarantined(&s, bad).is_some());
        assert_eq!(s.listed, ["fine"]);
    }
    let mut b = kit.bundle("ok");
    b.envelopes[0].id = "../../escape".into();
    let s = run(&home, &kit, vec![b]).expect("pull");
    assert!(quarantined(&s, "ok").is_some());
    let s = run(&home, &kit, vec![kit.bundle("c"), kit.bundle("c")]).expect("pull");
    assert!(quarantined(&s, "c").is_some_and(|w| w.contains("listed twice")));
    assert!(!home.case_dir("c").exists() && !home.case_dir("ok").exists());
    assert!(!dir.path().join("x").exists());
    let q = Quarantine::load(&home).expect("q");
    assert!(q.0.contains_key("c") && q.0.contains_key("ok") && !q.0.contains_key("../x"));
}

#[test]
fn applied_outbox_requests_are_archived() {
    let (_dir, home) = home();
    let kit = Kit::new("alice");
    let mut b = kit.bundle("c1");
    kit.status(&mut b, Status::Acknowledged);
    let action: SignedAction =
        serde_json::from_str(b.events[1].signed.as_deref().expect("signed")).expect("action");
    let sig = amana_core::signing::Signature {
        key_id: action.key_id,
        timestamp: action.timestamp,
        nonce: action.nonce,
        signature: action.signature,
    };
    let file = amana_core::signing::SignedRequestFile::new(DEP, "POST", &action.path, action.body, sig);
    outbox::queue(&home, &file, "c1", "status").expect("queue");
    let s = run(&home, &kit, vec![b]).expect("pull");
    assert_eq!(s.applied, 1);
    assert!(outbox::pending(&home).expect("pending").is_empty());
}

#[test]
fn one_signed_request_in_two_cases_of_a_list_is_quarantined() {
    let (_dir, home) = home();
    let kit = Kit::new("alice");
    let nonce = amana_core::signing::new_nonce();
    let cases: Vec<CaseBundle> = ["c1", "c2"]
        .into_iter()
        .map(|id| {
            let mut b = kit.bundle(id);
            let change = amana_core::wire::StatusChange {
                status: Status::Acknowledged,
                note_age_b64: None,
                head: testkit::head(&b),
            };
            let body = serde_json::to_string(&change).expect("json");
            let path = amana_core::wire::paths::status(id);
            let signed = kit.signed_with(&path, body, testkit::SIGNED_AT, &nonce);
            let detail = serde_json::json!({ "from": "received", "envelope_id": null });
            testkit::push(
                &mut b,
                amana_core::events::EventKind::StatusChanged,
                Status::Acknowledged,
                detail,
                Some(signed),
            );
            b.status = Status::Acknowledged;
            b
        })
        .collect();
    let s = run(&home, &kit, cases).expect("the list is read");
    let why = quarantined(&s, "c2").expect("the repeat is quarantined");
    assert!(why.contains("event 1 repeats a signed request of case c1 (same nonce"), "{why}");
    assert_eq!(s.listed, ["c1"]);
    assert!(!home.case_dir("c2").exists());
}
