-- Legal hold (issue 15): the date oversight means to review a hold, set while the case is
-- held (NULL otherwise). A date only; retention purge skips a case that has one.
ALTER TABLE cases ADD COLUMN held_review_on TEXT COLLATE "C";

-- What is left of a purged case for its reporter: the credentials of its code (the same
-- lookup index, salt, parameters and verifier the live case had) and the date it was
-- purged — no id, kind, agency or content. A status check that derives the matching
-- verifier learns "closed, and its records deleted on purged_on"; a guess costs the same
-- Argon2id work as for a live case and meets the same 404. Forgotten after a period
-- (src/retention.rs). The same columns as migrations/sqlite/0005_hold_and_purged_codes.sql.
CREATE TABLE purged_codes (
    lookup_index BYTEA PRIMARY KEY,  -- HMAC-SHA256(pepper, lookup part), as the case had it
    pepper_id    INTEGER NOT NULL,
    kdf_salt     BYTEA NOT NULL,
    kdf_params   TEXT NOT NULL,
    verifier     BYTEA NOT NULL,
    purged_on    TEXT COLLATE "C" NOT NULL
);
