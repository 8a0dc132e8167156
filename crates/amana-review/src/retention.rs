//! Local retention of exported evidence (decrypted files outside the home).
//!
//! `export` records every folder it fills in `<home>/exports.json` (folder, case, UTC date:
//! no finer time, as everywhere in Amana). `purge-exports` deletes the recorded folders
//! older than the retention age (`--older-than-days`, else `export_retention_days` in
//! config.toml, else 30 days), and every command reminds the reviewer on stderr while
//! some recorded export is that old: decrypted evidence must not linger on a laptop.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::Date;

use crate::error::{io_error, ReviewError};
use crate::home::{self, Home};
use crate::output::say;

/// The export register in the home.
pub const EXPORTS_FILE: &str = "exports.json";
/// The config.toml key of the retention age.
pub const RETENTION_KEY: &str = "export_retention_days";
/// The retention age when config.toml does not set one.
pub const DEFAULT_RETENTION_DAYS: u32 = 30;

/// One export folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Export {
    /// The folder, absolute.
    pub dir: PathBuf,
    /// The case exported into it.
    pub case: String,
    /// UTC date of the export.
    pub on: Date,
}

fn today() -> Date {
    time::OffsetDateTime::now_utc().date()
}

/// The recorded exports (none if the register does not exist).
pub fn load(home: &Home) -> Result<Vec<Export>, ReviewError> {
    let path = home.file(EXPORTS_FILE);
    match fs::read(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(ReviewError::Io { path, cause: e }),
        Ok(bytes) => {
            serde_json::from_slice(&bytes).map_err(|e| ReviewError::Damaged { path, detail: e.to_string() })
        }
    }
}

fn save(home: &Home, exports: &[Export]) -> Result<(), ReviewError> {
    let path = home.file(EXPORTS_FILE);
    let json = serde_json::to_vec_pretty(exports)
        .map_err(|e| ReviewError::Damaged { path: path.clone(), detail: e.to_string() })?;
    home::replace_file(&path, &json)
}

/// Records an export of `case` into `dir` (absolute), dated today.
pub fn record(home: &Home, dir: &Path, case: &str) -> Result<(), ReviewError> {
    let mut exports = load(home)?;
    exports.retain(|e| e.dir != dir);
    exports.push(Export { dir: dir.to_path_buf(), case: case.to_string(), on: today() });
    save(home, &exports)
}

/// The retention age from config.toml, or the default.
pub fn retention_days(home: &Home) -> Result<u32, ReviewError> {
    match home.config_value(RETENTION_KEY)? {
        None => Ok(DEFAULT_RETENTION_DAYS),
        Some(toml::Value::Integer(n)) if (0..=36_500).contains(&n) => Ok(n as u32),
        Some(other) => Err(ReviewError::Damaged {
            path: home.file(home::CONFIG_FILE),
            detail: format!("{RETENTION_KEY} must be a number of days from 0 to 36500, not {other}"),
        }),
    }
}

/// Is `export` at least `days` days old today?
fn is_due(export: &Export, days: u32, today: Date) -> bool {
    (today - export.on).whole_days() >= i64::from(days)
}

/// The one-line stderr reminder, printed by every command while exports are due. Quiet on
/// any error: a reminder must never stop the command the reviewer asked for.
pub fn remind(home: &Home) {
    let (Ok(exports), Ok(days)) = (load(home), retention_days(home)) else {
        return;
    };
    let due = exports.iter().filter(|e| is_due(e, days, today())).count();
    if due > 0 {
        eprintln!(
            "reminder: {due} exported case folder{} older than {days} days still hold decrypted \
             evidence: run `amana-review purge-exports`",
            if due == 1 { " is" } else { "s are" }
        );
    }
}

/// `purge-exports [--older-than-days N]`: deletes the due export folders and says which.
pub fn purge(home: &Home, older_than_days: Option<u32>) -> anyhow::Result<()> {
    let days = match older_than_days {
        Some(n) => n,
        None => retention_days(home)?,
    };
    let today = today();
    let (due, kept): (Vec<Export>, Vec<Export>) =
        load(home)?.into_iter().partition(|e| is_due(e, days, today));
    let kept_n = kept.len();
    let mut still = kept;
    let mut failed = 0;
    for export in due {
        match delete_folder(&export.dir) {
            Ok(true) => {
                say!("deleted {} (case {}, exported {})", export.dir.display(), export.case, export.on)
            }
            Ok(false) => {
                say!("already gone: {} (case {}, exported {})", export.dir.display(), export.case, export.on)
            }
            Err(e) => {
                eprintln!("error: {e}; kept in the register");
                failed += 1;
                still.push(export);
            }
        }
    }
    save(home, &still)?;
    say!("{kept_n} export folder{} kept (younger than {days} days)", plural(kept_n));
    if failed > 0 {
        anyhow::bail!("{failed} export folder(s) could not be deleted");
    }
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Deletes a recorded folder; `Ok(false)` if it is gone already. A recorded path that is
/// now a symlink or a file is refused rather than followed: it is not what we wrote.
fn delete_folder(dir: &Path) -> Result<bool, ReviewError> {
    match fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(ReviewError::Io { path: dir.to_path_buf(), cause: e }),
        Ok(meta) if !meta.is_dir() => Err(ReviewError::Io {
            path: dir.to_path_buf(),
            cause: std::io::Error::other("no longer a folder (a link or a file?): not deleted"),
        }),
        // remove_dir_all does not follow symlinks inside the folder.
        Ok(_) => fs::remove_dir_all(dir).map(|()| true).map_err(io_error(dir)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn due_counts_whole_days() {
        let e = Export { dir: "/x".into(), case: "c".into(), on: date!(2026 - 01 - 01) };
        assert!(!is_due(&e, 30, date!(2026 - 01 - 30)));
        assert!(is_due(&e, 30, date!(2026 - 01 - 31)));
        assert!(is_due(&e, 0, date!(2026 - 01 - 01)));
    }

    #[test]
    fn a_link_in_place_of_a_folder_is_not_followed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("target");
        fs::create_dir(&target).expect("mkdir");
        fs::write(target.join("keep"), b"x").expect("write");
        let link = dir.path().join("link");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&target, &link).expect("symlink");
            assert!(delete_folder(&link).is_err());
            assert!(target.join("keep").exists());
        }
        assert!(!delete_folder(&dir.path().join("gone")).expect("gone"));
        assert!(delete_folder(&target).expect("deleted"));
        assert!(!target.exists());
    }
}
