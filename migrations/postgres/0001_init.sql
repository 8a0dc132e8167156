-- Amana schema v1 (PostgreSQL). The same tables, columns and constraints as
-- migrations/sqlite/0001_init.sql; keep the two in step.
-- Dates are UTC calendar dates as TEXT 'YYYY-MM-DD', exactly as in SQLite, so both
-- backends compare and order them the same way and no timestamp type invites a finer
-- time. Ids and dates use the "C" collation: byte order, as SQLite's BINARY, whatever the
-- database's locale (locale collations may reorder ids with mixed case).
-- No column stores a finer time of a reporter's action and no column has a now() or
-- CURRENT_TIMESTAMP default (SECURITY.md, "What the server knows").
-- Reporter content exists here only as age ciphertext (envelopes.ciphertext).

CREATE TABLE cases (
    id                 TEXT COLLATE "C" PRIMARY KEY,  -- random, never sequential
    kind               TEXT NOT NULL,
    agency             TEXT NOT NULL,
    oversight_only     BOOLEAN NOT NULL,
    status             TEXT COLLATE "C" NOT NULL,
    received_on        TEXT COLLATE "C" NOT NULL,
    acknowledged_on    TEXT COLLATE "C",
    acknowledge_by     TEXT COLLATE "C" NOT NULL,
    feedback_by        TEXT COLLATE "C" NOT NULL,
    extension_days     BIGINT NOT NULL DEFAULT 0,
    escalated          BOOLEAN NOT NULL DEFAULT FALSE,
    rating             SMALLINT CHECK (rating BETWEEN 1 AND 5),
    follow_ups         BIGINT NOT NULL DEFAULT 0,
    lookup_index       BYTEA NOT NULL UNIQUE,          -- HMAC-SHA256(pepper, lookup part)
    kdf_salt           BYTEA NOT NULL,
    kdf_params         TEXT NOT NULL,                  -- e.g. argon2id:m=65536,t=3,p=1
    verifier           BYTEA NOT NULL,                 -- HKDF output, compared in constant time
    reporter_recipient TEXT NOT NULL                   -- age1… of the never-stored reply secret
);
CREATE INDEX cases_open ON cases (escalated, status);

CREATE TABLE envelopes (
    id          TEXT COLLATE "C" PRIMARY KEY,
    case_id     TEXT COLLATE "C" NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    seq         BIGINT NOT NULL,
    part        TEXT NOT NULL,
    created_on  TEXT COLLATE "C" NOT NULL,
    ciphertext  BYTEA NOT NULL,                        -- a standard age file of a padded payload
    UNIQUE (case_id, seq)
);

-- The per-case hash chain (docs/FORMATS.md §5).
CREATE TABLE events (
    case_id    TEXT COLLATE "C" NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    on_date    TEXT COLLATE "C" NOT NULL,
    kind       TEXT NOT NULL,
    status     TEXT NOT NULL,
    actor      TEXT,                                   -- reviewer key id for reviewer actions
    detail     TEXT NOT NULL,                          -- JSON, as hashed (TEXT, not JSONB:
                                                       -- the hash covers the exact bytes)
    signed     TEXT,                                   -- the reviewer's signed request, JSON
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
);

-- Signed-request nonces, kept until the freshness window has surely passed, so a replay
-- fails on every node and after restarts.
CREATE TABLE nonces (
    nonce       TEXT COLLATE "C" PRIMARY KEY,
    expires_on  TEXT COLLATE "C" NOT NULL
);
CREATE INDEX nonces_expiry ON nonces (expires_on);
