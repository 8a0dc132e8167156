//! The server pepper: the HMAC key of the lookup index. It lives in a file outside the
//! database, so a stolen database alone cannot even test a lookup part.

use std::{fs, io::Write, os::unix::fs::OpenOptionsExt, path::Path};
use zeroize::Zeroizing;

const PEPPER_LEN: usize = 32;

/// Loads the pepper file, creating it (mode 0600) on first start of the embedded default.
pub fn load_or_create(path: &Path) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => {
            let bytes = Zeroizing::new(bytes);
            anyhow::ensure!(
                bytes.len() >= PEPPER_LEN,
                "pepper file {} is shorter than {PEPPER_LEN} bytes; restore it from backup",
                path.display()
            );
            Ok(bytes)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create(path),
        Err(e) => Err(anyhow::anyhow!("cannot read pepper file {}: {e}", path.display())),
    }
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
