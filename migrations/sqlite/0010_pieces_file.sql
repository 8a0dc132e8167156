-- Evidence-file pieces move into their own database file, `<database>.pieces`, attached as
-- `pieces` on every connection (src/store/pieces_file.rs): the main file's WAL wrote every
-- piece twice; the pieces file's rollback journal writes a piece once. Same columns, same
-- WITHOUT ROWID key; no foreign key, which cannot cross files (the store deletes pieces
-- with their files). Unqualified, `attachment_pieces` then names the attached table.
--
-- SQLite commits the two files one after the other: if a crash falls between them, this
-- migration runs again, finds the table made and the pieces copied, and copies nothing twice.
CREATE TABLE IF NOT EXISTS pieces.attachment_pieces (
    attachment_id TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    data          BLOB NOT NULL,
    PRIMARY KEY (attachment_id, seq)
) WITHOUT ROWID;

INSERT OR IGNORE INTO pieces.attachment_pieces SELECT attachment_id, seq, data
    FROM main.attachment_pieces ORDER BY attachment_id, seq;

DROP TABLE main.attachment_pieces;

-- Asks the store to VACUUM the main file after migrating (src/store/sqlite_order.rs): the
-- dropped table's pages (zeroed by secure_delete) would otherwise stay in it as free pages.
PRAGMA user_version = 4;
