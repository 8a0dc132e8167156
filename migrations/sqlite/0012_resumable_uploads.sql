-- Resumable evidence uploads (docs/FORMATS.md §8, "Segmented content"). One row per upload
-- begun through `POST /api/v1/uploads` and not yet claimed by a report: its file is an
-- ordinary pending row of `attachments` (`upload_id` = this key) whose pieces grow segment
-- by segment. The key is the SHA-256 of the capability the client holds, so a database
-- reader can neither resume nor claim the upload. Dates only; no order of arrival.
CREATE TABLE resumable_uploads (
    key         TEXT PRIMARY KEY,           -- hex SHA-256 of the capability
    file_id     TEXT NOT NULL,              -- the pending file in `attachments`
    begun_on    TEXT NOT NULL,              -- UTC date; expired after tomorrow
    recipients  TEXT NOT NULL,              -- the age recipients every segment is encrypted to
    size        INTEGER NOT NULL,           -- the declared file size, in bytes
    received    INTEGER NOT NULL DEFAULT 0, -- file bytes in committed segments (the offset)
    complete    INTEGER NOT NULL DEFAULT 0 CHECK (complete IN (0, 1)), -- the padding segment is committed
    segments    TEXT NOT NULL DEFAULT '[]', -- JSON: each committed segment's bytes and SHA-256
    meta_sha256 TEXT NOT NULL,              -- SHA-256 of the encrypted description
    writer      TEXT                        -- random token of the request appending now
) WITHOUT ROWID;
