//! How an [`EsdbStore`](super::EsdbStore) connects and retries.

use std::time::Duration;

/// Connection settings of [`EsdbStore`].
#[derive(Debug, Clone)]
pub struct EsdbConfig {
    /// Connection string, e.g. `esdb://localhost:2113?tls=false` (also `kurrentdb://`,
    /// `esdb+discover://` for a cluster).
    pub url: String,
    /// Prefix of every stream we write (see [`super::mapping::Namespace`]). Default `subledger`.
    pub namespace: String,
    /// How many times a call is retried while the server is unavailable.
    pub max_retries: u32,
    /// First backoff delay; doubles per retry up to `max_backoff`.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl EsdbConfig {
    pub fn new(url: impl Into<String>) -> Self {
        EsdbConfig {
            url: url.into(),
            namespace: "subledger".into(),
            max_retries: 6,
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(2),
        }
    }

    pub fn namespace(mut self, ns: impl Into<String>) -> Self {
        self.namespace = ns.into();
        self
    }
}

/// Backoff delay before retry number `attempt` (0-based).
pub(crate) fn backoff(config: &EsdbConfig, attempt: u32) -> Duration {
    config
        .initial_backoff
        .saturating_mul(1u32 << attempt.min(16))
        .min(config.max_backoff)
}
