//! Outages: the homeserver stopped, the SMTP server answering 4xx for
//! everything then refusing one message for good, the database restarted.
//! Messages wait, nothing is lost or doubled, the backlog leaves in due
//! order once the service is back, and a message that cannot be delivered
//! raises an alert in the responsible room.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use echeancier::app::GuardianInput;
use echeancier::config::MatrixRoom;
use echeancier::email::Mailer;
use echeancier::scheduler::Scheduler;
use echeancier::store::leader::Leader;
use mail_parser::MessageParser;

use crate::matrix::{TURN, User, harness};
use crate::util::{SmtpServer, app_with, open_par_with};

fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("instant")
}

/// Synapse stopped until this is dropped: a failing test must not leave
/// the suite's homeserver down.
struct SynapseDown;

impl SynapseDown {
    fn stop() -> SynapseDown {
        synapse("stop");
        SynapseDown
    }
}

impl Drop for SynapseDown {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = std::panic::catch_unwind(|| synapse("resume"));
        } else {
            synapse("resume");
        }
    }
}

fn synapse(action: &str) {
    let dir = std::env::var("ECHEANCIER_TEST_SYNAPSE_DIR")
        .expect("ECHEANCIER_TEST_SYNAPSE_DIR: run scripts/test, which starts Synapse");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/synapse.sh");
    let ok = std::process::Command::new(script)
        .args([action, &dir])
        .status()
        .expect("synapse.sh");
    assert!(ok.success(), "synapse.sh {action}");
}

/// Subjects of the emails received, in arrival order.
fn subjects(smtp: &SmtpServer) -> Vec<(String, String)> {
    smtp.received()
        .iter()
        .map(|(to, raw)| {
            let m = MessageParser::default().parse(raw).expect("parse");
            (to.clone(), m.subject().unwrap_or_default().to_string())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn homeserver_and_smtp_outages_delay_but_lose_nothing() {
    let _turn = TURN.lock().await;
    let mut h = harness(at("2026-12-01T09:00:00Z")).await;
    let bot_id = h.bot.client.user_id().expect("bot").to_owned();
    let dasen = User::login("dasen").await;
    let room = dasen.encrypted_room_with(&bot_id).await;
    let room_id = room.room_id().to_owned();
    dasen.wait_membership(&room_id, &bot_id, true).await;
    let mut options = echeancier::app::Options::from_settings(
        &echeancier::config::Settings::parse(
            "demo.toml",
            echeancier::demo::CONFIG,
            Some(&echeancier::library::embedded().expect("procedures")),
        )
        .expect("demo"),
        echeancier::notice::Templates::embedded().expect("templates"),
    );
    options.console = None;
    options.matrix_rooms = vec![MatrixRoom {
        room_id: room_id.to_string(),
        establishment: None,
        departement: Some("049".into()),
        roles: vec!["dasen".into()],
        partners: false,
    }];
    h.t.app = h.t.app.clone().with_options(options);
    // Two cases referred on 9 December; the second one's family cannot be
    // written to (its address is refused for good).
    let first = open_par_with(&h.t, vec![]).await;
    let second = open_par_with(
        &h.t,
        vec![GuardianInput {
            name: "Parent Secret".into(),
            email: Some("reject@example.org".into()),
            phone: None,
            language: "fr".into(),
            needs_oral: false,
            address: None,
        }],
    )
    .await;
    let mut smtp = SmtpServer::start();
    let mailer = Mailer::new(&smtp.settings(), "dsden49@example.org").expect("mailer");
    let mut scheduler = Scheduler::new(h.t.app.clone(), vec![])
        .with_sender(Arc::new(mailer))
        .with_sender(echeancier::matrix::MatrixSender::of(h.bot.clone()));
    // One at a time, so that arrival order is sending order.
    scheduler.concurrency = 1;

    // Friday 11 December 08:31: four DASEN reminders fall due, by email and
    // in the room; the parents' notice of the second case is asked for.
    let t0 = at("2026-12-11T07:31:00Z");
    h.t.clock.set(t0);
    let reply =
        h.t.app
            .handle(
                "matrix",
                "@dasen:localhost",
                &format!("!rdv {second} entretien 2026-12-17 10h"),
            )
            .await
            .expect("reply");
    assert!(reply.contains("1 courriel part"), "{reply}");
    let decided = scheduler.tick().await.expect("tick").decided;
    // Three: setting the second case's interview convoked its parents,
    // which did its convocation.
    assert!(decided >= 3, "{decided}");

    // Both services down. The SMTP server still refuses the family's
    // address for good (550 at RCPT): that notice fails at once and its
    // alert is decided; everything else, the alert included, waits.
    let down = SynapseDown::stop();
    smtp.outage(Some(451));
    let report = scheduler.deliver().await.expect("deliver during the outage");
    let counts = h.t.store.outbox_counts().await.expect("counts");
    assert_eq!((report.sent, report.failed), (0, 1), "{report:?}");
    assert_eq!(
        (counts.sent, counts.sending, counts.failed),
        (0, 0, 1),
        "{counts:?}"
    );
    assert!(counts.pending >= 9, "everything else waits: {counts:?}");
    assert!(smtp.received().is_empty());

    // Back: the backlog drains, once each, in due order, with the alert
    // in the room.
    drop(down);
    smtp.outage(None);
    h.t.clock.set(t0 + Duration::hours(2));
    let report = scheduler.deliver().await.expect("deliver after the outage");
    assert_eq!(report.failed, 0, "{report:?}");
    let counts = h.t.store.outbox_counts().await.expect("counts");
    assert_eq!(
        (counts.pending, counts.sending, counts.failed),
        (0, 0, 1),
        "{counts:?}"
    );
    let mail = subjects(&smtp);
    let staff: Vec<&(String, String)> = mail
        .iter()
        .filter(|(to, _)| to == "dasen49@example.org")
        .collect();
    // The reminders of both cases and the alert.
    assert!(staff.len() >= 4, "{mail:?}");
    assert!(staff.iter().any(|(_, s)| s.contains("Alerte")), "{mail:?}");
    assert!(mail.iter().any(|(_, s)| s.contains(&first)) && mail.iter().any(|(_, s)| s.contains(&second)));
    // Due order: as the reminders' planned times (then their rows) say.
    let expected: Vec<String> = sqlx::query_scalar(
        "SELECT d.idempotency_key FROM deliveries d JOIN reminders r ON r.id = d.reminder_id
         WHERE d.channel = 'email' AND d.state = 'sent' ORDER BY r.send_at, d.id",
    )
    .fetch_all(h.t.store.pool())
    .await
    .expect("keys");
    let arrived: Vec<String> = smtp
        .received()
        .iter()
        .map(|(_, raw)| {
            let m = MessageParser::default().parse(raw).expect("parse");
            format!("<{}>", m.message_id().expect("id"))
        })
        .collect();
    let expected: Vec<String> = expected
        .iter()
        .map(|k| echeancier::email::message_id(k))
        .collect();
    assert_eq!(arrived, expected, "in due order, each once");
    let seen = dasen
        .until("the reminders and the alert in the room", |s| {
            s.iter().filter(|m| m.sender == bot_id.as_str()).count() >= 4
        })
        .await;
    let from_bot: Vec<&str> = seen
        .iter()
        .filter(|m| m.sender == bot_id.as_str())
        .map(|m| m.body.as_str())
        .collect();
    assert_eq!(from_bot.len(), 4, "each once: {from_bot:#?}");
    assert!(
        from_bot
            .iter()
            .any(|b| b.contains("Alerte") && b.contains(&second)),
        "{from_bot:#?}"
    );
    let _ = h.shutdown.send(true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_restart_delays_but_loses_nothing() {
    // A PostgreSQL cluster of this test's own, so that restarting it
    // disturbs no other test.
    let pg = tempfile::tempdir().expect("dir");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/postgres.sh");
    let pgdir = pg.path().join("cluster");
    let out = std::process::Command::new(&script)
        .args(["start", pgdir.to_str().expect("utf8")])
        .env("ECHEANCIER_TEST_PG_PORT", "1")
        .output()
        .expect("postgres.sh");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let admin = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let control = |action: &str| {
        let ok = std::process::Command::new(&script)
            .args([action, pgdir.to_str().expect("utf8")])
            .status()
            .expect("postgres.sh");
        assert!(ok.success(), "postgres.sh {action}");
    };

    // Short waits for a connection: each call during the outage fails after it.
    let store = echeancier::store::Store::open_with(&admin, 4, std::time::Duration::from_secs(2))
        .await
        .expect("store");
    let t = app_with(
        store,
        at("2026-12-01T09:00:00Z"),
        tempfile::tempdir().expect("dir"),
    )
    .await;
    let keys = crate::instances::seed_due_reminders(&t, 5, ["email", "email"]).await;
    assert_eq!(keys.len(), 10);
    let smtp = SmtpServer::start();
    let mailer = Mailer::new(&smtp.settings(), "dsden49@example.org").expect("mailer");
    let mut scheduler = Scheduler::new(t.app.clone(), vec![]).with_sender(Arc::new(mailer));
    let leader = Leader::new(&t.store, "planificateur");
    assert!(leader.held().await.expect("lead"));
    t.clock.set(at("2026-12-11T08:00:00Z"));
    scheduler.max_per_pass = 4;
    assert_eq!(scheduler.deliver().await.expect("deliver").sent, 4);

    control("stop");
    // Errors, not panics, and nothing changes.
    assert!(scheduler.deliver().await.is_err());
    assert!(scheduler.tick().await.is_err());
    assert!(
        !leader.held().await.unwrap_or(false),
        "no database, no leadership"
    );
    control("resume");

    scheduler.max_per_pass = usize::MAX;
    let report = scheduler.deliver().await.expect("deliver after the restart");
    assert_eq!(report.sent, 6, "{report:?}");
    assert!(leader.held().await.expect("lead again"));
    let got = crate::instances::received_by_id(&smtp);
    assert_eq!(got.len(), 10);
    assert!(got.values().all(|(n, _)| *n == 1), "{got:?}");
    let counts = t.store.outbox_counts().await.expect("counts");
    assert_eq!(
        (counts.sent, counts.pending, counts.sending),
        (10, 0, 0),
        "{counts:?}"
    );
    t.store.pool().close().await;
    control("stop");
}
