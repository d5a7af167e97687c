//! GEN-1 (instants and dates) and GEN-2 (actors and isolation).

use super::*;

// ---------------------------------------------------------------------------
// GEN-1: UTC instants with `Z`, UTC dates, inclusive end dates
// ---------------------------------------------------------------------------

#[test]
fn gen_1_event_instants_serialize_as_rfc3339_utc_with_z_and_dates_as_plain_dates() {
    let mut sc = Scenario::at("2026-01-15T09:30:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 3, P1M, Billing::Monthly);
    let created = sc
        .history
        .iter()
        .find(|e| e.data.type_name() == "SubscriptionCreated")
        .unwrap();
    let v = serde_json::to_value(created).unwrap();
    assert_eq!(v["at"], "2026-01-15T09:30:00Z");
    assert_eq!(v["data"]["term_start"], "2026-01-15T09:30:00Z");
    // A term end is a calendar date, not an instant.
    assert_eq!(v["data"]["term_end_date"], "2026-02-14");
    assert_eq!(
        v["data"]["seat_batch"]["refundable_until"],
        "2026-01-22T09:30:00Z"
    );
    assert_eq!(sc.sub(sub).term_end_date, Some(date("2026-02-14")));
}

#[test]
fn gen_1_rejection_instants_are_rfc3339_utc_with_z() {
    let mut sc = Scenario::at("2026-01-15T09:30:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 3, P1Y, Billing::Monthly);
    sc.advance_to("2026-01-23T00:00:00Z");
    let out = sc.when(cancel(sub));
    let rej = out.then_rejected("CancellationWindowClosed", "CAN-1");
    assert_eq!(detail(rej, "window_closed_at"), "2026-01-22T09:30:00Z");
    assert_eq!(detail(rej, "now"), "2026-01-23T00:00:00Z");
}

#[test]
fn gen_1_the_whole_end_date_belongs_to_the_term() {
    // Bought 15 January for one month without auto-renew: the term ends on
    // 14 February, inclusive, so the subscription still works at 23:59:59 that day…
    let mut sc = Scenario::at("2026-01-15T09:00:00Z").with_customer("NL");
    let mut it = item("m365-e3", 3, P1M, Billing::Monthly);
    it.auto_renew = false;
    let sub = sc.buy_item(it);
    assert!(sc.advance_to("2026-02-14T23:59:59Z").is_empty());
    sc.when(add_seats(sub, 1))
        .then_types(&["SeatsAdded", "Charged"]);
    assert_eq!(sc.sub(sub).status, Status::Active);
    // …and expires at the first instant of the next day.
    let due = sc.advance_to("2026-02-15T00:00:00Z");
    assert_eq!(due.len(), 1, "{due:#?}");
    assert_eq!(due[0].data.type_name(), "SubscriptionExpired");
    assert_eq!(due[0].at, at("2026-02-15T00:00:00Z"));
    assert_eq!(sc.sub(sub).status, Status::Expired);
}

#[test]
fn gen_1_seats_added_on_the_end_date_pay_for_that_one_day() {
    // Period 2026-01-15..2026-02-14 is 31 days; on the 14th one day is left.
    // 4032 × 2 × 1 / 31 = 260.13 → 260.
    let mut sc = Scenario::at("2026-01-15T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 3, P1M, Billing::Monthly);
    sc.advance_to("2026-02-14T22:00:00Z");
    let out = sc.when(add_seats(sub, 2));
    out.then_types(&["SeatsAdded", "Charged"]);
    assert_eq!(out.amounts(), vec![260]);
    let (_, line) = out.billing()[0];
    assert_eq!((line.period_days, line.days_charged), (31, 1));
    assert_eq!(line.period_end, date("2026-02-14"));
}

#[test]
fn gen_1_instants_with_another_offset_are_read_as_the_same_utc_instant() {
    let e: subledger_domain::Event = serde_json::from_value(json!({
        "at": "2026-01-15T10:30:00+01:00",
        "type": "RelationshipRequested",
        "data": { "customer_id": CUSTOMER, "partner_id": PARTNER_B }
    }))
    .unwrap();
    assert_eq!(e.at, at("2026-01-15T09:30:00Z"));
    // Written back, it is UTC with `Z`.
    assert_eq!(
        serde_json::to_value(&e).unwrap()["at"],
        "2026-01-15T09:30:00Z"
    );
}

// ---------------------------------------------------------------------------
// GEN-2: actors see only their own customers and subscriptions
// ---------------------------------------------------------------------------

#[test]
fn gen_2_a_partner_without_a_relationship_gets_not_found_for_the_customer() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let before = sc.state.clone();
    let out = sc.when_as(
        &admin_b(),
        Scenario::purchase(vec![item("m365-e3", 5, P1Y, Billing::Monthly)]),
    );
    let rej = out.then_rejected("NotFound", "GEN-2");
    assert_eq!(rej.kind, RejectionKind::NotFound);
    assert_eq!(detail(rej, "customer"), &json!(CUSTOMER.to_string()));
    assert_eq!(sc.state, before);
}

#[test]
fn gen_2_an_unknown_customer_and_a_foreign_one_look_the_same() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let unknown = Uuid::from_u128(0xDEAD);
    let foreign = sc
        .when_as(
            &admin_b(),
            Scenario::purchase(vec![item("m365-e3", 5, P1Y, Billing::Monthly)]),
        )
        .result
        .clone()
        .unwrap_err();
    let missing = sc
        .when(Command::Purchase(Purchase {
            customer_id: unknown,
            order_id: None,
            items: vec![item("m365-e3", 5, P1Y, Billing::Monthly)],
            reseller_id: None,
            additional_resellers: vec![],
        }))
        .result
        .clone()
        .unwrap_err();
    assert_eq!(
        (foreign.kind, &foreign.code, &foreign.rule),
        (missing.kind, &missing.code, &missing.rule)
    );
    // Only the id asked for differs.
    assert_eq!(
        foreign.message.replace(&CUSTOMER.to_string(), "ID"),
        missing.message.replace(&unknown.to_string(), "ID")
    );
}

#[test]
fn gen_2_a_requested_but_unaccepted_relationship_does_not_give_access() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.when_as(
        &admin_b(),
        Command::RequestRelationship(RequestRelationship {
            customer_id: CUSTOMER,
        }),
    )
    .then_types(&["RelationshipRequested"]);
    let out = sc.when_as(
        &admin_b(),
        Scenario::purchase(vec![item("m365-e3", 5, P1Y, Billing::Monthly)]),
    );
    assert_eq!(
        out.then_rejected("NotFound", "GEN-2").kind,
        RejectionKind::NotFound
    );
    // Once the customer's global admin accepts, the same purchase goes through.
    sc.when_as(
        &customer_admin(),
        Command::AcceptRelationship(AcceptRelationship {
            partner_id: PARTNER_B,
        }),
    )
    .then_types(&["RelationshipEstablished"]);
    sc.when_as(
        &admin_b(),
        Scenario::purchase(vec![item("m365-e3", 5, P1Y, Billing::Monthly)]),
    )
    .then_types(&["OrderPlaced", "SubscriptionCreated", "Charged"]);
}

#[test]
fn gen_2_another_partners_subscription_is_not_found_never_forbidden() {
    // Partner B is related to the customer, but partner A is the partner of record.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, Billing::Monthly);
    let keys = sc.buy("windows-server-2022-standard", 1, P1Y, Billing::Annual);
    sc.relate(PARTNER_B);
    let before = sc.state.clone();
    let commands = vec![
        add_seats(sub, 1),
        reduce_seats(sub, 1),
        suspend(sub),
        reactivate(sub),
        set_auto_renew(sub, false),
        upgrade_now(sub, "m365-e5", 10),
        schedule_quantity(sub, 12),
        clear_scheduled_change(sub),
        Command::ConvertTrial(ConvertTrial {
            subscription_id: sub,
            target_subscription_id: None,
            quantity: Some(25),
            term: P1Y,
            billing: Some(Billing::Monthly),
        }),
        cancel(sub),
        Command::RevealKey(RevealKey {
            subscription_id: keys,
            key_type: KeyType::MAK,
            version: None,
            language: None,
            os: None,
        }),
        // Even a KMS request, always refused, does not tell B the subscription exists.
        Command::RevealKey(RevealKey {
            subscription_id: keys,
            key_type: KeyType::KMS,
            version: None,
            language: None,
            os: None,
        }),
        Command::DownloadSoftware(DownloadSoftware {
            subscription_id: keys,
            version: None,
            language: None,
            os: None,
        }),
        Command::CopyDownloadLink(CopyDownloadLink {
            subscription_id: keys,
            version: None,
            language: None,
            os: None,
        }),
    ];
    for cmd in commands {
        let name = cmd.type_name();
        let out = sc.when_as(&admin_b(), cmd);
        let rej = out.result.as_ref().expect_err(name);
        assert_eq!(
            (rej.kind, rej.code.as_str(), rej.rule.as_str()),
            (RejectionKind::NotFound, "NotFound", "GEN-2"),
            "{name}: {rej}"
        );
    }
    assert_eq!(sc.state, before, "nothing was written");
}

#[test]
fn gen_2_a_foreign_subscription_looks_exactly_like_a_missing_one() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, Billing::Monthly);
    sc.relate(PARTNER_B);
    let missing_id = Uuid::from_u128(0xBEEF);
    let foreign = sc
        .when_as(&admin_b(), add_seats(sub, 1))
        .result
        .unwrap_err();
    let missing = sc
        .when_as(&admin_b(), add_seats(missing_id, 1))
        .result
        .unwrap_err();
    assert_eq!(
        (foreign.kind, &foreign.code, &foreign.rule),
        (missing.kind, &missing.code, &missing.rule)
    );
    assert_eq!(
        foreign.message.replace(&sub.to_string(), "ID"),
        missing.message.replace(&missing_id.to_string(), "ID")
    );
    assert_eq!(
        foreign.details.keys().collect::<Vec<_>>(),
        missing.details.keys().collect::<Vec<_>>()
    );
}

#[test]
fn gen_2_a_partner_cannot_answer_a_transfer_it_is_not_party_to() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, Billing::Monthly);
    sc.relate(PARTNER_B);
    sc.relate(PARTNER_C);
    let transfer = sc.request_transfer_from_a();
    let admin_c = partner(PARTNER_C, &[Role::AdminAgent]);
    let out = sc.when_as(&admin_c, accept_transfer(transfer, &[sub]));
    assert_eq!(
        out.then_rejected("NotFound", "GEN-2").kind,
        RejectionKind::NotFound
    );
    let out = sc.when_as(
        &admin_c,
        Command::RejectTransfer(RejectTransfer {
            transfer_id: transfer,
        }),
    );
    assert_eq!(
        out.then_rejected("NotFound", "GEN-2").kind,
        RejectionKind::NotFound
    );
}

#[test]
fn gen_2_the_admin_of_another_customer_cannot_accept_a_relationship_here() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.when_as(
        &admin_b(),
        Command::RequestRelationship(RequestRelationship {
            customer_id: CUSTOMER,
        }),
    )
    .accepted();
    let stranger = Actor::customer("admin@contoso.example", Uuid::from_u128(0x0C05_7002));
    let out = sc.when_as(
        &stranger,
        Command::AcceptRelationship(AcceptRelationship {
            partner_id: PARTNER_B,
        }),
    );
    assert_eq!(
        out.then_rejected("NotFound", "GEN-2").kind,
        RejectionKind::NotFound
    );
    assert!(!sc.state.has_active_relationship(PARTNER_B));
}

#[test]
fn gen_2_a_partner_sees_its_own_subscriptions_alongside_another_partners() {
    // Both partners sell to the same customer; each acts on its own only.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let a_sub = sc.buy("m365-e3", 10, P1Y, Billing::Monthly);
    sc.relate(PARTNER_B);
    let b_sub = created_id(
        sc.when_as(
            &admin_b(),
            Scenario::purchase(vec![item("m365-e3", 4, P1Y, Billing::Monthly)]),
        )
        .accepted(),
    );
    assert_eq!(sc.sub(b_sub).partner_id, PARTNER_B);
    sc.when_as(&admin_b(), add_seats(b_sub, 1))
        .then_types(&["SeatsAdded", "Charged"]);
    sc.when(add_seats(b_sub, 1))
        .then_rejected("NotFound", "GEN-2");
    sc.when(add_seats(a_sub, 1))
        .then_types(&["SeatsAdded", "Charged"]);
}
