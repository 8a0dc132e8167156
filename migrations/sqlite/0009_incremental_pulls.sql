-- Incremental pulls (issue 17). `changed_on`: the UTC date of a case's last change (the
-- date of its newest event; every change appends one). A pull asks for the cases changed
-- on or after a date and pages through them by their random id, so no clock or counter
-- orders anything: the column holds no more than the newest `events.on_date` already shows.
ALTER TABLE cases ADD COLUMN changed_on TEXT;
UPDATE cases SET changed_on = COALESCE(
    (SELECT MAX(on_date) FROM events WHERE events.case_id = cases.id), received_on);
CREATE INDEX cases_changed ON cases (changed_on, id);

-- What a purge leaves for reviewer homes: a hash of the deleted case's id (the id itself is
-- in no file after a purge; homes hash the ids they hold) and the date it was deleted (no
-- agency, kind or content), so an incremental pull can tell a home the case is gone (a
-- tombstone). Forgotten with `purged_codes`, after the same period. Keyed by the hash:
-- rows in no arrival order.
CREATE TABLE purged_cases (
    case_sha256 TEXT PRIMARY KEY,  -- SHA-256 of a tag and the deleted case's id (Tombstone::key_of)
    purged_on   TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX purged_cases_on ON purged_cases (purged_on);
