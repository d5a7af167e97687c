//! PUR-8 (resellers), PUR-9 (auto-renew and promotions) and PUR-10 (term dates).

use super::*;

// ---------------------------------------------------------------------------
// PUR-8: resellers
// ---------------------------------------------------------------------------

fn resellers(n: u128) -> Vec<Uuid> {
    (1..=n).map(|i| Uuid::from_u128(0x5E11_0000 + i)).collect()
}

#[test]
fn pur_8_an_indirect_reseller_and_five_more_are_recorded() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let indirect = Uuid::from_u128(0x1D1);
    let out = sc.when(Command::Purchase(Purchase {
        customer_id: CUSTOMER,
        order_id: None,
        items: vec![item("m365-e3", 3, P1Y, M)],
        reseller_id: Some(indirect),
        additional_resellers: resellers(5),
    }));
    let events = out.then_types(&["OrderPlaced", "SubscriptionCreated", "Charged"]);
    match &events[0].data {
        EventData::OrderPlaced {
            reseller_id,
            additional_resellers,
            ..
        } => {
            assert_eq!(*reseller_id, Some(indirect));
            assert_eq!(*additional_resellers, resellers(5));
        }
        other => panic!("{other:?}"),
    }
    let order = sc.state.orders.values().next().unwrap();
    assert_eq!(order.additional_resellers.len(), 5);
    let sub = created(events)[0].subscription_id;
    assert_eq!(sc.sub(sub).reseller_id, Some(indirect));
}

#[test]
fn pur_8_six_additional_resellers_are_refused() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let out = sc.when(Command::Purchase(Purchase {
        customer_id: CUSTOMER,
        order_id: None,
        items: vec![item("m365-e3", 3, P1Y, M)],
        reseller_id: Some(Uuid::from_u128(0x1D1)),
        additional_resellers: resellers(6),
    }));
    let rej = out.then_rejected("TooManyResellers", "PUR-8");
    assert_eq!(
        (detail(rej, "limit"), detail(rej, "given")),
        (&json!(5), &json!(6))
    );
    assert!(rej.message.contains('5') && rej.message.contains('6'));
    assert!(sc.state.orders.is_empty());
}

#[test]
fn pur_8_resellers_are_optional() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 3, P1Y, M);
    assert_eq!(sc.sub(sub).reseller_id, None);
    assert!(
        sc.state
            .orders
            .values()
            .all(|o| o.additional_resellers.is_empty())
    );
}

#[test]
fn pur_8_a_reseller_named_twice_is_refused() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let reseller = uuid::Uuid::from_u128(77);
    let r = sc.when(Command::Purchase(Purchase {
        customer_id: CUSTOMER,
        order_id: None,
        items: vec![item("m365-e3", 5, P1Y, Billing::Monthly)],
        reseller_id: Some(reseller),
        additional_resellers: vec![uuid::Uuid::from_u128(78), reseller],
    }));
    let rej = r.then_rejected("InvalidRequest", "PUR-8");
    assert_eq!(detail(rej, "field"), "additional_resellers");
    assert!(sc.state.orders.is_empty());
}

// ---------------------------------------------------------------------------
// PUR-9: auto-renew and promotions
// ---------------------------------------------------------------------------

#[test]
fn pur_9_auto_renew_is_on_unless_the_line_turns_it_off() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let cmd: Command = serde_json::from_value(json!({"type":"Purchase","customer_id":CUSTOMER,
        "items":[{"product_id":"m365-e3","quantity":3,"term":"P1M","billing":"monthly"},
                 {"product_id":"m365-e3","quantity":3,"term":"P1M","billing":"monthly","auto_renew":false}]}))
    .unwrap();
    let events = sc.when(cmd).accepted().clone();
    let subs = created(&events);
    assert!(subs[0].auto_renew);
    assert!(!subs[1].auto_renew);
    let (on, off) = (subs[0].subscription_id, subs[1].subscription_id);
    let order = sc.state.orders.values().next().unwrap();
    assert_eq!(
        order.lines.iter().map(|l| l.auto_renew).collect::<Vec<_>>(),
        [true, false]
    );
    // At the term's end one renews, the other expires.
    sc.advance_to("2026-02-10T00:00:00Z");
    assert_eq!(sc.sub(on).status, Status::Active);
    assert_eq!(sc.sub(on).term_end_date, Some(date("2026-03-09")));
    assert_eq!(sc.sub(off).status, Status::Expired);
}

#[test]
fn pur_9_a_promotion_id_is_carried_to_the_order_and_subscription() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy_item(PurchaseItem {
        promotion_id: Some("NCE-SPRING-26".into()),
        ..item("m365-e3", 3, P1Y, M)
    });
    assert_eq!(sc.sub(sub).promotion_id.as_deref(), Some("NCE-SPRING-26"));
    let line = &sc.state.orders.values().next().unwrap().lines[0];
    assert_eq!(line.promotion_id.as_deref(), Some("NCE-SPRING-26"));
}

#[test]
fn pur_9_what_has_no_term_or_predates_auto_renewal_never_auto_renews() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let perpetual = sc.buy("windows-server-2022-perpetual", 1, None, Billing::OneTime);
    assert!(!sc.sub(perpetual).auto_renew);
    // REN-3: software bought before 2021-10-14.
    let mut sc = Scenario::at("2021-10-13T23:59:59Z").with_customer("NL");
    let old = sc.buy("windows-server-2022-standard", 1, P1Y, A);
    assert!(!sc.sub(old).auto_renew);
    sc.advance_to("2021-10-14T00:00:00Z");
    let new = sc.buy("windows-server-2022-standard", 1, P1Y, A);
    assert!(sc.sub(new).auto_renew);
}

// ---------------------------------------------------------------------------
// PUR-10: the term's start and end date
// ---------------------------------------------------------------------------

#[test]
fn pur_10_end_dates_follow_the_ruling() {
    for (bought, term, end) in [
        ("2026-01-15T09:00:00Z", P1M, "2026-02-14"),
        ("2026-01-31T09:00:00Z", P1M, "2026-02-27"),
        ("2026-01-31T23:59:59Z", P1M, "2026-02-27"),
        ("2026-03-31T00:00:00Z", P1M, "2026-04-29"),
        ("2026-12-15T12:00:00Z", P1M, "2027-01-14"),
        ("2026-03-01T09:00:00Z", P1Y, "2027-02-28"),
        ("2028-02-29T09:00:00Z", P1Y, "2029-02-27"),
        ("2026-01-01T00:00:00Z", P3Y, "2028-12-31"),
        ("2026-01-10T09:00:00Z", P3Y, "2029-01-09"),
    ] {
        let mut sc = Scenario::at(bought).with_customer("NL");
        let sub = sc.buy("m365-e3", 1, term, M);
        let s = sc.sub(sub);
        assert_eq!(s.term_end_date, Some(date(end)), "{bought} + {term:?}");
        assert_eq!(
            s.term_start,
            at(bought),
            "the term starts at the purchase instant"
        );
    }
}

#[test]
fn pur_10_the_next_term_starts_at_midnight_after_the_end_date() {
    let mut sc = Scenario::at("2026-01-31T17:45:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 1, P1M, M);
    assert!(
        sc.advance_to("2026-02-27T23:59:59Z")
            .iter()
            .all(|e| e.data.type_name() != "SubscriptionRenewed")
    );
    let due = sc.advance_to("2026-02-28T00:00:00Z");
    let renewed = due
        .iter()
        .find(|e| e.data.type_name() == "SubscriptionRenewed")
        .expect("renewed");
    assert_eq!(renewed.at, at("2026-02-28T00:00:00Z"));
    // The new term, from 28 February: (2026-03-28) − 1 day.
    assert_eq!(sc.sub(sub).term_end_date, Some(date("2026-03-27")));
}

#[test]
fn pur_10_a_perpetual_purchase_has_no_term() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("windows-server-2022-perpetual", 1, None, Billing::OneTime);
    assert_eq!(sc.sub(sub).term_end_date, None);
    assert_eq!(sc.sub(sub).term, None);
    // Nothing is ever due for it.
    assert!(sc.advance_to("2030-01-01T00:00:00Z").is_empty());
    assert_eq!(sc.sub(sub).status, Status::Active);
}
