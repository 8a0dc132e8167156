-- Evidence files (docs/FORMATS.md §8); the same tables as migrations/sqlite/0002_attachments.sql.
-- Pieces live in the database, not a blob folder, so every node reaches them with no shared
-- file system, one backup (pg_dump) holds them and a commit claims them transactionally.
-- Content is an age STREAM stored in pieces of at most
-- 1 MiB, written in short transactions while the upload arrives. Until the report or
-- follow-up it belongs to commits, a file has no case_id and carries the id of its pending
-- upload; a refused or broken upload's rows are deleted at once or at the next start.
CREATE TABLE attachments (
    id          TEXT COLLATE "C" PRIMARY KEY,
    case_id     TEXT COLLATE "C" REFERENCES cases (id) ON DELETE CASCADE,   -- NULL while pending
    upload_id   TEXT,                                           -- NULL once committed
    envelope_id TEXT,                                           -- the report/follow-up it came with
    seq         BIGINT NOT NULL,                                -- order within its upload
    created_on  TEXT COLLATE "C" NOT NULL,
    size        BIGINT NOT NULL DEFAULT 0,                      -- padded ciphertext bytes
    pieces      BIGINT NOT NULL DEFAULT 0,
    meta        BYTEA                                            -- encrypted description; NULL until complete
);
CREATE INDEX attachments_case ON attachments (case_id);
CREATE INDEX attachments_upload ON attachments (upload_id);

CREATE TABLE attachment_pieces (
    attachment_id TEXT COLLATE "C" NOT NULL REFERENCES attachments (id) ON DELETE CASCADE,
    seq           BIGINT NOT NULL,
    data          BYTEA NOT NULL,
    PRIMARY KEY (attachment_id, seq)
);
-- Ciphertext does not compress: store it out of line without trying.
ALTER TABLE attachment_pieces ALTER COLUMN data SET STORAGE EXTERNAL;
