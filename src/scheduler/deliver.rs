//! Delivering: claimed deliveries are rendered, sent through their
//! channel's sender with bounded concurrency and a timeout, and marked
//! sent, retried with backoff, or failed with an alert to the staff.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use echeancier_core::calendar::CalendarId;
use futures_util::StreamExt;
use serde_json::json;

use crate::app::{App, AppError};
use crate::channel::{Channel, Delivery, Rendered, SendError};
use crate::store::Store;
use crate::store::outbox::{Job, MessageKind, NewReminder};

use super::{DeliverReport, MAX_ATTEMPTS, Scheduler, backoff};

impl Scheduler {
    /// Sends what is due, once; retries transient failures later; turns
    /// permanent ones into alerts to the responsible staff.
    pub async fn deliver(&self) -> Result<DeliverReport, AppError> {
        let now = self.now();
        let mut report = DeliverReport::default();
        self.app.store.release_expired(now).await?;
        let channels = self.channels();
        let mut claimed = 0usize;
        while claimed < self.max_per_pass {
            let limit = self
                .batch
                .min(i64::try_from(self.max_per_pass - claimed).unwrap_or(i64::MAX));
            let jobs = self
                .app
                .store
                .claim_deliveries(now, now + self.lease, limit, &channels)
                .await?;
            if jobs.is_empty() {
                break;
            }
            claimed += jobs.len();
            // Late staff reminders are coalesced per recipient; the
            // messages of a batch go out concurrently (bounded).
            let mut late: BTreeMap<(Channel, String), Vec<Job>> = BTreeMap::new();
            let mut messages: Vec<Vec<Job>> = Vec::new();
            for job in jobs {
                // Parents are never written to outside working hours.
                if job.reminder.kind == MessageKind::ParentNotice {
                    let open = self.retry_at(&job, now).await?;
                    if open > now {
                        self.app.store.postpone(job.delivery_id, open).await?;
                        continue;
                    }
                }
                if job.reminder.late && job.reminder.kind.is_staff_reminder() {
                    late.entry((job.channel, job.recipient.clone()))
                        .or_default()
                        .push(job);
                } else {
                    messages.push(vec![job]);
                }
            }
            messages.extend(late.into_values());
            let results: Vec<Result<DeliverReport, AppError>> = futures_util::stream::iter(messages)
                .map(|group| self.deliver_guarded(group, now))
                .buffer_unordered(self.concurrency)
                .collect()
                .await;
            for r in results {
                let r = r?;
                report.sent += r.sent;
                report.retried += r.retried;
                report.failed += r.failed;
                report.skipped += r.skipped;
            }
        }
        Ok(report)
    }

    /// `deliver_one`, with a panic inside a sender (a library's assertion)
    /// turned into an error for this message: the pass and the loop go on,
    /// and the lease brings the message back.
    async fn deliver_guarded(&self, jobs: Vec<Job>, now: DateTime<Utc>) -> Result<DeliverReport, AppError> {
        use futures_util::FutureExt;
        let keys: Vec<String> = jobs.iter().map(|j| j.key.clone()).collect();
        match std::panic::AssertUnwindSafe(self.deliver_one(jobs, now))
            .catch_unwind()
            .await
        {
            Ok(r) => r,
            Err(_) => {
                tracing::error!(
                    ?keys,
                    "a sender panicked: the message waits for its lease to expire"
                );
                Ok(DeliverReport::default())
            }
        }
    }

    /// Sends one message made of one or more jobs (same channel and recipient).
    async fn deliver_one(&self, jobs: Vec<Job>, now: DateTime<Utc>) -> Result<DeliverReport, AppError> {
        let mut report = DeliverReport::default();
        let mut parts = Vec::new();
        let mut live = Vec::new();
        for job in jobs {
            match crate::message::render(&self.app, &job, now).await {
                Ok(Some(m)) => {
                    parts.push(m);
                    live.push(job);
                }
                Ok(None) => {
                    self.app
                        .store
                        .mark_skipped(job.delivery_id, "plus d'objet : étape faite, reportée ou vue")
                        .await?;
                    report.skipped += 1;
                }
                Err(e) => {
                    tracing::error!(key = %job.key, error = %e, "rendering failed");
                    let error = crate::channel::technical("au rendu du message", &e);
                    self.fail(&job, &error, now).await?;
                    report.failed += 1;
                }
            }
        }
        let Some(first) = live.first() else {
            return Ok(report);
        };
        let message = if parts.len() == 1 {
            parts.remove(0)
        } else {
            let subject = format!("{} rappels partis en retard", parts.len());
            let text = format!(
                "Ces rappels n'ont pas pu partir à l'heure prévue ; les voici ensemble :\n\n{}",
                parts
                    .iter()
                    .map(|p| p.text.clone())
                    .collect::<Vec<_>>()
                    .join("\n\n")
            );
            let html = parts
                .iter()
                .map(|p| p.html.clone())
                .collect::<Vec<_>>()
                .join("<hr>");
            Rendered {
                subject,
                text,
                html,
                lang: "fr".into(),
                ics: None,
                buttons: None,
            }
        };
        let key = if live.len() == 1 {
            first.key.clone()
        } else {
            format!(
                "lot/{}",
                live.iter()
                    .map(|j| j.delivery_id.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            )
        };
        // A send that hangs (a homeserver that accepts and never answers)
        // must not hold the other messages of the pass: it is retried.
        let sent = match tokio::time::timeout(
            self.send_timeout,
            self.send(first.channel, &first.recipient, &key, &message),
        )
        .await
        {
            Ok(r) => r,
            Err(_) => Err(SendError::Transient(format!(
                "pas de réponse en {} s",
                self.send_timeout.as_secs()
            ))),
        };
        match sent {
            Ok(external) => {
                if let Some(external) = external {
                    for job in &live {
                        self.app
                            .store
                            .set_external_ref(job.delivery_id, &external)
                            .await?;
                    }
                }
                for job in &live {
                    self.app.store.mark_sent(job.delivery_id, now).await?;
                    report.sent += 1;
                    self.app.metrics.record_ok(first.channel.as_str(), now);
                }
            }
            Err(SendError::Transient(e)) => {
                self.app
                    .metrics
                    .record_error(first.channel.as_str(), now, "échec temporaire d'envoi");
                for job in &live {
                    if job.attempts >= MAX_ATTEMPTS {
                        self.fail(job, &format!("{MAX_ATTEMPTS} essais sans succès : {e}"), now)
                            .await?;
                        report.failed += 1;
                    } else {
                        let next = self.retry_at(job, now + backoff(job.attempts, &job.key)).await?;
                        self.app.store.mark_retry(job.delivery_id, next, &e).await?;
                        report.retried += 1;
                        self.app
                            .metrics
                            .retried
                            .get_or_create(&crate::metrics::Metrics::channel(first.channel.as_str()))
                            .inc();
                    }
                }
            }
            Err(SendError::Permanent(e)) => {
                self.app
                    .metrics
                    .record_error(first.channel.as_str(), now, "échec définitif d'envoi");
                for job in &live {
                    self.fail(job, &e, now).await?;
                    report.failed += 1;
                }
            }
            Err(SendError::Misconfigured(e)) => {
                // Not the message's fault: it waits for the fix, checked
                // every five minutes, however long that takes.
                self.app.metrics.record_error(
                    first.channel.as_str(),
                    now,
                    "configuration du canal à corriger",
                );
                for job in &live {
                    self.app
                        .store
                        .wait_for_fix(job.delivery_id, now + Duration::minutes(5), &e)
                        .await?;
                    report.retried += 1;
                }
            }
            Err(SendError::RateLimited(wait)) => {
                // The service said when: no backoff guess, and no attempt used up.
                let next = now
                    + Duration::from_std(wait)
                        .unwrap_or(Duration::seconds(1))
                        .max(Duration::seconds(1));
                for job in &live {
                    self.app.store.postpone(job.delivery_id, next).await?;
                    report.retried += 1;
                }
            }
        }
        Ok(report)
    }

    /// Sends a message through its channel's sender; returns the platform's
    /// reference of what it posted, if any.
    async fn send(
        &self,
        channel: Channel,
        recipient: &str,
        key: &str,
        message: &Rendered,
    ) -> Result<Option<String>, SendError> {
        let Some(sender) = self.senders.iter().find(|s| s.channel() == channel) else {
            return Err(SendError::Transient(format!(
                "{} non configuré sur cette instance",
                channel.french()
            )));
        };
        sender
            .send(Delivery {
                key,
                recipient,
                message,
            })
            .await
    }

    /// When to try again: after the backoff, and for parents only inside
    /// working hours (no retry lands at night or on a holiday).
    async fn retry_at(&self, job: &Job, after: DateTime<Utc>) -> Result<DateTime<Utc>, AppError> {
        if job.reminder.kind != MessageKind::ParentNotice {
            return Ok(after);
        }
        let mut conn = self.app.store.pool().acquire().await?;
        let calendar = match job.reminder.case_id {
            Some(id) => match Store::case_by_id(&mut conn, id).await? {
                Some(case) => App::calendar(&mut conn, &case).await?,
                None => echeancier_core::calendar::Calendar::new(CalendarId::Metropole),
            },
            None => echeancier_core::calendar::Calendar::new(CalendarId::Metropole),
        };
        Ok(self
            .app
            .options
            .hours
            .next_open(&calendar, after)
            .unwrap_or(after))
    }

    /// Marks a delivery failed and alerts the responsible staff elsewhere.
    async fn fail(&self, job: &Job, error: &str, now: DateTime<Utc>) -> Result<(), AppError> {
        // Errors are built without addresses; should a server still repeat
        // one, it goes no further than here.
        let error = &redact(error, &job.recipient);
        tracing::warn!(key = %job.key, error, "delivery failed for good");
        self.app.store.mark_failed(job.delivery_id, error).await?;
        self.app
            .metrics
            .failed
            .get_or_create(&crate::metrics::Metrics::channel(job.channel.as_str()))
            .inc();
        let Some(case_id) = job.reminder.case_id else {
            return Ok(());
        };
        if job.reminder.kind == MessageKind::Alert {
            return Ok(());
        }
        let mut tx = self.app.store.begin().await?;
        let Some(case) = Store::case_by_id(&mut tx, case_id).await? else {
            return Ok(());
        };
        let role = match (&job.reminder.role, &job.reminder.step) {
            (Some(r), _) => r.clone(),
            (None, Some(step)) => self
                .app
                .library
                .get(&case.procedure)
                .and_then(|p| p.step(step))
                .map(|s| s.role.clone())
                .unwrap_or_else(|| "chef_etablissement".into()),
            _ => "chef_etablissement".into(),
        };
        // A guardian is named by their number in the case, never by a contact.
        let guardian = match job.reminder.payload["responsable"].as_i64() {
            Some(id) if job.reminder.kind == MessageKind::ParentNotice => {
                Store::guardian(&mut tx, id).await?.map(|g| g.number)
            }
            _ => None,
        };
        let key = format!("alerte/{}", job.key);
        let r = NewReminder {
            key: key.clone(),
            case_id: Some(case_id),
            step: job.reminder.step.clone(),
            due_on: job.reminder.due_on,
            kind: MessageKind::Alert,
            role: Some(role.clone()),
            send_at: now,
            late: false,
            payload: json!({
                "erreur": error,
                "canal": job.channel.as_str(),
                "sorte": job.reminder.kind.code(),
                "responsable": guardian,
            }),
        };
        // Told elsewhere than where it failed.
        let mut to = self.app.destinations(&mut tx, &case, &role).await?;
        to.retain(|d| !(d.channel == job.channel && d.recipient == job.recipient));
        Store::decide(&mut tx, &r, &to, now, None, now).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// `error` with every occurrence of `recipient` (any case) replaced.
fn redact(error: &str, recipient: &str) -> String {
    if recipient.is_empty() {
        return error.to_string();
    }
    let lower = error.to_lowercase();
    let needle = recipient.to_lowercase();
    if !lower.contains(&needle) || lower.len() != error.len() {
        return error.replace(recipient, "[destinataire]");
    }
    let mut out = String::with_capacity(error.len());
    let mut i = 0;
    while let Some(at) = lower[i..].find(&needle) {
        out.push_str(&error[i..i + at]);
        out.push_str("[destinataire]");
        i += at + needle.len();
    }
    out.push_str(&error[i..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_lose_their_recipient() {
        assert_eq!(
            redact("550 <Reject@Example.org> refused", "reject@example.org"),
            "550 <[destinataire]> refused"
        );
        assert_eq!(redact("timeout", "reject@example.org"), "timeout");
    }
}
