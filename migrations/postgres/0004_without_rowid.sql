-- The SQLite rebuild of every table WITHOUT ROWID (migrations/sqlite/0004_without_rowid.sql)
-- has nothing to change here: PostgreSQL tables have no rowid, and no column is a serial,
-- an identity or a timestamp. What PostgreSQL itself records of commit order and commit
-- times (xmin, the WAL) is in SECURITY.md, "What the server knows", and ops/README.md.
SELECT 1;
