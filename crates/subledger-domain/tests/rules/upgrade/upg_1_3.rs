//! UPG-1 (what may be upgraded), UPG-2 (unsupported paths) and UPG-3 (full upgrades).

use super::*;

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
    sc.when_refused(upgrade_now(e5, E3, 10), "UpgradeNotAllowed", "UPG-1");
    sc.when_refused(upgrade_now(e3, STANDARD, 10), "UpgradeNotAllowed", "UPG-1");
    // Nor back after an upgrade: Standard → E3 → Standard.
    let (mut sc, id) = standard_10();
    sc.when(upgrade_now(id, E3, 10)).accepted();
    sc.when_refused(upgrade_now(id, STANDARD, 10), "UpgradeNotAllowed", "UPG-1");
}

#[test]
fn upg_1_a_trial_cannot_be_upgraded() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let mut it = item("m365-business-premium", 25, P1M, Billing::Monthly);
    it.trial = true;
    let trial = sc.buy_item(it);
    let rej = sc.when_refused(upgrade_now(trial, E3, 25), "UpgradeNotAllowed", "UPG-1");
    assert_eq!(detail(&rej, "trial"), true);
}

#[test]
fn upg_1_a_suspended_subscription_cannot_be_upgraded() {
    let (mut sc, id) = standard_10();
    sc.ok(suspend(id));
    let rej = sc.when_refused(upgrade_now(id, E3, 10), "UpgradeNotAllowed", "UPG-1");
    assert_eq!(detail(&rej, "status"), "suspended");
}

#[test]
fn upg_1_cancelled_and_expired_subscriptions_cannot_be_upgraded() {
    let (mut sc, id) = standard_10();
    sc.ok(cancel(id));
    sc.when_refused(upgrade_now(id, E3, 10), "SubscriptionCancelled", "CAN-5");

    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let mut it = item(STANDARD, 10, P1M, Billing::Monthly);
    it.auto_renew = false;
    let id = sc.buy_item(it);
    sc.advance_to("2026-02-10T00:00:00Z");
    assert_eq!(sc.sub(id).status, Status::Expired);
    sc.when_refused(upgrade_now(id, E3, 10), "SubscriptionExpired", "REN-3");
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
        sc.when(schedule(
            id,
            ScheduledChange {
                product_id: Some(to.into()),
                ..Default::default()
            },
        ))
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
    sc.when_refused(
        Command::Upgrade(Upgrade {
            subscription_id: id,
            target_product_id: E3.into(),
            quantity: 10,
            target_subscription_id: None,
            term: None,
            billing: Some(Billing::Annual),
            timing: UpgradeTiming::Now,
        }),
        "InvalidRequest",
        "UPG-3",
    );
}

#[test]
fn upg_3_the_target_must_offer_the_source_term_and_billing() {
    // M365 E3 on P3Y → E5, which has no P3Y plan.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let id = sc.buy(E3, 10, P3Y, Billing::Monthly);
    sc.when_refused(upgrade_now(id, "m365-e5", 10), "PlanNotOffered", "PUR-3");
}
