-- Improvement periods (amana-review improvement; docs/OPERATIONS-ROOM.md): each as the file an
-- oversight key signed, under its random id; a closing replaces it with the same period
-- signed again with its closing date. Dates live only inside the signed document.
CREATE TABLE improvement_periods (
    id     TEXT PRIMARY KEY,
    agency TEXT NOT NULL,
    signed TEXT NOT NULL
) WITHOUT ROWID;
