//! The single writer thread and its group commit.
//!
//! Appends queue on a channel. The writer takes the first request, drains whatever else
//! is already queued (up to a batch limit), applies them one by one inside ONE
//! transaction and commits once, so one fsync covers the whole batch. While it waits for
//! that fsync new requests pile up and form the next batch: the busier the store, the
//! bigger the batches.
//!
//! Each append keeps its own expected-version check. A multi-event append (or one that
//! creates its stream) runs inside a savepoint, so a failure rolls back that append only;
//! a single-event append to an existing stream is one INSERT, which SQLite already rolls
//! back on its own. So one append's conflict never fails its batch-mates.

use std::collections::HashMap;
use std::fs::File;

use rusqlite::{Connection, ErrorCode, OptionalExtension, params};
use tokio::sync::{mpsc, watch};
use uuid::Uuid;

use crate::idempotency::{Found, resolve_repeat};
use crate::{AppendResult, ExpectedVersion, NewEvent, StoreError};

pub(crate) use super::requests::{AppendRequest, Command, SnapshotRequest};
use super::requests::{Outcome, into_pending};

pub(crate) struct WriterLimits {
    pub max_batch_commands: usize,
    pub max_batch_bytes: usize,
}

/// Cache entry for a stream: its interned id (None until first written) and version.
#[derive(Clone, Copy)]
struct StreamState {
    id: Option<i64>,
    version: u64,
}

/// Streams the writer knows. The writer is the only one who writes, so the cache is
/// authoritative; it is dropped whenever a transaction fails to commit.
const STREAM_CACHE_MAX: usize = 200_000;

pub(crate) struct Writer {
    conn: Connection,
    streams: HashMap<String, StreamState>,
    head_tx: watch::Sender<u64>,
    limits: WriterLimits,
    /// Tells the checkpointer that the WAL grew.
    kick: std::sync::mpsc::SyncSender<()>,
    /// Events committed since the checkpointer was last kicked, and when that was.
    since_kick: u64,
    last_kick: std::time::Instant,
    /// Held for as long as the writer lives: one writer per database file.
    _lock: File,
}

impl Writer {
    pub(crate) fn new(
        conn: Connection,
        head_tx: watch::Sender<u64>,
        limits: WriterLimits,
        lock: File,
        kick: std::sync::mpsc::SyncSender<()>,
    ) -> Self {
        Writer {
            conn,
            streams: HashMap::new(),
            head_tx,
            limits,
            kick,
            since_kick: 0,
            last_kick: std::time::Instant::now(),
            _lock: lock,
        }
    }

    /// Runs until every sender is gone, then returns (closing the database).
    pub(crate) fn run(mut self, mut rx: mpsc::Receiver<Command>) {
        let mut batch = Vec::with_capacity(self.limits.max_batch_commands);
        while let Some(first) = rx.blocking_recv() {
            let mut bytes = first.weight();
            batch.push(first);
            while batch.len() < self.limits.max_batch_commands
                && bytes < self.limits.max_batch_bytes
            {
                match rx.try_recv() {
                    Ok(cmd) => {
                        bytes += cmd.weight();
                        batch.push(cmd);
                    }
                    Err(_) => break,
                }
            }
            self.process(&mut batch);
            if self.streams.len() > STREAM_CACHE_MAX {
                self.streams.clear();
            }
        }
        // Clean shutdown: fold the WAL into the database file (best effort; readers that are
        // still open may keep part of it, which the next open recovers as usual).
        if let Err(e) = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        {
            tracing::warn!(error = %e, "checkpoint at close failed");
        }
        tracing::debug!("sqlite writer stopped");
    }

    fn process(&mut self, batch: &mut Vec<Command>) {
        let n = batch.len();
        let span = tracing::debug_span!("group_commit", commands = n);
        let _enter = span.enter();
        let mut outcomes = Vec::with_capacity(n);
        if let Err(e) = self.conn.execute_batch("BEGIN IMMEDIATE") {
            let e = StoreError::from(e);
            for cmd in batch.drain(..) {
                outcomes.push(match cmd {
                    Command::Append(a) => Outcome::Append(a.reply, Err(e.clone())),
                    Command::Snapshot(s) => Outcome::Snapshot(s.reply, Err(e.clone())),
                });
            }
            outcomes.into_iter().for_each(Outcome::send);
            return;
        }
        let mut head = match self.head() {
            Ok(h) => h,
            Err(e) => return self.abort(batch.drain(..).map(into_pending).collect(), &e),
        };
        let start_head = head;
        let mut aborted: Option<StoreError> = None;
        for cmd in batch.drain(..) {
            if aborted.is_some() {
                outcomes.push(into_pending(cmd));
                continue;
            }
            let outcome = match cmd {
                Command::Append(a) => {
                    let r = self.apply_append(&a, &mut head);
                    Outcome::Append(a.reply, r)
                }
                Command::Snapshot(s) => {
                    let r = self.apply_snapshot(&s);
                    Outcome::Snapshot(s.reply, r)
                }
            };
            // An I/O error (disk full, …) can make SQLite roll the whole transaction back:
            // then nothing in this batch survived and every member must fail, with the
            // error that did it when this member has it (a full disk stays retryable).
            if self.conn.is_autocommit() {
                aborted = Some(outcome.error().cloned().unwrap_or_else(|| {
                    StoreError::Backend("transaction rolled back by the database".into())
                }));
            }
            outcomes.push(outcome);
        }
        if let Some(e) = aborted {
            return self.abort(outcomes, &e);
        }
        match self.conn.execute_batch("COMMIT") {
            Ok(()) => {
                if head != start_head {
                    self.head_tx.send_replace(head);
                }
                self.kick_checkpointer(head - start_head);
                tracing::trace!(commands = n, head, "group commit");
                outcomes.into_iter().for_each(Outcome::send);
            }
            Err(e) => {
                let e = StoreError::from(e);
                tracing::error!(error = %e, "group commit failed");
                self.abort(outcomes, &e);
            }
        }
    }

    /// Asks for a background checkpoint every `KICK_EVENTS` events or `KICK_INTERVAL`,
    /// whichever comes first: often enough under load that the writer's own checkpoint
    /// (which restarts the WAL) finds little left to copy, rarely enough when idle-ish that
    /// checkpoint fsyncs do not compete with commit fsyncs.
    fn kick_checkpointer(&mut self, events: u64) {
        const KICK_EVENTS: u64 = 1000;
        const KICK_INTERVAL: std::time::Duration = std::time::Duration::from_millis(100);
        self.since_kick += events;
        if self.since_kick >= KICK_EVENTS || self.last_kick.elapsed() >= KICK_INTERVAL {
            self.since_kick = 0;
            self.last_kick = std::time::Instant::now();
            // Full channel = a checkpoint is already pending; that is enough.
            let _ = self.kick.try_send(());
        }
    }

    /// Rolls the transaction back (if still open), forgets cached stream versions, and
    /// fails every member of the batch with `err`.
    fn abort(&mut self, outcomes: Vec<Outcome>, err: &StoreError) {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        self.streams.clear();
        for o in outcomes {
            if o.is_ok() {
                o.fail(err).send();
            } else {
                o.send();
            }
        }
    }

    fn head(&self) -> Result<u64, StoreError> {
        let h: i64 = self
            .conn
            .prepare_cached("SELECT COALESCE(MAX(position), 0) FROM events")?
            .query_row([], |r| r.get(0))?;
        Ok(h as u64)
    }

    fn stream_state(&mut self, stream: &str) -> Result<StreamState, StoreError> {
        if let Some(s) = self.streams.get(stream) {
            return Ok(*s);
        }
        let id: Option<i64> = self
            .conn
            .prepare_cached("SELECT id FROM streams WHERE name = ?1")?
            .query_row([stream], |r| r.get(0))
            .optional()?;
        let version = match id {
            Some(id) => {
                let v: i64 = self
                    .conn
                    .prepare_cached(
                        "SELECT COALESCE(MAX(version), 0) FROM events WHERE stream_id = ?1",
                    )?
                    .query_row([id], |r| r.get(0))?;
                v as u64
            }
            None => 0,
        };
        let st = StreamState { id, version };
        self.streams.insert(stream.to_owned(), st);
        Ok(st)
    }

    fn apply_append(
        &mut self,
        request: &AppendRequest,
        head: &mut u64,
    ) -> Result<AppendResult, StoreError> {
        let (stream, expected, events) =
            (&request.stream[..], request.expected, &request.events[..]);
        let st = self.stream_state(stream)?;
        if !expected.matches(st.version) {
            // A retry of an append that already landed shows up here (the stream moved
            // on): look the first id up before calling it a conflict.
            if self.find_event(&events[0].event_id)?.is_some() {
                return self.resolve(stream, expected, events);
            }
            return Err(StoreError::WrongExpectedVersion {
                expected,
                actual: st.version,
            });
        }
        // A claim held by another stream refuses the append before anything is written;
        // only this append fails, never its batch-mates.
        self.check_claims(st, &request.claims)?;
        let use_savepoint = events.len() > 1 || st.id.is_none() || !request.claims.is_empty();
        if use_savepoint {
            self.conn.execute_batch("SAVEPOINT append")?;
        }
        let inserted = self
            .insert(stream, st, events, *head)
            .and_then(|id| self.insert_claims(id, &request.claims).map(|()| id));
        match inserted {
            Ok(id) => {
                if use_savepoint {
                    self.conn.execute_batch("RELEASE append")?;
                }
                let n = events.len() as u64;
                *head += n;
                let version = st.version + n;
                self.streams.insert(
                    stream.to_owned(),
                    StreamState {
                        id: Some(id),
                        version,
                    },
                );
                Ok(AppendResult {
                    next_version: version,
                    position: *head,
                    repeated: false,
                })
            }
            Err(e) => {
                if use_savepoint && !self.conn.is_autocommit() {
                    self.conn
                        .execute_batch("ROLLBACK TO append; RELEASE append")?;
                }
                if is_unique_violation(&e) {
                    self.resolve(stream, expected, events)
                } else {
                    Err(e.into())
                }
            }
        }
    }

    /// Inserts the events (and the stream row if new); returns the stream id.
    fn insert(
        &self,
        stream: &str,
        st: StreamState,
        events: &[NewEvent],
        head: u64,
    ) -> Result<i64, rusqlite::Error> {
        let id = match st.id {
            Some(id) => id,
            None => self
                .conn
                .prepare_cached("INSERT INTO streams (name) VALUES (?1) RETURNING id")?
                .query_row([stream], |r| r.get(0))?,
        };
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO events
               (position, stream_id, version, event_id, event_type, schema_version, data, metadata)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for (i, e) in events.iter().enumerate() {
            let i = i as i64 + 1;
            stmt.execute(params![
                head as i64 + i,
                id,
                st.version as i64 + i,
                e.event_id.as_bytes().as_slice(),
                e.event_type,
                e.schema_version,
                e.data.as_ref(),
                e.metadata.as_ref(),
            ])?;
        }
        Ok(id)
    }

    /// [`StoreError::ClaimTaken`] for the first key held by another stream than `st`'s.
    fn check_claims(&self, st: StreamState, claims: &[String]) -> Result<(), StoreError> {
        if claims.is_empty() {
            return Ok(());
        }
        let mut stmt = self
            .conn
            .prepare_cached("SELECT stream_id FROM claims WHERE key = ?1")?;
        for key in claims {
            let holder: Option<i64> = stmt.query_row([key], |r| r.get(0)).optional()?;
            if holder.is_some_and(|holder| Some(holder) != st.id) {
                return Err(StoreError::ClaimTaken { key: key.clone() });
            }
        }
        Ok(())
    }

    /// Records the claims of an append (those already held by the stream stay as they are).
    fn insert_claims(&self, stream_id: i64, claims: &[String]) -> Result<(), rusqlite::Error> {
        if claims.is_empty() {
            return Ok(());
        }
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO claims (key, stream_id) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
        )?;
        for key in claims {
            stmt.execute(params![key, stream_id])?;
        }
        Ok(())
    }

    /// `(stream name, version)` of a stored event id.
    fn find_event(&self, id: &Uuid) -> Result<Option<(String, u64)>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT s.name, e.version FROM events e JOIN streams s ON s.id = e.stream_id
                 WHERE e.event_id = ?1",
            )?
            .query_row([id.as_bytes().as_slice()], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })
            .optional()?)
    }

    /// Applies the idempotency rule to an append some of whose ids already exist.
    fn resolve(
        &mut self,
        stream: &str,
        expected: ExpectedVersion,
        events: &[NewEvent],
    ) -> Result<AppendResult, StoreError> {
        match self.find_event(&events[0].event_id)? {
            Some((found_stream, version)) => {
                let st = self.stream_state(stream)?;
                resolve_repeat(
                    stream,
                    expected,
                    events,
                    Found {
                        stream: &found_stream,
                        version,
                    },
                    |from, n| {
                        let Some(id) = st.id else {
                            return Ok(Vec::new());
                        };
                        let mut stmt = self.conn.prepare_cached(
                            "SELECT event_id, position FROM events
                             WHERE stream_id = ?1 AND version >= ?2 ORDER BY version LIMIT ?3",
                        )?;
                        let rows = stmt.query_map(params![id, from as i64, n as i64], |r| {
                            let bytes: Vec<u8> = r.get(0)?;
                            Ok((bytes, r.get::<_, i64>(1)? as u64))
                        })?;
                        let mut out = Vec::with_capacity(n);
                        for row in rows {
                            let (bytes, pos) = row?;
                            let id = Uuid::from_slice(&bytes).map_err(|e| {
                                StoreError::Corrupt(format!("event id: {e}").into())
                            })?;
                            out.push((id, pos));
                        }
                        Ok(out)
                    },
                )
            }
            None => {
                // The first id is new, so a later one collided with a stored event.
                for e in &events[1..] {
                    if let Some((s, v)) = self.find_event(&e.event_id)? {
                        return Err(StoreError::IdempotencyConflict {
                            stream: stream.to_owned(),
                            event_id: e.event_id,
                            reason: format!("event id already stored in {s:?} at version {v}"),
                        });
                    }
                }
                Err(StoreError::Backend(
                    "unique constraint failed but no event id is stored".into(),
                ))
            }
        }
    }

    fn apply_snapshot(&mut self, s: &SnapshotRequest) -> Result<(), StoreError> {
        let st = self.stream_state(&s.stream)?;
        if s.version > st.version {
            return Err(StoreError::InvalidSnapshot(format!(
                "snapshot at version {} but stream {:?} is at {}",
                s.version, s.stream, st.version
            )));
        }
        self.conn
            .prepare_cached(
                "INSERT INTO snapshots (stream, version, schema_version, data)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (stream) DO UPDATE SET
                   version = excluded.version,
                   schema_version = excluded.schema_version,
                   data = excluded.data",
            )?
            .execute(params![
                s.stream,
                s.version as i64,
                s.schema_version,
                s.data.as_ref()
            ])?;
        Ok(())
    }
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::ConstraintViolation)
}
