//! Prometheus metrics: commands and their latency per channel, deliveries
//! sent and failed per channel, and gauges read from the database at
//! scrape time (outbox by state, outbox lag, open cases, late steps).

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Channel {
    pub channel: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct State {
    pub state: String,
}

/// What an operator needs to know of a channel: when it last worked, and
/// the last error if it failed since.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChannelHealth {
    pub last_ok: Option<DateTime<Utc>>,
    /// When, and what kind of failure: a fixed text, never the error itself
    /// (a server's answer may repeat a recipient's address).
    pub last_error: Option<(DateTime<Utc>, &'static str)>,
    /// The server refuses the bot's account as expired.
    pub account_expired: bool,
    /// When the account expires unless renewed, if the configuration says.
    pub account_expires_on: Option<chrono::NaiveDate>,
}

impl ChannelHealth {
    /// Failing: its last attempt failed, or its account has expired.
    pub fn failing(&self) -> bool {
        if self.account_expired {
            return true;
        }
        match (&self.last_ok, &self.last_error) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(ok), Some((err, _))) => err > ok,
        }
    }
}

pub struct Metrics {
    registry: Registry,
    health: Mutex<BTreeMap<String, ChannelHealth>>,
    pub commands: Family<Channel, Counter>,
    pub command_seconds: Family<Channel, Histogram>,
    pub sent: Family<Channel, Counter>,
    pub failed: Family<Channel, Counter>,
    pub retried: Family<Channel, Counter>,
    pub due: Family<Channel, Gauge>,
    pub reminders_decided: Counter,
    pub outbox: Family<State, Gauge>,
    pub outbox_lag_seconds: Gauge,
    pub open_cases: Gauge,
    pub overdue_steps: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("echeancier");
        let commands = Family::<Channel, Counter>::default();
        registry.register("commands", "Chat commands handled", commands.clone());
        let command_seconds = Family::<Channel, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.001, 2.0, 14))
        });
        registry.register(
            "command_seconds",
            "Time to answer a chat command",
            command_seconds.clone(),
        );
        let sent = Family::<Channel, Counter>::default();
        registry.register("deliveries_sent", "Messages delivered", sent.clone());
        let failed = Family::<Channel, Counter>::default();
        registry.register(
            "deliveries_failed",
            "Messages that failed for good",
            failed.clone(),
        );
        let retried = Family::<Channel, Counter>::default();
        registry.register(
            "deliveries_retried",
            "Attempts that failed and will be retried",
            retried.clone(),
        );
        let due = Family::<Channel, Gauge>::default();
        registry.register(
            "deliveries_due",
            "Deliveries due now and not yet sent",
            due.clone(),
        );
        let reminders_decided = Counter::default();
        registry.register(
            "reminders_decided",
            "Reminders decided by the scheduler",
            reminders_decided.clone(),
        );
        let outbox = Family::<State, Gauge>::default();
        registry.register("outbox_deliveries", "Outbox deliveries by state", outbox.clone());
        let outbox_lag_seconds = Gauge::default();
        registry.register(
            "outbox_lag_seconds",
            "Age of the oldest delivery due and not sent",
            outbox_lag_seconds.clone(),
        );
        let open_cases = Gauge::default();
        registry.register("open_cases", "Open cases", open_cases.clone());
        let overdue_steps = Gauge::default();
        registry.register(
            "overdue_steps",
            "Steps past their due date",
            overdue_steps.clone(),
        );
        Metrics {
            registry,
            health: Mutex::default(),
            commands,
            command_seconds,
            sent,
            failed,
            retried,
            due,
            reminders_decided,
            outbox,
            outbox_lag_seconds,
            open_cases,
            overdue_steps,
        }
    }
}

impl Metrics {
    pub fn channel(channel: &str) -> Channel {
        Channel {
            channel: channel.to_string(),
        }
    }

    pub fn record_ok(&self, channel: &str, at: DateTime<Utc>) {
        self.sent.get_or_create(&Metrics::channel(channel)).inc();
        self.health_mut(|h| h.entry(channel.to_string()).or_default().last_ok = Some(at));
    }

    pub fn record_error(&self, channel: &str, at: DateTime<Utc>, kind: &'static str) {
        self.health_mut(|h| {
            h.entry(channel.to_string()).or_default().last_error = Some((at, kind));
        });
    }

    pub fn set_expired(&self, channel: &str, expired: bool) {
        self.health_mut(|h| h.entry(channel.to_string()).or_default().account_expired = expired);
    }

    pub fn set_expiry(&self, channel: &str, on: chrono::NaiveDate) {
        self.health_mut(|h| h.entry(channel.to_string()).or_default().account_expires_on = Some(on));
    }

    pub fn health(&self) -> BTreeMap<String, ChannelHealth> {
        self.health.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn health_mut(&self, f: impl FnOnce(&mut BTreeMap<String, ChannelHealth>)) {
        f(&mut self.health.lock().unwrap_or_else(|e| e.into_inner()));
    }

    /// The text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
