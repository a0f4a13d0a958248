-- The procedure file each case was planned with: its version (`version =
-- N` in the file) and the SHA-256 of its text. A case whose file changed
-- since keeps its dates until an operator applies the new version
-- (`echeancier case apply-procedure`). NULL: opened before this column
-- existed; the case takes the file loaded at its next start or change.
ALTER TABLE cases ADD COLUMN procedure_version INTEGER;
ALTER TABLE cases ADD COLUMN procedure_hash TEXT;

-- The text of every procedure file a case was planned with, by its
-- SHA-256: a case keeps computing with the rules it was planned with
-- until the new version is applied to it. No personal data.
CREATE TABLE procedure_texts (
    hash        TEXT PRIMARY KEY,
    procedure   TEXT NOT NULL,
    version     INTEGER NOT NULL,
    source      TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
