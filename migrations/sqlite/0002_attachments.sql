-- Evidence files (docs/FORMATS.md §8). Content is an age STREAM stored in pieces of at most
-- 1 MiB, written in short transactions while the upload arrives. Until the report or
-- follow-up it belongs to commits, a file has no case_id and carries the id of its pending
-- upload; a refused or broken upload's rows are deleted at once or at the next start.
CREATE TABLE attachments (
    id          TEXT PRIMARY KEY,
    case_id     TEXT REFERENCES cases (id) ON DELETE CASCADE,   -- NULL while pending
    upload_id   TEXT,                                           -- NULL once committed
    envelope_id TEXT,                                           -- the report/follow-up it came with
    seq         INTEGER NOT NULL,                               -- order within its upload
    created_on  TEXT NOT NULL,
    size        INTEGER NOT NULL DEFAULT 0,                     -- padded ciphertext bytes
    pieces      INTEGER NOT NULL DEFAULT 0,
    meta        BLOB                                            -- encrypted description; NULL until complete
);
CREATE INDEX attachments_case ON attachments (case_id);
CREATE INDEX attachments_upload ON attachments (upload_id);

CREATE TABLE attachment_pieces (
    attachment_id TEXT NOT NULL REFERENCES attachments (id) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,
    data          BLOB NOT NULL,
    PRIMARY KEY (attachment_id, seq)
);
