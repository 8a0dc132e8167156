-- Service evaluations as data (docs/FORMATS.md §10): the centre an evaluation or compliment
-- names, and each numeric answer as a row the database can aggregate. Nothing else about the
-- visit is in the clear (the comment stays in the encrypted report). WITHOUT ROWID, like every
-- table (0004): rows live in the order of their random case ids, never in arrival order.

ALTER TABLE cases ADD COLUMN centre TEXT;
-- An evaluation made with an oversight-signed visit token (src/intake.rs, amana_core::visit).
ALTER TABLE cases ADD COLUMN commissioned INTEGER NOT NULL DEFAULT 0 CHECK (commissioned IN (0, 1));

CREATE TABLE ratings (
    case_id       TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    questionnaire TEXT NOT NULL,
    version       INTEGER NOT NULL CHECK (version >= 1),
    criterion     TEXT NOT NULL,
    value         INTEGER CHECK (value BETWEEN 1 AND 5),   -- NULL: not applicable
    PRIMARY KEY (case_id, criterion)
) WITHOUT ROWID;

CREATE INDEX ratings_by_criterion ON ratings (questionnaire, criterion);
CREATE INDEX cases_by_centre ON cases (agency, centre);

-- Visit tokens already used, by the SHA-256 of their nonce, until they expire; never linked
-- to the case that used them.
CREATE TABLE spent_visits (
    id         TEXT PRIMARY KEY,
    expires_on TEXT NOT NULL
) WITHOUT ROWID;
