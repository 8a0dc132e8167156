//! The desk's unlocked keys, kept in memory while it runs (`amana-review desk`).
//!
//! The CLI never uses this: each command opens its key files and forgets them. The desk
//! runs the same commands many times in one process, so it unlocks the key files once (the
//! passphrase typed on its page) and keeps their opened text here, zeroized when it locks
//! (idle, or the "lock" button) and when the process ends. While the desk is locked a
//! protected key file is refused rather than prompted for on the desk's terminal.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use amana_core::reviewer_keys;
use zeroize::Zeroizing;

use crate::error::{io_error, ReviewError};
use crate::home::{Home, IDENTITY_FILE, SIGNING_FILE};

/// `None`: the CLI (nothing kept). `Some(map)`: the desk; an empty map is locked.
static KEPT: Mutex<Option<HashMap<PathBuf, Zeroizing<String>>>> = Mutex::new(None);

/// What the cache says about a key file.
pub enum Lookup {
    /// The desk holds it unlocked.
    Unlocked(Zeroizing<String>),
    /// The desk is locked: protected key files must not be opened.
    Locked,
    /// Not the desk: open it as the CLI does.
    NotKept,
}

fn with<T>(f: impl FnOnce(&mut Option<HashMap<PathBuf, Zeroizing<String>>>) -> T) -> T {
    // A poisoned lock only means a panic elsewhere; the map itself is still whole.
    let mut guard = KEPT.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    f(&mut guard)
}

/// Looks a key file up.
pub fn lookup(path: &Path) -> Lookup {
    with(|kept| match kept {
        None => Lookup::NotKept,
        Some(map) => map.get(path).map_or(Lookup::Locked, |t| Lookup::Unlocked(t.clone())),
    })
}

/// Turns keeping on, locked (the desk starts).
pub fn start_locked() {
    with(|kept| *kept = Some(HashMap::new()));
}

/// Forgets every unlocked key (zeroized on drop); the desk stays locked until [`unlock`].
pub fn lock() {
    with(|kept| {
        if let Some(map) = kept {
            map.clear();
        }
    });
}

/// Whether the desk needs a passphrase before it can decrypt or sign: some key file is
/// protected and not unlocked.
pub fn needs_passphrase(home: &Home) -> Result<bool, ReviewError> {
    for name in [IDENTITY_FILE, SIGNING_FILE] {
        let path = home.file(name);
        let data = Zeroizing::new(std::fs::read(&path).map_err(io_error(&path))?);
        if reviewer_keys::is_protected(&data) && matches!(lookup(&path), Lookup::Locked) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Opens both key files with `passphrase` and keeps them; a wrong passphrase keeps nothing.
pub fn unlock(home: &Home, passphrase: &str) -> Result<(), ReviewError> {
    let mut opened = Vec::new();
    for name in [IDENTITY_FILE, SIGNING_FILE] {
        let path = home.file(name);
        let data = Zeroizing::new(std::fs::read(&path).map_err(io_error(&path))?);
        let text = reviewer_keys::unprotect(&data, Some(passphrase))
            .map_err(|cause| ReviewError::KeyFile { path: path.clone(), cause })?;
        opened.push((path, text));
    }
    with(|kept| kept.get_or_insert_with(HashMap::new).extend(opened));
    Ok(())
}
