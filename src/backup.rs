//! `amana backup` and `amana restore`.
//!
//! A backup is the database (SQLite: online, consistent copies made with `VACUUM INTO` of
//! the database and of its evidence-file pieces file; PostgreSQL: `pg_dump
//! --format=custom`), which holds only ciphertext and metadata, and — separately — the
//! secrets that make the database usable (the pepper and the server signing key), encrypted to an operator age recipient. Keep them apart: the
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

use crate::pepper::PEPPER_FILE;
const SERVER_KEY_FILE: &str = "server-signing.key";

/// The secrets bundle, as TOML inside an age file.
#[derive(Serialize, Deserialize)]
struct Secrets {
    /// Pepper version 1 (`pepper`).
    pepper_b64: String,
    server_signing_key: String,
    /// Later pepper versions (`pepper.N`); absent in bundles from before versioning.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    later_peppers: Vec<LaterPepper>,
}

/// One `pepper.N` file.
#[derive(Serialize, Deserialize)]
struct LaterPepper {
    id: i32,
    pepper_b64: String,
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

/// Writes `<out>.db` and `<out>.pieces` (or `<out>.pgdump`) and `<out>.secrets.age`.
pub async fn backup(
    data: &DataSettings,
    out: &Path,
    operator_recipient: &str,
) -> anyhow::Result<Vec<PathBuf>> {
    let recipient: age::x25519::Recipient = operator_recipient
        .parse()
        .map_err(|_| anyhow::anyhow!("--to must be an operator age recipient (age1…)"))?;
    let url = data.database_url();
    let written = if url.starts_with("sqlite:") {
        crate::private_files::prepare_sqlite(&url)?;
        let store = crate::store::sqlite::SqliteStore::open_url(&url).await?;
        let (db, pieces) = (out.with_extension("db"), out.with_extension("pieces"));
        sqlite_copies(&store, &db, &pieces).await?;
        vec![db, pieces]
    } else {
        let path = out.with_extension("pgdump");
        // pg_dump truncates the file it is given and keeps its mode.
        crate::private_files::create_empty(&path)?;
        let status = pg_command("pg_dump", &url)
            .args(["--format=custom", "--no-owner", "--file"])
            .arg(&path)
            .status()
            .context("cannot run pg_dump (install the PostgreSQL client)")?;
        if !status.success() {
            bail!("pg_dump failed");
        }
        vec![path]
    };
    finish(data, out, &recipient, written)
}

/// Copies of the SQLite database and its pieces file that agree (see
/// `SqliteStore::copies_match`); a purge that ran between the two copies makes them again.
async fn sqlite_copies(
    store: &crate::store::sqlite::SqliteStore,
    db: &Path,
    pieces: &Path,
) -> anyhow::Result<()> {
    for _ in 0..COPY_ATTEMPTS {
        // Made empty and 0600 first: VACUUM INTO fills an empty file and keeps its mode.
        crate::private_files::create_empty(db)?;
        crate::private_files::create_empty(pieces)?;
        store.vacuum_into(db).await.context("SQLite online backup failed")?;
        store.vacuum_pieces_into(pieces).await.context("SQLite online backup of the pieces file failed")?;
        if crate::store::sqlite::SqliteStore::copies_match(db, pieces).await? {
            return Ok(());
        }
        fs::remove_file(db)?;
        fs::remove_file(pieces)?;
    }
    bail!("the database changed under every backup attempt (purges running?); run the backup again later")
}

/// Copies made before a consistent pair is given up on.
const COPY_ATTEMPTS: usize = 3;

/// Writes the secrets file next to the database copies; returns every file written.
fn finish(
    data: &DataSettings,
    out: &Path,
    recipient: &age::x25519::Recipient,
    mut written: Vec<PathBuf>,
) -> anyhow::Result<Vec<PathBuf>> {
    let mut later_peppers = Vec::new();
    for (id, path) in crate::pepper::later_versions(&data.data_dir)? {
        later_peppers.push(LaterPepper { id, pepper_b64: B64.encode(Zeroizing::new(fs::read(path)?)) });
    }
    let secrets = Zeroizing::new(toml::to_string(&Secrets {
        pepper_b64: B64.encode(Zeroizing::new(fs::read(data.data_dir.join(PEPPER_FILE))?)),
        server_signing_key: fs::read_to_string(data.data_dir.join(SERVER_KEY_FILE))?,
        later_peppers,
    })?);
    let sealed = amana_core::envelope::encrypt(secrets.as_bytes(), std::slice::from_ref(recipient))?;
    let secrets_out = out.with_extension("secrets.age");
    write_private(&secrets_out, &sealed)?;
    written.push(secrets_out);
    Ok(written)
}

/// `url` without its password, and the password (percent-decoded), so the password goes
/// to `pg_dump`/`pg_restore` in `PGPASSWORD` instead of on a command line that `ps` shows.
fn split_password(url: &str) -> (String, Option<Zeroizing<String>>) {
    let Some((scheme, rest)) = url.split_once("://") else { return (url.to_string(), None) };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else { return (url.to_string(), None) };
    let Some((user, password)) = userinfo.split_once(':') else { return (url.to_string(), None) };
    (format!("{scheme}://{user}@{host}{tail}"), Some(Zeroizing::new(percent_decode(password))))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (b[i], b.get(i + 1).copied().and_then(hex), b.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A PostgreSQL client command for the database at `url` (last argument, or `--dbname`).
fn pg_command(program: &str, url: &str) -> std::process::Command {
    let (url, password) = split_password(url);
    let mut cmd = std::process::Command::new(program);
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p.as_str());
    }
    cmd.arg(format!("--dbname={url}"));
    cmd
}

/// Restores a backup and its secrets into an empty data directory: a SQLite `.db` becomes
/// `<data-dir>/amana.db`; a `.pgdump` is restored with `pg_restore` into the empty
/// PostgreSQL database at `database_url`.
pub async fn restore(
    data_dir: &Path,
    db_backup: &Path,
    secrets: &Path,
    identity_file: &Path,
    database_url: Option<&str>,
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
    for existing in
        [crate::store::pieces_path(&db), db, data_dir.join(PEPPER_FILE), data_dir.join(SERVER_KEY_FILE)]
    {
        if existing.exists() {
            bail!("{} exists; restore into an empty data directory", existing.display());
        }
    }
    match db_backup.extension().and_then(|e| e.to_str()) {
        Some("db") => {
            if database_url.is_some_and(|u| !u.starts_with("sqlite:")) {
                bail!("a .db backup is a SQLite database; restore a .pgdump into PostgreSQL");
            }
            copy_private(db_backup, &data_dir.join("amana.db"))?;
            // The pieces file beside it; a backup from before it existed has none (its pieces
            // are in the database, and move at the first start).
            let pieces = db_backup.with_extension("pieces");
            if pieces.exists() {
                copy_private(&pieces, &crate::store::pieces_path(&data_dir.join("amana.db")))?;
            }
        }
        Some("pgdump") => {
            let url = database_url
                .filter(|u| u.starts_with("postgres:") || u.starts_with("postgresql:"))
                .ok_or_else(|| {
                    anyhow::anyhow!("a .pgdump backup needs --database-url postgres://… (an empty database)")
                })?;
            pg_restore(db_backup, url).await?;
        }
        _ => bail!("{}: not a backup file (expected .db or .pgdump)", db_backup.display()),
    }
    write_private(&data_dir.join(PEPPER_FILE), &pepper)?;
    for later in &s.later_peppers {
        anyhow::ensure!(later.id >= 2, "the secrets file names pepper version {}", later.id);
        let bytes = Zeroizing::new(B64.decode(&later.pepper_b64)?);
        write_private(&data_dir.join(crate::pepper::file_name(later.id)), &bytes)?;
    }
    write_private(&data_dir.join(SERVER_KEY_FILE), s.server_signing_key.as_bytes())?;
    Ok(())
}

/// Copies `from` into the new file `to`, made 0600 (not `fs::copy`, which would give the
/// copy the backup's mode, maybe a wider one).
fn copy_private(from: &Path, to: &Path) -> anyhow::Result<()> {
    let mut target = crate::private_files::create(to)?;
    std::io::copy(&mut fs::File::open(from)?, &mut target)?;
    target.sync_all()?;
    Ok(())
}

/// `pg_restore` into an empty database, in one transaction (all or nothing).
async fn pg_restore(dump: &Path, url: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await.context("cannot connect to the target database")?;
    let tables: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        .fetch_one(&mut conn)
        .await?;
    let _ = conn.close().await;
    if tables > 0 {
        bail!("the target database is not empty ({tables} tables); restore into a new, empty database");
    }
    let status = pg_command("pg_restore", url)
        .args(["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"])
        .arg(dump)
        .status()
        .context("cannot run pg_restore (install the PostgreSQL client)")?;
    if !status.success() {
        bail!("pg_restore failed; nothing was restored (one transaction)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url() {
        let (url, pw) = split_password("postgres://amana:p%40ss:w@db.example:5432/amana?sslmode=verify-full");
        assert_eq!(url, "postgres://amana@db.example:5432/amana?sslmode=verify-full");
        assert_eq!(pw.as_deref().map(String::as_str), Some("p@ss:w"));
        let (url, pw) = split_password("postgres://amana@localhost/amana");
        assert_eq!((url.as_str(), pw.is_none()), ("postgres://amana@localhost/amana", true));
        let (url, pw) = split_password("postgresql:///amana?host=/run/postgresql");
        assert_eq!((url.as_str(), pw.is_none()), ("postgresql:///amana?host=/run/postgresql", true));
    }
}
