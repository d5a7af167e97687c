//! GEN-6: what a rejection carries, and that it writes nothing.

use super::*;

// ---------------------------------------------------------------------------
// GEN-6: a rejection writes nothing and names its rule and numbers
// ---------------------------------------------------------------------------

/// Every rule id of RULES.md.
fn is_rule_id(id: &str) -> bool {
    let groups = [
        ("GEN", 6),
        ("CAT", 4),
        ("PUR", 13),
        ("SEAT", 6),
        ("SUS", 5),
        ("UPG", 9),
        ("CAN", 6),
        ("REN", 7),
        ("TRI", 6),
        ("TRF", 5),
        ("KEY", 5),
        ("BIL", 8),
        ("VIEW", 5),
    ];
    let Some((g, n)) = id.split_once('-') else {
        return false;
    };
    let Ok(n) = n.parse::<u32>() else {
        return false;
    };
    groups
        .iter()
        .any(|(gg, max)| *gg == g && (1..=*max).contains(&n))
}

#[test]
fn gen_6_a_refused_order_writes_nothing() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, Billing::Monthly);
    let before = sc.state.clone();
    let history = sc.history.len();
    // The second line item is for a plan m365-e5 does not offer.
    let out = sc.when(Scenario::purchase(vec![
        item("m365-e3", 3, P1Y, Billing::Monthly),
        item("m365-e5", 3, P3Y, Billing::Monthly),
    ]));
    out.then_rejected("PlanNotOffered", "PUR-3");
    assert!(out.events().is_empty());
    assert_eq!(sc.state, before);
    assert_eq!(sc.history.len(), history);
    assert_eq!(sc.sub(sub).update_count, 0);
}

#[test]
fn gen_6_a_closed_window_names_the_instant_it_closed() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, Billing::Monthly);
    sc.advance_to("2026-01-17T09:00:00Z");
    let rej = sc
        .when(cancel(sub))
        .then_rejected("CancellationWindowClosed", "CAN-1")
        .clone();
    assert_eq!(detail(&rej, "window_closed_at"), "2026-01-17T09:00:00Z");
    assert!(
        rej.message.contains("2026-01-17T09:00:00Z"),
        "{}",
        rej.message
    );
    assert_eq!(sc.sub(sub).status, Status::Active);
    // A seat reduction names each batch's deadline.
    let rej = sc
        .when(reduce_seats(sub, 1))
        .then_rejected("SeatReductionWindowClosed", "SEAT-2")
        .clone();
    assert_eq!(detail(&rej, "reducible_now"), 0);
    assert_eq!(detail(&rej, "requested"), 1);
    assert_eq!(sc.sub(sub).quantity, 10);
}

#[test]
fn gen_6_a_limit_names_the_number_that_applied() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let out = sc.when(Command::Purchase(Purchase {
        customer_id: CUSTOMER,
        order_id: None,
        items: vec![item("m365-e3", 3, P1Y, Billing::Monthly)],
        reseller_id: None,
        additional_resellers: (1..=6).map(Uuid::from_u128).collect(),
    }));
    let rej = out.then_rejected("TooManyResellers", "PUR-8");
    assert_eq!(detail(rej, "limit"), 5);
    assert_eq!(detail(rej, "given"), 6);
    let out = sc.when(Scenario::purchase(vec![item(
        "m365-business-basic",
        301,
        P1Y,
        Billing::Monthly,
    )]));
    let rej = out.then_rejected("QuantityOutOfRange", "PUR-2");
    assert_eq!(detail(rej, "max"), 300);
    assert_eq!(detail(rej, "requested"), 301);
    assert!(sc.state.subscriptions.is_empty());
}

/// One of a handful of commands with small random values, on the fixture below.
fn any_command(subs: Vec<Uuid>) -> impl Strategy<Value = Command> {
    let sub = proptest::sample::select(subs);
    let products = proptest::sample::select(vec![
        "m365-e3",
        "m365-e5",
        "copilot-m365",
        "multi-geo",
        "teams-rooms-pro",
        "azure-reserved-vm",
        "rds-cal-2022",
        "windows-server-2022-perpetual",
        "no-such-product",
    ]);
    let terms = proptest::option::of(proptest::sample::select(vec![
        Term::P1M,
        Term::P1Y,
        Term::P3Y,
    ]));
    let billings = proptest::sample::select(vec![
        Billing::Monthly,
        Billing::Annual,
        Billing::Triennial,
        Billing::OneTime,
    ]);
    prop_oneof![
        (sub.clone(), 0u32..40).prop_map(|(s, n)| add_seats(s, n)),
        (sub.clone(), 0u32..40).prop_map(|(s, n)| reduce_seats(s, n)),
        sub.clone().prop_map(cancel),
        sub.clone().prop_map(suspend),
        sub.clone().prop_map(reactivate),
        (sub.clone(), any::<bool>()).prop_map(|(s, e)| set_auto_renew(s, e)),
        (sub.clone(), 0u32..40).prop_map(|(s, q)| upgrade_now(s, "m365-e5", q)),
        (sub.clone(), any::<bool>()).prop_map(|(s, kms)| Command::RevealKey(RevealKey {
            subscription_id: s,
            key_type: if kms { KeyType::KMS } else { KeyType::MAK },
            version: None,
            language: None,
            os: None,
        })),
        (
            products,
            0u32..400,
            terms,
            billings,
            0usize..8,
            any::<bool>()
        )
            .prop_map(
                |(p, q, t, b, resellers, trial)| Command::Purchase(Purchase {
                    customer_id: CUSTOMER,
                    order_id: None,
                    items: vec![PurchaseItem {
                        trial,
                        ..item(p, q, t, b)
                    }],
                    reseller_id: None,
                    additional_resellers: (0..resellers as u128).map(Uuid::from_u128).collect(),
                })
            ),
    ]
}

/// Customer in Yemen (no reservations) with a few subscriptions of partner A.
fn fixture() -> (Scenario, Vec<Uuid>) {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("YE");
    let mut subs = vec![
        sc.buy("m365-e3", 10, P1Y, Billing::Monthly),
        sc.buy("windows-server-2022-standard", 1, P1Y, Billing::Annual),
        sc.buy("rhel-software-plan", 1, P1Y, Billing::Annual),
        sc.buy("windows-server-2022-perpetual", 1, None, Billing::OneTime),
        sc.buy("teams-rooms-pro", 1, P1Y, Billing::Monthly),
    ];
    let mut trial = item("m365-e5", 25, P1M, Billing::Monthly);
    trial.trial = true;
    subs.push(sc.buy_item(trial));
    subs.push(Uuid::from_u128(0x404));
    (sc, subs)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn gen_6_every_rejection_names_a_rule_of_rules_md_and_writes_nothing(
        cmds in proptest::collection::vec(any_command(fixture().1), 1..6),
        hours in proptest::collection::vec(0i64..400, 1..6),
        role in proptest::sample::select(Role::ALL.to_vec()),
    ) {
        let (mut sc, _) = fixture();
        let actor = actor_with(role, PARTNER_A);
        for (cmd, h) in cmds.into_iter().zip(hours.into_iter().cycle()) {
            let next = sc.now + chrono::TimeDelta::hours(h);
            sc.advance(next);
            let before = sc.state.clone();
            let history = sc.history.len();
            let name = cmd.type_name();
            let out = sc.when_as(&actor, cmd);
            if let Err(rej) = &out.result {
                prop_assert!(is_rule_id(rej.rule.as_str()), "{name}: rule `{}` of {rej}", rej.rule);
                prop_assert!(!rej.code.as_str().is_empty() && !rej.message.is_empty());
                match rej.kind {
                    RejectionKind::Forbidden => prop_assert_eq!(rej.code.as_str(), "Forbidden"),
                    RejectionKind::NotFound => prop_assert_eq!(rej.code.as_str(), "NotFound"),
                    RejectionKind::InvalidRequest => {
                        prop_assert_eq!(rej.code.as_str(), "InvalidRequest");
                        prop_assert!(rej.details.contains_key("field"), "{rej}");
                    }
                    RejectionKind::Conflict => {
                        prop_assert_eq!(rej.code.as_str(), "IdAlreadyUsed");
                        prop_assert!(rej.details.contains_key("field") && rej.details.contains_key("id"), "{rej}");
                    }
                    RejectionKind::Rule => {}
                }
                // Windows and limits carry the instant or number that applied.
                let needs: &[&str] = match rej.code.as_str() {
                    "CancellationWindowClosed" if rej.rule != "CAN-3" => &["window_closed_at"],
                    "SeatReductionWindowClosed" => &["reducible_now", "batches"],
                    "TooManyResellers" | "UpdateLimitReached" => &["limit"],
                    "QuantityOutOfRange" => &["min", "max"],
                    "AddonExceedsBase" => &["limit"],
                    "AddonBelowMinimum" => &["minimum"],
                    "DateOutOfRange" => &["date", "limit"],
                    _ => &[],
                };
                for key in needs {
                    prop_assert!(rej.details.contains_key(*key), "{rej} lacks {key}");
                }
                prop_assert_eq!(&sc.state, &before);
                prop_assert_eq!(sc.history.len(), history);
            }
        }
    }
}
