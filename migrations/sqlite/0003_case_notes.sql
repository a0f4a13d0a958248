-- Free text given with a change (a reschedule's or an objection's reason):
-- kept with the case, so that retention purges it; the append-only audit
-- trail refers to a note by its id and never holds the text itself.
CREATE TABLE case_notes (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX case_notes_case ON case_notes(case_id);
