//! The server's own Ed25519 key, used only to sign proof-of-filing receipts. For the
//! embedded default it is created on first start (mode 0600) beside the pepper.

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use ring::signature::Ed25519KeyPair;
use std::{fs, io::Write, os::unix::fs::OpenOptionsExt, path::Path};
use zeroize::Zeroizing;

const PREFIX: &str = "AMANA-SERVER-SIGNING-KEY-1 ";

/// Loads the key file, creating it on first start.
pub fn load_or_create(path: &Path) -> anyhow::Result<Ed25519KeyPair> {
    match fs::read_to_string(path) {
        Ok(text) => parse(&Zeroizing::new(text))
            .map_err(|e| anyhow::anyhow!("server signing key {} is unreadable: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create(path),
        Err(e) => Err(anyhow::anyhow!("cannot read server signing key {}: {e}", path.display())),
    }
}

/// Loads the key file and never creates it: with PostgreSQL every node must sign receipts
/// with the operator's one key, so a receipt from any node verifies against it.
pub fn load_existing(path: &Path) -> anyhow::Result<Ed25519KeyPair> {
    match fs::read_to_string(path) {
        Ok(text) => parse(&Zeroizing::new(text))
            .map_err(|e| anyhow::anyhow!("server signing key {} is unreadable: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(anyhow::anyhow!(
            "the server signing key {} is missing. With PostgreSQL all nodes share one key and \
             Amana never creates it: copy it (mode 0600) from another node or from the backup, or, \
             for the first node of a new deployment, run `amana init-secrets --data-dir <dir>` once \
             and copy it to every node",
            path.display()
        )),
        Err(e) => Err(anyhow::anyhow!("cannot read server signing key {}: {e}", path.display())),
    }
}

fn parse(text: &str) -> anyhow::Result<Ed25519KeyPair> {
    let b64 = text
        .trim()
        .strip_prefix(PREFIX.trim_end())
        .map(str::trim)
        .ok_or_else(|| anyhow::anyhow!("bad header"))?;
    let der = Zeroizing::new(B64.decode(b64)?);
    Ed25519KeyPair::from_pkcs8(&der).map_err(|_| anyhow::anyhow!("not an Ed25519 PKCS#8 key"))
}

fn create(path: &Path) -> anyhow::Result<Ed25519KeyPair> {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new())
        .map_err(|_| anyhow::anyhow!("cannot generate the server signing key"))?;
    let text = Zeroizing::new(format!("{PREFIX}{}\n", B64.encode(pkcs8.as_ref())));
    let mut f = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    tracing::warn!("created a new server signing key (receipts); back it up with the pepper");
    parse(&text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::KeyPair;

    #[test]
    fn load_existing_never_creates_and_reads_what_load_or_create_made() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server-signing.key");
        let err = load_existing(&path).unwrap_err().to_string();
        assert!(err.contains(&path.display().to_string()) && err.contains("amana init-secrets"), "{err}");
        assert!(!path.exists(), "load_existing must not create the key");
        let made = load_or_create(&path).unwrap();
        let loaded = load_existing(&path).unwrap();
        assert_eq!(made.public_key().as_ref(), loaded.public_key().as_ref());
    }
}
