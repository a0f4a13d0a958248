//! Personal data, in tables of their own that chat-facing code never
//! reads: a case's pupil, its guardians' contacts, appointments with them.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Result, Store, StoreError, date, flag};

/// A guardian's columns, with its number in the case (its rank by id).
macro_rules! guardian_select {
    () => {
        "SELECT g.id, g.full_name, g.email, g.phone, g.address, g.language, g.needs_oral, g.restricted,
                (SELECT COUNT(*) FROM guardians o WHERE o.case_id = g.case_id AND o.id <= g.id) AS number
         FROM guardians g "
    };
}

/// How an appointment's start is stored (local time, to the minute).
const STARTS_AT: &str = "%Y-%m-%dT%H:%M";

/// An appointment with parents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    pub starts_at: chrono::NaiveDateTime,
    pub minutes: i64,
    pub place: String,
    pub phone: String,
    /// The revision: 0 when first set, one more at each new date (the
    /// calendar event's SEQUENCE).
    pub sequence: i64,
    /// The date and time this one replaced, if it moved.
    pub previous: Option<chrono::NaiveDateTime>,
    /// What came of it, once held (`MeetingOutcome::code`).
    pub outcome: Option<String>,
}

/// A guardian's contact (personal data; never in chat).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guardian {
    pub id: i64,
    /// Its number in the case (1, 2…): how staff-facing text names it.
    pub number: i64,
    pub name: String,
    pub email: Option<String>,
    /// A postal address, on one or more lines.
    pub address: Option<String>,
    pub phone: Option<String>,
    pub language: String,
    pub needs_oral: bool,
    pub restricted: bool,
}

impl Store {
    pub async fn set_pupil(
        conn: &mut AnyConnection,
        case_id: i64,
        name: &str,
        class: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO pupils (case_id, full_name, class_name) VALUES ($1, $2, $3)
             ON CONFLICT(case_id) DO UPDATE SET full_name = excluded.full_name, class_name = excluded.class_name",
        )
        .bind(case_id)
        .bind(name)
        .bind(class)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn add_guardian(
        conn: &mut AnyConnection,
        case_id: i64,
        name: &str,
        email: Option<&str>,
        phone: Option<&str>,
        language: &str,
        needs_oral: bool,
    ) -> Result<i64> {
        let id = sqlx::query_scalar(
            "INSERT INTO guardians (case_id, full_name, email, phone, language, needs_oral) VALUES ($1, $2, $3, $4, $5, $6)
             RETURNING id",
        )
        .bind(case_id)
        .bind(name)
        .bind(email)
        .bind(phone)
        .bind(language)
        .bind(i64::from(needs_oral))
        .fetch_one(&mut *conn)
        .await?;
        Ok(id)
    }

    pub async fn set_appointment(
        conn: &mut AnyConnection,
        case_id: i64,
        step: &str,
        a: &Appointment,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO appointments (case_id, step, starts_at, minutes, place, phone) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT(case_id, step) DO UPDATE SET starts_at = excluded.starts_at, minutes = excluded.minutes,
               place = excluded.place, phone = excluded.phone,
               sequence = CASE WHEN appointments.starts_at <> excluded.starts_at OR appointments.cancelled_at IS NOT NULL
                               THEN appointments.sequence + 1 ELSE appointments.sequence END,
               previous_at = CASE WHEN appointments.cancelled_at IS NOT NULL THEN NULL
                                  WHEN appointments.starts_at <> excluded.starts_at
                                  THEN appointments.starts_at ELSE appointments.previous_at END,
               outcome = CASE WHEN appointments.starts_at <> excluded.starts_at OR appointments.cancelled_at IS NOT NULL
                              THEN NULL ELSE appointments.outcome END,
               outcome_on = CASE WHEN appointments.starts_at <> excluded.starts_at OR appointments.cancelled_at IS NOT NULL
                                 THEN NULL ELSE appointments.outcome_on END,
               cancelled_at = NULL",
        )
        .bind(case_id)
        .bind(step)
        .bind(a.starts_at.format(STARTS_AT).to_string())
        .bind(a.minutes)
        .bind(&a.place)
        .bind(&a.phone)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    pub async fn appointment(
        conn: &mut AnyConnection,
        case_id: i64,
        step: &str,
    ) -> Result<Option<Appointment>> {
        let row = sqlx::query(
            "SELECT starts_at, minutes, place, phone, sequence, previous_at, outcome FROM appointments
             WHERE case_id = $1 AND step = $2 AND cancelled_at IS NULL",
        )
        .bind(case_id)
        .bind(step)
        .fetch_optional(&mut *conn)
        .await?;
        row.as_ref().map(appointment_from_row).transpose()
    }

    /// The guardians of a case (personal data: for notices only).
    pub async fn guardians(conn: &mut AnyConnection, case_id: i64) -> Result<Vec<Guardian>> {
        let rows = sqlx::query(concat!(guardian_select!(), "WHERE g.case_id = $1 ORDER BY g.id"))
            .bind(case_id)
            .fetch_all(&mut *conn)
            .await?;
        Ok(rows.iter().map(guardian_from_row).collect())
    }

    /// Records a family's answer to one revision of an appointment; false
    /// when it was already the answer (a second click changes nothing).
    pub async fn set_family_answer(
        conn: &mut AnyConnection,
        case_id: i64,
        step: &str,
        guardian_id: i64,
        sequence: i64,
        answer: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool> {
        let r = sqlx::query(
            "INSERT INTO family_answers (case_id, step, guardian_id, sequence, answer, answered_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT(case_id, step, guardian_id, sequence) DO UPDATE
               SET answer = excluded.answer, answered_at = excluded.answered_at
               WHERE family_answers.answer <> excluded.answer",
        )
        .bind(case_id)
        .bind(step)
        .bind(guardian_id)
        .bind(sequence)
        .bind(answer)
        .bind(super::ts(at))
        .execute(&mut *conn)
        .await?;
        Ok(r.rows_affected() > 0)
    }

    /// The call tasks of a case nobody has closed yet: (reminder id, the
    /// guardian it names, if any).
    pub async fn open_call_tasks(conn: &mut AnyConnection, case_id: i64) -> Result<Vec<(i64, Option<i64>)>> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, payload FROM reminders
             WHERE case_id = $1 AND kind = 'appel-famille' AND acknowledged_at IS NULL ORDER BY id",
        )
        .bind(case_id)
        .fetch_all(&mut *conn)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, payload)| {
                let p: serde_json::Value = serde_json::from_str(&payload).unwrap_or_default();
                (id, p["responsable"].as_i64())
            })
            .collect())
    }

    /// Cancels an appointment: its revision goes up (the calendar event is
    /// cancelled with a higher SEQUENCE), and every list ignores it.
    pub async fn cancel_appointment(
        conn: &mut AnyConnection,
        case_id: i64,
        step: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE appointments SET cancelled_at = $1, sequence = sequence + 1
             WHERE case_id = $2 AND step = $3 AND cancelled_at IS NULL",
        )
        .bind(super::ts(at))
        .bind(case_id)
        .bind(step)
        .execute(&mut *conn)
        .await?;
        Ok(r.rows_affected() > 0)
    }

    /// A cancelled appointment, for its cancellation notice.
    pub async fn cancelled_appointment(
        conn: &mut AnyConnection,
        case_id: i64,
        step: &str,
    ) -> Result<Option<Appointment>> {
        let row = sqlx::query(
            "SELECT starts_at, minutes, place, phone, sequence, previous_at, outcome FROM appointments
             WHERE case_id = $1 AND step = $2 AND cancelled_at IS NOT NULL",
        )
        .bind(case_id)
        .bind(step)
        .fetch_optional(&mut *conn)
        .await?;
        row.as_ref().map(appointment_from_row).transpose()
    }

    /// Records what came of an appointment.
    pub async fn set_outcome(
        conn: &mut AnyConnection,
        case_id: i64,
        step: &str,
        outcome: &str,
        on: chrono::NaiveDate,
    ) -> Result<()> {
        sqlx::query("UPDATE appointments SET outcome = $1, outcome_on = $2 WHERE case_id = $3 AND step = $4")
            .bind(outcome)
            .bind(on.to_string())
            .bind(case_id)
            .bind(step)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// The pupil's name and class, if entered.
    /// The pupil's date of birth (`None` clears it); the pupil's row must exist.
    pub async fn set_pupil_birth(
        conn: &mut AnyConnection,
        case_id: i64,
        birth: Option<chrono::NaiveDate>,
    ) -> Result<()> {
        sqlx::query("UPDATE pupils SET birth_date = $1 WHERE case_id = $2")
            .bind(birth.map(|d| d.to_string()))
            .bind(case_id)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    pub async fn pupil_birth(conn: &mut AnyConnection, case_id: i64) -> Result<Option<chrono::NaiveDate>> {
        let raw: Option<Option<String>> =
            sqlx::query_scalar("SELECT birth_date FROM pupils WHERE case_id = $1")
                .bind(case_id)
                .fetch_optional(&mut *conn)
                .await?;
        date(raw.flatten())
    }

    pub async fn pupil(conn: &mut AnyConnection, case_id: i64) -> Result<Option<(String, Option<String>)>> {
        let row = sqlx::query("SELECT full_name, class_name FROM pupils WHERE case_id = $1")
            .bind(case_id)
            .fetch_optional(&mut *conn)
            .await?;
        Ok(row.map(|r| (r.get("full_name"), r.get("class_name"))))
    }

    /// Rewrites a guardian's contact; `false` if it is not of that case.
    pub async fn update_guardian(conn: &mut AnyConnection, case_id: i64, g: &Guardian) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE guardians SET full_name = $1, email = $2, phone = $3, address = $4, language = $5,
                    needs_oral = $6, restricted = $7
             WHERE id = $8 AND case_id = $9",
        )
        .bind(&g.name)
        .bind(&g.email)
        .bind(&g.phone)
        .bind(&g.address)
        .bind(&g.language)
        .bind(i64::from(g.needs_oral))
        .bind(i64::from(g.restricted))
        .bind(g.id)
        .bind(case_id)
        .execute(&mut *conn)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Sets a new guardian's postal address (intake).
    pub async fn set_guardian_address(
        conn: &mut AnyConnection,
        id: i64,
        address: Option<&str>,
    ) -> Result<()> {
        sqlx::query("UPDATE guardians SET address = $1 WHERE id = $2")
            .bind(address)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Every appointment of a case, by start.
    pub async fn appointments(conn: &mut AnyConnection, case_id: i64) -> Result<Vec<(String, Appointment)>> {
        let rows = sqlx::query(
            "SELECT step, starts_at, minutes, place, phone, sequence, previous_at, outcome FROM appointments
             WHERE case_id = $1 AND cancelled_at IS NULL ORDER BY starts_at",
        )
        .bind(case_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|r| Ok((r.get("step"), appointment_from_row(r)?)))
            .collect()
    }

    pub async fn guardian(conn: &mut AnyConnection, id: i64) -> Result<Option<Guardian>> {
        let row = sqlx::query(concat!(guardian_select!(), "WHERE g.id = $1"))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        Ok(row.as_ref().map(guardian_from_row))
    }
}

pub(super) fn appointment_from_row(r: &AnyRow) -> Result<Appointment> {
    let at: String = r.get("starts_at");
    Ok(Appointment {
        starts_at: chrono::NaiveDateTime::parse_from_str(&at, STARTS_AT)
            .map_err(|_| StoreError::Corrupt(format!("rendez-vous « {at} »")))?,
        minutes: r.get("minutes"),
        place: r.get("place"),
        phone: r.get("phone"),
        sequence: r.get("sequence"),
        previous: r
            .get::<Option<String>, _>("previous_at")
            .and_then(|p| chrono::NaiveDateTime::parse_from_str(&p, STARTS_AT).ok()),
        outcome: r.get("outcome"),
    })
}

fn guardian_from_row(r: &AnyRow) -> Guardian {
    Guardian {
        id: r.get("id"),
        number: r.get("number"),
        name: r.get("full_name"),
        email: r.get("email"),
        address: r.get("address"),
        phone: r.get("phone"),
        language: r.get("language"),
        needs_oral: flag(r, "needs_oral"),
        restricted: flag(r, "restricted"),
    }
}
