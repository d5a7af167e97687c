//! SUS-3 (add-ons), SUS-4 (reactivating) and SUS-5 (trials), and SUS-2/3 over random
//! histories.

use super::*;

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
    sc.ok(cancel(sub));
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
