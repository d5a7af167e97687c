//! The PostgreSQL schema, created and migrated by the backend itself.
//!
//! Everything lives in one PostgreSQL schema of its own (default `subledger`), so a
//! database can hold several ledgers, or a ledger beside other applications. The
//! version applied is kept in `schema_version`; migrations are forward only, applied
//! in one transaction under an advisory lock, so nodes starting together migrate once.

use deadpool_postgres::Client;

use super::pg_error;
use crate::StoreError;

/// The schema version this build writes.
pub const SCHEMA_VERSION: i32 = 1;

/// The migrations, in order: `MIGRATIONS[i]` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: the log, snapshots and unique claims.
    r#"
    CREATE TABLE events (
        -- Assigned under the append lock as max + 1: gap-free and in commit order.
        position bigint PRIMARY KEY,
        stream text NOT NULL,
        version bigint NOT NULL,
        event_id uuid NOT NULL UNIQUE,
        event_type text NOT NULL,
        schema_version integer NOT NULL,
        data bytea NOT NULL,
        metadata bytea NOT NULL,
        UNIQUE (stream, version)
    );
    CREATE TABLE snapshots (
        stream text PRIMARY KEY,
        version bigint NOT NULL,
        schema_version integer NOT NULL,
        data bytea NOT NULL
    );
    CREATE TABLE claims (
        key text PRIMARY KEY,
        stream text NOT NULL
    );
    "#,
];

/// The advisory lock key taken while migrating (any constant distinct from the
/// append lock; both are scoped by the schema name's hash).
const MIGRATION_LOCK: i32 = 0x6d69_6772; // "migr"

/// Creates the schema if needed and brings it to [`SCHEMA_VERSION`]; refuses a
/// schema written by a newer build.
pub(super) async fn migrate(client: &mut Client, schema: &str) -> Result<(), StoreError> {
    let tx = client.transaction().await.map_err(pg_error)?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext($1), $2)",
        &[&schema, &MIGRATION_LOCK],
    )
    .await
    .map_err(pg_error)?;
    tx.batch_execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS {schema};
         CREATE TABLE IF NOT EXISTS {schema}.schema_version (version integer NOT NULL);"
    ))
    .await
    .map_err(pg_error)?;
    let row = tx
        .query_opt(&format!("SELECT version FROM {schema}.schema_version"), &[])
        .await
        .map_err(pg_error)?;
    let current: i32 = match row {
        Some(r) => r.get(0),
        None => {
            tx.execute(
                &format!("INSERT INTO {schema}.schema_version (version) VALUES (0)"),
                &[],
            )
            .await
            .map_err(pg_error)?;
            0
        }
    };
    if current > SCHEMA_VERSION {
        return Err(StoreError::IncompatibleSchema(format!(
            "schema {schema:?} is at version {current}; this build knows up to {SCHEMA_VERSION}"
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        tx.batch_execute(&format!("SET LOCAL search_path TO {schema}; {sql}"))
            .await
            .map_err(pg_error)?;
        tx.execute(
            &format!("UPDATE {schema}.schema_version SET version = $1"),
            &[&(i as i32 + 1)],
        )
        .await
        .map_err(pg_error)?;
    }
    tx.commit().await.map_err(pg_error)
}

/// Whether `name` can be used as an unquoted schema name (it is spliced into SQL).
pub(super) fn valid_schema_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 63
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain_identifiers() {
        assert!(valid_schema_name("subledger"));
        assert!(valid_schema_name("t_1"));
        assert!(!valid_schema_name(""));
        assert!(!valid_schema_name("1abc"));
        assert!(!valid_schema_name("Sub"));
        assert!(!valid_schema_name("a;drop"));
        assert!(!valid_schema_name(&"a".repeat(64)));
    }
}
