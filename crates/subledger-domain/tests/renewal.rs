//! REN-1..7: renewal, auto-renew, scheduled changes and time-driven work.

mod support;

use proptest::prelude::*;
use subledger_domain::calendar::{Billing, Term};
use subledger_domain::command::{
    AddSeats, Cancel, ClearScheduledChange, ConvertTrial, Reactivate, ReduceSeats, RequestTransfer,
    ScheduleChange, SetAutoRenew, Suspend,
};
use subledger_domain::command::{Command, ScheduledChange};
use subledger_domain::event::{BillingReason, ClearReason, Event, EventData, ExpiryReason};
use subledger_domain::state::Status;
use subledger_domain::view::SubscriptionView;
use subledger_domain::{CommandContext, decide, invariants, time};
use support::*;
use uuid::Uuid;

const E3: &str = "m365-e3";
const E3_P1M: i64 = 4032;
const E3_P1Y_MONTHLY: i64 = 3360;
const E3_P1Y_ANNUAL: i64 = 40320;

fn types(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(|e| e.data.type_name()).collect()
}

fn renewed(events: &[Event]) -> subledger_domain::event::SubscriptionRenewed {
    events
        .iter()
        .find_map(|e| match &e.data {
            EventData::SubscriptionRenewed(r) => Some(r.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no renewal among {:?}", types(events)))
}

fn charges(events: &[Event]) -> Vec<(i64, BillingReason)> {
    events
        .iter()
        .filter_map(|e| match &e.data {
            EventData::Charged(l) => Some((l.amount.amount_minor, l.reason)),
            _ => None,
        })
        .collect()
}

fn schedule(id: Uuid, change: ScheduledChange) -> Command {
    Command::ScheduleChange(ScheduleChange {
        subscription_id: id,
        change: ScheduledChange {
            product_id: change.product_id,
            quantity: change.quantity,
            term: change.term,
            billing: change.billing,
            coterm_date: change.coterm_date,
        },
    })
}

fn quantity(q: u32) -> ScheduledChange {
    ScheduledChange {
        quantity: Some(q),
        ..Default::default()
    }
}

// ---------------------------------------------------------------- REN-1

#[test]
fn ren_1_a_term_renews_at_midnight_after_its_end_date() {
    // Bought 2026-01-15 for P1M: ends 2026-02-14 (PUR-10), renews 2026-02-15T00:00Z.
    let mut sc = Scenario::at("2026-01-15T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1M, Billing::Monthly);
    assert_eq!(sc.sub(id).term_end_date, Some(date("2026-02-14")));
    let v = SubscriptionView::of(sc.sub(id), sc.now, 0);
    assert_eq!(v.next_renewal_at, Some(at("2026-02-15T00:00:00Z")));
    // The whole end date belongs to the term (GEN-1).
    assert!(sc.advance_to("2026-02-14T23:59:59Z").is_empty());
    assert_eq!(sc.sub(id).term_end_date, Some(date("2026-02-14")));
    let due = sc.advance_to("2026-02-15T00:00:00Z");
    assert_eq!(types(&due), ["SubscriptionRenewed", "Charged"]);
    for e in &due {
        assert_eq!(e.at, at("2026-02-15T00:00:00Z"));
        assert_eq!(e.actor, None, "time-driven work has no actor");
        assert_eq!(e.command_id, None);
    }
    assert_eq!(sc.sub(id).status, Status::Active);
}

#[test]
fn ren_1_end_date_2023_03_01_renews_at_2023_03_02_midnight() {
    // Bought 2023-02-02 for P1M: ends 2023-03-01.
    let mut sc = Scenario::at("2023-02-02T12:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 3, P1M, Billing::Monthly);
    assert_eq!(sc.sub(id).term_end_date, Some(date("2023-03-01")));
    assert!(sc.advance_to("2023-03-01T23:59:59Z").is_empty());
    let due = sc.advance_to("2023-03-02T00:00:00Z");
    let r = renewed(&due);
    assert_eq!(r.term_start, at("2023-03-02T00:00:00Z"));
}

#[test]
fn ren_1_a_command_at_the_renewal_instant_sees_the_renewed_subscription() {
    // Renewal is one atomic step done before the command at the same instant.
    let mut sc = Scenario::at("2026-01-15T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1M, Billing::Monthly);
    sc.now = at("2026-02-15T00:00:00Z");
    // The reduction is possible only from the renewal's new batch.
    let out = sc.when(Command::ReduceSeats(ReduceSeats {
        subscription_id: id,
        seats: 2,
    }));
    out.then_types(&["SeatsReduced", "Credited"]);
    let s = sc.sub(id);
    assert_eq!(s.quantity, 8);
    assert_eq!(s.term_end_date, Some(date("2026-03-14")));
    let kinds: Vec<_> = sc.history.iter().map(|e| e.data.type_name()).collect();
    let renewal = kinds.iter().position(|t| *t == "SubscriptionRenewed");
    let reduced = kinds.iter().position(|t| *t == "SeatsReduced");
    assert!(renewal < reduced, "{kinds:?}");
}

// ---------------------------------------------------------------- REN-2

#[test]
fn ren_2_the_renewal_starts_a_new_term_from_the_renewal_date() {
    // Bought 2026-01-31 P1M: ends 2026-02-27; renews 2026-02-28, new end
    // (2026-02-28 + 1 month = 2026-03-28) − 1 day = 2026-03-27.
    let mut sc = Scenario::at("2026-01-31T10:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1M, Billing::Monthly);
    assert_eq!(sc.sub(id).term_end_date, Some(date("2026-02-27")));
    let due = sc.advance_to("2026-02-28T00:00:00Z");
    let r = renewed(&due);
    assert_eq!(r.term_start, at("2026-02-28T00:00:00Z"));
    assert_eq!(r.term_end_date, date("2026-03-27"));
    assert_eq!(r.quantity, 10);
    assert_eq!(r.term, Term::P1M);
    assert_eq!(r.billing, Billing::Monthly);
    let s = sc.sub(id);
    assert_eq!(s.term_start, at("2026-02-28T00:00:00Z"));
    assert_eq!(s.term_end_date, Some(date("2026-03-27")));
    let due = sc.advance_to("2026-03-28T00:00:00Z");
    assert_eq!(renewed(&due).term_end_date, date("2026-04-27"));
}

#[test]
fn ren_2_the_renewal_is_charged_for_the_first_period() {
    let mut sc = Scenario::at("2026-01-15T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1M, Billing::Monthly);
    let due = sc.advance_to("2026-02-15T00:00:00Z");
    assert_eq!(charges(&due), vec![(10 * E3_P1M, BillingReason::Renewal)]);
    match &due[1].data {
        EventData::Charged(l) => {
            assert_eq!(l.subscription_id, id);
            assert_eq!(l.period_start, date("2026-02-15"));
            assert_eq!(l.period_end, date("2026-03-14"));
            assert_eq!(l.period_days, 28);
            assert_eq!(l.seats, 10);
        }
        other => panic!("unexpected {other:?}"),
    }

    // An annual plan is charged the whole year at its renewal.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.buy(E3, 7, P1Y, Billing::Annual);
    let due = sc.advance_to("2027-01-10T00:00:00Z");
    assert_eq!(
        charges(&due),
        vec![(7 * E3_P1Y_ANNUAL, BillingReason::Renewal)]
    );
}

#[test]
fn ren_2_the_renewal_opens_a_new_cancellation_window() {
    let mut sc = Scenario::at("2026-01-15T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1M, Billing::Monthly);
    sc.advance_to("2026-02-15T00:00:00Z");
    assert_eq!(
        sc.sub(id).cancellation_allowed_until,
        Some(at("2026-02-22T00:00:00Z"))
    );
    // Exactly at the window's end it is closed.
    sc.advance_to("2026-02-22T00:00:00Z");
    let before = sc.state.clone();
    let rej = sc
        .when(Command::Cancel(Cancel {
            subscription_id: id,
        }))
        .then_rejected("CancellationWindowClosed", "CAN-1")
        .clone();
    assert_eq!(detail(&rej, "window_closed_at"), "2026-02-22T00:00:00Z");
    assert_eq!(sc.state, before);
}

#[test]
fn ren_2_cancelling_one_second_before_the_new_window_ends_is_credited_pro_rata() {
    let mut sc = Scenario::at("2026-01-15T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1M, Billing::Monthly);
    sc.advance_to("2026-02-21T23:59:59Z");
    let out = sc.when(Command::Cancel(Cancel {
        subscription_id: id,
    }));
    out.then_types(&["SubscriptionCancelled", "Credited"]);
    // New period 2026-02-15..2026-03-14 (28 days); 2026-02-21 uses 7, 21 unused:
    // 40.32 × 10 × 21 / 28 = 302.40.
    assert_eq!(out.amounts(), vec![-(E3_P1M * 10 * 21 / 28)]);
    assert_eq!(out.amounts(), vec![-30240]);
}

#[test]
fn ren_2_the_renewal_makes_one_seat_batch_of_the_whole_quantity() {
    let mut sc = Scenario::at("2026-01-15T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1M, Billing::Monthly);
    // Seats added three days before the renewal are still in their own window…
    sc.advance_to("2026-02-12T09:00:00Z");
    sc.ok(Command::AddSeats(AddSeats {
        subscription_id: id,
        seats: 2,
    }));
    let due = sc.advance_to("2026-02-15T00:00:00Z");
    let r = renewed(&due);
    assert_eq!(r.seat_batch.seats, 12);
    assert_eq!(r.seat_batch.added_at, at("2026-02-15T00:00:00Z"));
    assert_eq!(r.seat_batch.refundable_until, at("2026-02-22T00:00:00Z"));
    // …but the renewal replaces every batch with one batch of all 12 seats.
    let s = sc.sub(id).clone();
    assert_eq!(s.batches.len(), 1);
    assert_eq!(s.batches[0].seats, 12);
    let v = SubscriptionView::of(&s, sc.now, 0);
    assert_eq!(v.refundable_seats.batches.len(), 1);
    assert_eq!(
        v.refundable_seats.batches[0].refundable_until,
        at("2026-02-22T00:00:00Z")
    );
    // One second before the batch's window ends, 11 seats can go (SEAT-3 keeps 1).
    sc.advance_to("2026-02-21T23:59:59Z");
    sc.when(Command::ReduceSeats(ReduceSeats {
        subscription_id: id,
        seats: 11,
    }))
    .then_types(&["SeatsReduced", "Credited"]);
    assert_eq!(sc.sub(id).quantity, 1);
}

#[test]
fn ren_2_seats_of_the_renewal_batch_are_not_reducible_at_the_window_end() {
    let mut sc = Scenario::at("2026-01-15T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1M, Billing::Monthly);
    sc.advance_to("2026-02-22T00:00:00Z");
    let rej = sc
        .when(Command::ReduceSeats(ReduceSeats {
            subscription_id: id,
            seats: 1,
        }))
        .then_rejected("SeatReductionWindowClosed", "SEAT-2")
        .clone();
    assert_eq!(detail(&rej, "reducible_now"), 0);
}

// ---------------------------------------------------------------- REN-3

#[test]
fn ren_3_with_auto_renew_off_the_subscription_expires_at_the_end_of_its_term() {
    let mut sc = Scenario::at("2026-01-15T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1M, Billing::Monthly);
    sc.ok(Command::SetAutoRenew(SetAutoRenew {
        subscription_id: id,
        enabled: false,
    }));
    let v = SubscriptionView::of(sc.sub(id), sc.now, 0);
    assert_eq!(v.next_renewal_at, None);
    assert!(sc.advance_to("2026-02-14T23:59:59Z").is_empty());
    let due = sc.advance_to("2026-02-15T00:00:00Z");
    assert_eq!(types(&due), ["SubscriptionExpired"]);
    match &due[0].data {
        EventData::SubscriptionExpired {
            subscription_id,
            reason,
            data_deleted,
        } => {
            assert_eq!(*subscription_id, id);
            assert_eq!(*reason, ExpiryReason::AutoRenewOff);
            assert!(!data_deleted);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(sc.sub(id).status, Status::Expired);
    assert!(!sc.state.live.contains(&id));
    // Nothing more is due, and it can no longer be changed.
    assert!(sc.advance_to("2026-06-01T00:00:00Z").is_empty());
    let before = sc.state.clone();
    sc.when(Command::AddSeats(AddSeats {
        subscription_id: id,
        seats: 1,
    }))
    .then_rejected("SubscriptionExpired", "REN-3");
    sc.when(Command::SetAutoRenew(SetAutoRenew {
        subscription_id: id,
        enabled: true,
    }))
    .then_rejected("SubscriptionExpired", "REN-3");
    assert_eq!(sc.state, before);
}

#[test]
fn ren_3_a_purchase_with_auto_renew_off_expires() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let mut it = item(E3, 4, P1Y, Billing::Annual);
    it.auto_renew = false;
    let id = sc.buy_item(it);
    let due = sc.advance_to("2027-01-10T00:00:00Z");
    assert_eq!(types(&due), ["SubscriptionExpired"]);
    assert_eq!(sc.sub(id).status, Status::Expired);
}

#[test]
fn ren_3_turning_auto_renew_back_on_before_the_end_renews() {
    let mut sc = Scenario::at("2026-01-15T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1M, Billing::Monthly);
    sc.ok(Command::SetAutoRenew(SetAutoRenew {
        subscription_id: id,
        enabled: false,
    }));
    sc.advance_to("2026-02-14T23:59:59Z");
    sc.ok(Command::SetAutoRenew(SetAutoRenew {
        subscription_id: id,
        enabled: true,
    }));
    let due = sc.advance_to("2026-02-15T00:00:00Z");
    assert_eq!(types(&due), ["SubscriptionRenewed", "Charged"]);
}

#[test]
fn ren_3_software_bought_before_2021_10_14_never_auto_renews() {
    // One second before the cut-off: a legacy software subscription.
    let mut sc = Scenario::at("2021-10-13T23:59:59Z").with_customer("NL");
    let id = sc.buy("windows-server-2022-standard", 2, P1Y, Billing::Annual);
    let s = sc.sub(id);
    assert!(s.legacy_software);
    assert!(
        !s.auto_renew,
        "the purchase asked for auto-renew; it is off"
    );
    assert_eq!(s.term_end_date, Some(date("2022-10-12")));
    let before = sc.state.clone();
    let rej = sc
        .when(Command::SetAutoRenew(SetAutoRenew {
            subscription_id: id,
            enabled: true,
        }))
        .then_rejected("AutoRenewUnavailable", "REN-3")
        .clone();
    assert_eq!(detail(&rej, "purchased_at"), "2021-10-13T23:59:59Z");
    assert_eq!(sc.state, before);
    // Nor through next-term instructions (REN-4 needs auto-renew on).
    sc.when(schedule(id, quantity(3)))
        .then_rejected("ScheduledChangeNotAllowed", "REN-4");
    let due = sc.advance_to("2022-10-13T00:00:00Z");
    assert_eq!(types(&due), ["SubscriptionExpired"]);
    assert_eq!(sc.sub(id).status, Status::Expired);
}

#[test]
fn ren_3_software_bought_at_the_cut_off_instant_auto_renews() {
    let mut sc = Scenario::at("2021-10-14T00:00:00Z").with_customer("NL");
    let id = sc.buy("windows-server-2022-standard", 2, P1Y, Billing::Annual);
    assert!(!sc.sub(id).legacy_software);
    assert!(sc.sub(id).auto_renew);
    let due = sc.advance_to("2022-10-14T00:00:00Z");
    assert_eq!(types(&due), ["SubscriptionRenewed", "Charged"]);
    assert_eq!(charges(&due), vec![(2 * 88000, BillingReason::Renewal)]);
}

#[test]
fn ren_3_licenses_bought_before_the_cut_off_still_auto_renew() {
    let mut sc = Scenario::at("2021-10-01T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 2, P1M, Billing::Monthly);
    assert!(sc.sub(id).auto_renew);
    let due = sc.advance_to("2021-11-01T00:00:00Z");
    assert_eq!(types(&due), ["SubscriptionRenewed", "Charged"]);
}

// ---------------------------------------------------------------- REN-4

#[test]
fn ren_4_quantity_and_billing_change_applied_atomically_at_renewal() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1Y, Billing::Monthly);
    sc.advance_to("2026-06-01T09:00:00Z");
    let change = ScheduledChange {
        quantity: Some(15),
        billing: Some(Billing::Annual),
        ..Default::default()
    };
    sc.when(schedule(id, change.clone()))
        .then_types(&["ScheduledChangeSet"]);
    assert_eq!(sc.sub(id).scheduled_change, Some(change.clone()));
    assert_eq!(sc.sub(id).quantity, 10, "nothing changes mid-term");
    // The last monthly period before the renewal is still 10 seats.
    let due = sc.advance_to("2027-01-09T23:59:59Z");
    assert_eq!(
        charges(&due).last(),
        Some(&(10 * E3_P1Y_MONTHLY, BillingReason::PeriodStart))
    );
    let due = sc.advance_to("2027-01-10T00:00:00Z");
    assert_eq!(types(&due), ["SubscriptionRenewed", "Charged"]);
    let r = renewed(&due);
    assert_eq!(r.quantity, 15);
    assert_eq!(r.billing, Billing::Annual);
    assert_eq!(r.unit_price.amount_minor, E3_P1Y_ANNUAL);
    assert_eq!(r.applied_change, Some(change));
    assert_eq!(r.seat_batch.seats, 15);
    assert_eq!(
        charges(&due),
        vec![(15 * E3_P1Y_ANNUAL, BillingReason::Renewal)]
    );
    let s = sc.sub(id);
    assert_eq!((s.quantity, s.billing), (15, Billing::Annual));
    assert_eq!(s.scheduled_change, None, "applied once");
    // A year later it renews as it is now.
    let due = sc.advance_to("2028-01-10T00:00:00Z");
    assert_eq!(renewed(&due).quantity, 15);
}

#[test]
fn ren_4_term_change_applied_at_renewal() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1Y, Billing::Monthly);
    sc.ok(schedule(
        id,
        ScheduledChange {
            term: Some(Term::P3Y),
            ..Default::default()
        },
    ));
    let due = sc.advance_to("2027-01-10T00:00:00Z");
    let r = renewed(&due);
    assert_eq!(r.term, Term::P3Y);
    assert_eq!(r.term_end_date, date("2030-01-09"));
    assert_eq!(sc.sub(id).term, P3Y);
}

#[test]
fn ren_4_coterm_date_ends_the_next_term_early_and_prorates_its_charge() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1Y, Billing::Annual);
    sc.ok(schedule(
        id,
        ScheduledChange {
            coterm_date: Some(date("2027-06-30")),
            ..Default::default()
        },
    ));
    let due = sc.advance_to("2027-01-10T00:00:00Z");
    let r = renewed(&due);
    assert_eq!(r.term_end_date, date("2027-06-30"));
    // 2027-01-10..2027-06-30 is 22 + 28 + 31 + 30 + 31 + 30 = 172 of 365 days:
    // 403.20 × 10 × 172 / 365 = 1900.0109 → 190001.
    assert_eq!(charges(&due), vec![(190_001, BillingReason::Renewal)]);
    // The next renewal is the day after the coterm date, for a full year again.
    let due = sc.advance_to("2027-07-01T00:00:00Z");
    let r = renewed(&due);
    assert_eq!(r.term_end_date, date("2028-06-30"));
    assert_eq!(
        charges(&due),
        vec![(10 * E3_P1Y_ANNUAL, BillingReason::Renewal)]
    );
}

#[test]
fn ren_4_coterm_date_must_fall_within_the_next_term() {
    // Next term 2027-01-10..2028-01-09.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1Y, Billing::Monthly);
    let coterm = |d: &str| {
        schedule(
            id,
            ScheduledChange {
                coterm_date: Some(date(d)),
                ..Default::default()
            },
        )
    };
    let before = sc.state.clone();
    for bad in ["2027-01-09", "2028-01-10"] {
        let rej = sc
            .when(coterm(bad))
            .then_rejected("InvalidRequest", "REN-4")
            .clone();
        assert_eq!(detail(&rej, "field"), "coterm_date");
        assert_eq!(detail(&rej, "next_term_start"), "2027-01-10");
        assert_eq!(detail(&rej, "next_term_end"), "2028-01-09");
    }
    assert_eq!(sc.state, before);
    for good in ["2027-01-10", "2028-01-09"] {
        sc.when(coterm(good)).then_types(&["ScheduledChangeSet"]);
    }
}

#[test]
fn ren_4_one_change_at_a_time_replaced_or_cleared() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1Y, Billing::Monthly);
    sc.ok(schedule(id, quantity(12)));
    sc.ok(schedule(
        id,
        ScheduledChange {
            billing: Some(Billing::Annual),
            ..Default::default()
        },
    ));
    // Replaced, not merged: the quantity of 12 is gone.
    assert_eq!(
        sc.sub(id).scheduled_change,
        Some(ScheduledChange {
            billing: Some(Billing::Annual),
            ..Default::default()
        })
    );
    let out = sc.when(Command::ClearScheduledChange(ClearScheduledChange {
        subscription_id: id,
    }));
    let events = out.then_types(&["ScheduledChangeCleared"]);
    assert!(matches!(
        events[0].data,
        EventData::ScheduledChangeCleared {
            reason: ClearReason::Requested,
            ..
        }
    ));
    assert_eq!(sc.sub(id).scheduled_change, None);
    let before = sc.state.clone();
    sc.when(Command::ClearScheduledChange(ClearScheduledChange {
        subscription_id: id,
    }))
    .then_rejected("NoScheduledChange", "REN-4");
    assert_eq!(sc.state, before);
    // Cleared: it renews as it is.
    let due = sc.advance_to("2027-01-10T00:00:00Z");
    let r = renewed(&due);
    assert_eq!((r.quantity, r.billing), (10, Billing::Monthly));
}

#[test]
fn ren_4_scheduling_needs_an_active_subscription_with_auto_renew_on() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let off = sc.buy(E3, 10, P1Y, Billing::Monthly);
    sc.ok(Command::SetAutoRenew(SetAutoRenew {
        subscription_id: off,
        enabled: false,
    }));
    let suspended = sc.buy(E3, 10, P1Y, Billing::Monthly);
    sc.ok(Command::Suspend(Suspend {
        subscription_id: suspended,
    }));
    let before = sc.state.clone();
    let rej = sc
        .when(schedule(off, quantity(5)))
        .then_rejected("ScheduledChangeNotAllowed", "REN-4")
        .clone();
    assert_eq!(detail(&rej, "auto_renew"), false);
    assert_eq!(detail(&rej, "status"), "active");
    let rej = sc
        .when(schedule(suspended, quantity(5)))
        .then_rejected("ScheduledChangeNotAllowed", "REN-4")
        .clone();
    assert_eq!(detail(&rej, "status"), "suspended");
    assert_eq!(sc.state, before);
}

#[test]
fn ren_4_the_change_must_be_valid() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1Y, Billing::Monthly);
    let perpetual = sc.buy("windows-server-2022-perpetual", 1, None, Billing::OneTime);
    let before = sc.state.clone();
    // Empty.
    sc.when(schedule(id, ScheduledChange::default()))
        .then_rejected("InvalidRequest", "REN-4");
    // Zero seats.
    sc.when(schedule(id, quantity(0)))
        .then_rejected("InvalidRequest", "PUR-2");
    // A plan not offered (CAT-1).
    sc.when(schedule(
        id,
        ScheduledChange {
            billing: Some(Billing::Triennial),
            ..Default::default()
        },
    ))
    .then_rejected("PlanNotOffered", "PUR-3");
    // A downgrade (UPG-1).
    sc.when(schedule(
        id,
        ScheduledChange {
            product_id: Some("m365-business-basic".into()),
            ..Default::default()
        },
    ))
    .then_rejected("UpgradeNotAllowed", "UPG-1");
    // No term, no next term.
    sc.when(schedule(perpetual, quantity(2)))
        .then_rejected("ScheduledChangeNotAllowed", "REN-4");
    assert_eq!(sc.state, before);
}

#[test]
fn ren_4_a_product_change_is_an_upgrade_at_renewal() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1Y, Billing::Monthly);
    sc.ok(schedule(
        id,
        ScheduledChange {
            product_id: Some("m365-e5".into()),
            quantity: Some(8),
            ..Default::default()
        },
    ));
    let due = sc.advance_to("2027-01-10T00:00:00Z");
    let r = renewed(&due);
    assert_eq!((r.product_id.as_str(), r.quantity), ("m365-e5", 8));
    assert_eq!(
        charges(&due).last(),
        Some(&(8 * 5480, BillingReason::Renewal))
    );
    assert_eq!(sc.sub(id).product_name, "Microsoft 365 E5");
}

// ---------------------------------------------------------------- REN-5

fn with_change() -> (Scenario, Uuid) {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1Y, Billing::Monthly);
    sc.ok(schedule(id, quantity(20)));
    (sc, id)
}

fn cleared_reason(events: &[Event], id: Uuid) -> Option<ClearReason> {
    events.iter().find_map(|e| match &e.data {
        EventData::ScheduledChangeCleared {
            subscription_id,
            reason,
        } if *subscription_id == id => Some(*reason),
        _ => None,
    })
}

#[test]
fn ren_5_cancelling_deletes_the_scheduled_change() {
    let (mut sc, id) = with_change();
    sc.ok(Command::Cancel(Cancel {
        subscription_id: id,
    }));
    assert_eq!(sc.sub(id).scheduled_change, None);
    assert!(
        sc.advance_to("2027-02-01T00:00:00Z")
            .iter()
            .all(|e| !matches!(e.data, EventData::SubscriptionRenewed(_)))
    );
}

#[test]
fn ren_5_a_scheduled_marketplace_cancellation_deletes_the_scheduled_change() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let id = sc.buy("isv-saas-monthly", 5, P1M, Billing::Monthly);
    sc.ok(schedule(id, quantity(7)));
    sc.advance_to("2026-01-11T09:00:00Z");
    let out = sc.when(Command::Cancel(Cancel {
        subscription_id: id,
    }));
    let events = out.then_types(&["CancellationScheduled", "ScheduledChangeCleared"]);
    assert_eq!(cleared_reason(events, id), Some(ClearReason::Cancelled));
    assert_eq!(sc.sub(id).scheduled_change, None);
}

#[test]
fn ren_5_turning_auto_renew_off_deletes_the_scheduled_change() {
    let (mut sc, id) = with_change();
    let out = sc.when(Command::SetAutoRenew(SetAutoRenew {
        subscription_id: id,
        enabled: false,
    }));
    let events = out.then_types(&["AutoRenewSet", "ScheduledChangeCleared"]);
    assert_eq!(cleared_reason(events, id), Some(ClearReason::AutoRenewOff));
    assert_eq!(sc.sub(id).scheduled_change, None);
    // Turning it back on does not bring the change back.
    sc.ok(Command::SetAutoRenew(SetAutoRenew {
        subscription_id: id,
        enabled: true,
    }));
    let due = sc.advance_to("2027-01-10T00:00:00Z");
    assert_eq!(renewed(&due).quantity, 10);
}

#[test]
fn ren_5_suspending_deletes_the_scheduled_change() {
    let (mut sc, id) = with_change();
    let out = sc.when(Command::Suspend(Suspend {
        subscription_id: id,
    }));
    let events = out.then_types(&["SubscriptionSuspended", "ScheduledChangeCleared"]);
    assert_eq!(cleared_reason(events, id), Some(ClearReason::AutoRenewOff));
    assert_eq!(sc.sub(id).scheduled_change, None);
}

#[test]
fn ren_5_a_mid_term_quantity_change_deletes_the_scheduled_change() {
    let (mut sc, id) = with_change();
    let out = sc.when(Command::AddSeats(AddSeats {
        subscription_id: id,
        seats: 2,
    }));
    let events = out.then_types(&["SeatsAdded", "Charged", "ScheduledChangeCleared"]);
    assert_eq!(
        cleared_reason(events, id),
        Some(ClearReason::QuantityChanged)
    );
    assert_eq!(sc.sub(id).scheduled_change, None);

    let (mut sc, id) = with_change();
    let out = sc.when(Command::ReduceSeats(ReduceSeats {
        subscription_id: id,
        seats: 2,
    }));
    let events = out.then_types(&["SeatsReduced", "Credited", "ScheduledChangeCleared"]);
    assert_eq!(
        cleared_reason(events, id),
        Some(ClearReason::QuantityChanged)
    );
    // It renews with the quantity it has, not the 20 once scheduled.
    let due = sc.advance_to("2027-01-10T00:00:00Z");
    assert_eq!(renewed(&due).quantity, 8);
}

#[test]
fn ren_5_a_mid_term_upgrade_deletes_the_scheduled_change() {
    let (mut sc, id) = with_change();
    let out = sc.when(upgrade_now(id, "m365-e5", 10));
    assert_eq!(
        cleared_reason(out.accepted(), id),
        Some(ClearReason::Upgraded)
    );
    assert_eq!(sc.sub(id).scheduled_change, None);
}

#[test]
fn ren_5_converting_a_trial_deletes_its_scheduled_change() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let mut it = item("m365-business-premium", 25, P1M, Billing::Monthly);
    it.trial = true;
    let trial = sc.buy_item(it);
    sc.ok(schedule(trial, quantity(10)));
    let out = sc.when(Command::ConvertTrial(ConvertTrial {
        subscription_id: trial,
        target_subscription_id: None,
        quantity: Some(30),
        term: None,
        billing: None,
    }));
    assert_eq!(
        cleared_reason(out.accepted(), trial),
        Some(ClearReason::TrialConverted)
    );
    assert_eq!(sc.sub(trial).scheduled_change, None);
}

#[test]
fn ren_5_other_commands_keep_the_scheduled_change() {
    let (mut sc, id) = with_change();
    sc.ok(Command::SetAutoRenew(SetAutoRenew {
        subscription_id: id,
        enabled: true,
    }));
    assert_eq!(sc.sub(id).scheduled_change, Some(quantity(20)));
    let due = sc.advance_to("2027-01-10T00:00:00Z");
    assert_eq!(renewed(&due).quantity, 20);
}

// ---------------------------------------------------------------- REN-6

#[test]
fn ren_6_a_suspended_subscription_expires_at_its_end_date_whatever_auto_renew_was() {
    let mut sc = Scenario::at("2026-01-15T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1M, Billing::Monthly);
    assert!(sc.sub(id).auto_renew);
    sc.ok(Command::Suspend(Suspend {
        subscription_id: id,
    }));
    assert!(!sc.sub(id).auto_renew);
    assert!(sc.advance_to("2026-02-14T23:59:59Z").is_empty());
    assert_eq!(sc.sub(id).status, Status::Suspended);
    let due = sc.advance_to("2026-02-15T00:00:00Z");
    assert_eq!(types(&due), ["SubscriptionExpired"]);
    match &due[0].data {
        EventData::SubscriptionExpired {
            reason,
            data_deleted,
            ..
        } => {
            assert_eq!(*reason, ExpiryReason::SuspendedAtTermEnd);
            assert!(*data_deleted);
        }
        other => panic!("unexpected {other:?}"),
    }
    let s = sc.sub(id);
    assert_eq!(s.status, Status::Expired);
    assert!(s.data_deleted);
}

#[test]
fn ren_6_auto_renew_cannot_be_turned_on_while_suspended() {
    let mut sc = Scenario::at("2026-01-15T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1M, Billing::Monthly);
    sc.ok(Command::Suspend(Suspend {
        subscription_id: id,
    }));
    let before = sc.state.clone();
    let rej = sc
        .when(Command::SetAutoRenew(SetAutoRenew {
            subscription_id: id,
            enabled: true,
        }))
        .then_rejected("SubscriptionSuspended", "REN-6")
        .clone();
    assert_eq!(detail(&rej, "status"), "suspended");
    assert_eq!(sc.state, before);
}

#[test]
fn ren_6_reactivated_before_the_end_it_follows_its_auto_renew_setting() {
    // Reactivated one second before the end, with auto-renew still off (SUS-2): it
    // expires normally, its data kept.
    let mut sc = Scenario::at("2026-01-15T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1M, Billing::Monthly);
    sc.ok(Command::Suspend(Suspend {
        subscription_id: id,
    }));
    sc.advance_to("2026-02-14T23:59:59Z");
    sc.ok(Command::Reactivate(Reactivate {
        subscription_id: id,
    }));
    let due = sc.advance_to("2026-02-15T00:00:00Z");
    assert!(matches!(
        due[0].data,
        EventData::SubscriptionExpired {
            reason: ExpiryReason::AutoRenewOff,
            data_deleted: false,
            ..
        }
    ));
    // With auto-renew turned on again after reactivation, it renews.
    let mut sc = Scenario::at("2026-01-15T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1M, Billing::Monthly);
    sc.ok(Command::Suspend(Suspend {
        subscription_id: id,
    }));
    sc.ok(Command::Reactivate(Reactivate {
        subscription_id: id,
    }));
    sc.ok(Command::SetAutoRenew(SetAutoRenew {
        subscription_id: id,
        enabled: true,
    }));
    let due = sc.advance_to("2026-02-15T00:00:00Z");
    assert_eq!(types(&due), ["SubscriptionRenewed", "Charged"]);
}

// ---------------------------------------------------------------- REN-7

/// A customer with a bit of everything that time moves: a monthly-billed year, a
/// P1M licence, a trial, a marketplace cancellation at term end and a transfer
/// request.
fn busy_customer() -> Scenario {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.buy(E3, 10, P1Y, Billing::Monthly);
    sc.buy(E3, 3, P1M, Billing::Monthly);
    let mut it = item("m365-business-premium", 25, P1M, Billing::Monthly);
    it.trial = true;
    sc.buy_item(it);
    let saas = sc.buy("isv-saas-monthly", 5, P1M, Billing::Monthly);
    let mut it = item(E3, 2, P1M, Billing::Monthly);
    it.auto_renew = false;
    sc.buy_item(it);
    sc.relate(PARTNER_B);
    sc.when_as(
        &partner(
            PARTNER_B,
            &[
                subledger_domain::Role::AdminAgent,
                subledger_domain::Role::GlobalAdmin,
            ],
        ),
        Command::RequestTransfer(RequestTransfer {
            customer_id: CUSTOMER,
            source_partner_id: PARTNER_A,
            customer_email: "it@fabrikam.example".into(),
        }),
    )
    .accepted();
    sc.advance_to("2026-01-12T09:00:00Z");
    sc.ok(Command::Cancel(Cancel {
        subscription_id: saas,
    }));
    sc
}

#[test]
fn ren_7_every_kind_of_due_work_is_done_by_the_ledger() {
    let mut sc = busy_customer();
    let due = sc.advance_to("2026-03-01T00:00:00Z");
    let t = types(&due);
    for kind in [
        "SubscriptionRenewed",
        "TrialConverted",
        "SubscriptionCancelled",
        "SubscriptionExpired",
        "TransferExpired",
        "Charged",
    ] {
        assert!(t.contains(&kind), "{kind} missing from {t:?}");
    }
    // In order of their due instants, each stamped with its own instant.
    assert!(due.windows(2).all(|w| w[0].at <= w[1].at));
    assert!(due.iter().all(|e| e.actor.is_none()));
    assert!(invariants::check(&sc.state).is_empty());
}

#[test]
fn ren_7_running_due_work_again_at_the_same_instant_does_nothing() {
    let mut sc = busy_customer();
    let now = at("2026-04-01T00:00:00Z");
    let first = time::due_events(&sc.state, now, &sc.catalog);
    assert!(!first.is_empty());
    for e in &first {
        sc.state.apply(e);
    }
    assert!(time::due_events(&sc.state, now, &sc.catalog).is_empty());
    assert_eq!(time::next_due(&sc.state).map(|(t, _)| t > now), Some(true));
}

#[test]
fn ren_7_apply_due_leaves_the_state_that_folding_its_events_gives() {
    // The ledger folds due work into its cached state as it decides it; the state
    // must be exactly the fold of the events it then appends.
    let sc = busy_customer();
    let now = at("2027-02-01T00:00:00Z");
    let mut applied = sc.state.clone();
    let events = time::apply_due(&mut applied, now, &sc.catalog);
    assert!(!events.is_empty());
    assert_eq!(events, time::due_events(&sc.state, now, &sc.catalog));
    let mut folded = sc.state.clone();
    for e in &events {
        folded.apply(e);
    }
    assert_eq!(
        serde_json::to_value(&applied).unwrap(),
        serde_json::to_value(&folded).unwrap()
    );
    assert!(time::apply_due(&mut applied, now, &sc.catalog).is_empty());
}

#[test]
fn ren_7_two_instances_deciding_from_the_same_state_produce_the_same_events() {
    // Two service instances read the same stream version; they compute identical
    // events, so whichever appends second at that expected version conflicts and,
    // re-reading, finds nothing left to do.
    let sc = busy_customer();
    let now = at("2027-02-01T00:00:00Z");
    let a = time::due_events(&sc.state, now, &sc.catalog);
    let b = time::due_events(&sc.state.clone(), now, &sc.catalog);
    assert!(!a.is_empty());
    assert_eq!(a, b);
    let mut after = sc.state.clone();
    for e in &a {
        after.apply(e);
    }
    assert!(time::due_events(&after, now, &sc.catalog).is_empty());
    // The same holds for a command: decided twice from the same state with the same
    // id, the events (ids included) are identical.
    let id = *sc.state.live.iter().next().expect("a live subscription");
    let cmd = Command::AddSeats(AddSeats {
        subscription_id: id,
        seats: 1,
    });
    let actor = admin_a();
    let ctx = CommandContext {
        command_id: Uuid::from_u128(42),
        actor: &actor,
        now: at("2026-01-20T00:00:00Z"),
        key_fingerprint: None,
    };
    let state = {
        let mut s = sc.state.clone();
        for e in time::due_events(&s, ctx.now, &sc.catalog) {
            s.apply(&e);
        }
        s
    };
    assert_eq!(
        decide(&state, &cmd, &ctx, &sc.catalog),
        decide(&state.clone(), &cmd, &ctx, &sc.catalog)
    );
}

#[test]
fn ren_7_catching_up_stamps_each_event_with_its_own_due_instant() {
    // Nobody ran the ledger for a year: catching up at once charges each monthly
    // period at its start and renews at midnight after the end date.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.buy(E3, 10, P1Y, Billing::Monthly);
    let due = sc.advance_to("2027-01-20T00:00:00Z");
    let instants: Vec<String> = due.iter().map(|e| e.at.to_rfc3339()).collect();
    let mut expected: Vec<String> = (2..=12)
        .map(|m| format!("2026-{m:02}-10T00:00:00+00:00"))
        .collect();
    expected.push("2027-01-10T00:00:00+00:00".into());
    expected.push("2027-01-10T00:00:00+00:00".into());
    assert_eq!(instants, expected);
    assert_eq!(
        charges(&due).iter().map(|c| c.0).sum::<i64>(),
        12 * 10 * E3_P1Y_MONTHLY
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// REN-7: however the clock is advanced (in one jump or in many small steps, with
    /// repeated runs at the same instant), the ledger does the same work, stamped the
    /// same, and every state on the way keeps the invariants.
    #[test]
    fn ren_7_time_driven_work_does_not_depend_on_how_often_it_runs(
        steps in proptest::collection::vec((0u32..=40 * 24, any::<bool>()), 1..20)
    ) {
        let base = busy_customer();
        let mut stepped = busy_customer();
        let mut now = stepped.now;
        for (hours, twice) in &steps {
            now += chrono::TimeDelta::hours(i64::from(*hours));
            stepped.advance(now);
            if *twice {
                prop_assert!(stepped.advance(now).is_empty());
            }
            prop_assert!(invariants::check(&stepped.state).is_empty(),
                "{:?}", invariants::check(&stepped.state));
        }
        let mut once = busy_customer();
        once.advance(now);
        prop_assert_eq!(&stepped.history, &once.history);
        prop_assert_eq!(&stepped.state, &once.state);
        prop_assert!(base.history.len() <= once.history.len());
    }
}
