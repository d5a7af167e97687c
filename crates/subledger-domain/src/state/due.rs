//! The derived indexes of [`CustomerState`]: which subscriptions are live, their
//! seats per product, and every piece of due time-driven work (REN-7). Kept by
//! the fold so deciding and finding due work cost lookups, not scans.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{CustomerState, Subscription};
use crate::calendar::{BillingSchedule, start_of_day};

/// One piece of due work.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Due {
    /// A billing period starts within the term (BIL-2).
    PeriodCharge(Uuid),
    /// The term ends: renew, convert, expire or cancel (REN-1..6, TRI-2, CAN-3).
    TermEnd(Uuid),
    /// An unanswered transfer request lapses (TRF-5).
    TransferExpiry(Uuid),
}

/// The due instant of each piece of work for one subscription.
pub(crate) fn subscription_due(
    s: &Subscription,
) -> impl Iterator<Item = (DateTime<Utc>, Due)> + use<> {
    let term_end = s
        .term_ends_at()
        .map(|at| (at, Due::TermEnd(s.subscription_id)));
    let period = next_period_start(s).map(|at| (at, Due::PeriodCharge(s.subscription_id)));
    term_end.into_iter().chain(period)
}

fn next_period_start(s: &Subscription) -> Option<DateTime<Utc>> {
    if s.trial {
        return None;
    }
    let end = s.term_end_date?;
    let schedule = BillingSchedule::new(s.billing_anchor, end, s.billing)?;
    let billed = s.billed_until?;
    schedule
        .next_period_after(billed)
        .map(|p| start_of_day(p.start))
}

impl CustomerState {
    /// Removes a subscription's entries from the derived indexes, before an event
    /// changes it.
    pub(super) fn unindex(&mut self, id: Uuid) {
        let Some(s) = self.subscriptions.get(&id) else {
            return;
        };
        if self.live.remove(&id)
            && let Some(seats) = self.live_seats.get_mut(&s.product_id)
        {
            *seats = seats.saturating_sub(u64::from(s.quantity));
            if *seats == 0 {
                self.live_seats.remove(&s.product_id);
            }
        }
        for due in subscription_due(s) {
            self.due.remove(&due);
        }
    }

    /// Adds a subscription's entries to the derived indexes, after an event
    /// changed it.
    pub(super) fn index(&mut self, id: Uuid) {
        let Some(s) = self.subscriptions.get(&id) else {
            return;
        };
        if !s.status.is_live() {
            return;
        }
        self.live.insert(id);
        *self.live_seats.entry(s.product_id.clone()).or_default() += u64::from(s.quantity);
        for due in subscription_due(s) {
            self.due.insert(due);
        }
    }
}
