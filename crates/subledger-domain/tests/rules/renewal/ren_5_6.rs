//! REN-5 (what deletes a scheduled change) and REN-6 (suspended subscriptions at their end).

use super::*;

// ---------------------------------------------------------------- REN-5

fn with_change() -> (Scenario, Uuid) {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1Y, Billing::Monthly);
    sc.ok(schedule(id, quantity_change(20)));
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
    sc.ok(cancel(id));
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
    sc.ok(schedule(id, quantity_change(7)));
    sc.advance_to("2026-01-11T09:00:00Z");
    let out = sc.when(cancel(id));
    let events = out.then_types(&["CancellationScheduled", "ScheduledChangeCleared"]);
    assert_eq!(cleared_reason(events, id), Some(ClearReason::Cancelled));
    assert_eq!(sc.sub(id).scheduled_change, None);
}

#[test]
fn ren_5_turning_auto_renew_off_deletes_the_scheduled_change() {
    let (mut sc, id) = with_change();
    let out = sc.when(set_auto_renew(id, false));
    let events = out.then_types(&["AutoRenewSet", "ScheduledChangeCleared"]);
    assert_eq!(cleared_reason(events, id), Some(ClearReason::AutoRenewOff));
    assert_eq!(sc.sub(id).scheduled_change, None);
    // Turning it back on does not bring the change back.
    sc.ok(set_auto_renew(id, true));
    let due = sc.advance_to("2027-01-10T00:00:00Z");
    assert_eq!(renewed(&due).quantity, 10);
}

#[test]
fn ren_5_suspending_deletes_the_scheduled_change() {
    let (mut sc, id) = with_change();
    let out = sc.when(suspend(id));
    let events = out.then_types(&["SubscriptionSuspended", "ScheduledChangeCleared"]);
    assert_eq!(cleared_reason(events, id), Some(ClearReason::AutoRenewOff));
    assert_eq!(sc.sub(id).scheduled_change, None);
}

#[test]
fn ren_5_a_mid_term_quantity_change_deletes_the_scheduled_change() {
    let (mut sc, id) = with_change();
    let out = sc.when(add_seats(id, 2));
    let events = out.then_types(&["SeatsAdded", "Charged", "ScheduledChangeCleared"]);
    assert_eq!(
        cleared_reason(events, id),
        Some(ClearReason::QuantityChanged)
    );
    assert_eq!(sc.sub(id).scheduled_change, None);

    let (mut sc, id) = with_change();
    let out = sc.when(reduce_seats(id, 2));
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
    sc.ok(schedule(trial, quantity_change(10)));
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
    sc.ok(set_auto_renew(id, true));
    assert_eq!(sc.sub(id).scheduled_change, Some(quantity_change(20)));
    let due = sc.advance_to("2027-01-10T00:00:00Z");
    assert_eq!(renewed(&due).quantity, 20);
}

// ---------------------------------------------------------------- REN-6

#[test]
fn ren_6_a_suspended_subscription_expires_at_its_end_date_whatever_auto_renew_was() {
    let mut sc = Scenario::at("2026-01-15T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1M, Billing::Monthly);
    assert!(sc.sub(id).auto_renew);
    sc.ok(suspend(id));
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
    sc.ok(suspend(id));
    let rej = sc.when_refused(set_auto_renew(id, true), "SubscriptionSuspended", "REN-6");
    assert_eq!(detail(&rej, "status"), "suspended");
}

#[test]
fn ren_6_reactivated_before_the_end_it_follows_its_auto_renew_setting() {
    // Reactivated one second before the end, with auto-renew still off (SUS-2): it
    // expires normally, its data kept.
    let mut sc = Scenario::at("2026-01-15T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P1M, Billing::Monthly);
    sc.ok(suspend(id));
    sc.advance_to("2026-02-14T23:59:59Z");
    sc.ok(reactivate(id));
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
    sc.ok(suspend(id));
    sc.ok(reactivate(id));
    sc.ok(set_auto_renew(id, true));
    let due = sc.advance_to("2026-02-15T00:00:00Z");
    assert_eq!(types(&due), ["SubscriptionRenewed", "Charged"]);
}
