//! The procedure file each case was planned with: its version and the
//! SHA-256 of its text on the case (`cases.procedure_version`,
//! `cases.procedure_hash`), and the texts themselves by digest
//! (`procedure_texts`), so that a case keeps computing with its own rules
//! until an operator applies a new version to it. No personal data.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::{Result, Store, ts};

/// The version and digest a case was planned with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedWith {
    pub version: u32,
    pub hash: String,
}

/// One procedure file as loaded: what a case records.
#[derive(Debug, Clone, Copy)]
pub struct ProcedureFile<'a> {
    pub procedure: &'a str,
    pub version: u32,
    pub hash: &'a str,
    pub text: &'a str,
}

impl Store {
    /// What `case_id` was planned with; `None` for a case opened before
    /// versions were recorded.
    pub async fn planned_with(conn: &mut AnyConnection, case_id: i64) -> Result<Option<PlannedWith>> {
        let row = sqlx::query("SELECT procedure_version, procedure_hash FROM cases WHERE id = $1")
            .bind(case_id)
            .fetch_optional(&mut *conn)
            .await?;
        Ok(row.and_then(|r| {
            let version: Option<i64> = r.get("procedure_version");
            let hash: Option<String> = r.get("procedure_hash");
            Some(PlannedWith {
                version: u32::try_from(version?).unwrap_or(0),
                hash: hash?,
            })
        }))
    }

    /// Records that `case_id` is planned with `file`, keeping its text.
    pub async fn set_planned_with(
        conn: &mut AnyConnection,
        case_id: i64,
        file: ProcedureFile<'_>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        Self::keep_procedure_text(conn, file, now).await?;
        sqlx::query("UPDATE cases SET procedure_version = $1, procedure_hash = $2 WHERE id = $3")
            .bind(i64::from(file.version))
            .bind(file.hash)
            .bind(case_id)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    async fn keep_procedure_text(
        conn: &mut AnyConnection,
        file: ProcedureFile<'_>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO procedure_texts (hash, procedure, version, source, recorded_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT(hash) DO NOTHING",
        )
        .bind(file.hash)
        .bind(file.procedure)
        .bind(i64::from(file.version))
        .bind(file.text)
        .bind(ts(now))
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// The text of a procedure file a case was planned with.
    pub async fn procedure_text(conn: &mut AnyConnection, hash: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT source FROM procedure_texts WHERE hash = $1")
                .bind(hash)
                .fetch_optional(&mut *conn)
                .await?,
        )
    }

    /// Cases of `file.procedure` opened before versions were recorded
    /// take `file`, the one loaded at this start. Returns how many.
    pub async fn adopt_unversioned(&self, file: ProcedureFile<'_>, now: DateTime<Utc>) -> Result<u64> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE cases SET procedure_version = $1, procedure_hash = $2
             WHERE procedure = $3 AND procedure_hash IS NULL",
        )
        .bind(i64::from(file.version))
        .bind(file.hash)
        .bind(file.procedure)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done > 0 {
            Self::keep_procedure_text(&mut tx, file, now).await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    /// Drops the step a new version of the procedure no longer has.
    pub async fn delete_step(conn: &mut AnyConnection, case_id: i64, step: &str) -> Result<()> {
        sqlx::query("DELETE FROM steps WHERE case_id = $1 AND step = $2")
            .bind(case_id)
            .bind(step)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// The ids of the open cases of `procedure` planned with another file
    /// than the one whose digest is `hash`, by reference.
    pub async fn cases_planned_otherwise(&self, procedure: &str, hash: &str) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM cases WHERE status = 'open' AND procedure = $1
               AND procedure_hash IS NOT NULL AND procedure_hash <> $2 ORDER BY reference",
        )
        .bind(procedure)
        .bind(hash)
        .fetch_all(&self.pool)
        .await?)
    }
}
