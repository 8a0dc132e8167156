-- Amana schema v1 (SQLite).
-- Dates are UTC calendar dates as TEXT 'YYYY-MM-DD'. No column stores a finer time and no
-- column has a CURRENT_TIMESTAMP default (SECURITY.md, "What the server knows").
-- Reporter content exists here only as age ciphertext (envelopes.ciphertext).

CREATE TABLE cases (
    id                 TEXT PRIMARY KEY,          -- random, never sequential
    kind               TEXT NOT NULL,
    agency             TEXT NOT NULL,
    oversight_only     INTEGER NOT NULL CHECK (oversight_only IN (0, 1)),
    status             TEXT NOT NULL,
    received_on        TEXT NOT NULL,
    lookup_index       BLOB NOT NULL UNIQUE,      -- HMAC-SHA256(pepper, lookup part)
    kdf_salt           BLOB NOT NULL,
    kdf_params         TEXT NOT NULL,             -- e.g. argon2id:m=65536,t=3,p=1
    verifier           BLOB NOT NULL,             -- HKDF output, compared in constant time
    reporter_recipient TEXT NOT NULL              -- age1… of the never-stored reply secret
);

CREATE TABLE envelopes (
    id          TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    part        TEXT NOT NULL,
    created_on  TEXT NOT NULL,
    ciphertext  BLOB NOT NULL,                     -- a standard age file of a padded payload
    UNIQUE (case_id, seq)
);

CREATE TABLE events (
    case_id  TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    seq      INTEGER NOT NULL,
    on_date  TEXT NOT NULL,
    status   TEXT NOT NULL,
    actor    TEXT,                                 -- reviewer key id; NULL for the submission
    PRIMARY KEY (case_id, seq)
);

-- Signed-request nonces, kept until the freshness window has surely passed, so a replay
-- fails on every node and after restarts.
CREATE TABLE nonces (
    nonce       TEXT PRIMARY KEY,
    expires_on  TEXT NOT NULL
);
CREATE INDEX nonces_expiry ON nonces (expires_on);
