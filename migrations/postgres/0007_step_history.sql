-- Every day a recurring step was done (a follow-up meeting, a workshop
-- session): `steps.done_on` keeps only the last, and a year's volume of
-- workshops counts them all. One row per day. No personal data.
CREATE TABLE step_history (
    case_id BIGINT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    step    TEXT NOT NULL,
    done_on TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (case_id, step, done_on)
);
