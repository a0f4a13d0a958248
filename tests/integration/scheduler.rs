//! The scheduler with an injected clock: reminders decided once, on
//! working days, silenced by acknowledgement or completion, escalated,
//! sent late once and coalesced after downtime; digests from cron.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use echeancier::email::Mailer;
use echeancier::scheduler::Scheduler;
use tokio::sync::mpsc;

use crate::util::{TestApp, app_at, open_par};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("instant")
        .with_timezone(&Utc)
}

struct Harness {
    t: TestApp,
    scheduler: Scheduler,
    console: mpsc::UnboundedReceiver<String>,
    _mail: tempfile::TempDir,
}

async fn harness(now: DateTime<Utc>, digests: Vec<echeancier::config::DigestSettings>) -> Harness {
    let t = app_at(now).await;
    let mail = tempfile::tempdir().expect("dir");
    let mailer = Mailer::new(
        &echeancier::config::EmailMode::Files(mail.path().into()),
        "x@example.org",
    )
    .expect("mailer");
    let (tx, rx) = mpsc::unbounded_channel();
    let scheduler = Scheduler::new(t.app.clone(), digests)
        .with_sender(Arc::new(mailer))
        .with_sender(Arc::new(echeancier::console::ConsoleSender(tx)));
    Harness {
        t,
        scheduler,
        console: rx,
        _mail: mail,
    }
}

impl Harness {
    async fn run_at(&mut self, now: DateTime<Utc>) -> Vec<String> {
        self.t.clock.set(now);
        self.scheduler.tick().await.expect("tick");
        self.scheduler.deliver().await.expect("deliver");
        let mut out = Vec::new();
        while let Ok(m) = self.console.try_recv() {
            out.push(m);
        }
        out
    }
}

fn about<'a>(messages: &'a [String], needle: &str) -> Vec<&'a String> {
    messages.iter().filter(|m| m.contains(needle)).collect()
}

#[tokio::test]
async fn reminders_follow_the_policy_once_each() {
    let mut h = harness(at("2026-12-01T09:00:00Z"), vec![]).await;
    let r = open_par(&h.t).await;
    assert!(h.run_at(at("2026-12-01T09:00:00Z")).await.is_empty());
    // Convocation due Fri 11 Dec: reminded 1 working day before, at 08:30 Paris.
    assert!(h.run_at(at("2026-12-10T07:29:00Z")).await.is_empty());
    let m = h.run_at(at("2026-12-10T07:31:00Z")).await;
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(
        m[0].contains(&r) && m[0].contains("Convocation des parents") && m[0].contains("dans 1 jour ouvré"),
        "{}",
        m[0]
    );
    assert!(!m[0].contains("Jeanne") && !m[0].contains("4e Z"));
    // Deciding again at the same time sends nothing more.
    assert!(h.run_at(at("2026-12-10T07:40:00Z")).await.is_empty());
    // 11 Dec: the interview's 5-working-days reminder and the convocation's last day.
    let m = h.run_at(at("2026-12-11T07:31:00Z")).await;
    assert_eq!(m.len(), 2, "{m:?}");
    assert_eq!(about(&m, "dans 5 jours ouvrés").len(), 1);
    assert_eq!(about(&m, "aujourd'hui, dernier jour").len(), 1);
    // The convocation is done: no overdue reminder for it on Monday.
    let reply =
        h.t.app
            .handle(
                "console",
                "dasen",
                &format!("!etape {r} convocation fait 2026-12-11"),
            )
            .await;
    assert!(reply.expect("reply").contains("faite"));
    let m = h.run_at(at("2026-12-14T07:31:00Z")).await;
    assert!(about(&m, "Convocation").is_empty(), "{m:?}");
    // 16 Dec: 2 working days before the interview (Fri 18).
    let m = h.run_at(at("2026-12-16T07:31:00Z")).await;
    assert_eq!(about(&m, "dans 2 jours ouvrés").len(), 1, "{m:?}");
    let m = h.run_at(at("2026-12-18T07:31:00Z")).await;
    assert_eq!(about(&m, "Entretien").len(), 1, "{m:?}");
    // Mon 21: first overdue day, and the escalation to the head of school.
    let m = h.run_at(at("2026-12-21T07:31:00Z")).await;
    assert_eq!(m.len(), 2, "{m:?}");
    let escalation = about(&m, "Escalade");
    assert_eq!(escalation.len(), 1, "{m:?}");
    assert!(escalation[0].contains("dépassée de 1 jour ouvré"));
    // Acknowledging silences the daily overdue reminders.
    let overdue = about(&m, "⏰ Rappel n° ")[0].clone();
    let id: String = overdue
        .trim_start_matches("⏰ Rappel n° ")
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let reply =
        h.t.app
            .handle("console", "dasen", &format!("!ack {id}"))
            .await
            .expect("reply");
    assert!(reply.contains("vu, merci"), "{reply}");
    let reply =
        h.t.app
            .handle("console", "cpe", &format!("!ack {id}"))
            .await
            .expect("reply");
    assert!(reply.contains("autre rôle"), "{reply}");
    assert!(h.run_at(at("2026-12-22T07:31:00Z")).await.is_empty());
    let trail = h.t.store.audit_trail(&r).await.expect("audit");
    assert!(trail.iter().any(|e| e.action == "accuse_reception"));
}

#[tokio::test]
async fn downtime_sends_missed_reminders_late_once_and_coalesced() {
    let mut h = harness(at("2026-12-01T09:00:00Z"), vec![]).await;
    let r = open_par(&h.t).await;
    h.t.app
        .handle(
            "console",
            "dasen",
            &format!("!etape {r} convocation fait 2026-12-01"),
        )
        .await
        .expect("reply");
    assert!(h.run_at(at("2026-12-11T07:31:00Z")).await.len() == 1);
    // Down from 11 to 23 December.
    let m = h.run_at(at("2026-12-23T09:00:00Z")).await;
    assert_eq!(m.len(), 1, "one coalesced message: {m:?}");
    let text = &m[0];
    assert!(text.contains("n'ont pas pu partir à l'heure prévue"), "{text}");
    assert!(text.contains("prévu le mercredi 16 décembre 2026"), "{text}");
    assert!(text.contains("prévu le vendredi 18 décembre 2026"), "{text}");
    assert!(text.contains("Escalade"), "{text}");
    // Of the three overdue days, only the latest is sent.
    assert!(text.contains("dépassée de 3 jours ouvrés"), "{text}");
    assert_eq!(text.matches("⏰ Rappel").count(), 3, "{text}");
    // Nothing is sent twice.
    assert!(h.run_at(at("2026-12-23T09:05:00Z")).await.is_empty());
    let counts = h.t.store.outbox_counts().await.expect("counts");
    assert_eq!(counts.pending, 0, "{counts:?}");
    assert!(counts.skipped >= 2, "{counts:?}");
}

/// The very first start is no downtime: the reminders planned earlier
/// that day leave, on time (not marked late), and only those.
#[tokio::test]
async fn the_first_start_sends_today_s_reminders_on_time() {
    // Thursday 10 December, 11:00 in Paris: the convocation's reminder
    // (due Friday 11) was planned at 08:30.
    let mut h = harness(at("2026-12-10T10:00:00Z"), vec![]).await;
    let r = open_par(&h.t).await;
    h.t.clock.set(at("2026-12-10T10:00:00Z"));
    let report = h.scheduler.tick().await.expect("tick");
    assert_eq!((report.decided, report.late), (1, 0), "{report:?}");
    h.scheduler.deliver().await.expect("deliver");
    let mut m = Vec::new();
    while let Ok(s) = h.console.try_recv() {
        m.push(s);
    }
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(
        m[0].contains(&r) && m[0].contains("dans 1 jour ouvré"),
        "{}",
        m[0]
    );
    assert!(!m[0].contains("en retard"), "{}", m[0]);
    let late: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reminders WHERE late <> 0")
        .fetch_one(h.t.store.pool())
        .await
        .expect("count");
    assert_eq!(late, 0);
    // Once a tick is stored, a stop counts: down from Thursday to Monday
    // 14 December, 11:00, the interview's reminder of Friday 11 leaves
    // late, with the day and time it was planned for.
    let m = h.run_at(at("2026-12-14T10:00:00Z")).await;
    let late = about(&m, "en retard : prévu le vendredi 11 décembre 2026 à 8 h 30");
    assert!(late.iter().any(|m| m.contains("Entretien")), "{m:?}");
}

#[tokio::test]
async fn a_rescheduled_step_gets_fresh_reminders_and_old_ones_lapse() {
    let mut h = harness(at("2026-12-01T09:00:00Z"), vec![]).await;
    let r = open_par(&h.t).await;
    h.t.app
        .handle(
            "console",
            "dasen",
            &format!("!etape {r} convocation fait 2026-12-01"),
        )
        .await
        .expect("reply");
    h.run_at(at("2026-12-11T07:31:00Z")).await;
    let reply =
        h.t.app
            .handle(
                "console",
                "dasen",
                &format!("!report {r} entretien 2027-01-08 confirme parents absents"),
            )
            .await
            .expect("reply");
    assert!(reply.contains("reportée"), "{reply}");
    // Nothing about the old 18 December date is sent.
    let m = h.run_at(at("2026-12-18T07:31:00Z")).await;
    assert!(m.is_empty(), "{m:?}");
    // 5 working days before 8 January 2027 (1 January is a holiday).
    let m = h.run_at(at("2026-12-31T07:31:00Z")).await;
    assert_eq!(about(&m, "vendredi 8 janvier 2027").len(), 1, "{m:?}");
    assert!(about(&m, "en retard").is_empty(), "{m:?}");
    let m = h.run_at(at("2027-01-01T10:00:00Z")).await;
    assert!(m.is_empty(), "{m:?}");
}

#[tokio::test]
async fn weekly_digest_from_cron() {
    let digest = echeancier::config::DigestSettings {
        schedule: "0 0 8 * * Mon".parse().expect("cron"),
        expression: "0 0 8 * * Mon".into(),
        month: false,
    };
    let mut h = harness(at("2026-12-04T09:00:00Z"), vec![digest]).await;
    open_par(&h.t).await;
    assert!(h.run_at(at("2026-12-04T09:00:00Z")).await.is_empty());
    let m = h.run_at(at("2026-12-07T07:05:00Z")).await;
    let digests = about(&m, "Récapitulatif");
    assert_eq!(digests.len(), 1, "{m:?}");
    assert!(
        digests[0].contains("Convocation des parents — bureau du DASEN — vendredi 11 décembre 2026"),
        "{}",
        digests[0]
    );
    assert!(about(&h.run_at(at("2026-12-07T07:10:00Z")).await, "Récapitulatif").is_empty());
}

/// Chat commands (reads, and changes that read then write) while the
/// scheduler ticks and delivers on the same SQLite file: every writer
/// waits for the lock (`BEGIN IMMEDIATE`) instead of failing with
/// "database is locked", so no reply is "Erreur interne".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_commands_and_the_scheduler_share_the_database() {
    const ROUNDS: i64 = 60;
    const COMMANDS: usize = 25;
    let start = at("2026-12-10T06:00:00Z");
    let h = harness(start, vec![]).await;
    let mut refs = Vec::new();
    for _ in 0..4 {
        refs.push(open_par(&h.t).await);
    }
    let Harness {
        t,
        scheduler,
        console: _console,
        _mail,
    } = h;
    let scheduler = Arc::new(scheduler);
    let ticker = {
        let (scheduler, clock) = (scheduler.clone(), t.clock.clone());
        tokio::spawn(async move {
            let mut failures = Vec::new();
            // An hour each round: reminders fall due, states change, the
            // outbox fills and empties.
            for i in 0..ROUNDS {
                clock.set(start + chrono::Duration::hours(i));
                if let Err(e) = scheduler.tick().await {
                    failures.push(format!("tick: {e}"));
                }
                if let Err(e) = scheduler.deliver().await {
                    failures.push(format!("deliver: {e}"));
                }
            }
            failures
        })
    };
    let mut chats = Vec::new();
    for reference in refs {
        let app = t.app.clone();
        chats.push(tokio::spawn(async move {
            let mut replies = Vec::new();
            for i in 0..COMMANDS {
                let read = format!("!dossier {reference}");
                replies.push(app.handle("console", "chef", &read).await.expect("a command"));
                // A different date each time: every one of them writes.
                let day = if i % 2 == 0 { "2026-12-09" } else { "2026-12-10" };
                let write = format!("!etape {reference} convocation fait {day}");
                replies.push(app.handle("console", "dasen", &write).await.expect("a command"));
            }
            replies
        }));
    }
    let mut replies = Vec::new();
    for chat in chats {
        replies.extend(chat.await.expect("chat task"));
    }
    let failures = ticker.await.expect("ticker");
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(replies.len(), 4 * COMMANDS * 2);
    let internal = replies.iter().filter(|r| r.contains("Erreur interne")).count();
    assert_eq!(
        internal,
        0,
        "{internal} internal errors in {} replies",
        replies.len()
    );
    // The writes were done, not refused.
    let done = replies.iter().filter(|r| r.starts_with("✅")).count();
    assert_eq!(done, 4 * COMMANDS, "{replies:?}");
}
