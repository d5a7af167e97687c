//! CAN-1 (the seven-day window) and CAN-2 (perpetual software).

use super::*;

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
    assert_eq!(sc.when(add_seats(sub, 5)).amounts(), vec![15716]);
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
