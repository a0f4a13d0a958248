//! Storage adapter: sqlx over SQLite (WAL) or PostgreSQL, through sqlx's
//! `Any` driver so that one set of queries serves both. This file holds the
//! [`Store`] itself (opening, migrations, transactions), [`Backend`], the
//! errors and the decoding helpers every table shares; each other file
//! holds one part of the data: `directory` (schools, people, roles, chat
//! identities, partners), `cases` (cases, their inputs and step plans),
//! `family` (personal data, in separate tables), `audit` (the append-only
//! trail and case notes), `chat` (front-ends' state), `outbox` (reminders
//! and deliveries), `leader` (leaderships between instances), `procedures`
//! (the procedure file each case was planned with) and `web` (the web
//! office's sessions, links, feeds and scoped lists).
//!
//! Functions that belong to a larger change take a `&mut AnyConnection`
//! so the caller can run them inside one transaction.
//!
//! Portability rules: placeholders are `$1…`; dates and instants are text
//! (ISO 8601, fixed width, so text order is time order; `COLLATE "C"` on
//! PostgreSQL); flags are integers 0/1. The few statements that differ
//! (index hints, row locks) choose by [`Backend`].

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

mod audit;
mod cases;
mod chat;
mod directory;
mod family;
pub mod indicators;
pub mod leader;
pub mod outbox;
mod procedures;
pub mod web;

pub use audit::{AuditEntry, NOTE_PURGED};
pub use cases::{CaseRow, NewCase, StepRow, StepStatus, state_columns};
pub use directory::{Departement, Establishment};
pub use family::{Appointment, Guardian};
pub use procedures::{PlannedWith, ProcedureFile};

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

// Decoding helpers: every stored value that can be unreadable fails the
// same way, with `StoreError::Corrupt` naming what it is.

fn date(s: Option<String>) -> Result<Option<NaiveDate>> {
    s.map(req_date).transpose()
}

fn req_date(s: String) -> Result<NaiveDate> {
    NaiveDate::from_str(&s).map_err(|_| StoreError::Corrupt(format!("date « {s} »")))
}

/// A flag column (stored as 0 or 1).
fn flag(r: &AnyRow, column: &str) -> bool {
    r.get::<i64, _>(column) != 0
}

/// The text stored in a JSON column, and back.
fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(e.to_string()))
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
            // Connections a burst opened close after a quiet minute: each
            // SQLite one holds a thread and its page cache.
            .idle_timeout(Some(std::time::Duration::from_secs(60)))
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
