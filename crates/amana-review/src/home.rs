//! The reviewer home directory and its files.
//!
//! ```text
//! <home>/                     mode 0700
//!   identity.age              age identity (secret; passphrase-protected unless --no-passphrase)
//!   signing.key               Ed25519 signing key (secret; likewise)
//!   public-entry.toml         what goes into the server's keys/reviewers/<id>.toml
//!   config.toml               key_id, server, deployment_id, roster_fingerprint
//!   cases/<case-id>/case.json            metadata, history, envelope list (no ciphertext)
//!   cases/<case-id>/<envelope-id>.age    each envelope, a standard binary age file
//!   cases/<case-id>/attachments/<id>.age each fetched attachment's content (age STREAM)
//!   exports.json              export folders holding decrypted files (folder, case, date)
//!   roster.json               the newest roster verified under roster_fingerprint (every key
//!                             this home trusts comes from it)
//!   quarantine.json           cases a pull could not verify: since when, and why
//!   verified-heads.json       each case's last verified history head (seq, hash)
//!   outbox/<n>-<case>-<action>.json      signed requests made with --offline, not yet sent
//!   outbox/sent/              outbox files the server has applied (seen in a later pull)
//!   pull-authorization.json   the last `authorize-pull` file (unless --out said otherwise)
//! ```
//! The file names come from `amana_core::reviewer_keys::home`, so a home that the server's
//! demo mode prepared works as is.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use amana_core::reviewer_keys::{self, home::ReviewerConfig};
use ring::signature::Ed25519KeyPair;
use zeroize::Zeroizing;

pub use amana_core::reviewer_keys::home::{
    CASES_DIR, CONFIG_FILE, IDENTITY_FILE, PUBLIC_ENTRY_FILE, SIGNING_FILE,
};

use crate::error::{io_error, ReviewError};
use crate::key_cache::Lookup;
use crate::passphrase::Unlocker;

/// The last verified history head of every case.
pub const HEADS_FILE: &str = "verified-heads.json";
/// Signed requests waiting to be carried to a connected machine.
pub const OUTBOX_DIR: &str = "outbox";
/// Inside an outbox: requests already sent (connected machine) or applied (laptop).
pub const SENT_DIR: &str = "sent";
/// Where `authorize-pull` writes by default.
pub const PULL_AUTHORIZATION_FILE: &str = "pull-authorization.json";

/// The default home, under `$HOME`.
const DEFAULT_DIR: &str = ".amana-review";
/// Longest id we accept as a file name.
const MAX_ID_LEN: usize = 64;

/// A reviewer home directory.
#[derive(Debug, Clone)]
pub struct Home {
    root: PathBuf,
}

impl Home {
    /// The home from `--home`/`AMANA_REVIEW_HOME`, else `$HOME/.amana-review`.
    pub fn resolve(flag: Option<PathBuf>) -> Result<Self, ReviewError> {
        // An empty AMANA_REVIEW_HOME means "unset", not "the current directory".
        let root = match flag.filter(|dir| !dir.as_os_str().is_empty()) {
            Some(dir) => dir,
            None => std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(|h| PathBuf::from(h).join(DEFAULT_DIR))
                .ok_or(ReviewError::NoHome)?,
        };
        Ok(Self { root })
    }

    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A file directly in the home, e.g. [`CONFIG_FILE`].
    pub fn file(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// Where pulled cases live.
    pub fn cases_dir(&self) -> PathBuf {
        self.root.join(CASES_DIR)
    }

    /// The folder of one case. `id` must have passed [`check_id`].
    pub fn case_dir(&self, id: &str) -> PathBuf {
        self.cases_dir().join(id)
    }

    /// Where `--offline` requests wait.
    pub fn outbox_dir(&self) -> PathBuf {
        self.root.join(OUTBOX_DIR)
    }

    /// Reads `config.toml`; a missing one means keygen never ran here.
    pub fn read_config(&self) -> Result<ReviewerConfig, ReviewError> {
        let path = self.file(CONFIG_FILE);
        let text = match fs::read_to_string(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ReviewError::NoKeys(self.root.clone()))
            }
            other => other.map_err(io_error(&path))?,
        };
        toml::from_str(&text).map_err(|e| ReviewError::Damaged { path, detail: e.to_string() })
    }

    /// Rewrites `config.toml` (atomically, so a crash never leaves half a file). Settings
    /// that [`ReviewerConfig`] does not know (e.g. `export_retention_days`) are kept.
    pub fn save_config(&self, config: &ReviewerConfig) -> Result<(), ReviewError> {
        let path = self.file(CONFIG_FILE);
        let damaged =
            |e: &dyn std::fmt::Display| ReviewError::Damaged { path: path.clone(), detail: e.to_string() };
        let mut table = match fs::read_to_string(&path) {
            Ok(text) => text.parse::<toml::Table>().map_err(|e| damaged(&e))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => toml::Table::new(),
            Err(e) => return Err(ReviewError::Io { path, cause: e }),
        };
        for key in ["key_id", "server", "deployment_id"] {
            table.remove(key);
        }
        let known = toml::Table::try_from(config).map_err(|e| damaged(&e))?;
        table.extend(known);
        let text = toml::to_string(&table).map_err(|e| damaged(&e))?;
        replace_file(&path, text.as_bytes())
    }

    /// A setting of `config.toml` that [`ReviewerConfig`] does not hold, if present.
    pub fn config_value(&self, key: &str) -> Result<Option<toml::Value>, ReviewError> {
        let path = self.file(CONFIG_FILE);
        let text = match fs::read_to_string(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            other => other.map_err(io_error(&path))?,
        };
        let mut table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| ReviewError::Damaged { path, detail: e.to_string() })?;
        Ok(table.remove(key))
    }

    /// The age identity that decrypts cases.
    pub fn identity(&self, unlocker: &mut Unlocker) -> Result<age::x25519::Identity, ReviewError> {
        let path = self.file(IDENTITY_FILE);
        let text = self.open_key_file(&path, unlocker)?;
        reviewer_keys::parse_identity_file(&text).map_err(|cause| ReviewError::KeyFile { path, cause })
    }

    /// The Ed25519 key that signs requests.
    pub fn signing_key(&self, unlocker: &mut Unlocker) -> Result<Ed25519KeyPair, ReviewError> {
        let path = self.file(SIGNING_FILE);
        let text = self.open_key_file(&path, unlocker)?;
        reviewer_keys::parse_signing_key_file(&text).map_err(|cause| ReviewError::KeyFile { path, cause })
    }

    /// Reads a key file, asking for the passphrase only if the file is protected.
    fn open_key_file(&self, path: &Path, unlocker: &mut Unlocker) -> Result<Zeroizing<String>, ReviewError> {
        let data = match fs::read(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ReviewError::NoKeys(self.root.clone()))
            }
            other => Zeroizing::new(other.map_err(io_error(path))?),
        };
        let protected = reviewer_keys::is_protected(&data);
        let key_error = |cause| ReviewError::KeyFile { path: path.to_path_buf(), cause };
        match crate::key_cache::lookup(path) {
            Lookup::Unlocked(text) => return Ok(text),
            // The desk never prompts on its terminal mid-request: it asks on its page.
            Lookup::Locked if protected => {
                return Err(key_error(reviewer_keys::KeyFileError::NeedsPassphrase))
            }
            Lookup::Locked | Lookup::NotKept => {}
        }
        let passphrase = if protected { Some(unlocker.get()?) } else { None };
        reviewer_keys::unprotect(&data, passphrase).map_err(key_error)
    }
}

/// Reads a JSON file of the home; a missing one is `T::default()`.
pub fn load_json<T: serde::de::DeserializeOwned + Default>(
    home: &Home,
    name: &str,
) -> Result<T, ReviewError> {
    let path = home.file(name);
    match fs::read(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(e) => Err(io_error(&path)(e)),
        Ok(bytes) => {
            serde_json::from_slice(&bytes).map_err(|e| ReviewError::Damaged { path, detail: e.to_string() })
        }
    }
}

/// Rewrites a JSON file of the home (atomically, private), written as it is serialized:
/// `verified-heads.json` holds a head per case, megabytes in a national home.
pub fn save_json<T: serde::Serialize>(home: &Home, name: &str, value: &T) -> Result<(), ReviewError> {
    let path = home.file(name);
    replace_with(&path, |w| serde_json::to_writer_pretty(w, value).map_err(std::io::Error::from))
}

/// Refuses anything but `[A-Za-z0-9_-]{1,64}`: ids from the server become file names, and
/// a hostile server must not make us write outside the home (`..`, `/`, `\`, NUL…).
pub fn check_id(what: &'static str, value: &str) -> Result<(), ReviewError> {
    let ok = !value.is_empty()
        && value.len() <= MAX_ID_LEN
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        // Cut and escape what we echo back: it came from an untrusted server.
        let shown: String = value.chars().take(80).collect::<String>().escape_debug().to_string();
        Err(ReviewError::UnsafeId { what, value: shown })
    }
}

/// Creates a directory (and its parents) readable by the owner only.
pub fn create_private_dir(path: &Path) -> Result<(), ReviewError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path).map_err(io_error(path))
}

/// Warns when other users may enter `dir` (a home that existed before keygen, say).
pub fn warn_if_shared(dir: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if fs::metadata(dir).is_ok_and(|m| m.permissions().mode() & 0o077 != 0) {
            let dir = dir.display();
            eprintln!("warning: other users can open {dir}; run `chmod 700 {dir}`");
        }
    }
}

fn private_open_options() -> fs::OpenOptions {
    let mut options = fs::OpenOptions::new();
    options.write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Writes a new owner-only file; fails if it exists, so keys are never overwritten, not even
/// by a concurrent run.
pub fn create_new_file(path: &Path, bytes: &[u8]) -> Result<(), ReviewError> {
    let mut file = private_open_options().create_new(true).open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            ReviewError::AlreadyExists(path.to_path_buf())
        } else {
            ReviewError::Io { path: path.to_path_buf(), cause: e }
        }
    })?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(io_error(path))
}

/// Creates (or truncates) an owner-only file for writing, e.g. a download in progress.
pub fn private_file(path: &Path) -> Result<fs::File, ReviewError> {
    private_open_options().create(true).truncate(true).open(path).map_err(io_error(path))
}

/// Replaces an owner-only file atomically with what `write` writes (through a buffer): a
/// temporary file beside it, synced, then renamed.
pub fn replace_with(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<&fs::File>) -> std::io::Result<()>,
) -> Result<(), ReviewError> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    let tmp = path.with_file_name(name);
    let file = private_open_options().create(true).truncate(true).open(&tmp).map_err(io_error(&tmp))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, &file);
    write(&mut out).and_then(|()| out.flush()).map_err(io_error(&tmp))?;
    drop(out);
    file.sync_all().map_err(io_error(&tmp))?;
    fs::rename(&tmp, path).map_err(io_error(path))
}

/// Replaces an owner-only file atomically: write a temporary file beside it, then rename.
pub fn replace_file(path: &Path, bytes: &[u8]) -> Result<(), ReviewError> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    let tmp = path.with_file_name(name);
    let mut file = private_open_options().create(true).truncate(true).open(&tmp).map_err(io_error(&tmp))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(io_error(&tmp))?;
    fs::rename(&tmp, path).map_err(io_error(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_are_safe_file_names_pass() {
        for id in ["abc", "A-b_9", "x", &"a".repeat(64)] {
            assert!(check_id("case id", id).is_ok(), "{id}");
        }
    }

    #[test]
    fn path_tricks_are_refused() {
        let long = "a".repeat(65);
        for id in [
            "",
            ".",
            "..",
            "../x",
            "x/../../y",
            "/etc",
            "a/b",
            "a\\b",
            "..\\x",
            "a\0b",
            "a b",
            "é",
            "a.age",
            "~",
            &long,
        ] {
            assert!(matches!(check_id("case id", id), Err(ReviewError::UnsafeId { .. })), "{id:?} accepted");
        }
    }

    #[test]
    fn refused_ids_are_echoed_escaped() {
        let err = check_id("envelope id", "../\u{1b}[2J").expect_err("refused");
        let msg = err.to_string();
        assert!(!msg.contains('\u{1b}'), "{msg}");
        assert!(msg.contains("envelope id"), "{msg}");
    }

    #[test]
    fn saving_the_config_keeps_other_settings() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = Home::resolve(Some(dir.path().to_path_buf())).expect("home");
        fs::write(home.file(CONFIG_FILE), "key_id = \"a\"\nexport_retention_days = 7\n").expect("write");
        let mut config = home.read_config().expect("read");
        config.deployment_id = Some("dep".into());
        home.save_config(&config).expect("save");
        assert_eq!(home.read_config().expect("read").deployment_id.as_deref(), Some("dep"));
        assert_eq!(home.config_value("export_retention_days").expect("value"), Some(toml::Value::Integer(7)));
    }

    #[test]
    fn replace_and_create_new() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        create_new_file(&path, b"one").expect("create");
        assert!(matches!(create_new_file(&path, b"two"), Err(ReviewError::AlreadyExists(_))));
        replace_file(&path, b"three").expect("replace");
        assert_eq!(fs::read(&path).expect("read"), b"three");
        assert!(!dir.path().join("f.tmp").exists());
    }
}
