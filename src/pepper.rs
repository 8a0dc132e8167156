//! The server pepper: the HMAC key of the lookup index. It lives in a file outside the
//! database, so a stolen database alone cannot even test a lookup part.

use std::{fs, io::Write, os::unix::fs::OpenOptionsExt, path::Path};
use zeroize::Zeroizing;

const PEPPER_LEN: usize = 32;

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
