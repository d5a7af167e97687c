//! The reads of API.md over HTTP: the subscription view and its ETag, lists and
//! their paging, the CSV export (VIEW-3), orders, refundable seats (SEAT-5),
//! history (VIEW-5), `as_of` (VIEW-4), billing lines, the key-access log
//! (KEY-4), the NDJSON event feed, the catalog.

#[path = "../support/mod.rs"]
mod support;

mod billing;
mod customers;
mod feed;
mod history;
mod key_access;
mod subscriptions;

use serde_json::{Value, json};
use subledger_domain::Role;
use support::*;
use uuid::Uuid;
