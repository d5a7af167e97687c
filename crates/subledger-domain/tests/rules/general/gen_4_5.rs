//! GEN-4 (the update limit) and GEN-5 (idempotency and fingerprints).

use super::*;

// ---------------------------------------------------------------------------
// GEN-4: at most 1,200 updates per subscription
// ---------------------------------------------------------------------------

/// Sends `n` accepted updates (auto-renew toggles) to `sub`.
fn toggle_auto_renew(sc: &mut Scenario, sub: Uuid, n: u32) {
    for i in 0..n {
        sc.when(set_auto_renew(sub, i % 2 == 1))
            .then_types(&["AutoRenewSet"]);
    }
}

#[test]
fn gen_4_the_1200th_update_is_accepted_and_the_1201st_refused() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, Billing::Monthly);
    // The purchase itself does not count.
    assert_eq!(sc.sub(sub).update_count, 0);
    toggle_auto_renew(&mut sc, sub, 1199);
    assert_eq!(sc.sub(sub).update_count, 1199);
    // The 1,200th (a seat addition, two events) is accepted and counts once.
    sc.when(add_seats(sub, 1))
        .then_types(&["SeatsAdded", "Charged"]);
    assert_eq!(sc.sub(sub).update_count, UPDATE_LIMIT);
    assert_eq!(UPDATE_LIMIT, 1200);
    let before = sc.state.clone();
    let out = sc.when(add_seats(sub, 1));
    let rej = out.then_rejected("UpdateLimitReached", "GEN-4");
    assert_eq!(rej.kind, RejectionKind::Rule);
    assert_eq!(detail(rej, "limit"), 1200);
    assert_eq!(detail(rej, "update_count"), 1200);
    assert_eq!(detail(rej, "product_id"), "m365-e3");
    assert_eq!(detail(rej, "coterm_date"), "2027-01-09");
    // The message suggests a second, coterminous subscription of the same product.
    assert!(
        rej.message.contains("second subscription"),
        "{}",
        rej.message
    );
    assert!(rej.message.contains("m365-e3"), "{}", rej.message);
    assert!(rej.message.contains("coterminous"), "{}", rej.message);
    assert!(rej.message.contains("2027-01-09"), "{}", rej.message);
    assert!(rej.message.contains("1200"), "{}", rej.message);
    assert_eq!(sc.state, before);
}

#[test]
fn gen_4_every_kind_of_command_on_the_subscription_is_refused_past_the_limit() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("windows-server-2022-standard", 2, P1Y, Billing::Annual);
    toggle_auto_renew(&mut sc, sub, 1200);
    for cmd in [
        add_seats(sub, 1),
        reduce_seats(sub, 1),
        suspend(sub),
        set_auto_renew(sub, true),
        cancel(sub),
        Command::DownloadSoftware(DownloadSoftware {
            subscription_id: sub,
            version: None,
            language: None,
            os: None,
        }),
    ] {
        let name = cmd.type_name();
        let out = sc.when(cmd);
        let rej = out.result.as_ref().expect_err(name);
        assert_eq!(
            (rej.code.as_str(), rej.rule.as_str()),
            ("UpdateLimitReached", "GEN-4"),
            "{name}: {rej}"
        );
    }
    // A new subscription of the same product is the way out.
    sc.when(Scenario::purchase(vec![item(
        "windows-server-2022-standard",
        1,
        P1Y,
        Billing::Annual,
    )]))
    .then_types(&["OrderPlaced", "SubscriptionCreated", "Charged"]);
}

#[test]
fn gen_4_refused_commands_and_time_driven_work_do_not_count() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1M, Billing::Monthly);
    sc.when(add_seats(sub, 1))
        .then_types(&["SeatsAdded", "Charged"]);
    assert_eq!(sc.sub(sub).update_count, 1);
    // Refused: reducing 20 of 11 seats.
    sc.when(reduce_seats(sub, 20))
        .then_rejected("QuantityBelowMinimum", "SEAT-3");
    assert_eq!(sc.sub(sub).update_count, 1);
    // A renewal is the ledger's own work, not an update.
    let due = sc.advance_to("2026-02-10T00:00:00Z");
    assert!(
        due.iter()
            .any(|e| e.data.type_name() == "SubscriptionRenewed")
    );
    assert_eq!(sc.sub(sub).update_count, 1);
}

#[test]
fn gen_4_counts_are_per_subscription() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let full = sc.buy("m365-e3", 10, P1Y, Billing::Monthly);
    let other = sc.buy("m365-e3", 10, P1Y, Billing::Monthly);
    toggle_auto_renew(&mut sc, full, 1200);
    sc.when(add_seats(full, 1))
        .then_rejected("UpdateLimitReached", "GEN-4");
    sc.when(add_seats(other, 1))
        .then_types(&["SeatsAdded", "Charged"]);
    assert_eq!(sc.sub(other).update_count, 1);
}

// ---------------------------------------------------------------------------
// GEN-5: idempotency at the domain level
// ---------------------------------------------------------------------------

#[test]
fn gen_5_the_same_command_id_gives_identical_events_with_ids_derived_from_it() {
    let sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let cmd = Scenario::purchase(vec![
        item("m365-e3", 10, P1Y, Billing::Monthly),
        item("m365-e5", 2, P1M, Billing::Monthly),
    ]);
    let actor = admin_a();
    let id = Uuid::from_u128(0x1D);
    let ctx = CommandContext {
        command_id: id,
        actor: &actor,
        now: sc.now,
        key_fingerprint: None,
    };
    let first = decide(&sc.state, &cmd, &ctx, &sc.catalog).unwrap();
    let second = decide(&sc.state, &cmd, &ctx, &sc.catalog).unwrap();
    assert_eq!(first, second);
    assert!(first.iter().all(|e| e.command_id == Some(id)));
    // Another command id: other order and subscription ids, same meaning.
    let other_id = Uuid::from_u128(0x2D);
    let ctx2 = CommandContext {
        command_id: other_id,
        ..ctx.clone()
    };
    let third = decide(&sc.state, &cmd, &ctx2, &sc.catalog).unwrap();
    let ids = |events: &[subledger_domain::Event]| -> Vec<Uuid> {
        events
            .iter()
            .filter_map(|e| match &e.data {
                EventData::OrderPlaced { order_id, .. } => Some(*order_id),
                EventData::SubscriptionCreated(c) => Some(c.subscription_id),
                _ => None,
            })
            .collect()
    };
    assert_eq!(ids(&first).len(), 3);
    assert!(
        ids(&first).iter().all(|x| !ids(&third).contains(x)),
        "ids derive from the command id"
    );
    let types = |events: &[subledger_domain::Event]| -> Vec<&'static str> {
        events.iter().map(|e| e.data.type_name()).collect()
    };
    assert_eq!(types(&first), types(&third));
}

#[test]
fn gen_5_a_replayed_purchase_on_the_new_state_writes_nothing() {
    // The store answers a repeated command id itself; should a replay ever reach
    // the decider, the order id derived from the same command id is already taken.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let actor = admin_a();
    let id = Uuid::from_u128(0x1D);
    let cmd = Scenario::purchase(vec![item("m365-e3", 10, P1Y, Billing::Monthly)]);
    sc.decide_with(&actor, cmd.clone(), id, None).accepted();
    let before = sc.state.clone();
    let out = sc.decide_with(&actor, cmd, id, None);
    let rej = out.then_rejected("IdAlreadyUsed", "PUR-13");
    // The order id derives from the command id, so that is the field to change.
    assert_eq!(detail(rej, "field"), "command_id");
    assert_eq!(sc.state, before);
    assert_eq!(sc.state.subscriptions.len(), 1);
}

#[test]
fn gen_5_derived_ids_of_transfers_and_partial_upgrades_follow_the_command_id() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, Billing::Monthly);
    sc.relate(PARTNER_B);
    let upgrade = upgrade_now(sub, "m365-e5", 4);
    let transfer = request_transfer(PARTNER_A);
    for (cmd, actor) in [(upgrade, admin_a()), (transfer, admin_b())] {
        let decide_as = |command_id: u128| {
            let ctx = CommandContext {
                command_id: Uuid::from_u128(command_id),
                actor: &actor,
                now: sc.now,
                key_fingerprint: None,
            };
            decide(&sc.state, &cmd, &ctx, &sc.catalog).unwrap()
        };
        let (a1, a2, b) = (decide_as(1), decide_as(1), decide_as(2));
        assert_eq!(a1, a2, "{}", cmd.type_name());
        assert_ne!(a1, b, "{}", cmd.type_name());
    }
}

fn parse(json: serde_json::Value) -> Command {
    serde_json::from_value(json).unwrap()
}

#[test]
fn gen_5_fingerprints_are_equal_for_equal_meaning() {
    let sub = "6f1c0000-0000-0000-0000-000000000001";
    let pairs = [
        // Defaults spelled out or omitted, fields in any order.
        (
            json!({"type":"Purchase","customer_id":CUSTOMER,"items":[{"product_id":"m365-e3","quantity":5,"term":"P1Y","billing":"monthly"}]}),
            json!({"additional_resellers":[],"reseller_id":null,"order_id":null,"items":[{"promotion_id":null,"trial":false,"auto_renew":true,"subscription_id":null,"billing":"monthly","term":"P1Y","quantity":5,"product_id":"m365-e3"}],"customer_id":CUSTOMER,"type":"Purchase"}),
        ),
        (
            json!({"type":"RevealKey","subscription_id":sub}),
            json!({"type":"RevealKey","subscription_id":sub,"key_type":"MAK","version":null}),
        ),
        (
            json!({"type":"Upgrade","subscription_id":sub,"target_product_id":"m365-e5","quantity":3}),
            json!({"type":"Upgrade","subscription_id":sub,"target_product_id":"m365-e5","quantity":3,"timing":"now"}),
        ),
        (
            json!({"type":"ScheduleChange","subscription_id":sub,"quantity":4}),
            json!({"quantity":4,"subscription_id":sub,"type":"ScheduleChange","billing":null}),
        ),
    ];
    for (a, b) in pairs {
        let (ca, cb) = (parse(a.clone()), parse(b));
        assert_eq!(ca.fingerprint(), cb.fingerprint(), "{a}");
        assert_eq!(ca.fingerprint(), ca.clone().fingerprint(), "stable");
        assert_eq!(ca.fingerprint().len(), 64, "a sha-256 in hex");
    }
}

#[test]
fn gen_5_fingerprints_differ_for_different_payloads() {
    let sub = "6f1c0000-0000-0000-0000-000000000001";
    let base = json!({"type":"Purchase","customer_id":CUSTOMER,"items":[{"product_id":"m365-e3","quantity":5,"term":"P1Y","billing":"monthly"}]});
    let variants = [
        json!({"type":"Purchase","customer_id":CUSTOMER,"items":[{"product_id":"m365-e3","quantity":6,"term":"P1Y","billing":"monthly"}]}),
        json!({"type":"Purchase","customer_id":CUSTOMER,"items":[{"product_id":"m365-e5","quantity":5,"term":"P1Y","billing":"monthly"}]}),
        json!({"type":"Purchase","customer_id":CUSTOMER,"items":[{"product_id":"m365-e3","quantity":5,"term":"P1Y","billing":"annual"}]}),
        json!({"type":"Purchase","customer_id":CUSTOMER,"items":[{"product_id":"m365-e3","quantity":5,"term":"P1Y","billing":"monthly","auto_renew":false}]}),
        json!({"type":"Purchase","customer_id":CUSTOMER,"items":[{"product_id":"m365-e3","quantity":5,"term":"P1Y","billing":"monthly","promotion_id":"SPRING"}]}),
        json!({"type":"Purchase","customer_id":CUSTOMER,"reseller_id":sub,"items":[{"product_id":"m365-e3","quantity":5,"term":"P1Y","billing":"monthly"}]}),
        json!({"type":"Purchase","customer_id":sub,"items":[{"product_id":"m365-e3","quantity":5,"term":"P1Y","billing":"monthly"}]}),
    ];
    let fp = parse(base).fingerprint();
    let mut seen = vec![fp.clone()];
    for v in variants {
        let f = parse(v.clone()).fingerprint();
        assert!(!seen.contains(&f), "{v}");
        seen.push(f);
    }
    // Same fields, another command type.
    let add = parse(json!({"type":"AddSeats","subscription_id":sub,"seats":3}));
    let reduce = parse(json!({"type":"ReduceSeats","subscription_id":sub,"seats":3}));
    assert_ne!(add.fingerprint(), reduce.fingerprint());
    let mak = parse(json!({"type":"RevealKey","subscription_id":sub}));
    let kms = parse(json!({"type":"RevealKey","subscription_id":sub,"key_type":"KMS"}));
    assert_ne!(mak.fingerprint(), kms.fingerprint());
}

proptest! {
    #[test]
    fn gen_5_fingerprint_separates_seat_counts_and_survives_a_json_round_trip(
        a in 1u32..100_000,
        b in 1u32..100_000,
        sub in any::<u128>(),
    ) {
        let mk = |seats| Command::AddSeats(AddSeats { subscription_id: Uuid::from_u128(sub), seats });
        let ca = mk(a);
        let round: Command = serde_json::from_str(&serde_json::to_string(&ca).unwrap()).unwrap();
        prop_assert_eq!(ca.fingerprint(), round.fingerprint());
        prop_assert_eq!(ca.fingerprint() == mk(b).fingerprint(), a == b);
    }
}
