//! VIEW-4 (reading as of an instant) and VIEW-5 (a subscription's history).

use super::*;

// ---------------------------------------------------------------- VIEW-4

/// The state as of `t`: the events at or before `t`, folded.
fn as_of(history: &[Event], t: chrono::DateTime<chrono::Utc>) -> CustomerState {
    history
        .iter()
        .filter(|e| e.at <= t)
        .fold(CustomerState::default(), evolve)
}

#[test]
fn view_4_folding_the_events_up_to_an_instant_gives_the_state_seen_then() {
    let (mut sc, id) = bought();
    let mut seen = vec![(sc.now, sc.state.clone())];
    sc.advance_to("2026-01-12T10:00:00Z");
    sc.ok(add_seats(id, 5));
    seen.push((sc.now, sc.state.clone()));
    sc.advance_to("2026-02-10T00:00:00Z");
    seen.push((sc.now, sc.state.clone()));
    sc.advance_to("2026-03-01T12:00:00Z");
    sc.ok(suspend(id));
    seen.push((sc.now, sc.state.clone()));
    sc.advance_to("2027-01-10T00:00:00Z");
    seen.push((sc.now, sc.state.clone()));
    for (t, state) in &seen {
        assert_eq!(&as_of(&sc.history, *t), state, "as of {t}");
    }
    // The views read as of those instants.
    let v = |i: usize| {
        let (t, _) = seen[i];
        SubscriptionView::of(&as_of(&sc.history, t).subscriptions[&id], t, 0)
    };
    assert_eq!((v(0).quantity, v(0).status), (10, Status::Active));
    assert_eq!(v(0).refundable_seats.total, 9);
    assert_eq!((v(1).quantity, v(1).refundable_seats.total), (15, 14));
    assert_eq!(v(2).refundable_seats.total, 0);
    assert_eq!(v(3).status, Status::Suspended);
    assert_eq!(v(4).status, Status::Expired);
    // Between two events the state is that of the earlier one.
    let mid = at("2026-01-11T00:00:00Z");
    assert_eq!(as_of(&sc.history, mid), seen[0].1);
    // Before the customer existed there is nothing.
    assert_eq!(
        as_of(&sc.history, at("2026-01-10T08:59:59Z")),
        CustomerState::default()
    );
}

#[test]
fn view_4_history_is_in_instant_order() {
    let (mut sc, id) = bought();
    sc.advance_to("2026-06-01T00:00:00Z");
    sc.ok(add_seats(id, 1));
    sc.advance_to("2027-02-01T00:00:00Z");
    assert!(sc.history.windows(2).all(|w| w[0].at <= w[1].at));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// VIEW-4 over random histories: whatever happened, the state folded from the
    /// events at or before T equals the state the ledger had at T.
    #[test]
    fn view_4_as_of_any_instant_equals_the_state_at_that_instant(
        steps in proptest::collection::vec((1u32..=20 * 24, 0u8..8), 1..25)
    ) {
        let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
        let id = sc.buy(E3, 10, P1M, Billing::Monthly);
        let mut seen = vec![(sc.now, sc.state.clone())];
        for (hours, op) in steps {
            let t = sc.now + chrono::TimeDelta::hours(i64::from(hours));
            sc.advance(t);
            let cmd = match op {
                0 => add_seats(id, 1),
                1 => reduce_seats(id, 1),
                2 => suspend(id),
                3 => reactivate(id),
                4 => set_auto_renew(id, true),
                5 => set_auto_renew(id, false),
                6 => cancel(id),
                _ => Scenario::purchase(vec![item(E3, 1, P1M, Billing::Monthly)]),
            };
            let _ = sc.when(cmd);
            seen.push((sc.now, sc.state.clone()));
        }
        for (t, state) in &seen {
            prop_assert_eq!(&as_of(&sc.history, *t), state);
        }
    }
}

// ---------------------------------------------------------------- VIEW-5

fn history_of(sc: &Scenario, id: Uuid) -> Vec<&Event> {
    sc.history
        .iter()
        .filter(|e| e.data.subscription_ids().contains(&id))
        .collect()
}

#[test]
fn view_5_a_subscription_history_lists_every_event_with_instant_actor_and_command() {
    let (mut sc, id) = bought();
    let other = sc.buy(E3, 3, P1Y, Billing::Monthly);
    sc.advance_to("2026-01-12T10:00:00Z");
    let sales = partner(PARTNER_A, &[Role::SalesAgent]);
    sc.when_as(&sales, add_seats(id, 2)).accepted();
    sc.ok(add_seats(other, 1));
    sc.advance_to("2026-02-10T00:00:00Z");
    let h = history_of(&sc, id);
    let types: Vec<&str> = h.iter().map(|e| e.data.type_name()).collect();
    assert_eq!(
        types,
        [
            "OrderPlaced",
            "SubscriptionCreated",
            "Charged",
            "SeatsAdded",
            "Charged",
            "Charged"
        ]
    );
    // Instants.
    let instants: Vec<_> = h.iter().map(|e| e.at.to_rfc3339()).collect();
    assert_eq!(
        instants,
        [
            "2026-01-10T09:00:00+00:00",
            "2026-01-10T09:00:00+00:00",
            "2026-01-10T09:00:00+00:00",
            "2026-01-12T10:00:00+00:00",
            "2026-01-12T10:00:00+00:00",
            "2026-02-10T00:00:00+00:00"
        ]
    );
    // Actor and command of each; the events of one command share its id.
    let added = h[3];
    let actor = added.actor.as_ref().expect("an actor");
    assert_eq!(actor.user, sales.user);
    assert_eq!(actor.partner_id, Some(PARTNER_A));
    assert!(actor.roles.contains(&Role::SalesAgent));
    assert!(added.command_id.is_some());
    assert_eq!(h[4].command_id, added.command_id);
    assert_ne!(h[0].command_id, added.command_id);
    assert_eq!(h[0].command_id, h[2].command_id);
    // The period charge was the ledger's own work.
    assert_eq!(h[5].actor, None);
    assert_eq!(h[5].command_id, None);
    // The other subscription's events are not in it.
    assert!(history_of(&sc, other).iter().all(|e| !matches!(
        &e.data,
        EventData::SeatsAdded { subscription_id, .. } if *subscription_id == id
    )));
    // The history's JSON shape (API.md): type, at, actor, command_id, data.
    let json = serde_json::to_value(added).expect("json");
    for key in ["type", "at", "actor", "command_id", "data"] {
        assert!(json.get(key).is_some(), "missing `{key}` in {json:#}");
    }
    assert_eq!(json["type"], "SeatsAdded");
    assert_eq!(json["at"], "2026-01-12T10:00:00Z");
    assert_eq!(json["data"]["seats"], 2);
}

#[test]
fn view_5_an_upgrade_appears_in_both_histories() {
    let (mut sc, id) = bought();
    let new_id = created_id(&sc.ok(upgrade_now(id, "m365-e5", 4)));
    let source: Vec<&str> = history_of(&sc, id)
        .iter()
        .map(|e| e.data.type_name())
        .collect();
    assert_eq!(
        source,
        [
            "OrderPlaced",
            "SubscriptionCreated",
            "Charged",
            "SubscriptionCreated",
            "SubscriptionUpgraded",
            "Credited"
        ]
    );
    let target: Vec<&str> = history_of(&sc, new_id)
        .iter()
        .map(|e| e.data.type_name())
        .collect();
    assert_eq!(
        target,
        ["SubscriptionCreated", "SubscriptionUpgraded", "Charged"]
    );
}

#[test]
fn view_5_a_transfer_appears_in_both_histories() {
    let (mut sc, id) = bought();
    sc.relate(PARTNER_B);
    let t = sc.request_transfer_from_a();
    sc.advance_to("2026-01-20T10:00:00Z");
    let events = sc.ok(accept_transfer(t, &[id]));
    let new_id = match &events[0].data {
        EventData::SubscriptionCreated(c) => c.subscription_id,
        other => panic!("unexpected {other:?}"),
    };
    let old: Vec<&str> = history_of(&sc, id)
        .iter()
        .map(|e| e.data.type_name())
        .collect();
    assert_eq!(
        &old[3..],
        [
            "SubscriptionCreated",
            "SubscriptionTransferred",
            "Credited",
            "TransferAccepted"
        ]
    );
    let new: Vec<&str> = history_of(&sc, new_id)
        .iter()
        .map(|e| e.data.type_name())
        .collect();
    assert_eq!(
        new,
        [
            "SubscriptionCreated",
            "SubscriptionTransferred",
            "Charged",
            "TransferAccepted"
        ]
    );
}
