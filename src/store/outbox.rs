//! The durable outbox: reminders decided by the scheduler and one delivery
//! row per destination. A reminder is a row before it is a message; rows
//! are keyed so that deciding twice inserts nothing; deliveries are claimed
//! with a lease, then marked sent, retried or failed.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Result, Store, StoreError, date, dialect, flag, from_json, parse_ts, ts};
use crate::channel::Channel;

/// Delivery channels: console, email, Matrix, Telegram.
pub const CHANNEL_SLOTS: usize = Channel::ALL.len();

/// The key of a delivery: its reminder's key, the channel and an opaque id
/// of the recipient, never an address (keys reach logs and Message-IDs).
pub fn delivery_key(reminder_key: &str, channel: Channel, recipient: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(recipient.as_bytes());
    let id: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("{reminder_key}#{channel}:{id}")
}

/// What an outbox message is, decoded at the store boundary; rendering
/// is one exhaustive match on it (`message::render`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// A staff reminder about a step (before, on the day, late, escalated).
    Reminder(echeancier_core::reminder::Kind),
    /// A notice to a family about an appointment.
    ParentNotice,
    /// A staff task: call a family that needs an oral channel.
    FamilyCall,
    /// A periodic digest of a person's deadlines.
    Digest,
    /// A delivery failed for good: the responsible staff are told.
    Alert,
    /// A reminder that could not leave in time (skipped by its policy).
    Missed,
    /// A one-time link to the web office, asked for by its recipient.
    WebLink,
    /// A family answered a notice: the responsible role is told.
    FamilyAnswer,
    /// A staff task: print and post a notice to a family with neither
    /// email nor phone.
    Letter,
    /// An appointment with a family was set: its role and those who
    /// attend are told the date.
    AppointmentSet,
    /// A bot account expires soon, or has expired: the administrators
    /// are told, on another channel than the account's.
    AccountHealth,
}

impl MessageKind {
    /// The stored code (`reminders.kind`).
    pub fn code(self) -> String {
        match self {
            MessageKind::Reminder(k) => k.code(),
            MessageKind::ParentNotice => "avis-parents".into(),
            MessageKind::FamilyCall => "appel-famille".into(),
            MessageKind::Digest => "recapitulatif".into(),
            MessageKind::Alert => "alerte".into(),
            MessageKind::Missed => "omission".into(),
            MessageKind::WebLink => "lien-web".into(),
            MessageKind::FamilyAnswer => "reponse-famille".into(),
            MessageKind::Letter => "courrier".into(),
            MessageKind::AppointmentSet => "rendez-vous-fixe".into(),
            MessageKind::AccountHealth => "compte-robot".into(),
        }
    }

    pub fn parse(code: &str) -> Option<MessageKind> {
        Some(match code {
            "avis-parents" => MessageKind::ParentNotice,
            "appel-famille" => MessageKind::FamilyCall,
            "recapitulatif" => MessageKind::Digest,
            "alerte" => MessageKind::Alert,
            "omission" => MessageKind::Missed,
            "lien-web" => MessageKind::WebLink,
            "reponse-famille" => MessageKind::FamilyAnswer,
            "courrier" => MessageKind::Letter,
            "rendez-vous-fixe" => MessageKind::AppointmentSet,
            "compte-robot" => MessageKind::AccountHealth,
            other => MessageKind::Reminder(echeancier_core::reminder::Kind::parse(other)?),
        })
    }

    /// A staff message about one step, which late delivery may coalesce.
    pub fn is_staff_reminder(self) -> bool {
        matches!(
            self,
            MessageKind::Reminder(_) | MessageKind::FamilyCall | MessageKind::Letter | MessageKind::Missed
        )
    }
}

/// A reminder to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReminder {
    pub key: String,
    pub case_id: Option<i64>,
    pub step: Option<String>,
    pub due_on: Option<NaiveDate>,
    pub kind: MessageKind,
    pub role: Option<String>,
    pub send_at: DateTime<Utc>,
    pub late: bool,
    pub payload: serde_json::Value,
}

/// A stored reminder.
#[derive(Debug, Clone, PartialEq)]
pub struct ReminderRow {
    pub id: i64,
    pub key: String,
    pub case_id: Option<i64>,
    pub step: Option<String>,
    pub due_on: Option<NaiveDate>,
    pub kind: MessageKind,
    pub role: Option<String>,
    pub send_at: DateTime<Utc>,
    pub late: bool,
    pub payload: serde_json::Value,
    pub acknowledged: bool,
}

/// Where one delivery of a message goes: a channel and the recipient
/// there (an address, a room, a chat id, a console identity).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Destination {
    pub channel: Channel,
    pub recipient: String,
}

impl Destination {
    pub fn new(channel: Channel, recipient: impl Into<String>) -> Destination {
        Destination {
            channel,
            recipient: recipient.into(),
        }
    }
}

/// A delivery claimed for sending.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub delivery_id: i64,
    pub key: String,
    pub channel: Channel,
    pub recipient: String,
    pub attempts: i64,
    pub reminder: ReminderRow,
}

/// Where a claimed delivery goes after an attempt.
#[derive(Debug, Clone, Copy)]
enum Settled<'a> {
    /// Sent at that instant.
    Sent(DateTime<Utc>),
    /// Tried again at that instant, after that error.
    Retry(DateTime<Utc>, &'a str),
    /// Back in the queue until then, the attempt not counted.
    Postponed(DateTime<Utc>),
    /// As `Postponed`, with the reason it waits.
    Waiting(DateTime<Utc>, &'a str),
    /// Done with for good: `failed` or `skipped`, and why.
    Ended(&'static str, &'a str),
}

/// Counts by delivery state, for health and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    pub pending: i64,
    pub sending: i64,
    pub sent: i64,
    pub failed: i64,
    pub skipped: i64,
}

/// A stored channel name, decoded.
fn channel_of(name: &str) -> Result<Channel> {
    name.parse()
        .map_err(|e: crate::channel::UnknownChannel| StoreError::Corrupt(e.to_string()))
}

impl Store {
    /// Decides a message: its row and one delivery per destination, in the
    /// caller's transaction, before anything is sent. Every row is keyed, so
    /// deciding again inserts nothing and returns `None`; otherwise the new
    /// message's id. Deliveries wait until `not_before`; with `skipped`,
    /// they are recorded as not to be sent, and why (superseded, or the
    /// procedure's late policy).
    pub async fn decide(
        conn: &mut AnyConnection,
        message: &NewReminder,
        to: &[Destination],
        not_before: DateTime<Utc>,
        skipped: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let Some(id) = Self::insert_reminder(conn, message, now).await? else {
            return Ok(None);
        };
        for d in to {
            Self::insert_delivery(conn, id, &message.key, d, not_before, skipped, now).await?;
        }
        Ok(Some(id))
    }

    /// [`Store::decide`] in a transaction of its own, for a message that
    /// leaves at once (a login link, an administrators' alert).
    pub async fn decide_now(
        &self,
        message: &NewReminder,
        to: &[Destination],
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let mut tx = self.begin().await?;
        let id = Self::decide(&mut tx, message, to, now, None, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Inserts a reminder unless its key exists; returns its id if new.
    async fn insert_reminder(
        conn: &mut AnyConnection,
        r: &NewReminder,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO reminders (idempotency_key, case_id, step, due_on, kind, role, send_at, late, payload, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT(idempotency_key) DO NOTHING RETURNING id",
        )
        .bind(&r.key)
        .bind(r.case_id)
        .bind(&r.step)
        .bind(r.due_on.map(|d| d.to_string()))
        .bind(r.kind.code())
        .bind(&r.role)
        .bind(ts(r.send_at))
        .bind(i64::from(r.late))
        .bind(r.payload.to_string())
        .bind(ts(now))
        .fetch_optional(&mut *conn)
        .await?;
        Ok(id)
    }

    /// Adds one destination of a reminder.
    async fn insert_delivery(
        conn: &mut AnyConnection,
        reminder_id: i64,
        reminder_key: &str,
        to: &Destination,
        not_before: DateTime<Utc>,
        skipped: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO deliveries (reminder_id, idempotency_key, channel, recipient, state, next_attempt_at, last_error, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT(idempotency_key) DO NOTHING",
        )
        .bind(reminder_id)
        .bind(delivery_key(reminder_key, to.channel, &to.recipient))
        .bind(to.channel.as_str())
        .bind(&to.recipient)
        .bind(if skipped.is_some() { "skipped" } else { "pending" })
        .bind(ts(not_before))
        .bind(skipped)
        .bind(ts(now))
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Whether any reminder of this step and due date was acknowledged.
    pub async fn step_acknowledged(
        conn: &mut AnyConnection,
        case_id: i64,
        step: &str,
        due: NaiveDate,
    ) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM reminders WHERE case_id = $1 AND step = $2 AND due_on = $3 AND acknowledged_at IS NOT NULL",
        )
        .bind(case_id)
        .bind(step)
        .bind(due.to_string())
        .fetch_one(&mut *conn)
        .await?;
        Ok(n > 0)
    }

    /// Claims up to `limit` deliveries due by `now` on the given channels
    /// (those this instance can send on), leasing them until `lease_until`.
    /// One statement: two claimers never get the same row. On PostgreSQL
    /// rows locked by another instance's claim are skipped, not waited for.
    pub async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
        channels: &[Channel],
    ) -> Result<Vec<Job>> {
        if channels.is_empty() {
            return Ok(vec![]);
        }
        debug_assert!(channels.len() <= CHANNEL_SLOTS);
        let sql = dialect!(
            self.backend,
            [
                "UPDATE deliveries SET state = 'sending', lease_until = $1, attempts = attempts + 1
             WHERE id IN (SELECT id FROM deliveries WHERE state = 'pending' AND next_attempt_at <= $2
                            AND channel IN ($4, $5, $6, $7)
                          ORDER BY next_attempt_at, id LIMIT $3"
            ],
            sqlite: "",
            postgres: " FOR UPDATE SKIP LOCKED",
            [") RETURNING id"]
        );
        let mut q = sqlx::query_scalar(sql)
            .bind(ts(lease_until))
            .bind(ts(now))
            .bind(limit);
        // A fixed number of slots keeps the statement static; unused ones
        // repeat the first channel.
        for i in 0..CHANNEL_SLOTS {
            q = q.bind(channels.get(i).copied().unwrap_or(channels[0]).as_str());
        }
        let ids: Vec<i64> = q.fetch_all(&self.pool).await?;
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let mut jobs = Vec::with_capacity(ids.len());
        let mut conn = self.pool.acquire().await?;
        for id in ids {
            let r = sqlx::query(
                "SELECT d.id AS delivery_id, d.idempotency_key AS dkey, d.channel, d.recipient, d.attempts,
                        r.id, r.idempotency_key, r.case_id, r.step, r.due_on, r.kind, r.role, r.send_at, r.late,
                        r.payload, r.acknowledged_at
                 FROM deliveries d JOIN reminders r ON r.id = d.reminder_id WHERE d.id = $1",
            )
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
            jobs.push(Job {
                delivery_id: r.get("delivery_id"),
                key: r.get("dkey"),
                channel: channel_of(r.get("channel"))?,
                recipient: r.get("recipient"),
                attempts: r.get("attempts"),
                reminder: reminder_from_row(&r)?,
            });
        }
        jobs.sort_by(|a, b| {
            a.reminder
                .send_at
                .cmp(&b.reminder.send_at)
                .then(a.delivery_id.cmp(&b.delivery_id))
        });
        Ok(jobs)
    }

    pub async fn mark_sent(&self, delivery_id: i64, now: DateTime<Utc>) -> Result<()> {
        self.set_delivery_state(delivery_id, Settled::Sent(now)).await
    }

    pub async fn mark_retry(&self, delivery_id: i64, next: DateTime<Utc>, error: &str) -> Result<()> {
        self.set_delivery_state(delivery_id, Settled::Retry(next, error))
            .await
    }

    /// Puts a claimed delivery back without counting an attempt.
    pub async fn postpone(&self, delivery_id: i64, next: DateTime<Utc>) -> Result<()> {
        self.set_delivery_state(delivery_id, Settled::Postponed(next))
            .await
    }

    /// Back in the queue until `next` for a reason that is not the
    /// message's (the channel's configuration): no attempt used up.
    pub async fn wait_for_fix(&self, delivery_id: i64, next: DateTime<Utc>, why: &str) -> Result<()> {
        self.set_delivery_state(delivery_id, Settled::Waiting(next, why))
            .await
    }

    pub async fn mark_failed(&self, delivery_id: i64, error: &str) -> Result<()> {
        self.set_delivery_state(delivery_id, Settled::Ended("failed", error))
            .await
    }

    pub async fn mark_skipped(&self, delivery_id: i64, why: &str) -> Result<()> {
        self.set_delivery_state(delivery_id, Settled::Ended("skipped", why))
            .await
    }

    /// The one way a claimed delivery leaves `sending`: every outcome ends
    /// its lease. Each statement stays static; the delivery's id is always
    /// the last placeholder.
    async fn set_delivery_state(&self, delivery_id: i64, to: Settled<'_>) -> Result<()> {
        let q = match to {
            Settled::Sent(at) => sqlx::query(
                "UPDATE deliveries SET state = 'sent', sent_at = $1, lease_until = NULL, last_error = NULL WHERE id = $2",
            )
            .bind(ts(at)),
            Settled::Retry(next, error) => sqlx::query(
                "UPDATE deliveries SET state = 'pending', next_attempt_at = $1, lease_until = NULL, last_error = $2 WHERE id = $3",
            )
            .bind(ts(next))
            .bind(error),
            Settled::Postponed(next) => sqlx::query(
                "UPDATE deliveries SET state = 'pending', next_attempt_at = $1, lease_until = NULL,
                        attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END WHERE id = $2",
            )
            .bind(ts(next)),
            Settled::Waiting(next, why) => sqlx::query(
                "UPDATE deliveries SET state = 'pending', next_attempt_at = $1, lease_until = NULL, last_error = $2,
                        attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END WHERE id = $3",
            )
            .bind(ts(next))
            .bind(why),
            Settled::Ended(state, why) => {
                sqlx::query("UPDATE deliveries SET state = $1, lease_until = NULL, last_error = $2 WHERE id = $3")
                    .bind(state)
                    .bind(why)
            }
        };
        q.bind(delivery_id).execute(&self.pool).await?;
        Ok(())
    }

    /// Keeps the platform's id of a sent message (a Matrix event id), by
    /// which a reaction finds its reminder.
    pub async fn set_external_ref(&self, delivery_id: i64, external: &str) -> Result<()> {
        sqlx::query("UPDATE deliveries SET external_ref = $1 WHERE id = $2")
            .bind(external)
            .bind(delivery_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Returns deliveries whose lease ran out (their sender died) to the
    /// queue. They may have been sent already: channels with idempotent
    /// sends (Matrix transaction ids, stable Message-IDs) absorb that.
    pub async fn release_expired(&self, now: DateTime<Utc>) -> Result<u64> {
        let r = sqlx::query(
            "UPDATE deliveries SET state = 'pending', lease_until = NULL WHERE state = 'sending' AND lease_until < $1",
        )
        .bind(ts(now))
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }

    /// Seconds since the oldest delivery that is due and still pending.
    pub async fn outbox_lag(&self, now: DateTime<Utc>) -> Result<i64> {
        let oldest: Option<String> = sqlx::query_scalar(
            "SELECT MIN(next_attempt_at) FROM deliveries WHERE state = 'pending' AND next_attempt_at <= $1",
        )
        .bind(ts(now))
        .fetch_one(&self.pool)
        .await?;
        Ok(match oldest {
            Some(t) => (now - parse_ts(&t)?).num_seconds().max(0),
            None => 0,
        })
    }

    /// Per channel: deliveries due by `now` and not sent, and the oldest's due time.
    pub async fn due_by_channel(&self, now: DateTime<Utc>) -> Result<Vec<(Channel, i64, DateTime<Utc>)>> {
        let rows = sqlx::query(
            "SELECT channel, COUNT(*) AS n, MIN(next_attempt_at) AS oldest FROM deliveries
             WHERE state = 'pending' AND next_attempt_at <= $1 GROUP BY channel ORDER BY channel",
        )
        .bind(ts(now))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let oldest: String = r.get("oldest");
                Ok((channel_of(r.get("channel"))?, r.get("n"), parse_ts(&oldest)?))
            })
            .collect()
    }

    /// Open cases and late steps, for the gauges.
    pub async fn case_gauges(&self, today: NaiveDate) -> Result<(i64, i64)> {
        let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cases WHERE status = 'open'")
            .fetch_one(&self.pool)
            .await?;
        let overdue: i64 = sqlx::query_scalar(dialect!(
            self.backend,
            ["SELECT COUNT(*) FROM steps "],
            sqlite: "INDEXED BY steps_due",
            postgres: "",
            [" WHERE state IN ('open', 'overdue') AND due < $1"]
        ))
        .bind(today.to_string())
        .fetch_one(&self.pool)
        .await?;
        Ok((open, overdue))
    }

    pub async fn outbox_counts(&self) -> Result<OutboxCounts> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state")
            .fetch_all(&self.pool)
            .await?;
        let mut c = OutboxCounts::default();
        for r in rows {
            let n: i64 = r.get("n");
            match r.get::<String, _>("state").as_str() {
                "pending" => c.pending = n,
                "sending" => c.sending = n,
                "sent" => c.sent = n,
                "failed" => c.failed = n,
                _ => c.skipped = n,
            }
        }
        Ok(c)
    }

    /// The case and step of a reminder.
    pub async fn reminder(conn: &mut AnyConnection, id: i64) -> Result<Option<ReminderRow>> {
        let row = sqlx::query(
            "SELECT id, idempotency_key, case_id, step, due_on, kind, role, send_at, late, payload, acknowledged_at
             FROM reminders WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
        row.as_ref().map(reminder_from_row).transpose()
    }

    /// Marks a reminder acknowledged; `false` if it already was (the first
    /// acknowledgement is kept).
    pub async fn acknowledge(
        conn: &mut AnyConnection,
        id: i64,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE reminders SET acknowledged_at = $1, acknowledged_by = $2 WHERE id = $3 AND acknowledged_at IS NULL",
        )
        .bind(ts(now))
        .bind(by)
        .bind(id)
        .execute(&mut *conn)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn last_tick(&self) -> Result<Option<DateTime<Utc>>> {
        let s: Option<String> = sqlx::query_scalar("SELECT last_tick_at FROM scheduler_state WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        s.map(|s| parse_ts(&s)).transpose()
    }

    pub async fn set_last_tick(&self, at: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO scheduler_state (id, last_tick_at) VALUES (1, $1)
             ON CONFLICT(id) DO UPDATE SET last_tick_at = excluded.last_tick_at",
        )
        .bind(ts(at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Steps whose reminders are due for a look by `now` (by index).
    pub async fn steps_to_remind(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<(i64, String)>> {
        let rows = sqlx::query(
            "SELECT s.case_id, s.step FROM steps s
             WHERE s.next_reminder_at IS NOT NULL AND s.next_reminder_at <= $1
             ORDER BY s.next_reminder_at LIMIT $2",
        )
        .bind(ts(now))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(|r| (r.get("case_id"), r.get("step"))).collect())
    }

    pub async fn set_next_reminder(
        conn: &mut AnyConnection,
        case_id: i64,
        step: &str,
        at: Option<DateTime<Utc>>,
    ) -> Result<()> {
        sqlx::query("UPDATE steps SET next_reminder_at = $1 WHERE case_id = $2 AND step = $3")
            .bind(at.map(ts))
            .bind(case_id)
            .bind(step)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Cases with a step whose date passed while stored as open: their
    /// state (late, tacit approval) must be recomputed. By the due-date
    /// index (the `IN` term repeats its condition): the cost follows the
    /// steps that just passed, not the number of open cases.
    pub async fn cases_to_refresh(&self, today: NaiveDate, limit: i64) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(dialect!(
            self.backend,
            ["SELECT DISTINCT c.reference FROM steps s "],
            sqlite: "INDEXED BY steps_due",
            postgres: "",
            [
                " JOIN cases c ON c.id = s.case_id
             WHERE s.state IN ('open', 'overdue') AND s.state = 'open' AND s.due < $1 AND c.status = 'open' LIMIT $2"
            ]
        ))
        .bind(today.to_string())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}

fn reminder_from_row(r: &AnyRow) -> Result<ReminderRow> {
    let payload: String = r.get("payload");
    let send_at: String = r.get("send_at");
    let due: Option<String> = r.get("due_on");
    let acked: Option<String> = r.get("acknowledged_at");
    Ok(ReminderRow {
        id: r.get("id"),
        key: r.get("idempotency_key"),
        case_id: r.get("case_id"),
        step: r.get("step"),
        due_on: date(due)?,
        kind: {
            let code: String = r.get("kind");
            MessageKind::parse(&code)
                .ok_or_else(|| StoreError::Corrupt(format!("sorte de message « {code} »")))?
        },
        role: r.get("role"),
        send_at: parse_ts(&send_at)?,
        late: flag(r, "late"),
        payload: from_json(&payload)?,
        acknowledged: acked.is_some(),
    })
}
