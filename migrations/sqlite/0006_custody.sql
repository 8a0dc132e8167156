-- Custody of a case (issue 15): who holds it, the date it was last transferred (the basis of
-- its deadlines from then on), and the reviewers oversight excluded from it. The same
-- columns as migrations/postgres/0006_custody.sql. Dates only; no row order (WITHOUT ROWID).
-- The signed history is the authority (`transferred`, `excluded`, `assigned` events, written
-- in the same transaction); these are what the server scopes and lists by.

ALTER TABLE cases ADD COLUMN holder TEXT;          -- a reviewer key id, or NULL
ALTER TABLE cases ADD COLUMN transferred_on TEXT;  -- YYYY-MM-DD of the last transfer

CREATE TABLE exclusions (
    case_id      TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    reviewer_id  TEXT NOT NULL,
    PRIMARY KEY (case_id, reviewer_id)
) WITHOUT ROWID;
