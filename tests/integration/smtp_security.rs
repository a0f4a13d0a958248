//! SMTP as production servers want it, against the capture server with a
//! self-signed certificate: STARTTLS and implicit TLS, each with
//! authentication; a wrong password is a clear French error and the
//! message waits; a certificate that does not verify is refused unless
//! its authority is configured (`[email] certificat_ac`).

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use echeancier::channel::SendError;
use echeancier::config::{EmailMode, SmtpSecurity, SmtpSettings};
use echeancier::email::{Mailer, Outgoing};
use echeancier::scheduler::Scheduler;

use crate::smtp::Security;
use crate::util::{SmtpServer, mail_app_at};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("instant")
        .with_timezone(&Utc)
}

const LOGIN: &str = "echeancier:bon-secret";

fn mode(server: &SmtpServer, security: SmtpSecurity, password: Option<&str>, trust: bool) -> EmailMode {
    EmailMode::Smtp(SmtpSettings {
        host: "127.0.0.1".into(),
        port: server.port,
        security,
        user: password.map(|_| "echeancier".into()),
        password: password.map(Into::into),
        ca: if trust { server.ca.clone() } else { None },
    })
}

fn email(key: &str) -> Outgoing {
    Outgoing {
        key: key.into(),
        to: "dasen49@example.org".into(),
        subject: "Rappel".into(),
        text: "Bonjour".into(),
        html: "<p>Bonjour</p>".into(),
        lang: "fr".into(),
        ics: None,
    }
}

#[tokio::test]
async fn starttls_and_implicit_tls_with_authentication() {
    for (tls, security) in [
        ("starttls", SmtpSecurity::StartTls),
        ("implicit", SmtpSecurity::Tls),
    ] {
        // The server refuses mail before STARTTLS (or speaks TLS only) and
        // before a login: a message it accepts came through both.
        let server = SmtpServer::start_with(Security {
            tls: Some(tls),
            auth: Some(LOGIN),
        });
        let mailer = Mailer::new(
            &mode(&server, security, Some("bon-secret"), true),
            "dsden49@example.org",
        )
        .expect("mailer");
        mailer.send(&email(&format!("k-{tls}"))).await.expect("sent");
        mailer
            .send(&email(&format!("k2-{tls}")))
            .await
            .expect("sent again, on the pooled connection");
        assert_eq!(server.received().len(), 2, "{tls}");
    }
}

#[tokio::test]
async fn a_certificate_that_does_not_verify_is_refused_unless_its_authority_is_configured() {
    for (tls, security) in [
        ("starttls", SmtpSecurity::StartTls),
        ("implicit", SmtpSecurity::Tls),
    ] {
        let server = SmtpServer::start_with(Security {
            tls: Some(tls),
            auth: None,
        });
        let untrusted =
            Mailer::new(&mode(&server, security, None, false), "dsden49@example.org").expect("mailer");
        match untrusted.send(&email("k")).await {
            Err(SendError::Transient(e) | SendError::Misconfigured(e)) => {
                assert!(
                    e.contains("certificat non vérifié") && e.contains("certificat_ac"),
                    "{tls}: {e}"
                )
            }
            other => panic!("{tls}: a self-signed certificate must be refused: {other:?}"),
        }
        assert!(
            server.received().is_empty(),
            "{tls}: nothing left over an unverified connection"
        );
        let trusted =
            Mailer::new(&mode(&server, security, None, true), "dsden49@example.org").expect("mailer");
        trusted
            .send(&email("k"))
            .await
            .expect("sent once the authority is configured");
        assert_eq!(server.received().len(), 1, "{tls}");
    }
}

#[tokio::test]
async fn a_wrong_password_is_a_clear_french_error_and_the_message_waits() {
    let server = SmtpServer::start_with(Security {
        tls: Some("starttls"),
        auth: Some(LOGIN),
    });
    let t = mail_app_at(at("2026-12-10T09:00:00Z")).await;
    let r = crate::util::open_par(&t).await;
    let wrong = Mailer::new(
        &mode(&server, SmtpSecurity::StartTls, Some("mauvais"), true),
        "dsden49@example.org",
    )
    .expect("mailer");
    let s = Scheduler::new(t.app.clone(), vec![]).with_sender(Arc::new(wrong));
    // The convocation's reminder falls due on 10 December at 08:30 Paris.
    let now = at("2026-12-10T07:31:00Z");
    t.clock.set(now);
    s.tick().await.expect("tick");
    let report = s.deliver().await.expect("deliver");
    assert!(
        report.retried >= 1 && report.sent == 0 && report.failed == 0,
        "{report:?}"
    );
    let errors: Vec<String> = sqlx::query_scalar(
        "SELECT last_error FROM deliveries WHERE channel = 'email' AND last_error IS NOT NULL",
    )
    .fetch_all(t.store.pool())
    .await
    .expect("errors");
    assert!(!errors.is_empty());
    for e in &errors {
        assert!(
            e.contains("authentification refusée") && e.contains("code 535") && e.contains("mot de passe"),
            "{e}"
        );
    }
    assert!(server.received().is_empty());
    // However long the password stays wrong, the message is not at fault:
    // no attempt is used up, nothing fails for good, and it is retried
    // every five minutes.
    for pass in 1..=12 {
        t.clock.set(now + Duration::minutes(6 * pass));
        let report = s.deliver().await.expect("deliver");
        assert_eq!((report.failed, report.sent), (0, 0), "{report:?}");
    }
    let attempts: Vec<i64> = sqlx::query_scalar("SELECT attempts FROM deliveries WHERE channel = 'email'")
        .fetch_all(t.store.pool())
        .await
        .expect("attempts");
    assert!(attempts.iter().all(|a| *a == 0), "{attempts:?}");
    // The password is fixed: the waiting reminders leave, none lost.
    let right = Mailer::new(
        &mode(&server, SmtpSecurity::StartTls, Some("bon-secret"), true),
        "dsden49@example.org",
    )
    .expect("mailer");
    let s = Scheduler::new(t.app.clone(), vec![]).with_sender(Arc::new(right));
    t.clock.set(now + Duration::hours(2));
    let report = s.deliver().await.expect("deliver");
    assert_eq!(report.sent, errors.len(), "{report:?}");
    let received = server.received();
    assert_eq!(received.len(), errors.len());
    assert!(
        received
            .iter()
            .all(|(_, raw)| String::from_utf8_lossy(raw).contains(&r)),
        "each waiting reminder is about the case"
    );
}
