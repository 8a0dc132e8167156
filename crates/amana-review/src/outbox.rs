//! The outbox: signed requests made with `--offline`, waiting to be carried to a connected
//! machine and sent with `push` (docs/FORMATS.md §7).
//!
//! Files are named `<n>-<case>-<action>.json` with `n` a zero-padded counter, so sorting by
//! name is sending order. A later pull or import moves every file whose nonce appears in the
//! verified history (the server applied it) to `outbox/sent/`, so the outbox holds only what
//! is still pending.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use amana_core::signing::SignedRequestFile;

use crate::client::read_request_file;
use crate::error::{io_error, ReviewError};
use crate::home::{self, Home, SENT_DIR};

/// Writes `file` as the next outbox entry and returns its path.
pub fn queue(
    home: &Home,
    file: &SignedRequestFile,
    case: &str,
    action: &str,
) -> Result<PathBuf, ReviewError> {
    let dir = home.outbox_dir();
    home::create_private_dir(&dir)?;
    let next = [dir.clone(), dir.join(SENT_DIR)]
        .iter()
        .flat_map(|d| request_files(d).unwrap_or_default())
        .filter_map(|p| number(&p))
        .max()
        .map_or(1, |n| n + 1);
    let path = dir.join(format!("{next:06}-{case}-{action}.json"));
    let json = serde_json::to_vec_pretty(file)
        .map_err(|e| ReviewError::Damaged { path: path.clone(), detail: e.to_string() })?;
    home::create_new_file(&path, &json)?;
    Ok(path)
}

/// The counter at the start of an outbox file name.
fn number(path: &Path) -> Option<u64> {
    let name = path.file_name()?.to_str()?;
    name.split('-').next()?.parse().ok()
}

/// The `*.json` files directly in `dir`, in sending order (counter, then name). A missing
/// directory is empty.
pub fn request_files(dir: &Path) -> Result<Vec<PathBuf>, ReviewError> {
    let entries = match fs::read_dir(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        other => other.map_err(io_error(dir))?,
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(io_error(dir))?.path();
        if path.is_file() && path.extension().is_some_and(|e| e == "json") {
            files.push(path);
        }
    }
    files.sort_by(|a, b| (number(a).unwrap_or(u64::MAX), a).cmp(&(number(b).unwrap_or(u64::MAX), b)));
    Ok(files)
}

/// The pending requests of this home, in order. Unreadable files are reported and skipped.
pub fn pending(home: &Home) -> Result<Vec<(PathBuf, SignedRequestFile)>, ReviewError> {
    let mut out = Vec::new();
    for path in request_files(&home.outbox_dir())? {
        match read_request_file(&path) {
            Ok(file) => out.push((path, file)),
            Err(err) => eprintln!("warning: ignoring {err}"),
        }
    }
    Ok(out)
}

/// The pending `POST`s to exactly `path` (e.g. one case's status route), in order.
pub fn pending_to(home: &Home, path: &str) -> Result<Vec<SignedRequestFile>, ReviewError> {
    Ok(pending(home)?.into_iter().map(|(_, f)| f).filter(|f| f.method == "POST" && f.path == path).collect())
}

/// How many requests concern `case_id`.
pub fn pending_count(home: &Home, case_id: &str) -> Result<usize, ReviewError> {
    let prefix = format!("{}/{case_id}/", amana_core::wire::paths::CASES);
    Ok(pending(home)?.iter().filter(|(_, f)| f.path.starts_with(&prefix)).count())
}

/// Moves `path` into `<its directory>/sent/`.
pub fn move_to_sent(path: &Path) -> Result<PathBuf, ReviewError> {
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default().join(SENT_DIR);
    home::create_private_dir(&dir)?;
    let target = dir.join(path.file_name().unwrap_or_default());
    fs::rename(path, &target).map_err(io_error(&target))?;
    Ok(target)
}

/// Moves every pending request whose nonce the server recorded (`applied`) to `sent/`;
/// returns how many.
pub fn archive_applied(home: &Home, applied: &HashSet<String>) -> Result<usize, ReviewError> {
    let mut n = 0;
    for (path, file) in pending(home)? {
        if applied.contains(&file.nonce) {
            move_to_sent(&path)?;
            n += 1;
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(nonce: &str, path: &str) -> SignedRequestFile {
        let sig = amana_core::signing::Signature {
            key_id: "alice".into(),
            timestamp: 1,
            nonce: nonce.into(),
            signature: "c2ln".into(),
        };
        SignedRequestFile::new("dep", "POST", path, "{}".into(), sig)
    }

    #[test]
    fn queue_numbers_sort_and_archive() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = Home::resolve(Some(dir.path().to_path_buf())).expect("home");
        let a = queue(&home, &file(&"a".repeat(32), "/api/v1/review/cases/c1/status"), "c1", "status")
            .expect("queue");
        let b = queue(&home, &file(&"b".repeat(32), "/api/v1/review/cases/c1/replies"), "c1", "reply")
            .expect("queue");
        assert!(a.ends_with("000001-c1-status.json") && b.ends_with("000002-c1-reply.json"));
        assert_eq!(pending_count(&home, "c1").expect("count"), 2);
        assert_eq!(pending_to(&home, "/api/v1/review/cases/c1/status").expect("to").len(), 1);
        let applied = HashSet::from(["a".repeat(32)]);
        assert_eq!(archive_applied(&home, &applied).expect("archive"), 1);
        assert!(home.outbox_dir().join(SENT_DIR).join("000001-c1-status.json").exists());
        // Numbers keep counting past archived files.
        let c = queue(&home, &file(&"c".repeat(32), "/api/v1/review/cases/c2/status"), "c2", "status")
            .expect("queue");
        assert!(c.ends_with("000003-c2-status.json"), "{}", c.display());
        let names: Vec<PathBuf> = request_files(&home.outbox_dir()).expect("files");
        assert_eq!(names, vec![b, c]);
    }
}
