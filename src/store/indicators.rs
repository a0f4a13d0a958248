//! What the indicators are counted from: the audit trail (appointments set,
//! their outcomes, families' answers), the call tasks marked done, and the
//! steps due in the period, for the cases of an establishment or a
//! département.

use sqlx::Row;

use super::{Result, Store};

/// The raw material of one period's indicators.
#[derive(Debug, Clone, Default)]
pub struct IndicatorData {
    /// (case reference, procedure, action, detail as JSON text), oldest
    /// first.
    pub audit: Vec<(String, String, String, String)>,
    /// Call tasks to families marked done.
    pub calls_done: i64,
    /// (procedure, due, done on) of the steps due in the period.
    pub steps: Vec<(String, String, Option<String>)>,
}

/// Where the indicators are counted: a département, or one school of it.
#[derive(Debug, Clone, Copy)]
pub struct Area<'a> {
    pub departement: &'a str,
    pub establishment: Option<&'a str>,
}

impl Store {
    /// Everything counted in `[from, to)`: instants for the audit and the
    /// calls, days (`YYYY-MM-DD`) for the steps.
    pub async fn indicator_data(
        &self,
        area: Area<'_>,
        (from_ts, to_ts): (&str, &str),
        (from_day, to_day): (&str, &str),
    ) -> Result<IndicatorData> {
        // One school narrows the cases; its département stays a condition.
        // The SQL is one of two fixed texts: values are always bound.
        let school = if area.establishment.is_some() {
            " AND c.establishment = $4"
        } else {
            ""
        };
        let only = area.establishment.unwrap_or_default();
        let audit_sql = format!(
            "SELECT a.case_ref, c.procedure, a.action, a.detail FROM audit a JOIN cases c ON c.reference = a.case_ref
             WHERE c.departement = $1 AND a.at >= $2 AND a.at < $3{school}
               AND a.action IN ('rendez_vous', 'bilan_rdv', 'reponse_famille', 'etape_faite', 'appel_famille')
             ORDER BY a.id"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(audit_sql.as_str()))
            .bind(area.departement)
            .bind(from_ts)
            .bind(to_ts);
        if area.establishment.is_some() {
            q = q.bind(only);
        }
        let audit = q
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                (
                    r.get("case_ref"),
                    r.get("procedure"),
                    r.get("action"),
                    r.get("detail"),
                )
            })
            .collect();
        let calls_sql = format!(
            "SELECT COUNT(*) FROM reminders r JOIN cases c ON c.id = r.case_id
             WHERE c.departement = $1 AND r.kind = 'appel-famille'
               AND r.acknowledged_at >= $2 AND r.acknowledged_at < $3{school}"
        );
        let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(calls_sql.as_str()))
            .bind(area.departement)
            .bind(from_ts)
            .bind(to_ts);
        if area.establishment.is_some() {
            q = q.bind(only);
        }
        let calls_done: i64 = q.fetch_one(&self.pool).await?;
        let steps_sql = format!(
            "SELECT c.procedure, s.due, s.done_on FROM steps s JOIN cases c ON c.id = s.case_id
             WHERE c.departement = $1 AND s.due >= $2 AND s.due < $3{school}"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(steps_sql.as_str()))
            .bind(area.departement)
            .bind(from_day)
            .bind(to_day);
        if area.establishment.is_some() {
            q = q.bind(only);
        }
        let steps = q
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| (r.get("procedure"), r.get("due"), r.get("done_on")))
            .collect();
        Ok(IndicatorData {
            audit,
            calls_done,
            steps,
        })
    }
}
