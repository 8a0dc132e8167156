//! Evidence files of pulled cases: where their ciphertext lives in the home, fetching it
//! on `pull`, and opening their descriptions.
//!
//! ```text
//! cases/<case-id>/attachments/<attachment-id>.age        the content's age file, as served
//! cases/<case-id>/attachments/<attachment-id>.age.part   a download in progress
//! ```
//! The attachment list itself (ids, sizes, encrypted descriptions) is kept in `case.json`.
//! `pull` only ever stores ciphertext: content is decrypted by `export`, on demand. A file
//! is complete when its length is the listed size; a `.part` is discarded and fetched again
//! from the start (resuming at file granularity).

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use amana_core::attachment::AttachmentMeta;
use amana_core::payload::Part;
use amana_core::wire::{paths, AttachmentWire, CaseBundle};
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cases::{self, printable, LocalCase};
use crate::content_check::ContentHasher;
use crate::error::{io_error, ReviewError};
use crate::home::{self, check_id, Home};
use crate::session::Session;

/// The folder of a case's attachment files.
pub const ATTACHMENTS_DIR: &str = "attachments";
/// Files at least this large get a progress bar (when stderr is a terminal).
const BAR_FROM_BYTES: u64 = 1024 * 1024;
/// Copy buffer size.
const COPY_CHUNK: usize = 64 * 1024;

/// `<case-dir>/attachments/<id>.age`. `id` must have passed [`check_id`].
pub fn content_path(case_dir: &Path, id: &str) -> PathBuf {
    case_dir.join(ATTACHMENTS_DIR).join(format!("{id}.age"))
}

/// Is the attachment's content in the home, complete?
pub fn is_fetched(case_dir: &Path, att: &AttachmentWire) -> bool {
    check_id("attachment id", &att.id).is_ok()
        && fs::symlink_metadata(content_path(case_dir, &att.id))
            .is_ok_and(|m| m.is_file() && m.len() == att.size)
}

/// Decrypts an attachment's description (name, type, exact size, SHA-256).
pub fn open_meta(
    case: &LocalCase,
    att: &AttachmentWire,
    identity: &age::x25519::Identity,
) -> Result<AttachmentMeta, ReviewError> {
    let fail = |detail: String| ReviewError::Attachment {
        case: case.bundle.id.clone(),
        attachment: att.id.clone(),
        detail,
    };
    let meta_age =
        B64.decode(&att.meta_age_b64).map_err(|e| fail(format!("its description is not base64: {e}")))?;
    amana_core::attachment::open_meta(&meta_age, &[identity]).map_err(|e| fail(e.to_string()))
}

/// What fetching did.
#[derive(Debug, Default)]
pub struct Fetched {
    /// Files downloaded now.
    pub files: usize,
    /// Their bytes.
    pub bytes: u64,
    /// Files already complete in the home.
    pub present: usize,
    /// Failures, one line each (the pull goes on with the next file).
    pub failed: Vec<String>,
    /// Files left on the server: they did not fit in the budget.
    pub skipped: usize,
    /// Their bytes.
    pub skipped_bytes: u64,
}

impl Fetched {
    /// Adds another batch's counts.
    pub fn add(&mut self, other: Fetched) {
        self.files += other.files;
        self.bytes += other.bytes;
        self.present += other.present;
        self.failed.extend(other.failed);
        self.skipped += other.skipped;
        self.skipped_bytes += other.skipped_bytes;
    }
}

/// Downloads the listed attachments of the cases `ids` that the home does not hold yet, as
/// long as each fits in what is left of `budget` (bytes; lowered by what is fetched). The
/// others stay on the server until `fetch` asks for them.
pub fn fetch_missing(
    session: &Session,
    home: &Home,
    ids: &[String],
    budget: &mut u64,
) -> Result<Fetched, ReviewError> {
    let mut done = Fetched::default();
    for id in ids {
        let Some(case) = cases::load(home, id)? else {
            continue;
        };
        for att in &case.bundle.attachments {
            if is_fetched(&case.dir, att) {
                done.present += 1;
                continue;
            }
            if att.size > *budget {
                done.skipped += 1;
                done.skipped_bytes += att.size;
                continue;
            }
            *budget -= att.size;
            match fetch_one(session, &case, att) {
                Ok(()) => {
                    done.files += 1;
                    done.bytes += att.size;
                }
                Err(e) => done.failed.push(format!("case {id}, attachment {}: {e}", att.id)),
            }
        }
    }
    Ok(done)
}

/// Streams one attachment into `<id>.age.part`, checks its length, then renames it.
pub fn fetch_one(session: &Session, case: &LocalCase, att: &AttachmentWire) -> Result<(), ReviewError> {
    check_id("attachment id", &att.id)?;
    let dir = case.dir.join(ATTACHMENTS_DIR);
    home::create_private_dir(&dir)?;
    let path = content_path(&case.dir, &att.id);
    let part = path.with_extension("age.part");
    // One byte over the listed size is read so that a longer answer is caught.
    let mut download = session.stream(&paths::attachment(&case.bundle.id, &att.id), att.size + 1)?;
    let url = download.url.clone();
    let bad = |detail: String| ReviewError::BadResponse { url: url.clone(), detail };
    if let Some(announced) = download.content_length.filter(|n| *n != att.size) {
        return Err(bad(format!("it announces {announced} bytes, the case lists {}", att.size)));
    }
    let mut file = home::private_file(&part)?;
    let bar = progress_bar(att);
    let recorded = crate::evidence::recorded(&case.bundle, &att.id);
    let mut hasher = ContentHasher::new(recorded.as_ref());
    let copied = copy(&mut download.reader, &mut file, &part, &bar, &mut hasher);
    bar.finish_and_clear();
    let result = copied.and_then(|n| {
        if n != att.size {
            Err(bad(format!("it sent {n} bytes, the case lists {}", att.size)))
        } else if !hasher.matches(recorded.as_ref()) {
            Err(bad("its content is not the file the case's attested history records".into()))
        } else {
            file.sync_all().map_err(io_error(&part))
        }
    });
    drop(file);
    if let Err(e) = result {
        let _ = fs::remove_file(&part);
        return Err(e);
    }
    fs::rename(&part, &path).map_err(io_error(&path))
}

/// Copies the body into the file, advancing the bar and hashing it; returns the bytes
/// copied.
fn copy(
    reader: &mut dyn Read,
    file: &mut fs::File,
    path: &Path,
    bar: &ProgressBar,
    hasher: &mut ContentHasher,
) -> Result<u64, ReviewError> {
    let mut buf = vec![0u8; COPY_CHUNK];
    let mut total = 0u64;
    loop {
        let n = reader.read(&mut buf).map_err(|e| ReviewError::DownloadInterrupted {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
        if n == 0 {
            return Ok(total);
        }
        hasher.update(&buf[..n]);
        file.write_all(&buf[..n]).map_err(io_error(path))?;
        total += n as u64;
        bar.set_position(total);
    }
}

/// A bar on stderr for large files; indicatif draws nothing when stderr is not a terminal.
fn progress_bar(att: &AttachmentWire) -> ProgressBar {
    if att.size < BAR_FROM_BYTES {
        return ProgressBar::hidden();
    }
    let style =
        ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
    let bar = ProgressBar::with_draw_target(Some(att.size), ProgressDrawTarget::stderr());
    bar.set_style(style);
    bar.set_message(format!("attachment {}", att.id));
    bar
}

/// How many listed attachments of the cases `ids` are not in the home.
pub fn count_missing(home: &Home, ids: &[String]) -> Result<usize, ReviewError> {
    let mut missing = 0;
    for id in ids {
        if let Some(case) = cases::load(home, id)? {
            missing += case.bundle.attachments.iter().filter(|a| !is_fetched(&case.dir, a)).count();
        }
    }
    Ok(missing)
}

/// "with the report", "with the follow-up of 2026-11-20"…
pub fn came_with(bundle: &CaseBundle, envelope_id: &str) -> String {
    match bundle.envelopes.iter().find(|e| e.id == envelope_id) {
        Some(e) if e.part == Part::Report => "with the report".into(),
        Some(e) if e.part == Part::FollowUp => format!("with the follow-up of {}", e.created_on),
        Some(e) => format!("with the {} of {}", e.part.as_str(), e.created_on),
        None => format!("with envelope {}", printable(envelope_id)),
    }
}
