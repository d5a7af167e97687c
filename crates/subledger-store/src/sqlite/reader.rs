//! A small pool of read-only connections. In WAL mode readers never block the writer
//! (nor each other), and each read sees one consistent committed snapshot.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, params};
use tokio::sync::Semaphore;
use uuid::Uuid;

use crate::{RecordedEvent, Snapshot, StoreError};

pub(crate) struct ReadConn {
    conn: Connection,
    /// Stream id → name. Names never change once interned, so this never goes stale.
    names: HashMap<i64, String>,
    /// Payload bytes per event of the last page read: the next page's buffer is
    /// sized from it, so it is not regrown (and copied) on the way.
    bytes_per_event: usize,
}

pub(crate) struct ReadPool {
    path: PathBuf,
    cache_kib: i64,
    mmap_size: u64,
    idle: Mutex<Vec<ReadConn>>,
    permits: Semaphore,
}

impl ReadPool {
    pub(crate) fn new(
        path: PathBuf,
        size: usize,
        cache_kib: i64,
        mmap_size: u64,
    ) -> Result<Self, StoreError> {
        let pool = ReadPool {
            path,
            cache_kib,
            mmap_size,
            idle: Mutex::new(Vec::with_capacity(size)),
            permits: Semaphore::new(size.max(1)),
        };
        let conns = (0..size.max(1))
            .map(|_| pool.open())
            .collect::<Result<Vec<_>, _>>()?;
        *pool.lock() = conns;
        Ok(pool)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<ReadConn>> {
        // The guarded Vec is always in a valid state, so a poisoned lock is still usable.
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A bare read-only connection to the same database (outside the pool).
    pub(crate) fn open_connection(&self) -> Result<Connection, StoreError> {
        Ok(self.open()?.conn)
    }

    fn open(&self) -> Result<ReadConn, StoreError> {
        let conn = super::open_for_reading(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "cache_size", -self.cache_kib)?;
        conn.pragma_update(None, "mmap_size", self.mmap_size as i64)?;
        conn.set_prepared_statement_cache_capacity(16);
        Ok(ReadConn {
            conn,
            names: HashMap::new(),
            bytes_per_event: 256,
        })
    }

    /// Runs `f` on an idle connection on the blocking thread pool.
    pub(crate) async fn with<T, F>(self: &Arc<Self>, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut ReadConn) -> Result<T, StoreError> + Send + 'static,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| StoreError::Unavailable("read pool closed".into()))?;
        let conn = self.lock().pop();
        let pool = self.clone();
        let (conn, result) = tokio::task::spawn_blocking(move || {
            let mut conn = match conn {
                Some(c) => c,
                // A connection lost to a panicking read is replaced here.
                None => pool.open()?,
            };
            let r = f(&mut conn);
            Ok::<_, StoreError>((conn, r))
        })
        .await
        .map_err(|e| StoreError::Backend(format!("read task failed: {e}").into()))??;
        self.lock().push(conn);
        result
    }
}

const EVENT_COLUMNS: &str =
    "position, stream_id, version, event_id, event_type, schema_version, data, metadata";

impl ReadConn {
    pub(crate) fn connection(&self) -> &Connection {
        &self.conn
    }

    fn stream_name(&mut self, id: i64) -> Result<String, StoreError> {
        if let Some(n) = self.names.get(&id) {
            return Ok(n.clone());
        }
        let name: String = self
            .conn
            .prepare_cached("SELECT name FROM streams WHERE id = ?1")?
            .query_row([id], |r| r.get(0))?;
        if self.names.len() > 100_000 {
            self.names.clear();
        }
        self.names.insert(id, name.clone());
        Ok(name)
    }

    fn stream_id(&self, name: &str) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT id FROM streams WHERE name = ?1")?
            .query_row([name], |r| r.get(0))
            .optional()?)
    }

    /// The hot path of catch-up reads: small payloads of a whole page are copied into one
    /// shared buffer and handed out as slices of it (one allocation per page instead of two
    /// per event); large ones get their own buffer so that a retained event never pins a
    /// whole page.
    pub(crate) fn read_all(
        &mut self,
        from: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        const SHARED_MAX: usize = 16 * 1024;
        enum Blob {
            Shared(usize, usize),
            Own(Bytes),
        }
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE position > ?1 ORDER BY position LIMIT ?2"
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let expect = usize::try_from(limit).unwrap_or(usize::MAX).min(16_384);
        let mut buf: Vec<u8> = Vec::with_capacity(expect * (self.bytes_per_event * 9 / 8));
        let take = |b: &[u8], buf: &mut Vec<u8>| {
            if b.len() <= SHARED_MAX {
                let start = buf.len();
                buf.extend_from_slice(b);
                Blob::Shared(start, buf.len())
            } else {
                Blob::Own(Bytes::copy_from_slice(b))
            }
        };
        let mut raw = Vec::with_capacity(expect);
        {
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let mut rows = stmt.query(params![from as i64, limit])?;
            while let Some(row) = rows.next()? {
                let id = row.get_ref(3)?.as_blob()?;
                let event_id = Uuid::from_slice(id)
                    .map_err(|e| StoreError::Corrupt(format!("event id: {e}").into()))?;
                let data = take(row.get_ref(6)?.as_blob()?, &mut buf);
                let metadata = take(row.get_ref(7)?.as_blob()?, &mut buf);
                raw.push((
                    row.get::<_, i64>(0)? as u64,
                    row.get::<_, i64>(1)?,
                    row.get::<_, i64>(2)? as u64,
                    event_id,
                    row.get::<_, String>(4)?,
                    row.get::<_, u32>(5)?,
                    data,
                    metadata,
                ));
            }
        }
        if !raw.is_empty() {
            self.bytes_per_event = (buf.len() / raw.len()).clamp(64, SHARED_MAX);
        }
        let shared = Bytes::from(buf);
        let blob = |b: Blob| match b {
            Blob::Shared(s, e) => shared.slice(s..e),
            Blob::Own(b) => b,
        };
        let mut out = Vec::with_capacity(raw.len());
        for (position, stream_id, version, event_id, event_type, schema_version, data, metadata) in
            raw
        {
            out.push(RecordedEvent {
                stream: self.stream_name(stream_id)?,
                version,
                position,
                event_id,
                event_type,
                schema_version,
                data: blob(data),
                metadata: blob(metadata),
            });
        }
        Ok(out)
    }

    pub(crate) fn read_stream(
        &mut self,
        stream: &str,
        from_version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.read_stream_limit(stream, from_version, usize::MAX)
    }

    pub(crate) fn read_stream_limit(
        &mut self,
        stream: &str,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let Some(id) = self.stream_id(stream)? else {
            return Ok(Vec::new());
        };
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = ?1 AND version > ?2
             ORDER BY version LIMIT ?3"
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params![id, from_version as i64, limit])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let (position, _, version, event_id, event_type, schema_version, data, metadata) =
                decode(row)?;
            out.push(RecordedEvent {
                stream: stream.to_owned(),
                version,
                position,
                event_id,
                event_type,
                schema_version,
                data,
                metadata,
            });
        }
        Ok(out)
    }

    pub(crate) fn stream_version(&self, stream: &str) -> Result<u64, StoreError> {
        let v: i64 = self
            .conn
            .prepare_cached(
                "SELECT COALESCE(MAX(e.version), 0) FROM events e
                 JOIN streams s ON s.id = e.stream_id WHERE s.name = ?1",
            )?
            .query_row([stream], |r| r.get(0))?;
        Ok(v as u64)
    }

    pub(crate) fn load_snapshot(&self, stream: &str) -> Result<Option<Snapshot>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT version, schema_version, data FROM snapshots WHERE stream = ?1",
            )?
            .query_row([stream], |r| {
                Ok(Snapshot {
                    stream: stream.to_owned(),
                    version: r.get::<_, i64>(0)? as u64,
                    schema_version: r.get(1)?,
                    data: Bytes::copy_from_slice(r.get_ref(2)?.as_blob()?),
                })
            })
            .optional()?)
    }

    pub(crate) fn find_event(
        &mut self,
        event_id: Uuid,
    ) -> Result<Option<RecordedEvent>, StoreError> {
        let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE event_id = ?1");
        let found = {
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let mut rows = stmt.query([event_id.as_bytes().as_slice()])?;
            match rows.next()? {
                Some(row) => Some(decode(row)?),
                None => None,
            }
        };
        let Some((
            position,
            stream_id,
            version,
            event_id,
            event_type,
            schema_version,
            data,
            metadata,
        )) = found
        else {
            return Ok(None);
        };
        Ok(Some(RecordedEvent {
            stream: self.stream_name(stream_id)?,
            version,
            position,
            event_id,
            event_type,
            schema_version,
            data,
            metadata,
        }))
    }
}

type RawEvent = (u64, i64, u64, Uuid, String, u32, Bytes, Bytes);

fn decode(row: &Row<'_>) -> Result<RawEvent, StoreError> {
    let id = row.get_ref(3)?.as_blob()?;
    let event_id =
        Uuid::from_slice(id).map_err(|e| StoreError::Corrupt(format!("event id: {e}").into()))?;
    Ok((
        row.get::<_, i64>(0)? as u64,
        row.get(1)?,
        row.get::<_, i64>(2)? as u64,
        event_id,
        row.get(4)?,
        row.get(5)?,
        Bytes::copy_from_slice(row.get_ref(6)?.as_blob()?),
        Bytes::copy_from_slice(row.get_ref(7)?.as_blob()?),
    ))
}
