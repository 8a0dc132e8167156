//! `export CASE DIR [--strip]`: decrypt a case's attachments into a private folder.
//!
//! Every file is decrypted into a temporary file in DIR and gets its (sanitized) name only
//! once `decrypt_to` has checked its length, padding and SHA-256, so a damaged attachment
//! leaves nothing behind. Names are reserved with `create_new` and the finished file is
//! renamed over the reservation: an existing file is never overwritten and a planted symlink
//! is never followed. Then the identifying metadata each file carries is reported
//! ([`metadata`]) and, with `--strip`, a stripped copy is written beside it ([`strip`]).

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use amana_core::attachment::{decrypt_segments_to, decrypt_to};
use amana_core::wire::AttachmentWire;

use crate::attachments::{self, content_path};
use crate::cases::{self, LocalCase};
use crate::error::{io_error, ReviewError};
use crate::home::Home;
use crate::metadata::{self, FileType};
use crate::output::say;
use crate::passphrase::Unlocker;
use crate::{content_check, retention, safe_name, strip};

/// How many `name (n).ext` alternatives we try before giving up.
const MAX_ALTERNATIVES: u32 = 999;

/// `export CASE DIR [--strip]`.
pub fn run(home: &Home, prefix: &str, dir: &Path, with_strip: bool) -> anyhow::Result<()> {
    let case = cases::find(home, prefix)?;
    let list = &case.bundle.attachments;
    if list.is_empty() {
        say!("case {} has no attachments: nothing exported", case.bundle.id);
        return Ok(());
    }
    let identity = home.identity(&mut Unlocker::default())?;
    let dir = prepare_dir(dir)?;
    // Recorded before the first byte is written, so even a partial export gets purged.
    retention::record(home, &dir, &case.bundle.id)?;
    say!(
        "case {}: exporting {} attachment(s) into {} (readable by you only)",
        case.bundle.id,
        list.len(),
        dir.display()
    );
    let mut taken = HashSet::new();
    let mut failed = 0;
    for att in list {
        match export_one(&case, att, &identity, &dir, &mut taken) {
            Ok((name, original)) => {
                print_file(&case, att, &name, &original);
                inspect_and_strip(&dir, &name, with_strip, &mut taken);
            }
            Err(e) => {
                eprintln!("error: {e}");
                failed += 1;
            }
        }
    }
    let days = retention::retention_days(home).unwrap_or(retention::DEFAULT_RETENTION_DAYS);
    say!(
        "\nThe files in {} are decrypted evidence. Delete the folder when you are done with \
         it; `amana-review purge-exports` deletes every export older than {days} days.",
        dir.display()
    );
    if failed > 0 {
        return Err(ReviewError::ExportIncomplete { failed, total: list.len(), dir }.into());
    }
    Ok(())
}

/// Creates DIR readable by the owner only (or takes an empty folder and makes it so);
/// returns its absolute path.
fn prepare_dir(dir: &Path) -> Result<PathBuf, ReviewError> {
    let absolute = std::path::absolute(dir).map_err(io_error(dir))?;
    if absolute.to_str().is_none() {
        return Err(ReviewError::ExportDirName(absolute));
    }
    match fs::symlink_metadata(&absolute) {
        Ok(meta) if meta.is_dir() => {
            let empty = fs::read_dir(&absolute).map_err(io_error(&absolute))?.next().is_none();
            if !empty {
                return Err(ReviewError::ExportDirExists(absolute));
            }
            restrict(&absolute)?;
        }
        Ok(_) => return Err(ReviewError::ExportDirExists(absolute)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = absolute.parent() {
                fs::create_dir_all(parent).map_err(io_error(parent))?;
            }
            let mut builder = fs::DirBuilder::new();
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(&absolute).map_err(io_error(&absolute))?;
        }
        Err(e) => return Err(ReviewError::Io { path: absolute, cause: e }),
    }
    fs::canonicalize(&absolute).map_err(io_error(&absolute))
}

/// Makes an existing folder owner-only.
fn restrict(dir: &Path) -> Result<(), ReviewError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(io_error(dir))?;
    }
    let _ = dir;
    Ok(())
}

/// Decrypts one attachment into DIR; returns (created name, original name).
fn export_one(
    case: &LocalCase,
    att: &AttachmentWire,
    identity: &age::x25519::Identity,
    dir: &Path,
    taken: &mut HashSet<String>,
) -> Result<(String, String), ReviewError> {
    let fail = |detail: String| ReviewError::Attachment {
        case: case.bundle.id.clone(),
        attachment: att.id.clone(),
        detail,
    };
    if !attachments::is_fetched(&case.dir, att) {
        return Err(fail(
            "its content is not in your home (an air-gapped import carries only the file list): \
             run `amana-review pull` online first"
                .into(),
        ));
    }
    let meta = attachments::open_meta(case, att, identity)?;
    let src = content_path(&case.dir, &att.id);
    // A segmented content is cut where its attested event says; each segment is checked
    // against its digest before any of it is decrypted (pull checked them too).
    let segments = match crate::evidence::recorded(&case.bundle, &att.id) {
        Some(f) if !f.segments.is_empty() => {
            if !content_check::file_matches(&src, &f).map_err(io_error(&src))? {
                return Err(fail(
                    "its segments are not the ones the case's attested history records: delete                      the file and run `amana-review fetch` again"
                        .into(),
                ));
            }
            Some(f.segments.iter().map(|s| s.bytes).collect::<Vec<u64>>())
        }
        _ => None,
    };
    let name = write_new(dir, &safe_name::sanitize(&meta.name), taken, |out| {
        let input = BufReader::new(File::open(&src).map_err(|e| e.to_string())?);
        match &segments {
            Some(lengths) => decrypt_segments_to(input, lengths, &[identity], &meta, out),
            None => decrypt_to(input, &[identity], &meta, out),
        }
        .map_err(|e| e.to_string())
    })
    .map_err(|e| fail(format!("{e}; nothing was written for it")))?;
    Ok((name, meta.name.clone()))
}

/// Writes a new file named `name` (or `name (n)` if taken) in `dir`: first to a temporary
/// file, then, if `write` succeeded, renamed over a name reserved with `create_new`.
fn write_new(
    dir: &Path,
    name: &str,
    taken: &mut HashSet<String>,
    write: impl FnOnce(&mut dyn Write) -> Result<(), String>,
) -> Result<String, String> {
    let tmp = dir.join(format!(".amana-partial-{}", random_hex()));
    let file = create_new(&tmp).map_err(|e| e.to_string())?;
    let mut out = BufWriter::new(file);
    let written = write(&mut out)
        .and_then(|()| out.into_inner().map_err(|e| e.to_string()))
        .and_then(|f| f.sync_all().map_err(|e| e.to_string()));
    let placed = written.and_then(|()| place(&tmp, dir, name, taken));
    if placed.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    placed
}

/// Reserves the first free name (case-insensitively unique within this export) and
/// renames `tmp` over the reservation.
fn place(tmp: &Path, dir: &Path, name: &str, taken: &mut HashSet<String>) -> Result<String, String> {
    for n in 1..=MAX_ALTERNATIVES {
        let candidate = if n == 1 { name.to_string() } else { safe_name::numbered(name, n) };
        if !taken.insert(candidate.to_lowercase()) {
            continue;
        }
        let target = dir.join(&candidate);
        match create_new(&target) {
            Ok(_) => {}
            Err(ReviewError::AlreadyExists(_)) => continue,
            Err(e) => return Err(e.to_string()),
        }
        // rename replaces the directory entry itself: were the reservation swapped for a
        // symlink meanwhile, the link is replaced, never followed.
        return match fs::rename(tmp, &target) {
            Ok(()) => Ok(candidate),
            Err(e) => {
                let _ = fs::remove_file(&target);
                Err(format!("{}: {e}", target.display()))
            }
        };
    }
    Err(format!("no free name for {name} after {MAX_ALTERNATIVES} tries"))
}

/// An owner-only file that did not exist (never follows a symlink: `O_EXCL`).
fn create_new(path: &Path) -> Result<File, ReviewError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            ReviewError::AlreadyExists(path.to_path_buf())
        } else {
            ReviewError::Io { path: path.to_path_buf(), cause: e }
        }
    })
}

fn random_hex() -> String {
    let mut bytes = [0u8; 8];
    // SystemRandom only fails when the OS has no randomness at all; a fixed suffix is
    // still safe then, since the file is created with create_new.
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes);
    hex::encode(bytes)
}

/// `  photo.jpg  (image/jpeg, 5123 bytes, with the report; sent as "…")`.
fn print_file(case: &LocalCase, att: &AttachmentWire, name: &str, original: &str) {
    let sent_as = if original == name {
        String::new()
    } else {
        format!("; sent as {}", safe_name::for_terminal(original))
    };
    let with = attachments::came_with(&case.bundle, &att.envelope_id);
    say!("\n  {name}  ({with}{sent_as})");
}

/// Reports the identifying metadata of an exported file and, if asked, strips a copy.
fn inspect_and_strip(dir: &Path, name: &str, with_strip: bool, taken: &mut HashSet<String>) {
    let path = dir.join(name);
    let kind = metadata::sniff(&path).unwrap_or(FileType::Other);
    if kind == FileType::Other {
        say!("    metadata: not inspected (not a JPEG, PDF or Office file): check it by hand");
        return;
    }
    match metadata::inspect(&path, kind) {
        Ok(findings) if findings.is_empty() => {
            say!("    metadata: {}: no identifying metadata found in the fields checked", kind.label())
        }
        Ok(findings) => {
            say!("    metadata: {}: IDENTIFYING METADATA FOUND:", kind.label());
            for f in findings {
                say!("      {}: {}", f.what, f.value);
            }
        }
        Err(e) => say!("    metadata: {}: could not be read: {e}", kind.label()),
    }
    if with_strip {
        let stripped =
            write_new(dir, &safe_name::stripped(name), taken, |out| strip::strip(&path, kind, out));
        match stripped {
            Ok(copy) => say!("    stripped copy: {copy}: {}", strip::what_is_stripped(kind)),
            Err(e) => say!("    stripped copy: not written: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_and_existing_files_get_numbered_names() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut taken = HashSet::new();
        fs::write(dir.path().join("a.txt"), b"old").expect("existing");
        let mut names = Vec::new();
        for body in [&b"one"[..], b"two"] {
            let name =
                write_new(dir.path(), "a.txt", &mut taken, |w| w.write_all(body).map_err(|e| e.to_string()));
            names.push(name.expect("written"));
        }
        assert_eq!(names, ["a (2).txt", "a (3).txt"]);
        assert_eq!(fs::read(dir.path().join("a.txt")).expect("read"), b"old");
        assert_eq!(fs::read(dir.path().join("a (3).txt")).expect("read"), b"two");
        let failed = write_new(dir.path(), "b.txt", &mut taken, |w| {
            w.write_all(b"partial").map_err(|e| e.to_string())?;
            Err("damaged".into())
        });
        assert_eq!(failed, Err("damaged".to_string()));
        let mut left: Vec<String> = fs::read_dir(dir.path())
            .expect("ls")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into())
            .collect();
        left.sort();
        assert_eq!(left, ["a (2).txt", "a (3).txt", "a.txt"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_symlink_is_neither_followed_nor_overwritten() {
        let dir = tempfile::tempdir().expect("tempdir");
        let victim = dir.path().join("victim");
        fs::write(&victim, b"precious").expect("victim");
        let out = dir.path().join("out");
        fs::create_dir(&out).expect("out");
        std::os::unix::fs::symlink(&victim, out.join("x.txt")).expect("symlink");
        let name =
            write_new(&out, "x.txt", &mut HashSet::new(), |w| w.write_all(b"new").map_err(|e| e.to_string()));
        assert_eq!(name.expect("written"), "x (2).txt");
        assert_eq!(fs::read(&victim).expect("victim"), b"precious");
    }

    #[test]
    fn an_existing_non_empty_folder_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("f"), b"x").expect("write");
        assert!(matches!(prepare_dir(dir.path()), Err(ReviewError::ExportDirExists(_))));
        let fresh = dir.path().join("new/sub");
        let made = prepare_dir(&fresh).expect("created");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&made).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
    }
}
