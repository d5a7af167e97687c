//! The ledger's Prometheus metrics: commands by type and outcome, latencies,
//! store appends, conflicts and retries.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CommandLabels {
    pub command_type: String,
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TypeLabel {
    pub command_type: String,
}

fn latency_histogram() -> Histogram {
    // 50 µs to ~1.6 s.
    Histogram::new(exponential_buckets(0.000_05, 2.0, 16))
}

/// The metrics the ledger updates; the HTTP layer registers and serves them.
#[derive(Clone)]
pub struct Metrics {
    pub commands: Family<CommandLabels, Counter>,
    pub command_seconds: Family<TypeLabel, Histogram, fn() -> Histogram>,
    pub append_seconds: Histogram,
    pub conflicts: Counter,
    pub retries: Counter,
    pub time_driven_events: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            commands: Family::default(),
            command_seconds: Family::new_with_constructor(latency_histogram),
            append_seconds: latency_histogram(),
            conflicts: Counter::default(),
            retries: Counter::default(),
            time_driven_events: Counter::default(),
        }
    }
}

impl Metrics {
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "subledger_commands",
            "Commands handled, by type and outcome",
            self.commands.clone(),
        );
        registry.register(
            "subledger_command_seconds",
            "Time to handle a command, by type",
            self.command_seconds.clone(),
        );
        registry.register(
            "subledger_store_append_seconds",
            "Time of one append to the event store",
            self.append_seconds.clone(),
        );
        registry.register(
            "subledger_version_conflicts",
            "Appends refused because another writer moved the stream",
            self.conflicts.clone(),
        );
        registry.register(
            "subledger_command_retries",
            "Commands decided again after a conflict",
            self.retries.clone(),
        );
        registry.register(
            "subledger_time_driven_events",
            "Events written by time-driven work (REN-7)",
            self.time_driven_events.clone(),
        );
    }
}
