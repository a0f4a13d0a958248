-- An appointment keeps its revision (the calendar event's SEQUENCE: each
-- new date updates the same event) and the date it replaced, so the new
-- notice says it cancels and replaces the previous one.
ALTER TABLE appointments ADD COLUMN sequence INTEGER NOT NULL DEFAULT 0;
-- What came of it (venu, venu_accompagne, absent, excuse), once held.
ALTER TABLE appointments ADD COLUMN outcome TEXT;
ALTER TABLE appointments ADD COLUMN outcome_on TEXT;
-- Cancelled: the row stays for the cancellation notice (same event,
-- higher SEQUENCE, METHOD:CANCEL); every list ignores it.
ALTER TABLE appointments ADD COLUMN cancelled_at TEXT;
ALTER TABLE appointments ADD COLUMN previous_at TEXT;

-- A family's answer to a notice ("je viendrai", "rappelez-moi"), one per
-- guardian and appointment revision: answering twice changes the answer.
CREATE TABLE family_answers (
    case_id     INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    step        TEXT NOT NULL,
    guardian_id INTEGER NOT NULL REFERENCES guardians(id) ON DELETE CASCADE,
    sequence    INTEGER NOT NULL,
    answer      TEXT NOT NULL,
    answered_at TEXT NOT NULL,
    PRIMARY KEY (case_id, step, guardian_id, sequence)
);
