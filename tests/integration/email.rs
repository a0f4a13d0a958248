//! Email against a real SMTP server (aiosmtpd on loopback): parent notices
//! in their language with an invitation, both guardians, the oral channel,
//! working hours, retries after 4xx, alerts after 5xx, and a restart in
//! the middle of a batch.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use echeancier::app::GuardianInput;
use echeancier::email::{Mailer, message_id};
use echeancier::scheduler::Scheduler;
use mail_parser::{MessageParser, MimeHeaders};

use crate::util::{SmtpServer, TestApp, mail_app_at};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("instant")
        .with_timezone(&Utc)
}

fn guardian(email: &str, lang: &str, oral: bool) -> GuardianInput {
    GuardianInput {
        name: format!("Parent {lang}"),
        email: Some(email.into()),
        phone: Some("06 00 00 00 00".into()),
        language: lang.into(),
        needs_oral: oral,
        address: None,
    }
}

/// A PAR case; with `quiet`, its referral is far ahead so that no staff
/// reminder mixes with the parent notices under test.
async fn par_case(t: &TestApp, guardians: Vec<GuardianInput>) -> String {
    par_case_from(t, guardians, "2027-01-20").await
}

async fn par_case_from(t: &TestApp, guardians: Vec<GuardianInput>, received: &str) -> String {
    crate::util::open_par_from(t, guardians, received).await
}

/// The demo's head of school (told of the interview's date).
const HEAD: &str = "principale.0490001k@example.org";

/// What the server received, but the head of school's news.
fn to_families(smtp: &SmtpServer) -> Vec<(String, Vec<u8>)> {
    smtp.received().into_iter().filter(|(to, _)| to != HEAD).collect()
}

fn scheduler(t: &TestApp, smtp: &SmtpServer) -> Scheduler {
    let mailer = Mailer::new(&smtp.settings(), "dsden49@example.org").expect("mailer");
    Scheduler::new(t.app.clone(), vec![]).with_sender(Arc::new(mailer))
}

async fn cycle(t: &TestApp, s: &Scheduler, now: DateTime<Utc>) -> echeancier::scheduler::DeliverReport {
    t.clock.set(now);
    s.tick().await.expect("tick");
    s.deliver().await.expect("deliver")
}

#[tokio::test]
async fn parent_notices_in_their_language_with_invitation() {
    let smtp = SmtpServer::start();
    let t = mail_app_at(at("2026-12-10T09:00:00Z")).await;
    let r = par_case(
        &t,
        vec![
            guardian("parent.fr@example.org", "fr", false),
            guardian("parent.ar@example.org", "ar", true),
        ],
    )
    .await;
    let s = scheduler(&t, &smtp);
    let reply = t
        .app
        .handle(
            "console",
            "dasen",
            &format!("!rdv {r} entretien 2026-12-17 14h30"),
        )
        .await
        .expect("reply");
    assert!(
        reply.contains("2 courriels partent") && reply.contains("1 famille à appeler"),
        "{reply}"
    );
    let report = cycle(&t, &s, at("2026-12-10T09:00:00Z")).await;
    assert_eq!(report.failed, 0, "{report:?}");
    let received = smtp.received();
    let to: Vec<&str> = received.iter().map(|(to, _)| to.as_str()).collect();
    assert!(
        to.contains(&"parent.fr@example.org") && to.contains(&"parent.ar@example.org"),
        "{to:?}"
    );
    // The staff task to call the family goes to the DASEN office, without names.
    let call = received
        .iter()
        .find(|(to, _)| to == "dasen49@example.org")
        .expect("call task");
    let call = MessageParser::default().parse(&call.1).expect("parse");
    let body = call.body_text(0).expect("text");
    assert!(body.contains("Appeler la famille") && body.contains(&r), "{body}");
    assert!(!body.contains("Jeanne") && !body.contains("Parent"), "{body}");

    let fr = received
        .iter()
        .find(|(to, _)| to == "parent.fr@example.org")
        .expect("fr");
    let msg = MessageParser::default().parse(&fr.1).expect("parse");
    assert_eq!(
        msg.subject(),
        Some("Rendez-vous pour votre enfant le jeudi 17 décembre 2026")
    );
    assert!(msg.from().and_then(|f| f.first()).and_then(|a| a.address()) == Some("dsden49@example.org"));
    // The delivery key names the recipient by an opaque id, never the address.
    let key = echeancier::store::outbox::delivery_key(
        &format!("{r}/entretien/rdv-2026-12-17T1430/avis-1"),
        echeancier::channel::Channel::Email,
        "parent.fr@example.org",
    );
    assert!(!key.contains('@'), "{key}");
    assert_eq!(msg.message_id(), Some(message_id(&key).trim_matches(['<', '>'])));
    assert_eq!(
        msg.header("Content-Language").and_then(|h| h.as_text()),
        Some("fr")
    );
    let text = msg.body_text(0).expect("text");
    assert!(text.contains("le jeudi 17 décembre 2026 à 14 h 30"), "{text}");
    assert!(
        text.contains("personne de votre choix") && text.contains("02 41 00 00 49"),
        "{text}"
    );
    assert!(text.contains("Cité administrative"), "{text}");
    let html = msg.body_html(0).expect("html");
    assert!(html.contains("lang=\"fr\""), "{html}");
    let ics = msg
        .attachments()
        .find(|a| {
            a.content_type()
                .is_some_and(|c| c.c_type == "text" && c.subtype() == Some("calendar"))
        })
        .expect("invitation");
    let ics = String::from_utf8_lossy(ics.contents()).to_string();
    assert!(
        ics.contains("METHOD:PUBLISH") && ics.contains("DTSTART:20261217T133000Z"),
        "{ics}"
    );
    assert!(
        ics.contains("ORGANIZER:mailto:") && ics.contains("LOCATION:Cité administrative"),
        "{ics}"
    );

    let ar = received
        .iter()
        .find(|(to, _)| to == "parent.ar@example.org")
        .expect("ar");
    let msg = MessageParser::default().parse(&ar.1).expect("parse");
    assert_eq!(
        msg.header("Content-Language").and_then(|h| h.as_text()),
        Some("ar")
    );
    let text = msg.body_text(0).expect("text");
    assert!(text.contains("الخميس 17 ديسمبر 2026"), "{text}");
    assert!(
        text.contains("jeudi 17 décembre 2026"),
        "the French text alongside: {text}"
    );
    let html = msg.body_html(0).expect("html");
    assert!(
        html.contains("dir=\"rtl\"") && html.contains("lang=\"ar\""),
        "{html}"
    );

    // Nothing is sent twice.
    cycle(&t, &s, at("2026-12-10T09:30:00Z")).await;
    assert_eq!(smtp.received().len(), received.len());
}

#[tokio::test]
async fn a_restricted_guardian_gets_nothing_and_nights_are_respected() {
    let smtp = SmtpServer::start();
    // Thursday 10 December 2026, 22:00 in Paris.
    let t = mail_app_at(at("2026-12-10T21:00:00Z")).await;
    let r = par_case(
        &t,
        vec![
            guardian("parent.fr@example.org", "fr", false),
            guardian("restreint@example.org", "fr", false),
        ],
    )
    .await;
    sqlx::query("UPDATE guardians SET restricted = 1 WHERE email = 'restreint@example.org'")
        .execute(t.store.pool())
        .await
        .expect("restrict");
    let s = scheduler(&t, &smtp);
    t.app
        .handle("console", "dasen", &format!("!rdv {r} entretien 2026-12-17 10h"))
        .await
        .expect("reply");
    cycle(&t, &s, at("2026-12-10T21:00:00Z")).await;
    assert!(smtp.received().is_empty(), "no email to parents at night");
    cycle(&t, &s, at("2026-12-11T07:29:00Z")).await;
    assert!(smtp.received().is_empty(), "not before 08:30");
    cycle(&t, &s, at("2026-12-11T07:31:00Z")).await;
    let mut to: Vec<String> = smtp.received().into_iter().map(|(to, _)| to).collect();
    to.sort();
    // The head of school, who attends the interview, is told its date.
    assert_eq!(to, vec!["parent.fr@example.org".to_string(), HEAD.to_string()]);
}

#[tokio::test]
async fn temporary_failures_are_retried_with_backoff() {
    let smtp = SmtpServer::start();
    let t = mail_app_at(at("2026-12-10T09:00:00Z")).await;
    let r = par_case(&t, vec![guardian("tempfail@example.org", "fr", false)]).await;
    let s = scheduler(&t, &smtp);
    t.app
        .handle("console", "dasen", &format!("!rdv {r} entretien 2026-12-17 10h"))
        .await
        .expect("reply");
    let mut now = at("2026-12-10T09:00:00Z");
    let first = cycle(&t, &s, now).await;
    // The head of school's news leaves; the notice waits.
    assert_eq!((first.sent, first.retried), (1, 1), "{first:?}");
    // Not retried before its backoff.
    now += Duration::seconds(5);
    assert_eq!(cycle(&t, &s, now).await.retried, 0);
    now += Duration::minutes(2);
    let second = cycle(&t, &s, now).await;
    assert_eq!(second.retried, 1, "{second:?}");
    now += Duration::minutes(5);
    let third = cycle(&t, &s, now).await;
    assert_eq!(third.sent, 1, "{third:?}");
    assert_eq!(to_families(&smtp).len(), 1);
}

#[tokio::test]
async fn a_permanent_failure_alerts_the_responsible_staff() {
    let smtp = SmtpServer::start();
    let t = mail_app_at(at("2026-12-10T09:00:00Z")).await;
    let r = par_case(&t, vec![guardian("reject@example.org", "fr", false)]).await;
    let s = scheduler(&t, &smtp);
    let reply = t
        .app
        .handle("console", "dasen", &format!("!rdv {r} entretien 2026-12-17 10h"))
        .await
        .expect("reply");
    assert!(reply.contains("1 courriel part"), "{reply}");
    // The 550 fails the notice at once; the alert to the DASEN office
    // leaves in the same pass.
    let report = cycle(&t, &s, at("2026-12-10T09:00:00Z")).await;
    assert_eq!((report.failed, report.sent), (1, 2), "{report:?}");
    let received = to_families(&smtp);
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].0, "dasen49@example.org");
    let msg = MessageParser::default().parse(&received[0].1).expect("parse");
    let body = msg.body_text(0).expect("text");
    assert!(
        body.contains("Alerte") && body.contains("avis aux parents") && body.contains(&r),
        "{body}"
    );
    assert!(
        !body.contains("reject@example.org") || body.contains("550"),
        "{body}"
    );
    let counts = t.store.outbox_counts().await.expect("counts");
    assert_eq!(counts.failed, 1);
}

#[tokio::test]
async fn a_restart_mid_batch_loses_nothing_and_sends_nothing_twice() {
    let smtp = SmtpServer::start();
    let t = mail_app_at(at("2026-12-01T09:00:00Z")).await;
    for _ in 0..12 {
        par_case_from(&t, vec![], "2026-12-09").await;
    }
    // 11 December 08:31: each case has two reminders for the DASEN office.
    let now = at("2026-12-11T07:31:00Z");
    t.clock.set(now);
    let mut first = scheduler(&t, &smtp);
    first.tick().await.expect("tick");
    first.batch = 5;
    // The first instance claims a batch and dies before sending it.
    let claimed = t
        .store
        .claim_deliveries(now, now + first.lease, 5, &[echeancier::channel::Channel::Email])
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 5);
    drop(first);
    // A new instance starts; the dead one's lease expires, nothing is lost.
    let second = scheduler(&t, &smtp);
    t.clock.set(now + Duration::minutes(1));
    let report = second.deliver().await.expect("deliver");
    assert_eq!(report.sent, 19, "{report:?}");
    t.clock.set(now + Duration::minutes(10));
    let report = second.deliver().await.expect("deliver");
    assert_eq!(report.sent, 5, "{report:?}");
    let received = smtp.received();
    assert_eq!(received.len(), 24);
    let mut ids: Vec<String> = received
        .iter()
        .map(|(_, raw)| {
            MessageParser::default()
                .parse(raw)
                .and_then(|m| m.message_id().map(String::from))
                .expect("id")
        })
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 24, "every reminder once");
    let counts = t.store.outbox_counts().await.expect("counts");
    assert_eq!(
        (counts.pending, counts.sending, counts.sent),
        (0, 0, 24),
        "{counts:?}"
    );
}

#[tokio::test]
async fn retries_to_parents_wait_for_working_hours() {
    let smtp = SmtpServer::start();
    // Thursday 10 December 2026, 17:59 in Paris.
    let t = mail_app_at(at("2026-12-10T16:59:00Z")).await;
    let r = par_case(&t, vec![guardian("tempfail@example.org", "fr", false)]).await;
    let s = scheduler(&t, &smtp);
    t.app
        .handle("console", "dasen", &format!("!rdv {r} entretien 2026-12-17 10h"))
        .await
        .expect("reply");
    assert_eq!(cycle(&t, &s, at("2026-12-10T16:59:00Z")).await.retried, 1);
    // The retry would fall after 18:00: it waits for Friday 08:30.
    assert_eq!(cycle(&t, &s, at("2026-12-10T17:05:00Z")).await.retried, 0);
    assert_eq!(cycle(&t, &s, at("2026-12-11T07:29:00Z")).await.retried, 0);
    assert_eq!(cycle(&t, &s, at("2026-12-11T07:31:00Z")).await.retried, 1);
    assert!(to_families(&smtp).is_empty());
}

/// Failure paths name no contact: a refused address, one the server
/// repeats in its 550, and an invalid one left by older data reach the
/// alert, the logs' keys, the stored errors and `/healthz` as "responsable
/// n° N" and where the contact is kept, never as the address. Every
/// message sent passes the privacy capture (which knows these addresses).
#[tokio::test]
async fn failure_paths_name_no_contact() {
    let smtp = SmtpServer::start();
    let t = mail_app_at(at("2026-12-10T09:00:00Z")).await;
    let r = par_case(
        &t,
        vec![
            guardian("parent.fr@example.org", "fr", false),
            guardian("reject@example.org", "fr", false),
            guardian("bounce@example.org", "fr", false),
        ],
    )
    .await;
    // Older data: an address entered before contacts were validated.
    sqlx::query("INSERT INTO guardians (case_id, full_name, email, phone, language, needs_oral) SELECT id, 'Parent Secret', 'ancienne-adresse@@example', '07 11 22 33 44', 'fr', 0 FROM cases WHERE reference = $1")
        .bind(&r)
        .execute(t.store.pool())
        .await
        .expect("legacy guardian");
    let s = scheduler(&t, &smtp);
    let reply = t
        .app
        .handle("console", "dasen", &format!("!rdv {r} entretien 2026-12-17 10h"))
        .await
        .expect("reply");
    assert!(reply.contains("4 courriels partent"), "{reply}");
    let report = cycle(&t, &s, at("2026-12-10T09:00:00Z")).await;
    assert_eq!(report.failed, 3, "{report:?}");
    let alerts: Vec<String> = smtp
        .received()
        .iter()
        .filter(|(to, _)| to == "dasen49@example.org")
        .map(|(_, raw)| {
            let msg = MessageParser::default().parse(raw).expect("parse");
            format!(
                "{}\n{}",
                msg.body_text(0).expect("text"),
                msg.body_html(0).expect("html")
            )
        })
        .collect();
    assert_eq!(alerts.len(), 3, "{alerts:?}");
    for n in 2..=4 {
        let alert = alerts
            .iter()
            .find(|a| a.contains(&format!("responsable n° {n}")))
            .unwrap_or_else(|| panic!("no alert for guardian {n}: {alerts:?}"));
        assert!(
            alert.contains(&format!("echeancier case show {r} --contacts")),
            "{alert}"
        );
        assert!(!alert.contains('@') || !alert.contains("example"), "{alert}");
        assert_eq!(crate::privacy::personal_data_in(alert), None, "{alert}");
    }
    assert!(alerts.iter().any(|a| a.contains("code 550")), "{alerts:?}");
    // Keys (logged) and stored errors carry no address.
    let rows: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT idempotency_key, last_error FROM deliveries")
            .fetch_all(t.store.pool())
            .await
            .expect("rows");
    for (key, error) in &rows {
        assert!(!key.contains('@'), "{key}");
        let error = error.clone().unwrap_or_default();
        assert!(crate::privacy::personal_data_in(&error).is_none(), "{error}");
    }
    // What /healthz shows of the last failure is generic.
    let health = t.app.metrics().health();
    let (_, kind) = health["email"].last_error.expect("a failure recorded");
    assert_eq!(kind, "échec définitif d'envoi");
}
