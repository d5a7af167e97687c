//! Random command histories: the invariants, snapshot plus tail, JSON round trips.

use super::*;

/// Products the generator buys, with a plan each offers.
const PRODUCTS: &[(&str, Option<Term>, Billing)] = &[
    ("m365-e3", Some(Term::P1Y), Billing::Monthly),
    ("m365-e3", Some(Term::P1M), Billing::Monthly),
    ("m365-e5", Some(Term::P1Y), Billing::Annual),
    ("m365-business-standard", Some(Term::P1Y), Billing::Monthly),
    ("m365-business-basic", Some(Term::P1M), Billing::Monthly),
    ("copilot-m365", Some(Term::P1Y), Billing::Monthly),
    ("copilot-m365", Some(Term::P1M), Billing::Monthly),
    ("multi-geo", Some(Term::P1Y), Billing::Monthly),
    ("teams-rooms-pro", Some(Term::P1Y), Billing::Monthly),
    (
        "windows-server-2022-standard",
        Some(Term::P1Y),
        Billing::Annual,
    ),
    ("windows-server-2022-perpetual", None, Billing::OneTime),
    ("rhel-software-plan", Some(Term::P3Y), Billing::Triennial),
    ("isv-saas-monthly", Some(Term::P1M), Billing::Monthly),
    ("isv-saas-annual", Some(Term::P1Y), Billing::Annual),
    ("azure-reserved-vm", Some(Term::P1Y), Billing::Monthly),
    ("ems-e3", Some(Term::P1Y), Billing::Monthly),
];
const TARGETS: &[&str] = &[
    "m365-e5",
    "m365-e3",
    "m365-business-premium",
    "ems-e5",
    "m365-e5-no-audio-conf",
];

#[derive(Debug, Clone)]
pub(crate) enum Step {
    Buy {
        product: usize,
        quantity: u32,
        trial: bool,
        auto_renew: bool,
    },
    Add {
        sub: usize,
        seats: u32,
    },
    Reduce {
        sub: usize,
        seats: u32,
    },
    Suspend(usize),
    Reactivate(usize),
    AutoRenew(usize, bool),
    Upgrade {
        sub: usize,
        target: usize,
        quantity: u32,
        into: Option<usize>,
        end_of_term: bool,
    },
    Schedule {
        sub: usize,
        quantity: u32,
    },
    Clear(usize),
    Convert {
        sub: usize,
        quantity: u32,
        into: Option<usize>,
    },
    Cancel(usize),
    Keys(usize, u8),
    Transfer {
        subs: Vec<usize>,
        accept: bool,
    },
    Advance {
        hours: u32,
    },
}

fn step() -> impl Strategy<Value = Step> {
    let idx = 0usize..64;
    prop_oneof![
        4 => (0..PRODUCTS.len(), 1u32..40, prop::bool::weighted(0.15), prop::bool::weighted(0.8))
            .prop_map(|(product, quantity, trial, auto_renew)| Step::Buy { product, quantity, trial, auto_renew }),
        3 => (idx.clone(), 1u32..20).prop_map(|(sub, seats)| Step::Add { sub, seats }),
        3 => (idx.clone(), 1u32..20).prop_map(|(sub, seats)| Step::Reduce { sub, seats }),
        1 => idx.clone().prop_map(Step::Suspend),
        1 => idx.clone().prop_map(Step::Reactivate),
        1 => (idx.clone(), any::<bool>()).prop_map(|(s, b)| Step::AutoRenew(s, b)),
        2 => (idx.clone(), 0..TARGETS.len(), 1u32..30, prop::option::weighted(0.3, idx.clone()), prop::bool::weighted(0.2))
            .prop_map(|(sub, target, quantity, into, end_of_term)| Step::Upgrade { sub, target, quantity, into, end_of_term }),
        1 => (idx.clone(), 1u32..40).prop_map(|(sub, quantity)| Step::Schedule { sub, quantity }),
        1 => idx.clone().prop_map(Step::Clear),
        1 => (idx.clone(), 20u32..40, prop::option::weighted(0.3, idx.clone()))
            .prop_map(|(sub, quantity, into)| Step::Convert { sub, quantity, into }),
        2 => idx.clone().prop_map(Step::Cancel),
        1 => (idx.clone(), any::<u8>()).prop_map(|(s, k)| Step::Keys(s, k)),
        1 => (prop::collection::vec(idx, 1..3), any::<bool>()).prop_map(|(subs, accept)| Step::Transfer { subs, accept }),
        4 => (1u32..24 * 40).prop_map(|hours| Step::Advance { hours }),
    ]
}

/// Picks the `i`-th known subscription (modulo), if any.
fn pick(state: &CustomerState, i: usize) -> Uuid {
    let n = state.subscriptions.len();
    if n == 0 {
        return Uuid::nil();
    }
    *state.subscriptions.keys().nth(i % n).expect("in range")
}

fn command_for(sc: &mut Scenario, step: &Step) -> Option<Command> {
    let st = &sc.state;
    Some(match step {
        Step::Buy {
            product,
            quantity,
            trial,
            auto_renew,
        } => {
            let (p, term, billing) = PRODUCTS[*product];
            let mut it = item(p, *quantity, term, billing);
            it.auto_renew = *auto_renew;
            if *trial {
                it = item(
                    if quantity % 2 == 0 {
                        "m365-e5"
                    } else {
                        "m365-business-premium"
                    },
                    25,
                    P1M,
                    Billing::Monthly,
                );
                it.trial = true;
            }
            Scenario::purchase(vec![it])
        }
        Step::Add { sub, seats } => add_seats(pick(st, *sub), *seats),
        Step::Reduce { sub, seats } => reduce_seats(pick(st, *sub), *seats),
        Step::Suspend(s) => suspend(pick(st, *s)),
        Step::Reactivate(s) => reactivate(pick(st, *s)),
        Step::AutoRenew(s, b) => set_auto_renew(pick(st, *s), *b),
        Step::Upgrade {
            sub,
            target,
            quantity,
            into,
            end_of_term,
        } => Command::Upgrade(Upgrade {
            subscription_id: pick(st, *sub),
            target_product_id: TARGETS[*target].into(),
            quantity: *quantity,
            target_subscription_id: into.map(|i| pick(st, i)),
            term: None,
            billing: None,
            timing: if *end_of_term {
                UpgradeTiming::EndOfTerm
            } else {
                UpgradeTiming::Now
            },
        }),
        Step::Schedule { sub, quantity } => schedule_quantity(pick(st, *sub), *quantity),
        Step::Clear(s) => clear_scheduled_change(pick(st, *s)),
        Step::Convert {
            sub,
            quantity,
            into,
        } => Command::ConvertTrial(ConvertTrial {
            subscription_id: pick(st, *sub),
            target_subscription_id: into.map(|i| pick(st, i)),
            quantity: into.is_none().then_some(*quantity),
            term: None,
            billing: None,
        }),
        Step::Cancel(s) => cancel(pick(st, *s)),
        Step::Keys(s, k) => {
            let subscription_id = pick(st, *s);
            match k % 4 {
                0 => Command::RevealKey(RevealKey {
                    subscription_id,
                    key_type: KeyType::MAK,
                    version: None,
                    language: None,
                    os: None,
                }),
                1 => Command::RevealKey(RevealKey {
                    subscription_id,
                    key_type: KeyType::KMS,
                    version: None,
                    language: None,
                    os: None,
                }),
                2 => Command::DownloadSoftware(DownloadSoftware {
                    subscription_id,
                    version: Some("2022".into()),
                    language: Some("nl-NL".into()),
                    os: None,
                }),
                _ => Command::CopyDownloadLink(CopyDownloadLink {
                    subscription_id,
                    version: None,
                    language: None,
                    os: None,
                }),
            }
        }
        Step::Transfer { subs, accept } => {
            // Partner B asks (once related); partner A answers with the picked subscriptions.
            if !sc.state.has_active_relationship(PARTNER_B) {
                sc.relate(PARTNER_B);
            }
            let b = partner(PARTNER_B, &[Role::AdminAgent]);
            let events = sc.when_as(&b, request_transfer(PARTNER_A));
            let transfer_id = events.events().iter().find_map(|e| match &e.data {
                EventData::TransferRequested { transfer_id, .. } => Some(*transfer_id),
                _ => None,
            })?;
            let st = &sc.state;
            if *accept {
                let mut ids: Vec<Uuid> = subs.iter().map(|i| pick(st, *i)).collect();
                ids.sort();
                ids.dedup();
                Command::AcceptTransfer(AcceptTransfer {
                    transfer_id,
                    subscription_ids: ids,
                })
            } else {
                Command::RejectTransfer(RejectTransfer { transfer_id })
            }
        }
        Step::Advance { .. } => return None,
    })
}

/// How far Copilot-style add-ons exceed their base, per product.
fn addon_excess(sc: &Scenario) -> i64 {
    invariants::addon_limits(&sc.state, &sc.catalog).len() as i64
}

pub(crate) fn run(steps: &[Step]) -> Scenario {
    let mut sc = Scenario::at("2026-01-31T10:00:00Z").with_customer("NL");
    for step in steps {
        let before = sc.state.clone();
        if let Step::Advance { hours } = step {
            let to = sc.now + Duration::hours(i64::from(*hours));
            sc.advance(to);
        } else if let Some(cmd) = command_for(&mut sc, step) {
            let before_cmd = sc.state.clone();
            let excess_before = addon_excess(&sc);
            let outcome = sc.when(cmd.clone());
            match &outcome.result {
                Ok(events) => {
                    // PUR-7: a command never makes an add-on exceed its base.
                    assert!(
                        addon_excess(&sc) <= excess_before,
                        "{cmd:?} broke PUR-7: {:?}",
                        invariants::addon_limits(&sc.state, &sc.catalog)
                    );
                    // BIL-3/4/5: every line's amount follows from the figures it carries
                    // (full refunds, BIL-7, give back what was charged instead).
                    for e in events {
                        let line = match &e.data {
                            EventData::Charged(l) => l,
                            EventData::Credited(l) if l.reason != BillingReason::Cancelled => l,
                            _ => continue,
                        };
                        let expected = mul_div_round_half_up(
                            line.unit_price.amount_minor,
                            line.seats,
                            line.days_charged,
                            line.price_days,
                        );
                        assert_eq!(line.amount.amount_minor, expected, "{line:?}");
                        assert!(
                            line.days_charged <= line.price_days
                                && line.period_days <= line.price_days,
                            "{line:?}"
                        );
                    }
                    // SEAT-2: seats only come off batches inside their window.
                    for e in events {
                        if let EventData::SeatsReduced { taken_from, .. } = &e.data {
                            for b in taken_from {
                                assert!(
                                    e.at < b.refundable_until,
                                    "reduced outside the window: {e:?}"
                                );
                            }
                        }
                    }
                }
                Err(_) => {
                    // GEN-6: a refusal writes nothing. (The clock did not move since the
                    // last step, so no time-driven work ran before the command either.)
                    assert_eq!(before_cmd, sc.state, "a refused {cmd:?} changed the state");
                }
            }
        }
        // Closed subscriptions never change again (CAN-5, TRF-3).
        for (id, old) in &before.subscriptions {
            if matches!(
                old.status,
                Status::Cancelled | Status::Transferred | Status::Expired
            ) {
                assert_eq!(
                    Some(old),
                    sc.state.subscriptions.get(id),
                    "closed subscription {id} changed"
                );
            }
        }
        let violations = invariants::check(&sc.state);
        assert!(violations.is_empty(), "after {step:?}: {violations:#?}");
    }
    sc
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, max_shrink_iters: 2000, ..ProptestConfig::default() })]

    /// (b) Invariants hold after every step of a random history.
    #[test]
    fn seat_3_pur_7_bil_4_can_5_invariants_hold_over_random_histories(steps in prop::collection::vec(step(), 1..80)) {
        let sc = run(&steps);
        prop_assert!(invariants::check(&sc.state).is_empty());
    }

    /// (a) Snapshot + tail equals the full fold, at any cut.
    #[test]
    fn view_4_snapshot_plus_tail_equals_full_fold(steps in prop::collection::vec(step(), 1..60), cut in any::<prop::sample::Index>()) {
        let sc = run(&steps);
        let full = sc.history.iter().fold(CustomerState::default(), subledger_domain::evolve);
        prop_assert_eq!(&full, &sc.state);
        let k = cut.index(sc.history.len() + 1);
        let head = sc.history[..k].iter().fold(CustomerState::default(), subledger_domain::evolve);
        let snapshot = serde_json::to_vec(&head).expect("state serializes");
        let restored: CustomerState = serde_json::from_slice(&snapshot).expect("state deserializes");
        prop_assert_eq!(&restored, &head);
        let resumed = sc.history[k..].iter().fold(restored, subledger_domain::evolve);
        prop_assert_eq!(resumed, full);
    }

    /// Events survive their own serialization (what the store keeps is what was decided).
    #[test]
    fn gen_1_events_round_trip_through_json(steps in prop::collection::vec(step(), 1..40)) {
        let sc = run(&steps);
        for e in &sc.history {
            let text = serde_json::to_string(e).expect("event serializes");
            prop_assert!(!text.contains("+00:00"), "instants are written with Z: {}", text);
            let back: subledger_domain::Event = serde_json::from_str(&text).expect("event deserializes");
            prop_assert_eq!(&back, e);
        }
    }
}
