//! Schema, migrations and integrity checks of the SQLite backend.
//!
//! The schema version lives in `PRAGMA user_version`; each migration runs in its own
//! transaction together with the version bump, so a crash mid-migration leaves the
//! previous version intact.

use rusqlite::Connection;

use crate::StoreError;

/// Migrations in order; migration `i` takes the database from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // v1: streams are interned so that events carry an integer, not the (long) name.
    // `position` is the rowid: reading the global log in order is a plain b-tree scan.
    r#"
    CREATE TABLE streams (
        id   INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
    );
    CREATE TABLE events (
        position       INTEGER PRIMARY KEY,
        stream_id      INTEGER NOT NULL REFERENCES streams(id),
        version        INTEGER NOT NULL CHECK (version >= 1),
        event_id       BLOB    NOT NULL CHECK (length(event_id) = 16),
        event_type     TEXT    NOT NULL,
        schema_version INTEGER NOT NULL,
        data           BLOB    NOT NULL,
        metadata       BLOB    NOT NULL
    );
    CREATE UNIQUE INDEX events_event_id ON events(event_id);
    CREATE UNIQUE INDEX events_stream_version ON events(stream_id, version);
    CREATE TABLE snapshots (
        stream         TEXT PRIMARY KEY,
        version        INTEGER NOT NULL,
        schema_version INTEGER NOT NULL,
        data           BLOB    NOT NULL
    );
    "#,
    // v2: unique keys claimed by appends (`EventStore::append_claiming`): each key is
    // held by one stream for good, written in the same transaction as the events.
    // Logs from v1 have no claims; the application checks those ids itself.
    r#"
    CREATE TABLE claims (
        key       TEXT    PRIMARY KEY,
        stream_id INTEGER NOT NULL REFERENCES streams(id)
    ) WITHOUT ROWID;
    "#,
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Brings the database to [`SCHEMA_VERSION`]; refuses a database from a newer build.
pub(crate) fn migrate(conn: &mut Connection) -> Result<u32, StoreError> {
    let current: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > SCHEMA_VERSION {
        return Err(StoreError::IncompatibleSchema(format!(
            "database schema version {current} is newer than this build's {SCHEMA_VERSION}"
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as u32)?;
        tx.commit()?;
        tracing::info!(version = i + 1, "sqlite store migrated");
    }
    Ok(current)
}

/// How thoroughly to check the database when opening it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IntegrityCheck {
    /// `PRAGMA integrity_check` plus the store's own invariants (contiguous positions and
    /// versions). Reads the whole database.
    Full,
    /// `PRAGMA quick_check` (b-tree structure, no index cross-check) plus an O(1) check of
    /// the head. The default: catches torn files without an index-sized cost.
    #[default]
    Quick,
    /// No check (for tests that open and reopen big databases).
    Skip,
}

/// What [`check`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrityReport {
    pub schema_version: u32,
    pub events: u64,
    pub streams: u64,
    pub last_position: u64,
}

fn pragma_check(conn: &Connection, pragma: &str) -> Result<(), StoreError> {
    let mut stmt = conn.prepare(&format!("PRAGMA {pragma}"))?;
    let lines: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<_, _>>()?;
    if lines.len() == 1 && lines[0] == "ok" {
        Ok(())
    } else {
        Err(StoreError::Corrupt(
            format!("{pragma} failed: {}", lines.join("; ")).into(),
        ))
    }
}

/// Runs the requested check and returns what it saw.
pub(crate) fn check(
    conn: &Connection,
    level: IntegrityCheck,
) -> Result<IntegrityReport, StoreError> {
    let schema_version: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    match level {
        IntegrityCheck::Full => pragma_check(conn, "integrity_check")?,
        IntegrityCheck::Quick => pragma_check(conn, "quick_check")?,
        IntegrityCheck::Skip => {}
    }
    let (last, first): (i64, Option<i64>) = conn.query_row(
        "SELECT COALESCE(MAX(position), 0), MIN(position) FROM events",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if let Some(first) = first
        && first != 1
    {
        return Err(StoreError::Corrupt(
            format!("global log starts at position {first}, not 1").into(),
        ));
    }
    let mut report = IntegrityReport {
        schema_version,
        events: last as u64,
        streams: 0,
        last_position: last as u64,
    };
    if level == IntegrityCheck::Full {
        let count: i64 = conn.query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))?;
        if count != last {
            return Err(StoreError::Corrupt(
                format!(
                    "global log has {count} events but ends at position {last}: positions have gaps"
                )
                .into(),
            ));
        }
        let bad: Option<String> = conn
            .query_row(
                "SELECT s.name FROM events e JOIN streams s ON s.id = e.stream_id
                 GROUP BY e.stream_id
                 HAVING COUNT(*) != MAX(e.version) OR MIN(e.version) != 1
                 LIMIT 1",
                [],
                |r| r.get(0),
            )
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })?;
        if let Some(name) = bad {
            return Err(StoreError::Corrupt(
                format!("stream {name:?} has non-contiguous versions").into(),
            ));
        }
        report.events = count as u64;
        let streams: i64 = conn.query_row("SELECT COUNT(*) FROM streams", [], |r| r.get(0))?;
        report.streams = streams as u64;
    }
    Ok(report)
}
