//! Many small files made durable together: a page of a pull writes hundreds of them.
//!
//! [`home::replace_file`] writes, syncs and renames one file: a sync per file, each waiting
//! for its own journal commit, was most of a first pull's time (BENCHMARKS.md, "The
//! reviewer's pull and import (issue 17)"). A [`Batch`] writes every file beside its place
//! first, then syncs them all from several threads at once (the filesystem commits
//! concurrent syncs together), and only then renames each into place, in the order staged.
//! So, as with `replace_file`, a crash leaves each file either as it was or complete, never
//! half written; and since a case's envelopes are staged before its `case.json`, a
//! `case.json` never names an envelope that is not there.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{io_error, ReviewError};
use crate::home;

/// Syncs in flight at once: the disk, not the cores, is the limit.
const SYNC_THREADS: usize = 16;

/// Files written but not yet in place.
#[derive(Default)]
pub struct Batch {
    /// The temporary file and its place, in the order staged.
    staged: Vec<(PathBuf, PathBuf)>,
}

impl Batch {
    /// Writes `bytes` beside `path` (owner-only), to be put in place by [`Batch::commit`].
    pub fn stage(&mut self, path: &Path, bytes: &[u8]) -> Result<(), ReviewError> {
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(".tmp");
        let tmp = path.with_file_name(name);
        let mut file = home::private_file(&tmp)?;
        file.write_all(bytes).map_err(io_error(&tmp))?;
        self.staged.push((tmp, path.to_path_buf()));
        Ok(())
    }

    /// Syncs every staged file, then renames each into place in the order staged.
    pub fn commit(self) -> Result<(), ReviewError> {
        let per_thread = self.staged.len().div_ceil(SYNC_THREADS).max(1);
        std::thread::scope(|s| {
            let runs: Vec<_> =
                self.staged.chunks(per_thread).map(|run| s.spawn(move || sync_all(run))).collect();
            runs.into_iter().try_for_each(|r| r.join().unwrap_or_else(|_| Err(sync_thread_died())))
        })?;
        for (tmp, path) in &self.staged {
            std::fs::rename(tmp, path).map_err(io_error(path))?;
        }
        Ok(())
    }
}

fn sync_all(run: &[(PathBuf, PathBuf)]) -> Result<(), ReviewError> {
    for (tmp, _) in run {
        std::fs::File::open(tmp).and_then(|f| f.sync_all()).map_err(io_error(tmp))?;
    }
    Ok(())
}

fn sync_thread_died() -> ReviewError {
    let cause = std::io::Error::other("a thread syncing files stopped: nothing was put in place; pull again");
    ReviewError::Io { path: PathBuf::from("."), cause }
}
