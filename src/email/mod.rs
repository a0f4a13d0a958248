//! Email delivery with lettre: SMTP (STARTTLS, implicit TLS, or plain
//! towards loopback) with pooled connections, or `.eml` files in a folder
//! (the embedded default). Messages are multipart (plain text and HTML),
//! may carry a calendar invitation, and have a Message-ID derived from the
//! outbox key: a retried send is recognisably the same message. `pool`
//! opens the SMTP connections itself, with TCP_NODELAY.

mod pool;

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sha2::{Digest, Sha256};

use crate::channel::{Channel, Delivery, SendError, Sender, Sent, technical};
use crate::config::{EmailMode, SmtpSecurity};

/// The TLS parameters for `host`: the public authorities (webpki's), and
/// `ca` if the configuration names one. A certificate that verifies with
/// neither is refused.
fn tls_parameters(
    host: &str,
    ca: Option<&[u8]>,
) -> Result<lettre::transport::smtp::client::TlsParameters, String> {
    use lettre::transport::smtp::client::{Certificate, TlsParameters};
    let mut builder = TlsParameters::builder(host.to_string());
    if let Some(pem) = ca {
        let cert =
            Certificate::from_pem(pem).map_err(|_| "certificat_ac : certificat PEM illisible".to_string())?;
        builder = builder.add_root_certificate(cert);
    }
    builder.build().map_err(|e| format!("SMTP {host} : {e}"))
}

/// A TLS handshake that failed, as staff read it.
const TLS_FAILURE: &str = "connexion chiffrée au serveur de courriel impossible : certificat non vérifié (voir certificat_ac dans [email])";

/// How long a connection, or an exchange, may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// An email to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The outbox idempotency key: it fixes the Message-ID.
    pub key: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub lang: String,
    /// A calendar invitation (`text/calendar; method=REQUEST`).
    pub ics: Option<String>,
}

/// The stable Message-ID of an outbox key.
pub fn message_id(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("<{hex}@echeancier>")
}

/// A failed SMTP exchange as a `SendError` whose text holds the reply code
/// only: servers repeat the recipient's address in their replies, and this
/// text reaches alerts, logs and `/healthz`.
fn smtp_failure(e: &lettre::transport::smtp::Error) -> SendError {
    match (e.status(), e.is_permanent()) {
        // Authentication refused or required: the configuration is at
        // fault, not the message, which waits until it is fixed.
        (Some(code), _) if matches!(u16::from(code), 530 | 534 | 535 | 538) => {
            SendError::Misconfigured(format!(
                "authentification refusée par le serveur de courriel (code {code}) : vérifiez l'utilisateur et le mot de passe de [email]"
            ))
        }
        (Some(code), true) => {
            SendError::Permanent(format!("refus définitif du serveur de courriel (code {code})"))
        }
        (Some(code), false) => {
            SendError::Transient(format!("refus temporaire du serveur de courriel (code {code})"))
        }
        // lettre's own refusal, such as no authentication mechanism in common.
        (None, _) if e.is_client() => SendError::Transient(
            "le serveur de courriel ne propose pas l'échange demandé (authentification ?) : vérifiez [email]"
                .into(),
        ),
        (None, _) if e.is_timeout() => SendError::Transient("le serveur de courriel ne répond pas".into()),
        (None, _) if e.is_tls() => {
            SendError::Transient("échec de la connexion chiffrée au serveur de courriel".into())
        }
        (None, _) => SendError::Transient("connexion au serveur de courriel impossible".into()),
    }
}

#[derive(Clone)]
struct ContentLanguage(String);

impl Header for ContentLanguage {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Content-Language")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ContentLanguage(s.to_string()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

enum Transport {
    Files(PathBuf),
    /// Plain (loopback) or STARTTLS: connections made here (`pool`).
    Smtp(Box<pool::Pool>),
    /// Implicit TLS: lettre's own transport.
    SmtpTls(AsyncSmtpTransport<Tokio1Executor>),
}

pub struct Mailer {
    from: Mailbox,
    transport: Transport,
    /// One-click links for reminders, when the web office runs.
    links: Option<std::sync::Arc<dyn crate::channel::ActionLinks>>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.transport {
            Transport::Files(_) => "fichiers",
            Transport::Smtp(_) | Transport::SmtpTls(_) => "smtp",
        };
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .field("transport", &kind)
            .finish()
    }
}

impl Mailer {
    pub fn new(mode: &EmailMode, from: &str) -> Result<Mailer, String> {
        let from: Mailbox = from.parse().map_err(|e| format!("expéditeur « {from} » : {e}"))?;
        let transport = match mode {
            EmailMode::Files(dir) => {
                crate::files::create_private_dir(dir)
                    .map_err(|e| format!("création de {} : {e}", dir.display()))?;
                Transport::Files(dir.clone())
            }
            EmailMode::Smtp(s) => {
                let credentials = match (&s.user, &s.password) {
                    (Some(user), Some(pass)) => Some(Credentials::new(user.clone(), pass.clone())),
                    _ => None,
                };
                let tls = || tls_parameters(&s.host, s.ca.as_deref());
                match s.security {
                    SmtpSecurity::None => Transport::Smtp(Box::new(pool::Pool::new(
                        &s.host,
                        s.port,
                        None,
                        credentials,
                        SMTP_TIMEOUT,
                    ))),
                    SmtpSecurity::StartTls => Transport::Smtp(Box::new(pool::Pool::new(
                        &s.host,
                        s.port,
                        Some(tls()?),
                        credentials,
                        SMTP_TIMEOUT,
                    ))),
                    SmtpSecurity::Tls => {
                        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host)
                            .tls(lettre::transport::smtp::client::Tls::Wrapper(tls()?))
                            .port(s.port)
                            .timeout(Some(SMTP_TIMEOUT));
                        if let Some(c) = credentials {
                            builder = builder.credentials(c);
                        }
                        Transport::SmtpTls(builder.build())
                    }
                }
            }
        };
        Ok(Mailer {
            from,
            transport,
            links: None,
        })
    }

    /// Reminders will carry one-click links instead of chat commands.
    pub fn with_links(mut self, links: std::sync::Arc<dyn crate::channel::ActionLinks>) -> Mailer {
        self.links = Some(links);
        self
    }

    /// The text and HTML of a message for `recipient`: a reminder's line of
    /// chat commands becomes its signed links.
    fn bodies(&self, m: &crate::channel::Rendered, recipient: &str) -> (String, String) {
        let (Some(links), Some(reminder)) = (&self.links, m.buttons) else {
            return (m.text.clone(), m.html.clone());
        };
        let links = links.links(recipient, reminder);
        if links.is_empty() {
            return (m.text.clone(), m.html.clone());
        }
        let mut text: Vec<&str> = m
            .text
            .lines()
            .filter(|l| !l.starts_with(crate::view::ACT))
            .collect();
        let act = links
            .iter()
            .map(|(label, url)| format!("{label} : {url}"))
            .collect::<Vec<_>>()
            .join("\n");
        text.push("Pour agir, un clic (une page de confirmation s'ouvre) :");
        let text = format!("{}\n{act}", text.join("\n"));
        let html = m
            .html
            .split("<p>")
            .filter(|p| !p.starts_with(crate::view::ACT))
            .collect::<Vec<_>>()
            .join("<p>");
        let buttons: String = links
            .iter()
            .map(|(label, url)| {
                let url = crate::view::escape_html(url);
                format!("<a href=\"{url}\">{label}</a>")
            })
            .collect::<Vec<_>>()
            .join(" · ");
        (text, format!("{html}<p>{buttons}</p>"))
    }

    /// Builds the MIME message.
    pub fn build(&self, m: &Outgoing) -> Result<Message, SendError> {
        let to: Mailbox =
            m.to.parse()
                .map_err(|_| SendError::Permanent("adresse du destinataire invalide".into()))?;
        let body = MultiPart::alternative_plain_html(m.text.clone(), m.html.clone());
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(m.subject.clone())
            .message_id(Some(message_id(&m.key)))
            .header(ContentLanguage(m.lang.clone()));
        let message = match &m.ics {
            None => builder.multipart(body),
            Some(ics) => {
                let calendar = ContentType::parse("text/calendar; method=REQUEST; charset=utf-8")
                    .map_err(|e| SendError::Permanent(technical("à la préparation de l'invitation", e)))?;
                let attachment: SinglePart =
                    Attachment::new("invitation.ics".into()).body(ics.clone(), calendar);
                builder.multipart(MultiPart::mixed().multipart(body).singlepart(attachment))
            }
        };
        message.map_err(|_| SendError::Permanent("message impossible à construire".into()))
    }

    pub async fn send(&self, m: &Outgoing) -> Result<(), SendError> {
        let message = self.build(m)?;
        match &self.transport {
            Transport::Files(dir) => {
                // Named by Message-ID: a second send rewrites the same file.
                let id = message_id(&m.key);
                let name = id.trim_matches(['<', '>']).replace('@', "_");
                let path = dir.join(format!("{name}.eml"));
                let tmp = dir.join(format!(".{name}.tmp"));
                // Parents' names and appointments: for this user only.
                crate::files::write_private_async(&tmp, &message.formatted())
                    .await
                    .map_err(|e| {
                        SendError::Transient(technical(
                            "à l'écriture du courriel",
                            format!("{} : {e}", tmp.display()),
                        ))
                    })?;
                tokio::fs::rename(&tmp, &path).await.map_err(|e| {
                    SendError::Transient(technical(
                        "à l'écriture du courriel",
                        format!("{} : {e}", path.display()),
                    ))
                })?;
                Ok(())
            }
            Transport::Smtp(pool) => match pool.send(message.envelope(), &message.formatted()).await {
                Ok(()) => Ok(()),
                Err(pool::PoolError::Smtp(e)) => Err(smtp_failure(&e)),
                Err(pool::PoolError::Connect { timed_out: true }) => Err(SendError::Transient(
                    "le serveur de courriel ne répond pas".into(),
                )),
                Err(pool::PoolError::Connect { timed_out: false }) => Err(SendError::Transient(
                    "connexion au serveur de courriel impossible".into(),
                )),
                Err(pool::PoolError::Tls) => Err(SendError::Misconfigured(TLS_FAILURE.into())),
            },
            Transport::SmtpTls(t) => match t.send(message).await {
                Ok(_) => Ok(()),
                // Before any reply, over implicit TLS: the handshake failed,
                // or the server is not there.
                Err(e) if e.status().is_none() && !e.is_timeout() && !e.is_client() => Err(
                    SendError::Transient(format!("{TLS_FAILURE}, ou serveur injoignable")),
                ),
                Err(e) => Err(smtp_failure(&e)),
            },
        }
    }
}

impl Sender for Mailer {
    fn channel(&self) -> Channel {
        Channel::Email
    }

    fn send<'a>(&'a self, d: Delivery<'a>) -> futures_util::future::BoxFuture<'a, Sent> {
        Box::pin(async move {
            let m = d.message;
            let (text, html) = self.bodies(m, d.recipient);
            crate::view::chat_out("email", &format!("{}\n{text}\n{html}", m.subject));
            Mailer::send(
                self,
                &Outgoing {
                    key: d.key.to_string(),
                    to: d.recipient.to_string(),
                    subject: m.subject.clone(),
                    text,
                    html,
                    lang: m.lang.clone(),
                    ics: m.ics.clone(),
                },
            )
            .await
            .map(|()| None)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_stable_and_distinct() {
        assert_eq!(message_id("a"), message_id("a"));
        assert_ne!(message_id("a"), message_id("b"));
        assert!(message_id("a").starts_with('<') && message_id("a").ends_with("@echeancier>"));
    }

    struct FakeLinks;

    impl crate::channel::ActionLinks for FakeLinks {
        fn links(&self, recipient: &str, reminder: i64) -> Vec<(&'static str, String)> {
            vec![(
                "Fait",
                format!("https://office/action/{reminder}/{recipient}?a=1&b=2"),
            )]
        }
    }

    #[test]
    fn reminders_carry_signed_links_instead_of_chat_commands() {
        let dir = tempfile::tempdir().expect("dir");
        let mailer =
            Mailer::new(&EmailMode::Files(dir.path().to_path_buf()), "dsden@example.org").expect("mailer");
        let lines = [
            "⏰ Rappel n° 7 — PAR-2026-0001".to_string(),
            format!("{}!etape PAR-2026-0001 entretien fait · !ack 7", crate::view::ACT),
        ];
        let m = crate::view::StaffMessage::from_lines("s".into(), &lines);
        let mut rendered = crate::channel::Rendered {
            subject: m.subject,
            text: m.text,
            html: m.html,
            lang: "fr".into(),
            ics: None,
            buttons: Some(7),
        };
        // Without the web office, the commands stay.
        let (text, _) = mailer.bodies(&rendered, "cpe@example.org");
        assert!(text.contains("!etape"), "{text}");
        let mailer = mailer.with_links(std::sync::Arc::new(FakeLinks));
        let (text, html) = mailer.bodies(&rendered, "cpe@example.org");
        assert!(
            !text.contains("!etape") && !html.contains("!etape"),
            "{text}\n{html}"
        );
        assert!(
            text.contains("Fait : https://office/action/7/cpe@example.org"),
            "{text}"
        );
        assert!(
            html.contains("href=\"https://office/action/7/cpe@example.org?a=1&amp;b=2\""),
            "{html}"
        );
        // A message without actions is left as it is.
        rendered.buttons = None;
        assert_eq!(mailer.bodies(&rendered, "cpe@example.org").0, rendered.text);
    }

    #[tokio::test]
    async fn file_transport_is_idempotent() {
        let dir = tempfile::tempdir().expect("dir");
        let mailer =
            Mailer::new(&EmailMode::Files(dir.path().to_path_buf()), "dsden@example.org").expect("mailer");
        let m = Outgoing {
            key: "k1".into(),
            to: "parent@example.org".into(),
            subject: "Rendez-vous".into(),
            text: "Bonjour".into(),
            html: "<p>Bonjour</p>".into(),
            lang: "fr".into(),
            ics: Some("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".into()),
        };
        mailer.send(&m).await.expect("sent");
        mailer.send(&m).await.expect("sent again");
        let files: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
        assert_eq!(files.len(), 1);
        let raw = std::fs::read_to_string(files[0].as_ref().expect("entry").path()).expect("eml");
        assert!(
            raw.contains(&format!("Message-ID: {}", message_id("k1"))),
            "{raw}"
        );
        assert!(raw.contains("Content-Language: fr"));
        assert!(raw.contains("text/calendar; method=REQUEST"));
        assert!(raw.contains("multipart/alternative"));
    }

    #[test]
    fn a_bad_address_is_permanent() {
        let dir = tempfile::tempdir().expect("dir");
        let mailer =
            Mailer::new(&EmailMode::Files(dir.path().to_path_buf()), "dsden@example.org").expect("mailer");
        let m = Outgoing {
            key: "k".into(),
            to: "pas une adresse".into(),
            subject: "s".into(),
            text: "t".into(),
            html: "h".into(),
            lang: "fr".into(),
            ics: None,
        };
        assert!(matches!(mailer.build(&m), Err(SendError::Permanent(_))));
    }
}
