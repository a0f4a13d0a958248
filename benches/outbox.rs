//! Outbox throughput on a real SQLite file and a real SMTP server:
//! reminders decided per second with many open cases, and emails per
//! second delivered to the local SMTP capture server (aiosmtpd).
//!
//! `cargo bench --bench outbox` (needs `.venv` from `scripts/test`);
//! `ECHEANCIER_BENCH_CASES` sets the number of cases (default 100000).

use std::sync::Arc;
use std::time::Instant;

use echeancier::scheduler::Scheduler;
use futures_util::StreamExt;
use support::{SmtpServer, at};

mod support;

/// A short staff email with its outbox key.
fn email(key: String) -> echeancier::email::Outgoing {
    echeancier::email::Outgoing {
        key,
        to: "dasen49@example.org".into(),
        subject: "Rappel".into(),
        text: "Bonjour".into(),
        html: "<p>Bonjour</p>".into(),
        lang: "fr".into(),
        ics: None,
    }
}

#[tokio::main]
async fn main() {
    let cases: i64 = std::env::var("ECHEANCIER_BENCH_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("dir");
    let (app, store, clock) =
        support::bench_app(&format!("sqlite://{}", dir.path().join("bench.db").display())).await;
    let t0 = Instant::now();
    support::replicate(&app, &store, &clock, "2026-12-09", cases - 1, "PAR-2027-").await;
    println!(
        "setup: {cases} open PAR cases in {:.1} s",
        t0.elapsed().as_secs_f64()
    );

    // 11 December, 08:31 in Paris: two reminders per case fall due.
    let smtp = SmtpServer::start();
    let mailer = smtp.mailer("dsden49@example.org");
    let mut scheduler = Scheduler::new(app.clone(), vec![]).with_sender(Arc::new(mailer));
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
    let raw = smtp.mailer("dsden49@example.org");
    let t0 = Instant::now();
    for i in 0..200 {
        raw.send(&email(format!("raw/{i}"))).await.expect("raw send");
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "raw SMTP, sequential: 200 emails in {secs:.2} s = {:.0} emails/s",
        200.0 / secs
    );

    // The pooled mailer alone: ten connections at once, no database.
    let pooled = smtp.mailer("dsden49@example.org");
    let t0 = Instant::now();
    let sends = (0..2000).map(|i| {
        let m = email(format!("pool/{i}"));
        let pooled = &pooled;
        async move { pooled.send(&m).await }
    });
    let results: Vec<_> = futures_util::stream::iter(sends)
        .buffer_unordered(10)
        .collect()
        .await;
    assert!(results.iter().all(Result::is_ok), "pooled sends");
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "pooled mailer, 10 connections: 2000 emails in {secs:.2} s = {:.0} emails/s",
        2000.0 / secs
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
