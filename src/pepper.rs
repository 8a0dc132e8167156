//! The server pepper: the HMAC key of the lookup index. It lives in a file outside the
//! database, so a stolen database alone cannot even test a lookup part.
//!
//! Peppers are versioned. `pepper` is version 1; `amana init-secrets --new-pepper` adds
//! `pepper.2`, `pepper.3`, …. New codes use the newest version, and each case records the
//! version its lookup index was made with (`cases.pepper_id`), so old codes keep working
//! under the pepper they were issued with (ops/README.md, "Incident response", "Leaked pepper").

use std::{
    fs,
    io::Write,
    os::unix::fs::OpenOptionsExt,
    path::{Path, PathBuf},
};
use zeroize::Zeroizing;

const PEPPER_LEN: usize = 32;
/// The file of pepper version 1.
pub const PEPPER_FILE: &str = "pepper";
/// Highest version accepted (a sanity bound on file names).
const MAX_VERSION: i32 = 9999;

/// The file name of pepper version `id`: `pepper` for 1, `pepper.<id>` after.
pub fn file_name(id: i32) -> String {
    if id == 1 {
        PEPPER_FILE.to_string()
    } else {
        format!("{PEPPER_FILE}.{id}")
    }
}

/// The later versions (`pepper.N`, N ≥ 2) present in `data_dir`, ascending.
pub fn later_versions(data_dir: &Path) -> anyhow::Result<Vec<(i32, PathBuf)>> {
    let mut out = Vec::new();
    let entries = match fs::read_dir(data_dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        other => other.map_err(|e| anyhow::anyhow!("cannot read {}: {e}", data_dir.display()))?,
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let Some(version) = name.to_str().and_then(|n| n.strip_prefix("pepper.")) else { continue };
        if let Ok(id) = version.parse::<i32>() {
            if (2..=MAX_VERSION).contains(&id) && version == id.to_string() {
                out.push((id, entry.path()));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Every pepper version of a deployment: version 1 and any later ones, oldest first — never
/// empty, by construction.
pub struct Peppers {
    first: Zeroizing<Vec<u8>>,
    later: Vec<(i32, Zeroizing<Vec<u8>>)>,
}

impl Peppers {
    /// Loads `pepper` and every `pepper.N` in `data_dir`. With `create` (the embedded
    /// SQLite default) a deployment without any pepper gets version 1; otherwise (PostgreSQL
    /// nodes) a missing pepper is an error. A later version without version 1 is always an
    /// error: the old codes need it.
    pub fn load(data_dir: &Path, create: bool) -> anyhow::Result<Self> {
        let later = later_versions(data_dir)?;
        let first = data_dir.join(PEPPER_FILE);
        let v1 = if !later.is_empty() && !first.exists() {
            anyhow::bail!(
                "{} (pepper version 1) is missing but later versions exist: every code issued \
                 before the first rotation needs it. Restore it from the secrets backup",
                first.display()
            );
        } else if create {
            load_or_create(&first)?
        } else {
            load_existing(&first)?
        };
        let mut versions = Vec::with_capacity(later.len());
        for (id, path) in later {
            let bytes =
                fs::read(&path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
            versions.push((id, checked(&path, bytes)?));
        }
        Ok(Self { first: v1, later: versions })
    }

    /// The version new codes use: the newest.
    pub fn current(&self) -> (i32, &[u8]) {
        self.later.last().map_or((1, self.first.as_slice()), |(id, p)| (*id, p.as_slice()))
    }

    /// Every version, newest first.
    pub fn newest_first(&self) -> impl Iterator<Item = (i32, &[u8])> {
        let later = self.later.iter().rev().map(|(id, p)| (*id, p.as_slice()));
        later.chain(std::iter::once((1, self.first.as_slice())))
    }

    /// Every version but the current one.
    pub fn older(&self) -> impl Iterator<Item = (i32, &[u8])> {
        self.newest_first().skip(1)
    }
}

/// `amana init-secrets --new-pepper`: writes the next version (mode 0600); returns its path.
pub fn add_version(data_dir: &Path) -> anyhow::Result<PathBuf> {
    let first = data_dir.join(PEPPER_FILE);
    anyhow::ensure!(
        first.exists(),
        "{} is missing: a new pepper version is added to an existing deployment (run \
         `amana init-secrets` first, or restore the pepper from the backup)",
        first.display()
    );
    let next = later_versions(data_dir)?.last().map_or(2, |(id, _)| id + 1);
    anyhow::ensure!(next <= MAX_VERSION, "too many pepper versions");
    let path = data_dir.join(file_name(next));
    create(&path)?;
    Ok(path)
}

/// Loads the pepper file, creating it (mode 0600) on first start of the embedded default.
pub fn load_or_create(path: &Path) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => checked(path, bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create(path),
        Err(e) => Err(anyhow::anyhow!("cannot read pepper file {}: {e}", path.display())),
    }
}

/// Loads the pepper file and never creates it: with PostgreSQL every node must use the
/// operator's one pepper, and a node that made its own would silently fail every code.
pub fn load_existing(path: &Path) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => checked(path, bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(anyhow::anyhow!(
            "the pepper file {} is missing. With PostgreSQL all nodes share one pepper and Amana \
             never creates it: copy it (mode 0600) from another node or from the backup, or, for the \
             first node of a new deployment, run `amana init-secrets --data-dir <dir>` once (or \
             `head -c 32 /dev/urandom > pepper && chmod 600 pepper`) and copy it to every node",
            path.display()
        )),
        Err(e) => Err(anyhow::anyhow!("cannot read pepper file {}: {e}", path.display())),
    }
}

fn checked(path: &Path, bytes: Vec<u8>) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    let bytes = Zeroizing::new(bytes);
    anyhow::ensure!(
        bytes.len() >= PEPPER_LEN,
        "pepper file {} is shorter than {PEPPER_LEN} bytes; restore it from backup",
        path.display()
    );
    Ok(bytes)
}

fn create(path: &Path) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    let mut pepper = Zeroizing::new(vec![0u8; PEPPER_LEN]);
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut pepper);
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| anyhow::anyhow!("cannot create pepper file {}: {e}", path.display()))?;
    f.write_all(&pepper)?;
    f.sync_all()?;
    tracing::warn!("created a new pepper file; back it up with the database (ops/README.md)");
    Ok(pepper)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_load_in_order_and_the_newest_is_current() {
        let dir = tempfile::tempdir().unwrap();
        assert!(add_version(dir.path()).is_err(), "no version 1 yet");
        let v1 = Peppers::load(dir.path(), true).unwrap();
        assert_eq!(v1.current().0, 1);
        assert!(Peppers::load(dir.path(), false).is_ok(), "exists now");
        assert_eq!(add_version(dir.path()).unwrap(), dir.path().join("pepper.2"));
        assert_eq!(add_version(dir.path()).unwrap(), dir.path().join("pepper.3"));
        fs::write(dir.path().join("pepper.x"), b"ignored").unwrap();
        fs::write(dir.path().join("pepper.02"), b"ignored").unwrap();
        let all = Peppers::load(dir.path(), false).unwrap();
        assert_eq!(all.current().0, 3);
        assert_eq!(all.newest_first().map(|(id, _)| id).collect::<Vec<_>>(), [3, 2, 1]);
        assert_eq!(all.older().map(|(id, _)| id).collect::<Vec<_>>(), [2, 1]);
        assert_eq!(all.newest_first().last().map(|(_, p)| p.to_vec()), Some(v1.current().1.to_vec()));
        // Version 1 lost: refused even where a new one could be created.
        fs::remove_file(dir.path().join("pepper")).unwrap();
        let err = Peppers::load(dir.path(), true).err().expect("refused").to_string();
        assert!(err.contains("version 1") && err.contains("backup"), "{err}");
        assert!(!dir.path().join("pepper").exists());
    }

    #[test]
    fn load_existing_never_creates_and_reads_what_load_or_create_made() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pepper");
        let err = load_existing(&path).unwrap_err().to_string();
        assert!(err.contains(&path.display().to_string()) && err.contains("amana init-secrets"), "{err}");
        assert!(!path.exists(), "load_existing must not create the pepper");
        let made = load_or_create(&path).unwrap();
        assert_eq!(*load_existing(&path).unwrap(), *made);
        fs::write(&path, b"short").unwrap();
        assert!(load_existing(&path).unwrap_err().to_string().contains("shorter"));
    }
}
