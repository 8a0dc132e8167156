//! Accepting a case list — from an online pull or an imported bundle, the same way.
//!
//! Every case is checked before anything of it is written: the deployment id is the
//! configured one; the roster is signed by the key whose fingerprint this home was given in
//! person and is not older than the one held ([`trust`]), and every key comes from it; ids
//! are safe file names; every case's history verifies ([`history`]) and
//! extends the head this home verified before ([`Heads`]); and every case pulled before is
//! *extended*, never rewritten — same metadata, earlier events unchanged and in place,
//! envelopes unchanged byte for byte (SECURITY.md invariant 9) unless a signed `rewrapped`
//! event covers the change, and then each rewrapped envelope must decrypt to the plaintext
//! hash that event records ([`check_rewrapped`]). A case that fails is quarantined
//! ([`Quarantine`]) and keeps what this home held; the other cases are stored.

use std::collections::{HashMap, HashSet};

use amana_core::events::{EventKind, SignedAction};
use amana_core::roster::Roster;
use amana_core::wire::{CaseBundle, CaseList};
use base64::{engine::general_purpose::STANDARD as B64, Engine};

use crate::cases::AgeFile;
use crate::cases::{self, envelope_path, LocalCase};
use crate::error::ReviewError;
use crate::heads::{self, Heads};
use crate::history::{self, Signers};
use crate::home::{self, check_id, Home};
use crate::outbox;
use crate::quarantine::Quarantine;
use crate::rewrap;
use crate::session::require_deployment_id;
use crate::trust;

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
    /// Cases in the list that were verified and stored.
    pub cases: usize,
    /// Cases not held before.
    pub new: usize,
    /// The roster version now held, and the one held before (if any).
    pub roster: (u64, Option<u64>),
    /// Outbox requests the history shows as applied, moved to `outbox/sent/`.
    pub applied: usize,
    /// Cases held locally that the list no longer contains.
    pub missing: Vec<String>,
    /// The ids of the cases verified and stored.
    pub listed: Vec<String>,
    /// Cases refused by this pull (kept as they were, quarantined), with the reason.
    pub quarantined: Vec<(String, String)>,
    /// Revocations this home learnt from the roster with this pull: key id and date.
    pub revoked: Vec<(String, time::Date)>,
    /// Requests the server acknowledged that a case stored now does not show.
    pub lacking: Vec<crate::acknowledged::Acknowledged>,
}

/// The case-list format this release reads (`CaseList::format`).
pub const SUPPORTED_FORMAT: u32 = 3;

/// Verifies `body` (a `CaseList` as JSON, from `source`) and stores every case that verifies;
/// the others are quarantined. Only a list that cannot be trusted as a whole (unreadable, for
/// another deployment, without a roster signed by the pinned key) is refused entirely.
pub fn accept(home: &Home, body: &[u8], source: &str) -> Result<Summary, ReviewError> {
    let list = parse_list(body, source)?;
    let config = home.read_config()?;
    let expected = require_deployment_id(home, &config)?;
    if list.deployment_id != expected {
        let got = cases::printable(&list.deployment_id.chars().take(80).collect::<String>());
        return Err(ReviewError::DeploymentMismatch { source_desc: source.to_string(), expected, got });
    }
    let held = trust::held(home, &expected)?;
    let previous = held.as_ref().map(|t| t.roster.version);
    let trusted = trust::check_offered(home, list.roster.as_ref(), &expected)?;
    let revoked = trusted
        .roster
        .reviewers
        .iter()
        .filter_map(|r| Some((r, r.revoked_on?)))
        .filter(|(r, on)| {
            held.as_ref().and_then(|h| h.roster.reviewer(&r.id)).and_then(|h| h.revoked_on) != Some(*on)
        })
        .map(|(r, on)| (r.id.clone(), on))
        .collect();
    let mut heads = Heads::load(home)?;
    let today = time::OffsetDateTime::now_utc().date();
    let (mut planned, mut refused) = plan(home, list.cases, source, &expected, &trusted.roster, &heads);
    refused.extend(check_rewrapped(home, &mut planned)?);

    for case in &planned {
        write(home, case)?;
    }
    trust::save(home, &trusted)?;
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
    let mut quarantine = Quarantine::load(home)?;
    for case in &planned {
        quarantine.clear(&case.bundle.id);
    }
    for (id, why) in &refused {
        if check_id("case id", id).is_ok() {
            quarantine.put(id, why.clone(), today);
        }
    }
    quarantine.save(home)?;
    let listed: HashSet<&str> = planned
        .iter()
        .map(|p| p.bundle.id.as_str())
        .chain(refused.iter().map(|(id, _)| id.as_str()))
        .collect();
    let mut missing: Vec<String> = cases::load_all(home)?
        .into_iter()
        .map(|c| c.bundle.id)
        .filter(|id| !listed.contains(id.as_str()))
        .collect();
    missing.sort();
    let stored: HashSet<&str> = planned.iter().map(|p| p.bundle.id.as_str()).collect();
    let lacking = crate::acknowledged::reconcile(home, &stored, &applied_nonces)?;
    Ok(Summary {
        cases: planned.len(),
        new: planned.iter().filter(|p| p.local.is_none()).count(),
        roster: (trusted.roster.version, previous),
        applied: outbox::archive_applied(home, &applied_nonces)?,
        missing,
        listed: planned.iter().map(|p| p.bundle.id.clone()).collect(),
        lacking,
        quarantined: refused,
        revoked,
    })
}

/// Parses a case list, saying "upgrade" for a format newer than this release reads.
fn parse_list(body: &[u8], source: &str) -> Result<CaseList, ReviewError> {
    #[derive(serde::Deserialize)]
    struct Version {
        #[serde(default)]
        format: u32,
        #[serde(default)]
        min_cli: Option<String>,
    }
    let version: Version = serde_json::from_slice(body).map_err(|e| bad(source, e.to_string()))?;
    if version.format > SUPPORTED_FORMAT {
        let min =
            version.min_cli.map(|v| format!(" (it needs {})", cases::printable(&v))).unwrap_or_default();
        return Err(ReviewError::UpgradeNeeded {
            what: format!(
                "{source} is in case-list format {}, newer than this amana-review reads{min}",
                version.format
            ),
        });
    }
    serde_json::from_slice(body).map_err(|e| bad(source, e.to_string()))
}

/// Validates every case against the local store; writes nothing. Cases that fail are
/// returned apart, with the reason, so the others can still be stored.
fn plan(
    home: &Home,
    bundles: Vec<CaseBundle>,
    source: &str,
    deployment_id: &str,
    roster: &Roster,
    heads: &Heads,
) -> (Vec<Planned>, Vec<(String, String)>) {
    let mut seen = HashSet::new();
    let mut twice = HashSet::new();
    for b in &bundles {
        if !seen.insert(b.id.clone()) {
            twice.insert(b.id.clone());
        }
    }
    let mut planned = Vec::with_capacity(bundles.len());
    let mut refused = Vec::new();
    // Every accepted signed request's nonce, with its case: one request stands in one place.
    let mut nonces: HashMap<String, String> = HashMap::new();
    for bundle in bundles {
        let id = bundle.id.clone();
        let outcome = if twice.contains(&id) {
            Err(bad(source, format!("case {} is listed twice", cases::printable(&id))))
        } else {
            plan_one(home, bundle, source, deployment_id, roster, heads)
                .and_then(|p| once_in_the_list(p, &mut nonces))
        };
        match outcome {
            Ok(p) => planned.push(p),
            Err(e) => {
                if !refused.iter().any(|(r, _): &(String, String)| r == &id) {
                    refused.push((id, e.to_string()));
                }
            }
        }
    }
    (planned, refused)
}

/// Refuses a case that repeats a signed request (nonce) of a case accepted before it in the
/// same list, and records its own.
fn once_in_the_list(p: Planned, nonces: &mut HashMap<String, String>) -> Result<Planned, ReviewError> {
    let mine: Vec<(i64, String)> = history::signed_nonces(&p.bundle).collect();
    if let Some((seq, other)) = mine.iter().find_map(|(seq, n)| nonces.get(n).map(|o| (seq, o))) {
        return Err(ReviewError::HistoryInvalid {
            case: p.bundle.id.clone(),
            detail: format!(
                "event {seq} repeats a signed request of case {other} (same nonce: a replayed request)"
            ),
        });
    }
    nonces.extend(mine.into_iter().map(|(_, n)| (n, p.bundle.id.clone())));
    Ok(p)
}

/// One case: ids, envelopes, history against the roster, the remembered head, and what this
/// home held before.
fn plan_one(
    home: &Home,
    bundle: CaseBundle,
    source: &str,
    deployment_id: &str,
    roster: &Roster,
    heads: &Heads,
) -> Result<Planned, ReviewError> {
    check_id("case id", &bundle.id)?;
    let (bundle, files) = split_envelopes(bundle, source)?;
    check_attachments(&bundle, source)?;
    let signers = Signers { roster, verified_through: heads.0.get(&bundle.id).map(|h| h.seq) };
    history::verify(&bundle, &files, deployment_id, &signers)?;
    heads.check(&bundle.id, &bundle.events)?;
    let local = cases::load(home, &bundle.id)?;
    if let Some(local) = &local {
        check_extends(local, &bundle, &files)?;
    }
    Ok(Planned { bundle, files, local })
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
    // The agency changes only through a signed transfer after what this home held (whose
    // `from` and signer the history check verifies).
    let transferred = new.events.iter().skip(old.events.len()).any(|e| e.kind == EventKind::Transferred);
    if (old.kind, old.oversight_only, old.received_on) != (new.kind, new.oversight_only, new.received_on)
        || (old.agency != new.agency && !transferred)
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
/// And a copy this home can open is never replaced by one it cannot: a rewrap that would
/// shut this reviewer out of what they read quarantines the case instead, keeping the copy.
/// The identity is unlocked only when a pull brings such envelopes. Failing cases are taken
/// out of `planned` and returned with the reason.
fn check_rewrapped(home: &Home, planned: &mut Vec<Planned>) -> Result<Vec<(String, String)>, ReviewError> {
    let needs_work = |case: &Planned| {
        case.files.iter().any(|file| {
            history::last_rewrap(&case.bundle, &file.id).is_some()
                && case.local.as_ref().and_then(|l| std::fs::read(l.envelope_path(&file.id)).ok()).as_ref()
                    != Some(&file.bytes)
        })
    };
    if !planned.iter().any(needs_work) {
        return Ok(Vec::new());
    }
    let identity = home.identity(&mut crate::passphrase::Unlocker::default())?;
    let mut refused = Vec::new();
    let mut kept = Vec::with_capacity(planned.len());
    for case in planned.drain(..) {
        match check_case_rewraps(&case, &identity) {
            Ok(()) => kept.push(case),
            Err(e) => refused.push((case.bundle.id.clone(), e.to_string())),
        }
    }
    *planned = kept;
    Ok(refused)
}

fn check_case_rewraps(case: &Planned, identity: &age::x25519::Identity) -> Result<(), ReviewError> {
    let id = &case.bundle.id;
    for file in &case.files {
        let Some((_, hash)) = history::last_rewrap(&case.bundle, &file.id) else { continue };
        let held = case.local.as_ref().and_then(|l| std::fs::read(l.envelope_path(&file.id)).ok());
        if held.as_ref() == Some(&file.bytes) {
            continue;
        }
        let new_plain = rewrap::decrypt_bytes(id, &file.id, &file.bytes, identity)?;
        let old_plain =
            held.as_ref().map(|b| rewrap::decrypt_bytes(id, &file.id, b, identity)).transpose()?.flatten();
        if new_plain.is_none() && old_plain.is_some() {
            return Err(ReviewError::HistoryInvalid {
                case: id.clone(),
                detail: format!(
                    "the server's new copy of envelope {} no longer opens with your key, the copy you hold \
                     does: your copy is kept",
                    file.id
                ),
            });
        }
        for plain in new_plain.iter().chain(old_plain.iter()) {
            crate::show::check_commitment(&case.bundle, &file.id, plain)?;
            if !rewrap::matches_record(plain, &hash) {
                return Err(ReviewError::HistoryInvalid {
                    case: id.clone(),
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
        b.events[1].detail =
            serde_json::json!({ "review_on": testkit::ON, "envelope_id": "why" }).to_string();
        b.events[1].hash = amana_core::events::compute_hash("c3", &b.events[1]);
        let s = run(&h, &kit, vec![b]).expect("pull");
        assert!(
            quarantined(&s, "c3").is_some_and(|w| w.contains("another review date")),
            "{:?}",
            s.quarantined
        );
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
}
