//! `pull`: download the cases in the key's scope, still encrypted, into the home.
//!
//! The whole answer is checked before anything is written: ids must be safe file names, and
//! every case pulled before must be *extended*, never rewritten — same metadata, its
//! earlier history events unchanged and in place, its envelopes unchanged (DESIGN.md
//! invariant 9). A server that rewrites history is refused and the local copy is kept.

use std::collections::HashSet;

use amana_core::wire::{paths, CaseBundle, CaseList};
use base64::{engine::general_purpose::STANDARD as B64, Engine};

use crate::cases::{self, envelope_path, LocalCase};
use crate::client::{parse_json, Method, Session};
use crate::error::ReviewError;
use crate::home::{self, check_id, Home};

/// One envelope as it will be stored.
struct AgeFile {
    /// The envelope id (checked with [`check_id`]).
    id: String,
    /// The binary age file.
    bytes: Vec<u8>,
}

/// A case ready to be written: metadata without ciphertext, and the age files.
struct Planned {
    bundle: CaseBundle,
    files: Vec<AgeFile>,
    /// What we had before, if anything.
    local: Option<LocalCase>,
}

/// `pull`.
pub fn run(home: &Home, server: Option<&str>) -> anyhow::Result<()> {
    let session = Session::open(home, server)?;
    let body = session.call(Method::Get, paths::CASES, Vec::new())?;
    let url = session.url(paths::CASES);
    let list: CaseList = parse_json(&url, &body)?;
    drop(body);

    let planned = plan(home, list, &url)?;
    let new = planned.iter().filter(|p| p.local.is_none()).count();
    for case in &planned {
        write(home, case)?;
    }
    let n = planned.len();
    println!("pulled {n} case{} ({new} new)", if n == 1 { "" } else { "s" });
    Ok(())
}

/// Validates the whole answer against the local store; writes nothing.
fn plan(home: &Home, list: CaseList, url: &str) -> Result<Vec<Planned>, ReviewError> {
    let mut seen = HashSet::new();
    let mut planned = Vec::with_capacity(list.cases.len());
    for bundle in list.cases {
        check_id("case id", &bundle.id)?;
        if !seen.insert(bundle.id.clone()) {
            return Err(bad(url, format!("case {} is listed twice", bundle.id)));
        }
        let (bundle, files) = split_envelopes(bundle, url)?;
        let local = cases::load(home, &bundle.id)?;
        if let Some(local) = &local {
            check_extends(local, &bundle, &files)?;
        }
        planned.push(Planned { bundle, files, local });
    }
    Ok(planned)
}

fn bad(url: &str, detail: String) -> ReviewError {
    ReviewError::BadResponse { url: url.to_string(), detail }
}

/// Checks envelope ids and decodes each envelope, leaving `age_b64` empty in the bundle.
fn split_envelopes(mut bundle: CaseBundle, url: &str) -> Result<(CaseBundle, Vec<AgeFile>), ReviewError> {
    let mut seen = HashSet::new();
    let mut files = Vec::with_capacity(bundle.envelopes.len());
    for env in &mut bundle.envelopes {
        check_id("envelope id", &env.id)?;
        if !seen.insert(env.id.clone()) {
            return Err(bad(url, format!("case {}: envelope {} is listed twice", bundle.id, env.id)));
        }
        let bytes = B64
            .decode(std::mem::take(&mut env.age_b64))
            .map_err(|e| bad(url, format!("case {}, envelope {}: not base64: {e}", bundle.id, env.id)))?;
        files.push(AgeFile { id: env.id.clone(), bytes });
    }
    Ok((bundle, files))
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
        check_envelope_unchanged(local, &env.id, files)?;
    }
    Ok(())
}

/// An envelope we already hold must come back byte for byte.
fn check_envelope_unchanged(local: &LocalCase, id: &str, files: &[AgeFile]) -> Result<(), ReviewError> {
    check_id("envelope id", id)?;
    let path = local.envelope_path(id);
    let held = match std::fs::read(&path) {
        // Lost locally (deleted by hand?): nothing to compare, the new copy will be written.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        other => other.map_err(crate::error::io_error(&path))?,
    };
    match files.iter().find(|f| f.id == id) {
        Some(file) if file.bytes == held => Ok(()),
        _ => Err(ReviewError::HistoryRewritten {
            case: local.bundle.id.clone(),
            detail: format!("the content of envelope {id} changed"),
        }),
    }
}

/// Writes one case: envelopes first, `case.json` last, so a case.json never names a
/// missing envelope.
fn write(home: &Home, case: &Planned) -> Result<(), ReviewError> {
    let dir = home.case_dir(&case.bundle.id);
    home::create_private_dir(&dir)?;
    for file in &case.files {
        let path = envelope_path(&dir, &file.id);
        // Envelopes we held before were compared byte for byte in `check_extends`.
        let verified =
            case.local.as_ref().is_some_and(|l| l.bundle.envelopes.iter().any(|e| e.id == file.id));
        if !(verified && path.exists()) {
            home::replace_file(&path, &file.bytes)?;
        }
    }
    LocalCase { dir, bundle: case.bundle.clone() }.save()
}

#[cfg(test)]
mod tests {
    use super::*;
    use amana_core::case::{Kind, Status};
    use amana_core::payload::Part;
    use amana_core::wire::{EnvelopeWire, EventWire};
    use time::macros::date;

    fn bundle(id: &str, env_ids: &[&str], events: usize) -> CaseBundle {
        CaseBundle {
            id: id.into(),
            kind: Kind::Violation,
            agency: "health".into(),
            oversight_only: false,
            status: Status::Received,
            received_on: date!(2026 - 11 - 23),
            envelopes: env_ids
                .iter()
                .map(|e| EnvelopeWire {
                    id: e.to_string(),
                    part: Part::Report,
                    created_on: date!(2026 - 11 - 23),
                    age_b64: B64.encode(format!("age file {e}")),
                })
                .collect(),
            events: (0..events)
                .map(|i| EventWire {
                    seq: i as i64,
                    on: date!(2026 - 11 - 23),
                    status: Status::Received,
                    actor: None,
                })
                .collect(),
        }
    }

    fn home() -> (tempfile::TempDir, Home) {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = Home::resolve(Some(dir.path().to_path_buf())).expect("home");
        (dir, home)
    }

    fn pull(home: &Home, cases: Vec<CaseBundle>) -> Result<usize, ReviewError> {
        let planned = plan(home, CaseList { cases }, "http://test")?;
        planned.iter().try_for_each(|p| write(home, p))?;
        Ok(planned.iter().filter(|p| p.local.is_none()).count())
    }

    #[test]
    fn hostile_ids_write_nothing() {
        let (dir, home) = home();
        for case in [bundle("../x", &["e"], 1), bundle("ok", &["../../escape"], 1), bundle("a/b", &[], 1)] {
            let err = pull(&home, vec![bundle("fine", &["e1"], 1), case]).expect_err("refused");
            assert!(matches!(err, ReviewError::UnsafeId { .. }), "{err}");
        }
        // Validation happens before any write: not even the good case was stored.
        assert!(!home.cases_dir().exists());
        assert!(!dir.path().join("x").exists());
    }

    #[test]
    fn pull_stores_binary_envelopes_and_counts_new_cases() {
        let (_dir, home) = home();
        assert_eq!(pull(&home, vec![bundle("c1", &["e1"], 1)]).expect("first"), 1);
        let stored = std::fs::read(home.case_dir("c1").join("e1.age")).expect("envelope");
        assert_eq!(stored, b"age file e1");
        let local = cases::load(&home, "c1").expect("load").expect("present");
        assert!(local.bundle.envelopes.iter().all(|e| e.age_b64.is_empty()));
        let n = pull(&home, vec![bundle("c1", &["e1", "e2"], 2), bundle("c2", &[], 1)]).expect("again");
        assert_eq!(n, 1);
    }

    #[test]
    fn rewritten_history_is_refused_and_local_copy_kept() {
        let (_dir, home) = home();
        pull(&home, vec![bundle("c1", &["e1"], 2)]).expect("first");
        let shorter = bundle("c1", &["e1"], 1);
        assert!(matches!(pull(&home, vec![shorter]), Err(ReviewError::HistoryRewritten { .. })));
        let mut changed = bundle("c1", &["e1"], 3);
        changed.events[1].status = Status::ClosedUnfounded;
        assert!(matches!(pull(&home, vec![changed]), Err(ReviewError::HistoryRewritten { .. })));
        let mut swapped = bundle("c1", &["e1"], 3);
        swapped.envelopes[0].age_b64 = B64.encode("other ciphertext");
        assert!(matches!(pull(&home, vec![swapped]), Err(ReviewError::HistoryRewritten { .. })));
        assert!(matches!(pull(&home, vec![bundle("c1", &[], 3)]), Err(ReviewError::HistoryRewritten { .. })));
        let local = cases::load(&home, "c1").expect("load").expect("present");
        assert_eq!(local.bundle.events.len(), 2);
    }

    #[test]
    fn duplicates_and_bad_base64_are_refused() {
        let (_dir, home) = home();
        let dup = pull(&home, vec![bundle("c1", &[], 1), bundle("c1", &[], 1)]);
        assert!(matches!(dup, Err(ReviewError::BadResponse { .. })));
        let mut b = bundle("c1", &["e1"], 1);
        b.envelopes[0].age_b64 = "!!".into();
        assert!(matches!(pull(&home, vec![b]), Err(ReviewError::BadResponse { .. })));
    }
}
