//! The seam between the outbox and the platforms. The scheduler renders a
//! message once, as a [`Rendered`], and hands it with its key and recipient
//! to the [`Sender`] of the delivery's [`Channel`]; each adapter (email,
//! Matrix, Telegram, the console) implements `Sender` in its own module and
//! turns the message into what its platform carries. The scheduler knows
//! no platform: adding a channel is adding a `Sender`.

use std::str::FromStr;

use futures_util::future::BoxFuture;

/// Where a delivery goes. Stored as its lowercase name (`deliveries.channel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Channel {
    Console,
    Email,
    Matrix,
    Telegram,
}

impl Channel {
    pub const ALL: [Channel; 4] = [
        Channel::Console,
        Channel::Email,
        Channel::Matrix,
        Channel::Telegram,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Console => "console",
            Channel::Email => "email",
            Channel::Matrix => "matrix",
            Channel::Telegram => "telegram",
        }
    }

    /// The channel's name in a French sentence ("par courriel").
    pub fn french(self) -> &'static str {
        match self {
            Channel::Console => "la console",
            Channel::Email => "courriel",
            Channel::Matrix => "Tchap (Matrix)",
            Channel::Telegram => "Telegram",
        }
    }
}

impl std::fmt::Display for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored channel name that is none of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("canal « {0} » inconnu : console, email, matrix ou telegram")]
pub struct UnknownChannel(pub String);

impl FromStr for Channel {
    type Err = UnknownChannel;
    fn from_str(s: &str) -> Result<Channel, UnknownChannel> {
        Channel::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownChannel(s.to_string()))
    }
}

/// Why a send failed, and whether trying again may help. Texts never hold
/// a recipient's address: they reach alerts, logs and `/healthz`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("échec temporaire : {0}")]
    Transient(String),
    #[error("échec définitif : {0}")]
    Permanent(String),
    /// The channel's own configuration is at fault (a refused password, a
    /// certificate that does not verify): the message waits, its attempts
    /// untouched, until the operator fixes it.
    #[error("configuration à corriger : {0}")]
    Misconfigured(String),
    /// The service asked to wait (HTTP 429 `retry_after`).
    #[error("limite de débit : réessayer dans {0:?}")]
    RateLimited(std::time::Duration),
}

/// What marks a library's error inside a [`SendError`]'s text.
pub const TECHNICAL: &str = "erreur technique";

/// A library's error (matrix-sdk, teloxide, lettre, the system) as the
/// text of a [`SendError`]: marked, so that staff alerts say "erreur
/// technique" while the details, often in English, stay in the server's
/// log and the delivery's record. Our own texts are French sentences and
/// go without it.
pub fn technical(what: &str, e: impl std::fmt::Display) -> String {
    format!("{TECHNICAL} {what} : {e}")
}

/// A failure's text as a staff alert shows it: ours as is; a library's
/// error (from the [`TECHNICAL`] mark on) only as "erreur technique (voir
/// le journal du serveur)".
pub fn for_staff(error: &str) -> String {
    match error.find(TECHNICAL) {
        Some(at) => format!("{}{TECHNICAL} (voir le journal du serveur)", &error[..at]),
        None => error.to_string(),
    }
}

/// A message rendered once for every channel: each sender takes what its
/// platform shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
    pub lang: String,
    /// A calendar invitation (RFC 5545), for email.
    pub ics: Option<String>,
    /// The reminder whose actions (done, reschedule, seen) go with it:
    /// buttons on Telegram, a ✅ reaction on Matrix.
    pub buttons: Option<i64>,
}

/// One message to one recipient.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    /// The outbox key: it fixes Message-IDs and transaction ids, so that a
    /// retried send is recognisably the same message.
    pub key: &'a str,
    pub recipient: &'a str,
    pub message: &'a Rendered,
}

/// What a sender returns: the platform's reference of what it posted (a
/// Matrix event id, which reactions point at), if any.
pub type Sent = Result<Option<String>, SendError>;

/// A platform the outbox can deliver to.
pub trait Sender: Send + Sync {
    fn channel(&self) -> Channel;

    /// Whether it can send now (a Matrix account is synced by one instance).
    fn ready(&self) -> bool {
        true
    }

    /// Sends one message. Whatever goes on the wire passes
    /// [`crate::view::chat_out`] first, for the privacy capture.
    fn send<'a>(&'a self, delivery: Delivery<'a>) -> BoxFuture<'a, Sent>;
}

/// One-click links for a reminder, signed for its recipient: what an email
/// offers instead of chat commands. The web office implements it; the
/// email sender only asks.
pub trait ActionLinks: Send + Sync {
    /// (label, address) of each action on reminder `reminder` for the
    /// person reached at `recipient`.
    fn links(&self, recipient: &str, reminder: i64) -> Vec<(&'static str, String)>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_keep_their_stored_names() {
        for c in Channel::ALL {
            assert_eq!(c.as_str().parse::<Channel>(), Ok(c));
        }
        assert!("sms".parse::<Channel>().is_err());
    }

    #[test]
    fn staff_read_our_errors_and_not_a_library_s() {
        let ours = SendError::Permanent("refus définitif du serveur de courriel (code 550)".into());
        assert_eq!(for_staff(&ours.to_string()), ours.to_string());
        let theirs = SendError::Transient(technical(
            "du serveur Matrix",
            "the server returned an error: M_UNKNOWN",
        ));
        let text = format!("10 essais sans succès : {theirs}");
        assert_eq!(
            for_staff(&text),
            "10 essais sans succès : échec temporaire : erreur technique (voir le journal du serveur)"
        );
        assert!(
            text.contains("M_UNKNOWN"),
            "the details stay in the record: {text}"
        );
    }
}
