//! `decide(state, command, context, catalog) -> Result<Vec<Event>, Rejection>`: the
//! pure decider. It reads the state, the command, who sends it and when, and the
//! catalog; it returns the events to append or the reason for refusing. No IO, no
//! clock, no randomness: new ids derive from the command id, so deciding the same
//! command twice gives the same events (GEN-5).

mod addons;
mod cancel;
mod customer;
mod details;
mod keys;
mod lifecycle;
mod offer;
mod purchase;
mod schedule;
mod seats;
mod transfer;
mod trial;
mod upgrade;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::actor::{Action, Actor, Role};
use crate::billing;
use crate::calendar;
use crate::catalog::{Catalog, Product};
use crate::command::Command;
use crate::event::dates::{self, Stamp};
use crate::event::{Event, EventData};
use crate::rejection::{Rejection, RejectionCode};
use crate::rules::{self, RuleId};
use crate::state::{CustomerState, Status, Subscription};

/// GEN-4: the most accepted commands one subscription takes after its purchase.
pub const UPDATE_LIMIT: u32 = 1200;

/// Who sends the command, when, and under which id.
#[derive(Debug, Clone)]
pub struct CommandContext<'a> {
    /// The idempotency key (GEN-5); new ids (subscriptions, orders, transfers)
    /// derive from it.
    pub command_id: Uuid,
    pub actor: &'a Actor,
    pub now: DateTime<Utc>,
    /// For `RevealKey` only: the fingerprint of the key the key provider issued
    /// for the subscription. The key itself never enters the domain (KEY-1).
    pub key_fingerprint: Option<&'a str>,
}

/// Decides one command. On success the events are in the order they must be
/// appended; on refusal nothing is to be written (GEN-6).
pub fn decide(
    state: &CustomerState,
    command: &Command,
    ctx: &CommandContext<'_>,
    catalog: &Catalog,
) -> Result<Vec<Event>, Rejection> {
    let mut d = Decision {
        state,
        catalog,
        ctx,
        events: Vec::new(),
    };
    d.run(command)?;
    if let Some(stamp) = dates::first_out_of_range(&d.events) {
        return Err(date_out_of_range(stamp));
    }
    Ok(d.events)
}

/// GEN-1: the refusal of a decision that would record a date the ledger cannot
/// write (past 9999-12-31, or before year 0), naming the date and the limit.
pub fn date_out_of_range(stamp: Stamp) -> Rejection {
    let too_early = match stamp {
        Stamp::Date(_, d) => d < calendar::FIRST_DATE,
        Stamp::Instant(_, t) => t.date_naive() < calendar::FIRST_DATE,
    };
    let limit = match (stamp, too_early) {
        (Stamp::Date(..), false) => calendar::LAST_DATE.to_string(),
        (Stamp::Date(..), true) => calendar::FIRST_DATE.to_string(),
        (Stamp::Instant(..), false) => Stamp::Instant("", calendar::last_instant()).to_string(),
        (Stamp::Instant(..), true) => {
            Stamp::Instant("", calendar::start_of_day(calendar::FIRST_DATE)).to_string()
        }
    };
    let side = if too_early {
        "before the first"
    } else {
        "past the last"
    };
    Rejection::rule(
        RejectionCode::DateOutOfRange,
        rules::GEN_1,
        format!(
            "its {} would be {stamp}, {side} date the ledger can record ({limit})",
            stamp.field()
        ),
    )
    .with("field", stamp.field())
    .with("date", stamp.to_string())
    .with("limit", limit)
}

/// The working context of one decision.
pub(crate) struct Decision<'a> {
    pub state: &'a CustomerState,
    pub catalog: &'a Catalog,
    pub ctx: &'a CommandContext<'a>,
    pub events: Vec<Event>,
}

/// What kind of command is asking for a subscription, which decides the refusal
/// for a closed one (CAN-5, KEY-5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Use {
    Change,
    Keys,
}

impl<'a> Decision<'a> {
    fn run(&mut self, command: &Command) -> Result<(), Rejection> {
        match command {
            Command::CreateCustomer(c) => customer::create(self, c),
            Command::RequestRelationship(c) => customer::request_relationship(self, c),
            Command::AcceptRelationship(c) => customer::accept_relationship(self, c),
            Command::Purchase(c) => purchase::decide(self, c),
            Command::AddSeats(c) => seats::add(self, c),
            Command::ReduceSeats(c) => seats::reduce(self, c),
            Command::Suspend(c) => lifecycle::suspend(self, c),
            Command::Reactivate(c) => lifecycle::reactivate(self, c),
            Command::SetAutoRenew(c) => lifecycle::set_auto_renew(self, c),
            Command::ScheduleChange(c) => schedule::set(self, c),
            Command::ClearScheduledChange(c) => schedule::clear(self, c),
            Command::Cancel(c) => cancel::decide(self, c),
            Command::Upgrade(c) => upgrade::decide(self, c),
            Command::ConvertTrial(c) => trial::convert(self, c),
            Command::RequestTransfer(c) => transfer::request(self, c),
            Command::AcceptTransfer(c) => transfer::accept(self, c),
            Command::RejectTransfer(c) => transfer::reject(self, c),
            Command::RevealKey(c) => keys::reveal(self, c),
            Command::DownloadSoftware(c) => keys::download(self, c),
            Command::CopyDownloadLink(c) => keys::copy_link(self, c),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.ctx.now
    }

    pub fn today(&self) -> NaiveDate {
        self.ctx.now.date_naive()
    }

    pub fn actor(&self) -> &Actor {
        self.ctx.actor
    }

    pub fn emit(&mut self, data: EventData) {
        self.events.push(Event {
            at: self.ctx.now,
            command_id: Some(self.ctx.command_id),
            actor: Some(self.ctx.actor.clone()),
            data,
        });
    }

    /// Emits a billing line unless it is for nothing (a trial, a last-day credit).
    pub fn emit_line(&mut self, line: Option<billing::Line>) {
        if let Some(line) = line.filter(|l| l.line.amount.amount_minor > 0) {
            self.emit(line.into_event());
        }
    }

    /// A new id derived from the command id: deterministic, unique per label.
    pub fn derived_id(&self, label: &str) -> Uuid {
        Uuid::new_v5(&self.ctx.command_id, label.as_bytes())
    }

    /// GEN-3: the actor's roles must allow the action (403 otherwise). Returns the
    /// role it acts under.
    pub fn require(&self, action: Action) -> Result<Role, Rejection> {
        if !action.allows(self.actor()) {
            let roles: Vec<&str> = action.allowed_roles().iter().map(|r| r.as_str()).collect();
            return Err(Rejection::forbidden(
                rules::GEN_3,
                format!(
                    "{} may not do this; it needs one of the roles {}",
                    self.actor().user,
                    roles.join(", ")
                ),
            )
            .with("required_roles", roles));
        }
        Ok(self
            .actor()
            .acting_role(action.allowed_roles())
            .unwrap_or(Role::AdminAgent))
    }

    /// The acting partner (present once `require` accepted a partner action).
    pub fn partner_id(&self) -> Uuid {
        self.actor().partner_id.unwrap_or_default()
    }

    /// GEN-2: the customer, if this partner has an active relationship with it;
    /// anything else is not found.
    pub fn related_customer(
        &self,
        customer_id: Uuid,
    ) -> Result<&'a crate::state::Customer, Rejection> {
        match &self.state.customer {
            Some(c)
                if c.customer_id == customer_id
                    && self.state.has_active_relationship(self.partner_id()) =>
            {
                Ok(c)
            }
            _ => Err(Rejection::not_found("customer", customer_id)),
        }
    }

    /// GEN-2: a subscription of which the acting partner is the partner of record.
    pub fn own_subscription(&self, id: Uuid) -> Result<&'a Subscription, Rejection> {
        match self.state.subscriptions.get(&id) {
            Some(s)
                if s.partner_id == self.partner_id()
                    && self.state.has_active_relationship(self.partner_id()) =>
            {
                Ok(s)
            }
            _ => Err(Rejection::not_found("subscription", id)),
        }
    }

    /// A subscription this partner may act on, not closed (CAN-5, TRF-3, KEY-5,
    /// REN-3), and below its update limit (GEN-4).
    pub fn open_subscription(&self, id: Uuid, usage: Use) -> Result<&'a Subscription, Rejection> {
        let s = self.own_subscription(id)?;
        match (s.status, usage) {
            (Status::Cancelled | Status::Transferred | Status::Expired, Use::Keys) => {
                return Err(Rejection::rule(
                    RejectionCode::KeysRevoked,
                    rules::KEY_5,
                    format!(
                        "subscription {id} is {}: its keys and download links are revoked",
                        s.status.as_str()
                    ),
                )
                .with_details(details::Closed {
                    status: s.status,
                    closed_at: s.closed_at,
                }));
            }
            (Status::Cancelled, Use::Change) => {
                return Err(Rejection::rule(
                    RejectionCode::SubscriptionCancelled,
                    rules::CAN_5,
                    format!("subscription {id} was cancelled; it cannot be reactivated or changed"),
                )
                .with_details(details::Closed {
                    status: s.status,
                    closed_at: s.closed_at,
                }));
            }
            (Status::Transferred, Use::Change) => {
                return Err(Rejection::rule(
                    RejectionCode::SubscriptionCancelled,
                    rules::TRF_3,
                    format!(
                        "subscription {id} was transferred to another partner; it behaves as cancelled"
                    ),
                )
                .with_details(details::Closed { status: s.status, closed_at: s.closed_at }));
            }
            (Status::Expired, Use::Change) => {
                // SUS-4: expired because it stayed suspended past its term (data
                // deleted); otherwise REN-3: auto-renew was off.
                let rule = if s.data_deleted {
                    rules::SUS_4
                } else {
                    rules::REN_3
                };
                return Err(Rejection::rule(
                    RejectionCode::SubscriptionExpired,
                    rule,
                    format!("subscription {id} has expired; buy a new one"),
                )
                .with_details(details::Expired {
                    status: s.status,
                    closed_at: s.closed_at,
                    data_deleted: s.data_deleted,
                }));
            }
            _ => {}
        }
        if s.update_count >= UPDATE_LIMIT {
            return Err(Rejection::rule(
                RejectionCode::UpdateLimitReached,
                rules::GEN_4,
                format!(
                    "subscription {id} has had {} updates, the limit is {UPDATE_LIMIT}; buy a second \
                     subscription of {} coterminous with this one (term end {}) and make further \
                     changes there",
                    s.update_count,
                    s.product_id,
                    s.term_end_date.map(|d| d.to_string()).unwrap_or_else(|| "none".into())
                ),
            )
            .with_details(details::UpdateLimit { limit: UPDATE_LIMIT, update_count: s.update_count, product_id: &s.product_id, coterm_date: s.term_end_date }));
        }
        Ok(s)
    }

    pub fn product(&self, product_id: &str, field: &str) -> Result<&'a Product, Rejection> {
        self.catalog.product(product_id).ok_or_else(|| {
            Rejection::rule(
                RejectionCode::UnknownProduct,
                rules::CAT_4,
                format!("product `{product_id}` is not in the catalog"),
            )
            .with_details(details::ProductField { field, product_id })
        })
    }
}

/// A trial's quantity and status are frozen (TRI-3).
pub(crate) fn refuse_trial(s: &Subscription, what: &str) -> Result<(), Rejection> {
    if s.trial {
        return Err(Rejection::rule(
            RejectionCode::TrialNotModifiable,
            rules::TRI_3,
            format!(
                "subscription {} is a trial: {what} is not possible during a trial; convert it first",
                s.subscription_id
            ),
        )
        .with("trial_ends_on", s.term_end_date));
    }
    Ok(())
}

/// No seat or status changes on a suspended subscription (SEAT-6).
pub(crate) fn refuse_suspended(
    s: &Subscription,
    rule: RuleId,
    what: &str,
) -> Result<(), Rejection> {
    if s.status == Status::Suspended {
        return Err(Rejection::rule(
            RejectionCode::SubscriptionSuspended,
            rule,
            format!(
                "subscription {} is suspended: {what} is not possible until it is reactivated",
                s.subscription_id
            ),
        )
        .with("status", s.status));
    }
    Ok(())
}
