//! What the front-ends and the HTTP endpoints read besides commands: the
//! state of the database and the outbox for `/healthz` and `/metrics`, a
//! chat account's identity, a platform's own bookkeeping (Telegram's update
//! offset) and which reminder a chat event is; and the operator's reads on
//! the server (case list, guardians, audit trail).

use chrono::{DateTime, Utc};
use echeancier_core::authz::Actor;
use echeancier_core::procedure::Library;

use crate::store::outbox::OutboxCounts;
use crate::store::{Backend, CaseRow, Store};

use super::{App, Result};

impl App {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn library(&self) -> &Library {
        &self.library
    }

    pub fn metrics(&self) -> &crate::metrics::Metrics {
        &self.metrics
    }

    pub fn backend(&self) -> Backend {
        self.store.backend()
    }

    /// Whether the database answers. The driver's error goes to the log
    /// only: it may name hosts or users.
    pub async fn database_answers(&self) -> bool {
        match sqlx::query_scalar::<_, i64>("SELECT 1")
            .fetch_one(self.store.pool())
            .await
        {
            Ok(_) => true,
            Err(e) => {
                tracing::warn!(error = %e, "health check: database unreachable");
                false
            }
        }
    }

    pub async fn outbox_counts(&self) -> Result<OutboxCounts> {
        Ok(self.store.outbox_counts().await?)
    }

    /// Seconds since the oldest message due was due.
    pub async fn outbox_lag(&self) -> Result<i64> {
        Ok(self.store.outbox_lag(self.clock.now()).await?)
    }

    /// Per channel: how many messages are due now, and since when.
    pub async fn due_by_channel(&self) -> Result<Vec<(crate::channel::Channel, i64, DateTime<Utc>)>> {
        Ok(self.store.due_by_channel(self.clock.now()).await?)
    }

    /// Open cases, and steps late today.
    pub async fn case_gauges(&self) -> Result<(i64, i64)> {
        Ok(self.store.case_gauges(self.today()).await?)
    }

    /// The person behind a chat account, if it is linked or configured.
    pub async fn actor(&self, channel: &str, external_id: &str) -> Result<Option<Actor>> {
        Ok(self
            .store
            .actor(channel, external_id)
            .await?
            .map(|(actor, _)| actor))
    }

    /// A chat platform's own bookkeeping, such as Telegram's update offset.
    pub async fn chat_state(&self, key: &str) -> Result<Option<String>> {
        Ok(self.store.chat_state(key).await?)
    }

    pub async fn set_chat_state(&self, key: &str, value: &str) -> Result<()> {
        Ok(self.store.set_chat_state(key, value).await?)
    }

    /// The reminder posted as chat event `external_ref` in `room`: a
    /// reaction acts only on a reminder of the room it is made in. In a
    /// direct room with `direct_with`, also one sent to that person (its
    /// delivery names the person, the sender found the room).
    pub async fn reminder_posted(
        &self,
        external_ref: &str,
        room: &str,
        direct_with: Option<&str>,
    ) -> Result<Option<i64>> {
        if let Some(id) = self.store.reminder_by_external_ref(external_ref, room).await? {
            return Ok(Some(id));
        }
        match direct_with {
            Some(person) => Ok(self.store.reminder_by_external_ref(external_ref, person).await?),
            None => Ok(None),
        }
    }

    /// The opaque reference of the case a reminder is about.
    pub async fn reminder_case(&self, reminder: i64) -> Result<Option<String>> {
        let mut conn = self.store.pool().acquire().await?;
        let Some(row) = Store::reminder(&mut conn, reminder).await? else {
            return Ok(None);
        };
        let Some(case_id) = row.case_id else {
            return Ok(None);
        };
        Ok(Store::case_by_id(&mut conn, case_id).await?.map(|c| c.reference))
    }

    /// Every case, or the open ones: the operator's list (the command
    /// line), without authorization.
    pub async fn cases(&self, open_only: bool) -> Result<Vec<CaseRow>> {
        Ok(self.store.list_cases(open_only).await?)
    }

    /// The guardians of a case with their contacts: personal data, for the
    /// operator on the server only (the command line), never for chat.
    pub async fn guardians(&self, case: &CaseRow) -> Result<Vec<crate::store::Guardian>> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(Store::guardians(&mut conn, case.id).await?)
    }

    /// The audit trail of a case, kept after its purge.
    pub async fn audit_trail(&self, reference: &str) -> Result<Vec<crate::store::AuditEntry>> {
        Ok(self.store.audit_trail(reference).await?)
    }
}
