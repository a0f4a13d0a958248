//! Cases (identity and scope, no personal data), what staff said about
//! them (events, parameters, partners' receipts and answers, steps done or
//! rescheduled), and the step plans computed from those inputs.

use chrono::{DateTime, NaiveDate, Utc};
use echeancier_core::case::{CaseInputs, PartnerAnswer, Reschedule, StepPlan, StepState};
use echeancier_core::ids::CaseRef;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Result, Store, StoreError, date, dialect, flag, from_json, req_date, to_json, ts};

// Column lists as macros so queries stay static strings (sqlx refuses
// dynamic SQL unless audited).
macro_rules! case_columns {
    () => {
        "id, reference, procedure, establishment, departement, parent_id, title, calendar, zone, status, opened_on, closed_on, needs_decision"
    };
}

macro_rules! step_columns {
    () => {
        "s.case_id, c.reference, s.step, s.role, s.state, s.state_detail, s.due, s.computed_due, s.explanation, s.also, s.needs_decision"
    };
}

/// A case's identity and scope. No personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRow {
    pub id: i64,
    pub reference: String,
    pub procedure: String,
    pub establishment: Option<String>,
    pub departement: String,
    pub parent_id: Option<i64>,
    pub title: Option<String>,
    pub calendar: String,
    pub zone: Option<String>,
    pub open: bool,
    pub opened_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    pub needs_decision: bool,
}

/// A stored step plan, as chat views and the scheduler read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRow {
    pub case_id: i64,
    pub reference: String,
    pub step: String,
    pub role: String,
    pub state: StepStatus,
    pub state_detail: Option<String>,
    pub due: Option<NaiveDate>,
    pub computed_due: Option<NaiveDate>,
    pub explanation: Vec<String>,
    pub also: Vec<(String, NaiveDate)>,
    pub needs_decision: bool,
}

/// Fields of a new case.
#[derive(Debug, Clone, Default)]
pub struct NewCase {
    pub procedure: String,
    pub prefix: String,
    pub establishment: Option<String>,
    pub departement: String,
    pub parent_id: Option<i64>,
    pub title: Option<String>,
    pub calendar: String,
    pub zone: Option<String>,
    pub opened_on: NaiveDate,
}

impl Store {
    /// Inserts a case with the next reference number of its prefix and year.
    pub async fn insert_case(
        conn: &mut AnyConnection,
        c: &NewCase,
        now: DateTime<Utc>,
    ) -> Result<(i64, CaseRef)> {
        use chrono::Datelike;
        let year = c.opened_on.year();
        let number: i64 = sqlx::query_scalar(
            "INSERT INTO case_sequences (prefix, year, last) VALUES ($1, $2, 1)
             ON CONFLICT(prefix, year) DO UPDATE SET last = case_sequences.last + 1 RETURNING last",
        )
        .bind(&c.prefix)
        .bind(year)
        .fetch_one(&mut *conn)
        .await?;
        let reference = CaseRef::new(&c.prefix, year, number as u32);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO cases (reference, procedure, establishment, departement, parent_id, title, calendar, zone, opened_on, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(reference.as_str())
        .bind(&c.procedure)
        .bind(&c.establishment)
        .bind(&c.departement)
        .bind(c.parent_id)
        .bind(&c.title)
        .bind(&c.calendar)
        .bind(&c.zone)
        .bind(c.opened_on.to_string())
        .bind(now.to_rfc3339())
        .fetch_one(&mut *conn)
        .await?;
        Ok((id, reference))
    }

    fn case_from_row(r: &AnyRow) -> Result<CaseRow> {
        Self::case_from_columns(r, "id", "needs_decision")
    }

    /// A case from a row where its id and flag may be renamed (a join
    /// with `steps`, which has a `needs_decision` of its own).
    pub(super) fn case_from_columns(r: &AnyRow, id: &str, needs_decision: &str) -> Result<CaseRow> {
        Ok(CaseRow {
            id: r.get(id),
            reference: r.get("reference"),
            procedure: r.get("procedure"),
            establishment: r.get("establishment"),
            departement: r.get("departement"),
            parent_id: r.get("parent_id"),
            title: r.get("title"),
            calendar: r.get("calendar"),
            zone: r.get("zone"),
            open: r.get::<String, _>("status") == "open",
            opened_on: req_date(r.get("opened_on"))?,
            closed_on: date(r.get("closed_on"))?,
            needs_decision: flag(r, needs_decision),
        })
    }

    pub async fn case_by_ref(conn: &mut AnyConnection, reference: &str) -> Result<Option<CaseRow>> {
        let sql = concat!("SELECT ", case_columns!(), " FROM cases WHERE reference = $1");
        let row = sqlx::query(sql)
            .bind(reference)
            .fetch_optional(&mut *conn)
            .await?;
        row.as_ref().map(Self::case_from_row).transpose()
    }

    pub async fn case_by_id(conn: &mut AnyConnection, id: i64) -> Result<Option<CaseRow>> {
        let sql = concat!("SELECT ", case_columns!(), " FROM cases WHERE id = $1");
        let row = sqlx::query(sql).bind(id).fetch_optional(&mut *conn).await?;
        row.as_ref().map(Self::case_from_row).transpose()
    }

    pub async fn list_cases(&self, open_only: bool) -> Result<Vec<CaseRow>> {
        let sql = if open_only {
            concat!(
                "SELECT ",
                case_columns!(),
                " FROM cases WHERE status = 'open' ORDER BY reference"
            )
        } else {
            concat!("SELECT ", case_columns!(), " FROM cases ORDER BY reference")
        };
        let rows = sqlx::query(sql).fetch_all(&self.pool).await?;
        rows.iter().map(Self::case_from_row).collect()
    }

    pub async fn count_cases(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM cases")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Everything the planner needs about a case.
    pub async fn inputs(conn: &mut AnyConnection, case: &CaseRow) -> Result<CaseInputs> {
        let mut inputs = CaseInputs {
            opened: Some(case.opened_on),
            ..Default::default()
        };
        for r in sqlx::query("SELECT event, on_date FROM case_events WHERE case_id = $1")
            .bind(case.id)
            .fetch_all(&mut *conn)
            .await?
        {
            inputs.events.insert(r.get("event"), req_date(r.get("on_date"))?);
        }
        for r in sqlx::query("SELECT param, value FROM case_params WHERE case_id = $1")
            .bind(case.id)
            .fetch_all(&mut *conn)
            .await?
        {
            let v: i64 = r.get("value");
            inputs
                .params
                .insert(r.get("param"), u32::try_from(v).unwrap_or(0));
        }
        for r in sqlx::query("SELECT step, done_on FROM step_history WHERE case_id = $1 ORDER BY done_on")
            .bind(case.id)
            .fetch_all(&mut *conn)
            .await?
        {
            inputs
                .history
                .entry(r.get("step"))
                .or_default()
                .push(req_date(r.get("done_on"))?);
        }
        for r in sqlx::query(
            "SELECT step, done_on, rescheduled_to, reschedule_reason FROM steps WHERE case_id = $1",
        )
        .bind(case.id)
        .fetch_all(&mut *conn)
        .await?
        {
            let step: String = r.get("step");
            if let Some(done) = date(r.get("done_on"))? {
                inputs.done.insert(step.clone(), done);
            }
            if let Some(to) = date(r.get("rescheduled_to"))? {
                let reason: Option<String> = r.get("reschedule_reason");
                inputs.rescheduled.insert(
                    step,
                    Reschedule {
                        date: to,
                        reason: reason.unwrap_or_default(),
                    },
                );
            }
        }
        for r in sqlx::query(
            "SELECT cp.partner_id, p.name, cp.received_on, cp.answer, cp.answered_on, cp.answer_reason
             FROM case_partners cp LEFT JOIN partners p ON p.id = cp.partner_id
             WHERE cp.case_id = $1 ORDER BY cp.partner_id",
        )
        .bind(case.id)
        .fetch_all(&mut *conn)
        .await?
        {
            let partner: String = r.get("partner_id");
            inputs.partners.push(partner.clone());
            if let Some(name) = r.get::<Option<String>, _>("name") {
                inputs.partner_names.insert(partner.clone(), name);
            }
            if let Some(on) = date(r.get("received_on"))? {
                inputs.receipts.insert(partner.clone(), on);
            }
            let answered = date(r.get("answered_on"))?;
            match (r.get::<Option<String>, _>("answer").as_deref(), answered) {
                (Some("approved"), Some(on)) => {
                    inputs.answers.insert(partner, PartnerAnswer::Approved(on));
                }
                (Some("objection"), Some(on)) => {
                    let reason: Option<String> = r.get("answer_reason");
                    inputs.answers.insert(
                        partner,
                        PartnerAnswer::Objection {
                            on,
                            reason: reason.unwrap_or_default(),
                        },
                    );
                }
                _ => {}
            }
        }
        Ok(inputs)
    }

    pub async fn set_event(conn: &mut AnyConnection, case_id: i64, event: &str, on: NaiveDate) -> Result<()> {
        sqlx::query(
            "INSERT INTO case_events (case_id, event, on_date) VALUES ($1, $2, $3)
             ON CONFLICT(case_id, event) DO UPDATE SET on_date = excluded.on_date",
        )
        .bind(case_id)
        .bind(event)
        .bind(on.to_string())
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    pub async fn set_param(conn: &mut AnyConnection, case_id: i64, param: &str, value: u32) -> Result<()> {
        sqlx::query(
            "INSERT INTO case_params (case_id, param, value) VALUES ($1, $2, $3)
             ON CONFLICT(case_id, param) DO UPDATE SET value = excluded.value",
        )
        .bind(case_id)
        .bind(param)
        .bind(i64::from(value))
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    pub async fn add_case_partner(conn: &mut AnyConnection, case_id: i64, partner: &str) -> Result<()> {
        sqlx::query("INSERT INTO case_partners (case_id, partner_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(case_id)
            .bind(partner)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    pub async fn case_partners(conn: &mut AnyConnection, case_id: i64) -> Result<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT partner_id FROM case_partners WHERE case_id = $1 ORDER BY partner_id")
                .bind(case_id)
                .fetch_all(&mut *conn)
                .await?,
        )
    }

    pub async fn set_receipt(
        conn: &mut AnyConnection,
        case_id: i64,
        partner: &str,
        on: NaiveDate,
    ) -> Result<bool> {
        let r =
            sqlx::query("UPDATE case_partners SET received_on = $1 WHERE case_id = $2 AND partner_id = $3")
                .bind(on.to_string())
                .bind(case_id)
                .bind(partner)
                .execute(&mut *conn)
                .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn set_answer(
        conn: &mut AnyConnection,
        case_id: i64,
        partner: &str,
        answer: &PartnerAnswer,
    ) -> Result<bool> {
        let (kind, on, reason) = match answer {
            PartnerAnswer::Approved(on) => ("approved", on, None),
            PartnerAnswer::Objection { on, reason } => ("objection", on, Some(reason.as_str())),
        };
        let r = sqlx::query(
            "UPDATE case_partners SET answer = $1, answered_on = $2, answer_reason = $3 WHERE case_id = $4 AND partner_id = $5",
        )
        .bind(kind)
        .bind(on.to_string())
        .bind(reason)
        .bind(case_id)
        .bind(partner)
        .execute(&mut *conn)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn set_done(conn: &mut AnyConnection, case_id: i64, step: &str, on: NaiveDate) -> Result<()> {
        sqlx::query("UPDATE steps SET done_on = $1 WHERE case_id = $2 AND step = $3")
            .bind(on.to_string())
            .bind(case_id)
            .bind(step)
            .execute(&mut *conn)
            .await?;
        // The same day twice is one session.
        sqlx::query(
            "INSERT INTO step_history (case_id, step, done_on) VALUES ($1, $2, $3)
             ON CONFLICT (case_id, step, done_on) DO NOTHING",
        )
        .bind(case_id)
        .bind(step)
        .bind(on.to_string())
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Records the title of milestone `number` of a case.
    pub async fn add_milestone(
        conn: &mut AnyConnection,
        case_id: i64,
        number: u32,
        title: &str,
    ) -> Result<()> {
        sqlx::query("INSERT INTO case_milestones (case_id, number, title) VALUES ($1, $2, $3)")
            .bind(case_id)
            .bind(i64::from(number))
            .bind(title)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// The milestones of a case: (number, title), in order.
    pub async fn milestones(conn: &mut AnyConnection, case_id: i64) -> Result<Vec<(u32, String)>> {
        let rows =
            sqlx::query("SELECT number, title FROM case_milestones WHERE case_id = $1 ORDER BY number")
                .bind(case_id)
                .fetch_all(&mut *conn)
                .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let n: i64 = r.get("number");
                (u32::try_from(n).unwrap_or_default(), r.get("title"))
            })
            .collect())
    }

    pub async fn set_rescheduled(
        conn: &mut AnyConnection,
        case_id: i64,
        step: &str,
        to: NaiveDate,
        reason: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE steps SET rescheduled_to = $1, reschedule_reason = $2 WHERE case_id = $3 AND step = $4",
        )
        .bind(to.to_string())
        .bind(reason)
        .bind(case_id)
        .bind(step)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Closed cases with their closing date and calendar, for retention.
    pub async fn closed_cases(&self) -> Result<Vec<(i64, String, NaiveDate, String)>> {
        let rows = sqlx::query(
            "SELECT id, reference, closed_on, calendar FROM cases WHERE status = 'closed' AND closed_on IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.get("id"),
                    r.get("reference"),
                    req_date(r.get("closed_on"))?,
                    r.get("calendar"),
                ))
            })
            .collect()
    }

    /// Deletes a case and everything about it (cascades); the audit trail,
    /// which has no foreign key, stays.
    pub async fn purge_case(conn: &mut AnyConnection, case_id: i64) -> Result<()> {
        sqlx::query("UPDATE cases SET parent_id = NULL WHERE parent_id = $1")
            .bind(case_id)
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM cases WHERE id = $1")
            .bind(case_id)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    pub async fn close_case(conn: &mut AnyConnection, case_id: i64, on: NaiveDate) -> Result<()> {
        sqlx::query("UPDATE cases SET status = 'closed', closed_on = $1 WHERE id = $2")
            .bind(on.to_string())
            .bind(case_id)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Writes the computed plan of a case, keeping each step's inputs.
    /// `next_reminders[i]` is when the scheduler should look at step `i`.
    pub async fn save_plan(
        conn: &mut AnyConnection,
        case_id: i64,
        plans: &[StepPlan],
        next_reminders: &[Option<DateTime<Utc>>],
    ) -> Result<()> {
        let mut needs_decision = false;
        for (position, p) in plans.iter().enumerate() {
            let next = next_reminders.get(position).copied().flatten().map(ts);
            let (state, detail) = state_columns(&p.state);
            needs_decision |= p.needs_decision;
            let explanation = to_json(&p.explanation)?;
            let also: Vec<(&str, String)> = p.also.iter().map(|(l, d)| (l.as_str(), d.to_string())).collect();
            let also = to_json(&also)?;
            sqlx::query(
                "INSERT INTO steps (case_id, step, position, role, state, state_detail, due, computed_due, explanation, also,
                                    needs_decision, next_reminder_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                 ON CONFLICT(case_id, step) DO UPDATE SET position = excluded.position, role = excluded.role,
                   state = excluded.state, state_detail = excluded.state_detail, due = excluded.due,
                   computed_due = excluded.computed_due, explanation = excluded.explanation,
                   also = excluded.also, needs_decision = excluded.needs_decision,
                   next_reminder_at = excluded.next_reminder_at",
            )
            .bind(case_id)
            .bind(&p.step)
            .bind(position as i64)
            .bind(&p.role)
            .bind(state)
            .bind(detail)
            .bind(p.due.map(|d| d.to_string()))
            .bind(p.computed_due.map(|d| d.to_string()))
            .bind(explanation)
            .bind(also)
            .bind(i64::from(p.needs_decision))
            .bind(next)
            .execute(&mut *conn)
            .await?;
        }
        // The lists of the web office read these instead of the steps.
        let next = plans
            .iter()
            .filter(|p| matches!(p.state, StepState::Open | StepState::Overdue))
            .filter_map(|p| p.due.map(|d| (d, p.step.as_str())))
            .min_by_key(|(d, _)| *d);
        let stalled = next.is_none() && plans.iter().any(|p| matches!(p.state, StepState::Waiting(_)));
        sqlx::query(
            "UPDATE cases SET needs_decision = $1, next_due = $2, next_step = $3, stalled = $4 WHERE id = $5",
        )
        .bind(i64::from(needs_decision))
        .bind(next.map(|(d, _)| d.to_string()))
        .bind(next.map(|(_, s)| s.to_string()))
        .bind(i64::from(stalled))
        .bind(case_id)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    pub(super) fn step_from_row(r: &AnyRow) -> Result<StepRow> {
        let explanation: String = r.get("explanation");
        let also: String = r.get("also");
        let also: Vec<(String, String)> = from_json(&also)?;
        Ok(StepRow {
            case_id: r.get("case_id"),
            reference: r.get("reference"),
            step: r.get("step"),
            role: r.get("role"),
            state: StepStatus::parse(&r.get::<String, _>("state"))?,
            state_detail: r.get("state_detail"),
            due: date(r.get("due"))?,
            computed_due: date(r.get("computed_due"))?,
            explanation: from_json(&explanation)?,
            also: also
                .into_iter()
                .map(|(l, d)| Ok((l, req_date(d)?)))
                .collect::<Result<Vec<_>>>()?,
            needs_decision: flag(r, "needs_decision"),
        })
    }

    pub async fn steps(conn: &mut AnyConnection, case_id: i64) -> Result<Vec<StepRow>> {
        let sql = concat!(
            "SELECT ",
            step_columns!(),
            " FROM steps s JOIN cases c ON c.id = s.case_id WHERE s.case_id = $1 ORDER BY s.position"
        );
        let rows = sqlx::query(sql).bind(case_id).fetch_all(&mut *conn).await?;
        rows.iter().map(Self::step_from_row).collect()
    }

    pub async fn step(conn: &mut AnyConnection, case_id: i64, step: &str) -> Result<Option<StepRow>> {
        let sql = concat!(
            "SELECT ",
            step_columns!(),
            " FROM steps s JOIN cases c ON c.id = s.case_id WHERE s.case_id = $1 AND s.step = $2"
        );
        let row = sqlx::query(sql)
            .bind(case_id)
            .bind(step)
            .fetch_optional(&mut *conn)
            .await?;
        row.as_ref().map(Self::step_from_row).transpose()
    }

    /// Pending steps of open cases due on or before `until`, by due date
    /// (uses the partial index on due dates).
    pub async fn pending_steps_until(&self, until: NaiveDate) -> Result<Vec<(CaseRow, StepRow)>> {
        // SQLite's planner needs the hint to prefer the partial index.
        let sql = dialect!(
            self.backend,
            [
                "SELECT ",
                step_columns!(),
                ", c.procedure, c.establishment, c.departement, c.parent_id, c.title, c.calendar, c.zone,
                    c.status, c.opened_on, c.closed_on, c.needs_decision AS case_needs_decision
             FROM steps s "
            ],
            sqlite: "INDEXED BY steps_due",
            postgres: "",
            [
                " JOIN cases c ON c.id = s.case_id
             WHERE s.state IN ('open', 'overdue') AND s.due <= $1 AND c.status = 'open'
             ORDER BY s.due, c.reference, s.position"
            ]
        );
        let rows = sqlx::query(sql)
            .bind(until.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let case = Self::case_from_columns(r, "case_id", "case_needs_decision")?;
                Ok((case, Self::step_from_row(r)?))
            })
            .collect()
    }
}

/// A step's state as stored (`steps.state`), decoded at the boundary: the
/// rest of the code matches on it, never on its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    Waiting,
    Open,
    Overdue,
    Done,
    Approved,
    ApprovedTacit,
    Blocked,
    Error,
    /// A date given for information: reminded before and on its day,
    /// never late.
    Info,
}

impl StepStatus {
    const CODES: [(StepStatus, &'static str); 9] = [
        (StepStatus::Waiting, "waiting"),
        (StepStatus::Open, "open"),
        (StepStatus::Overdue, "overdue"),
        (StepStatus::Done, "done"),
        (StepStatus::Approved, "approved"),
        (StepStatus::ApprovedTacit, "approved_tacit"),
        (StepStatus::Blocked, "blocked"),
        (StepStatus::Error, "error"),
        (StepStatus::Info, "info"),
    ];

    /// The stored code (the partial indexes of `steps` name `open` and
    /// `overdue`).
    pub fn code(self) -> &'static str {
        Self::CODES
            .iter()
            .find(|(s, _)| *s == self)
            .map_or("error", |(_, c)| c)
    }

    pub fn parse(code: &str) -> Result<StepStatus> {
        Self::CODES
            .iter()
            .find(|(_, c)| *c == code)
            .map(|(s, _)| *s)
            .ok_or_else(|| StoreError::Corrupt(format!("état d'étape « {code} »")))
    }

    /// Still to do (on time or late).
    pub fn is_pending(self) -> bool {
        matches!(self, StepStatus::Open | StepStatus::Overdue)
    }

    /// Has reminders: a step to do, or an information date (reminded
    /// before and on its day only).
    pub fn is_reminded(self) -> bool {
        self.is_pending() || self == StepStatus::Info
    }
}

/// How a step state is stored: a short code and an optional detail.
pub fn state_columns(state: &StepState) -> (&'static str, Option<String>) {
    let (status, detail) = match state {
        StepState::Waiting(w) => (StepStatus::Waiting, Some(w.clone())),
        StepState::Open => (StepStatus::Open, None),
        StepState::Overdue => (StepStatus::Overdue, None),
        StepState::Done(d) => (StepStatus::Done, Some(d.to_string())),
        StepState::Approved { on, tacit: true } => (StepStatus::ApprovedTacit, Some(on.to_string())),
        StepState::Approved { on, tacit: false } => (StepStatus::Approved, Some(on.to_string())),
        StepState::Blocked(why) => (StepStatus::Blocked, Some(why.clone())),
        StepState::Error(why) => (StepStatus::Error, Some(why.clone())),
        StepState::Info => (StepStatus::Info, None),
    };
    (status.code(), detail)
}
