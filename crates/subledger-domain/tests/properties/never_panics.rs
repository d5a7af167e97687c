//! `decide` never panics, however malformed the command's values.

use super::*;
use crate::histories::{Step, run};

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
        (id.clone(), any_u32())
            .prop_map(|(subscription_id, seats)| add_seats(subscription_id, seats)),
        (id.clone(), any_u32()).prop_map(|(subscription_id, seats)| Command::ReduceSeats(
            ReduceSeats {
                subscription_id,
                seats
            }
        )),
        id.clone().prop_map(suspend),
        id.clone().prop_map(reactivate),
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
        id.clone().prop_map(clear_scheduled_change),
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
        id.clone().prop_map(cancel),
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
