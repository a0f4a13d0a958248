//! The scheduler: decides reminders (a row before a message), refreshes
//! case states as days pass, produces digests from cron expressions, and
//! delivers the outbox with retries, backoff and alerts. Time comes from
//! the app's clock: tests move a fixed clock and call `tick` and `deliver`.

mod decide;
mod deliver;

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use tokio::sync::watch;

use crate::app::{App, Who};
use crate::channel::Sender;
use crate::config::DigestSettings;
use crate::store::leader::Leader;

/// A reminder later than this after its planned time is marked late.
pub const GRACE: Duration = Duration::minutes(15);
pub const MAX_ATTEMPTS: i64 = 10;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TickReport {
    pub refreshed: usize,
    pub decided: usize,
    pub late: usize,
    pub digests: usize,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DeliverReport {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    pub skipped: usize,
}

pub struct Scheduler {
    pub app: App,
    /// One per channel this instance delivers to (see `channel::Sender`).
    senders: Vec<Arc<dyn Sender>>,
    /// Several instances deliver; one decides. `None`: always decide.
    tick_leader: Option<Arc<Leader>>,
    digests: Vec<DigestSettings>,
    pub batch: i64,
    pub lease: Duration,
    /// At most this many deliveries per `deliver` call (fairness between
    /// ticks; benchmarks use it to measure a fixed amount).
    pub max_per_pass: usize,
    /// Messages sent at the same time.
    pub concurrency: usize,
    /// Longest wait for one send before it counts as a transient failure.
    pub send_timeout: StdDuration,
}

fn who() -> Who {
    Who {
        actor: "planificateur".into(),
        channel: "planificateur".into(),
    }
}

/// Exponential backoff from 30 s to 1 h, with a jitter of ±25 % derived
/// from the key so that retries of many rows spread out.
pub fn backoff(attempts: i64, key: &str) -> Duration {
    let base = 30i64
        .saturating_mul(1i64 << attempts.clamp(1, 8).saturating_sub(1))
        .min(3600);
    let h = Sha256::digest(format!("{key}/{attempts}").as_bytes());
    let jitter = (i64::from(h[0]) * base / 2 / 255) - base / 4;
    Duration::seconds(base + jitter)
}

impl Scheduler {
    pub fn new(app: App, digests: Vec<DigestSettings>) -> Self {
        Scheduler {
            app,
            senders: Vec::new(),
            tick_leader: None,
            digests,
            batch: 200,
            lease: Duration::minutes(5),
            max_per_pass: usize::MAX,
            concurrency: 8,
            send_timeout: StdDuration::from_secs(60),
        }
    }

    /// Delivers on `sender`'s channel (one sender per channel: a second
    /// one for the same channel replaces the first).
    pub fn with_sender(mut self, sender: Arc<dyn Sender>) -> Self {
        self.senders.retain(|s| s.channel() != sender.channel());
        self.senders.push(sender);
        self
    }

    /// Decide only while holding this leadership (several instances).
    pub fn with_tick_leader(mut self, leader: Arc<Leader>) -> Self {
        self.tick_leader = Some(leader);
        self
    }

    /// The channels this instance can send on now: it claims only those.
    pub fn channels(&self) -> Vec<crate::channel::Channel> {
        self.senders
            .iter()
            .filter(|s| s.ready())
            .map(|s| s.channel())
            .collect()
    }

    fn now(&self) -> DateTime<Utc> {
        self.app.clock.now()
    }

    /// The event loop: tick and deliver every `interval` until shutdown.
    /// On shutdown the current batch finishes; nothing is left leased.
    pub async fn run(&self, interval: StdDuration, mut shutdown: watch::Receiver<bool>) {
        let mut timer = tokio::time::interval(interval);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = timer.tick() => {}
                _ = shutdown.changed() => break,
            }
            let leads = match &self.tick_leader {
                None => true,
                Some(l) => l.held().await.unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "leadership check failed");
                    false
                }),
            };
            if leads && let Err(e) = self.tick().await {
                tracing::error!(error = %e, "scheduler tick failed");
            }
            if let Err(e) = self.deliver().await {
                tracing::error!(error = %e, "delivery failed");
            }
            if *shutdown.borrow() {
                break;
            }
        }
        if let Some(l) = &self.tick_leader {
            l.release().await;
        }
        tracing::info!("scheduler stopped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_caps() {
        let b1 = backoff(1, "k").num_seconds();
        let b3 = backoff(3, "k").num_seconds();
        assert!((22..=38).contains(&b1), "{b1}");
        assert!((90..=150).contains(&b3), "{b3}");
        assert!(backoff(20, "k").num_seconds() <= 3600 + 900);
        // Different keys spread.
        let spread: std::collections::BTreeSet<i64> = (0..20)
            .map(|i| backoff(4, &format!("k{i}")).num_seconds())
            .collect();
        assert!(spread.len() > 5);
    }
}
