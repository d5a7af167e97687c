//! Property tests over random command sequences (issue 2, tests (a)–(c)):
//! (a) folding every event equals folding a snapshot (a serde round trip of the
//!     state) plus the tail;
//! (b) the invariants of RULES.md never break: a live subscription has ≥ 1 seat
//!     (SEAT-3), Copilot seats never exceed base seats through a command (PUR-7),
//!     no seat is reduced outside its window (SEAT-2), no credit exceeds what its
//!     period was charged (BIL-4), closed subscriptions never change (CAN-5, TRF-3);
//! (c) `decide` never panics, however malformed the command's values.

mod support;

use chrono::{Duration, NaiveDate};
use proptest::prelude::*;
use subledger_domain::actor::Role;
use subledger_domain::calendar::{Billing, Term};
use subledger_domain::command::{
    AcceptRelationship, AcceptTransfer, AddSeats, Cancel, ClearScheduledChange, ConvertTrial,
    CopyDownloadLink, CreateCustomer, DownloadSoftware, Purchase, Reactivate, ReduceSeats,
    RejectTransfer, RequestRelationship, RequestTransfer, RevealKey, ScheduleChange, SetAutoRenew,
    Suspend, Upgrade,
};
use subledger_domain::command::{Command, KeyType, PurchaseItem, ScheduledChange, UpgradeTiming};
use subledger_domain::event::{BillingReason, EventData};
use subledger_domain::money::mul_div_round_half_up;
use subledger_domain::state::{CustomerState, Status};
use subledger_domain::{CommandContext, decide, invariants};
use support::*;
use uuid::Uuid;

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
enum Step {
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
        Step::Add { sub, seats } => Command::AddSeats(AddSeats {
            subscription_id: pick(st, *sub),
            seats: *seats,
        }),
        Step::Reduce { sub, seats } => Command::ReduceSeats(ReduceSeats {
            subscription_id: pick(st, *sub),
            seats: *seats,
        }),
        Step::Suspend(s) => Command::Suspend(Suspend {
            subscription_id: pick(st, *s),
        }),
        Step::Reactivate(s) => Command::Reactivate(Reactivate {
            subscription_id: pick(st, *s),
        }),
        Step::AutoRenew(s, b) => Command::SetAutoRenew(SetAutoRenew {
            subscription_id: pick(st, *s),
            enabled: *b,
        }),
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
        Step::Schedule { sub, quantity } => Command::ScheduleChange(ScheduleChange {
            subscription_id: pick(st, *sub),
            change: ScheduledChange {
                product_id: None,
                quantity: Some(*quantity),
                term: None,
                billing: None,
                coterm_date: None,
            },
        }),
        Step::Clear(s) => Command::ClearScheduledChange(ClearScheduledChange {
            subscription_id: pick(st, *s),
        }),
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
        Step::Cancel(s) => Command::Cancel(Cancel {
            subscription_id: pick(st, *s),
        }),
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
            let events = sc.when_as(
                &b,
                Command::RequestTransfer(RequestTransfer {
                    customer_id: CUSTOMER,
                    source_partner_id: PARTNER_A,
                    customer_email: "it@fabrikam.example".into(),
                }),
            );
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

fn run(steps: &[Step]) -> Scenario {
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

fn any_string() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-z0-9-]{0,30}",
        ".{0,80}",
        Just("m365-e3".to_owned()),
        Just("copilot-m365".to_owned()),
    ]
}

fn any_opt_string() -> impl Strategy<Value = Option<String>> {
    prop::option::of(any_string())
}

fn any_term() -> impl Strategy<Value = Option<Term>> {
    prop::option::of(prop_oneof![
        Just(Term::P1M),
        Just(Term::P1Y),
        Just(Term::P3Y)
    ])
}

fn any_billing() -> impl Strategy<Value = Billing> {
    prop_oneof![
        Just(Billing::Monthly),
        Just(Billing::Annual),
        Just(Billing::Triennial),
        Just(Billing::OneTime)
    ]
}

fn any_u32() -> impl Strategy<Value = u32> {
    prop_oneof![
        Just(0u32),
        Just(1),
        Just(25),
        Just(u32::MAX),
        Just(1_000_001),
        any::<u32>(),
        0u32..100
    ]
}

fn any_date() -> impl Strategy<Value = Option<NaiveDate>> {
    prop::option::of((-1_000_000i32..1_000_000).prop_map(|d| {
        NaiveDate::from_num_days_from_ce_opt(d.rem_euclid(3_000_000)).unwrap_or(NaiveDate::MIN)
    }))
}

/// Any command, with ids drawn from the known ones or random, and hostile values.
fn any_command(known: Vec<Uuid>) -> impl Strategy<Value = Command> {
    let id = prop_oneof![
        prop::sample::select(known),
        any::<u128>().prop_map(Uuid::from_u128),
        Just(Uuid::nil()),
        Just(CUSTOMER),
        Just(PARTNER_A),
    ];
    let item = (
        prop::option::of(id.clone()),
        any_string(),
        any_u32(),
        any_term(),
        any_billing(),
        any::<bool>(),
        any::<bool>(),
        any_opt_string(),
    )
        .prop_map(
            |(
                subscription_id,
                product_id,
                quantity,
                term,
                billing,
                auto_renew,
                trial,
                promotion_id,
            )| PurchaseItem {
                subscription_id,
                product_id,
                quantity,
                term,
                billing,
                auto_renew,
                trial,
                promotion_id,
            },
        );
    prop_oneof![
        (id.clone(), any_string(), any_string(), any_string()).prop_map(
            |(customer_id, company_name, domain, country)| Command::CreateCustomer(
                CreateCustomer {
                    customer_id,
                    company_name,
                    domain,
                    country,
                    segment: subledger_domain::command::Segment::Education,
                }
            )
        ),
        id.clone().prop_map(
            |customer_id| Command::RequestRelationship(RequestRelationship { customer_id })
        ),
        id.clone()
            .prop_map(|partner_id| Command::AcceptRelationship(AcceptRelationship { partner_id })),
        (
            id.clone(),
            prop::option::of(id.clone()),
            prop::collection::vec(item, 0..8),
            prop::option::of(id.clone()),
            prop::collection::vec(id.clone(), 0..8)
        )
            .prop_map(
                |(customer_id, order_id, items, reseller_id, additional_resellers)| {
                    Command::Purchase(Purchase {
                        customer_id,
                        order_id,
                        items,
                        reseller_id,
                        additional_resellers,
                    })
                }
            ),
        (id.clone(), any_u32()).prop_map(|(subscription_id, seats)| Command::AddSeats(AddSeats {
            subscription_id,
            seats
        })),
        (id.clone(), any_u32()).prop_map(|(subscription_id, seats)| Command::ReduceSeats(
            ReduceSeats {
                subscription_id,
                seats
            }
        )),
        id.clone()
            .prop_map(|subscription_id| Command::Suspend(Suspend { subscription_id })),
        id.clone()
            .prop_map(|subscription_id| Command::Reactivate(Reactivate { subscription_id })),
        (id.clone(), any::<bool>()).prop_map(|(subscription_id, enabled)| Command::SetAutoRenew(
            SetAutoRenew {
                subscription_id,
                enabled
            }
        )),
        (
            id.clone(),
            any_string(),
            any_u32(),
            prop::option::of(id.clone()),
            any_term(),
            prop::option::of(any_billing()),
            any::<bool>()
        )
            .prop_map(
                |(
                    subscription_id,
                    target_product_id,
                    quantity,
                    target_subscription_id,
                    term,
                    billing,
                    eot,
                )| Command::Upgrade(Upgrade {
                    subscription_id,
                    target_product_id,
                    quantity,
                    target_subscription_id,
                    term,
                    billing,
                    timing: if eot {
                        UpgradeTiming::EndOfTerm
                    } else {
                        UpgradeTiming::Now
                    },
                })
            ),
        (
            id.clone(),
            any_opt_string(),
            prop::option::of(any_u32()),
            any_term(),
            prop::option::of(any_billing()),
            any_date()
        )
            .prop_map(
                |(subscription_id, product_id, quantity, term, billing, coterm_date)| {
                    Command::ScheduleChange(ScheduleChange {
                        subscription_id,
                        change: ScheduledChange {
                            product_id,
                            quantity,
                            term,
                            billing,
                            coterm_date,
                        },
                    })
                }
            ),
        id.clone()
            .prop_map(
                |subscription_id| Command::ClearScheduledChange(ClearScheduledChange {
                    subscription_id
                })
            ),
        (
            id.clone(),
            prop::option::of(id.clone()),
            prop::option::of(any_u32()),
            any_term(),
            prop::option::of(any_billing())
        )
            .prop_map(
                |(subscription_id, target_subscription_id, quantity, term, billing)| {
                    Command::ConvertTrial(ConvertTrial {
                        subscription_id,
                        target_subscription_id,
                        quantity,
                        term,
                        billing,
                    })
                }
            ),
        id.clone()
            .prop_map(|subscription_id| Command::Cancel(Cancel { subscription_id })),
        (id.clone(), id.clone(), any_string()).prop_map(
            |(customer_id, source_partner_id, customer_email)| Command::RequestTransfer(
                RequestTransfer {
                    customer_id,
                    source_partner_id,
                    customer_email,
                }
            )
        ),
        (id.clone(), prop::collection::vec(id.clone(), 0..5)).prop_map(
            |(transfer_id, subscription_ids)| Command::AcceptTransfer(AcceptTransfer {
                transfer_id,
                subscription_ids
            })
        ),
        id.clone()
            .prop_map(|transfer_id| Command::RejectTransfer(RejectTransfer { transfer_id })),
        (
            id.clone(),
            any::<bool>(),
            any_opt_string(),
            any_opt_string(),
            any_opt_string()
        )
            .prop_map(
                |(subscription_id, kms, version, language, os)| Command::RevealKey(RevealKey {
                    subscription_id,
                    key_type: if kms { KeyType::KMS } else { KeyType::MAK },
                    version,
                    language,
                    os,
                })
            ),
        (
            id.clone(),
            any_opt_string(),
            any_opt_string(),
            any_opt_string()
        )
            .prop_map(|(subscription_id, version, language, os)| {
                Command::DownloadSoftware(DownloadSoftware {
                    subscription_id,
                    version,
                    language,
                    os,
                })
            }),
        (id, any_opt_string(), any_opt_string(), any_opt_string()).prop_map(
            |(subscription_id, version, language, os)| Command::CopyDownloadLink(
                CopyDownloadLink {
                    subscription_id,
                    version,
                    language,
                    os
                }
            )
        ),
    ]
}

/// A state with a bit of everything, for (c).
fn populated() -> Scenario {
    run(&[
        Step::Buy {
            product: 0,
            quantity: 10,
            trial: false,
            auto_renew: true,
        },
        Step::Buy {
            product: 5,
            quantity: 5,
            trial: false,
            auto_renew: true,
        },
        Step::Buy {
            product: 9,
            quantity: 2,
            trial: false,
            auto_renew: true,
        },
        Step::Buy {
            product: 12,
            quantity: 3,
            trial: false,
            auto_renew: true,
        },
        Step::Buy {
            product: 0,
            quantity: 25,
            trial: true,
            auto_renew: true,
        },
        Step::Transfer {
            subs: vec![],
            accept: false,
        },
        Step::Cancel(2),
        Step::Advance { hours: 24 * 3 },
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// (c) `decide` never panics, whoever sends whatever.
    #[test]
    fn gen_6_decide_never_panics_on_any_command(
        seed_cmd in any_command(populated().state.subscriptions.keys().copied().chain(populated().state.transfers.keys().copied()).collect()),
        role in prop::sample::select(Role::ALL.to_vec()),
        as_customer in prop::bool::weighted(0.1),
        days in 0i64..2000,
    ) {
        let sc = populated();
        let actor = if as_customer { customer_admin() } else { partner(PARTNER_A, &[role]) };
        let ctx = CommandContext {
            command_id: Uuid::from_u128(42),
            actor: &actor,
            now: sc.now + Duration::days(days),
            key_fingerprint: None,
        };
        let result = decide(&sc.state, &seed_cmd, &ctx, &sc.catalog);
        if let Err(r) = result {
            // GEN-6: every refusal names its rule and says why.
            prop_assert!(!r.rule.as_str().is_empty() && !r.code.as_str().is_empty() && !r.message.is_empty());
        } else {
            // An accepted command folds into a state that still holds every invariant.
            let mut state = sc.state.clone();
            for e in result.as_ref().map(|v| v.as_slice()).unwrap_or(&[]) {
                state.apply(e);
            }
            prop_assert!(invariants::check(&state).is_empty(), "{:?}", invariants::check(&state));
        }
    }
}
