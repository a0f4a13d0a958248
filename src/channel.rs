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
}
