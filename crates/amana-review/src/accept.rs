//! Accepting a case list — from an online pull or an imported bundle, the same way.
//!
//! The whole answer is checked before anything is written: the deployment id is the
//! configured one; reviewer keys are pinned on first use and a changed one is refused
//! ([`KnownKeys`]); ids are safe file names; every case's history verifies ([`history`]) and
//! extends the head this home verified before ([`Heads`]); and every case pulled before is
//! *extended*, never rewritten — same metadata, earlier events unchanged and in place,
//! envelopes unchanged byte for byte (DESIGN.md invariant 9) unless a signed `rewrapped`
//! event covers the change, and then each rewrapped envelope must decrypt to the plaintext
//! hash that event records ([`check_rewrapped`]). Any failure writes nothing.

use std::collections::{HashMap, HashSet};

use amana_core::events::SignedAction;
use amana_core::wire::{CaseBundle, CaseList};
use base64::{engine::general_purpose::STANDARD as B64, Engine};

use crate::cases::{self, envelope_path, LocalCase};
use crate::error::ReviewError;
use crate::heads::{self, Heads};
use crate::history;
use crate::home::{self, check_id, Home};
use crate::known_keys::{Changes, KnownKeys};
use crate::outbox;
use crate::rewrap;
use crate::session::require_deployment_id;

/// One envelope as it will be stored.
pub struct AgeFile {
    /// The envelope id (checked with [`check_id`]).
    pub id: String,
    /// The binary age file.
    pub bytes: Vec<u8>,
}

/// A case ready to be written: metadata without ciphertext, and the age files.
struct Planned {
    bundle: CaseBundle,
    files: Vec<AgeFile>,
    /// What we had before, if anything.
    local: Option<LocalCase>,
}

/// What an accepted list changed.
#[derive(Debug)]
pub struct Summary {
    /// Cases in the list.
    pub cases: usize,
    /// Cases not held before.
    pub new: usize,
    /// Reviewer keys pinned or replaced.
    pub keys: Changes,
    /// Outbox requests the history shows as applied, moved to `outbox/sent/`.
    pub applied: usize,
    /// Cases held locally that the list no longer contains.
    pub missing: Vec<String>,
    /// The ids of the cases in the list.
    pub listed: Vec<String>,
}

/// Verifies `body` (a `CaseList` as JSON, from `source`) and stores it.
pub fn accept(home: &Home, body: &[u8], source: &str, accept_new_keys: bool) -> Result<Summary, ReviewError> {
    let list: CaseList = serde_json::from_slice(body).map_err(|e| bad(source, e.to_string()))?;
    let config = home.read_config()?;
    let expected = require_deployment_id(home, &config)?;
    if list.deployment_id != expected {
        let got = cases::printable(&list.deployment_id.chars().take(80).collect::<String>());
        return Err(ReviewError::DeploymentMismatch { source_desc: source.to_string(), expected, got });
    }
    let mut keys = KnownKeys::load(home)?;
    let today = time::OffsetDateTime::now_utc().date();
    let changes = keys.merge(&list.reviewer_keys, accept_new_keys, today)?;
    let mut heads = Heads::load(home)?;
    let planned = plan(home, list.cases, source, &expected, &keys, &heads)?;
    check_rewrapped(home, &planned)?;

    for case in &planned {
        write(home, case)?;
    }
    keys.save(home)?;
    let mut applied_nonces = HashSet::new();
    for case in &planned {
        if let Some(head) = heads::head_of(&case.bundle.events) {
            heads.0.insert(case.bundle.id.clone(), head);
        }
        let signed = case.bundle.events.iter().filter_map(|e| e.signed.as_deref());
        applied_nonces
            .extend(signed.filter_map(|s| serde_json::from_str::<SignedAction>(s).ok()).map(|a| a.nonce));
    }
    heads.save(home)?;
    let listed: HashSet<&str> = planned.iter().map(|p| p.bundle.id.as_str()).collect();
    let mut missing: Vec<String> = cases::load_all(home)?
        .into_iter()
        .map(|c| c.bundle.id)
        .filter(|id| !listed.contains(id.as_str()))
        .collect();
    missing.sort();
    Ok(Summary {
        cases: planned.len(),
        new: planned.iter().filter(|p| p.local.is_none()).count(),
        keys: changes,
        applied: outbox::archive_applied(home, &applied_nonces)?,
        missing,
        listed: planned.iter().map(|p| p.bundle.id.clone()).collect(),
    })
}

/// Validates every case against the local store; writes nothing.
fn plan(
    home: &Home,
    bundles: Vec<CaseBundle>,
    source: &str,
    deployment_id: &str,
    keys: &KnownKeys,
    heads: &Heads,
) -> Result<Vec<Planned>, ReviewError> {
    let mut seen = HashSet::new();
    // Every signed request's nonce, with its case: one request stands in one place only.
    let mut nonces: HashMap<String, String> = HashMap::new();
    let mut planned = Vec::with_capacity(bundles.len());
    for bundle in bundles {
        check_id("case id", &bundle.id)?;
        if !seen.insert(bundle.id.clone()) {
            return Err(bad(source, format!("case {} is listed twice", bundle.id)));
        }
        let (bundle, files) = split_envelopes(bundle, source)?;
        check_attachments(&bundle, source)?;
        history::verify(&bundle, &files, deployment_id, keys)?;
        for (seq, nonce) in history::signed_nonces(&bundle) {
            if let Some(other) = nonces.insert(nonce, bundle.id.clone()) {
                return Err(ReviewError::HistoryInvalid {
                    case: bundle.id.clone(),
                    detail: format!(
                        "event {seq} repeats a signed request of case {other} (same nonce: a replayed request)"
                    ),
                });
            }
        }
        heads.check(&bundle.id, &bundle.events)?;
        let local = cases::load(home, &bundle.id)?;
        if let Some(local) = &local {
            check_extends(local, &bundle, &files)?;
        }
        planned.push(Planned { bundle, files, local });
    }
    Ok(planned)
}

fn bad(source: &str, detail: String) -> ReviewError {
    ReviewError::BadResponse { url: source.to_string(), detail }
}

/// Checks envelope ids and decodes each envelope, leaving `age_b64` empty in the bundle.
fn split_envelopes(mut bundle: CaseBundle, source: &str) -> Result<(CaseBundle, Vec<AgeFile>), ReviewError> {
    let mut seen = HashSet::new();
    let mut files = Vec::with_capacity(bundle.envelopes.len());
    for env in &mut bundle.envelopes {
        check_id("envelope id", &env.id)?;
        if !seen.insert(env.id.clone()) {
            return Err(bad(source, format!("case {}: envelope {} is listed twice", bundle.id, env.id)));
        }
        let bytes = B64
            .decode(std::mem::take(&mut env.age_b64))
            .map_err(|e| bad(source, format!("case {}, envelope {}: not base64: {e}", bundle.id, env.id)))?;
        files.push(AgeFile { id: env.id.clone(), bytes });
    }
    Ok((bundle, files))
}

/// Attachment ids become file names; each description must be base64 (it stays in
/// case.json, encrypted, and is decrypted by `show` and `export`).
fn check_attachments(bundle: &CaseBundle, source: &str) -> Result<(), ReviewError> {
    let mut seen = HashSet::new();
    for att in &bundle.attachments {
        check_id("attachment id", &att.id)?;
        if !seen.insert(att.id.as_str()) {
            return Err(bad(source, format!("case {}: attachment {} is listed twice", bundle.id, att.id)));
        }
        if B64.decode(&att.meta_age_b64).is_err() {
            let detail = format!("case {}, attachment {}: its description is not base64", bundle.id, att.id);
            return Err(bad(source, detail));
        }
    }
    Ok(())
}

/// Refuses a case whose record does not extend the local one.
fn check_extends(local: &LocalCase, new: &CaseBundle, files: &[AgeFile]) -> Result<(), ReviewError> {
    let old = &local.bundle;
    let rewritten = |detail: String| ReviewError::HistoryRewritten { case: old.id.clone(), detail };
    if (old.kind, &old.agency, old.oversight_only, old.received_on)
        != (new.kind, &new.agency, new.oversight_only, new.received_on)
    {
        return Err(rewritten("its kind, agency, oversight flag or date changed".into()));
    }
    if new.events.len() < old.events.len() {
        return Err(rewritten(format!(
            "its history now has {} events, you had {}",
            new.events.len(),
            old.events.len()
        )));
    }
    if let Some((i, _)) = old.events.iter().zip(&new.events).enumerate().find(|(_, (a, b))| a != b) {
        return Err(rewritten(format!("history event #{i} changed")));
    }
    for env in &old.envelopes {
        let same = new.envelopes.iter().find(|n| n.id == env.id);
        if same.is_none_or(|n| (n.part, n.created_on) != (env.part, env.created_on)) {
            return Err(rewritten(format!("envelope {} was removed or relabelled", env.id)));
        }
        check_envelope_unchanged(local, new, &env.id, files)?;
    }
    // A file we hold (or may hold) must keep its size and description: the content we
    // fetched earlier is only trusted as long as it is the same file.
    for att in &old.attachments {
        if !new.attachments.contains(att) {
            return Err(rewritten(format!("attachment {} was removed or changed", att.id)));
        }
    }
    Ok(())
}

/// An envelope we already hold must come back byte for byte, unless a signed rewrap covers
/// it (`history::verify` then pinned the new bytes to that signed request).
fn check_envelope_unchanged(
    local: &LocalCase,
    new: &CaseBundle,
    id: &str,
    files: &[AgeFile],
) -> Result<(), ReviewError> {
    check_id("envelope id", id)?;
    let path = local.envelope_path(id);
    let held = match std::fs::read(&path) {
        // Lost locally (deleted by hand?): nothing to compare, the new copy will be written.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        other => other.map_err(crate::error::io_error(&path))?,
    };
    match files.iter().find(|f| f.id == id) {
        Some(file) if file.bytes == held => Ok(()),
        Some(_) if history::last_rewrap(new, id).is_some() => Ok(()),
        _ => Err(ReviewError::HistoryRewritten {
            case: local.bundle.id.clone(),
            detail: format!("the content of envelope {id} changed"),
        }),
    }
}

/// Each rewrapped envelope that is new to this home (or changed) must decrypt to the
/// plaintext whose SHA-256 the signed `rewrapped` event records — and so must the copy we
/// held before, if any: a rewrap may change who can read an envelope, never what it says.
/// The identity is unlocked only when a pull brings such envelopes; envelopes it cannot
/// open are left to their readers.
fn check_rewrapped(home: &Home, planned: &[Planned]) -> Result<(), ReviewError> {
    let mut work = Vec::new();
    for case in planned {
        for file in &case.files {
            let Some((_, hash)) = history::last_rewrap(&case.bundle, &file.id) else { continue };
            let held = case.local.as_ref().and_then(|l| std::fs::read(l.envelope_path(&file.id)).ok());
            if held.as_ref() != Some(&file.bytes) {
                work.push((&case.bundle.id, file, held, hash));
            }
        }
    }
    if work.is_empty() {
        return Ok(());
    }
    let identity = home.identity(&mut crate::passphrase::Unlocker::default())?;
    for (case, file, held, hash) in work {
        for bytes in std::iter::once(&file.bytes).chain(held.as_ref()) {
            let Some(plain) = rewrap::decrypt_bytes(case, &file.id, bytes, &identity)? else { continue };
            if rewrap::plaintext_sha256(&plain) != hash {
                return Err(ReviewError::HistoryInvalid {
                    case: case.clone(),
                    detail: format!(
                        "envelope {} does not decrypt to the plaintext its signed rewrap records",
                        file.id
                    ),
                });
            }
        }
    }
    Ok(())
}

/// Writes one case: envelopes first, `case.json` last, so a case.json never names a
/// missing envelope.
fn write(home: &Home, case: &Planned) -> Result<(), ReviewError> {
    let dir = home.case_dir(&case.bundle.id);
    home::create_private_dir(&dir)?;
    for file in &case.files {
        let path = envelope_path(&dir, &file.id);
        // Envelopes we held before were compared in `check_extends`: only a rewrapped one
        // comes back changed, and is written again.
        let held = case.local.is_some() && std::fs::read(&path).is_ok_and(|old| old == file.bytes);
        if !held {
            home::replace_file(&path, &file.bytes)?;
        }
    }
    LocalCase { dir, bundle: case.bundle.clone() }.save()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, Kit, DEP};
    use amana_core::case::Status;
    use amana_core::reviewer_keys::home::ReviewerConfig;
    use amana_core::wire::ReviewerKeyWire;

    fn home() -> (tempfile::TempDir, Home) {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = Home::resolve(Some(dir.path().to_path_buf())).expect("home");
        let config = ReviewerConfig { key_id: "alice".into(), server: None, deployment_id: Some(DEP.into()) };
        home.save_config(&config).expect("config");
        (dir, home)
    }

    fn body(keys: &[ReviewerKeyWire], cases: Vec<CaseBundle>) -> Vec<u8> {
        let list = CaseList { deployment_id: DEP.into(), reviewer_keys: keys.to_vec(), cases };
        serde_json::to_vec(&list).expect("json")
    }

    fn run(home: &Home, kit: &Kit, cases: Vec<CaseBundle>) -> Result<Summary, ReviewError> {
        accept(home, &body(&[kit.wire()], cases), "test", false)
    }

    #[test]
    fn accepts_stores_and_remembers_the_head() {
        let (_dir, home) = home();
        let kit = Kit::new("alice");
        let mut b = kit.bundle("c1");
        let s = run(&home, &kit, vec![b.clone()]).expect("first");
        assert_eq!((s.cases, s.new, s.keys.pinned.clone()), (1, 1, vec!["alice".to_string()]));
        assert_eq!(std::fs::read(home.case_dir("c1").join("rep.age")).expect("envelope"), b"age file rep");
        kit.status(&mut b, Status::Acknowledged);
        let s = run(&home, &kit, vec![b.clone()]).expect("extended");
        assert_eq!((s.new, s.keys.pinned.len()), (0, 0));
        let heads = Heads::load(&home).expect("heads");
        assert_eq!(heads.0["c1"].seq, 1);
        assert_eq!(heads.0["c1"].hash, b.events[1].hash);
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
        // Swapped without a rewrap: refused, as before.
        let new = amana_core::envelope::encrypt(plain, &[me]).expect("encrypt");
        let mut swapped = b.clone();
        swapped.envelopes[0].age_b64 = B64.encode(&new);
        let err = run(&home, &kit, vec![swapped]).expect_err("no rewrap");
        assert!(err.to_string().contains("the content of envelope rep changed"), "{err}");
        // A signed rewrap recording another plaintext's hash: refused, nothing written.
        let mut wrong = b.clone();
        kit.rewrap(&mut wrong, &[("rep", &new, &rewrap::plaintext_sha256(b"something else"))]);
        let err = run(&home, &kit, vec![wrong]).expect_err("wrong hash");
        assert!(
            err.to_string().contains("does not decrypt to the plaintext its signed rewrap records"),
            "{err}"
        );
        assert_eq!(std::fs::read(home.case_dir("c1").join("rep.age")).expect("kept"), old);
        // The right hash: accepted, and the new file replaces the old one.
        kit.rewrap(&mut b, &[("rep", &new, &rewrap::plaintext_sha256(plain))]);
        run(&home, &kit, vec![b]).expect("rewrapped");
        assert_eq!(std::fs::read(home.case_dir("c1").join("rep.age")).expect("new"), new);
    }

    #[test]
    fn a_recomputed_rewrite_is_refused_even_without_the_local_copy() {
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
        let err = run(&home, &kit, vec![rewritten.clone()]).expect_err("rewritten");
        assert!(matches!(err, ReviewError::HistoryRewritten { .. }), "{err}");
        assert_eq!(std::fs::read(home.case_dir("c1").join("case.json")).expect("kept"), before);
        std::fs::remove_dir_all(home.case_dir("c1")).expect("rm");
        let err = run(&home, &kit, vec![rewritten]).expect_err("heads still remember");
        assert!(err.to_string().contains("no longer contains the last verified event 1"), "{err}");
    }

    #[test]
    fn wrong_deployment_and_changed_keys_write_nothing() {
        let (_dir, home) = home();
        let kit = Kit::new("alice");
        let b = kit.bundle("c1");
        let mut list = CaseList {
            deployment_id: "other".into(),
            reviewer_keys: vec![kit.wire()],
            cases: vec![b.clone()],
        };
        let err =
            accept(&home, &serde_json::to_vec(&list).expect("json"), "bundle.json", false).expect_err("dep");
        assert!(err.to_string().contains("bundle.json is for deployment `other`"), "{err}");
        assert!(!home.cases_dir().exists());
        run(&home, &kit, vec![b.clone()]).expect("pin");
        let swapped = Kit::new("alice");
        list.deployment_id = DEP.into();
        list.reviewer_keys = vec![swapped.wire()];
        let err = accept(&home, &serde_json::to_vec(&list).expect("json"), "t", false).expect_err("changed");
        assert!(matches!(err, ReviewError::KeyChanged { .. }), "{err}");
        // Accepting the new key does not make the old signatures disappear: c1 has none yet.
        let s = accept(&home, &serde_json::to_vec(&list).expect("json"), "t", true).expect("accepted");
        assert_eq!(s.keys.replaced, ["alice"]);
    }

    #[test]
    fn a_revoked_key_verifies_history_only_before_its_date() {
        let kit = Kit::new("alice");
        let mut b = kit.bundle("c1");
        kit.status(&mut b, Status::Acknowledged);
        // Signed on 2027-01-15 (the kit's timestamp), stored on testkit::ON.
        let signed_on = time::macros::date!(2027 - 01 - 15);
        let after_both = signed_on.max(testkit::ON).next_day().expect("date");
        let (_dir, fresh) = home();
        let revoked_later = ReviewerKeyWire { revoked_on: Some(after_both), ..kit.wire() };
        let s = accept(&fresh, &body(&[revoked_later], vec![b.clone()]), "t", false).expect("signed before");
        assert_eq!(s.keys.revoked, [("alice".to_string(), after_both)]);
        for too_early in [testkit::ON, signed_on] {
            let (_dir, fresh) = home();
            let revoked = ReviewerKeyWire { revoked_on: Some(too_early), ..kit.wire() };
            let err =
                accept(&fresh, &body(&[revoked], vec![b.clone()]), "t", false).expect_err("on or after");
            assert!(matches!(err, ReviewError::HistoryInvalid { .. }), "{err}");
            assert!(!fresh.cases_dir().exists());
        }
    }

    #[test]
    fn hostile_ids_and_duplicates_write_nothing() {
        let (dir, home) = home();
        let kit = Kit::new("alice");
        for bad in ["../x", "a/b", ""] {
            let err = run(&home, &kit, vec![kit.bundle("fine"), kit.bundle(bad)]).expect_err("refused");
            assert!(matches!(err, ReviewError::UnsafeId { .. }), "{err}");
        }
        let mut b = kit.bundle("ok");
        b.envelopes[0].id = "../../escape".into();
        assert!(matches!(run(&home, &kit, vec![b]), Err(ReviewError::UnsafeId { .. })));
        assert!(matches!(
            run(&home, &kit, vec![kit.bundle("c"), kit.bundle("c")]),
            Err(ReviewError::BadResponse { .. })
        ));
        assert!(!home.cases_dir().exists());
        assert!(!dir.path().join("x").exists());
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
    fn one_signed_request_in_two_cases_of_a_list_is_refused() {
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
        let err = run(&home, &kit, cases).expect_err("same nonce");
        assert!(
            err.to_string().contains(
                "case c2: its history does not verify: event 1 repeats a signed request of case c1"
            ),
            "{err}"
        );
        assert!(!home.cases_dir().exists());
    }
}
