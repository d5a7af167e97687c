//! CAN-1..6: cancellation.

mod support;

use subledger_domain::calendar::{Billing, Term};
use subledger_domain::command::ScheduledChange;
use subledger_domain::command::{
    AddSeats, Cancel, ClearScheduledChange, ConvertTrial, CopyDownloadLink, DownloadSoftware,
    Reactivate, ReduceSeats, RevealKey, ScheduleChange, SetAutoRenew, Suspend, Upgrade,
};
use subledger_domain::command::{Command, KeyType, UpgradeTiming};
use subledger_domain::event::{BillingLine, BillingReason, CancelReason, ClearReason, EventData};
use subledger_domain::state::Status;
use subledger_domain::view::{SubscriptionView, csv_row};
use subledger_domain::{Rejection, Role, invariants, time};
use support::*;
use uuid::Uuid;

#[track_caller]
fn rejected(o: Outcome, code: &str, rule: &str) -> Rejection {
    o.then_rejected(code, rule).clone()
}

fn cancel(subscription_id: Uuid) -> Command {
    Command::Cancel(Cancel { subscription_id })
}

fn schedule_quantity(subscription_id: Uuid, quantity: u32) -> Command {
    Command::ScheduleChange(ScheduleChange {
        subscription_id,
        change: ScheduledChange {
            product_id: None,
            quantity: Some(quantity),
            term: None,
            billing: None,
            coterm_date: None,
        },
    })
}

/// The one credit line of an outcome.
#[track_caller]
fn credit(o: &Outcome) -> &BillingLine {
    let credits: Vec<&BillingLine> = o
        .events()
        .iter()
        .filter_map(|e| match &e.data {
            EventData::Credited(l) => Some(l),
            _ => None,
        })
        .collect();
    assert_eq!(credits.len(), 1, "{:#?}", o.events());
    credits[0]
}

#[track_caller]
fn assert_cancelled(o: &Outcome, sub: Uuid, keys_revoked: bool) {
    let events = o.then_types(&["SubscriptionCancelled", "Credited"]);
    match &events[0].data {
        EventData::SubscriptionCancelled {
            subscription_id,
            reason,
            keys_revoked: revoked,
        } => {
            assert_eq!(*subscription_id, sub);
            assert_eq!(*reason, CancelReason::Requested);
            assert_eq!(*revoked, keys_revoked);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(credit(o).reason, BillingReason::Cancelled);
}

/// 10 seats of M365 E3, P1Y billed monthly (33.60), bought 2026-01-10 09:00; the
/// cancellation window closes 2026-01-17T09:00:00Z.
fn e3_ten() -> (Scenario, Uuid) {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, Billing::Monthly);
    (sc, sub)
}

// ---------------------------------------------------------------- CAN-1

#[test]
fn can_1_a_license_is_cancellable_until_one_second_before_seven_days() {
    let (mut sc, sub) = e3_ten();
    sc.advance_to("2026-01-17T08:59:59Z");
    let r = sc.when(cancel(sub));
    assert_cancelled(&r, sub, false);
    // Period 2026-01-10..2026-02-09 (31 days), 10..17 Jan used (8 days):
    // 3360 × 10 × 23 / 31 = 24929.03 → 24929.
    assert_eq!(r.amounts(), vec![-24929]);
    let line = credit(&r);
    assert_eq!(
        (line.seats, line.period_days, line.days_charged),
        (10, 31, 23)
    );
    assert_eq!(sc.sub(sub).status, Status::Cancelled);
}

#[test]
fn can_1_a_same_day_cancellation_uses_one_day() {
    let (mut sc, sub) = e3_ten();
    sc.advance_to("2026-01-10T23:00:00Z");
    let r = sc.when(cancel(sub));
    assert_cancelled(&r, sub, false);
    // 3360 × 10 × 30 / 31 = 32516.13 → 32516.
    assert_eq!(r.amounts(), vec![-32516]);
}

#[test]
fn can_1_at_the_window_end_it_is_refused_with_the_instant_and_writes_nothing() {
    let (mut sc, sub) = e3_ten();
    sc.advance_to("2026-01-17T09:00:00Z");
    let before = sc.state.clone();
    let rej = &rejected(sc.when(cancel(sub)), "CancellationWindowClosed", "CAN-1");
    assert_eq!(detail(rej, "window_closed_at"), "2026-01-17T09:00:00Z");
    assert_eq!(detail(rej, "now"), "2026-01-17T09:00:00Z");
    assert!(
        rej.message.contains("2026-01-17T09:00:00Z"),
        "{}",
        rej.message
    );
    assert_eq!(sc.state, before);
    assert_eq!(sc.sub(sub).status, Status::Active);
}

#[test]
fn can_1_seats_added_before_cancelling_are_credited_too() {
    let (mut sc, sub) = e3_ten();
    sc.advance_to("2026-01-12T09:00:00Z");
    // 5 seats for 29 days: 3360 × 5 × 29 / 31 = 15716.13 → 15716.
    assert_eq!(
        sc.when(Command::AddSeats(AddSeats {
            subscription_id: sub,
            seats: 5
        }))
        .amounts(),
        vec![15716]
    );
    sc.advance_to("2026-01-14T09:00:00Z");
    let r = sc.when(cancel(sub));
    // 15 seats, 5 days used: 3360 × 15 × 26 / 31 = 42270.97 → 42271.
    assert_eq!(r.amounts(), vec![-42271]);
    assert_eq!(credit(&r).seats, 15);
}

#[test]
fn can_1_a_renewal_opens_a_new_seven_day_window_from_the_renewal_instant() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1M, Billing::Monthly);
    // The first term's window is long closed before the end of the term…
    sc.advance_to("2026-02-09T12:00:00Z");
    rejected(sc.when(cancel(sub)), "CancellationWindowClosed", "CAN-1");
    // …the renewal at 2026-02-10T00:00:00Z opens one until 2026-02-17T00:00:00Z.
    sc.advance_to("2026-02-16T23:59:59Z");
    assert_eq!(
        sc.sub(sub).cancellation_allowed_until,
        Some(at("2026-02-17T00:00:00Z"))
    );
    let r = sc.when(cancel(sub));
    assert_cancelled(&r, sub, false);
    // Period 2026-02-10..2026-03-09 (28 days), 7 used, P1M price 40.32:
    // 4032 × 10 × 21 / 28 = 30240.
    assert_eq!(r.amounts(), vec![-30240]);
}

#[test]
fn can_1_the_renewal_window_closes_seven_days_after_the_renewal_instant() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1M, Billing::Monthly);
    sc.advance_to("2026-02-17T00:00:00Z");
    let before = sc.state.clone();
    let rej = &rejected(sc.when(cancel(sub)), "CancellationWindowClosed", "CAN-1");
    assert_eq!(detail(rej, "window_closed_at"), "2026-02-17T00:00:00Z");
    assert_eq!(sc.state, before);
}

#[test]
fn can_1_a_software_subscription_is_credited_pro_rata_and_its_keys_revoked() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("windows-server-2022-standard", 2, P1Y, Billing::Annual);
    sc.advance_to("2026-01-12T09:00:00Z");
    let r = sc.when(cancel(sub));
    assert_cancelled(&r, sub, true);
    // 365-day period, 3 days used: 88000 × 2 × 362 / 365 = 174553.42 → 174553.
    assert_eq!(r.amounts(), vec![-174553]);
    assert!(sc.sub(sub).keys_revoked);
}

#[test]
fn can_1_a_software_subscription_window_also_closes_after_seven_days() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("sql-server-2022-standard", 1, P3Y, Billing::Triennial);
    sc.advance_to("2026-01-17T09:00:00Z");
    let rej = &rejected(sc.when(cancel(sub)), "CancellationWindowClosed", "CAN-1");
    assert_eq!(detail(rej, "window_closed_at"), "2026-01-17T09:00:00Z");
}

#[test]
fn can_1_cancel_is_for_admin_agents_and_global_admins_only() {
    let (mut sc, sub) = e3_ten();
    let sales = partner(PARTNER_A, &[Role::SalesAgent, Role::HelpdeskAgent]);
    let rej = &rejected(sc.when_as(&sales, cancel(sub)), "Forbidden", "GEN-3");
    assert_eq!(
        detail(rej, "required_roles"),
        &serde_json::json!(["admin_agent", "global_admin"])
    );
    let global = partner(PARTNER_A, &[Role::GlobalAdmin]);
    sc.when_as(&global, cancel(sub))
        .then_types(&["SubscriptionCancelled", "Credited"]);
}

#[test]
fn can_1_the_view_shows_until_when_it_can_be_cancelled() {
    let (mut sc, sub) = e3_ten();
    let view = SubscriptionView::of(sc.sub(sub), at("2026-01-17T08:59:59Z"), 1);
    assert_eq!(
        view.cancellation_allowed_until,
        Some(at("2026-01-17T09:00:00Z"))
    );
    let view = SubscriptionView::of(sc.sub(sub), at("2026-01-17T09:00:00Z"), 1);
    assert_eq!(view.cancellation_allowed_until, None);
    sc.advance_to("2026-01-11T00:00:00Z");
    assert!(sc.sub(sub).cancellation_allowed_until.is_some());
}

// ---------------------------------------------------------------- CAN-2

#[test]
fn can_2_perpetual_software_is_credited_in_full_within_thirty_days() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("windows-server-2022-perpetual", 2, None, Billing::OneTime);
    sc.advance_to("2026-02-09T08:59:59Z");
    let r = sc.when(cancel(sub));
    assert_cancelled(&r, sub, true);
    // The one-time charge, 1069.00 × 2, comes back in full (BIL-7).
    assert_eq!(r.amounts(), vec![-213800]);
    assert!(sc.sub(sub).keys_revoked);
}

#[test]
fn can_2_perpetual_software_window_closes_at_thirty_days() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("windows-server-2022-perpetual", 2, None, Billing::OneTime);
    sc.advance_to("2026-02-09T09:00:00Z");
    let before = sc.state.clone();
    let rej = &rejected(sc.when(cancel(sub)), "CancellationWindowClosed", "CAN-2");
    assert_eq!(detail(rej, "window_closed_at"), "2026-02-09T09:00:00Z");
    assert!(rej.message.contains("30 days"), "{}", rej.message);
    assert_eq!(sc.state, before);
}

// ---------------------------------------------------------------- CAN-3

/// 3 seats of the monthly marketplace offer (49.00), bought 2026-01-10 09:00;
/// the term ends 2026-02-09.
fn saas_monthly() -> (Scenario, Uuid) {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("isv-saas-monthly", 3, P1M, Billing::Monthly);
    (sc, sub)
}

#[test]
fn can_3_monthly_marketplace_within_24_hours_is_cancelled_with_a_full_credit() {
    let (mut sc, sub) = saas_monthly();
    sc.advance_to("2026-01-11T08:59:59Z");
    let r = sc.when(cancel(sub));
    assert_cancelled(&r, sub, false);
    assert_eq!(r.amounts(), vec![-14700]);
    assert_eq!(sc.sub(sub).status, Status::Cancelled);
}

#[test]
fn can_3_the_full_credit_includes_seats_added_in_the_period() {
    let (mut sc, sub) = saas_monthly();
    sc.advance_to("2026-01-10T12:00:00Z");
    // Added on the period's first day: the whole period, 4900 × 2.
    assert_eq!(
        sc.when(Command::AddSeats(AddSeats {
            subscription_id: sub,
            seats: 2
        }))
        .amounts(),
        vec![9800]
    );
    sc.advance_to("2026-01-10T20:00:00Z");
    let r = sc.when(cancel(sub));
    assert_eq!(r.amounts(), vec![-(14700 + 9800)]);
}

#[test]
fn can_3_monthly_marketplace_after_24_hours_is_scheduled_for_the_term_end() {
    let (mut sc, sub) = saas_monthly();
    sc.advance_to("2026-01-11T09:00:00Z");
    let r = sc.when(cancel(sub));
    match &r.then_types(&["CancellationScheduled"])[0].data {
        EventData::CancellationScheduled {
            subscription_id,
            effective_at,
        } => {
            assert_eq!(*subscription_id, sub);
            assert_eq!(*effective_at, at("2026-02-10T00:00:00Z"));
        }
        other => panic!("unexpected {other:?}"),
    }
    let s = sc.sub(sub);
    assert_eq!(s.status, Status::Active);
    assert!(!s.auto_renew);
    assert_eq!(time::next_renewal_at(s), None);
    let view = SubscriptionView::of(s, sc.now, 1);
    assert!(view.cancellation_scheduled);
    assert_eq!(view.status, Status::Active);

    // Still active one second before the term ends…
    assert!(sc.advance_to("2026-02-09T23:59:59Z").is_empty());
    assert_eq!(sc.sub(sub).status, Status::Active);
    // …then cancelled by the ledger, with no credit and no renewal.
    let due = sc.advance_to("2026-02-10T00:00:00Z");
    assert_eq!(due.len(), 1, "{due:#?}");
    assert_eq!(due[0].at, at("2026-02-10T00:00:00Z"));
    assert!(due[0].actor.is_none());
    assert!(matches!(
        due[0].data,
        EventData::SubscriptionCancelled {
            subscription_id,
            reason: CancelReason::ScheduledAtTermEnd,
            ..
        } if subscription_id == sub
    ));
    assert_eq!(sc.sub(sub).status, Status::Cancelled);
    assert!(sc.advance_to("2026-04-01T00:00:00Z").is_empty());
    assert!(invariants::check(&sc.state).is_empty());
}

#[test]
fn can_3_annual_marketplace_has_fourteen_days() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("isv-saas-annual", 2, P1Y, Billing::Annual);
    sc.advance_to("2026-01-24T08:59:59Z");
    let r = sc.when(cancel(sub));
    assert_cancelled(&r, sub, false);
    assert_eq!(r.amounts(), vec![-98000]);

    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("isv-saas-annual", 2, P1Y, Billing::Annual);
    sc.advance_to("2026-01-24T09:00:00Z");
    let r = sc.when(cancel(sub));
    match &r.then_types(&["CancellationScheduled"])[0].data {
        EventData::CancellationScheduled { effective_at, .. } => {
            assert_eq!(*effective_at, at("2027-01-10T00:00:00Z"))
        }
        other => panic!("unexpected {other:?}"),
    }
    let due = sc.advance_to("2027-01-10T00:00:00Z");
    let types: Vec<_> = due.iter().map(|e| e.data.type_name()).collect();
    assert_eq!(types, vec!["SubscriptionCancelled"]);
}

#[test]
fn can_3_a_scheduled_cancellation_cannot_be_repeated_nor_undone_by_auto_renew() {
    let (mut sc, sub) = saas_monthly();
    sc.advance_to("2026-01-15T09:00:00Z");
    sc.ok(cancel(sub));
    let before = sc.state.clone();
    let rej = &rejected(
        sc.when(cancel(sub)),
        "CancellationAlreadyScheduled",
        "CAN-3",
    );
    assert_eq!(detail(rej, "effective_at"), "2026-02-10T00:00:00Z");
    let rej = &rejected(
        sc.when(Command::SetAutoRenew(SetAutoRenew {
            subscription_id: sub,
            enabled: true,
        })),
        "CancellationScheduled",
        "CAN-3",
    );
    assert_eq!(detail(rej, "effective_at"), "2026-02-10T00:00:00Z");
    assert_eq!(sc.state, before);
}

#[test]
fn can_3_scheduling_the_cancellation_deletes_the_scheduled_change() {
    let (mut sc, sub) = saas_monthly();
    sc.advance_to("2026-01-15T09:00:00Z");
    sc.ok(schedule_quantity(sub, 5));
    let r = sc.when(cancel(sub));
    let events = r.then_types(&["CancellationScheduled", "ScheduledChangeCleared"]);
    assert!(matches!(
        events[1].data,
        EventData::ScheduledChangeCleared {
            reason: ClearReason::Cancelled,
            ..
        }
    ));
    assert_eq!(sc.sub(sub).scheduled_change, None);
}

#[test]
fn can_3_a_renewed_monthly_term_has_its_own_24_hours() {
    // Ruling: like CAN-1's renewal window, each marketplace term opens its own
    // early-cancellation window at its start.
    let (mut sc, sub) = saas_monthly();
    let due = sc.advance_to("2026-02-10T23:59:59Z");
    assert!(
        due.iter()
            .any(|e| matches!(e.data, EventData::SubscriptionRenewed(_)))
    );
    let r = sc.when(cancel(sub));
    assert_cancelled(&r, sub, false);
    // The renewal's charge (4900 × 3) comes back in full.
    assert_eq!(r.amounts(), vec![-14700]);
    assert_eq!(credit(&r).period_start, date("2026-02-10"));
}

// ---------------------------------------------------------------- CAN-4

#[test]
fn can_4_red_hat_and_suse_plans_can_never_be_cancelled() {
    for product in ["rhel-software-plan", "suse-software-plan"] {
        let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
        let sub = sc.buy(product, 1, P1Y, Billing::Annual);
        // Not even a minute after the purchase…
        sc.advance_to("2026-01-10T09:01:00Z");
        let before = sc.state.clone();
        let rej = &rejected(sc.when(cancel(sub)), "NotCancellable", "CAN-4");
        assert_eq!(detail(rej, "product_id"), product);
        assert_eq!(sc.state, before);
        assert_eq!(
            SubscriptionView::of(sc.sub(sub), sc.now, 1).cancellation_allowed_until,
            None
        );
        // …nor later: still CAN-4, not a closed window.
        sc.advance_to("2026-03-01T00:00:00Z");
        rejected(sc.when(cancel(sub)), "NotCancellable", "CAN-4");
        assert_eq!(sc.sub(sub).status, Status::Active);
    }
}

#[test]
fn can_4_a_not_cancellable_three_year_plan_is_refused_too() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("rhel-software-plan", 3, Some(Term::P3Y), Billing::Triennial);
    rejected(sc.when(cancel(sub)), "NotCancellable", "CAN-4");
}

// ---------------------------------------------------------------- CAN-5

#[test]
fn can_5_a_cancelled_subscription_still_shows_with_status_cancelled() {
    let (mut sc, sub) = e3_ten();
    sc.advance_to("2026-01-11T10:00:00Z");
    sc.ok(cancel(sub));
    let s = sc.sub(sub);
    assert_eq!(s.status, Status::Cancelled);
    assert_eq!(s.closed_at, Some(at("2026-01-11T10:00:00Z")));
    assert!(!sc.state.live.contains(&sub));
    let view = SubscriptionView::of(s, sc.now, 1);
    assert_eq!(view.status, Status::Cancelled);
    assert_eq!(view.quantity, 10);
    assert!(!view.auto_renew);
    assert_eq!(view.next_renewal_at, None);
    assert_eq!(view.cancellation_allowed_until, None);
    assert_eq!(view.refundable_seats.total, 0);
    assert_eq!(csv_row(s)[3], "cancelled; auto-renew off");
    assert!(invariants::check(&sc.state).is_empty());
}

#[test]
fn can_5_every_later_command_is_refused_with_subscription_cancelled() {
    let (mut sc, sub) = e3_ten();
    sc.ok(schedule_quantity(sub, 12));
    sc.ok(cancel(sub));
    assert_eq!(
        sc.sub(sub).scheduled_change,
        None,
        "scheduled changes are deleted"
    );
    let before = sc.state.clone();
    let commands = vec![
        Command::AddSeats(AddSeats {
            subscription_id: sub,
            seats: 1,
        }),
        Command::ReduceSeats(ReduceSeats {
            subscription_id: sub,
            seats: 1,
        }),
        Command::Suspend(Suspend {
            subscription_id: sub,
        }),
        Command::Reactivate(Reactivate {
            subscription_id: sub,
        }),
        Command::SetAutoRenew(SetAutoRenew {
            subscription_id: sub,
            enabled: true,
        }),
        Command::SetAutoRenew(SetAutoRenew {
            subscription_id: sub,
            enabled: false,
        }),
        schedule_quantity(sub, 5),
        Command::ClearScheduledChange(ClearScheduledChange {
            subscription_id: sub,
        }),
        cancel(sub),
        Command::Upgrade(Upgrade {
            subscription_id: sub,
            target_product_id: "m365-e5".into(),
            quantity: 10,
            target_subscription_id: None,
            term: None,
            billing: None,
            timing: UpgradeTiming::Now,
        }),
        Command::ConvertTrial(ConvertTrial {
            subscription_id: sub,
            target_subscription_id: None,
            quantity: Some(25),
            term: P1Y,
            billing: Some(Billing::Monthly),
        }),
    ];
    for command in commands {
        let name = command.type_name();
        let r = sc.when(command);
        let rej = r.then_rejected("SubscriptionCancelled", "CAN-5");
        assert_eq!(detail(rej, "status"), "cancelled", "{name}");
        assert_eq!(detail(rej, "closed_at"), "2026-01-10T09:00:00Z", "{name}");
    }
    assert_eq!(sc.state, before, "nothing was written");
}

#[test]
fn can_5_key_requests_after_cancellation_are_refused_with_keys_revoked() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("windows-server-2022-datacenter", 1, P1Y, Billing::Annual);
    sc.ok(cancel(sub));
    assert!(sc.sub(sub).keys_revoked);
    let before = sc.state.clone();
    for command in [
        Command::RevealKey(RevealKey {
            subscription_id: sub,
            key_type: KeyType::MAK,
            version: None,
            language: None,
            os: None,
        }),
        Command::DownloadSoftware(DownloadSoftware {
            subscription_id: sub,
            version: None,
            language: None,
            os: None,
        }),
        Command::CopyDownloadLink(CopyDownloadLink {
            subscription_id: sub,
            version: None,
            language: None,
            os: None,
        }),
    ] {
        rejected(sc.when(command), "KeysRevoked", "KEY-5");
    }
    assert_eq!(sc.state, before);
}

#[test]
fn can_5_a_cancelled_subscription_is_never_charged_renewed_or_expired_again() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1M, Billing::Monthly);
    sc.ok(cancel(sub));
    assert!(sc.advance_to("2027-06-01T00:00:00Z").is_empty());
    assert_eq!(sc.sub(sub).status, Status::Cancelled);
}

#[test]
fn can_5_a_scheduled_marketplace_cancellation_ends_the_same_way() {
    let (mut sc, sub) = saas_monthly();
    sc.advance_to("2026-01-20T09:00:00Z");
    sc.ok(cancel(sub));
    sc.advance_to("2026-02-10T00:00:00Z");
    let before = sc.state.clone();
    rejected(
        sc.when(Command::AddSeats(AddSeats {
            subscription_id: sub,
            seats: 1,
        })),
        "SubscriptionCancelled",
        "CAN-5",
    );
    rejected(
        sc.when(Command::Reactivate(Reactivate {
            subscription_id: sub,
        })),
        "SubscriptionCancelled",
        "CAN-5",
    );
    assert_eq!(sc.state, before);
}

// ---------------------------------------------------------------- CAN-6

#[test]
fn can_6_cancelling_a_base_does_not_cancel_its_add_ons() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let events = sc.ok(Scenario::purchase(vec![
        item("m365-e3", 20, P1Y, Billing::Monthly),
        item("multi-geo", 1, P1Y, Billing::Monthly),
    ]));
    let base = created_of(&events, "m365-e3");
    let geo = created_of(&events, "multi-geo");
    sc.advance_to("2026-01-11T09:00:00Z");
    let r = sc.when(cancel(base));
    assert_cancelled(&r, base, false);
    // 20 seats, 2 of 31 days used: 3360 × 20 × 29 / 31 = 62864.52 → 62865.
    assert_eq!(r.amounts(), vec![-62865]);
    assert_eq!(sc.sub(base).status, Status::Cancelled);
    let g = sc.sub(geo);
    assert_eq!((g.status, g.quantity), (Status::Active, 1));
    assert!(g.auto_renew);
}

#[test]
fn can_6_copilot_stays_when_another_base_still_covers_it() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let events = sc.ok(Scenario::purchase(vec![
        item("m365-e3", 10, P1Y, Billing::Monthly),
        item("m365-e5", 10, P1Y, Billing::Monthly),
        item("copilot-m365", 10, P1Y, Billing::Monthly),
    ]));
    let e3 = created_of(&events, "m365-e3");
    let copilot = created_of(&events, "copilot-m365");
    sc.when(cancel(e3))
        .then_types(&["SubscriptionCancelled", "Credited"]);
    assert_eq!(sc.sub(copilot).status, Status::Active);
    assert_eq!(sc.sub(copilot).quantity, 10);
}

#[test]
fn can_6_a_base_whose_cancellation_would_leave_copilot_above_its_base_is_refused() {
    // Ruling: add-ons are not cancelled with their base (CAN-6), and no command
    // may break PUR-7; so the base cannot go while Copilot still needs its seats.
    // Reduce or cancel the add-on first.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let events = sc.ok(Scenario::purchase(vec![
        item("m365-e3", 10, P1Y, Billing::Monthly),
        item("copilot-m365", 10, P1Y, Billing::Monthly),
    ]));
    let e3 = created_of(&events, "m365-e3");
    let copilot = created_of(&events, "copilot-m365");
    let before = sc.state.clone();
    let rej = &rejected(sc.when(cancel(e3)), "AddonExceedsBase", "PUR-7");
    assert_eq!(detail(rej, "base_seats"), 0);
    assert_eq!(detail(rej, "addon_seats_held"), 10);
    assert_eq!(detail(rej, "limit"), 0);
    assert_eq!(sc.state, before);
    // Cancelling the add-on first, then the base, works.
    sc.when(cancel(copilot))
        .then_types(&["SubscriptionCancelled", "Credited"]);
    sc.when(cancel(e3))
        .then_types(&["SubscriptionCancelled", "Credited"]);
}
