//! Prometheus metrics: commands and their latency per channel, deliveries
//! sent and failed per channel, and gauges read from the database at
//! scrape time (outbox by state, outbox lag, open cases, late steps).

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

pub struct Metrics {
    registry: Registry,
    pub commands: Family<Channel, Counter>,
    pub command_seconds: Family<Channel, Histogram>,
    pub sent: Family<Channel, Counter>,
    pub failed: Family<Channel, Counter>,
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
            commands,
            command_seconds,
            sent,
            failed,
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

    /// The text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
