//! Deciding: what is due by now becomes rows (reminders and their
//! deliveries, digests) before anything is sent; states are refreshed as
//! days pass, and retention runs once a day.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use echeancier_core::calendar::CalendarId;
use echeancier_core::procedure::LatePolicy;
use echeancier_core::reminder::{self, Kind, PendingStep};
use serde_json::json;

use crate::app::{App, AppError, Change};
use crate::channel::Channel;
use crate::store::outbox::{Destination, MessageKind, NewReminder};
use crate::store::{CaseRow, Store};

use super::{GRACE, Scheduler, TickReport, who};

impl Scheduler {
    /// Decides what is due by now: refreshed states, reminders, digests.
    pub async fn tick(&self) -> Result<TickReport, AppError> {
        let now = self.now();
        let today = self.app.clock.today(CalendarId::Metropole);
        let mut report = TickReport::default();
        // Bot accounts about to expire: their administrators are told.
        self.app.account_checks().await?;
        let stored = self.app.store.last_tick().await?;
        let last = match stored {
            Some(t) => t,
            // First start: today's reminders still go out, older ones never will.
            None => CalendarId::Metropole
                .time_zone()
                .from_local_datetime(&today.and_hms_opt(0, 0, 0).unwrap_or_default())
                .earliest()
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or(now),
        };
        // Late means missed while the service was down. Before the first
        // start nothing was missed: today's reminders leave on time.
        let window = Window {
            last,
            now,
            first_start: stored.is_none(),
        };
        // A case that cannot be recomputed (its procedure's earlier version
        // no longer reads) is tried once a tick, not once a batch.
        let mut tried = std::collections::BTreeSet::new();
        for _ in 0..20 {
            let refs = self.app.store.cases_to_refresh(today, 500).await?;
            let refs: Vec<String> = refs.into_iter().filter(|r| tried.insert(r.clone())).collect();
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
                    .decide_step(&mut tx, &mut cache, case_id, &step, window)
                    .await?;
                report.decided += decided;
                report.late += late;
            }
            tx.commit().await?;
        }
        self.app.metrics.reminders_decided.inc_by(report.decided as u64);
        report.digests = self.decide_digests(window).await?;
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
        window: Window,
    ) -> Result<(usize, usize), AppError> {
        let Window { last, now, .. } = window;
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
        let Some(due) = row.due.filter(|_| row.state.is_reminded()) else {
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
        let mut all = reminder::intents(
            &pending,
            &calendar,
            &self.app.options.hours,
            due + Duration::days(400),
        );
        // An information date is never late: no overdue reminder, no escalation.
        if !row.state.is_pending() {
            all.retain(|i| i.kind.by_the_day());
        }
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
            let late = window.late(intent.send_at);
            let mut role = intent.role.clone();
            let mut skipped: Option<&str> = None;
            if matches!(intent.kind, Kind::Overdue(_)) && late && Some(intent.kind) != last_overdue {
                skipped = Some("remplacé par un rappel plus récent");
            }
            if late && skipped.is_none() {
                // The procedure's policy for a late reminder, as written.
                match def.reminders.late {
                    LatePolicy::Envoyer => {}
                    LatePolicy::IgnorerAvecAvis => {
                        skipped = Some("non envoyé à temps ; politique : ignorer avec avis")
                    }
                    LatePolicy::Escalader => {
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
                kind: MessageKind::Reminder(intent.kind),
                role: Some(role.clone()),
                send_at: intent.send_at,
                late,
                payload: json!({}),
            };
            let dest_key = (role.clone(), case.establishment.clone(), case.departement.clone());
            let destinations = match cache.destinations.get(&dest_key) {
                Some(d) => d.clone(),
                None => {
                    let d = self.app.destinations(tx, &case, &role).await?;
                    cache.destinations.insert(dest_key, d.clone());
                    d
                }
            };
            let Some(id) = Store::decide(tx, &r, &destinations, now, skipped, now).await? else {
                continue;
            };
            decided += 1;
            late_count += usize::from(late);
            if skipped == Some("non envoyé à temps ; politique : ignorer avec avis") {
                self.insert_notice(
                    tx,
                    &case,
                    &role,
                    &format!("omission/{}", intent.key),
                    MessageKind::Missed,
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
        kind: MessageKind,
        payload: serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        let r = NewReminder {
            key: key.to_string(),
            case_id: Some(case.id),
            step: None,
            due_on: None,
            kind,
            role: Some(role.to_string()),
            send_at: now,
            late: false,
            payload,
        };
        let to = self.app.destinations(conn, case, role).await?;
        Store::decide(conn, &r, &to, now, None, now).await?;
        Ok(())
    }

    async fn decide_digests(&self, window: Window) -> Result<usize, AppError> {
        let Window { last, now, .. } = window;
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
            let mut recipients: Vec<(Destination, i64)> = Vec::new();
            if let Some(identity) = &self.app.options.console
                && let Some((actor, _)) = self.app.store.actor("console", identity).await?
            {
                recipients.push((
                    Destination::new(Channel::Console, identity.clone()),
                    actor.person_id,
                ));
            }
            for (person, email) in self.app.store.people_with_email().await? {
                recipients.push((Destination::new(Channel::Email, email), person));
            }
            for (to, person) in recipients {
                let key = format!("recapitulatif/{}/{}/{person}", d.expression, crate::store::ts(at));
                let r = NewReminder {
                    key: key.clone(),
                    case_id: None,
                    step: None,
                    due_on: None,
                    kind: MessageKind::Digest,
                    role: None,
                    send_at: at,
                    late: window.late(at),
                    payload: json!({"personne": person, "mois": d.month}),
                };
                if Store::decide(&mut conn, &r, &[to], now, None, now)
                    .await?
                    .is_some()
                {
                    count += 1;
                }
            }
        }
        Ok(count)
    }
}

/// What one tick decides: what fell due after `last`, up to `now`.
#[derive(Debug, Clone, Copy)]
struct Window {
    last: DateTime<Utc>,
    now: DateTime<Utc>,
    /// No tick was ever stored: `last` is the start of today, and nothing
    /// was missed.
    first_start: bool,
}

impl Window {
    /// Whether a message planned at `at` leaves late: after the grace
    /// period, and not on the first start (which is no downtime).
    fn late(&self, at: DateTime<Utc>) -> bool {
        !self.first_start && self.now - at > GRACE
    }
}

/// (calendar name, establishment)
type CalendarKey = (String, Option<String>);
/// (role, establishment, département)
type ScopeKey = (String, Option<String>, String);

/// Lookups shared by the steps of one tick.
#[derive(Default)]
struct Cache {
    calendars: BTreeMap<CalendarKey, echeancier_core::calendar::Calendar>,
    destinations: BTreeMap<ScopeKey, Vec<Destination>>,
}
