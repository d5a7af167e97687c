//! TRF-1 (requests) and TRF-2 (the source picks).

use super::*;

// ---------------------------------------------------------------- TRF-1

#[test]
fn trf_1_a_related_target_partner_requests_a_transfer() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.buy(E3, 10, P1Y, Billing::Monthly);
    sc.relate(PARTNER_B);
    let out = sc.when_as(&admin_b(), request_transfer(PARTNER_A));
    let events = out.then_types(&["TransferRequested"]);
    match &events[0].data {
        EventData::TransferRequested {
            customer_id,
            source_partner_id,
            target_partner_id,
            customer_email,
            ..
        } => {
            assert_eq!(*customer_id, CUSTOMER);
            assert_eq!(*source_partner_id, PARTNER_A);
            assert_eq!(*target_partner_id, PARTNER_B);
            assert_eq!(customer_email, TRANSFER_EMAIL);
        }
        other => panic!("unexpected {other:?}"),
    }
    let t = &sc.state.transfers[&transfer_id(events)];
    assert_eq!(t.status, TransferStatus::Pending);
    // A global admin may request too.
    sc.when_as(
        &partner(PARTNER_B, &[Role::GlobalAdmin]),
        request_transfer(PARTNER_A),
    )
    .accepted();
}

#[test]
fn trf_1_the_relationship_must_be_accepted_by_the_customer_first() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.buy(E3, 10, P1Y, Billing::Monthly);
    // No relationship at all: the customer is not found (GEN-2).
    let before = sc.state.clone();
    sc.when_as(&admin_b(), request_transfer(PARTNER_A))
        .then_rejected("NotFound", "GEN-2");
    assert_eq!(sc.state, before);
    // Requested but not yet accepted.
    sc.when_as(
        &admin_b(),
        Command::RequestRelationship(RequestRelationship {
            customer_id: CUSTOMER,
        }),
    )
    .then_types(&["RelationshipRequested"]);
    let before = sc.state.clone();
    sc.when_as(&admin_b(), request_transfer(PARTNER_A))
        .then_rejected("RelationshipNotAccepted", "TRF-1");
    assert_eq!(sc.state, before);
    // Only the customer's global admin accepts it; the partner cannot.
    sc.when_as(
        &admin_b(),
        Command::AcceptRelationship(AcceptRelationship {
            partner_id: PARTNER_B,
        }),
    )
    .then_rejected("Forbidden", "GEN-3");
    sc.when_as(
        &customer_admin(),
        Command::AcceptRelationship(AcceptRelationship {
            partner_id: PARTNER_B,
        }),
    )
    .then_types(&["RelationshipEstablished"]);
    sc.when_as(&admin_b(), request_transfer(PARTNER_A))
        .then_types(&["TransferRequested"]);
}

#[test]
fn trf_1_the_request_names_a_related_source_partner_and_an_email() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.relate(PARTNER_B);
    let before = sc.state.clone();
    // Partner C has no relationship with the customer.
    let rej = sc
        .when_as(&admin_b(), request_transfer(PARTNER_C))
        .then_rejected("NotFound", "TRF-1")
        .clone();
    assert_eq!(detail(&rej, "source_partner_id"), &PARTNER_C.to_string());
    // Itself as the source.
    sc.when_as(&admin_b(), request_transfer(PARTNER_B))
        .then_rejected("InvalidRequest", "TRF-1");
    for bad in ["", "not-an-email", "it@localhost", "a b@fabrikam.example"] {
        let rej = sc
            .when_as(
                &admin_b(),
                Command::RequestTransfer(RequestTransfer {
                    customer_id: CUSTOMER,
                    source_partner_id: PARTNER_A,
                    customer_email: bad.into(),
                }),
            )
            .then_rejected("InvalidRequest", "TRF-1")
            .clone();
        assert_eq!(detail(&rej, "field"), "customer_email");
    }
    assert_eq!(sc.state, before);
}

#[test]
fn trf_1_only_admin_agents_and_global_admins_request_transfers() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.relate(PARTNER_B);
    let before = sc.state.clone();
    for role in [Role::SalesAgent, Role::HelpdeskAgent, Role::BillingAdmin] {
        sc.when_as(&partner(PARTNER_B, &[role]), request_transfer(PARTNER_A))
            .then_rejected("Forbidden", "GEN-3");
    }
    assert_eq!(sc.state, before);
}

// ---------------------------------------------------------------- TRF-2

#[test]
fn trf_2_the_source_picks_which_subscriptions_move() {
    let (mut sc, sub, t) = requested();
    let kept = sc.buy(E3, 4, P1Y, Billing::Monthly);
    let out = sc.when(accept_transfer(t, &[sub]));
    out.then_types(&[
        "SubscriptionCreated",
        "SubscriptionTransferred",
        "Credited",
        "Charged",
        "TransferAccepted",
    ]);
    assert_eq!(sc.sub(sub).status, Status::Transferred);
    assert_eq!(sc.sub(kept).status, Status::Active);
    assert_eq!(sc.sub(kept).partner_id, PARTNER_A);
    let tr = &sc.state.transfers[&t];
    assert_eq!(tr.status, TransferStatus::Accepted);
    assert_eq!(tr.subscription_ids, vec![sub]);
}

#[test]
fn trf_2_several_subscriptions_move_in_one_acceptance() {
    let (mut sc, sub, t) = requested();
    let second = sc.buy("m365-e5", 3, P1Y, Billing::Annual);
    let out = sc.when(accept_transfer(t, &[sub, second]));
    let events = out.accepted().clone();
    let moved = new_ids(&events);
    assert_eq!(moved.len(), 2);
    for (old, new) in [sub, second].into_iter().zip(&moved) {
        assert_eq!(sc.sub(old).status, Status::Transferred);
        assert_eq!(sc.sub(*new).partner_id, PARTNER_B);
        assert_eq!(sc.sub(*new).product_id, sc.sub(old).product_id);
    }
    assert!(invariants::check(&sc.state).is_empty());
}

#[test]
fn trf_2_the_source_may_reject_the_request() {
    let (mut sc, sub, t) = requested();
    sc.when(Command::RejectTransfer(RejectTransfer { transfer_id: t }))
        .then_types(&["TransferRejected"]);
    assert_eq!(sc.state.transfers[&t].status, TransferStatus::Rejected);
    assert_eq!(sc.sub(sub).status, Status::Active);
    assert_eq!(sc.sub(sub).partner_id, PARTNER_A);
}

#[test]
fn trf_2_only_the_source_partner_answers() {
    let (mut sc, sub, t) = requested();
    let before = sc.state.clone();
    // The target partner cannot accept its own request.
    sc.when_as(&admin_b(), accept_transfer(t, &[sub]))
        .then_rejected("Forbidden", "TRF-2");
    sc.when_as(
        &admin_b(),
        Command::RejectTransfer(RejectTransfer { transfer_id: t }),
    )
    .then_rejected("Forbidden", "TRF-2");
    // A third partner does not see it.
    let c = partner(PARTNER_C, &[Role::AdminAgent]);
    sc.when_as(&c, accept_transfer(t, &[sub]))
        .then_rejected("NotFound", "GEN-2");
    // At the source, only an admin agent answers (GEN-3).
    for role in [Role::SalesAgent, Role::GlobalAdmin] {
        sc.when_as(&partner(PARTNER_A, &[role]), accept_transfer(t, &[sub]))
            .then_rejected("Forbidden", "GEN-3");
    }
    assert_eq!(sc.state, before);
}

#[test]
fn trf_2_only_active_paid_subscriptions_of_the_source_can_be_picked() {
    let (mut sc, sub, t) = requested();
    let suspended = sc.buy(E3, 2, P1Y, Billing::Monthly);
    sc.ok(suspend(suspended));
    let mut it = item("m365-e5", 25, P1M, Billing::Monthly);
    it.trial = true;
    let trial = sc.buy_item(it);
    let cancelled = sc.buy(E3, 2, P1Y, Billing::Monthly);
    sc.ok(cancel(cancelled));
    let before = sc.state.clone();
    let rej = sc
        .when(accept_transfer(t, &[suspended]))
        .then_rejected("SubscriptionNotTransferable", "TRF-2")
        .clone();
    assert_eq!(detail(&rej, "status"), "suspended");
    assert_eq!(detail(&rej, "subscription_id"), &suspended.to_string());
    let rej = sc
        .when(accept_transfer(t, &[trial]))
        .then_rejected("SubscriptionNotTransferable", "TRF-2")
        .clone();
    assert_eq!(detail(&rej, "trial"), true);
    let rej = sc
        .when(accept_transfer(t, &[cancelled]))
        .then_rejected("SubscriptionNotTransferable", "TRF-2")
        .clone();
    assert_eq!(detail(&rej, "status"), "cancelled");
    // Atomic: one bad pick refuses the whole acceptance.
    sc.when(accept_transfer(t, &[sub, suspended]))
        .then_rejected("SubscriptionNotTransferable", "TRF-2");
    assert_eq!(sc.state, before);
    assert_eq!(sc.state.transfers[&t].status, TransferStatus::Pending);
    // The request is still open for a valid pick.
    sc.when(accept_transfer(t, &[sub])).accepted();
}

#[test]
fn trf_2_subscriptions_of_another_partner_cannot_be_picked() {
    let (mut sc, _sub, t) = requested();
    let of_b = {
        let out = sc.when_as(
            &admin_b(),
            Scenario::purchase(vec![item(E3, 5, P1Y, Billing::Monthly)]),
        );
        out.accepted()
            .iter()
            .find_map(|e| match &e.data {
                EventData::SubscriptionCreated(c) => Some(c.subscription_id),
                _ => None,
            })
            .expect("created")
    };
    let before = sc.state.clone();
    sc.when(accept_transfer(t, &[of_b]))
        .then_rejected("NotFound", "GEN-2");
    sc.when(accept_transfer(t, &[Uuid::from_u128(7)]))
        .then_rejected("NotFound", "GEN-2");
    assert_eq!(sc.state, before);
}

#[test]
fn trf_2_the_pick_is_one_or_more_distinct_subscriptions() {
    let (mut sc, sub, t) = requested();
    let before = sc.state.clone();
    sc.when(accept_transfer(t, &[]))
        .then_rejected("InvalidRequest", "TRF-2");
    sc.when(accept_transfer(t, &[sub, sub]))
        .then_rejected("InvalidRequest", "TRF-2");
    assert_eq!(sc.state, before);
}
