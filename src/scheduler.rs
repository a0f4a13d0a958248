//! The scheduler: decides reminders (a row before a message), refreshes
//! case states as days pass, produces digests from cron expressions, and
//! delivers the outbox with retries, backoff and alerts. Time comes from
//! the app's clock: tests move a fixed clock and call `tick` and `deliver`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Utc};
use echeancier_core::calendar::CalendarId;
use echeancier_core::command::Horizon;
use echeancier_core::french::long_date;
use echeancier_core::procedure::Procedure;
use echeancier_core::reminder::{self, Kind, LateAction, PendingStep};
use futures_util::StreamExt;
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, watch};

use crate::app::{App, AppError, Change, Who};
use crate::config::DigestSettings;
use crate::email::{Mailer, Outgoing, SendError};
use crate::notice::{self, NoticeArgs};
use crate::store::leader::Leader;
use crate::store::outbox::{Job, NewReminder};
use crate::store::{CaseRow, Store};
use crate::view::{self, ReminderView, StaffMessage};

/// A reminder later than this after its planned time is marked late.
pub const GRACE: Duration = Duration::minutes(15);
pub const MAX_ATTEMPTS: i64 = 10;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TickReport {
    pub refreshed: usize,
    pub decided: usize,
    pub late: usize,
    pub digests: usize,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DeliverReport {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    pub skipped: usize,
}

/// The Matrix bot of this instance, when it leads the account.
pub type MatrixSlot = Arc<std::sync::RwLock<Option<Arc<crate::matrix::MatrixBot>>>>;

/// A line printed on the console front-end.
pub type ConsoleSender = mpsc::UnboundedSender<String>;

pub struct Scheduler {
    pub app: App,
    mailer: Option<Arc<Mailer>>,
    console: Option<ConsoleSender>,
    telegram: Option<Arc<crate::telegram::Telegram>>,
    /// Set while this instance leads the Matrix account (see `store::leader`):
    /// only the instance that syncs may send, its crypto state being its own.
    matrix: MatrixSlot,
    /// Several instances deliver; one decides. `None`: always decide.
    tick_leader: Option<Arc<Leader>>,
    digests: Vec<DigestSettings>,
    pub batch: i64,
    pub lease: Duration,
    /// At most this many deliveries per `deliver` call (fairness between
    /// ticks; benchmarks use it to measure a fixed amount).
    pub max_per_pass: usize,
    /// Messages sent at the same time.
    pub concurrency: usize,
    /// Longest wait for one send before it counts as a transient failure.
    pub send_timeout: StdDuration,
}

fn who() -> Who {
    Who {
        actor: "planificateur".into(),
        channel: "planificateur".into(),
    }
}

/// Exponential backoff from 30 s to 1 h, with a jitter of ±25 % derived
/// from the key so that retries of many rows spread out.
pub fn backoff(attempts: i64, key: &str) -> Duration {
    let base = 30i64
        .saturating_mul(1i64 << attempts.clamp(1, 8).saturating_sub(1))
        .min(3600);
    let h = Sha256::digest(format!("{key}/{attempts}").as_bytes());
    let jitter = (i64::from(h[0]) * base / 2 / 255) - base / 4;
    Duration::seconds(base + jitter)
}

impl Scheduler {
    pub fn new(
        app: App,
        mailer: Option<Arc<Mailer>>,
        console: Option<ConsoleSender>,
        digests: Vec<DigestSettings>,
    ) -> Self {
        Scheduler {
            app,
            mailer,
            console,
            telegram: None,
            matrix: MatrixSlot::default(),
            tick_leader: None,
            digests,
            batch: 200,
            lease: Duration::minutes(5),
            max_per_pass: usize::MAX,
            concurrency: 8,
            send_timeout: StdDuration::from_secs(60),
        }
    }

    pub fn with_matrix(self, matrix: Arc<crate::matrix::MatrixBot>) -> Self {
        *self.matrix.write().unwrap_or_else(|e| e.into_inner()) = Some(matrix);
        self
    }

    /// The slot a Matrix front-end fills while it leads its account.
    pub fn matrix_slot(&self) -> MatrixSlot {
        self.matrix.clone()
    }

    /// Decide only while holding this leadership (several instances).
    pub fn with_tick_leader(mut self, leader: Arc<Leader>) -> Self {
        self.tick_leader = Some(leader);
        self
    }

    fn matrix_bot(&self) -> Option<Arc<crate::matrix::MatrixBot>> {
        self.matrix.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The channels this instance can send on now: it claims only those.
    pub fn channels(&self) -> Vec<&'static str> {
        let mut c = Vec::new();
        if self.console.is_some() {
            c.push("console");
        }
        if self.mailer.is_some() {
            c.push("email");
        }
        if self.telegram.is_some() {
            c.push("telegram");
        }
        if self.matrix_bot().is_some_and(|b| b.is_ready()) {
            c.push("matrix");
        }
        c
    }

    pub fn with_telegram(mut self, telegram: Arc<crate::telegram::Telegram>) -> Self {
        self.telegram = Some(telegram);
        self
    }

    fn now(&self) -> DateTime<Utc> {
        self.app.clock.now()
    }

    /// Decides what is due by now: refreshed states, reminders, digests.
    pub async fn tick(&self) -> Result<TickReport, AppError> {
        let now = self.now();
        let today = self.app.clock.today(CalendarId::Metropole);
        let mut report = TickReport::default();
        let last = match self.app.store.last_tick().await? {
            Some(t) => t,
            // First start: today's reminders still go out, older ones never will.
            None => CalendarId::Metropole
                .time_zone()
                .from_local_datetime(&today.and_hms_opt(0, 0, 0).unwrap_or_default())
                .earliest()
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or(now),
        };
        for _ in 0..20 {
            let refs = self.app.store.cases_to_refresh(today, 500).await?;
            if refs.is_empty() {
                break;
            }
            for r in refs {
                match self.app.apply(&r, vec![Change::Recompute], &who()).await {
                    Ok(_) => report.refreshed += 1,
                    Err(e) => tracing::warn!(case = %r, error = %e, "recomputation failed"),
                }
            }
        }
        // One transaction per batch of steps: decisions are durable before
        // any of them is delivered, and the batch costs one commit.
        let mut cache = Cache::default();
        loop {
            let steps = self.app.store.steps_to_remind(now, self.batch).await?;
            if steps.is_empty() {
                break;
            }
            let mut tx = self.app.store.begin().await?;
            for (case_id, step) in steps {
                let (decided, late) = self
                    .decide_step(&mut tx, &mut cache, case_id, &step, last, now)
                    .await?;
                report.decided += decided;
                report.late += late;
            }
            tx.commit().await?;
        }
        self.app.metrics.reminders_decided.inc_by(report.decided as u64);
        report.digests = self.decide_digests(last, now).await?;
        // Retention, once a day.
        let day = today.to_string();
        if self.app.store.chat_state("retention.last").await?.as_deref() != Some(day.as_str()) {
            let purged = self.app.purge(&who()).await?;
            if !purged.is_empty() {
                tracing::info!(cases = ?purged, "retention: cases purged");
            }
            self.app.store.set_chat_state("retention.last", &day).await?;
        }
        self.app.store.set_last_tick(now).await?;
        Ok(report)
    }

    async fn decide_step(
        &self,
        tx: &mut sqlx::AnyConnection,
        cache: &mut Cache,
        case_id: i64,
        step: &str,
        last: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(usize, usize), AppError> {
        let Some(case) = Store::case_by_id(tx, case_id).await? else {
            return Ok((0, 0));
        };
        let row = Store::step(tx, case_id, step).await?;
        let proc = self.app.library.get(&case.procedure);
        let def = proc.and_then(|p| p.step(step));
        let (Some(row), Some(def), true) = (row, def, case.open) else {
            Store::set_next_reminder(tx, case_id, step, None).await?;
            return Ok((0, 0));
        };
        let Some(due) = row
            .due
            .filter(|_| matches!(row.state.as_str(), "open" | "overdue"))
        else {
            Store::set_next_reminder(tx, case_id, step, None).await?;
            return Ok((0, 0));
        };
        let cal_key = (case.calendar.clone(), case.establishment.clone());
        let calendar = match cache.calendars.get(&cal_key) {
            Some(c) => c.clone(),
            None => {
                let c = App::calendar(tx, &case).await?;
                cache.calendars.insert(cal_key, c.clone());
                c
            }
        };
        let pending = PendingStep {
            case_ref: &case.reference,
            step,
            role: &row.role,
            due,
            policy: &def.reminders,
        };
        let all = reminder::intents(
            &pending,
            &calendar,
            &self.app.options.hours,
            due + Duration::days(400),
        );
        let acked = Store::step_acknowledged(tx, case_id, step, due).await?;
        let fresh: Vec<_> = all
            .iter()
            .filter(|i| i.send_at > last && i.send_at <= now)
            .collect();
        // Of the overdue reminders missed during downtime, only the latest
        // goes out; the others are recorded as superseded.
        let last_overdue = fresh
            .iter()
            .filter(|i| matches!(i.kind, Kind::Overdue(_)))
            .map(|i| i.kind)
            .next_back();
        let mut decided = 0;
        let mut late_count = 0;
        for intent in fresh {
            if acked && matches!(intent.kind, Kind::Overdue(_)) {
                continue;
            }
            let late = now - intent.send_at > GRACE;
            let mut role = intent.role.clone();
            let mut skipped: Option<&str> = None;
            if matches!(intent.kind, Kind::Overdue(_)) && late && Some(intent.kind) != last_overdue {
                skipped = Some("remplacé par un rappel plus récent");
            }
            if late && skipped.is_none() {
                match reminder::late_action(&def.reminders) {
                    LateAction::Send => {}
                    LateAction::SkipWithNotice => {
                        skipped = Some("non envoyé à temps ; politique : ignorer avec avis")
                    }
                    LateAction::EscalateTo => {
                        if let Some(to) = &def.reminders.escalate_to {
                            role = to.clone();
                        }
                    }
                }
            }
            let r = NewReminder {
                key: intent.key.clone(),
                case_id: Some(case_id),
                step: Some(step.to_string()),
                due_on: Some(due),
                kind: intent.kind.code(),
                role: Some(role.clone()),
                send_at: intent.send_at,
                late,
                payload: json!({}),
            };
            let Some(id) = Store::insert_reminder(tx, &r, now).await? else {
                continue;
            };
            decided += 1;
            late_count += usize::from(late);
            let dest_key = (role.clone(), case.establishment.clone(), case.departement.clone());
            let destinations = match cache.destinations.get(&dest_key) {
                Some(d) => d.clone(),
                None => {
                    let d = self.app.destinations(tx, &case, &role).await?;
                    cache.destinations.insert(dest_key, d.clone());
                    d
                }
            };
            for (channel, recipient) in destinations {
                Store::insert_delivery(tx, id, &intent.key, &channel, &recipient, now, skipped, now).await?;
            }
            if skipped == Some("non envoyé à temps ; politique : ignorer avec avis") {
                self.insert_notice(
                    tx,
                    &case,
                    &role,
                    &format!("omission/{}", intent.key),
                    "omission",
                    json!({"rappel": id}),
                    now,
                )
                .await?;
            }
        }
        let next = all.iter().find(|i| i.send_at > now).map(|i| i.send_at);
        Store::set_next_reminder(tx, case_id, step, next).await?;
        Ok((decided, late_count))
    }

    #[allow(clippy::too_many_arguments)]
    async fn insert_notice(
        &self,
        conn: &mut sqlx::AnyConnection,
        case: &CaseRow,
        role: &str,
        key: &str,
        kind: &str,
        payload: serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        let r = NewReminder {
            key: key.to_string(),
            case_id: Some(case.id),
            step: None,
            due_on: None,
            kind: kind.into(),
            role: Some(role.to_string()),
            send_at: now,
            late: false,
            payload,
        };
        if let Some(id) = Store::insert_reminder(conn, &r, now).await? {
            for (channel, recipient) in self.app.destinations(conn, case, role).await? {
                Store::insert_delivery(conn, id, key, &channel, &recipient, now, None, now).await?;
            }
        }
        Ok(())
    }

    async fn decide_digests(&self, last: DateTime<Utc>, now: DateTime<Utc>) -> Result<usize, AppError> {
        let tz = CalendarId::Metropole.time_zone();
        let mut count = 0;
        for d in &self.digests {
            let occurrences: Vec<_> = d
                .schedule
                .after(&last.with_timezone(&tz))
                .take_while(|t| t.with_timezone(&Utc) <= now)
                .take(10)
                .collect();
            // After downtime, one digest per schedule, not one per missed run.
            let Some(at) = occurrences.last() else { continue };
            let at = at.with_timezone(&Utc);
            let mut conn = self.app.store.pool().acquire().await?;
            let mut recipients: Vec<(String, String, i64)> = Vec::new();
            if let Some(identity) = &self.app.options.console
                && let Some((actor, _)) = self.app.store.actor("console", identity).await?
            {
                recipients.push(("console".into(), identity.clone(), actor.person_id));
            }
            for (person, email) in self.app.store.people_with_email().await? {
                recipients.push(("email".into(), email, person));
            }
            for (channel, recipient, person) in recipients {
                let key = format!("recapitulatif/{}/{}/{person}", d.expression, crate::store::ts(at));
                let r = NewReminder {
                    key: key.clone(),
                    case_id: None,
                    step: None,
                    due_on: None,
                    kind: "recapitulatif".into(),
                    role: None,
                    send_at: at,
                    late: now - at > GRACE,
                    payload: json!({"personne": person, "mois": d.month}),
                };
                if let Some(id) = Store::insert_reminder(&mut conn, &r, now).await? {
                    Store::insert_delivery(&mut conn, id, &key, &channel, &recipient, now, None, now).await?;
                    count += 1;
                }
            }
        }
        Ok(count)
    }

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
            let mut late: BTreeMap<(String, String), Vec<Job>> = BTreeMap::new();
            let mut messages: Vec<Vec<Job>> = Vec::new();
            for job in jobs {
                // Parents are never written to outside working hours.
                if job.reminder.kind == "avis-parents" {
                    let open = self.retry_at(&job, now).await?;
                    if open > now {
                        self.app.store.postpone(job.delivery_id, open).await?;
                        continue;
                    }
                }
                let staff = !matches!(
                    job.reminder.kind.as_str(),
                    "avis-parents" | "recapitulatif" | "alerte"
                );
                if job.reminder.late && staff {
                    late.entry((job.channel.clone(), job.recipient.clone()))
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
            match self.render(&job, now).await {
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
                    self.fail(&job, &format!("rendu impossible : {e}"), now).await?;
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
            self.send(&first.channel, &first.recipient, &key, &message),
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
                    self.app.metrics.record_ok(&first.channel, now);
                }
            }
            Err(SendError::Transient(e)) => {
                self.app
                    .metrics
                    .record_error(&first.channel, now, "échec temporaire d'envoi");
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
                            .get_or_create(&crate::metrics::Metrics::channel(&first.channel))
                            .inc();
                    }
                }
            }
            Err(SendError::Permanent(e)) => {
                self.app
                    .metrics
                    .record_error(&first.channel, now, "échec définitif d'envoi");
                for job in &live {
                    self.fail(job, &e, now).await?;
                    report.failed += 1;
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

    /// Sends a message; returns the chat event that carried it, if any.
    async fn send(
        &self,
        channel: &str,
        recipient: &str,
        key: &str,
        m: &Rendered,
    ) -> Result<Option<String>, SendError> {
        // What each channel puts on the wire passes the privacy capture:
        // plain text, HTML and, for email, the subject too.
        match channel {
            "email" => view::chat_out(channel, &format!("{}\n{}\n{}", m.subject, m.text, m.html)),
            "matrix" => {}
            _ => view::chat_out(channel, &m.text),
        }
        if channel == "matrix" {
            return match self.matrix_bot() {
                Some(bot) => {
                    let text = match m.buttons {
                        Some(id) => format!("{}\nRéagissez ✅ pour dire « vu » (comme !ack {id}).", m.text),
                        None => m.text.clone(),
                    };
                    view::chat_out(channel, &text);
                    view::chat_out(channel, &m.html);
                    bot.send(recipient, &text, &m.html, key).await.map(Some)
                }
                None => Err(SendError::Transient("Matrix non configuré".into())),
            };
        }
        self.send_other(channel, recipient, key, m).await.map(|()| None)
    }

    async fn send_other(
        &self,
        channel: &str,
        recipient: &str,
        key: &str,
        m: &Rendered,
    ) -> Result<(), SendError> {
        match channel {
            "console" => match &self.console {
                Some(tx) => tx
                    .send(m.text.clone())
                    .map_err(|_| SendError::Transient("console fermée".into())),
                None => Err(SendError::Transient("console absente".into())),
            },
            "email" => match &self.mailer {
                Some(mailer) => {
                    mailer
                        .send(&Outgoing {
                            key: key.to_string(),
                            to: recipient.to_string(),
                            subject: m.subject.clone(),
                            text: m.text.clone(),
                            html: m.html.clone(),
                            lang: m.lang.clone(),
                            ics: m.ics.clone(),
                        })
                        .await
                }
                None => Err(SendError::Transient("courriel non configuré".into())),
            },
            "telegram" => match &self.telegram {
                Some(t) => t.send(recipient, &m.text, m.buttons).await,
                None => Err(SendError::Transient("Telegram non configuré".into())),
            },
            other => Err(SendError::Permanent(format!("canal « {other} » inconnu"))),
        }
    }

    /// When to try again: after the backoff, and for parents only inside
    /// working hours (no retry lands at night or on a holiday).
    async fn retry_at(&self, job: &Job, after: DateTime<Utc>) -> Result<DateTime<Utc>, AppError> {
        if job.reminder.kind != "avis-parents" {
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
            .get_or_create(&crate::metrics::Metrics::channel(&job.channel))
            .inc();
        let Some(case_id) = job.reminder.case_id else {
            return Ok(());
        };
        if job.reminder.kind == "alerte" {
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
            Some(id) if job.reminder.kind == "avis-parents" => {
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
            kind: "alerte".into(),
            role: Some(role.clone()),
            send_at: now,
            late: false,
            payload: json!({
                "erreur": error,
                "canal": job.channel,
                "sorte": job.reminder.kind,
                "responsable": guardian,
            }),
        };
        if let Some(id) = Store::insert_reminder(&mut tx, &r, now).await? {
            for (channel, recipient) in self.app.destinations(&mut tx, &case, &role).await? {
                if channel == job.channel && recipient == job.recipient {
                    continue;
                }
                Store::insert_delivery(&mut tx, id, &key, &channel, &recipient, now, None, now).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The message of a job, or `None` if it no longer has a purpose.
    async fn render(&self, job: &Job, now: DateTime<Utc>) -> Result<Option<Rendered>, AppError> {
        let r = &job.reminder;
        let mut conn = self.app.store.pool().acquire().await?;
        let case = match r.case_id {
            Some(id) => Store::case_by_id(&mut conn, id).await?,
            None => None,
        };
        let proc: Option<&Procedure> = case.as_ref().and_then(|c| self.app.library.get(&c.procedure));
        match r.kind.as_str() {
            "avis-parents" => {
                let (Some(case), Some(step)) = (&case, &r.step) else {
                    return Ok(None);
                };
                let Some(appointment) = Store::appointment(&mut conn, case.id, step).await? else {
                    return Ok(None);
                };
                // A moved appointment has its own notice; this one is obsolete.
                if Some(appointment.starts_at.date()) != r.due_on {
                    return Ok(None);
                }
                let guardian_id = r.payload["responsable"].as_i64().unwrap_or_default();
                let Some(g) = Store::guardian(&mut conn, guardian_id).await? else {
                    return Ok(None);
                };
                if g.restricted {
                    return Ok(None);
                }
                let notice_id = r.payload["avis"].as_str().unwrap_or_default();
                let args = NoticeArgs {
                    at: appointment.starts_at,
                    place: appointment.place.clone(),
                    phone: appointment.phone.clone(),
                };
                let rendered = self
                    .app
                    .options
                    .templates
                    .render(notice_id, &g.language, &args)
                    .map_err(|e| AppError::Invalid(e.to_string()))?;
                let calendar = App::calendar(&mut conn, case).await?;
                let start =
                    notice::local_to_utc(appointment.starts_at, calendar.id.time_zone()).unwrap_or(now);
                let uid = format!(
                    "{}@echeancier",
                    crate::email::message_id(&r.key).trim_matches(['<', '>'])
                );
                let ics = notice::invitation(
                    &notice::Invitation {
                        uid: &uid,
                        summary: &rendered.subject,
                        place: &appointment.place,
                        start,
                        minutes: appointment.minutes,
                        organiser: &self.app.options.email_from,
                        attendee: &job.recipient,
                    },
                    now,
                );
                Ok(Some(Rendered {
                    subject: rendered.subject,
                    text: rendered.text,
                    html: rendered.html,
                    lang: rendered.lang,
                    ics: Some(ics),
                    buttons: None,
                }))
            }
            "recapitulatif" => {
                let person = r.payload["personne"].as_i64().unwrap_or_default();
                let Some((actor, _)) = self.app.store.actor_by_person(person).await? else {
                    return Ok(None);
                };
                let horizon = if r.payload["mois"].as_bool() == Some(true) {
                    Horizon::Month
                } else {
                    Horizon::Week
                };
                let today = self.app.clock.today(CalendarId::Metropole);
                let body = self.app.deadlines(&actor, horizon, today).await?;
                Ok(Some(staff(StaffMessage::from_lines(
                    format!("Échéances au {}", long_date(today)),
                    &[format!("📋 Récapitulatif du {}", long_date(today)), body],
                ))))
            }
            "alerte" => {
                let reference = case.as_ref().map(|c| c.reference.as_str()).unwrap_or("?");
                let channel = match r.payload["canal"].as_str() {
                    Some("email") => "courriel",
                    Some("matrix") => "Tchap (Matrix)",
                    Some("telegram") => "Telegram",
                    Some("console") => "la console",
                    _ => "un canal inconnu",
                };
                let (what, fix) = match (r.payload["sorte"].as_str(), r.payload["responsable"].as_i64()) {
                    (Some("avis-parents"), Some(n)) => (
                        format!("l'avis aux parents du responsable n° {n}"),
                        format!(
                            "Vérifiez ses coordonnées au dossier (sur le serveur : echeancier case show {reference} --contacts)."
                        ),
                    ),
                    (Some("avis-parents"), None) => (
                        "un avis aux parents".to_string(),
                        format!(
                            "Vérifiez les coordonnées des responsables au dossier (sur le serveur : echeancier case show {reference} --contacts)."
                        ),
                    ),
                    _ => (
                        "un rappel".to_string(),
                        "Vérifiez l'adresse ou le compte du destinataire dans l'annuaire (configuration)."
                            .to_string(),
                    ),
                };
                Ok(Some(staff(StaffMessage::from_lines(
                    format!("Alerte {reference} : envoi impossible"),
                    &[
                        format!("🚨 Alerte n° {} — {reference}", r.id),
                        format!("Impossible d'envoyer {what} par {channel}. {fix}"),
                        format!("Cause : {}.", r.payload["erreur"].as_str().unwrap_or("inconnue")),
                    ],
                ))))
            }
            "appel-famille" => {
                let (Some(case), Some(step)) = (&case, &r.step) else {
                    return Ok(None);
                };
                let Some(a) = Store::appointment(&mut conn, case.id, step).await? else {
                    return Ok(None);
                };
                Ok(Some(staff(StaffMessage::from_lines(
                    format!("{} : appeler la famille", case.reference),
                    &[
                        format!("📞 Tâche n° {} — {}", r.id, case.reference),
                        format!(
                            "Appeler la famille : un responsable légal a besoin d'un échange oral pour le rendez-vous du {} à {}.",
                            long_date(a.starts_at.date()),
                            a.starts_at.format("%H h %M")
                        ),
                        format!(
                            "Coordonnées au dossier : echeancier case show {} --contacts",
                            case.reference
                        ),
                        format!("Quand c'est fait : !ack {}", r.id),
                    ],
                ))))
            }
            "omission" => {
                let reference = case.as_ref().map(|c| c.reference.as_str()).unwrap_or("?");
                Ok(Some(staff(StaffMessage::from_lines(
                    format!("{reference} : rappel manqué"),
                    &[
                        format!("ℹ️ {reference} : un rappel n'a pas pu partir à temps (service interrompu)."),
                        format!("Consultez le dossier : !dossier {reference}"),
                    ],
                ))))
            }
            kind => {
                let (Some(case), Some(step), Some(due), Some(proc)) = (&case, &r.step, r.due_on, proc) else {
                    return Ok(None);
                };
                let Some(def) = proc.step(step) else {
                    return Ok(None);
                };
                let rows = Store::steps(&mut conn, case.id).await?;
                let Some(row) = rows.iter().find(|s| &s.step == step) else {
                    return Ok(None);
                };
                // Done, rescheduled, or silenced by an acknowledgement: nothing to say.
                let pending = matches!(row.state.as_str(), "open" | "overdue");
                if !case.open || !pending || row.due != Some(due) {
                    return Ok(None);
                }
                if Kind::parse(kind).is_some_and(|k| matches!(k, Kind::Overdue(_)))
                    && Store::step_acknowledged(&mut conn, case.id, step, due).await?
                {
                    return Ok(None);
                }
                let calendar = App::calendar(&mut conn, case).await?;
                let today = self.app.clock.today(calendar.id);
                let lines = view::reminder_lines(&ReminderView {
                    id: r.id,
                    kind,
                    case_ref: &case.reference,
                    step,
                    step_name: &def.name,
                    role_name: self.app.library.roles.name(&row.role),
                    action: &def.action,
                    due,
                    working_days_left: calendar.working_days_between(today, due),
                    planned: r
                        .late
                        .then(|| r.send_at.with_timezone(&calendar.id.time_zone()).date_naive()),
                });
                let mut m = staff(StaffMessage::from_lines(
                    format!("{} : {} — {}", case.reference, def.name, long_date(due)),
                    &lines,
                ));
                m.buttons = Some(r.id);
                Ok(Some(m))
            }
        }
    }

    /// The event loop: tick and deliver every `interval` until shutdown.
    /// On shutdown the current batch finishes; nothing is left leased.
    pub async fn run(&self, interval: StdDuration, mut shutdown: watch::Receiver<bool>) {
        let mut timer = tokio::time::interval(interval);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = timer.tick() => {}
                _ = shutdown.changed() => break,
            }
            let leads = match &self.tick_leader {
                None => true,
                Some(l) => l.held().await.unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "leadership check failed");
                    false
                }),
            };
            if leads && let Err(e) = self.tick().await {
                tracing::error!(error = %e, "scheduler tick failed");
            }
            if let Err(e) = self.deliver().await {
                tracing::error!(error = %e, "delivery failed");
            }
            if *shutdown.borrow() {
                break;
            }
        }
        if let Some(l) = &self.tick_leader {
            l.release().await;
        }
        tracing::info!("scheduler stopped");
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

/// (calendar name, establishment)
type CalendarKey = (String, Option<String>);
/// (role, establishment, département)
type ScopeKey = (String, Option<String>, String);

/// Lookups shared by the steps of one tick.
#[derive(Default)]
struct Cache {
    calendars: BTreeMap<CalendarKey, echeancier_core::calendar::Calendar>,
    destinations: BTreeMap<ScopeKey, Vec<(String, String)>>,
}

/// A rendered message, whatever its channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
    pub lang: String,
    pub ics: Option<String>,
    /// The reminder whose buttons (done, reschedule, seen) go with it.
    pub buttons: Option<i64>,
}

fn staff(m: StaffMessage) -> Rendered {
    Rendered {
        subject: m.subject,
        text: m.text,
        html: m.html,
        lang: "fr".into(),
        ics: None,
        buttons: None,
    }
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

    #[test]
    fn backoff_grows_with_jitter_and_caps() {
        let b1 = backoff(1, "k").num_seconds();
        let b3 = backoff(3, "k").num_seconds();
        assert!((22..=38).contains(&b1), "{b1}");
        assert!((90..=150).contains(&b3), "{b3}");
        assert!(backoff(20, "k").num_seconds() <= 3600 + 900);
        // Different keys spread.
        let spread: std::collections::BTreeSet<i64> = (0..20)
            .map(|i| backoff(4, &format!("k{i}")).num_seconds())
            .collect();
        assert!(spread.len() > 5);
    }
}
