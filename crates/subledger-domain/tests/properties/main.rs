//! Property tests over random command sequences (issue 2, tests (a)–(c)):
//! (a) folding every event equals folding a snapshot (a serde round trip of the
//!     state) plus the tail;
//! (b) the invariants of RULES.md never break: a live subscription has ≥ 1 seat
//!     (SEAT-3), Copilot seats never exceed base seats through a command (PUR-7),
//!     no seat is reduced outside its window (SEAT-2), no credit exceeds what its
//!     period was charged (BIL-4), closed subscriptions never change (CAN-5, TRF-3);
//! (c) `decide` never panics, however malformed the command's values.

#[path = "../support/mod.rs"]
mod support;

mod histories;
mod never_panics;

use crate::support::*;
use chrono::{Duration, NaiveDate};
use proptest::prelude::*;
use subledger_domain::actor::Role;
use subledger_domain::calendar::{Billing, Term};
use subledger_domain::command::{
    AcceptRelationship, AcceptTransfer, Command, ConvertTrial, CopyDownloadLink, CreateCustomer,
    DownloadSoftware, KeyType, Purchase, PurchaseItem, ReduceSeats, RejectTransfer,
    RequestRelationship, RequestTransfer, RevealKey, ScheduleChange, ScheduledChange, SetAutoRenew,
    Upgrade, UpgradeTiming,
};
use subledger_domain::event::{BillingReason, EventData};
use subledger_domain::money::mul_div_round_half_up;
use subledger_domain::state::{CustomerState, Status};
use subledger_domain::{CommandContext, decide, invariants};
use uuid::Uuid;
