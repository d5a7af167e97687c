//! CAN-5 (what a cancellation leaves) and CAN-6 (add-ons and their bases).

use super::*;

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
        add_seats(sub, 1),
        reduce_seats(sub, 1),
        suspend(sub),
        reactivate(sub),
        set_auto_renew(sub, true),
        set_auto_renew(sub, false),
        schedule_quantity(sub, 5),
        clear_scheduled_change(sub),
        cancel(sub),
        upgrade_now(sub, "m365-e5", 10),
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
    rejected(sc.when(add_seats(sub, 1)), "SubscriptionCancelled", "CAN-5");
    rejected(sc.when(reactivate(sub)), "SubscriptionCancelled", "CAN-5");
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
