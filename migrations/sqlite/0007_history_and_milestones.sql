-- Every day a recurring step was done (a follow-up meeting, a workshop
-- session): `steps.done_on` keeps only the last, and a year's volume of
-- workshops counts them all. One row per day. No personal data.
CREATE TABLE step_history (
    case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    step    TEXT NOT NULL,
    done_on TEXT NOT NULL,
    PRIMARY KEY (case_id, step, done_on)
);

-- The title of each milestone of a case's contract (`!jalon`, the
-- parcours' « objectifs et échéances »): its date is the case's event
-- `jalon_N`. The title may name the pupil: shown on the web office only.
CREATE TABLE case_milestones (
    case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    number  INTEGER NOT NULL,
    title   TEXT NOT NULL,
    PRIMARY KEY (case_id, number)
);

-- The pupil's date of birth, asked only where a procedure says who it is
-- meant for by age (the parcours: « ceux qui atteindront l'âge de 16 ans
-- au cours de l'année scolaire »). Personal: shown on the web office only.
ALTER TABLE pupils ADD COLUMN birth_date TEXT;

-- An administrator of the service (`[[personnes]] administrateur = true`):
-- gives link codes from chat and hears about the bot accounts' health.
ALTER TABLE people ADD COLUMN admin INTEGER NOT NULL DEFAULT 0;
