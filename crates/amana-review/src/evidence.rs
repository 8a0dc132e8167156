//! Evidence files against the events that recorded them (docs/FORMATS.md §9): every file a
//! case lists must have come with its submission or one of its follow-ups, and those
//! events — attested by the server's key or the reporter's — record each file's digests.
//! So a database writer cannot swap a file and its description for ones encrypted to the
//! public recipients, nor add or drop one. Events from before digests were recorded only
//! count their files; the count must still hold.

use amana_core::attachment::{segments_sha256, sha256_hex, FileDigest};
use amana_core::events::{Event, EventKind};
use amana_core::wire::{AttachmentWire, CaseBundle};
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use serde_json::Value;

/// Checks every listed file against the event that recorded it.
pub fn check(bundle: &CaseBundle) -> Result<(), String> {
    let mut accounted = 0;
    for e in bundle.events.iter().filter(|e| carries_files(e.kind)) {
        let d: Value =
            serde_json::from_str(&e.detail).map_err(|_| format!("event {} is unreadable", e.seq))?;
        let Some(envelope) = d.get("envelope_id").and_then(Value::as_str) else { continue };
        let came: Vec<&AttachmentWire> =
            bundle.attachments.iter().filter(|a| a.envelope_id == envelope).collect();
        accounted += came.len();
        match d.get("files") {
            Some(files) => check_digests(e, files, &came)?,
            None => {
                let n = d.get("attachments").and_then(Value::as_u64).unwrap_or(0);
                if usize::try_from(n).ok() != Some(came.len()) {
                    return Err(format!(
                        "event {} records {n} evidence file(s), the case lists {}",
                        e.seq,
                        came.len()
                    ));
                }
            }
        }
    }
    if accounted != bundle.attachments.len() {
        return Err("it lists an evidence file that came with no submission or follow-up of the case".into());
    }
    Ok(())
}

fn carries_files(kind: EventKind) -> bool {
    matches!(kind, EventKind::Submitted | EventKind::FollowUp)
}

/// The files that came with `e` are exactly those it records, with the same descriptions.
fn check_digests(e: &Event, files: &Value, came: &[&AttachmentWire]) -> Result<(), String> {
    let files: Vec<FileDigest> = serde_json::from_value(files.clone())
        .map_err(|_| format!("event {}'s file list is unreadable", e.seq))?;
    if files.len() != came.len() {
        return Err(format!(
            "event {} records {} evidence file(s), the case lists {}",
            e.seq,
            files.len(),
            came.len()
        ));
    }
    for f in &files {
        let Some(att) = came.iter().find(|a| a.id == f.id) else {
            return Err(format!("evidence file {} that event {} records is not listed", f.id, e.seq));
        };
        let meta =
            B64.decode(&att.meta_age_b64).map_err(|_| format!("evidence file {}: not base64", f.id))?;
        if sha256_hex(&meta) != f.meta_sha256 {
            return Err(format!(
                "the description of evidence file {} is not the one event {} records",
                f.id, e.seq
            ));
        }
        check_segments(e, f, att)?;
    }
    Ok(())
}

/// A segmented file's segments (docs/FORMATS.md §8) must add up to its listed size, none
/// empty, and agree with its content digest.
fn check_segments(e: &Event, f: &FileDigest, att: &AttachmentWire) -> Result<(), String> {
    if f.segments.is_empty() {
        return Ok(());
    }
    let total = f.segments.iter().try_fold(0u64, |sum, s| (s.bytes > 0).then(|| sum.checked_add(s.bytes))?);
    if total != Some(att.size) || segments_sha256(&f.segments).as_deref() != Some(f.content_sha256.as_str()) {
        return Err(format!(
            "the segments event {} records for evidence file {} do not make up its content",
            e.seq, f.id
        ));
    }
    Ok(())
}

/// What the events record of attachment `id`'s content, if anything (events from before
/// digests record none).
pub fn recorded(bundle: &CaseBundle, id: &str) -> Option<FileDigest> {
    bundle.events.iter().filter(|e| carries_files(e.kind)).find_map(|e| {
        let d: Value = serde_json::from_str(&e.detail).ok()?;
        let files: Vec<FileDigest> = serde_json::from_value(d.get("files")?.clone()).ok()?;
        files.into_iter().find(|f| f.id == id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, Kit};
    use amana_core::attachment::SegmentDigest;
    use amana_core::case::Status;
    use amana_core::payload::Part;
    use serde_json::json;

    /// A case whose follow-up `f1` came with one file, recorded by digest or (legacy) by count.
    fn case_with_file(by_digest: bool) -> CaseBundle {
        let mut b = Kit::new("alice").bundle("c1");
        testkit::add_envelope(&mut b, "f1", Part::FollowUp);
        let meta = b"encrypted description".to_vec();
        b.attachments.push(AttachmentWire {
            id: "a1".into(),
            envelope_id: "f1".into(),
            created_on: b.received_on,
            size: 1024,
            meta_age_b64: B64.encode(&meta),
        });
        let detail = if by_digest {
            let d = FileDigest {
                id: "a1".into(),
                meta_sha256: sha256_hex(&meta),
                content_sha256: "c0".repeat(32),
                segments: Vec::new(),
            };
            json!({ "envelope_id": "f1", "attachments": 1, "files": [d] })
        } else {
            json!({ "envelope_id": "f1", "attachments": 1 })
        };
        testkit::push(&mut b, EventKind::FollowUp, Status::Received, detail, None);
        b
    }

    #[test]
    fn recorded_files_pass_and_their_content_digest_is_found() {
        for by_digest in [true, false] {
            assert_eq!(check(&case_with_file(by_digest)), Ok(()));
        }
        let found = recorded(&case_with_file(true), "a1").map(|f| f.content_sha256);
        assert_eq!(found, Some("c0".repeat(32)));
        assert_eq!(recorded(&case_with_file(false), "a1"), None);
    }

    /// `case_with_file`'s file recorded as segments of these lengths.
    fn with_segments(lengths: &[u64], content_sha256: Option<&str>) -> CaseBundle {
        let mut b = case_with_file(true);
        let segments: Vec<SegmentDigest> = lengths
            .iter()
            .map(|n| SegmentDigest { bytes: *n, sha256: sha256_hex(&n.to_be_bytes()) })
            .collect();
        let combined = segments_sha256(&segments).expect("hex digests");
        let last = b.events.len() - 1;
        let mut d: Value = serde_json::from_str(&b.events[last].detail).expect("detail");
        d["files"][0]["segments"] = serde_json::to_value(&segments).expect("json");
        d["files"][0]["content_sha256"] = content_sha256.unwrap_or(&combined).into();
        b.events[last].detail = d.to_string();
        b
    }

    #[test]
    fn segments_must_make_up_the_listed_content() {
        assert_eq!(check(&with_segments(&[1000, 24], None)), Ok(()), "the listed size is 1024");
        let bad = [
            with_segments(&[1000, 23], None),
            with_segments(&[1024, 0], None),
            with_segments(&[1000, 24], Some(&"c0".repeat(32))),
        ];
        for b in bad {
            assert!(check(&b).is_err_and(|e| e.contains("do not make up its content")));
        }
    }

    #[test]
    fn a_swapped_added_or_dropped_file_is_refused() {
        let mut swapped = case_with_file(true);
        swapped.attachments[0].meta_age_b64 = B64.encode(b"the attacker's description");
        assert!(check(&swapped).is_err_and(|e| e.contains("description of evidence file a1")));
        for by_digest in [true, false] {
            let mut added = case_with_file(by_digest);
            let mut extra = added.attachments[0].clone();
            extra.id = "a2".into();
            added.attachments.push(extra.clone());
            assert!(check(&added).is_err_and(|e| e.contains("the case lists 2")), "{by_digest}");
            let mut dropped = case_with_file(by_digest);
            dropped.attachments.clear();
            assert!(check(&dropped).is_err_and(|e| e.contains("the case lists 0")), "{by_digest}");
            let mut stray = case_with_file(by_digest);
            extra.envelope_id = "rep".into();
            stray.attachments.push(extra);
            assert!(check(&stray).is_err(), "a file under the report, which recorded none: {by_digest}");
        }
    }
}
