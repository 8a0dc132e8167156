-- Amana schema v1 (SQLite).
-- Dates are UTC calendar dates as TEXT 'YYYY-MM-DD' (they compare correctly as text).
-- No column stores a finer time of a reporter's action and no column has a
-- CURRENT_TIMESTAMP default (SECURITY.md, "What the server knows").
-- Reporter content exists here only as age ciphertext (envelopes.ciphertext).

CREATE TABLE cases (
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
    reporter_recipient TEXT NOT NULL              -- age1… of the never-stored reply secret
);
CREATE INDEX cases_open ON cases (escalated, status);

CREATE TABLE envelopes (
    id          TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    part        TEXT NOT NULL,
    created_on  TEXT NOT NULL,
    ciphertext  BLOB NOT NULL,                     -- a standard age file of a padded payload
    UNIQUE (case_id, seq)
);

-- The per-case hash chain (docs/FORMATS.md §5).
CREATE TABLE events (
    case_id    TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    on_date    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    status     TEXT NOT NULL,
    actor      TEXT,                               -- reviewer key id for reviewer actions
    detail     TEXT NOT NULL,                      -- JSON, as hashed
    signed     TEXT,                               -- the reviewer's signed request, JSON
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
);

-- Signed-request nonces, kept until the freshness window has surely passed, so a replay
-- fails on every node and after restarts.
CREATE TABLE nonces (
    nonce       TEXT PRIMARY KEY,
    expires_on  TEXT NOT NULL
);
CREATE INDEX nonces_expiry ON nonces (expires_on);
