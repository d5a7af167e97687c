//! The command path: resolve the customer → take its lock → run its due work →
//! answer a repeat from memory → decide → append → on a conflict, reload and
//! decide again.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use subledger_domain::{
    Command, CommandContext, CommandTarget, Event, Rejection, RejectionKind, decide,
};
use subledger_domain::{ids, rules};
use subledger_store::StoreError;
use tracing::{Instrument, debug, info_span};
use uuid::Uuid;

use super::cache::Slot;
use super::claims;
use super::{CommandRequest, Ledger};
use crate::codec::{self, customer_stream};
use crate::error::CommandError;
use crate::keys;
use crate::metrics::{CommandLabels, TypeLabel};
use crate::response::{CommandResponse, raw_payload};

/// What became of one append of a decided command.
enum Appended {
    Done(CommandResponse),
    /// Another writer moved the stream (or wrote this very command) first.
    Conflict,
}

/// The subscription whose key a command reveals, if it is a reveal.
fn revealed_subscription(command: &Command) -> Option<Uuid> {
    match command {
        Command::RevealKey(reveal) => Some(reveal.subscription_id),
        _ => None,
    }
}

/// The outcome label of a command's metrics.
fn outcome_label(result: &Result<CommandResponse, CommandError>) -> &'static str {
    match result {
        Ok(r) if r.dry_run => "dry_run",
        Ok(_) => "accepted",
        Err(CommandError::Rejected(r)) => match r.kind {
            RejectionKind::Rule => "rejected",
            RejectionKind::InvalidRequest => "invalid",
            RejectionKind::Forbidden => "forbidden",
            RejectionKind::NotFound => "not_found",
            RejectionKind::Conflict => "id_already_used",
        },
        Err(CommandError::VersionConflict { .. }) => "conflict",
        Err(CommandError::IdempotencyKeyReused { .. }) => "idempotency_key_reused",
        Err(_) => "error",
    }
}

/// The events of a command with their payloads as stored, as a response shows them.
fn shown(
    events: Vec<Event>,
    payloads: &[bytes::Bytes],
) -> Result<Vec<(Event, Box<RawValue>)>, CommandError> {
    events
        .into_iter()
        .zip(payloads)
        .map(|(e, p)| Ok((e, raw_payload(p)?)))
        .collect()
}

impl Ledger {
    /// Handles one command: the whole flow of ARCHITECTURE.md.
    pub async fn execute(&self, req: CommandRequest) -> Result<CommandResponse, CommandError> {
        let command_type = req.command.type_name();
        let span = info_span!(
            "command",
            command_id = %req.command_id,
            command_type,
            user = %req.actor.user,
        );
        let started = Instant::now();
        let result = self.execute_remembered(&req).instrument(span).await;
        self.metrics
            .commands
            .get_or_create(&CommandLabels {
                command_type: command_type.to_owned(),
                outcome: outcome_label(&result).to_owned(),
            })
            .inc();
        self.metrics
            .command_seconds
            .get_or_create(&TypeLabel {
                command_type: command_type.to_owned(),
            })
            .observe(started.elapsed().as_secs_f64());
        result
    }

    /// Answers a refused command's repeat as it was answered (GEN-5); remembers
    /// a new refusal.
    async fn execute_remembered(
        &self,
        req: &CommandRequest,
    ) -> Result<CommandResponse, CommandError> {
        let fingerprint = req.command.fingerprint();
        if let Some(err) = self
            .memory
            .earlier_refusal(req.command_id, &fingerprint)
            .await?
        {
            // One node may have refused a command another accepted at once: the
            // log wins, on every node, as for any repeat of an accepted command.
            if self.memory.is_shared()
                && let Some(previous) = self.previous_result(req, &fingerprint).await?
            {
                return Ok(previous);
            }
            return Err(err);
        }
        match self.execute_fresh(req, &fingerprint).await {
            Err(e) if !req.dry_run => Err(self
                .memory
                .remember_refusal(req.command_id, &fingerprint, e)
                .await),
            result => result,
        }
    }

    /// The customer a command addresses (GEN-2: an unknown id is not found).
    /// With a shared store, an id this node does not know may be another node's
    /// that the follower has not read yet: it is looked up again once the
    /// follower has read the log as far as it goes now.
    async fn resolve(&self, req: &CommandRequest) -> Result<Uuid, CommandError> {
        match (self.lookup(req), &self.follower) {
            (Err(CommandError::Rejected(r)), Some(follower))
                if r.kind == RejectionKind::NotFound =>
            {
                follower.caught_up(self.store.as_ref()).await?;
                self.lookup(req)
            }
            (found, _) => found,
        }
    }

    /// The customer a command addresses, as this node's directory knows it.
    fn lookup(&self, req: &CommandRequest) -> Result<Uuid, CommandError> {
        let directory = self.directory();
        match req.command.target() {
            CommandTarget::Customer(id) => Ok(id),
            CommandTarget::ActorsCustomer => req.actor.customer_id.ok_or_else(|| {
                Rejection::forbidden(rules::GEN_3, "only a customer's user can do this").into()
            }),
            CommandTarget::Subscription(id) => directory
                .subscription_customer(id)
                .ok_or_else(|| Rejection::not_found("subscription", id).into()),
            CommandTarget::Transfer(id) => directory
                .transfer_customer(id)
                .ok_or_else(|| Rejection::not_found("transfer", id).into()),
        }
    }

    async fn previous_result(
        &self,
        req: &CommandRequest,
        fingerprint: &str,
    ) -> Result<Option<CommandResponse>, CommandError> {
        self.memory
            .previous_result(
                self.store.as_ref(),
                self.keys.as_ref(),
                req.command_id,
                fingerprint,
                revealed_subscription(&req.command),
            )
            .await
    }

    async fn execute_fresh(
        &self,
        req: &CommandRequest,
        fingerprint: &str,
    ) -> Result<CommandResponse, CommandError> {
        let customer = self.resolve(req).await?;
        // The ids the sender chose, if another customer holds one: refused before
        // anything is loaded or decided.
        self.check_ids_free(customer, &req.command, &ids::chosen_ids(&req.command))?;
        let slot = self.cache.slot(customer);
        let mut slot = slot.lock().await;
        // A cached state is used as it is: the append's expected version is the
        // check against the stream, and a conflict reloads it (optimistic
        // concurrency). Only a state not yet loaded is read here.
        if !slot.loaded {
            self.refresh(&mut slot, customer).await?;
        }
        if let Some(previous) = self.previous_result(req, fingerprint).await? {
            debug!("repeated command id: returning the first result");
            return Ok(previous);
        }
        // A reveal is decided with the fingerprint of the key it would show, so it
        // is decided once; the key is issued only once the reveal is accepted (KEY-1).
        let reveals = revealed_subscription(&req.command).filter(|_| !req.dry_run);
        let mut key = match reveals {
            Some(id) => Some(self.keys.proposed_key(id).await?),
            None => None,
        };
        for attempt in 0..=self.config.max_retries {
            let now = self.clock.now();
            if !req.dry_run {
                self.run_due(&mut slot, customer, now).await?;
            }
            self.check_expected_version(req, &mut slot, customer)
                .await?;
            let events = match self.decide(&slot, req, now, key.as_deref()) {
                Err(CommandError::Rejected(rejection)) if self.follower.is_some() => {
                    // Another node may have written what this cached state lacks,
                    // and a refusal is kept for good: refuse only what the stream
                    // refuses (no append checks a refusal's version).
                    let cached = slot.version;
                    self.refresh(&mut slot, customer).await?;
                    if slot.version != cached {
                        continue;
                    }
                    return Err(rejection.into());
                }
                decided => decided?,
            };
            self.check_created_ids_free(customer, &req.command, &events)?;
            if req.dry_run {
                return self.dry_run_response(req, customer, &slot, events, fingerprint);
            }
            if let (Some(id), Some(proposed)) = (reveals, &key) {
                let issued = self.keys.issue(id, proposed).await?;
                if issued != *proposed {
                    // Another process issued this subscription's key first: decide
                    // again with the fingerprint of the key it holds.
                    key = Some(issued);
                    continue;
                }
            }
            match self
                .append(&mut slot, customer, req, fingerprint, events, key.clone())
                .await?
            {
                Appended::Done(response) => return Ok(response),
                Appended::Conflict => {
                    if let Some(previous) = self
                        .after_conflict(&mut slot, customer, req, fingerprint, attempt)
                        .await?
                    {
                        return Ok(previous);
                    }
                }
            }
        }
        let actual = self
            .store
            .stream_version(&customer_stream(customer))
            .await?;
        match req.expected_version {
            Some(expected) => Err(CommandError::VersionConflict { expected, actual }),
            // Other writers (other nodes) kept moving the stream through every try:
            // contention, not the client's mistake. Retryable, and nothing was written.
            None => Err(CommandError::Store(StoreError::Unavailable(
                format!(
                    "customer {customer} changed under {} tries in a row (stream at version {actual}); try again",
                    self.config.max_retries + 1
                )
                .into(),
            ))),
        }
    }

    /// Refuses a command whose `expected_version` is not the stream's. The client
    /// may have seen another process's write this cache has not: reload first.
    async fn check_expected_version(
        &self,
        req: &CommandRequest,
        slot: &mut Slot,
        customer: Uuid,
    ) -> Result<(), CommandError> {
        let Some(expected) = req.expected_version else {
            return Ok(());
        };
        if expected != slot.version {
            self.refresh(slot, customer).await?;
            if expected != slot.version {
                return Err(CommandError::VersionConflict {
                    expected,
                    actual: slot.version,
                });
            }
        }
        Ok(())
    }

    /// The domain's decision on the cached state; a reveal's key goes in as its
    /// fingerprint only.
    fn decide(
        &self,
        slot: &Slot,
        req: &CommandRequest,
        now: DateTime<Utc>,
        key: Option<&str>,
    ) -> Result<Vec<Event>, CommandError> {
        let key_fingerprint = key.map(keys::fingerprint);
        let ctx = CommandContext {
            command_id: req.command_id,
            actor: &req.actor,
            now,
            key_fingerprint: key_fingerprint.as_deref(),
        };
        Ok(decide(&slot.state, &req.command, &ctx, &self.catalog)?)
    }

    /// The events a dry run would write, shown as they would be stored.
    fn dry_run_response(
        &self,
        req: &CommandRequest,
        customer: Uuid,
        slot: &Slot,
        events: Vec<Event>,
        fingerprint: &str,
    ) -> Result<CommandResponse, CommandError> {
        let records = codec::encode_command(&events, req.command_id, fingerprint);
        let payloads: Vec<bytes::Bytes> = records.into_iter().map(|r| r.data).collect();
        Ok(CommandResponse::build(
            req.command_id,
            customer_stream(customer),
            slot.version,
            None,
            &shown(events, &payloads)?,
            None,
            true,
        ))
    }

    /// Appends a decided command at the slot's version; on success folds its
    /// events into the slot and notes them.
    async fn append(
        &self,
        slot: &mut Slot,
        customer: Uuid,
        req: &CommandRequest,
        fingerprint: &str,
        events: Vec<Event>,
        key: Option<String>,
    ) -> Result<Appended, CommandError> {
        let stream = customer_stream(customer);
        let records = codec::encode_command(&events, req.command_id, fingerprint);
        let payloads: Vec<bytes::Bytes> = records.iter().map(|r| r.data.clone()).collect();
        let claims = claims::claim_keys(&events);
        let result = self
            .append_timed(&stream, slot.version, records, &claims)
            .await;
        let appended = match result {
            Ok(appended) => appended,
            Err(e) if e.is_conflict() || matches!(e, StoreError::IdempotencyConflict { .. }) => {
                return Ok(Appended::Conflict);
            }
            // Another customer's append claimed one of the ids first (another lock,
            // or another process): refused, nothing written.
            Err(StoreError::ClaimTaken { key }) => {
                return Err(claims::claim_taken(&req.command, &key));
            }
            Err(e) => return Err(e.into()),
        };
        if appended.repeated {
            // The same command was written first (by another process, or by an
            // earlier try whose answer was lost): answer with what the log holds,
            // which may differ from this decision in its instants.
            self.refresh(slot, customer).await?;
            return Ok(match self.previous_result(req, fingerprint).await? {
                Some(previous) => Appended::Done(previous),
                None => Appended::Conflict,
            });
        }
        let first_version = slot.version + 1;
        for e in &events {
            slot.state.apply(e);
        }
        slot.version = appended.next_version;
        self.memory
            .note_appended(req.command_id, customer, first_version);
        self.directory().note_events(customer, &events, &slot.state);
        slot.maybe_snapshot(self.store.as_ref(), &stream, self.config.snapshot_every)
            .await;
        Ok(Appended::Done(CommandResponse::build(
            req.command_id,
            stream,
            appended.next_version,
            Some(appended.position),
            &shown(events, &payloads)?,
            key,
            false,
        )))
    }

    /// After a conflict: reload, and answer with our own result if another
    /// process wrote this very command; a client's `expected_version` is now a
    /// conflict; otherwise back off (with jitter) before deciding again.
    async fn after_conflict(
        &self,
        slot: &mut Slot,
        customer: Uuid,
        req: &CommandRequest,
        fingerprint: &str,
        attempt: u32,
    ) -> Result<Option<CommandResponse>, CommandError> {
        self.metrics.conflicts.inc();
        self.refresh(slot, customer).await?;
        if let Some(previous) = self.previous_result(req, fingerprint).await? {
            return Ok(Some(previous));
        }
        if let Some(expected) = req.expected_version {
            return Err(CommandError::VersionConflict {
                expected,
                actual: slot.version,
            });
        }
        self.metrics.retries.inc();
        let jitter = rand::random_range(0..(2u64 << attempt.min(6)));
        tokio::time::sleep(Duration::from_millis(jitter)).await;
        Ok(None)
    }
}
