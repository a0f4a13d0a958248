//! What the benchmarks share: an app on the demo directory, bulk cases, and
//! the SMTP capture server of the tests.

// Each benchmark is its own crate and uses part of this module.
#![allow(dead_code, unused_imports)]

use std::sync::Arc;

use chrono::{DateTime, Utc};
use echeancier::app::{App, OpenCase, Options, Who};
use echeancier::clock::FixedClock;
use echeancier::config::Settings;
use echeancier::store::Store;

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("instant")
        .with_timezone(&Utc)
}

/// An app on `url` with the demo directory, no console, and a fixed clock
/// on 1 December 2026.
pub async fn bench_app(url: &str) -> (App, Store, Arc<FixedClock>) {
    let store = Store::open(url).await.expect("store");
    let lib = echeancier::library::embedded().expect("procedures");
    let settings = Settings::parse("demo.toml", echeancier::demo::CONFIG, Some(&lib)).expect("config");
    let mut options = Options::from_settings(
        &settings,
        echeancier::notice::Templates::embedded().expect("templates"),
    );
    options.console = None;
    let clock = Arc::new(FixedClock::new(at("2026-12-01T09:00:00Z")));
    let app = App::new(store.clone(), lib, clock.clone()).with_options(options);
    app.sync_directory(&settings).await.expect("directory");
    (app, store, clock)
}

#[path = "../../tests/support/smtp.rs"]
mod smtp;
pub use smtp::SmtpServer;

/// Opens one PAR case referred on `received` and copies it `copies` times
/// with plain SQL (the same rows the application would write). The case is
/// opened on the day of its referral (a receipt is never in the future),
/// then the clock is put back.
pub async fn replicate(
    app: &App,
    store: &Store,
    clock: &FixedClock,
    received: &str,
    copies: i64,
    prefix: &str,
) {
    use echeancier::clock::Clock;
    let who = Who {
        actor: "bench".into(),
        channel: "bench".into(),
    };
    let before = clock.now();
    let day: chrono::NaiveDate = received.parse().expect("date");
    clock.set(day.and_hms_opt(11, 0, 0).expect("noon").and_utc());
    let template = app
        .open_case(
            OpenCase {
                procedure: "par".into(),
                establishment: Some("0490001K".into()),
                events: vec![("saisine_recue".into(), received.parse().expect("date"))],
                ..Default::default()
            },
            &who,
        )
        .await
        .expect("case")
        .case
        .id;
    clock.set(before);
    if copies == 0 {
        return;
    }
    let pool = store.pool();
    let before: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM cases")
        .fetch_one(pool)
        .await
        .expect("max");
    sqlx::query(
        "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < $1)
         INSERT INTO cases (reference, procedure, establishment, departement, calendar, zone, status, opened_on, created_at)
         SELECT $3 || n, procedure, establishment, departement, calendar, zone, status, opened_on, created_at
         FROM seq, cases WHERE cases.id = $2",
    )
    .bind(copies)
    .bind(template)
    .bind(prefix.to_string())
    .execute(pool)
    .await
    .expect("cases");
    sqlx::query("INSERT INTO case_events (case_id, event, on_date) SELECT id, 'saisine_recue', $1 FROM cases WHERE id > $2")
        .bind(received.to_string())
        .bind(before)
        .execute(pool)
        .await
        .expect("events");
    sqlx::query(
        "INSERT INTO steps (case_id, step, position, role, state, state_detail, due, computed_due, explanation, also,
                            needs_decision, next_reminder_at)
         SELECT c.id, s.step, s.position, s.role, s.state, s.state_detail, s.due, s.computed_due, s.explanation, s.also,
                s.needs_decision, s.next_reminder_at
         FROM cases c JOIN steps s ON s.case_id = $1 WHERE c.id > $2",
    )
    .bind(template)
    .bind(before)
    .execute(pool)
    .await
    .expect("steps");
}
