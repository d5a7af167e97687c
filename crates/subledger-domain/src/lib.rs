//! subledger's domain: commands, events, state, the catalog, and the pure
//! [`decide`] and [`evolve`] functions. No IO, no async, no clock: time comes in
//! as a parameter, new ids derive from the command id.
//!
//! The customer is the consistency boundary: one stream per customer holds its
//! relationships, subscriptions (of every partner), orders and transfers.

pub mod actor;
pub mod billing;
pub mod calendar;
pub mod catalog;
pub mod command;
pub mod decide;
pub mod event;
pub mod invariants;
pub mod money;
pub mod policy;
pub mod rejection;
pub mod rules;
pub mod state;
pub mod time;
pub mod view;

pub use actor::{Action, Actor, Role};
pub use catalog::{Catalog, CatalogError, Product, ProductKind};
pub use command::{Command, CommandTarget};
pub use decide::{CommandContext, UPDATE_LIMIT, decide};
pub use event::{Event, EventData};
pub use money::Money;
pub use rejection::{Rejection, RejectionCode, RejectionKind};
pub use rules::RuleId;
pub use state::{CustomerState, STATE_SCHEMA_VERSION, Status, Subscription, evolve};
