//! REN-7: time-driven work.

use super::*;

// ---------------------------------------------------------------- REN-7

/// A customer with a bit of everything that time moves: a monthly-billed year, a
/// P1M licence, a trial, a marketplace cancellation at term end and a transfer
/// request.
fn busy_customer() -> Scenario {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.buy(E3, 10, P1Y, Billing::Monthly);
    sc.buy(E3, 3, P1M, Billing::Monthly);
    let mut it = item("m365-business-premium", 25, P1M, Billing::Monthly);
    it.trial = true;
    sc.buy_item(it);
    let saas = sc.buy("isv-saas-monthly", 5, P1M, Billing::Monthly);
    let mut it = item(E3, 2, P1M, Billing::Monthly);
    it.auto_renew = false;
    sc.buy_item(it);
    sc.relate(PARTNER_B);
    sc.when_as(
        &partner(
            PARTNER_B,
            &[
                subledger_domain::Role::AdminAgent,
                subledger_domain::Role::GlobalAdmin,
            ],
        ),
        request_transfer(PARTNER_A),
    )
    .accepted();
    sc.advance_to("2026-01-12T09:00:00Z");
    sc.ok(cancel(saas));
    sc
}

#[test]
fn ren_7_every_kind_of_due_work_is_done_by_the_ledger() {
    let mut sc = busy_customer();
    let due = sc.advance_to("2026-03-01T00:00:00Z");
    let t = types(&due);
    for kind in [
        "SubscriptionRenewed",
        "TrialConverted",
        "SubscriptionCancelled",
        "SubscriptionExpired",
        "TransferExpired",
        "Charged",
    ] {
        assert!(t.contains(&kind), "{kind} missing from {t:?}");
    }
    // In order of their due instants, each stamped with its own instant.
    assert!(due.windows(2).all(|w| w[0].at <= w[1].at));
    assert!(due.iter().all(|e| e.actor.is_none()));
    assert!(invariants::check(&sc.state).is_empty());
}

#[test]
fn ren_7_running_due_work_again_at_the_same_instant_does_nothing() {
    let mut sc = busy_customer();
    let now = at("2026-04-01T00:00:00Z");
    let first = time::due_events(&sc.state, now, &sc.catalog);
    assert!(!first.is_empty());
    for e in &first {
        sc.state.apply(e);
    }
    assert!(time::due_events(&sc.state, now, &sc.catalog).is_empty());
    assert_eq!(time::next_due(&sc.state).map(|(t, _)| t > now), Some(true));
}

#[test]
fn ren_7_apply_due_leaves_the_state_that_folding_its_events_gives() {
    // The ledger folds due work into its cached state as it decides it; the state
    // must be exactly the fold of the events it then appends.
    let sc = busy_customer();
    let now = at("2027-02-01T00:00:00Z");
    let mut applied = sc.state.clone();
    let events = time::apply_due(&mut applied, now, &sc.catalog);
    assert!(!events.is_empty());
    assert_eq!(events, time::due_events(&sc.state, now, &sc.catalog));
    let mut folded = sc.state.clone();
    for e in &events {
        folded.apply(e);
    }
    assert_eq!(
        serde_json::to_value(&applied).unwrap(),
        serde_json::to_value(&folded).unwrap()
    );
    assert!(time::apply_due(&mut applied, now, &sc.catalog).is_empty());
}

#[test]
fn ren_7_two_instances_deciding_from_the_same_state_produce_the_same_events() {
    // Two service instances read the same stream version; they compute identical
    // events, so whichever appends second at that expected version conflicts and,
    // re-reading, finds nothing left to do.
    let sc = busy_customer();
    let now = at("2027-02-01T00:00:00Z");
    let a = time::due_events(&sc.state, now, &sc.catalog);
    let b = time::due_events(&sc.state.clone(), now, &sc.catalog);
    assert!(!a.is_empty());
    assert_eq!(a, b);
    let mut after = sc.state.clone();
    for e in &a {
        after.apply(e);
    }
    assert!(time::due_events(&after, now, &sc.catalog).is_empty());
    // The same holds for a command: decided twice from the same state with the same
    // id, the events (ids included) are identical.
    let id = *sc.state.live.iter().next().expect("a live subscription");
    let cmd = add_seats(id, 1);
    let actor = admin_a();
    let ctx = CommandContext {
        command_id: Uuid::from_u128(42),
        actor: &actor,
        now: at("2026-01-20T00:00:00Z"),
        key_fingerprint: None,
    };
    let state = {
        let mut s = sc.state.clone();
        for e in time::due_events(&s, ctx.now, &sc.catalog) {
            s.apply(&e);
        }
        s
    };
    assert_eq!(
        decide(&state, &cmd, &ctx, &sc.catalog),
        decide(&state.clone(), &cmd, &ctx, &sc.catalog)
    );
}

#[test]
fn ren_7_catching_up_stamps_each_event_with_its_own_due_instant() {
    // Nobody ran the ledger for a year: catching up at once charges each monthly
    // period at its start and renews at midnight after the end date.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.buy(E3, 10, P1Y, Billing::Monthly);
    let due = sc.advance_to("2027-01-20T00:00:00Z");
    let instants: Vec<String> = due.iter().map(|e| e.at.to_rfc3339()).collect();
    let mut expected: Vec<String> = (2..=12)
        .map(|m| format!("2026-{m:02}-10T00:00:00+00:00"))
        .collect();
    expected.push("2027-01-10T00:00:00+00:00".into());
    expected.push("2027-01-10T00:00:00+00:00".into());
    assert_eq!(instants, expected);
    assert_eq!(
        charges(&due).iter().map(|c| c.0).sum::<i64>(),
        12 * 10 * E3_P1Y_MONTHLY
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// REN-7: however the clock is advanced (in one jump or in many small steps, with
    /// repeated runs at the same instant), the ledger does the same work, stamped the
    /// same, and every state on the way keeps the invariants.
    #[test]
    fn ren_7_time_driven_work_does_not_depend_on_how_often_it_runs(
        steps in proptest::collection::vec((0u32..=40 * 24, any::<bool>()), 1..20)
    ) {
        let base = busy_customer();
        let mut stepped = busy_customer();
        let mut now = stepped.now;
        for (hours, twice) in &steps {
            now += chrono::TimeDelta::hours(i64::from(*hours));
            stepped.advance(now);
            if *twice {
                prop_assert!(stepped.advance(now).is_empty());
            }
            prop_assert!(invariants::check(&stepped.state).is_empty(),
                "{:?}", invariants::check(&stepped.state));
        }
        let mut once = busy_customer();
        once.advance(now);
        prop_assert_eq!(&stepped.history, &once.history);
        prop_assert_eq!(&stepped.state, &once.state);
        prop_assert!(base.history.len() <= once.history.len());
    }
}
