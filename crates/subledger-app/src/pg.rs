//! What the nodes of one ledger keep beside the log in its PostgreSQL schema (the
//! key vault, the refusal memory): tables created at open, on the store's own pool,
//! whose connections' `search_path` is the ledger's schema.

use deadpool_postgres::Pool;
use subledger_store::{Failure, StoreError};

/// The advisory lock (second half; the first is the schema's hash) under which a
/// node creates its tables: two nodes starting at once would otherwise race in
/// `CREATE TABLE IF NOT EXISTS`, which PostgreSQL does not make atomic.
const DDL_LOCK: i32 = 0x6464_6c00; // "ddl"

/// Why a query on the shared database failed.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error("no PostgreSQL connection: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("PostgreSQL: {0}")]
    Query(#[from] tokio_postgres::Error),
}

impl PgError {
    /// Whether the database server's disk is full (SQLSTATE 53100).
    pub fn is_storage_full(&self) -> bool {
        matches!(self, PgError::Query(e)
            if e.code() == Some(&tokio_postgres::error::SqlState::DISK_FULL))
    }

    /// As a store error, typed by what the caller should do: a lost or missing
    /// connection is worth retrying, anything else is the backend's.
    pub(crate) fn into_store_error(self) -> StoreError {
        if self.is_storage_full() {
            return StoreError::StorageFull(Failure::caused_by(self));
        }
        let retryable = match &self {
            PgError::Pool(_) => true,
            PgError::Query(e) => subledger_store::postgres::is_transient(e),
        };
        if retryable {
            StoreError::Unavailable(Failure::caused_by(self))
        } else {
            StoreError::Backend(Failure::caused_by(self))
        }
    }
}

/// Runs `ddl` (idempotent statements) once at a time across every node of the schema.
pub(crate) async fn create_tables(pool: &Pool, ddl: &str) -> Result<(), PgError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext(current_schema()), $1)",
        &[&DDL_LOCK],
    )
    .await?;
    tx.batch_execute(ddl).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use subledger_store::{PostgresConfig, PostgresStore};

    /// Two nodes' stores on one fresh schema of the server `scripts/with-postgres.sh`
    /// started.
    pub(crate) async fn two_nodes() -> (PostgresStore, PostgresStore) {
        let url = std::env::var("SUBLEDGER_PG_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .expect("SUBLEDGER_PG_URL is not set at run time: no PostgreSQL to test against");
        let config =
            PostgresConfig::new(url).schema(format!("t_{}", uuid::Uuid::new_v4().simple()));
        let a = PostgresStore::connect_with(config.clone()).await.unwrap();
        let b = PostgresStore::connect_with(config).await.unwrap();
        (a, b)
    }
}
