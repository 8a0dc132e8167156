-- Published figures (amana-review kpis --publish; SECURITY.md, "Published figures"): each
-- period once, as the file oversight signed, served verbatim so anyone can check it again.
CREATE TABLE publications (
    period_from TEXT PRIMARY KEY,
    period_to   TEXT NOT NULL,
    signed      TEXT NOT NULL
);
