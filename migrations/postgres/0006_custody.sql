-- Custody of a case (issue 15): who holds it, the date it was last transferred (the basis of
-- its deadlines from then on), and the reviewers oversight excluded from it. The same
-- columns as migrations/sqlite/0006_custody.sql. Dates only.
-- The signed history is the authority (`transferred`, `excluded`, `assigned` events, written
-- in the same transaction); these are what the server scopes and lists by.

ALTER TABLE cases ADD COLUMN holder TEXT COLLATE "C";          -- a reviewer key id, or NULL
ALTER TABLE cases ADD COLUMN transferred_on TEXT COLLATE "C";  -- YYYY-MM-DD of the last transfer

CREATE TABLE exclusions (
    case_id      TEXT COLLATE "C" NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    reviewer_id  TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (case_id, reviewer_id)
);
