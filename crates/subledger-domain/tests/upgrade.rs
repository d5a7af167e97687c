//! UPG-1..9: upgrades (new commerce, paid to paid).
//!
//! Most scenarios start from 10 seats of Microsoft 365 Business Standard bought on
//! 2026-01-10 at 09:00, P1Y billed monthly (EUR 11.70 a seat a month), and upgrade
//! on 2026-01-20 to Microsoft 365 E3 (EUR 33.60 a seat a month, P1Y monthly). The
//! first monthly period runs 2026-01-10..2026-02-09: 31 days; on 2026-01-20, 11
//! days are used (BIL-5) and 20 are unused.

mod support;

use subledger_domain::calendar::{Billing, Term};
use subledger_domain::command::ScheduledChange;
use subledger_domain::command::{
    AddSeats, Cancel, ReduceSeats, ScheduleChange, SetAutoRenew, Suspend, Upgrade,
};
use subledger_domain::command::{Command, UpgradeTiming};
use subledger_domain::event::{BillingReason, CancelReason, EventData, UpgradeMode};
use subledger_domain::invariants;
use subledger_domain::state::Status;
use subledger_domain::view::SubscriptionView;
use support::*;
use uuid::Uuid;

const STANDARD: &str = "m365-business-standard";
const E3: &str = "m365-e3";
const STANDARD_MONTHLY: i64 = 1170;
const E3_MONTHLY: i64 = 3360;

fn upgrade_into(id: Uuid, to: &str, quantity: u32, target: Uuid) -> Command {
    Command::Upgrade(Upgrade {
        subscription_id: id,
        target_product_id: to.into(),
        quantity,
        target_subscription_id: Some(target),
        term: None,
        billing: None,
        timing: UpgradeTiming::Now,
    })
}

/// 10 Business Standard seats bought 2026-01-10T09:00Z, P1Y monthly.
fn standard_10() -> (Scenario, Uuid) {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let id = sc.buy(STANDARD, 10, P1Y, Billing::Monthly);
    (sc, id)
}

#[track_caller]
fn assert_refused_without_change(sc: &mut Scenario, cmd: Command, code: &str, rule: &str) {
    let before = sc.state.clone();
    let history = sc.history.len();
    sc.when(cmd).then_rejected(code, rule);
    assert_eq!(sc.state, before, "a refused command writes nothing (GEN-6)");
    assert_eq!(sc.history.len(), history);
}

// ---------------------------------------------------------------- UPG-1

#[test]
fn upg_1_listed_target_of_an_active_paid_subscription_is_accepted() {
    let (mut sc, id) = standard_10();
    sc.advance_to("2026-01-20T10:00:00Z");
    sc.when(upgrade_now(id, "m365-business-premium", 10))
        .then_types(&["SubscriptionUpgraded", "Credited", "Charged"]);
    assert_eq!(sc.sub(id).product_id, "m365-business-premium");
}

#[test]
fn upg_1_a_product_not_in_upgrade_to_is_refused() {
    let (mut sc, id) = standard_10();
    // Defender is no upgrade target of Business Standard.
    let before = sc.state.clone();
    let r = sc.when(upgrade_now(id, "defender-endpoint-p2", 10));
    let rej = r.then_rejected("UpgradeNotAllowed", "UPG-1");
    assert_eq!(detail(rej, "from_product_id"), STANDARD);
    assert_eq!(detail(rej, "to_product_id"), "defender-endpoint-p2");
    assert_eq!(
        detail(rej, "upgrade_to"),
        &serde_json::json!(["m365-business-premium", "m365-e3", "m365-e5"])
    );
    assert_eq!(sc.state, before);
}

#[test]
fn upg_1_there_are_no_downgrades() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let e5 = sc.buy("m365-e5", 10, P1Y, Billing::Monthly);
    let e3 = sc.buy(E3, 10, P1Y, Billing::Monthly);
    assert_refused_without_change(
        &mut sc,
        upgrade_now(e5, E3, 10),
        "UpgradeNotAllowed",
        "UPG-1",
    );
    assert_refused_without_change(
        &mut sc,
        upgrade_now(e3, STANDARD, 10),
        "UpgradeNotAllowed",
        "UPG-1",
    );
    // Nor back after an upgrade: Standard → E3 → Standard.
    let (mut sc, id) = standard_10();
    sc.when(upgrade_now(id, E3, 10)).accepted();
    assert_refused_without_change(
        &mut sc,
        upgrade_now(id, STANDARD, 10),
        "UpgradeNotAllowed",
        "UPG-1",
    );
}

#[test]
fn upg_1_a_trial_cannot_be_upgraded() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let mut it = item("m365-business-premium", 25, P1M, Billing::Monthly);
    it.trial = true;
    let trial = sc.buy_item(it);
    let before = sc.state.clone();
    let rej = sc
        .when(upgrade_now(trial, E3, 25))
        .then_rejected("UpgradeNotAllowed", "UPG-1")
        .clone();
    assert_eq!(detail(&rej, "trial"), true);
    assert_eq!(sc.state, before);
}

#[test]
fn upg_1_a_suspended_subscription_cannot_be_upgraded() {
    let (mut sc, id) = standard_10();
    sc.ok(Command::Suspend(Suspend {
        subscription_id: id,
    }));
    let before = sc.state.clone();
    let rej = sc
        .when(upgrade_now(id, E3, 10))
        .then_rejected("UpgradeNotAllowed", "UPG-1")
        .clone();
    assert_eq!(detail(&rej, "status"), "suspended");
    assert_eq!(sc.state, before);
}

#[test]
fn upg_1_cancelled_and_expired_subscriptions_cannot_be_upgraded() {
    let (mut sc, id) = standard_10();
    sc.ok(Command::Cancel(Cancel {
        subscription_id: id,
    }));
    assert_refused_without_change(
        &mut sc,
        upgrade_now(id, E3, 10),
        "SubscriptionCancelled",
        "CAN-5",
    );

    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let mut it = item(STANDARD, 10, P1M, Billing::Monthly);
    it.auto_renew = false;
    let id = sc.buy_item(it);
    sc.advance_to("2026-02-10T00:00:00Z");
    assert_eq!(sc.sub(id).status, Status::Expired);
    assert_refused_without_change(
        &mut sc,
        upgrade_now(id, E3, 10),
        "SubscriptionExpired",
        "REN-3",
    );
}

#[test]
fn upg_1_an_upgrade_needs_a_manage_role() {
    let (mut sc, id) = standard_10();
    let helpdesk = partner(PARTNER_A, &[subledger_domain::Role::HelpdeskAgent]);
    let before = sc.state.clone();
    sc.when_as(&helpdesk, upgrade_now(id, E3, 10))
        .then_rejected("Forbidden", "GEN-3");
    assert_eq!(sc.state, before);
    // Another partner does not even see it (GEN-2).
    sc.relate(PARTNER_B);
    let before_b = sc.state.clone();
    sc.when_as(&admin_b(), upgrade_now(id, E3, 10))
        .then_rejected("NotFound", "GEN-2");
    assert_eq!(sc.state, before_b);
}

// ---------------------------------------------------------------- UPG-2

#[test]
fn upg_2_every_unsupported_path_of_the_seed_is_refused() {
    let unsupported = [
        ("ems-e3", "ems-e5"),
        ("ems-e5", "m365-e5"),
        ("ems-e5", "m365-e5-no-audio-conf"),
        ("universal-print", "m365-e3"),
        ("universal-print", "m365-e3-unattended"),
        ("universal-print", "m365-e5"),
        ("universal-print", "m365-e5-no-audio-conf"),
        ("windows-e3", "m365-e5"),
        ("windows-e3-vda", "m365-e5"),
        ("windows-e5", "m365-e5"),
        ("d365-hr-self-service", "d365-team-members"),
        ("project-online-essentials", "d365-team-members"),
        ("defender-endpoint-p1", "defender-endpoint-p2"),
    ];
    for (from, to) in unsupported {
        let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
        let id = sc.buy(from, 10, P1Y, Billing::Monthly);
        sc.advance_to("2026-01-20T10:00:00Z");
        for q in [10, 4] {
            let before = sc.state.clone();
            let r = sc.when(upgrade_now(id, to, q));
            let rej = r.then_rejected("UpgradePathUnsupported", "UPG-2");
            assert_eq!(detail(rej, "from_product_id"), from, "{from} → {to}");
            assert_eq!(detail(rej, "to_product_id"), to, "{from} → {to}");
            assert_eq!(sc.state, before, "{from} → {to} wrote something");
        }
        // Nor as an end-of-term upgrade, nor as a scheduled product change (REN-4).
        sc.when(upgrade_end_of_term(id, to, 10))
            .then_rejected("UpgradePathUnsupported", "UPG-2");
        sc.when(Command::ScheduleChange(ScheduleChange {
            subscription_id: id,
            change: ScheduledChange {
                product_id: Some(to.into()),
                quantity: None,
                term: None,
                billing: None,
                coterm_date: None,
            },
        }))
        .then_rejected("UpgradePathUnsupported", "UPG-2");
        assert_eq!(sc.sub(id).product_id, from);
        assert_eq!(sc.sub(id).scheduled_change, None);
    }
}

#[test]
fn upg_2_the_supported_neighbours_of_unsupported_paths_still_work() {
    // Windows E3 → E5 without audio conferencing is listed unsupported too; the
    // M365 E3 → E5 path is supported.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1Y, Billing::Monthly);
    sc.when(upgrade_now(id, "m365-e5-no-audio-conf", 10))
        .then_types(&["SubscriptionUpgraded", "Credited", "Charged"]);
    let w = sc.buy("windows-e3", 10, P1Y, Billing::Monthly);
    sc.when(upgrade_now(w, "m365-e5-no-audio-conf", 10))
        .then_rejected("UpgradePathUnsupported", "UPG-2");
}

// ---------------------------------------------------------------- UPG-3

#[test]
fn upg_3_full_upgrade_is_in_place_and_moves_every_seat() {
    let (mut sc, id) = standard_10();
    sc.advance_to("2026-01-20T10:00:00Z");
    let subs_before = sc.state.subscriptions.len();
    let out = sc.when(upgrade_now(id, E3, 10));
    let events = out.then_types(&["SubscriptionUpgraded", "Credited", "Charged"]);
    match &events[0].data {
        EventData::SubscriptionUpgraded {
            subscription_id,
            target_subscription_id,
            mode,
            from_product_id,
            to_product_id,
            seats_moved,
            source_quantity_after,
            unit_price,
            ..
        } => {
            assert_eq!(*subscription_id, id);
            assert_eq!(*target_subscription_id, id, "the id stays");
            assert_eq!(*mode, UpgradeMode::InPlace);
            assert_eq!(
                (from_product_id.as_str(), to_product_id.as_str()),
                (STANDARD, E3)
            );
            assert_eq!((*seats_moved, *source_quantity_after), (10, 10));
            assert_eq!(unit_price.amount_minor, E3_MONTHLY);
        }
        other => panic!("unexpected {other:?}"),
    }
    let s = sc.sub(id);
    assert_eq!(s.product_id, E3);
    assert_eq!(s.product_name, "Microsoft 365 E3");
    assert_eq!(s.quantity, 10);
    assert_eq!(s.status, Status::Active);
    assert_eq!(s.term, P1Y);
    assert_eq!(s.billing, Billing::Monthly);
    assert_eq!(s.term_end_date, Some(date("2027-01-09")), "same term");
    assert_eq!(s.unit_price.amount_minor, E3_MONTHLY);
    assert_eq!(
        sc.state.subscriptions.len(),
        subs_before,
        "no new subscription"
    );
    assert!(invariants::check(&sc.state).is_empty());
}

#[test]
fn upg_3_next_periods_are_charged_at_the_target_price() {
    let (mut sc, id) = standard_10();
    sc.advance_to("2026-01-20T10:00:00Z");
    sc.when(upgrade_now(id, E3, 10)).accepted();
    // The next monthly period starts 2026-02-10: 10 × 33.60.
    let due = sc.advance_to("2026-02-10T00:00:00Z");
    let charges: Vec<_> = due
        .iter()
        .filter_map(|e| match &e.data {
            EventData::Charged(l) => Some(l),
            _ => None,
        })
        .collect();
    assert_eq!(charges.len(), 1);
    assert_eq!(charges[0].amount.amount_minor, 10 * E3_MONTHLY);
    assert_eq!(charges[0].product_id, E3);
    assert_eq!(charges[0].period_start, date("2026-02-10"));
}

#[test]
fn upg_3_quantity_outside_one_to_the_source_quantity_is_refused() {
    let (mut sc, id) = standard_10();
    let before = sc.state.clone();
    let rej = sc
        .when(upgrade_now(id, E3, 11))
        .then_rejected("InvalidRequest", "UPG-3")
        .clone();
    assert_eq!(detail(&rej, "source_quantity"), 10);
    assert_eq!(detail(&rej, "field"), "quantity");
    sc.when(upgrade_now(id, E3, 0))
        .then_rejected("InvalidRequest", "UPG-3");
    assert_eq!(sc.state, before);
}

#[test]
fn upg_3_a_full_upgrade_in_place_keeps_the_billing_plan() {
    let (mut sc, id) = standard_10();
    let before = sc.state.clone();
    sc.when(Command::Upgrade(Upgrade {
        subscription_id: id,
        target_product_id: E3.into(),
        quantity: 10,
        target_subscription_id: None,
        term: None,
        billing: Some(Billing::Annual),
        timing: UpgradeTiming::Now,
    }))
    .then_rejected("InvalidRequest", "UPG-3");
    assert_eq!(sc.state, before);
}

#[test]
fn upg_3_the_target_must_offer_the_source_term_and_billing() {
    // M365 E3 on P3Y → E5, which has no P3Y plan.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P3Y, Billing::Monthly);
    let before = sc.state.clone();
    sc.when(upgrade_now(id, "m365-e5", 10))
        .then_rejected("PlanNotOffered", "PUR-3");
    assert_eq!(sc.state, before);
}

// ---------------------------------------------------------------- UPG-4

#[test]
fn upg_4_partial_upgrade_moves_seats_to_a_new_coterminous_subscription() {
    let (mut sc, id) = standard_10();
    sc.advance_to("2026-01-20T10:00:00Z");
    let out = sc.when(upgrade_now(id, E3, 4));
    let events = out
        .then_types(&[
            "SubscriptionCreated",
            "SubscriptionUpgraded",
            "Credited",
            "Charged",
        ])
        .clone();
    let new_id = created_id(&events);
    assert_ne!(new_id, id);
    match &events[1].data {
        EventData::SubscriptionUpgraded {
            target_subscription_id,
            mode,
            seats_moved,
            source_quantity_after,
            ..
        } => {
            assert_eq!(*target_subscription_id, new_id);
            assert_eq!(*mode, UpgradeMode::NewSubscription);
            assert_eq!((*seats_moved, *source_quantity_after), (4, 6));
        }
        other => panic!("unexpected {other:?}"),
    }
    // Two subscriptions result.
    let source = sc.sub(id).clone();
    let target = sc.sub(new_id).clone();
    assert_eq!((source.product_id.as_str(), source.quantity), (STANDARD, 6));
    assert_eq!((target.product_id.as_str(), target.quantity), (E3, 4));
    assert_eq!(source.status, Status::Active);
    assert_eq!(target.status, Status::Active);
    // Coterminous: the same term end date (not a year from the upgrade).
    assert_eq!(target.term_end_date, source.term_end_date);
    assert_eq!(target.term_end_date, Some(date("2027-01-09")));
    assert_eq!(target.term, P1Y);
    assert_eq!(target.billing, Billing::Monthly);
    assert_eq!(target.partner_id, PARTNER_A);
    assert_eq!(target.auto_renew, source.auto_renew);
    assert_eq!(target.unit_price.amount_minor, E3_MONTHLY);
    assert!(invariants::check(&sc.state).is_empty());
    // Both renew on the same day.
    let due = sc.advance_to("2027-01-10T00:00:00Z");
    let renewed: Vec<Uuid> = due
        .iter()
        .filter_map(|e| match &e.data {
            EventData::SubscriptionRenewed(r) => Some(r.subscription_id),
            _ => None,
        })
        .collect();
    assert_eq!(renewed.len(), 2);
    assert!(renewed.contains(&id) && renewed.contains(&new_id));
}

#[test]
fn upg_4_partial_upgrade_keeps_a_source_with_auto_renew_off_coterminous_and_not_renewing() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let mut it = item(STANDARD, 10, P1Y, Billing::Monthly);
    it.auto_renew = false;
    let id = sc.buy_item(it);
    let events = sc.ok(upgrade_now(id, E3, 3));
    let new_id = created_id(&events);
    assert!(!sc.sub(new_id).auto_renew, "the new one follows the source");
}

#[test]
fn upg_4_the_new_subscription_keeps_the_source_term() {
    let (mut sc, id) = standard_10();
    let before = sc.state.clone();
    sc.when(Command::Upgrade(Upgrade {
        subscription_id: id,
        target_product_id: E3.into(),
        quantity: 4,
        target_subscription_id: None,
        term: Some(Term::P3Y),
        billing: None,
        timing: UpgradeTiming::Now,
    }))
    .then_rejected("InvalidRequest", "UPG-4");
    assert_eq!(sc.state, before);
}

#[test]
fn upg_4_moved_seats_leave_the_newest_reducible_batch_first() {
    // Bought 10 today, so all 10 are in the purchase batch; after moving 4 the
    // source still holds 6 seats, 5 of which may be reduced (SEAT-3 keeps one).
    let (mut sc, id) = standard_10();
    sc.advance_to("2026-01-12T09:00:00Z");
    sc.ok(upgrade_now(id, E3, 4));
    let s = sc.sub(id);
    assert_eq!(s.batches.len(), 1);
    assert_eq!(s.batches[0].seats, 6);
    let v = SubscriptionView::of(s, sc.now, 0);
    assert_eq!(v.refundable_seats.total, 5);
}

// ---------------------------------------------------------------- UPG-5

/// Business Standard (10) and an E3 target (5), both bought at 09:00 on 2026-01-10.
fn standard_and_e3_target() -> (Scenario, Uuid, Uuid) {
    let (mut sc, id) = standard_10();
    let target = sc.buy(E3, 5, P1Y, Billing::Monthly);
    (sc, id, target)
}

#[test]
fn upg_5_partial_upgrade_into_an_existing_target_adds_the_seats_there() {
    let (mut sc, id, target) = standard_and_e3_target();
    sc.advance_to("2026-01-20T10:00:00Z");
    let n = sc.state.subscriptions.len();
    let out = sc.when(upgrade_into(id, E3, 4, target));
    let events = out.then_types(&["SubscriptionUpgraded", "Credited", "Charged"]);
    match &events[0].data {
        EventData::SubscriptionUpgraded {
            target_subscription_id,
            mode,
            seats_moved,
            source_quantity_after,
            ..
        } => {
            assert_eq!(*target_subscription_id, target);
            assert_eq!(*mode, UpgradeMode::IntoExisting);
            assert_eq!((*seats_moved, *source_quantity_after), (4, 6));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(sc.state.subscriptions.len(), n, "no new subscription");
    assert_eq!(sc.sub(id).quantity, 6);
    assert_eq!(sc.sub(id).status, Status::Active);
    let t = sc.sub(target);
    assert_eq!(t.quantity, 9);
    // The target keeps its term and billing.
    assert_eq!(t.term, P1Y);
    assert_eq!(t.billing, Billing::Monthly);
    assert_eq!(t.term_end_date, Some(date("2027-01-09")));
    assert!(invariants::check(&sc.state).is_empty());
}

#[test]
fn upg_5_the_target_keeps_its_billing_plan() {
    // Source billed monthly, target billed annually: the seats join the annual plan.
    let (mut sc, id) = standard_10();
    let target = sc.buy(E3, 5, P1Y, Billing::Annual);
    sc.advance_to("2026-01-20T10:00:00Z");
    let out = sc.when(upgrade_into(id, E3, 4, target));
    out.then_types(&["SubscriptionUpgraded", "Credited", "Charged"]);
    let b = out.billing();
    // The annual target's period is 2026-01-10..2027-01-09: 365 days, 11 used,
    // 354 unused: 403.20 × 4 × 354 / 365.
    assert_eq!(b[1].1.period_end, date("2027-01-09"));
    assert_eq!(b[1].0, rhu(40320 * 4 * 354, 365));
    assert_eq!(b[1].0, 156_420); // 156419.506 rounds up
    let t = sc.sub(target);
    assert_eq!(t.billing, Billing::Annual);
    assert_eq!(t.unit_price.amount_minor, 40320);
}

#[test]
fn upg_5_full_upgrade_into_an_existing_target_cancels_the_source() {
    let (mut sc, id, target) = standard_and_e3_target();
    sc.advance_to("2026-01-20T10:00:00Z");
    let out = sc.when(upgrade_into(id, E3, 10, target));
    let events = out.then_types(&[
        "SubscriptionUpgraded",
        "Credited",
        "Charged",
        "SubscriptionCancelled",
    ]);
    match &events[3].data {
        EventData::SubscriptionCancelled {
            subscription_id,
            reason,
            ..
        } => {
            assert_eq!(*subscription_id, id);
            assert_eq!(*reason, CancelReason::UpgradedAway);
        }
        other => panic!("unexpected {other:?}"),
    }
    let s = sc.sub(id).clone();
    assert_eq!(s.status, Status::Cancelled);
    assert_eq!(s.quantity, 0);
    assert!(!s.auto_renew);
    assert_eq!(sc.sub(target).quantity, 15);
    assert!(!sc.state.live.contains(&id));
    assert!(invariants::check(&sc.state).is_empty());
    // It behaves as cancelled afterwards (CAN-5).
    sc.when(Command::AddSeats(AddSeats {
        subscription_id: id,
        seats: 1,
    }))
    .then_rejected("SubscriptionCancelled", "CAN-5");
    let v = SubscriptionView::of(&s, sc.now, 0);
    assert_eq!(v.status, Status::Cancelled);
}

#[test]
fn upg_5_target_inside_its_cancellation_window_is_refused_until_the_window_ends() {
    let (mut sc, id) = standard_10();
    // The target is bought two days later at 08:00: its window ends 2026-01-19T08:00Z.
    sc.advance_to("2026-01-12T08:00:00Z");
    let target = sc.buy(E3, 5, P1Y, Billing::Monthly);
    sc.advance_to("2026-01-19T07:59:59Z");
    let before = sc.state.clone();
    let rej = sc
        .when(upgrade_into(id, E3, 4, target))
        .then_rejected("UpgradeTargetInCancellationWindow", "UPG-5")
        .clone();
    assert_eq!(detail(&rej, "window_closes_at"), "2026-01-19T08:00:00Z");
    assert_eq!(sc.state, before);
    // Exactly at the window's end it is outside the window.
    sc.advance_to("2026-01-19T08:00:00Z");
    sc.when(upgrade_into(id, E3, 4, target)).then_types(&[
        "SubscriptionUpgraded",
        "Credited",
        "Charged",
    ]);
    assert_eq!(sc.sub(target).quantity, 9);
}

#[test]
fn upg_5_target_with_another_term_duration_is_refused() {
    let (mut sc, id) = standard_10();
    let target = sc.buy(E3, 5, P1M, Billing::Monthly);
    sc.advance_to("2026-01-20T10:00:00Z");
    let before = sc.state.clone();
    let rej = sc
        .when(upgrade_into(id, E3, 4, target))
        .then_rejected("UpgradeTargetTermMismatch", "UPG-5")
        .clone();
    assert_eq!(detail(&rej, "target_term"), "P1M");
    assert_eq!(detail(&rej, "source_term"), "P1Y");
    assert_eq!(sc.state, before);
}

#[test]
fn upg_5_target_ending_before_the_source_is_refused() {
    // The target is bought a day before the source: it ends 2027-01-08, the source
    // 2027-01-09.
    let mut sc = Scenario::at("2026-01-09T09:00:00Z").with_customer("NL");
    let target = sc.buy(E3, 5, P1Y, Billing::Monthly);
    sc.advance_to("2026-01-10T09:00:00Z");
    let id = sc.buy(STANDARD, 10, P1Y, Billing::Monthly);
    sc.advance_to("2026-01-20T10:00:00Z");
    let before = sc.state.clone();
    let rej = sc
        .when(upgrade_into(id, E3, 4, target))
        .then_rejected("UpgradeTargetEndsEarlier", "UPG-5")
        .clone();
    assert_eq!(detail(&rej, "target_term_end_date"), "2027-01-08");
    assert_eq!(detail(&rej, "source_term_end_date"), "2027-01-09");
    assert_eq!(sc.state, before);
}

#[test]
fn upg_5_target_ending_after_the_source_is_accepted() {
    let (mut sc, id) = standard_10();
    sc.advance_to("2026-01-11T09:00:00Z");
    let target = sc.buy(E3, 5, P1Y, Billing::Monthly);
    sc.advance_to("2026-01-20T10:00:00Z");
    sc.when(upgrade_into(id, E3, 10, target)).accepted();
    assert_eq!(sc.sub(target).quantity, 15);
    assert_eq!(sc.sub(target).term_end_date, Some(date("2027-01-10")));
}

#[test]
fn upg_5_target_must_be_an_active_paid_subscription_of_the_target_product() {
    let (mut sc, id, target) = standard_and_e3_target();
    let other = sc.buy("m365-e5", 5, P1Y, Billing::Monthly);
    sc.advance_to("2026-01-20T10:00:00Z");
    // Not a subscription of the product named.
    sc.when(upgrade_into(id, E3, 4, other))
        .then_rejected("InvalidRequest", "UPG-5");
    // Into itself.
    sc.when(upgrade_into(id, STANDARD, 4, id))
        .then_rejected("UpgradeNotAllowed", "UPG-1");
    // A suspended target.
    sc.ok(Command::Suspend(Suspend {
        subscription_id: target,
    }));
    let before = sc.state.clone();
    let rej = sc
        .when(upgrade_into(id, E3, 4, target))
        .then_rejected("UpgradeTargetNotActive", "UPG-5")
        .clone();
    assert_eq!(detail(&rej, "status"), "suspended");
    assert_eq!(sc.state, before);
}

#[test]
fn upg_5_target_of_another_partner_is_not_found() {
    let (mut sc, id) = standard_10();
    sc.relate(PARTNER_B);
    let b_target = {
        let b = admin_b();
        let out = sc.when_as(
            &b,
            Scenario::purchase(vec![item(E3, 5, P1Y, Billing::Monthly)]),
        );
        created_id(out.accepted())
    };
    sc.advance_to("2026-01-20T10:00:00Z");
    let before = sc.state.clone();
    sc.when(upgrade_into(id, E3, 4, b_target))
        .then_rejected("NotFound", "GEN-2");
    assert_eq!(sc.state, before);
}

#[test]
fn upg_5_seats_added_to_the_target_delete_its_scheduled_change() {
    // REN-5: a mid-term quantity change deletes the next-term instructions; a
    // scheduled quantity of 5 would otherwise drop the upgraded seats at renewal.
    let (mut sc, id, target) = standard_and_e3_target();
    sc.advance_to("2026-01-20T10:00:00Z");
    sc.ok(Command::ScheduleChange(ScheduleChange {
        subscription_id: target,
        change: ScheduledChange {
            product_id: None,
            quantity: Some(5),
            term: None,
            billing: None,
            coterm_date: None,
        },
    }));
    let out = sc.when(upgrade_into(id, E3, 4, target));
    let cleared = out.events().iter().any(|e| {
        matches!(
            &e.data,
            EventData::ScheduledChangeCleared { subscription_id, .. } if *subscription_id == target
        )
    });
    assert!(cleared, "events: {:#?}", out.events());
    assert_eq!(sc.sub(target).scheduled_change, None);
    assert_eq!(sc.sub(target).quantity, 9);
}

// ---------------------------------------------------------------- UPG-6

#[test]
fn upg_6_an_in_place_upgrade_inside_the_windows_ends_them() {
    // Upgraded on day 3, inside both 7-day windows of the purchase.
    let (mut sc, id) = standard_10();
    sc.advance_to("2026-01-12T09:00:00Z");
    sc.ok(upgrade_now(id, E3, 10));
    let s = sc.sub(id).clone();
    assert!(s.batches.is_empty());
    assert_eq!(s.cancellation_allowed_until, None);
    let v = SubscriptionView::of(&s, sc.now, 0);
    assert_eq!(v.refundable_seats.total, 0);
    assert_eq!(v.cancellation_allowed_until, None);

    let before = sc.state.clone();
    let rej = sc
        .when(Command::ReduceSeats(ReduceSeats {
            subscription_id: id,
            seats: 1,
        }))
        .then_rejected("SeatReductionWindowClosed", "SEAT-2")
        .clone();
    assert_eq!(detail(&rej, "reducible_now"), 0);
    // An upgrade cannot be undone by cancelling either.
    sc.when(Command::Cancel(Cancel {
        subscription_id: id,
    }))
    .then_rejected("CancellationWindowClosed", "CAN-1");
    assert_eq!(sc.state, before);
}

#[test]
fn upg_6_the_new_subscription_of_a_partial_upgrade_has_no_windows() {
    let (mut sc, id) = standard_10();
    sc.advance_to("2026-01-11T09:00:00Z");
    let events = sc.ok(upgrade_now(id, E3, 4));
    let new_id = created_id(&events);
    match &events[0].data {
        EventData::SubscriptionCreated(c) => {
            assert_eq!(c.cancellation_allowed_until, None);
            assert_eq!(c.seat_batch, None);
        }
        other => panic!("unexpected {other:?}"),
    }
    let before = sc.state.clone();
    sc.when(Command::ReduceSeats(ReduceSeats {
        subscription_id: new_id,
        seats: 1,
    }))
    .then_rejected("SeatReductionWindowClosed", "SEAT-2");
    sc.when(Command::Cancel(Cancel {
        subscription_id: new_id,
    }))
    .then_rejected("CancellationWindowClosed", "CAN-1");
    assert_eq!(sc.state, before);
    // The source keeps its own windows for the seats it kept.
    sc.when(Command::ReduceSeats(ReduceSeats {
        subscription_id: id,
        seats: 2,
    }))
    .then_types(&["SeatsReduced", "Credited"]);
}

#[test]
fn upg_6_seats_upgraded_into_an_existing_target_are_not_reducible() {
    let (mut sc, id, target) = standard_and_e3_target();
    sc.advance_to("2026-01-20T10:00:00Z");
    sc.ok(upgrade_into(id, E3, 4, target));
    let v = SubscriptionView::of(sc.sub(target), sc.now, 0);
    assert_eq!(v.refundable_seats.total, 0);
    sc.when(Command::ReduceSeats(ReduceSeats {
        subscription_id: target,
        seats: 4,
    }))
    .then_rejected("SeatReductionWindowClosed", "SEAT-2");
}

// ---------------------------------------------------------------- UPG-7

#[test]
fn upg_7_end_of_term_upgrade_is_a_scheduled_change_applied_at_renewal() {
    let (mut sc, id) = standard_10();
    sc.advance_to("2026-01-20T10:00:00Z");
    let out = sc.when(upgrade_end_of_term(id, E3, 10));
    let events = out.then_types(&["ScheduledChangeSet"]);
    match &events[0].data {
        EventData::ScheduledChangeSet { change, .. } => {
            assert_eq!(change.product_id.as_deref(), Some(E3));
            assert_eq!(change.quantity, None, "a full upgrade keeps the quantity");
        }
        other => panic!("unexpected {other:?}"),
    }
    // Nothing changes, nothing is billed until the renewal.
    assert_eq!(sc.sub(id).product_id, STANDARD);
    assert!(out.billing().is_empty());
    sc.advance_to("2027-01-09T23:59:59Z");
    assert_eq!(sc.sub(id).product_id, STANDARD);
    let due = sc.advance_to("2027-01-10T00:00:00Z");
    let types: Vec<&str> = due.iter().map(|e| e.data.type_name()).collect();
    assert_eq!(types, ["SubscriptionRenewed", "Charged"]);
    match &due[0].data {
        EventData::SubscriptionRenewed(r) => {
            assert_eq!(r.product_id, E3);
            assert_eq!(r.quantity, 10);
            assert_eq!(r.unit_price.amount_minor, E3_MONTHLY);
            assert!(r.applied_change.is_some());
        }
        other => panic!("unexpected {other:?}"),
    }
    match &due[1].data {
        EventData::Charged(l) => {
            assert_eq!(l.amount.amount_minor, 10 * E3_MONTHLY);
            assert_eq!(l.reason, BillingReason::Renewal);
        }
        other => panic!("unexpected {other:?}"),
    }
    let s = sc.sub(id);
    assert_eq!(s.product_id, E3);
    assert_eq!(s.scheduled_change, None);
}

#[test]
fn upg_7_mid_term_upgrade_deletes_the_scheduled_change() {
    let (mut sc, id) = standard_10();
    sc.ok(Command::ScheduleChange(ScheduleChange {
        subscription_id: id,
        change: ScheduledChange {
            product_id: None,
            quantity: Some(12),
            term: None,
            billing: None,
            coterm_date: None,
        },
    }));
    sc.advance_to("2026-01-20T10:00:00Z");
    let out = sc.when(upgrade_now(id, E3, 10));
    let events = out.then_types(&[
        "ScheduledChangeCleared",
        "SubscriptionUpgraded",
        "Credited",
        "Charged",
    ]);
    assert!(matches!(
        &events[0].data,
        EventData::ScheduledChangeCleared {
            reason: subledger_domain::event::ClearReason::Upgraded,
            ..
        }
    ));
    assert_eq!(sc.sub(id).scheduled_change, None);
    // At renewal the quantity stays 10 (the change of 12 is gone).
    let due = sc.advance_to("2027-01-10T00:00:00Z");
    let renewed = due
        .iter()
        .find_map(|e| match &e.data {
            EventData::SubscriptionRenewed(r) => Some(r.clone()),
            _ => None,
        })
        .expect("renewed");
    assert_eq!(renewed.quantity, 10);
    assert_eq!(renewed.product_id, E3);
}

#[test]
fn upg_7_partial_mid_term_upgrade_deletes_the_source_scheduled_change() {
    let (mut sc, id) = standard_10();
    sc.ok(Command::ScheduleChange(ScheduleChange {
        subscription_id: id,
        change: ScheduledChange {
            product_id: None,
            quantity: Some(8),
            term: None,
            billing: None,
            coterm_date: None,
        },
    }));
    let out = sc.when(upgrade_now(id, E3, 4));
    assert_eq!(out.accepted()[0].data.type_name(), "ScheduledChangeCleared");
    assert_eq!(sc.sub(id).scheduled_change, None);
}

#[test]
fn upg_7_end_of_term_upgrade_cannot_name_a_target_subscription() {
    let (mut sc, id, target) = standard_and_e3_target();
    let before = sc.state.clone();
    sc.when(Command::Upgrade(Upgrade {
        subscription_id: id,
        target_product_id: E3.into(),
        quantity: 10,
        target_subscription_id: Some(target),
        term: None,
        billing: None,
        timing: UpgradeTiming::EndOfTerm,
    }))
    .then_rejected("InvalidRequest", "UPG-7");
    assert_eq!(sc.state, before);
}

#[test]
fn upg_7_end_of_term_upgrade_needs_auto_renew_on() {
    let (mut sc, id) = standard_10();
    sc.ok(Command::SetAutoRenew(SetAutoRenew {
        subscription_id: id,
        enabled: false,
    }));
    let before = sc.state.clone();
    let rej = sc
        .when(upgrade_end_of_term(id, E3, 10))
        .then_rejected("ScheduledChangeNotAllowed", "REN-4")
        .clone();
    assert_eq!(detail(&rej, "auto_renew"), false);
    assert_eq!(sc.state, before);
}

#[test]
fn upg_7_end_of_term_upgrade_replaces_an_earlier_scheduled_change() {
    let (mut sc, id) = standard_10();
    sc.ok(Command::ScheduleChange(ScheduleChange {
        subscription_id: id,
        change: ScheduledChange {
            product_id: None,
            quantity: Some(12),
            term: None,
            billing: None,
            coterm_date: None,
        },
    }));
    sc.ok(upgrade_end_of_term(id, "m365-business-premium", 10));
    let change = sc.sub(id).scheduled_change.clone().expect("scheduled");
    assert_eq!(change.product_id.as_deref(), Some("m365-business-premium"));
    assert_eq!(change.quantity, None, "one at a time: replaced, not merged");
}

// ---------------------------------------------------------------- UPG-8

#[test]
fn upg_8_two_to_one_upgrade() {
    // Two Business Standard subscriptions bought the same day; the first is
    // upgraded to E3 in place, then the second into the first.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let first = sc.buy(STANDARD, 10, P1Y, Billing::Monthly);
    let second = sc.buy(STANDARD, 5, P1Y, Billing::Monthly);
    // Still inside the first's cancellation window: the in-place upgrade ends it,
    // so the second may join at once.
    sc.advance_to("2026-01-12T09:00:00Z");
    sc.ok(upgrade_now(first, E3, 10));
    let out = sc.when(upgrade_into(second, E3, 5, first));
    out.then_types(&[
        "SubscriptionUpgraded",
        "Credited",
        "Charged",
        "SubscriptionCancelled",
    ]);
    assert_eq!(sc.sub(first).product_id, E3);
    assert_eq!(sc.sub(first).quantity, 15);
    assert_eq!(sc.sub(second).status, Status::Cancelled);
    let live: Vec<_> = sc
        .state
        .live_subscriptions()
        .map(|s| s.subscription_id)
        .collect();
    assert_eq!(live, vec![first]);
    // Billing: on 2026-01-12, 3 days of the 31-day period are used, 28 unused.
    assert_eq!(
        out.amounts(),
        vec![
            -rhu(STANDARD_MONTHLY * 5 * 28, 31),
            rhu(E3_MONTHLY * 5 * 28, 31)
        ]
    );
    assert!(invariants::check(&sc.state).is_empty());
}

#[test]
fn upg_8_the_first_must_not_end_before_the_second() {
    // The second was bought a day later: it ends after the first, so it cannot
    // join the first (UPG-5); upgrading in the other order works.
    let setup = || {
        let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
        let first = sc.buy(STANDARD, 10, P1Y, Billing::Monthly);
        sc.advance_to("2026-01-11T09:00:00Z");
        let second = sc.buy(STANDARD, 5, P1Y, Billing::Monthly);
        sc.advance_to("2026-01-20T09:00:00Z");
        (sc, first, second)
    };
    let (mut sc, first, second) = setup();
    sc.ok(upgrade_now(first, E3, 10));
    let before = sc.state.clone();
    sc.when(upgrade_into(second, E3, 5, first))
        .then_rejected("UpgradeTargetEndsEarlier", "UPG-5");
    assert_eq!(sc.state, before);

    let (mut sc, first, second) = setup();
    sc.ok(upgrade_now(second, E3, 5));
    sc.when(upgrade_into(first, E3, 10, second)).then_types(&[
        "SubscriptionUpgraded",
        "Credited",
        "Charged",
        "SubscriptionCancelled",
    ]);
    assert_eq!(sc.sub(second).quantity, 15);
    assert_eq!(sc.sub(first).status, Status::Cancelled);
}

// ---------------------------------------------------------------- UPG-9

#[test]
fn upg_9_full_upgrade_credits_the_source_and_charges_the_target_for_the_unused_days() {
    let (mut sc, id) = standard_10();
    sc.advance_to("2026-01-20T10:00:00Z");
    let out = sc.when(upgrade_now(id, E3, 10));
    // Credit: 11.70 × 10 × 20 / 31 = 75.48387 → 7548; charge: 33.60 × 10 × 20 / 31
    // = 216.77419 → 21677.
    assert_eq!(out.amounts(), vec![-7548, 21677]);
    assert_eq!(rhu(STANDARD_MONTHLY * 10 * 20, 31), 7548);
    assert_eq!(rhu(E3_MONTHLY * 10 * 20, 31), 21677);
    let b = out.billing();
    let (credit, charge) = (b[0].1, b[1].1);
    assert_eq!(credit.reason, BillingReason::UpgradeSource);
    assert_eq!(charge.reason, BillingReason::UpgradeTarget);
    assert_eq!(credit.product_id, STANDARD);
    assert_eq!(charge.product_id, E3);
    for l in [credit, charge] {
        assert_eq!(l.subscription_id, id);
        assert_eq!(l.seats, 10);
        assert_eq!(l.period_start, date("2026-01-10"));
        assert_eq!(l.period_end, date("2026-02-09"));
        assert_eq!(l.period_days, 31);
        assert_eq!(l.days_charged, 20, "the same days on both sides");
        assert_eq!(l.amount.currency, "EUR");
    }
    assert_eq!(credit.unit_price.amount_minor, STANDARD_MONTHLY);
    assert_eq!(charge.unit_price.amount_minor, E3_MONTHLY);
}

#[test]
fn upg_9_partial_upgrade_bills_only_the_moved_seats() {
    let (mut sc, id) = standard_10();
    sc.advance_to("2026-01-20T10:00:00Z");
    let out = sc.when(upgrade_now(id, E3, 4));
    // Credit: 11.70 × 4 × 20 / 31 = 30.19 → 3019; charge 33.60 × 4 × 20 / 31
    // = 86.709 → 8671.
    assert_eq!(out.amounts(), vec![-3019, 8671]);
    let b = out.billing();
    let new_id = created_id(out.events());
    assert_eq!(b[0].1.subscription_id, id);
    assert_eq!(b[1].1.subscription_id, new_id);
    assert_eq!((b[0].1.seats, b[1].1.seats), (4, 4));
    assert_eq!(
        b[1].1.period_start,
        date("2026-01-10"),
        "aligned to the source"
    );
    assert_eq!(b[1].1.period_end, date("2026-02-09"));
    // The next period of each is charged in full at its own price.
    let due = sc.advance_to("2026-02-10T00:00:00Z");
    let mut charged: Vec<(Uuid, i64)> = due
        .iter()
        .filter_map(|e| match &e.data {
            EventData::Charged(l) => Some((l.subscription_id, l.amount.amount_minor)),
            _ => None,
        })
        .collect();
    charged.sort();
    let mut expected = vec![(id, 6 * STANDARD_MONTHLY), (new_id, 4 * E3_MONTHLY)];
    expected.sort();
    assert_eq!(charged, expected);
}

#[test]
fn upg_9_upgrade_into_a_target_with_another_anchor_uses_the_target_period() {
    // Source period 2026-01-10..02-09 (31 days); on 2026-01-19, 10 used, 21 unused.
    // Target bought 2026-01-12: period 01-12..02-11 (31 days), 8 used, 23 unused.
    let (mut sc, id) = standard_10();
    sc.advance_to("2026-01-12T08:00:00Z");
    let target = sc.buy(E3, 5, P1Y, Billing::Monthly);
    sc.advance_to("2026-01-19T08:00:00Z");
    let out = sc.when(upgrade_into(id, E3, 4, target));
    assert_eq!(
        out.amounts(),
        vec![
            -rhu(STANDARD_MONTHLY * 4 * 21, 31),
            rhu(E3_MONTHLY * 4 * 23, 31)
        ]
    );
    assert_eq!(out.amounts(), vec![-3170, 9972]);
    let b = out.billing();
    assert_eq!(b[1].1.subscription_id, target);
    assert_eq!(b[1].1.period_start, date("2026-01-12"));
}

#[test]
fn upg_9_upgrade_on_the_last_day_of_a_period_moves_no_money() {
    // 2026-02-09 is the last day of the first period: nothing unused, no lines.
    let (mut sc, id) = standard_10();
    sc.advance_to("2026-02-09T12:00:00Z");
    sc.when(upgrade_now(id, E3, 10))
        .then_types(&["SubscriptionUpgraded"]);
}

#[test]
fn upg_9_upgrade_on_the_first_day_of_a_period_credits_all_but_one_day() {
    // 2026-02-10 starts the second period (28 days to 2026-03-09); the period charge
    // for the source runs first, then the upgrade credits 27 of its 28 days.
    let (mut sc, id) = standard_10();
    sc.advance_to("2026-02-10T12:00:00Z");
    let out = sc.when(upgrade_now(id, E3, 10));
    assert_eq!(
        out.amounts(),
        vec![
            -rhu(STANDARD_MONTHLY * 10 * 27, 28),
            rhu(E3_MONTHLY * 10 * 27, 28)
        ]
    );
    assert_eq!(out.billing()[0].1.period_days, 28);
}
