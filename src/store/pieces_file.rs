//! SQLite: evidence-file pieces in a database file of their own, `<database>.pieces`,
//! attached as schema `pieces` on every connection (docs/FORMATS.md §8, SECURITY.md
//! "Evidence files").
//!
//! Why a second file: the main database runs in WAL mode, which writes every byte twice
//! (into the WAL, then into the database at the checkpoint); for evidence files that capped
//! uploads near half the disk's speed. The pieces file uses a **rollback journal**
//! (`journal_mode=TRUNCATE`) with `synchronous=FULL`: a piece's pages are new pages at the
//! end of the file, which SQLite writes once and never journals (there is nothing to roll
//! back to); only the few pages that already existed (the b-tree leaf that gains the
//! piece's key, the header) are copied into the journal first. So a piece costs its own
//! bytes plus a few pages, and its commit is durable (fsync of journal and file) before the
//! writer takes the next one. Pages are 16 KiB in a new file: each commit journals and
//! rewrites the few existing pages it touches, so smaller pages write less (measured:
//! 1.11 × the file's bytes at 16 KiB, 1.47 × at 64 KiB, BENCHMARKS.md), while 4 KiB pages
//! cost half again as much CPU. A file made with another page size keeps it.
//!
//! Why not `journal_mode=OFF` or `MEMORY`: without a journal on disk, a crash while a
//! transaction rewrites an existing page (a b-tree leaf or interior page that also indexes
//! other, committed files) can tear that page, and the whole file (every case's evidence)
//! could be lost. A rollback journal costs a few pages per piece and makes a crash at any
//! point roll the file back to its last commit when it is next opened.
//!
//! Crash reasoning. The report's (or follow-up's) commit in the main database claims its
//! files only after every piece committed (each piece's commit waited for the disk), so a
//! committed report never points at a missing or torn piece; a crash before that commit
//! leaves pending pieces, deleted at the next start. SQLite commits a transaction that
//! touches both files main first (the WAL), then the pieces file, and is atomic per file
//! only. Every statement here is ordered for that: a delete that removes files' rows from
//! the main database also removes their pieces, so a crash between the two commits can leave
//! orphan pieces (ciphertext that no row names), never a row without its pieces; orphans are
//! deleted at the next start ([`ORPHANS`]).
//!
//! Foreign keys cannot cross database files, so the pieces table has none; the deletes
//! above do what `ON DELETE CASCADE` did.

use sqlx::sqlite::SqliteConnection;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Deletes pieces whose file no row of `attachments` names any more.
pub const ORPHANS: &str =
    "DELETE FROM attachment_pieces WHERE attachment_id NOT IN (SELECT id FROM attachments)";

/// The pieces file that belongs to the database file `db`.
pub fn path_for(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".pieces");
    PathBuf::from(name)
}

/// Creates the pieces file empty and readable by its owner alone if it is missing (SQLite
/// would create it with the umask; its journal then takes its mode).
pub fn create_private(path: &Path) -> std::io::Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(crate::private_files::MODE)
        .open(path)
        .map(drop)
}

/// Attaches the pieces file to a new connection, with its own journal and sync settings.
/// The page size takes effect when the file is still empty.
pub async fn attach(conn: &mut SqliteConnection, path: &Path) -> Result<(), sqlx::Error> {
    let file = path.to_str().ok_or_else(|| sqlx::Error::Configuration("pieces path is not UTF-8".into()))?;
    sqlx::query("ATTACH DATABASE ? AS pieces").bind(file).execute(&mut *conn).await?;
    for pragma in [
        "PRAGMA pieces.page_size = 16384",
        "PRAGMA pieces.journal_mode = TRUNCATE",
        "PRAGMA pieces.synchronous = FULL",
        "PRAGMA pieces.secure_delete = ON",
    ] {
        sqlx::query(pragma).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Attaches a copy of a pieces file to a connection that only reads (a backup's check).
pub async fn attach_read_only(conn: &mut SqliteConnection, path: &Path) -> Result<(), sqlx::Error> {
    let file = path.to_str().ok_or_else(|| sqlx::Error::Configuration("pieces path is not UTF-8".into()))?;
    sqlx::query("ATTACH DATABASE ? AS pieces").bind(format!("file:{file}?mode=ro")).execute(conn).await?;
    Ok(())
}
