-- Incremental pulls (issue 17). `changed_on`: the UTC date of a case's last change (the
-- date of its newest event; every change appends one). The same columns as
-- migrations/sqlite/0009_incremental_pulls.sql.
ALTER TABLE cases ADD COLUMN changed_on TEXT COLLATE "C";
UPDATE cases SET changed_on = COALESCE(
    (SELECT MAX(on_date) FROM events WHERE events.case_id = cases.id), received_on);
CREATE INDEX cases_changed ON cases (changed_on, id);

-- What a purge leaves for reviewer homes: a hash of the deleted case's id and the date (a
-- tombstone).
-- Forgotten with `purged_codes`, after the same period.
CREATE TABLE purged_cases (
    case_sha256 TEXT COLLATE "C" PRIMARY KEY,
    purged_on   TEXT COLLATE "C" NOT NULL
);
CREATE INDEX purged_cases_on ON purged_cases (purged_on);
