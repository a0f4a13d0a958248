//! The health of the bot's chat accounts: a Tchap account expires unless
//! renewed (Synapse's account validity). The administrators hear of it 30,
//! 7 and 1 days ahead (the date the configuration gives), and when the
//! server refuses the account as expired (`ORG_MATRIX_EXPIRED_ACCOUNT`),
//! by email and on their other channels, never the account's own.

use chrono::NaiveDate;
use serde_json::json;

use crate::channel::Channel;
use crate::store::outbox::{Destination, MessageKind, NewReminder};

use super::{App, Result};

/// A bot account whose expiry the configuration gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotAccount {
    pub channel: Channel,
    pub account: String,
    pub expires_on: NaiveDate,
}

impl App {
    /// The warnings due today for the accounts whose expiry is known; each
    /// threshold is decided once (its key), whichever instance decides.
    pub async fn account_checks(&self) -> Result<usize> {
        let today = self.today();
        let checked = || self.accounts_checked.lock().unwrap_or_else(|e| e.into_inner());
        if self.options.accounts.is_empty() || *checked() == Some(today) {
            return Ok(0);
        }
        let mut decided = 0;
        for a in &self.options.accounts {
            self.metrics.set_expiry(a.channel.as_str(), a.expires_on);
            let Some(days) = echeancier_core::reminder::expiry_warning(a.expires_on, today) else {
                continue;
            };
            let key = format!(
                "compte:{}:{}:{}:{days}",
                a.channel.as_str(),
                a.account,
                a.expires_on
            );
            let payload = json!({
                "canal": a.channel.as_str(),
                "compte": a.account,
                "expire_le": a.expires_on.to_string(),
            });
            decided += self.tell_admins(a.channel, key, payload).await?;
        }
        *checked() = Some(today);
        Ok(decided)
    }

    /// The server refused `account` as expired: shown in `/healthz`, and
    /// the administrators told once a day while it lasts.
    pub async fn account_expired(&self, channel: Channel, account: &str) -> Result<usize> {
        let key = format!("compte:{}:{account}:expire:{}", channel.as_str(), self.today());
        let payload = json!({"canal": channel.as_str(), "compte": account, "expire": true});
        let told = self.tell_admins(channel, key, payload).await;
        // Health flips after the warning is a row, so whoever sees
        // "compte expiré" can count on the administrators being told.
        self.metrics.set_expired(channel.as_str(), true);
        told
    }

    /// The account answers again (renewed).
    pub fn account_valid(&self, channel: Channel) {
        self.metrics.set_expired(channel.as_str(), false);
    }

    /// Decides one message to every administrator, on every channel this
    /// instance runs but `about`. Returns how many were decided (0 when
    /// the key was decided already, or no administrator can be reached).
    async fn tell_admins(&self, about: Channel, key: String, payload: serde_json::Value) -> Result<usize> {
        let destinations: Vec<Destination> = self
            .store
            .admin_addresses()
            .await?
            .into_iter()
            .filter_map(|(c, to)| c.parse::<Channel>().ok().map(|c| (c, to)))
            .filter(|(c, _)| *c != about)
            .filter(|(c, to)| match c {
                Channel::Email => true,
                Channel::Telegram => self.options.telegram,
                Channel::Console => self.options.console.as_deref() == Some(to.as_str()),
                Channel::Matrix => false,
            })
            .map(|(c, to)| Destination::new(c, to))
            .collect();
        if destinations.is_empty() {
            tracing::warn!(
                channel = about.as_str(),
                "bot account health: no administrator to tell (administrateur = true)"
            );
            return Ok(0);
        }
        let now = self.clock.now();
        let fresh = self
            .store
            .decide_now(
                &NewReminder {
                    key,
                    case_id: None,
                    step: None,
                    due_on: None,
                    kind: MessageKind::AccountHealth,
                    role: None,
                    send_at: now,
                    late: false,
                    payload,
                },
                &destinations,
                now,
            )
            .await?;
        Ok(usize::from(fresh.is_some()))
    }
}
