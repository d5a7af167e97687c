//! The invariants of RULES.md that must hold in every state the rules can reach.
//! Property tests, the simulator and the projections' checks reuse them.

use crate::state::{CustomerState, Status, Subscription};

/// One broken invariant, named and explained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub rule: &'static str,
    pub message: String,
}

/// Every invariant of one customer's state; empty when all hold.
pub fn check(state: &CustomerState) -> Vec<Violation> {
    let mut out = Vec::new();
    for s in state.subscriptions.values() {
        check_seats_and_status(state, s, &mut out);
        check_closed_and_flags(s, &mut out);
    }
    check_indexes(state, &mut out);
    out
}

fn fail(out: &mut Vec<Violation>, rule: &'static str, message: String) {
    out.push(Violation { rule, message });
}

/// VIEW-1, SEAT-2/3, TRI-1, CAN-5: a subscription's status, seats and batches.
fn check_seats_and_status(state: &CustomerState, s: &Subscription, out: &mut Vec<Violation>) {
    let id = s.subscription_id;
    let live = s.status.is_live();
    if live != state.live.contains(&id) {
        fail(
            out,
            "VIEW-1",
            format!("{id}: live index disagrees with status {:?}", s.status),
        );
    }
    if live && s.quantity < 1 {
        fail(
            out,
            "SEAT-3",
            format!("{id}: live with {} seats", s.quantity),
        );
    }
    let batched: u32 = s.batches.iter().map(|b| b.seats).sum();
    if batched > s.quantity {
        fail(
            out,
            "SEAT-2",
            format!(
                "{id}: batches hold {batched} seats, quantity is {}",
                s.quantity
            ),
        );
    }
    if s.trial && live && s.quantity != crate::policy::TRIAL_SEATS {
        fail(
            out,
            "TRI-1",
            format!("{id}: a trial with {} seats", s.quantity),
        );
    }
    if !live && (s.auto_renew || s.scheduled_change.is_some() || !s.batches.is_empty()) {
        fail(
            out,
            "CAN-5",
            format!(
                "{id}: closed ({:?}) but still renewing, scheduled or reducible",
                s.status
            ),
        );
    }
}

/// KEY-5, BIL-4, SUS-2, REN-3, GEN-4, PUR-10: what a subscription's flags,
/// money and term may say together.
fn check_closed_and_flags(s: &Subscription, out: &mut Vec<Violation>) {
    let id = s.subscription_id;
    let live = s.status.is_live();
    if matches!(s.status, Status::Cancelled | Status::Transferred) && s.has_keys && !s.keys_revoked
    {
        fail(
            out,
            "KEY-5",
            format!("{id}: closed but its keys are not revoked"),
        );
    }
    if s.period_net.amount_minor < 0 {
        fail(
            out,
            "BIL-4",
            format!(
                "{id}: credited {} more than charged for the period starting {:?}",
                -s.period_net.amount_minor, s.period_net.period_start
            ),
        );
    }
    if s.status == Status::Suspended && s.auto_renew {
        fail(out, "SUS-2", format!("{id}: suspended with auto-renew on"));
    }
    if s.legacy_software && s.auto_renew {
        fail(
            out,
            "REN-3",
            format!("{id}: software bought before 2021-10-14 set to auto-renew"),
        );
    }
    if s.update_count > crate::decide::UPDATE_LIMIT {
        fail(out, "GEN-4", format!("{id}: {} updates", s.update_count));
    }
    if let (Some(start), Some(end)) = (Some(s.billing_anchor), s.term_end_date)
        && end < start
        && live
    {
        fail(
            out,
            "PUR-10",
            format!("{id}: term ends {end} before it starts {start}"),
        );
    }
}

/// REN-7, PUR-7, TRF-5: the derived indexes agree with what they index.
fn check_indexes(state: &CustomerState, out: &mut Vec<Violation>) {
    let mut seats = std::collections::BTreeMap::<String, u64>::new();
    let mut due = std::collections::BTreeSet::new();
    for s in state.subscriptions.values().filter(|s| s.status.is_live()) {
        *seats.entry(s.product_id.clone()).or_default() += u64::from(s.quantity);
        due.extend(crate::state::subscription_due(s));
    }
    seats.retain(|_, v| *v > 0);
    for t in state
        .transfers
        .values()
        .filter(|t| t.status == crate::state::TransferStatus::Pending)
    {
        due.insert((
            t.expires_at,
            crate::state::Due::TransferExpiry(t.transfer_id),
        ));
    }
    if seats != state.live_seats {
        fail(
            out,
            "PUR-7",
            format!(
                "live seat index {:?} disagrees with the subscriptions {seats:?}",
                state.live_seats
            ),
        );
    }
    if due != state.due {
        fail(
            out,
            "REN-7",
            format!(
                "due index {:?} disagrees with the subscriptions {due:?}",
                state.due
            ),
        );
    }
    for t in state.transfers.values() {
        let pending = t.status == crate::state::TransferStatus::Pending;
        if pending != state.pending_transfers.contains(&t.transfer_id) {
            fail(
                out,
                "TRF-5",
                format!("transfer {}: pending index disagrees", t.transfer_id),
            );
        }
    }
}

/// PUR-7 across the customer: Copilot-style add-on seats never exceed the base
/// seats. Checked separately because time (a base expiring with auto-renew off)
/// may legitimately end base seats without a command; commands never break it.
pub fn addon_limits(state: &CustomerState, catalog: &crate::catalog::Catalog) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for s in state.live_subscriptions() {
        let Some(p) = catalog.product(&s.product_id) else {
            continue;
        };
        if !p.max_of_base || !seen.insert(p.product_id.clone()) {
            continue;
        }
        let held = state.live_seats_of(std::slice::from_ref(&p.product_id));
        let base = state.live_seats_of(&p.requires_any_of);
        if held > base {
            out.push(Violation {
                rule: "PUR-7",
                message: format!(
                    "{}: {held} add-on seats over {base} base seats",
                    p.product_id
                ),
            });
        }
    }
    out
}
