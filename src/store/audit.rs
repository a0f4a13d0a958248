//! The audit trail (append-only) and the case notes it refers to.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::{Result, Store, from_json, parse_ts, ts};

/// What the audit trail shows for a reason once its case has been purged.
pub const NOTE_PURGED: &str = "motif supprimé (durée de conservation)";

/// One change as the audit trail records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub channel: String,
    pub case_ref: Option<String>,
    pub action: String,
    pub detail: serde_json::Value,
}

impl Store {
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
            let mut detail: serde_json::Value = from_json(&detail)?;
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
                at: parse_ts(&at)?,
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
