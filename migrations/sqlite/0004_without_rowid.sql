-- No clock in storage (SECURITY.md, "What the server knows"). A rowid table numbers its
-- rows in insertion order, and that order, next to reviewers' signed timestamps, dates a
-- reporter's action more finely than the day. Every table is rebuilt WITHOUT ROWID: rows
-- live in the order of their random keys (case-scoped keys for the chain and pieces),
-- never in the order they arrived. Same columns, in the same order, as before.
--
-- The DROP of the old tables (under secure_delete) zeroes their pages but leaves them on
-- the free list, and the WAL still holds copies of them as they were written. A migration
-- runs inside a transaction, where VACUUM cannot: `user_version = 4` asks the store to
-- VACUUM and truncate the WAL right after migrating (src/store/sqlite.rs), and the store
-- clears it once both are done.

CREATE TABLE cases_new (
    id                 TEXT PRIMARY KEY,          -- random, never sequential
    kind               TEXT NOT NULL,
    agency             TEXT NOT NULL,
    oversight_only     INTEGER NOT NULL CHECK (oversight_only IN (0, 1)),
    status             TEXT NOT NULL,
    received_on        TEXT NOT NULL,
    acknowledged_on    TEXT,
    acknowledge_by     TEXT NOT NULL,
    feedback_by        TEXT NOT NULL,
    extension_days     INTEGER NOT NULL DEFAULT 0,
    escalated          INTEGER NOT NULL DEFAULT 0 CHECK (escalated IN (0, 1)),
    rating             INTEGER CHECK (rating BETWEEN 1 AND 5),
    follow_ups         INTEGER NOT NULL DEFAULT 0,
    lookup_index       BLOB NOT NULL UNIQUE,      -- HMAC-SHA256(pepper, lookup part)
    kdf_salt           BLOB NOT NULL,
    kdf_params         TEXT NOT NULL,             -- e.g. argon2id:m=65536,t=3,p=1
    verifier           BLOB NOT NULL,             -- HKDF output, compared in constant time
    reporter_recipient TEXT NOT NULL,             -- age1… of the never-stored reply secret
    pepper_id          INTEGER NOT NULL DEFAULT 1
) WITHOUT ROWID;

CREATE TABLE envelopes_new (
    id          TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES cases_new (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    part        TEXT NOT NULL,
    created_on  TEXT NOT NULL,
    ciphertext  BLOB NOT NULL,
    UNIQUE (case_id, seq)
) WITHOUT ROWID;

CREATE TABLE events_new (
    case_id    TEXT NOT NULL REFERENCES cases_new (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    on_date    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    status     TEXT NOT NULL,
    actor      TEXT,
    detail     TEXT NOT NULL,
    signed     TEXT,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
) WITHOUT ROWID;

CREATE TABLE nonces_new (
    nonce       TEXT PRIMARY KEY,
    expires_on  TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE attachments_new (
    id          TEXT PRIMARY KEY,
    case_id     TEXT REFERENCES cases_new (id) ON DELETE CASCADE,
    upload_id   TEXT,
    envelope_id TEXT,
    seq         INTEGER NOT NULL,
    created_on  TEXT NOT NULL,
    size        INTEGER NOT NULL DEFAULT 0,
    pieces      INTEGER NOT NULL DEFAULT 0,
    meta        BLOB
) WITHOUT ROWID;

CREATE TABLE attachment_pieces_new (
    attachment_id TEXT NOT NULL REFERENCES attachments_new (id) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,
    data          BLOB NOT NULL,
    PRIMARY KEY (attachment_id, seq)
) WITHOUT ROWID;

-- Copied in key order, so not even the copy's page order follows the old rowids.
INSERT INTO cases_new SELECT id, kind, agency, oversight_only, status, received_on,
    acknowledged_on, acknowledge_by, feedback_by, extension_days, escalated, rating,
    follow_ups, lookup_index, kdf_salt, kdf_params, verifier, reporter_recipient, pepper_id
    FROM cases ORDER BY id;
INSERT INTO envelopes_new SELECT id, case_id, seq, part, created_on, ciphertext
    FROM envelopes ORDER BY id;
INSERT INTO events_new SELECT case_id, seq, on_date, kind, status, actor, detail, signed,
    prev_hash, hash FROM events ORDER BY case_id, seq;
INSERT INTO nonces_new SELECT nonce, expires_on FROM nonces ORDER BY nonce;
INSERT INTO attachments_new SELECT id, case_id, upload_id, envelope_id, seq, created_on,
    size, pieces, meta FROM attachments ORDER BY id;
INSERT INTO attachment_pieces_new SELECT attachment_id, seq, data
    FROM attachment_pieces ORDER BY attachment_id, seq;

-- Children first, so no dropped table's implicit delete cascades into another.
DROP TABLE attachment_pieces;
DROP TABLE attachments;
DROP TABLE events;
DROP TABLE envelopes;
DROP TABLE nonces;
DROP TABLE cases;

-- Renaming a parent rewrites its children's REFERENCES clauses to the new name.
ALTER TABLE cases_new RENAME TO cases;
ALTER TABLE envelopes_new RENAME TO envelopes;
ALTER TABLE events_new RENAME TO events;
ALTER TABLE nonces_new RENAME TO nonces;
ALTER TABLE attachments_new RENAME TO attachments;
ALTER TABLE attachment_pieces_new RENAME TO attachment_pieces;

CREATE INDEX cases_open ON cases (escalated, status);
CREATE INDEX nonces_expiry ON nonces (expires_on);
CREATE INDEX attachments_case ON attachments (case_id);
CREATE INDEX attachments_upload ON attachments (upload_id);

PRAGMA user_version = 4;
