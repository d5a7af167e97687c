//! TRF-3 (what moves), TRF-4 (money) and TRF-5 (answers and expiry).

use super::*;

// ---------------------------------------------------------------- TRF-3

#[test]
fn trf_3_a_new_subscription_under_the_target_and_the_old_one_transferred() {
    let (mut sc, sub, t) = requested();
    let old = sc.sub(sub).clone();
    let events = sc.ok(accept_transfer(t, &[sub]));
    let new_id = new_ids(&events)[0];
    match &events[0].data {
        EventData::SubscriptionCreated(c) => {
            assert_eq!(c.subscription_id, new_id);
            assert_eq!(
                c.origin,
                Origin::Transfer {
                    transfer_id: t,
                    source_subscription_id: sub
                }
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    match &events[1].data {
        EventData::SubscriptionTransferred {
            subscription_id,
            to_subscription_id,
            to_partner_id,
            transfer_id,
        } => {
            assert_eq!(*subscription_id, sub);
            assert_eq!(*to_subscription_id, new_id);
            assert_eq!(*to_partner_id, PARTNER_B);
            assert_eq!(*transfer_id, t);
        }
        other => panic!("unexpected {other:?}"),
    }
    let new = sc.sub(new_id).clone();
    assert_eq!(new.partner_id, PARTNER_B);
    assert_eq!(new.customer_id, CUSTOMER);
    assert_eq!(new.product_id, old.product_id);
    assert_eq!(new.quantity, 10);
    assert_eq!(new.term, old.term);
    assert_eq!(new.term_end_date, Some(date("2027-01-09")));
    assert_eq!(new.billing, Billing::Monthly);
    assert_eq!(new.unit_price, old.unit_price);
    assert!(new.auto_renew);
    assert_eq!(new.status, Status::Active);
    let closed = sc.sub(sub);
    assert_eq!(closed.status, Status::Transferred);
    assert_eq!(closed.closed_at, Some(at("2026-01-20T10:00:00Z")));
    assert!(!closed.auto_renew);
    assert!(!sc.state.live.contains(&sub));
    assert!(invariants::check(&sc.state).is_empty());
    // It renews under B at the same date.
    let due = sc.advance_to("2027-01-10T00:00:00Z");
    let renewed: Vec<Uuid> = due
        .iter()
        .filter_map(|e| match &e.data {
            EventData::SubscriptionRenewed(r) => Some(r.subscription_id),
            _ => None,
        })
        .collect();
    assert_eq!(renewed, vec![new_id]);
}

#[test]
fn trf_3_auto_renew_off_moves_as_it_is() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let mut it = item(E3, 10, P1Y, Billing::Annual);
    it.auto_renew = false;
    let sub = sc.buy_item(it);
    sc.relate(PARTNER_B);
    let t = transfer_id(
        sc.when_as(&admin_b(), request_transfer(PARTNER_A))
            .accepted(),
    );
    let new_id = new_ids(&sc.ok(accept_transfer(t, &[sub])))[0];
    let new = sc.sub(new_id);
    assert!(!new.auto_renew);
    assert_eq!(new.billing, Billing::Annual);
    let due = sc.advance_to("2027-01-10T00:00:00Z");
    assert!(matches!(
        due.last().map(|e| &e.data),
        Some(EventData::SubscriptionExpired { .. })
    ));
}

#[test]
fn trf_3_the_transferred_subscription_behaves_as_cancelled() {
    let (mut sc, sub, t) = requested();
    sc.ok(accept_transfer(t, &[sub]));
    let before = sc.state.clone();
    for cmd in [
        add_seats(sub, 1),
        suspend(sub),
        reactivate(sub),
        cancel(sub),
        set_auto_renew(sub, true),
    ] {
        let rej = sc
            .when(cmd)
            .then_rejected("SubscriptionCancelled", "TRF-3")
            .clone();
        assert_eq!(detail(&rej, "status"), "transferred");
    }
    assert_eq!(sc.state, before);
    let v = SubscriptionView::of(sc.sub(sub), sc.now, 0);
    assert_eq!(v.status, Status::Transferred);
    assert_eq!(v.next_renewal_at, None);
}

#[test]
fn trf_3_keys_of_a_transferred_software_subscription_are_revoked() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("windows-server-2022-standard", 2, P1Y, Billing::Annual);
    sc.relate(PARTNER_B);
    let t = transfer_id(
        sc.when_as(&admin_b(), request_transfer(PARTNER_A))
            .accepted(),
    );
    let new_id = new_ids(&sc.ok(accept_transfer(t, &[sub])))[0];
    assert!(sc.sub(sub).keys_revoked);
    sc.when(Command::RevealKey(RevealKey {
        subscription_id: sub,
        key_type: KeyType::MAK,
        version: None,
        language: None,
        os: None,
    }))
    .then_rejected("KeysRevoked", "KEY-5");
    // The new subscription has keys of its own, for B.
    assert!(sc.sub(new_id).has_keys);
    assert!(!sc.sub(new_id).keys_revoked);
}

#[test]
fn trf_3_each_partner_sees_only_its_own_side() {
    let (mut sc, sub, t) = requested();
    let new_id = new_ids(&sc.ok(accept_transfer(t, &[sub])))[0];
    let before = sc.state.clone();
    // A no longer manages the new subscription; B never managed the old one.
    sc.when(add_seats(new_id, 1))
        .then_rejected("NotFound", "GEN-2");
    sc.when_as(&admin_b(), add_seats(sub, 1))
        .then_rejected("NotFound", "GEN-2");
    assert_eq!(sc.state, before);
    sc.when_as(&admin_b(), add_seats(new_id, 1))
        .then_types(&["SeatsAdded", "Charged"]);
}

#[test]
fn trf_3_neither_side_gets_a_cancellation_window() {
    // Transferred on the day after the purchase, inside A's 7-day windows.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy(E3, 10, P1Y, Billing::Monthly);
    sc.relate(PARTNER_B);
    sc.advance_to("2026-01-11T09:00:00Z");
    let t = transfer_id(
        sc.when_as(&admin_b(), request_transfer(PARTNER_A))
            .accepted(),
    );
    let events = sc.ok(accept_transfer(t, &[sub]));
    let new_id = new_ids(&events)[0];
    match &events[0].data {
        EventData::SubscriptionCreated(c) => {
            assert_eq!(c.cancellation_allowed_until, None);
            assert_eq!(c.seat_batch, None);
        }
        other => panic!("unexpected {other:?}"),
    }
    let v = SubscriptionView::of(sc.sub(new_id), sc.now, 0);
    assert_eq!(v.cancellation_allowed_until, None);
    assert_eq!(v.refundable_seats.total, 0);
    let before = sc.state.clone();
    let rej = sc
        .when_as(&admin_b(), cancel(new_id))
        .then_rejected("CancellationWindowClosed", "CAN-1")
        .clone();
    assert_eq!(detail(&rej, "window_closed_at"), &serde_json::Value::Null);
    sc.when_as(&admin_b(), reduce_seats(new_id, 1))
        .then_rejected("SeatReductionWindowClosed", "SEAT-2");
    assert_eq!(sc.state, before);
}

// ---------------------------------------------------------------- TRF-4

#[test]
fn trf_4_the_source_is_credited_and_the_target_charged_for_the_unused_days() {
    let (mut sc, sub, t) = requested();
    // Accepted on 2026-01-22: 13 of the 31 days used, 18 unused:
    // 33.60 × 10 × 18 / 31 = 195.0968 → 19510 each way.
    sc.advance_to("2026-01-22T10:00:00Z");
    let out = sc.when(accept_transfer(t, &[sub]));
    assert_eq!(
        out.amounts(),
        vec![
            -rhu(E3_MONTHLY * 10 * 18, 31),
            rhu(E3_MONTHLY * 10 * 18, 31)
        ]
    );
    assert_eq!(out.amounts(), vec![-19_510, 19_510]);
    let b = out.billing();
    let new_id = new_ids(out.events())[0];
    let (credit, charge) = (b[0].1, b[1].1);
    assert_eq!(credit.reason, BillingReason::TransferSource);
    assert_eq!(charge.reason, BillingReason::TransferTarget);
    assert_eq!(
        (credit.subscription_id, credit.partner_id),
        (sub, PARTNER_A)
    );
    assert_eq!(
        (charge.subscription_id, charge.partner_id),
        (new_id, PARTNER_B)
    );
    for l in [credit, charge] {
        assert_eq!(l.seats, 10);
        assert_eq!(l.period_start, date("2026-01-10"));
        assert_eq!(l.period_end, date("2026-02-09"));
        assert_eq!((l.period_days, l.days_charged), (31, 18));
    }
    // From the next period on, only B's subscription is charged.
    let due = sc.advance_to("2026-02-10T00:00:00Z");
    let charged: Vec<(Uuid, Uuid, i64)> = due
        .iter()
        .filter_map(|e| match &e.data {
            EventData::Charged(l) => Some((l.subscription_id, l.partner_id, l.amount.amount_minor)),
            _ => None,
        })
        .collect();
    assert_eq!(charged, vec![(new_id, PARTNER_B, 10 * E3_MONTHLY)]);
}

#[test]
fn trf_4_an_annual_plan_moves_the_rest_of_its_year() {
    // 403.20 a seat a year; accepted on 2026-03-01: 2026-01-10..2026-03-01 is 51
    // days used of 365, 314 unused: 403.20 × 2 × 314 / 365 = 693.7249 → 69372.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy(E3, 2, P1Y, Billing::Annual);
    sc.relate(PARTNER_B);
    sc.advance_to("2026-02-20T10:00:00Z");
    let t = transfer_id(
        sc.when_as(&admin_b(), request_transfer(PARTNER_A))
            .accepted(),
    );
    sc.advance_to("2026-03-01T10:00:00Z");
    let out = sc.when(accept_transfer(t, &[sub]));
    assert_eq!(
        out.amounts(),
        vec![-rhu(40320 * 2 * 314, 365), rhu(40320 * 2 * 314, 365)]
    );
    assert_eq!(out.amounts(), vec![-69_372, 69_372]);
}

#[test]
fn trf_4_on_the_last_day_of_a_period_no_money_moves() {
    let (mut sc, sub, t) = requested();
    sc.advance_to("2026-02-09T18:00:00Z");
    sc.when(accept_transfer(t, &[sub])).then_types(&[
        "SubscriptionCreated",
        "SubscriptionTransferred",
        "TransferAccepted",
    ]);
}

// ---------------------------------------------------------------- TRF-5

#[test]
fn trf_5_a_request_is_answered_once() {
    let (mut sc, sub, t) = requested();
    let second = sc.buy(E3, 1, P1Y, Billing::Monthly);
    sc.ok(accept_transfer(t, &[sub]));
    let before = sc.state.clone();
    let rej = sc
        .when(accept_transfer(t, &[second]))
        .then_rejected("TransferNotPending", "TRF-5")
        .clone();
    assert_eq!(detail(&rej, "status"), "accepted");
    sc.when(Command::RejectTransfer(RejectTransfer { transfer_id: t }))
        .then_rejected("TransferNotPending", "TRF-5");
    assert_eq!(sc.state, before);

    let (mut sc, sub, t) = requested();
    sc.ok(Command::RejectTransfer(RejectTransfer { transfer_id: t }));
    let before = sc.state.clone();
    let rej = sc
        .when(accept_transfer(t, &[sub]))
        .then_rejected("TransferNotPending", "TRF-5")
        .clone();
    assert_eq!(detail(&rej, "status"), "rejected");
    sc.when(Command::RejectTransfer(RejectTransfer { transfer_id: t }))
        .then_rejected("TransferNotPending", "TRF-5");
    assert_eq!(sc.state, before);
}

#[test]
fn trf_5_an_unanswered_request_expires_after_30_days() {
    let (mut sc, sub, t) = requested();
    let tr = sc.state.transfers[&t].clone();
    assert_eq!(tr.requested_at, at("2026-01-20T10:00:00Z"));
    assert_eq!(tr.expires_at, at("2026-02-19T10:00:00Z"));
    let due = sc.advance_to("2026-02-19T09:59:59Z");
    assert!(
        due.iter()
            .all(|e| !matches!(e.data, EventData::TransferExpired { .. }))
    );
    assert_eq!(sc.state.transfers[&t].status, TransferStatus::Pending);
    // Exactly 30 days after the request it is expired, by the ledger itself.
    let due = sc.advance_to("2026-02-19T10:00:00Z");
    assert_eq!(
        due.iter().map(|e| e.data.type_name()).collect::<Vec<_>>(),
        ["TransferExpired"]
    );
    assert_eq!(due[0].at, at("2026-02-19T10:00:00Z"));
    assert_eq!(sc.state.transfers[&t].status, TransferStatus::Expired);
    assert!(sc.state.pending_transfers.is_empty());
    let before = sc.state.clone();
    let rej = sc
        .when(accept_transfer(t, &[sub]))
        .then_rejected("TransferExpired", "TRF-5")
        .clone();
    assert_eq!(detail(&rej, "expired_at"), "2026-02-19T10:00:00Z");
    sc.when(Command::RejectTransfer(RejectTransfer { transfer_id: t }))
        .then_rejected("TransferExpired", "TRF-5");
    assert_eq!(sc.state, before);
    assert_eq!(sc.sub(sub).partner_id, PARTNER_A);
    assert_eq!(sc.sub(sub).status, Status::Active);
}

#[test]
fn trf_5_a_request_can_be_accepted_one_second_before_it_expires() {
    let (mut sc, sub, t) = requested();
    sc.advance_to("2026-02-19T09:59:59Z");
    sc.when(accept_transfer(t, &[sub])).accepted();
    assert_eq!(sc.state.transfers[&t].status, TransferStatus::Accepted);
    // Answered, it does not expire later.
    let due = sc.advance_to("2026-03-01T00:00:00Z");
    assert!(
        due.iter()
            .all(|e| !matches!(e.data, EventData::TransferExpired { .. }))
    );
}

#[test]
fn trf_5_an_expired_request_is_refused_even_before_the_ledger_recorded_the_expiry() {
    // Deciding directly on a state where the expiry is due but not yet folded.
    let (sc, sub, t) = requested();
    let actor = admin_a();
    let ctx = subledger_domain::CommandContext {
        command_id: Uuid::from_u128(99),
        actor: &actor,
        now: at("2026-02-19T10:00:00Z"),
        key_fingerprint: None,
    };
    let rej = subledger_domain::decide(&sc.state, &accept_transfer(t, &[sub]), &ctx, &sc.catalog)
        .expect_err("expired");
    assert_eq!(
        (rej.code.as_str(), rej.rule.as_str()),
        ("TransferExpired", "TRF-5")
    );
    assert_eq!(detail(&rej, "expired_at"), "2026-02-19T10:00:00Z");
}

#[test]
fn trf_3_a_scheduled_marketplace_cancellation_moves_with_the_subscription() {
    // A monthly SaaS bought on 10 January, cancelled after its 24 hours: the
    // cancellation waits for the term's end (CAN-3). Transferred to B before then,
    // the new subscription still ends cancelled, not expired.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("isv-saas-monthly", 5, P1M, Billing::Monthly);
    sc.relate(PARTNER_B);
    sc.advance_to("2026-01-12T09:00:00Z");
    sc.when(cancel(sub)).then_types(&["CancellationScheduled"]);
    let t = transfer_id(
        sc.when_as(&admin_b(), request_transfer(PARTNER_A))
            .accepted(),
    );
    let events = sc.when(accept_transfer(t, &[sub])).accepted().clone();
    let new = new_ids(&events)[0];
    assert!(sc.sub(new).cancel_at_term_end);
    assert_eq!(sc.sub(new).partner_id, PARTNER_B);
    sc.advance_to("2026-02-10T00:00:00Z");
    assert_eq!(sc.sub(new).status, Status::Cancelled);
    assert!(invariants::check(&sc.state).is_empty());
}
