//! Ids unique across the ledger (subscriptions, orders; see `subledger_domain::ids`).
//!
//! Two checks, both answering 409 `IdAlreadyUsed` without naming the holder:
//! * the directory, in process: before deciding (the ids the sender chose) and
//!   after (every id the decision creates), so the common case is answered
//!   fast, and logs written before claims existed are covered too;
//! * the store's claims, written atomically with the append: the check that holds
//!   when two customers (two locks) or two processes race for one id. A store
//!   without claims (EventStoreDB) leaves only the directory, per process.

use subledger_domain::ids::{self, UniqueId};
use subledger_domain::{Command, Event};
use uuid::Uuid;

use super::Ledger;
use crate::error::CommandError;

/// The store's claim keys of the ids these events create.
pub(super) fn claim_keys(events: &[Event]) -> Vec<String> {
    ids::created_ids(events)
        .into_iter()
        .map(UniqueId::claim_key)
        .collect()
}

/// The refusal of `command` when the store says `key` is claimed by another stream.
pub(super) fn claim_taken(command: &Command, key: &str) -> CommandError {
    match UniqueId::from_claim_key(key) {
        Some(taken) => ids::id_already_used(command, taken).into(),
        // Only this module writes claims: a key it cannot read is a defect.
        None => CommandError::Store(subledger_store::StoreError::ClaimTaken {
            key: key.to_owned(),
        }),
    }
}

impl Ledger {
    /// Refuses `command` if one of `wanted` is held by another customer than
    /// `customer` (the customer's own ids are the domain's to refuse, with the
    /// same answer).
    pub(super) fn check_ids_free(
        &self,
        customer: Uuid,
        command: &Command,
        wanted: &[UniqueId],
    ) -> Result<(), CommandError> {
        if wanted.is_empty() {
            return Ok(());
        }
        let directory = self.directory();
        match wanted.iter().find(|id| {
            directory
                .holder(**id)
                .is_some_and(|holder| holder != customer)
        }) {
            Some(taken) => Err(ids::id_already_used(command, *taken).into()),
            None => Ok(()),
        }
    }

    /// [`Ledger::check_ids_free`] for the ids a decision creates.
    pub(super) fn check_created_ids_free(
        &self,
        customer: Uuid,
        command: &Command,
        events: &[Event],
    ) -> Result<(), CommandError> {
        self.check_ids_free(customer, command, &ids::created_ids(events))
    }
}
