//! Storage adapter: sqlx over SQLite (WAL) or PostgreSQL, through sqlx's
//! `Any` driver so that one set of queries serves both. Holds the directory (schools,
//! people, roles, chat identities, partners), cases and their inputs, the
//! computed step plans, personal data (in separate tables), reminders and
//! the append-only audit trail.
//!
//! Functions that belong to a larger change take a `&mut AnyConnection`
//! so the caller can run them inside one transaction.
//!
//! Portability rules: placeholders are `$1…`; dates and instants are text
//! (ISO 8601, fixed width, so text order is time order; `COLLATE "C"` on
//! PostgreSQL); flags are integers 0/1. The few statements that differ
//! (index hints, row locks) choose by [`Backend`].

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use echeancier_core::authz::{Actor, Grant};
use echeancier_core::case::{CaseInputs, PartnerAnswer, Reschedule, StepPlan, StepState};
use echeancier_core::ids::CaseRef;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyConnection, AnyPool, Row};

pub mod leader;
pub mod outbox;

/// Instants are stored as fixed-width RFC 3339 in UTC, so that text order
/// is time order.
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

pub fn parse_ts(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| StoreError::Corrupt(format!("instant « {s} »")))
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("base de données : {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration de la base : {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("donnée stockée illisible : {0}")]
    Corrupt(String),
    #[error("adresse de base de données non reconnue : « {0} » (attendu sqlite://… ou postgres://…)")]
    Url(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// What the audit trail shows for a reason once its case has been purged.
pub const NOTE_PURGED: &str = "motif supprimé (durée de conservation)";

/// Query parameters that carry a password (libpq and sqlx spellings).
const SECRET_PARAMS: &[&str] = &["password", "pass", "pwd", "sslpassword"];

/// The URL without its passwords, for messages: the one of the user part
/// and those given as query parameters (`?password=…`).
pub fn redact_url(url: &str) -> String {
    let url = match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    };
    // On the text, so that an address `Url` cannot parse is redacted too.
    let Some((head, rest)) = url.split_once('?') else {
        return url;
    };
    let (query, fragment) = match rest.split_once('#') {
        Some((q, f)) => (q, Some(f)),
        None => (rest, None),
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if SECRET_PARAMS.contains(&key.to_ascii_lowercase().as_str()) => {
                format!("{key}=***")
            }
            _ => pair.to_string(),
        })
        .collect();
    let mut out = format!("{head}?{}", query.join("&"));
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

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

/// A statement whose text differs between the backends by one fragment:
/// `dialect!(backend, [head…], sqlite: "…", postgres: "…", [tail…])`.
/// Both texts stay static.
macro_rules! dialect {
    ($backend:expr, [$($head:expr),*], sqlite: $s:literal, postgres: $p:literal, [$($tail:expr),*]) => {
        $backend.pick(concat!($($head,)* $s, $($tail),*), concat!($($head,)* $p, $($tail),*))
    };
}
pub(crate) use dialect;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
pub static PG_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database a store talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }

    /// The statement for this backend, where the two dialects differ.
    pub fn pick(self, sqlite: &'static str, postgres: &'static str) -> &'static str {
        match self {
            Backend::Sqlite => sqlite,
            Backend::Postgres => postgres,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    url: String,
}

/// A school as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Establishment {
    pub uai: String,
    pub name: String,
    pub departement: String,
    pub calendar: String,
    pub good_friday: Option<bool>,
    pub zone: Option<String>,
    pub closed_days: BTreeMap<NaiveDate, String>,
    pub address: Option<String>,
    pub phone: Option<String>,
}

/// An appointment with parents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    pub starts_at: chrono::NaiveDateTime,
    pub minutes: i64,
    pub place: String,
    pub phone: String,
}

/// A guardian's contact (personal data; never in chat).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guardian {
    pub id: i64,
    /// Its number in the case (1, 2…): how staff-facing text names it.
    pub number: i64,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub language: String,
    pub needs_oral: bool,
    pub restricted: bool,
}

/// A DSDEN office.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Departement {
    pub code: String,
    pub name: String,
    pub address: Option<String>,
    pub phone: Option<String>,
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub channel: String,
    pub case_ref: Option<String>,
    pub action: String,
    pub detail: serde_json::Value,
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

fn date(s: Option<String>) -> Result<Option<NaiveDate>> {
    s.map(|s| NaiveDate::from_str(&s).map_err(|_| StoreError::Corrupt(format!("date « {s} »"))))
        .transpose()
}

fn req_date(s: String) -> Result<NaiveDate> {
    NaiveDate::from_str(&s).map_err(|_| StoreError::Corrupt(format!("date « {s} »")))
}

impl Store {
    /// Opens (creating if needed) the database at `url` and migrates it.
    pub async fn open(url: &str) -> Result<Store> {
        Store::open_with(url, 8, std::time::Duration::from_secs(30)).await
    }

    /// Opens with at most `max_connections` pooled connections; a query
    /// waits at most `acquire_timeout` for one (while the database is
    /// unreachable, that is how long each attempt takes to fail).
    pub async fn open_with(
        url: &str,
        max_connections: u32,
        acquire_timeout: std::time::Duration,
    ) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url).ok_or_else(|| StoreError::Url(redact_url(url)))?;
        let mut connect_url = url.to_string();
        let mut max = max_connections.max(1);
        if backend == Backend::Sqlite {
            // Create the file on first use, as the embedded default promises.
            if !connect_url.contains("mode=") {
                connect_url.push(if connect_url.contains('?') { '&' } else { '?' });
                connect_url.push_str("mode=rwc");
            }
            // An in-memory database lives in one connection only.
            if url.contains(":memory:") {
                max = 1;
            }
        }
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(acquire_timeout)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        for pragma in [
                            "PRAGMA journal_mode = WAL",
                            "PRAGMA synchronous = NORMAL",
                            "PRAGMA foreign_keys = ON",
                            "PRAGMA busy_timeout = 10000",
                        ] {
                            sqlx::query(pragma).execute(&mut *conn).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect(&connect_url)
            .await?;
        match backend {
            Backend::Sqlite => MIGRATOR.run(&pool).await?,
            Backend::Postgres => PG_MIGRATOR.run(&pool).await?,
        }
        Ok(Store {
            pool,
            backend,
            url: url.to_string(),
        })
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL this store was opened with (it may hold a password: never log it).
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// A transaction that may write. On SQLite it takes the write lock at
    /// once (`BEGIN IMMEDIATE`): a deferred transaction that has read and
    /// then writes cannot wait for the lock (its snapshot may be stale) and
    /// fails with "database is locked" whatever `busy_timeout` says, while
    /// an immediate one waits for it like any single statement.
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    // ------------------------------------------------------------ directory

    pub async fn upsert_establishment(&self, e: &Establishment) -> Result<()> {
        let closed = serde_json::to_string(&e.closed_days).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO establishments (uai, name, departement, calendar, good_friday, zone, closed_days, address, phone)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT(uai) DO UPDATE SET name = excluded.name, departement = excluded.departement,
               calendar = excluded.calendar, good_friday = excluded.good_friday, zone = excluded.zone,
               closed_days = excluded.closed_days, address = excluded.address, phone = excluded.phone",
        )
        .bind(&e.uai)
        .bind(&e.name)
        .bind(&e.departement)
        .bind(&e.calendar)
        .bind(e.good_friday.map(i64::from))
        .bind(&e.zone)
        .bind(closed)
        .bind(&e.address)
        .bind(&e.phone)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn establishment(conn: &mut AnyConnection, uai: &str) -> Result<Option<Establishment>> {
        let row = sqlx::query(
            "SELECT uai, name, departement, calendar, good_friday, zone, closed_days, address, phone
             FROM establishments WHERE uai = $1",
        )
        .bind(uai)
        .fetch_optional(&mut *conn)
        .await?;
        row.map(|r| {
            let closed: String = r.get("closed_days");
            Ok(Establishment {
                uai: r.get("uai"),
                name: r.get("name"),
                departement: r.get("departement"),
                calendar: r.get("calendar"),
                good_friday: r.get::<Option<i64>, _>("good_friday").map(|v| v != 0),
                zone: r.get("zone"),
                closed_days: serde_json::from_str(&closed).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                address: r.get("address"),
                phone: r.get("phone"),
            })
        })
        .transpose()
    }

    pub async fn upsert_departement(&self, d: &Departement) -> Result<()> {
        sqlx::query(
            "INSERT INTO departements (code, name, address, phone) VALUES ($1, $2, $3, $4)
             ON CONFLICT(code) DO UPDATE SET name = excluded.name, address = excluded.address, phone = excluded.phone",
        )
        .bind(&d.code)
        .bind(&d.name)
        .bind(&d.address)
        .bind(&d.phone)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn departement(conn: &mut AnyConnection, code: &str) -> Result<Option<Departement>> {
        let row = sqlx::query("SELECT code, name, address, phone FROM departements WHERE code = $1")
            .bind(code)
            .fetch_optional(&mut *conn)
            .await?;
        Ok(row.map(|r| Departement {
            code: r.get("code"),
            name: r.get("name"),
            address: r.get("address"),
            phone: r.get("phone"),
        }))
    }

    pub async fn upsert_partner(&self, id: &str, name: &str, departement: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO partners (id, name, departement) VALUES ($1, $2, $3)
             ON CONFLICT(id) DO UPDATE SET name = excluded.name, departement = excluded.departement",
        )
        .bind(id)
        .bind(name)
        .bind(departement)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn partner_exists(&self, id: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM partners WHERE id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    /// Creates or replaces a person with their grants and configured
    /// identities, in one transaction, so the directory is never
    /// half-updated. Only identities that came from the configuration are
    /// replaced: accounts linked with a code (`source = 'lien'`) survive the
    /// sync done at every start. A configured identity wins over a linked
    /// one, even of another person: the file is the administrator's word.
    pub async fn upsert_person(
        &self,
        slug: &str,
        display_name: &str,
        email: Option<&str>,
        grants: &[Grant],
        identities: &[(String, String)],
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO people (slug, display_name, email) VALUES ($1, $2, $3)
             ON CONFLICT(slug) DO UPDATE SET display_name = excluded.display_name, email = excluded.email
             RETURNING id",
        )
        .bind(slug)
        .bind(display_name)
        .bind(email)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM grants WHERE person_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for g in grants {
            sqlx::query("INSERT INTO grants (person_id, role, establishment, departement, partner) VALUES ($1, $2, $3, $4, $5)")
                .bind(id)
                .bind(&g.role)
                .bind(&g.establishment)
                .bind(&g.departement)
                .bind(&g.partner)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM identities WHERE person_id = $1 AND source = 'configuration'")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for (channel, external) in identities {
            sqlx::query(
                "INSERT INTO identities (channel, external_id, person_id, source) VALUES ($1, $2, $3, 'configuration')
                 ON CONFLICT(channel, external_id) DO UPDATE SET person_id = excluded.person_id, source = 'configuration'",
            )
            .bind(channel)
            .bind(external)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// A person as an actor, with their email.
    pub async fn actor_by_person(&self, person_id: i64) -> Result<Option<(Actor, Option<String>)>> {
        let email: Option<Option<String>> = sqlx::query_scalar("SELECT email FROM people WHERE id = $1")
            .bind(person_id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(email) = email else { return Ok(None) };
        let grants = self.grants(person_id).await?;
        Ok(Some((Actor { person_id, grants }, email)))
    }

    /// People with an email address: digest recipients.
    pub async fn people_with_email(&self) -> Result<Vec<(i64, String)>> {
        let rows =
            sqlx::query("SELECT id, email FROM people WHERE email IS NOT NULL AND email <> '' ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.iter().map(|r| (r.get("id"), r.get("email"))).collect())
    }

    async fn grants(&self, person_id: i64) -> Result<Vec<Grant>> {
        Ok(
            sqlx::query("SELECT role, establishment, departement, partner FROM grants WHERE person_id = $1")
                .bind(person_id)
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(|r| Grant {
                    role: r.get("role"),
                    establishment: r.get("establishment"),
                    departement: r.get("departement"),
                    partner: r.get("partner"),
                })
                .collect(),
        )
    }

    /// The actor behind a chat identity, with the person's display name.
    pub async fn actor(&self, channel: &str, external_id: &str) -> Result<Option<(Actor, String)>> {
        let row = sqlx::query(
            "SELECT p.id, p.display_name FROM identities i JOIN people p ON p.id = i.person_id
             WHERE i.channel = $1 AND i.external_id = $2",
        )
        .bind(channel)
        .bind(external_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let person_id: i64 = row.get("id");
        let name: String = row.get("display_name");
        let grants = self.grants(person_id).await?;
        Ok(Some((Actor { person_id, grants }, name)))
    }

    // ------------------------------------------------------------ cases

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
        Ok(CaseRow {
            id: r.get("id"),
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
            needs_decision: r.get::<i64, _>("needs_decision") != 0,
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
            "SELECT partner_id, received_on, answer, answered_on, answer_reason FROM case_partners
             WHERE case_id = $1 ORDER BY partner_id",
        )
        .bind(case.id)
        .fetch_all(&mut *conn)
        .await?
        {
            let partner: String = r.get("partner_id");
            inputs.partners.push(partner.clone());
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
        Ok(())
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
            let explanation =
                serde_json::to_string(&p.explanation).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let also: Vec<(&str, String)> = p.also.iter().map(|(l, d)| (l.as_str(), d.to_string())).collect();
            let also = serde_json::to_string(&also).map_err(|e| StoreError::Corrupt(e.to_string()))?;
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
        sqlx::query("UPDATE cases SET needs_decision = $1 WHERE id = $2")
            .bind(i64::from(needs_decision))
            .bind(case_id)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    fn step_from_row(r: &AnyRow) -> Result<StepRow> {
        let explanation: String = r.get("explanation");
        let also: String = r.get("also");
        let also: Vec<(String, String)> =
            serde_json::from_str(&also).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(StepRow {
            case_id: r.get("case_id"),
            reference: r.get("reference"),
            step: r.get("step"),
            role: r.get("role"),
            state: StepStatus::parse(&r.get::<String, _>("state"))?,
            state_detail: r.get("state_detail"),
            due: date(r.get("due"))?,
            computed_due: date(r.get("computed_due"))?,
            explanation: serde_json::from_str(&explanation)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            also: also
                .into_iter()
                .map(|(l, d)| Ok((l, req_date(d)?)))
                .collect::<Result<Vec<_>>>()?,
            needs_decision: r.get::<i64, _>("needs_decision") != 0,
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
                let case = CaseRow {
                    id: r.get("case_id"),
                    reference: r.get("reference"),
                    procedure: r.get("procedure"),
                    establishment: r.get("establishment"),
                    departement: r.get("departement"),
                    parent_id: r.get("parent_id"),
                    title: r.get("title"),
                    calendar: r.get("calendar"),
                    zone: r.get("zone"),
                    open: true,
                    opened_on: req_date(r.get("opened_on"))?,
                    closed_on: date(r.get("closed_on"))?,
                    needs_decision: r.get::<i64, _>("case_needs_decision") != 0,
                };
                Ok((case, Self::step_from_row(r)?))
            })
            .collect()
    }

    // ------------------------------------------------------------ personal data

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
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO guardians (case_id, full_name, email, phone, language, needs_oral) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(case_id)
        .bind(name)
        .bind(email)
        .bind(phone)
        .bind(language)
        .bind(i64::from(needs_oral))
        .execute(&mut *conn)
        .await?;
        Ok(())
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
               place = excluded.place, phone = excluded.phone",
        )
        .bind(case_id)
        .bind(step)
        .bind(a.starts_at.format("%Y-%m-%dT%H:%M").to_string())
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
            "SELECT starts_at, minutes, place, phone FROM appointments WHERE case_id = $1 AND step = $2",
        )
        .bind(case_id)
        .bind(step)
        .fetch_optional(&mut *conn)
        .await?;
        row.map(|r| {
            let at: String = r.get("starts_at");
            Ok(Appointment {
                starts_at: chrono::NaiveDateTime::parse_from_str(&at, "%Y-%m-%dT%H:%M")
                    .map_err(|_| StoreError::Corrupt(format!("rendez-vous « {at} »")))?,
                minutes: r.get("minutes"),
                place: r.get("place"),
                phone: r.get("phone"),
            })
        })
        .transpose()
    }

    /// The guardians of a case (personal data: for notices only).
    pub async fn guardians(conn: &mut AnyConnection, case_id: i64) -> Result<Vec<Guardian>> {
        let rows = sqlx::query(
            "SELECT g.id, g.email, g.phone, g.language, g.needs_oral, g.restricted,
                    (SELECT COUNT(*) FROM guardians o WHERE o.case_id = g.case_id AND o.id <= g.id) AS number
             FROM guardians g WHERE g.case_id = $1 ORDER BY g.id",
        )
        .bind(case_id)
        .fetch_all(&mut *conn)
        .await?;
        Ok(rows.iter().map(guardian_from_row).collect())
    }

    pub async fn guardian(conn: &mut AnyConnection, id: i64) -> Result<Option<Guardian>> {
        let row = sqlx::query(
            "SELECT g.id, g.email, g.phone, g.language, g.needs_oral, g.restricted,
                    (SELECT COUNT(*) FROM guardians o WHERE o.case_id = g.case_id AND o.id <= g.id) AS number
             FROM guardians g WHERE g.id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
        Ok(row.as_ref().map(guardian_from_row))
    }

    /// Email addresses of the staff holding `role` over a case's scope.
    pub async fn staff_emails(
        conn: &mut AnyConnection,
        role: &str,
        establishment: Option<&str>,
        departement: &str,
    ) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT p.email FROM grants g JOIN people p ON p.id = g.person_id
             WHERE g.role = $1 AND p.email IS NOT NULL AND p.email <> ''
               AND ((g.establishment IS NOT NULL AND g.establishment = $2) OR (g.departement IS NOT NULL AND g.departement = $3))
             ORDER BY p.email",
        )
        .bind(role)
        .bind(establishment)
        .bind(departement)
        .fetch_all(&mut *conn)
        .await?)
    }

    /// Chat identities (`channel`) of the staff holding `role` over a scope.
    pub async fn staff_identities(
        conn: &mut AnyConnection,
        channel: &str,
        role: &str,
        establishment: Option<&str>,
        departement: &str,
    ) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT i.external_id FROM grants g JOIN identities i ON i.person_id = g.person_id
             WHERE i.channel = $1 AND g.role = $2
               AND ((g.establishment IS NOT NULL AND g.establishment = $3) OR (g.departement IS NOT NULL AND g.departement = $4))
             ORDER BY i.external_id",
        )
        .bind(channel)
        .bind(role)
        .bind(establishment)
        .bind(departement)
        .fetch_all(&mut *conn)
        .await?)
    }

    pub async fn person_by_slug(&self, slug: &str) -> Result<Option<(i64, String)>> {
        let row = sqlx::query("SELECT id, display_name FROM people WHERE slug = $1")
            .bind(slug)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| (r.get("id"), r.get("display_name"))))
    }

    pub async fn person_name(&self, person_id: i64) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT display_name FROM people WHERE id = $1")
                .bind(person_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn insert_link_code(
        &self,
        code: &str,
        person_id: i64,
        channel: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query("INSERT INTO link_codes (code, person_id, channel, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(code)
            .bind(person_id)
            .bind(channel)
            .bind(ts(expires_at))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Uses a link code once: ties `channel:external_id` to its person, as a
    /// linked identity that directory syncs keep (until the configuration
    /// gives the same account to someone). `None` when the code is unknown,
    /// used, expired or for another channel.
    pub async fn use_link_code(
        conn: &mut AnyConnection,
        code: &str,
        channel: &str,
        external_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let person: Option<i64> = sqlx::query_scalar(
            "UPDATE link_codes SET used_at = $1, used_by = $2
             WHERE code = $3 AND channel = $4 AND used_at IS NULL AND expires_at > $5 RETURNING person_id",
        )
        .bind(ts(now))
        .bind(external_id)
        .bind(code)
        .bind(channel)
        .bind(ts(now))
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(person) = person {
            sqlx::query(
                "INSERT INTO identities (channel, external_id, person_id, source) VALUES ($1, $2, $3, 'lien')
                 ON CONFLICT(channel, external_id) DO UPDATE SET person_id = excluded.person_id, source = 'lien'",
            )
            .bind(channel)
            .bind(external_id)
            .bind(person)
            .execute(&mut *conn)
            .await?;
        }
        Ok(person)
    }

    pub async fn chat_state(&self, key: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT value FROM chat_state WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn set_chat_state(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query("INSERT INTO chat_state (key, value) VALUES ($1, $2) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    // ------------------------------------------------------------ notes

    /// Keeps a free-text note with its case (purged with it); the audit
    /// trail refers to it by the returned id.
    pub async fn add_note(
        conn: &mut AnyConnection,
        case_id: i64,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO case_notes (case_id, body, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(case_id)
        .bind(body)
        .bind(ts(now))
        .fetch_one(&mut *conn)
        .await?)
    }

    async fn note(&self, id: i64) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT body FROM case_notes WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    // ------------------------------------------------------------ audit

    pub async fn audit(conn: &mut AnyConnection, entry: &AuditEntry) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit (at, actor, channel, case_ref, action, detail) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(entry.at.to_rfc3339())
        .bind(&entry.actor)
        .bind(&entry.channel)
        .bind(&entry.case_ref)
        .bind(&entry.action)
        .bind(entry.detail.to_string())
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    pub async fn audit_trail(&self, case_ref: &str) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT at, actor, channel, case_ref, action, detail FROM audit WHERE case_ref = $1 ORDER BY id",
        )
        .bind(case_ref)
        .fetch_all(&self.pool)
        .await?;
        let mut entries = Vec::with_capacity(rows.len());
        for r in &rows {
            let at: String = r.get("at");
            let detail: String = r.get("detail");
            let mut detail: serde_json::Value =
                serde_json::from_str(&detail).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            // A reason is a note of the case: shown while the case is kept.
            if let Some(id) = detail
                .get("motif")
                .and_then(|m| m.get("note"))
                .and_then(|n| n.as_i64())
            {
                let text = self.note(id).await?.unwrap_or_else(|| NOTE_PURGED.to_string());
                detail["motif"] = serde_json::Value::String(text);
            }
            entries.push(AuditEntry {
                at: DateTime::parse_from_rfc3339(&at)
                    .map_err(|_| StoreError::Corrupt(format!("instant « {at} »")))?
                    .with_timezone(&Utc),
                actor: r.get("actor"),
                channel: r.get("channel"),
                case_ref: r.get("case_ref"),
                action: r.get("action"),
                detail,
            });
        }
        Ok(entries)
    }
}

fn guardian_from_row(r: &AnyRow) -> Guardian {
    Guardian {
        id: r.get("id"),
        number: r.get("number"),
        email: r.get("email"),
        phone: r.get("phone"),
        language: r.get("language"),
        needs_oral: r.get::<i64, _>("needs_oral") != 0,
        restricted: r.get::<i64, _>("restricted") != 0,
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
}

impl StepStatus {
    const CODES: [(StepStatus, &'static str); 8] = [
        (StepStatus::Waiting, "waiting"),
        (StepStatus::Open, "open"),
        (StepStatus::Overdue, "overdue"),
        (StepStatus::Done, "done"),
        (StepStatus::Approved, "approved"),
        (StepStatus::ApprovedTacit, "approved_tacit"),
        (StepStatus::Blocked, "blocked"),
        (StepStatus::Error, "error"),
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
    };
    (status.code(), detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_every_password() {
        assert_eq!(
            redact_url("postgres://app:S3cret@db.local/echeancier"),
            "postgres://app:***@db.local/echeancier"
        );
        for key in ["password", "pass", "pwd", "sslpassword", "PassWord"] {
            let url = format!("postgres://app@db.local/echeancier?sslmode=require&{key}=S3cret&x=1");
            let redacted = redact_url(&url);
            assert!(!redacted.contains("S3cret"), "{redacted}");
            assert!(
                redacted.contains("sslmode=require") && redacted.contains(&format!("{key}=***&x=1")),
                "{redacted}"
            );
        }
        let both = redact_url("postgres://u:one@h/db?password=two#frag");
        assert!(!both.contains("one") && !both.contains("two"), "{both}");
        assert!(both.ends_with("#frag"), "{both}");
        // Not a URL at all: the query is still redacted.
        assert_eq!(redact_url("pas une adresse?pwd=x"), "pas une adresse?pwd=***");
        // Nothing secret: unchanged.
        assert_eq!(
            redact_url("sqlite:///var/lib/echeancier/e.db?mode=rwc"),
            "sqlite:///var/lib/echeancier/e.db?mode=rwc"
        );
    }
}
