-- The web office.
-- A session: the cookie holds a random token; only its SHA-256 is kept,
-- so a copy of the database opens no session. `method` says how the person
-- proved who they are ('lien' today; an OpenID Connect provider later).
CREATE TABLE web_sessions (
    token_hash  TEXT PRIMARY KEY,
    person_id   BIGINT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    method      TEXT NOT NULL,
    created_at  TEXT NOT NULL COLLATE "C",
    expires_at  TEXT NOT NULL COLLATE "C"
);
CREATE INDEX web_sessions_expiry ON web_sessions(expires_at);

-- One-time links (login by email or chat, opening a case's family page):
-- single use, short-lived, digest only.
CREATE TABLE web_links (
    token_hash  TEXT PRIMARY KEY,
    person_id   BIGINT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    target      TEXT NOT NULL,
    created_at  TEXT NOT NULL COLLATE "C",
    expires_at  TEXT NOT NULL COLLATE "C",
    used_at     TEXT
);
CREATE INDEX web_links_person ON web_links(person_id, created_at);

-- The key that signs one-click links and calendar-feed addresses: made by
-- the first instance, shared by all through the database.
CREATE TABLE web_keys (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

-- A person's calendar feed: its address is signed with the generation, so
-- renewing (generation + 1) or revoking makes the old address useless.
CREATE TABLE calendar_feeds (
    person_id   BIGINT PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
    generation  BIGINT NOT NULL,
    active      BIGINT NOT NULL DEFAULT 1
);

-- Each open case's next deadline and next step, written with its plan, so
-- that the lists of the web office are one indexed query; `stalled` when
-- nothing is pending because an event's date is still to be entered.
ALTER TABLE cases ADD COLUMN next_due TEXT COLLATE "C";
ALTER TABLE cases ADD COLUMN next_step TEXT;
ALTER TABLE cases ADD COLUMN stalled BIGINT NOT NULL DEFAULT 0;
CREATE INDEX cases_open_establishment_due ON cases(status, establishment, next_due NULLS FIRST);
CREATE INDEX cases_open_departement_due ON cases(status, departement, next_due NULLS FIRST);
-- Cases planned before this migration.
UPDATE cases SET
    next_due = (SELECT MIN(s.due) FROM steps s WHERE s.case_id = cases.id AND s.state IN ('open', 'overdue')),
    next_step = (SELECT s.step FROM steps s WHERE s.case_id = cases.id AND s.state IN ('open', 'overdue')
                 ORDER BY s.due, s.position LIMIT 1),
    stalled = CASE WHEN NOT EXISTS (SELECT 1 FROM steps s WHERE s.case_id = cases.id AND s.state IN ('open', 'overdue'))
                    AND EXISTS (SELECT 1 FROM steps s WHERE s.case_id = cases.id AND s.state = 'waiting')
              THEN 1 ELSE 0 END;

-- A guardian's postal address, for the letter to a family without email
-- or phone; entered and read on the web only.
ALTER TABLE guardians ADD COLUMN address TEXT;
