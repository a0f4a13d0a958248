//! The web office's data: sessions, one-time links, the signing key,
//! calendar feeds, and the lists of cases and deadlines in a person's
//! scope, each one query filtered by [`Visible`] scopes.

use chrono::{DateTime, NaiveDate, Utc};
use echeancier_core::authz::{Visible, Within};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{CaseRow, Result, StepRow, Store, date, flag, req_date, ts};

/// A line of the list of cases (no personal data but the pupil's name,
/// read only for staff who may see the case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseLine {
    pub id: i64,
    pub reference: String,
    pub procedure: String,
    pub establishment: Option<String>,
    pub departement: String,
    pub opened_on: NaiveDate,
    pub next_due: Option<NaiveDate>,
    pub next_step: Option<String>,
    /// Nothing pending: an event's date is still to be entered.
    pub stalled: bool,
    /// A partnership item's title (never about a pupil).
    pub title: Option<String>,
    pub pupil: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CaseSort {
    /// Stalled first, then by next deadline.
    #[default]
    NextDue,
    Reference,
    Opened,
}

/// Which open cases to list.
#[derive(Debug, Clone, Default)]
pub struct CaseQuery<'a> {
    pub scopes: &'a [Visible],
    pub establishment: Option<&'a str>,
    /// The start of a reference, upper case (`PAR-2026`).
    pub reference: Option<&'a str>,
    /// Part of the pupil's name, lower case.
    pub pupil: Option<&'a str>,
    pub sort: CaseSort,
    pub offset: i64,
    pub limit: i64,
}

/// An appointment as listed with deadlines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentLine {
    pub reference: String,
    pub procedure: String,
    pub establishment: Option<String>,
    pub step: String,
    pub appointment: super::Appointment,
    /// The families' answers to this revision's notice: coming, and
    /// asking to be called back.
    pub answers: (i64, i64),
}

/// Which information dates to list (see [`Store::info_steps`]).
#[derive(Debug, Clone, Copy)]
pub struct InfoQuery<'a> {
    /// The id and reference prefix of each procedure with information steps.
    pub procedures: &'a [(String, String)],
    pub from: NaiveDate,
    pub until: NaiveDate,
    /// In these scopes, of these roles, in this establishment if any;
    /// `None`: every open case, which the caller checks one by one.
    pub within: Option<(&'a [Visible], &'a [String], Option<&'a str>)>,
    pub limit: i64,
}

/// SQL text and its parameters, built together so they cannot drift.
struct Filter {
    sql: String,
    binds: Vec<String>,
}

impl Filter {
    fn new() -> Filter {
        Filter {
            sql: String::new(),
            binds: Vec::new(),
        }
    }

    fn param(&mut self, value: &str) -> String {
        self.binds.push(value.to_string());
        format!("${}", self.binds.len())
    }

    /// `(… OR …)` over the scopes; `FALSE`-like when there are none.
    fn scopes(&mut self, scopes: &[Visible]) {
        if scopes.is_empty() {
            self.sql.push_str(" AND 1 = 0");
            return;
        }
        let mut parts = Vec::new();
        for v in scopes {
            let procs: Vec<String> = v.procedures.iter().map(|p| self.param(p)).collect();
            let procs = format!("c.procedure IN ({})", procs.join(", "));
            parts.push(match &v.within {
                Within::Establishment(u) => format!("(c.establishment = {} AND {procs})", self.param(u)),
                Within::Departement(d) => format!("(c.departement = {} AND {procs})", self.param(d)),
                Within::Partner(p) => format!(
                    "({procs} AND EXISTS (SELECT 1 FROM case_partners cp WHERE cp.case_id = c.id AND cp.partner_id = {}))",
                    self.param(p)
                ),
            });
        }
        self.sql.push_str(&format!(" AND ({})", parts.join(" OR ")));
    }

    fn query(&self) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments> {
        // Audited: the text is made here of fixed fragments and `$n`
        // placeholders; every value is bound.
        let mut q = sqlx::query(sqlx::AssertSqlSafe(self.sql.as_str()));
        for b in &self.binds {
            q = q.bind(b.as_str());
        }
        q
    }
}

impl Store {
    /// The key that signs links, made once and shared by every instance.
    pub async fn web_key(&self, fresh: &str) -> Result<String> {
        sqlx::query("INSERT INTO web_keys (name, value) VALUES ('liens', $1) ON CONFLICT(name) DO NOTHING")
            .bind(fresh)
            .execute(&self.pool)
            .await?;
        Ok(
            sqlx::query_scalar("SELECT value FROM web_keys WHERE name = 'liens'")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    pub async fn open_session(
        &self,
        token_hash: &str,
        person_id: i64,
        method: &str,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<()> {
        // Expired sessions go as new ones come: no sweeper needed.
        sqlx::query("DELETE FROM web_sessions WHERE expires_at < $1")
            .bind(ts(now))
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "INSERT INTO web_sessions (token_hash, person_id, method, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(person_id)
        .bind(method)
        .bind(ts(now))
        .bind(ts(expires))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The person of a live session.
    pub async fn session_person(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar(
                "SELECT person_id FROM web_sessions WHERE token_hash = $1 AND expires_at > $2",
            )
            .bind(token_hash)
            .bind(ts(now))
            .fetch_optional(&self.pool)
            .await?,
        )
    }

    pub async fn close_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM web_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn insert_web_link(
        &self,
        token_hash: &str,
        person_id: i64,
        target: &str,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query("DELETE FROM web_links WHERE expires_at < $1")
            .bind(ts(now))
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "INSERT INTO web_links (token_hash, person_id, target, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(person_id)
        .bind(target)
        .bind(ts(now))
        .bind(ts(expires))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Whether a link can still be used (the confirmation page asks).
    pub async fn web_link_usable(&self, token_hash: &str, now: DateTime<Utc>) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM web_links WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(ts(now))
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    /// Uses a link once: its person and target, or `None` if it expired,
    /// served already or never existed. One statement, so two instances
    /// cannot both use it.
    pub async fn use_web_link(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<(i64, String)>> {
        let row = sqlx::query(
            "UPDATE web_links SET used_at = $1
             WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1
             RETURNING person_id, target",
        )
        .bind(ts(now))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| (r.get("person_id"), r.get("target"))))
    }

    /// Links issued to a person since `since` (the rate limit's memory
    /// across instances).
    pub async fn web_links_since(&self, person_id: i64, since: DateTime<Utc>) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM web_links WHERE person_id = $1 AND created_at > $2")
                .bind(person_id)
                .bind(ts(since))
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// The person whose address this is (compared without case).
    pub async fn person_by_email(&self, email: &str) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM people WHERE LOWER(email) = LOWER($1) ORDER BY id LIMIT 1")
                .bind(email)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The generation of a person's active feed.
    pub async fn feed_generation(&self, person_id: i64) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT generation FROM calendar_feeds WHERE person_id = $1 AND active = 1")
                .bind(person_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// A new feed address (the previous one stops working).
    pub async fn renew_feed(&self, person_id: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO calendar_feeds (person_id, generation, active) VALUES ($1, 1, 1)
             ON CONFLICT(person_id) DO UPDATE SET generation = calendar_feeds.generation + 1, active = 1
             RETURNING generation",
        )
        .bind(person_id)
        .fetch_one(&self.pool)
        .await?)
    }

    pub async fn revoke_feed(&self, person_id: i64) -> Result<()> {
        sqlx::query("UPDATE calendar_feeds SET active = 0 WHERE person_id = $1")
            .bind(person_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    fn case_filter(q: &CaseQuery<'_>) -> Filter {
        let mut f = Filter::new();
        f.sql.push_str(" WHERE c.status = 'open'");
        f.scopes(q.scopes);
        if let Some(u) = q.establishment {
            let p = f.param(u);
            f.sql.push_str(&format!(" AND c.establishment = {p}"));
        }
        if let Some(r) = q.reference {
            // A whole reference is one lookup in the unique index; a
            // beginning of one is a pattern.
            if r.parse::<echeancier_core::ids::CaseRef>().is_ok() {
                let p = f.param(r);
                f.sql.push_str(&format!(" AND c.reference = {p}"));
            } else {
                let p = f.param(&format!("{}%", like_escape(r)));
                f.sql.push_str(&format!(" AND c.reference LIKE {p} ESCAPE '\\'"));
            }
        }
        if let Some(n) = q.pupil {
            let p = f.param(&format!("%{}%", like_escape(n)));
            f.sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM pupils pu WHERE pu.case_id = c.id AND LOWER(pu.full_name) LIKE {p} ESCAPE '\\')"
            ));
        }
        f
    }

    /// One page of open cases, and how many match in all.
    pub async fn case_lines(&self, q: &CaseQuery<'_>) -> Result<(Vec<CaseLine>, i64)> {
        let filter = Self::case_filter(q);
        let mut conn = self.pool.acquire().await?;
        let count_sql = format!("SELECT COUNT(*) FROM cases c{}", filter.sql);
        // Audited: see `Filter::query`.
        let mut count_query = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(count_sql.as_str()));
        for b in &filter.binds {
            count_query = count_query.bind(b.as_str());
        }
        let count = count_query.fetch_one(&mut *conn).await?;
        let order = match q.sort {
            // Stalled cases have no next deadline: first, as NULLs sort on
            // SQLite and as the PostgreSQL index is built. In the order
            // of the (status, scope, next_due) indexes, so that a page
            // reads its rows and stops.
            CaseSort::NextDue => self.backend.pick(
                " ORDER BY c.next_due, c.id",
                " ORDER BY c.next_due NULLS FIRST, c.id",
            ),
            CaseSort::Reference => " ORDER BY c.reference",
            CaseSort::Opened => " ORDER BY c.opened_on DESC, c.reference",
        };
        let sql = format!(
            "SELECT c.id, c.reference, c.procedure, c.establishment, c.departement, c.opened_on, c.next_due,
                    c.next_step, c.stalled, c.title, pu.full_name AS pupil
             FROM cases c LEFT JOIN pupils pu ON pu.case_id = c.id{}{order} LIMIT {} OFFSET {}",
            filter.sql,
            q.limit.clamp(1, 500),
            q.offset.max(0)
        );
        let rows = Filter {
            sql,
            binds: filter.binds,
        }
        .query_owned(&mut conn)
        .await?;
        let lines = rows.iter().map(case_line).collect::<Result<Vec<_>>>()?;
        Ok((lines, count))
    }

    /// Pending steps of open cases in the scopes due by `until`, by date,
    /// at most `limit`, of the given roles only.
    pub async fn scoped_pending_steps(
        &self,
        scopes: &[Visible],
        roles: &[String],
        establishment: Option<&str>,
        until: NaiveDate,
        limit: i64,
    ) -> Result<Vec<(CaseRow, StepRow)>> {
        let mut f = Filter::new();
        let p = f.param(&until.to_string());
        f.sql = format!(
            "SELECT s.case_id, c.reference, s.step, s.role, s.state, s.state_detail, s.due, s.computed_due,
                    s.explanation, s.also, s.needs_decision, c.procedure, c.establishment, c.departement,
                    c.parent_id, c.title, c.calendar, c.zone, c.status, c.opened_on, c.closed_on,
                    c.needs_decision AS case_needs_decision
             FROM steps s {} JOIN cases c ON c.id = s.case_id
             WHERE s.state IN ('open', 'overdue') AND s.due <= {p} AND c.status = 'open'",
            self.backend.pick("INDEXED BY steps_due", "")
        );
        f.scopes(scopes);
        let roles: Vec<String> = roles.iter().map(|r| f.param(r)).collect();
        if roles.is_empty() {
            f.sql.push_str(" AND 1 = 0");
        } else {
            f.sql.push_str(&format!(" AND s.role IN ({})", roles.join(", ")));
        }
        if let Some(u) = establishment {
            let p = f.param(u);
            f.sql.push_str(&format!(" AND c.establishment = {p}"));
        }
        // By due date alone, the index's own order: the query stops at the
        // limit (a tie-break on the reference made SQLite sort every step
        // of each due date, thousands with a département's cases); the
        // page's rows are ordered here.
        f.sql
            .push_str(&format!(" ORDER BY s.due LIMIT {}", limit.clamp(1, 5000)));
        let mut conn = self.pool.acquire().await?;
        let rows = f.query_owned(&mut conn).await?;
        let mut found = rows
            .iter()
            .map(|r| {
                let case = Self::case_from_columns(r, "case_id", "case_needs_decision")?;
                Ok((case, Self::step_from_row(r)?))
            })
            .collect::<Result<Vec<(CaseRow, StepRow)>>>()?;
        found.sort_by(|(ca, sa), (cb, sb)| (sa.due, &ca.reference).cmp(&(sb.due, &cb.reference)));
        Ok(found)
    }

    /// Information steps (state `info`) of open cases dated from `from`
    /// to `until`, by date, at most `limit`. Never late, they are listed
    /// until their day only. The partial index of due dates holds the
    /// steps to do alone: on SQLite, the cases are reached through the
    /// index of references, from the prefixes of the procedures that have
    /// such steps (`PREFIX-YEAR-NNNN`); `c.procedure` keeps the answer
    /// exact whatever the collation.
    pub async fn info_steps(&self, q: &InfoQuery<'_>) -> Result<Vec<(CaseRow, StepRow)>> {
        if q.procedures.is_empty() {
            return Ok(Vec::new());
        }
        let mut f = Filter::new();
        let from = f.param(&q.from.to_string());
        let until = f.param(&q.until.to_string());
        let ids: Vec<String> = q.procedures.iter().map(|(id, _)| f.param(id)).collect();
        let mut by_reference = String::new();
        if self.backend == super::Backend::Sqlite {
            let ranges: Vec<String> = q
                .procedures
                .iter()
                .map(|(_, prefix)| {
                    let low = f.param(&format!("{prefix}-"));
                    let high = f.param(&format!("{prefix}."));
                    format!("(reference >= {low} AND reference < {high})")
                })
                .collect();
            by_reference = format!(
                " AND c.id IN (SELECT id FROM cases WHERE {})",
                ranges.join(" OR ")
            );
        }
        f.sql = format!(
            "SELECT s.case_id, c.reference, s.step, s.role, s.state, s.state_detail, s.due, s.computed_due,
                    s.explanation, s.also, s.needs_decision, c.procedure, c.establishment, c.departement,
                    c.parent_id, c.title, c.calendar, c.zone, c.status, c.opened_on, c.closed_on,
                    c.needs_decision AS case_needs_decision
             FROM cases c JOIN steps s ON s.case_id = c.id
             WHERE s.state = 'info' AND s.due >= {from} AND s.due <= {until} AND c.status = 'open'
               AND c.procedure IN ({}){by_reference}",
            ids.join(", ")
        );
        if let Some((scopes, roles, establishment)) = q.within {
            f.scopes(scopes);
            let roles: Vec<String> = roles.iter().map(|r| f.param(r)).collect();
            if roles.is_empty() {
                f.sql.push_str(" AND 1 = 0");
            } else {
                f.sql.push_str(&format!(" AND s.role IN ({})", roles.join(", ")));
            }
            if let Some(u) = establishment {
                let p = f.param(u);
                f.sql.push_str(&format!(" AND c.establishment = {p}"));
            }
        }
        f.sql.push_str(&format!(
            " ORDER BY s.due, c.reference, s.position LIMIT {}",
            q.limit.clamp(1, 5000)
        ));
        let mut conn = self.pool.acquire().await?;
        let rows = f.query_owned(&mut conn).await?;
        rows.iter()
            .map(|r| {
                let case = Self::case_from_columns(r, "case_id", "case_needs_decision")?;
                Ok((case, Self::step_from_row(r)?))
            })
            .collect()
    }

    /// Appointments of open cases in the scopes between two days.
    pub async fn scoped_appointments(
        &self,
        scopes: &[Visible],
        establishment: Option<&str>,
        from: NaiveDate,
        until: NaiveDate,
    ) -> Result<Vec<AppointmentLine>> {
        let mut f = Filter::new();
        let a = f.param(&from.to_string());
        let b = f.param(&format!("{until}T99"));
        f.sql = format!(
            "SELECT c.reference, c.procedure, c.establishment, a.step, a.starts_at, a.minutes, a.place, a.phone, a.sequence, a.previous_at, a.outcome,
                    (SELECT COUNT(*) FROM family_answers f WHERE f.case_id = a.case_id AND f.step = a.step
                       AND f.sequence = a.sequence AND f.answer = 'viendra') AS coming,
                    (SELECT COUNT(*) FROM family_answers f WHERE f.case_id = a.case_id AND f.step = a.step
                       AND f.sequence = a.sequence AND f.answer = 'rappel') AS call_back
             FROM appointments a JOIN cases c ON c.id = a.case_id
             WHERE c.status = 'open' AND a.cancelled_at IS NULL AND a.starts_at >= {a} AND a.starts_at <= {b}"
        );
        f.scopes(scopes);
        if let Some(u) = establishment {
            let p = f.param(u);
            f.sql.push_str(&format!(" AND c.establishment = {p}"));
        }
        f.sql.push_str(" ORDER BY a.starts_at, c.reference LIMIT 1000");
        let mut conn = self.pool.acquire().await?;
        let rows = f.query_owned(&mut conn).await?;
        rows.iter()
            .map(|r| {
                Ok(AppointmentLine {
                    reference: r.get("reference"),
                    procedure: r.get("procedure"),
                    establishment: r.get("establishment"),
                    step: r.get("step"),
                    appointment: super::family::appointment_from_row(r)?,
                    answers: (r.get("coming"), r.get("call_back")),
                })
            })
            .collect()
    }

    /// The partners of a convention's département: (id, name), by name.
    pub async fn partners_of(&self, departement: &str) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT id, name FROM partners WHERE departement = $1 ORDER BY name")
            .bind(departement)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(|r| (r.get("id"), r.get("name"))).collect())
    }

    /// The establishments (UAI, name), by name.
    pub async fn establishment_names(&self) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT uai, name FROM establishments ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(|r| (r.get("uai"), r.get("name"))).collect())
    }
}

impl Filter {
    async fn query_owned(&self, conn: &mut AnyConnection) -> Result<Vec<AnyRow>> {
        Ok(self.query().fetch_all(&mut *conn).await?)
    }
}

fn case_line(r: &AnyRow) -> Result<CaseLine> {
    Ok(CaseLine {
        id: r.get("id"),
        reference: r.get("reference"),
        procedure: r.get("procedure"),
        establishment: r.get("establishment"),
        departement: r.get("departement"),
        opened_on: req_date(r.get("opened_on"))?,
        next_due: date(r.get("next_due"))?,
        next_step: r.get("next_step"),
        stalled: flag(r, "stalled"),
        title: r.get("title"),
        pupil: r.get("pupil"),
    })
}

/// `%`, `_` and `\` match themselves in a LIKE pattern.
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
