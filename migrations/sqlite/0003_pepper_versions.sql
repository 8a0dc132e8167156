-- Versioned peppers (ops/README.md, "Leaked pepper"): which pepper's HMAC made each case's
-- lookup index. 1 is the original `pepper` file; `pepper.N` files are later versions.
ALTER TABLE cases ADD COLUMN pepper_id INTEGER NOT NULL DEFAULT 1;
