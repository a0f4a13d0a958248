-- echeancier: directory, cases, steps, partners, personal data, audit, reminders.
-- Dates are TEXT 'YYYY-MM-DD'; instants are TEXT RFC 3339 in UTC.

CREATE TABLE establishments (
    uai          TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    departement  TEXT NOT NULL,
    calendar     TEXT NOT NULL DEFAULT 'metropole',
    good_friday  INTEGER,                 -- NULL: the calendar's default
    zone         TEXT CHECK (zone IN ('A', 'B', 'C')),
    closed_days  TEXT NOT NULL DEFAULT '{}',  -- JSON object {date: label}
    address      TEXT,
    phone        TEXT
);

-- DSDEN offices: where parents meet the DASEN, whom they call.
CREATE TABLE departements (
    code     TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    address  TEXT,
    phone    TEXT
);

CREATE TABLE partners (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    departement  TEXT NOT NULL
);

CREATE TABLE people (
    id            INTEGER PRIMARY KEY,
    slug          TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    email         TEXT
);

CREATE TABLE grants (
    person_id     INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    role          TEXT NOT NULL,
    establishment TEXT REFERENCES establishments(uai),
    departement   TEXT,
    partner       TEXT REFERENCES partners(id),
    UNIQUE (person_id, role, establishment, departement, partner)
);

-- A chat or console account tied to a person: ('matrix', '@cpe:tchap.fr').
CREATE TABLE identities (
    channel      TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    person_id    INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    PRIMARY KEY (channel, external_id)
);

-- One-time codes that link a chat account to a person.
CREATE TABLE link_codes (
    code        TEXT PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    channel     TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    used_by     TEXT
);

-- Small durable state of the chat front-ends (e.g. Telegram's update offset).
CREATE TABLE chat_state (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

CREATE TABLE case_sequences (
    prefix  TEXT NOT NULL,
    year    INTEGER NOT NULL,
    last    INTEGER NOT NULL,
    PRIMARY KEY (prefix, year)
);

CREATE TABLE cases (
    id              INTEGER PRIMARY KEY,
    reference       TEXT NOT NULL UNIQUE,
    procedure       TEXT NOT NULL,
    establishment   TEXT REFERENCES establishments(uai),
    departement     TEXT NOT NULL,
    parent_id       INTEGER REFERENCES cases(id),
    -- Only for partnership items (a document title); never about a pupil.
    title           TEXT,
    calendar        TEXT NOT NULL,
    zone            TEXT,
    status          TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    opened_on       TEXT NOT NULL,
    closed_on       TEXT,
    needs_decision  INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL
);
CREATE INDEX cases_open ON cases(status, establishment);

CREATE TABLE case_events (
    case_id  INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    event    TEXT NOT NULL,
    on_date  TEXT NOT NULL,
    PRIMARY KEY (case_id, event)
);

CREATE TABLE case_params (
    case_id  INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    param    TEXT NOT NULL,
    value    INTEGER NOT NULL,
    PRIMARY KEY (case_id, param)
);

-- Partners an item was submitted to, their receipt and their answer.
CREATE TABLE case_partners (
    case_id        INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    partner_id     TEXT NOT NULL REFERENCES partners(id),
    received_on    TEXT,
    answer         TEXT CHECK (answer IN ('approved', 'objection')),
    answered_on    TEXT,
    answer_reason  TEXT,
    PRIMARY KEY (case_id, partner_id)
);

-- Step inputs (done, rescheduled) and the computed plan, rewritten in the
-- same transaction as any input change.
CREATE TABLE steps (
    case_id            INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    step               TEXT NOT NULL,
    position           INTEGER NOT NULL,
    role               TEXT NOT NULL,
    state              TEXT NOT NULL,
    state_detail       TEXT,
    due                TEXT,
    computed_due       TEXT,
    explanation        TEXT NOT NULL DEFAULT '[]',   -- JSON array of sentences
    also               TEXT NOT NULL DEFAULT '[]',   -- JSON array of [label, date]
    needs_decision     INTEGER NOT NULL DEFAULT 0,
    done_on            TEXT,
    rescheduled_to     TEXT,
    reschedule_reason  TEXT,
    -- When the scheduler should next look at this step's reminders.
    next_reminder_at   TEXT,
    PRIMARY KEY (case_id, step)
);
CREATE INDEX steps_due ON steps(due) WHERE state IN ('open', 'overdue');
CREATE INDEX steps_next_reminder ON steps(next_reminder_at) WHERE next_reminder_at IS NOT NULL;

-- Personal data, kept apart: chat-facing code never reads these tables.
CREATE TABLE pupils (
    case_id     INTEGER PRIMARY KEY REFERENCES cases(id) ON DELETE CASCADE,
    full_name   TEXT NOT NULL,
    class_name  TEXT
);

CREATE TABLE guardians (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    full_name   TEXT NOT NULL,
    email       TEXT,
    phone       TEXT,
    language    TEXT NOT NULL DEFAULT 'fr',
    needs_oral  INTEGER NOT NULL DEFAULT 0,
    restricted  INTEGER NOT NULL DEFAULT 0
);

-- Appointments with parents (date, time, place), from which notices go out.
CREATE TABLE appointments (
    case_id     INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    step        TEXT NOT NULL,
    starts_at   TEXT NOT NULL,      -- local date and time, 'YYYY-MM-DDTHH:MM'
    minutes     INTEGER NOT NULL DEFAULT 60,
    place       TEXT NOT NULL,
    phone       TEXT NOT NULL,
    PRIMARY KEY (case_id, step)
);

-- Reminders and notices decided by the scheduler: a row before it is a
-- message. The key names what it is about, so deciding twice is harmless.
CREATE TABLE reminders (
    id               INTEGER PRIMARY KEY,
    idempotency_key  TEXT NOT NULL UNIQUE,
    case_id          INTEGER REFERENCES cases(id) ON DELETE CASCADE,
    step             TEXT,
    due_on           TEXT,
    kind             TEXT NOT NULL,
    role             TEXT,
    send_at          TEXT NOT NULL,
    late             INTEGER NOT NULL DEFAULT 0,
    payload          TEXT NOT NULL DEFAULT '{}',
    acknowledged_at  TEXT,
    acknowledged_by  TEXT,
    created_at       TEXT NOT NULL
);
CREATE INDEX reminders_step ON reminders(case_id, step, due_on);

-- One row per reminder and destination: the durable outbox.
CREATE TABLE deliveries (
    id               INTEGER PRIMARY KEY,
    reminder_id      INTEGER NOT NULL REFERENCES reminders(id) ON DELETE CASCADE,
    idempotency_key  TEXT NOT NULL UNIQUE,
    channel          TEXT NOT NULL,
    recipient        TEXT NOT NULL,
    state            TEXT NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    lease_until      TEXT,
    last_error       TEXT,
    sent_at          TEXT,
    -- The chat event that carried it (Matrix event id), for reactions.
    external_ref     TEXT,
    created_at       TEXT NOT NULL
);
CREATE INDEX deliveries_external ON deliveries(external_ref) WHERE external_ref IS NOT NULL;
CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE state = 'pending';
CREATE INDEX deliveries_sending ON deliveries(lease_until) WHERE state = 'sending';

-- The scheduler's progress: reminders due before `last_tick_at` were decided then.
CREATE TABLE scheduler_state (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    last_tick_at  TEXT NOT NULL
);

-- Append-only audit trail: who, when, through which channel, what changed.
-- No foreign key: the trail outlives a purged case.
CREATE TABLE audit (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    channel    TEXT NOT NULL,
    case_ref   TEXT,
    action     TEXT NOT NULL,
    detail     TEXT NOT NULL
);
CREATE INDEX audit_case ON audit(case_ref);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END;
