//! Outbox throughput on a real SQLite file and a real SMTP server:
//! reminders decided per second with many open cases, and emails per
//! second delivered to the local SMTP capture server (aiosmtpd).
//!
//! `cargo bench --bench outbox` (needs `.venv` from `scripts/test`);
//! `ECHEANCIER_BENCH_CASES` sets the number of cases (default 100000).

use std::sync::Arc;
use std::time::Instant;

use echeancier::app::{OpenCase, Who};
use echeancier::config::{EmailMode, SmtpSecurity, SmtpSettings};
use echeancier::email::Mailer;
use echeancier::scheduler::Scheduler;
use support::{SmtpCapture, at};

mod support;

#[tokio::main]
async fn main() {
    let cases: i64 = std::env::var("ECHEANCIER_BENCH_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("dir");
    let (app, clock) =
        support::bench_app(&format!("sqlite://{}", dir.path().join("bench.db").display())).await;
    let who = Who {
        actor: "bench".into(),
        channel: "bench".into(),
    };
    let template = app
        .open_case(
            OpenCase {
                procedure: "par".into(),
                establishment: Some("0490001K".into()),
                events: vec![("saisine_recue".into(), "2026-12-09".parse().expect("date"))],
                ..Default::default()
            },
            &who,
        )
        .await
        .expect("case");
    let pool = app.store.pool();
    let t0 = Instant::now();
    sqlx::query(
        "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?)
         INSERT INTO cases (reference, procedure, establishment, departement, calendar, zone, status, opened_on, created_at)
         SELECT printf('PAR-2027-%06d', n), procedure, establishment, departement, calendar, zone, status, opened_on, created_at
         FROM seq, cases WHERE cases.id = ?",
    )
    .bind(cases - 1)
    .bind(template.case.id)
    .execute(pool)
    .await
    .expect("cases");
    sqlx::query(
        "INSERT INTO case_events (case_id, event, on_date) SELECT id, 'saisine_recue', '2026-12-09' FROM cases WHERE id <> ?",
    )
    .bind(template.case.id)
    .execute(pool)
    .await
    .expect("events");
    sqlx::query(
        "INSERT INTO steps (case_id, step, position, role, state, state_detail, due, computed_due, explanation, also,
                            needs_decision, next_reminder_at)
         SELECT c.id, s.step, s.position, s.role, s.state, s.state_detail, s.due, s.computed_due, s.explanation, s.also,
                s.needs_decision, s.next_reminder_at
         FROM cases c JOIN steps s ON s.case_id = ? WHERE c.id <> ?",
    )
    .bind(template.case.id)
    .bind(template.case.id)
    .execute(pool)
    .await
    .expect("steps");
    println!(
        "setup: {cases} open PAR cases in {:.1} s",
        t0.elapsed().as_secs_f64()
    );

    // 11 December, 08:31 in Paris: two reminders per case fall due.
    let smtp = SmtpCapture::start();
    let mailer = Mailer::new(
        &EmailMode::Smtp(SmtpSettings {
            host: "127.0.0.1".into(),
            port: smtp.port,
            security: SmtpSecurity::None,
            user: None,
            password: None,
        }),
        "dsden49@example.org",
    )
    .expect("mailer");
    let mut scheduler = Scheduler::new(app.clone(), Some(Arc::new(mailer)), None, vec![]);
    clock.set(at("2026-12-11T07:31:00Z"));
    let t0 = Instant::now();
    let report = scheduler.tick().await.expect("tick");
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "decide: {} reminders for {cases} cases in {secs:.1} s = {:.0} reminders/s",
        report.decided,
        report.decided as f64 / secs
    );
    let t0 = Instant::now();
    let again = scheduler.tick().await.expect("tick");
    println!(
        "second tick at the same instant: {} decided in {:.3} s (index, no scan)",
        again.decided,
        t0.elapsed().as_secs_f64()
    );

    // The SMTP path alone, for comparison: one connection, no database.
    let raw = Mailer::new(
        &EmailMode::Smtp(SmtpSettings {
            host: "127.0.0.1".into(),
            port: smtp.port,
            security: SmtpSecurity::None,
            user: None,
            password: None,
        }),
        "dsden49@example.org",
    )
    .expect("mailer");
    let t0 = Instant::now();
    for i in 0..200 {
        raw.send(&echeancier::email::Outgoing {
            key: format!("raw/{i}"),
            to: "dasen49@example.org".into(),
            subject: "Rappel".into(),
            text: "Bonjour".into(),
            html: "<p>Bonjour</p>".into(),
            lang: "fr".into(),
            ics: None,
        })
        .await
        .expect("raw send");
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "raw SMTP, sequential: 200 emails in {secs:.2} s = {:.0} emails/s",
        200.0 / secs
    );

    let emails = 2_000usize;
    scheduler.max_per_pass = emails;
    let t0 = Instant::now();
    let sent = scheduler.deliver().await.expect("deliver");
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "deliver: {} emails to the local SMTP server in {secs:.2} s = {:.0} emails/s",
        sent.sent,
        sent.sent as f64 / secs
    );
}
