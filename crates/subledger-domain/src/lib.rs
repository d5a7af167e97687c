//! subledger's domain: commands, events, state, the catalog, and the pure
//! [`decide`] and [`evolve`] functions. No IO, no async, no clock: time comes in
//! as a parameter, new ids derive from the command id.
//!
//! The customer is the consistency boundary: one stream per customer holds its
//! relationships, subscriptions (of every partner), orders and transfers.
//!
//! Modules depend on each other in one direction only, each on those above it:
//!
//! 1. [`actor`], [`money`], [`calendar`]: words with no rules of their own;
//!    [`catalog`] and [`policy`]: what is on offer and the fixed numbers.
//! 2. [`event`]: what happened, with the payload vocabulary it owns.
//! 3. [`state`]: the fold of events and its indexes, due work included. It
//!    applies what events record and decides nothing.
//! 4. [`billing`]: the amounts of charges and credits, read off a subscription.
//! 5. [`time`]: time-driven work, decided from the state and priced by billing.
//! 6. [`command`], [`rejection`], then [`decide`](mod@decide): what is asked and the answer;
//!    [`ids`]: the ids unique across the ledger, and the refusal of a taken one.
//! 7. [`view`] and [`invariants`]: read and check what the layers above produce.
//!
//! Architecture invariant: events import nothing from commands (a stored
//! event must not change when the API's command shape does), and the fold
//! never imports billing, time or decide.

pub mod actor;
pub mod billing;
pub mod calendar;
pub mod catalog;
pub mod command;
pub mod decide;
pub mod event;
pub mod ids;
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
