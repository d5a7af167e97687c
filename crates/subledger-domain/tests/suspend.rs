//! SUS-1..5: suspend and reactivate.

mod support;

use std::collections::BTreeSet;
use subledger_domain::command::ScheduledChange;
use subledger_domain::command::{
    Cancel, CopyDownloadLink, DownloadSoftware, Reactivate, RevealKey, ScheduleChange,
    SetAutoRenew, Suspend,
};

use subledger_domain::calendar::Billing;
use subledger_domain::command::{Command, PurchaseItem};
use subledger_domain::event::{BillingReason, ClearReason, EventData, ExpiryReason};
use subledger_domain::state::Status;
use subledger_domain::view::SubscriptionView;
use subledger_domain::{CommandContext, Rejection, Role, decide, invariants, time};
use support::*;
use uuid::Uuid;

#[track_caller]
fn rejected(o: Outcome, code: &str, rule: &str) -> Rejection {
    o.then_rejected(code, rule).clone()
}

fn suspend(subscription_id: Uuid) -> Command {
    Command::Suspend(Suspend { subscription_id })
}

fn reactivate(subscription_id: Uuid) -> Command {
    Command::Reactivate(Reactivate { subscription_id })
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

fn reveal(subscription_id: Uuid) -> Command {
    Command::RevealKey(RevealKey {
        subscription_id,
        key_type: Default::default(),
        version: None,
        language: None,
        os: None,
    })
}

/// 10 seats of M365 E3, P1Y billed monthly, bought 2026-01-10 09:00.
fn e3_ten() -> (Scenario, Uuid) {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, Billing::Monthly);
    (sc, sub)
}

/// 10 seats of M365 E3 on a one-month term: ends 2026-02-09, renews or ends at
/// 2026-02-10T00:00:00Z.
fn e3_monthly_term() -> (Scenario, Uuid) {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1M, Billing::Monthly);
    (sc, sub)
}

/// E3 (20 seats) with Copilot (10) and Multi-Geo (1) add-ons, bought in one order.
fn base_with_addons() -> (Scenario, Uuid, Uuid, Uuid) {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let events = sc.ok(Scenario::purchase(vec![
        item("m365-e3", 20, P1Y, Billing::Monthly),
        item("copilot-m365", 10, P1Y, Billing::Monthly),
        item("multi-geo", 1, P1Y, Billing::Monthly),
    ]));
    let base = created_of(&events, "m365-e3");
    let copilot = created_of(&events, "copilot-m365");
    let geo = created_of(&events, "multi-geo");
    (sc, base, copilot, geo)
}

// ---------------------------------------------------------------- SUS-1

#[test]
fn sus_1_an_active_subscription_can_be_suspended() {
    let (mut sc, sub) = e3_ten();
    sc.advance_to("2026-03-01T12:00:00Z");
    let r = sc.when(suspend(sub));
    match &r.then_types(&["SubscriptionSuspended"])[0].data {
        EventData::SubscriptionSuspended {
            subscription_id,
            base_subscription_id,
        } => {
            assert_eq!(*subscription_id, sub);
            assert_eq!(*base_subscription_id, None);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(sc.sub(sub).status, Status::Suspended);
    assert_eq!(
        SubscriptionView::of(sc.sub(sub), sc.now, 1).status,
        Status::Suspended
    );
    assert!(invariants::check(&sc.state).is_empty());
}

#[test]
fn sus_1_access_to_keys_and_downloads_is_blocked_at_once() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("windows-server-2022-standard", 2, P1Y, Billing::Annual);
    sc.when(reveal(sub)).then_types(&["KeyRevealed"]);
    sc.ok(suspend(sub));
    let before = sc.state.clone();
    let rej = &rejected(sc.when(reveal(sub)), "SubscriptionSuspended", "SUS-1");
    assert_eq!(detail(rej, "status"), "suspended");
    rejected(
        sc.when(Command::DownloadSoftware(DownloadSoftware {
            subscription_id: sub,
            version: None,
            language: None,
            os: None,
        })),
        "SubscriptionSuspended",
        "SUS-1",
    );
    rejected(
        sc.when(Command::CopyDownloadLink(CopyDownloadLink {
            subscription_id: sub,
            version: None,
            language: None,
            os: None,
        })),
        "SubscriptionSuspended",
        "SUS-1",
    );
    assert_eq!(sc.state, before, "refused key requests are not recorded");
}

#[test]
fn sus_1_billing_continues_while_suspended() {
    let (mut sc, sub) = e3_ten();
    sc.advance_to("2026-01-20T10:00:00Z");
    sc.ok(suspend(sub));
    // The second monthly period starts 2026-02-10 and is charged in full (BIL-6).
    let due = sc.advance_to("2026-02-10T00:00:00Z");
    let charges: Vec<_> = due
        .iter()
        .filter_map(|e| match &e.data {
            EventData::Charged(l) => Some(l),
            _ => None,
        })
        .collect();
    assert_eq!(charges.len(), 1, "{due:#?}");
    assert_eq!(charges[0].reason, BillingReason::PeriodStart);
    assert_eq!(charges[0].amount.amount_minor, 33600);
    assert_eq!(
        (charges[0].period_start, charges[0].period_end),
        (date("2026-02-10"), date("2026-03-09"))
    );
    assert_eq!(sc.sub(sub).status, Status::Suspended);
}

#[test]
fn sus_1_suspending_twice_is_refused_and_writes_nothing() {
    let (mut sc, sub) = e3_ten();
    sc.ok(suspend(sub));
    let before = sc.state.clone();
    let rej = &rejected(sc.when(suspend(sub)), "AlreadySuspended", "SUS-1");
    assert_eq!(detail(rej, "status"), "suspended");
    assert_eq!(sc.state, before);
}

#[test]
fn sus_1_only_active_subscriptions_can_be_suspended() {
    let (mut sc, sub) = e3_ten();
    sc.ok(Command::Cancel(Cancel {
        subscription_id: sub,
    }));
    rejected(sc.when(suspend(sub)), "SubscriptionCancelled", "CAN-5");

    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy_item(PurchaseItem {
        auto_renew: false,
        ..item("m365-e3", 10, P1M, Billing::Monthly)
    });
    sc.advance_to("2026-02-10T00:00:00Z");
    assert_eq!(sc.sub(sub).status, Status::Expired);
    rejected(sc.when(suspend(sub)), "SubscriptionExpired", "REN-3");
}

#[test]
fn sus_1_suspending_needs_a_managing_role() {
    let (mut sc, sub) = e3_ten();
    let helpdesk = partner(PARTNER_A, &[Role::HelpdeskAgent, Role::BillingAdmin]);
    rejected(sc.when_as(&helpdesk, suspend(sub)), "Forbidden", "GEN-3");
    let sales = partner(PARTNER_A, &[Role::SalesAgent]);
    sc.when_as(&sales, suspend(sub))
        .then_types(&["SubscriptionSuspended"]);
}

// ---------------------------------------------------------------- SUS-2

#[test]
fn sus_2_suspending_turns_auto_renew_off_and_deletes_the_scheduled_change() {
    let (mut sc, sub) = e3_ten();
    sc.ok(schedule_quantity(sub, 12));
    assert!(sc.sub(sub).scheduled_change.is_some());
    let r = sc.when(suspend(sub));
    let events = r.then_types(&["SubscriptionSuspended", "ScheduledChangeCleared"]);
    assert!(matches!(
        events[1].data,
        EventData::ScheduledChangeCleared {
            reason: ClearReason::AutoRenewOff,
            ..
        }
    ));
    let s = sc.sub(sub);
    assert!(!s.auto_renew);
    assert_eq!(s.scheduled_change, None);
    assert_eq!(time::next_renewal_at(s), None);
}

#[test]
fn sus_2_reactivating_does_not_turn_auto_renew_back_on() {
    let (mut sc, sub) = e3_monthly_term();
    sc.advance_to("2026-01-12T10:00:00Z");
    sc.ok(suspend(sub));
    sc.advance_to("2026-01-13T10:00:00Z");
    sc.when(reactivate(sub))
        .then_types(&["SubscriptionReactivated"]);
    let s = sc.sub(sub);
    assert_eq!(s.status, Status::Active);
    assert!(!s.auto_renew);
    assert_eq!(time::next_renewal_at(s), None);
    // So at the end of its term it expires instead of renewing.
    let due = sc.advance_to("2026-02-10T00:00:00Z");
    let types: Vec<_> = due.iter().map(|e| e.data.type_name()).collect();
    assert_eq!(types, vec!["SubscriptionExpired"]);
    assert!(matches!(
        due[0].data,
        EventData::SubscriptionExpired {
            reason: ExpiryReason::AutoRenewOff,
            data_deleted: false,
            ..
        }
    ));
}

#[test]
fn sus_2_auto_renew_can_be_turned_on_again_only_after_reactivation() {
    let (mut sc, sub) = e3_monthly_term();
    sc.ok(suspend(sub));
    let enable = || {
        Command::SetAutoRenew(SetAutoRenew {
            subscription_id: sub,
            enabled: true,
        })
    };
    let before = sc.state.clone();
    rejected(sc.when(enable()), "SubscriptionSuspended", "REN-6");
    assert_eq!(sc.state, before);
    sc.ok(reactivate(sub));
    sc.when(enable()).then_types(&["AutoRenewSet"]);
    assert!(sc.sub(sub).auto_renew);
    assert_eq!(
        time::next_renewal_at(sc.sub(sub)),
        Some(at("2026-02-10T00:00:00Z"))
    );
}

#[test]
fn sus_2_no_change_can_be_scheduled_while_suspended() {
    let (mut sc, sub) = e3_ten();
    sc.ok(suspend(sub));
    rejected(
        sc.when(schedule_quantity(sub, 12)),
        "ScheduledChangeNotAllowed",
        "REN-4",
    );
    assert_eq!(sc.sub(sub).scheduled_change, None);
}

// ---------------------------------------------------------------- SUS-3

#[test]
fn sus_3_suspending_a_base_suspends_its_add_ons() {
    let (mut sc, base, copilot, geo) = base_with_addons();
    let r = sc.when(suspend(base));
    let events = r.then_types(&[
        "SubscriptionSuspended",
        "SubscriptionSuspended",
        "SubscriptionSuspended",
    ]);
    assert!(matches!(
        events[0].data,
        EventData::SubscriptionSuspended { subscription_id, base_subscription_id: None } if subscription_id == base
    ));
    let followers: BTreeSet<Uuid> = events[1..]
        .iter()
        .map(|e| match &e.data {
            EventData::SubscriptionSuspended {
                subscription_id,
                base_subscription_id,
            } => {
                assert_eq!(*base_subscription_id, Some(base));
                *subscription_id
            }
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(followers, BTreeSet::from([copilot, geo]));
    for id in [base, copilot, geo] {
        assert_eq!(sc.sub(id).status, Status::Suspended);
        assert!(!sc.sub(id).auto_renew, "SUS-2 holds for the add-ons too");
    }
    assert!(invariants::check(&sc.state).is_empty());
}

#[test]
fn sus_3_reactivating_the_base_does_not_reactivate_its_add_ons() {
    let (mut sc, base, copilot, geo) = base_with_addons();
    sc.ok(suspend(base));
    sc.when(reactivate(base))
        .then_types(&["SubscriptionReactivated"]);
    assert_eq!(sc.sub(base).status, Status::Active);
    assert_eq!(sc.sub(copilot).status, Status::Suspended);
    assert_eq!(sc.sub(geo).status, Status::Suspended);
    // Each add-on is reactivated on its own.
    sc.when(reactivate(copilot))
        .then_types(&["SubscriptionReactivated"]);
    assert_eq!(sc.sub(copilot).status, Status::Active);
    assert_eq!(sc.sub(geo).status, Status::Suspended);
}

#[test]
fn sus_3_an_add_ons_scheduled_change_is_deleted_with_it() {
    let (mut sc, base, copilot, _geo) = base_with_addons();
    sc.ok(schedule_quantity(copilot, 8));
    let r = sc.when(suspend(base));
    let events = r.accepted();
    assert!(events.iter().any(|e| matches!(
        e.data,
        EventData::ScheduledChangeCleared { subscription_id, reason: ClearReason::AutoRenewOff }
            if subscription_id == copilot
    )));
    assert_eq!(sc.sub(copilot).scheduled_change, None);
}

#[test]
fn sus_3_suspending_an_add_on_leaves_its_base_alone() {
    let (mut sc, base, copilot, geo) = base_with_addons();
    sc.when(suspend(copilot))
        .then_types(&["SubscriptionSuspended"]);
    assert_eq!(sc.sub(base).status, Status::Active);
    assert_eq!(sc.sub(geo).status, Status::Active);
    // An add-on already suspended is not suspended again with its base.
    let r = sc.when(suspend(base));
    let suspended: BTreeSet<Uuid> = r
        .accepted()
        .iter()
        .filter_map(|e| match &e.data {
            EventData::SubscriptionSuspended {
                subscription_id, ..
            } => Some(*subscription_id),
            _ => None,
        })
        .collect();
    assert_eq!(suspended, BTreeSet::from([base, geo]));
}

#[test]
fn sus_3_another_partners_add_on_is_not_suspended() {
    // Ruling: only the add-ons of which the suspending partner is also the partner
    // of record follow; partner A cannot act on partner B's subscriptions (GEN-2).
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let base = sc.buy("m365-e3", 20, P1Y, Billing::Monthly);
    sc.relate(PARTNER_B);
    let events = sc
        .when_as(
            &admin_b(),
            Scenario::purchase(vec![item("copilot-m365", 5, P1Y, Billing::Monthly)]),
        )
        .accepted()
        .clone();
    let b_copilot = created_of(&events, "copilot-m365");
    sc.when(suspend(base))
        .then_types(&["SubscriptionSuspended"]);
    assert_eq!(sc.sub(b_copilot).status, Status::Active);
}

// ---------------------------------------------------------------- SUS-4

#[test]
fn sus_4_reactivation_restores_access_at_once() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("windows-server-2022-standard", 2, P1Y, Billing::Annual);
    sc.ok(suspend(sub));
    sc.advance_to("2026-06-01T10:00:00Z");
    sc.when(reactivate(sub))
        .then_types(&["SubscriptionReactivated"]);
    assert_eq!(sc.sub(sub).status, Status::Active);
    sc.when(reveal(sub)).then_types(&["KeyRevealed"]);
}

#[test]
fn sus_4_reactivation_is_possible_until_the_last_second_of_the_term_end_date() {
    let (mut sc, sub) = e3_monthly_term();
    sc.advance_to("2026-01-15T10:00:00Z");
    sc.ok(suspend(sub));
    sc.advance_to("2026-02-09T23:59:59Z");
    sc.when(reactivate(sub))
        .then_types(&["SubscriptionReactivated"]);
    // Reactivated with auto-renew off (SUS-2), it then expires normally, data kept.
    let due = sc.advance_to("2026-02-10T00:00:00Z");
    assert!(matches!(
        due.as_slice(),
        [subledger_domain::Event {
            data: EventData::SubscriptionExpired {
                reason: ExpiryReason::AutoRenewOff,
                data_deleted: false,
                ..
            },
            ..
        }]
    ));
}

#[test]
fn sus_4_not_reactivated_by_the_term_end_it_expires_and_its_data_is_deleted() {
    let (mut sc, sub) = e3_monthly_term();
    sc.advance_to("2026-01-15T10:00:00Z");
    sc.ok(suspend(sub));
    // Nothing happens one second before the end…
    assert!(sc.advance_to("2026-02-09T23:59:59Z").is_empty());
    // …and at the renewal instant it expires (REN-6: whatever auto-renew was),
    // with no renewal, no charge and no credit.
    let due = sc.advance_to("2026-02-10T00:00:00Z");
    assert_eq!(due.len(), 1, "{due:#?}");
    assert_eq!(due[0].at, at("2026-02-10T00:00:00Z"));
    assert!(matches!(
        due[0].data,
        EventData::SubscriptionExpired {
            subscription_id,
            reason: ExpiryReason::SuspendedAtTermEnd,
            data_deleted: true,
        } if subscription_id == sub
    ));
    let s = sc.sub(sub);
    assert_eq!(s.status, Status::Expired);
    assert!(s.data_deleted);
    assert!(SubscriptionView::of(s, sc.now, 1).data_deleted);
    // A late reactivation is refused with the rule and the deletion.
    let before = sc.state.clone();
    let rej = &rejected(sc.when(reactivate(sub)), "SubscriptionExpired", "SUS-4");
    assert_eq!(detail(rej, "data_deleted"), true);
    assert_eq!(sc.state, before);
    // Nothing more is ever due for it.
    assert!(sc.advance_to("2026-06-01T00:00:00Z").is_empty());
}

#[test]
fn sus_4_the_decider_refuses_a_late_reactivation_even_before_the_expiry_is_written() {
    // Another service instance may not have run the time-driven work yet: the
    // decision itself must see that the term is over.
    let (mut sc, sub) = e3_monthly_term();
    sc.ok(suspend(sub));
    let actor = admin_a();
    let ctx = CommandContext {
        command_id: Uuid::from_u128(0x5055),
        actor: &actor,
        now: at("2026-02-10T00:00:00Z"),
        key_fingerprint: None,
    };
    let rej = decide(&sc.state, &reactivate(sub), &ctx, &sc.catalog).unwrap_err();
    assert_eq!(
        (rej.code.as_str(), rej.rule.as_str()),
        ("SubscriptionExpired", "SUS-4")
    );
    assert_eq!(detail(&rej, "term_end_date"), "2026-02-09");
    assert_eq!(detail(&rej, "data_deleted"), true);
    // One second earlier the same state accepts it.
    let ctx = CommandContext {
        now: at("2026-02-09T23:59:59Z"),
        ..ctx
    };
    let events = decide(&sc.state, &reactivate(sub), &ctx, &sc.catalog).unwrap();
    assert_eq!(events.len(), 1);
}

#[test]
fn sus_4_only_a_suspended_subscription_can_be_reactivated() {
    let (mut sc, sub) = e3_ten();
    let before = sc.state.clone();
    let rej = &rejected(sc.when(reactivate(sub)), "NotSuspended", "SUS-4");
    assert_eq!(detail(rej, "status"), "active");
    assert_eq!(sc.state, before);
    sc.ok(Command::Cancel(Cancel {
        subscription_id: sub,
    }));
    rejected(sc.when(reactivate(sub)), "SubscriptionCancelled", "CAN-5");
}

// ---------------------------------------------------------------- SUS-5

#[test]
fn sus_5_trials_cannot_be_suspended_or_reactivated() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let trial = sc.buy_item(PurchaseItem {
        trial: true,
        ..item("m365-business-premium", 25, P1M, Billing::Monthly)
    });
    let before = sc.state.clone();
    rejected(sc.when(suspend(trial)), "TrialNotModifiable", "SUS-5");
    rejected(sc.when(reactivate(trial)), "TrialNotModifiable", "SUS-5");
    assert_eq!(sc.state, before);
    assert_eq!(sc.sub(trial).status, Status::Active);
}

#[test]
fn sus_5_once_converted_to_paid_it_can_be_suspended() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let trial = sc.buy_item(PurchaseItem {
        trial: true,
        ..item("m365-business-premium", 25, P1M, Billing::Monthly)
    });
    // The trial ends 2026-02-09 and converts at 2026-02-10T00:00:00Z (TRI-2).
    sc.advance_to("2026-02-10T00:00:00Z");
    assert!(!sc.sub(trial).trial);
    sc.when(suspend(trial))
        .then_types(&["SubscriptionSuspended"]);
}

// SUS-2/3 as invariants over random histories: a suspended subscription never
// renews nor holds a scheduled change; reactivating never turns auto-renew on;
// suspending the base always leaves every add-on that was active suspended.
#[derive(Debug, Clone)]
enum Op {
    Suspend(usize),
    Reactivate(usize),
    AutoRenewOn(usize),
    Schedule(usize),
    Wait(i64),
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    prop_oneof![
        (0usize..3).prop_map(Op::Suspend),
        (0usize..3).prop_map(Op::Reactivate),
        (0usize..3).prop_map(Op::AutoRenewOn),
        (0usize..3).prop_map(Op::Schedule),
        (1i64..40).prop_map(Op::Wait),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    #[test]
    fn sus_2_and_sus_3_hold_over_random_histories(ops in proptest::collection::vec(op(), 1..40)) {
        use proptest::prelude::*;
        let (mut sc, base, copilot, geo) = base_with_addons();
        let subs = [base, copilot, geo];
        for op in ops {
            match op {
                Op::Suspend(i) => {
                    let active_addons: Vec<Uuid> = [copilot, geo]
                        .into_iter()
                        .filter(|a| sc.sub(*a).status == Status::Active)
                        .collect();
                    let accepted = sc.when(suspend(subs[i])).result.is_ok();
                    if accepted && i == 0 {
                        for a in active_addons {
                            prop_assert_eq!(sc.sub(a).status, Status::Suspended);
                        }
                    }
                }
                Op::Reactivate(i) => {
                    let auto_renew = sc.sub(subs[i]).auto_renew;
                    let o = sc.when(reactivate(subs[i]));
                    if o.result.is_ok() {
                        prop_assert!(!auto_renew);
                        prop_assert!(!sc.sub(subs[i]).auto_renew);
                        prop_assert_eq!(sc.sub(subs[i]).status, Status::Active);
                    }
                }
                Op::AutoRenewOn(i) => {
                    let _ = sc.when(Command::SetAutoRenew(SetAutoRenew { subscription_id: subs[i], enabled: true }));
                }
                Op::Schedule(i) => {
                    let _ = sc.when(schedule_quantity(subs[i], 20));
                }
                Op::Wait(days) => {
                    let to = sc.now + chrono::TimeDelta::days(days);
                    sc.advance(to);
                }
            }
            for id in subs {
                let s = sc.sub(id);
                if s.status == Status::Suspended {
                    prop_assert!(!s.auto_renew);
                    prop_assert_eq!(&s.scheduled_change, &None);
                    prop_assert_eq!(time::next_renewal_at(s), None);
                }
            }
            prop_assert!(invariants::check(&sc.state).is_empty(), "{:?}", invariants::check(&sc.state));
        }
    }
}
