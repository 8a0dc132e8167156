//! `amana backup` and `amana restore`.
//!
//! A backup is two files: the database (SQLite: an online, consistent copy made with
//! `VACUUM INTO`; PostgreSQL: `pg_dump --format=custom`), which holds only ciphertext and
//! metadata, and — separately — the secrets that make the database usable (the pepper and
//! the server signing key), encrypted to an operator age recipient. Keep them apart: the
//! database without the pepper cannot even test a lookup part.

use anyhow::{bail, Context};
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use serde::{Deserialize, Serialize};
use std::{
    fs,
    io::{Read, Write},
    os::unix::fs::OpenOptionsExt,
    path::{Path, PathBuf},
};
use zeroize::Zeroizing;

use crate::config::DataSettings;

const PEPPER_FILE: &str = "pepper";
const SERVER_KEY_FILE: &str = "server-signing.key";

/// The secrets bundle, as TOML inside an age file.
#[derive(Serialize, Deserialize)]
struct Secrets {
    pepper_b64: String,
    server_signing_key: String,
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {} (it must not exist yet)", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

/// Writes `<out>.db` (or `.pgdump`) and `<out>.secrets.age`.
pub async fn backup(
    data: &DataSettings,
    out: &Path,
    operator_recipient: &str,
) -> anyhow::Result<Vec<PathBuf>> {
    let recipient: age::x25519::Recipient = operator_recipient
        .parse()
        .map_err(|_| anyhow::anyhow!("--to must be an operator age recipient (age1…)"))?;
    let url = data.database_url();
    let db_out = if url.starts_with("sqlite:") {
        let path = out.with_extension("db");
        let store = crate::store::sqlite::SqliteStore::open_url(&url).await?;
        store.vacuum_into(&path).await.context("SQLite online backup failed")?;
        path
    } else {
        let path = out.with_extension("pgdump");
        let status = std::process::Command::new("pg_dump")
            .args(["--format=custom", "--no-owner", "--file"])
            .arg(&path)
            .arg(&url)
            .status()
            .context("cannot run pg_dump (install the PostgreSQL client)")?;
        if !status.success() {
            bail!("pg_dump failed");
        }
        path
    };
    let secrets = Zeroizing::new(toml::to_string(&Secrets {
        pepper_b64: B64.encode(Zeroizing::new(fs::read(data.data_dir.join(PEPPER_FILE))?)),
        server_signing_key: fs::read_to_string(data.data_dir.join(SERVER_KEY_FILE))?,
    })?);
    let sealed = amana_core::envelope::encrypt(secrets.as_bytes(), &[recipient])?;
    let secrets_out = out.with_extension("secrets.age");
    write_private(&secrets_out, &sealed)?;
    Ok(vec![db_out, secrets_out])
}

/// Restores a backup into an empty data directory (SQLite) and writes the secrets.
pub fn restore(
    data_dir: &Path,
    db_backup: &Path,
    secrets: &Path,
    identity_file: &Path,
) -> anyhow::Result<()> {
    let text =
        Zeroizing::new(fs::read_to_string(identity_file).context("cannot read the operator identity")?);
    let identity = amana_core::reviewer_keys::parse_identity_file(&text)?;
    let mut sealed = Vec::new();
    fs::File::open(secrets)?.read_to_end(&mut sealed)?;
    let plain = amana_core::envelope::decrypt(&sealed, &[&identity as &dyn age::Identity])
        .context("cannot open the secrets file with this identity")?;
    let s: Secrets = toml::from_str(std::str::from_utf8(&plain)?)?;
    let pepper = Zeroizing::new(B64.decode(&s.pepper_b64)?);
    fs::create_dir_all(data_dir)?;
    let db = data_dir.join("amana.db");
    if db.exists() {
        bail!("{} exists; restore into an empty data directory", db.display());
    }
    if db_backup.extension().is_some_and(|e| e == "db") {
        fs::copy(db_backup, &db)?;
    }
    write_private(&data_dir.join(PEPPER_FILE), &pepper)?;
    write_private(&data_dir.join(SERVER_KEY_FILE), s.server_signing_key.as_bytes())?;
    Ok(())
}
