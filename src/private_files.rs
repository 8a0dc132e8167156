//! Database files readable by the service's user alone (mode 0600).
//!
//! SQLite and `pg_dump` create their files with the process umask (0644 under the usual
//! 022), so anyone on the host could copy the database or a backup of it — ciphertext, but
//! with all the metadata SECURITY.md lists. SQLite gives its `-wal`, `-shm` and `-journal`
//! files the mode of the database file, so creating that file (empty: SQLite treats an
//! empty file as a new database) with 0600 before SQLite opens it is enough; files left
//! by an older release are tightened at start. A backup file is likewise made, empty and
//! 0600, before `VACUUM INTO` or `pg_dump` writes into it.

use anyhow::Context;
use std::{
    fs,
    os::unix::fs::{OpenOptionsExt, PermissionsExt},
    path::{Path, PathBuf},
    str::FromStr,
};

/// The mode of every database file.
pub const MODE: u32 = 0o600;

/// Creates `path` with mode 0600 for writing; it must not exist yet.
pub fn create(path: &Path) -> anyhow::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(MODE)
        .open(path)
        .with_context(|| format!("cannot create {} (it must not exist yet)", path.display()))
}

/// Creates `path` empty with mode 0600; it must not exist yet.
pub fn create_empty(path: &Path) -> anyhow::Result<()> {
    create(path).map(drop)
}

/// Sets `path` to 0600 if it exists.
pub fn restrict(path: &Path) -> anyhow::Result<()> {
    match fs::metadata(path) {
        Ok(m) if m.permissions().mode() & 0o777 != MODE => {
            fs::set_permissions(path, fs::Permissions::from_mode(MODE))
                .with_context(|| format!("cannot restrict {}", path.display()))
        }
        _ => Ok(()),
    }
}

/// The database file a `sqlite:` URL names (`None` for an in-memory database).
fn sqlite_file(url: &str) -> anyhow::Result<Option<PathBuf>> {
    let opts = sqlx::sqlite::SqliteConnectOptions::from_str(url).context("invalid SQLite URL")?;
    let file = opts.get_filename();
    Ok((!file.as_os_str().is_empty() && file != Path::new(":memory:")).then(|| file.to_path_buf()))
}

/// Before SQLite opens the database of `url`: creates it 0600 if it is missing, and makes
/// it and its companion files 0600 if an older release left them readable by others.
pub fn prepare_sqlite(url: &str) -> anyhow::Result<()> {
    let Some(db) = sqlite_file(url)? else { return Ok(()) };
    if !db.exists() {
        if let Err(e) = create_empty(&db) {
            // Another process (a second `amana` command) may have made it meanwhile.
            if !db.exists() {
                return Err(e);
            }
        }
    }
    // `.pieces` is the evidence-file pieces' own database (`store::pieces_path`).
    for suffix in ["", "-wal", "-shm", "-journal", ".pieces", ".pieces-journal"] {
        let mut name = db.clone().into_os_string();
        name.push(suffix);
        restrict(Path::new(&name))?;
    }
    Ok(())
}
