//! SUS-1 (suspending) and SUS-2 (auto-renew and scheduled changes).

use super::*;

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
    sc.ok(cancel(sub));
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
    let enable = || set_auto_renew(sub, true);
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
