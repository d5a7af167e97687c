//! Whole-log scans that borrow each row instead of building a [`RecordedEvent`]:
//! what a verifier that hashes every record needs to keep up with the disk.

use std::collections::HashMap;

use rusqlite::Connection;

use super::SqliteStore;
use crate::{RecordedEvent, StoreError};

/// A record as its row holds it, borrowed for the duration of one callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordRef<'a> {
    pub position: u64,
    pub stream: &'a str,
    pub version: u64,
    pub event_id: &'a [u8; 16],
    pub event_type: &'a str,
    pub schema_version: u32,
    pub data: &'a [u8],
    pub metadata: &'a [u8],
}

impl<'a> From<&'a RecordedEvent> for RecordRef<'a> {
    fn from(r: &'a RecordedEvent) -> Self {
        RecordRef {
            position: r.position,
            stream: &r.stream,
            version: r.version,
            event_id: r.event_id.as_bytes(),
            event_type: &r.event_type,
            schema_version: r.schema_version,
            data: &r.data,
            metadata: &r.metadata,
        }
    }
}

fn corrupt(position: i64, what: &str) -> StoreError {
    StoreError::Corrupt(format!("the record at position {position} has {what}").into())
}

/// A whole-log reader on its own connection, with the stream names loaded once.
pub struct Scanner {
    conn: Connection,
    names: HashMap<i64, String>,
}

impl SqliteStore {
    /// A scanner of this log (blocking: use it off the async runtime). Several
    /// scanners may read disjoint ranges at once, each on its own thread.
    pub fn scanner(&self) -> Result<Scanner, StoreError> {
        let conn = self.inner.readers.open_connection()?;
        // A scan reads the whole file once: map all of it (SQLite caps this at its
        // compile-time maximum) instead of copying every page through read().
        conn.pragma_update(None, "mmap_size", i64::MAX)?;
        let mut scanner = Scanner {
            conn,
            names: HashMap::new(),
        };
        scanner.load_names()?;
        Ok(scanner)
    }
}

impl Scanner {
    fn load_names(&mut self) -> Result<(), StoreError> {
        load_names(&self.conn, &mut self.names)
    }

    /// Calls `f` with every record whose position is in `(after, up_to]`, in order.
    pub fn scan(
        &mut self,
        after: u64,
        up_to: u64,
        mut f: impl FnMut(&RecordRef<'_>),
    ) -> Result<(), StoreError> {
        let Scanner { conn, names } = self;
        let mut stmt = conn.prepare_cached(
            "SELECT position, stream_id, version, event_id, event_type, schema_version, data, metadata
             FROM events WHERE position > ?1 AND position <= ?2 ORDER BY position",
        )?;
        let mut rows = stmt.query([after as i64, up_to as i64])?;
        while let Some(row) = rows.next()? {
            let position: i64 = row.get(0)?;
            let stream_id: i64 = row.get(1)?;
            if !names.contains_key(&stream_id) {
                // A stream created after the names were loaded.
                load_names(conn, names)?;
            }
            let stream = names
                .get(&stream_id)
                .ok_or_else(|| corrupt(position, "an unknown stream id"))?;
            let event_id: &[u8; 16] = row
                .get_ref(3)?
                .as_blob()
                .map_err(|_| corrupt(position, "an event id that is not a blob"))?
                .try_into()
                .map_err(|_| corrupt(position, "an event id that is not 16 bytes"))?;
            let record = RecordRef {
                position: position as u64,
                stream,
                version: row.get::<_, i64>(2)? as u64,
                event_id,
                event_type: row
                    .get_ref(4)?
                    .as_str()
                    .map_err(|_| corrupt(position, "an event type that is not text"))?,
                schema_version: row.get::<_, i64>(5)? as u32,
                data: row
                    .get_ref(6)?
                    .as_bytes()
                    .map_err(|_| corrupt(position, "a payload that is not bytes"))?,
                metadata: row
                    .get_ref(7)?
                    .as_bytes()
                    .map_err(|_| corrupt(position, "metadata that is not bytes"))?,
            };
            f(&record);
        }
        Ok(())
    }
}

fn load_names(conn: &Connection, names: &mut HashMap<i64, String>) -> Result<(), StoreError> {
    let mut stmt = conn.prepare("SELECT id, name FROM streams")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        names.insert(row.get(0)?, row.get(1)?);
    }
    Ok(())
}
