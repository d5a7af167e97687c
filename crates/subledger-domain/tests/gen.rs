//! GEN-1..6: instants and dates, actors and isolation, the role matrix, the update
//! limit, idempotency at the domain level, and what a rejection carries.

mod support;

use proptest::prelude::*;
use serde_json::json;
use subledger_domain::actor::{Action, Actor, Role};
use subledger_domain::calendar::{Billing, Term};
use subledger_domain::command::{
    AcceptRelationship, AcceptTransfer, AddSeats, Cancel, ClearScheduledChange, ConvertTrial,
    CopyDownloadLink, CreateCustomer, DownloadSoftware, Purchase, Reactivate, ReduceSeats,
    RejectTransfer, RequestRelationship, RequestTransfer, RevealKey, ScheduleChange, SetAutoRenew,
    Suspend, Upgrade,
};
use subledger_domain::command::{Command, KeyType, PurchaseItem, ScheduledChange, UpgradeTiming};
use subledger_domain::event::EventData;
use subledger_domain::rejection::RejectionKind;
use subledger_domain::state::Status;
use subledger_domain::{CommandContext, UPDATE_LIMIT, decide};
use support::*;
use uuid::Uuid;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn add_seats(sub: Uuid, seats: u32) -> Command {
    Command::AddSeats(AddSeats {
        subscription_id: sub,
        seats,
    })
}

fn set_auto_renew(sub: Uuid, enabled: bool) -> Command {
    Command::SetAutoRenew(SetAutoRenew {
        subscription_id: sub,
        enabled,
    })
}

/// The transfer id of the `TransferRequested` among `events`.
fn transfer_id(events: &[subledger_domain::Event]) -> Uuid {
    events
        .iter()
        .find_map(|e| match &e.data {
            EventData::TransferRequested { transfer_id, .. } => Some(*transfer_id),
            _ => None,
        })
        .expect("a transfer was requested")
}

/// Partner B (related to the customer) asks for a transfer of partner A's
/// subscriptions; returns the transfer id.
fn request_transfer_from_a(sc: &mut Scenario) -> Uuid {
    let events = sc
        .when_as(
            &admin_b(),
            Command::RequestTransfer(RequestTransfer {
                customer_id: CUSTOMER,
                source_partner_id: PARTNER_A,
                customer_email: "it@fabrikam.example".into(),
            }),
        )
        .accepted()
        .clone();
    transfer_id(&events)
}

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
    let out = sc.when(Command::Cancel(Cancel {
        subscription_id: sub,
    }));
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
        Command::ReduceSeats(ReduceSeats {
            subscription_id: sub,
            seats: 1,
        }),
        Command::Suspend(Suspend {
            subscription_id: sub,
        }),
        Command::Reactivate(Reactivate {
            subscription_id: sub,
        }),
        set_auto_renew(sub, false),
        Command::Upgrade(Upgrade {
            subscription_id: sub,
            target_product_id: "m365-e5".into(),
            quantity: 10,
            target_subscription_id: None,
            term: None,
            billing: None,
            timing: UpgradeTiming::Now,
        }),
        Command::ScheduleChange(ScheduleChange {
            subscription_id: sub,
            change: ScheduledChange {
                product_id: None,
                quantity: Some(12),
                term: None,
                billing: None,
                coterm_date: None,
            },
        }),
        Command::ClearScheduledChange(ClearScheduledChange {
            subscription_id: sub,
        }),
        Command::ConvertTrial(ConvertTrial {
            subscription_id: sub,
            target_subscription_id: None,
            quantity: Some(25),
            term: P1Y,
            billing: Some(Billing::Monthly),
        }),
        Command::Cancel(Cancel {
            subscription_id: sub,
        }),
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
    let transfer = request_transfer_from_a(&mut sc);
    let admin_c = partner(PARTNER_C, &[Role::AdminAgent]);
    let out = sc.when_as(
        &admin_c,
        Command::AcceptTransfer(AcceptTransfer {
            transfer_id: transfer,
            subscription_ids: vec![sub],
        }),
    );
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
    let b_events = sc
        .when_as(
            &admin_b(),
            Scenario::purchase(vec![item("m365-e3", 4, P1Y, Billing::Monthly)]),
        )
        .accepted()
        .clone();
    let b_sub = b_events
        .iter()
        .find_map(|e| match &e.data {
            EventData::SubscriptionCreated(c) => Some(c.subscription_id),
            _ => None,
        })
        .unwrap();
    assert_eq!(sc.sub(b_sub).partner_id, PARTNER_B);
    sc.when_as(&admin_b(), add_seats(b_sub, 1))
        .then_types(&["SeatsAdded", "Charged"]);
    sc.when(add_seats(b_sub, 1))
        .then_rejected("NotFound", "GEN-2");
    sc.when(add_seats(a_sub, 1))
        .then_types(&["SeatsAdded", "Charged"]);
}

// ---------------------------------------------------------------------------
// GEN-3: the role matrix
// ---------------------------------------------------------------------------

use Role::*;

const MANAGE: &[Role] = &[AdminAgent, SalesAgent, GlobalAdmin];
const CANCEL: &[Role] = &[AdminAgent, GlobalAdmin];
const ADMIN_ONLY: &[Role] = &[AdminAgent];
const REQUEST: &[Role] = &[AdminAgent, GlobalAdmin];
const ACCEPT_RELATIONSHIP: &[Role] = &[CustomerGlobalAdmin];

/// GEN-3's table, written out from RULES.md: the roles that may send each command.
fn gen_3_table(command_type: &str) -> &'static [Role] {
    match command_type {
        "CreateCustomer"
        | "Purchase"
        | "AddSeats"
        | "ReduceSeats"
        | "Upgrade"
        | "ScheduleChange"
        | "ClearScheduledChange"
        | "SetAutoRenew"
        | "ConvertTrial"
        | "Suspend"
        | "Reactivate" => MANAGE,
        "Cancel" => CANCEL,
        "RevealKey" | "DownloadSoftware" | "CopyDownloadLink" => ADMIN_ONLY,
        "AcceptTransfer" | "RejectTransfer" => ADMIN_ONLY,
        "RequestRelationship" | "RequestTransfer" => REQUEST,
        "AcceptRelationship" => ACCEPT_RELATIONSHIP,
        other => panic!("no GEN-3 row for {other}"),
    }
}

/// A scenario in which `command_type`, sent by an allowed actor, is accepted;
/// the command, and the partner that sends it.
fn matrix_case(command_type: &str) -> (Scenario, Command, Uuid) {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z");
    if command_type == "CreateCustomer" {
        let cmd = Command::CreateCustomer(CreateCustomer {
            customer_id: CUSTOMER,
            company_name: "Fabrikam".into(),
            domain: "fabrikam.example".into(),
            country: "NL".into(),
            segment: subledger_domain::command::Segment::Commercial,
        });
        return (sc, cmd, PARTNER_A);
    }
    sc = sc.with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, Billing::Monthly);
    let keys = sc.buy("windows-server-2022-standard", 1, P1Y, Billing::Annual);
    let cmd = match command_type {
        "RequestRelationship" => {
            return (
                sc,
                Command::RequestRelationship(RequestRelationship {
                    customer_id: CUSTOMER,
                }),
                PARTNER_B,
            );
        }
        "AcceptRelationship" => {
            sc.when_as(
                &admin_b(),
                Command::RequestRelationship(RequestRelationship {
                    customer_id: CUSTOMER,
                }),
            )
            .accepted();
            return (
                sc,
                Command::AcceptRelationship(AcceptRelationship {
                    partner_id: PARTNER_B,
                }),
                PARTNER_B,
            );
        }
        "RequestTransfer" => {
            sc.relate(PARTNER_B);
            return (
                sc,
                Command::RequestTransfer(RequestTransfer {
                    customer_id: CUSTOMER,
                    source_partner_id: PARTNER_A,
                    customer_email: "it@fabrikam.example".into(),
                }),
                PARTNER_B,
            );
        }
        "AcceptTransfer" | "RejectTransfer" => {
            sc.relate(PARTNER_B);
            let transfer_id = request_transfer_from_a(&mut sc);
            if command_type == "AcceptTransfer" {
                Command::AcceptTransfer(AcceptTransfer {
                    transfer_id,
                    subscription_ids: vec![sub],
                })
            } else {
                Command::RejectTransfer(RejectTransfer { transfer_id })
            }
        }
        "Purchase" => Scenario::purchase(vec![item("m365-e5", 3, P1Y, Billing::Monthly)]),
        "AddSeats" => add_seats(sub, 2),
        "ReduceSeats" => Command::ReduceSeats(ReduceSeats {
            subscription_id: sub,
            seats: 2,
        }),
        "Suspend" => Command::Suspend(Suspend {
            subscription_id: sub,
        }),
        "Reactivate" => {
            sc.ok(Command::Suspend(Suspend {
                subscription_id: sub,
            }));
            Command::Reactivate(Reactivate {
                subscription_id: sub,
            })
        }
        "SetAutoRenew" => set_auto_renew(sub, false),
        "Upgrade" => Command::Upgrade(Upgrade {
            subscription_id: sub,
            target_product_id: "m365-e5".into(),
            quantity: 10,
            target_subscription_id: None,
            term: None,
            billing: None,
            timing: UpgradeTiming::Now,
        }),
        "ScheduleChange" | "ClearScheduledChange" => {
            let schedule = Command::ScheduleChange(ScheduleChange {
                subscription_id: sub,
                change: ScheduledChange {
                    product_id: None,
                    quantity: Some(12),
                    term: None,
                    billing: None,
                    coterm_date: None,
                },
            });
            if command_type == "ScheduleChange" {
                schedule
            } else {
                sc.ok(schedule);
                Command::ClearScheduledChange(ClearScheduledChange {
                    subscription_id: sub,
                })
            }
        }
        "ConvertTrial" => {
            let mut trial = item("m365-e5", 25, P1M, Billing::Monthly);
            trial.trial = true;
            let t = sc.buy_item(trial);
            Command::ConvertTrial(ConvertTrial {
                subscription_id: t,
                target_subscription_id: None,
                quantity: Some(25),
                term: P1Y,
                billing: Some(Billing::Monthly),
            })
        }
        "Cancel" => Command::Cancel(Cancel {
            subscription_id: sub,
        }),
        "RevealKey" => Command::RevealKey(RevealKey {
            subscription_id: keys,
            key_type: KeyType::MAK,
            version: None,
            language: None,
            os: None,
        }),
        "DownloadSoftware" => Command::DownloadSoftware(DownloadSoftware {
            subscription_id: keys,
            version: None,
            language: None,
            os: None,
        }),
        "CopyDownloadLink" => Command::CopyDownloadLink(CopyDownloadLink {
            subscription_id: keys,
            version: None,
            language: None,
            os: None,
        }),
        other => panic!("no matrix case for {other}"),
    };
    (sc, cmd, PARTNER_A)
}

/// The actor holding exactly `role`: a customer user for the customer role, a
/// user of `partner_id` otherwise.
fn actor_with(role: Role, partner_id: Uuid) -> Actor {
    if role == CustomerGlobalAdmin {
        customer_admin()
    } else {
        partner(partner_id, &[role])
    }
}

#[test]
fn gen_3_every_command_times_every_role_is_allowed_or_forbidden_per_the_table() {
    let mut checked = 0;
    for command_type in Command::TYPE_NAMES {
        let allowed = gen_3_table(command_type);
        for role in Role::ALL {
            let (mut sc, cmd, partner_id) = matrix_case(command_type);
            assert_eq!(cmd.type_name(), command_type);
            let before = sc.state.clone();
            let out = sc.when_as(&actor_with(role, partner_id), cmd);
            if allowed.contains(&role) {
                assert!(
                    out.result.is_ok(),
                    "{command_type} by {} must be accepted: {:?}",
                    role.as_str(),
                    out.result.as_ref().err()
                );
            } else {
                let rej = out.result.as_ref().expect_err(command_type);
                assert_eq!(
                    (rej.kind, rej.code.as_str(), rej.rule.as_str()),
                    (RejectionKind::Forbidden, "Forbidden", "GEN-3"),
                    "{command_type} by {}: {rej}",
                    role.as_str()
                );
                let mut required: Vec<String> = detail(rej, "required_roles")
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r.as_str().unwrap().to_owned())
                    .collect();
                required.sort();
                let mut expected: Vec<String> =
                    allowed.iter().map(|r| r.as_str().to_owned()).collect();
                expected.sort();
                assert_eq!(required, expected, "{command_type}");
                assert_eq!(sc.state, before, "a forbidden command writes nothing");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 20 * 9);
}

#[test]
fn gen_3_allowed_roles_agree_with_the_table_for_every_action() {
    // The command rows, through the action each command requires…
    for (action, row) in [
        (Action::Manage, MANAGE),
        (Action::Cancel, CANCEL),
        (Action::SoftwareKeys, ADMIN_ONLY),
        (Action::AnswerTransfer, ADMIN_ONLY),
        (Action::RequestRelationshipOrTransfer, REQUEST),
        (Action::AcceptRelationship, ACCEPT_RELATIONSHIP),
    ] {
        let mut got = action.allowed_roles().to_vec();
        got.sort();
        let mut want = row.to_vec();
        want.sort();
        assert_eq!(got, want, "{action:?}");
    }
    // …and the read rows, which the application enforces with the same oracle.
    let any_partner: Vec<Role> = Role::ALL
        .into_iter()
        .filter(|r| *r != CustomerGlobalAdmin)
        .collect();
    let key_log = [
        GlobalAdmin,
        AccountAdmin,
        ReferralAdmin,
        MarketingContentAdmin,
    ];
    for role in Role::ALL {
        let a = actor_with(role, PARTNER_A);
        assert_eq!(
            Action::Read.allows(&a),
            any_partner.contains(&role),
            "read by {}",
            role.as_str()
        );
        assert_eq!(
            Action::ReadKeyAccessLog.allows(&a),
            key_log.contains(&role),
            "key log by {}",
            role.as_str()
        );
    }
}

#[test]
fn gen_3_the_key_access_log_is_not_readable_by_the_admin_agent_who_reveals_keys() {
    // The one row where the roles that act are not the ones that audit.
    assert!(Action::SoftwareKeys.allows(&admin_a()));
    assert!(!Action::ReadKeyAccessLog.allows(&admin_a()));
    assert!(Action::ReadKeyAccessLog.allows(&partner(PARTNER_A, &[AccountAdmin])));
    assert!(!Action::SoftwareKeys.allows(&partner(PARTNER_A, &[AccountAdmin])));
}

#[test]
fn gen_3_a_sales_agent_may_buy_but_not_cancel() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sales = partner(PARTNER_A, &[SalesAgent]);
    let events = sc
        .when_as(
            &sales,
            Scenario::purchase(vec![item("m365-e3", 5, P1Y, Billing::Monthly)]),
        )
        .accepted()
        .clone();
    let sub = events
        .iter()
        .find_map(|e| match &e.data {
            EventData::SubscriptionCreated(c) => Some(c.subscription_id),
            _ => None,
        })
        .unwrap();
    let out = sc.when_as(
        &sales,
        Command::Cancel(Cancel {
            subscription_id: sub,
        }),
    );
    let rej = out.then_rejected("Forbidden", "GEN-3");
    assert_eq!(rej.kind, RejectionKind::Forbidden);
    assert_eq!(
        detail(rej, "required_roles"),
        &json!(["admin_agent", "global_admin"])
    );
    assert_eq!(sc.sub(sub).status, Status::Active);
    // A global admin of the same partner may.
    sc.when_as(
        &partner(PARTNER_A, &[GlobalAdmin]),
        Command::Cancel(Cancel {
            subscription_id: sub,
        }),
    )
    .then_types(&["SubscriptionCancelled", "Credited"]);
}

#[test]
fn gen_3_a_user_with_several_roles_may_do_what_any_of_them_allows() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let helpdesk_and_sales = partner(PARTNER_A, &[HelpdeskAgent, SalesAgent]);
    sc.when_as(
        &helpdesk_and_sales,
        Scenario::purchase(vec![item("m365-e3", 5, P1Y, Billing::Monthly)]),
    )
    .then_types(&["OrderPlaced", "SubscriptionCreated", "Charged"]);
    // A user with no role at all may do nothing.
    let nobody = partner(PARTNER_A, &[]);
    sc.when_as(
        &nobody,
        Scenario::purchase(vec![item("m365-e3", 5, P1Y, Billing::Monthly)]),
    )
    .then_rejected("Forbidden", "GEN-3");
}

#[test]
fn gen_3_the_customer_role_is_only_for_customer_users_and_partner_roles_only_for_partners() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.when_as(
        &admin_b(),
        Command::RequestRelationship(RequestRelationship {
            customer_id: CUSTOMER,
        }),
    )
    .accepted();
    // A partner user that somehow holds the customer role still may not accept.
    let odd_partner = partner(PARTNER_B, &[CustomerGlobalAdmin, AdminAgent]);
    sc.when_as(
        &odd_partner,
        Command::AcceptRelationship(AcceptRelationship {
            partner_id: PARTNER_B,
        }),
    )
    .then_rejected("Forbidden", "GEN-3");
    // A customer user holding a partner role may not buy.
    let odd_customer = Actor {
        user: "admin@fabrikam.example".into(),
        partner_id: None,
        customer_id: Some(CUSTOMER),
        roles: vec![AdminAgent, CustomerGlobalAdmin],
    };
    sc.when_as(
        &odd_customer,
        Scenario::purchase(vec![item("m365-e3", 5, P1Y, Billing::Monthly)]),
    )
    .then_rejected("Forbidden", "GEN-3");
    assert!(!sc.state.has_active_relationship(PARTNER_B));
    assert!(sc.state.subscriptions.is_empty());
}

#[test]
fn gen_3_forbidden_comes_before_not_found_so_it_reveals_nothing() {
    // A helpdesk agent is refused the same way whether the subscription exists or not.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, Billing::Monthly);
    let helpdesk = partner(PARTNER_B, &[HelpdeskAgent]);
    let existing = sc.when_as(&helpdesk, add_seats(sub, 1)).result.unwrap_err();
    let missing = sc
        .when_as(&helpdesk, add_seats(Uuid::from_u128(7), 1))
        .result
        .unwrap_err();
    assert_eq!(existing.kind, RejectionKind::Forbidden);
    assert_eq!(existing, missing);
}

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
        Command::ReduceSeats(ReduceSeats {
            subscription_id: sub,
            seats: 1,
        }),
        Command::Suspend(Suspend {
            subscription_id: sub,
        }),
        set_auto_renew(sub, true),
        Command::Cancel(Cancel {
            subscription_id: sub,
        }),
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
    sc.when(Command::ReduceSeats(ReduceSeats {
        subscription_id: sub,
        seats: 20,
    }))
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
    let rej = out.then_rejected("InvalidRequest", "PUR-13");
    assert_eq!(detail(rej, "field"), "order_id");
    assert_eq!(sc.state, before);
    assert_eq!(sc.state.subscriptions.len(), 1);
}

#[test]
fn gen_5_derived_ids_of_transfers_and_partial_upgrades_follow_the_command_id() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, Billing::Monthly);
    sc.relate(PARTNER_B);
    let upgrade = Command::Upgrade(Upgrade {
        subscription_id: sub,
        target_product_id: "m365-e5".into(),
        quantity: 4,
        target_subscription_id: None,
        term: None,
        billing: None,
        timing: UpgradeTiming::Now,
    });
    let transfer = Command::RequestTransfer(RequestTransfer {
        customer_id: CUSTOMER,
        source_partner_id: PARTNER_A,
        customer_email: "it@fabrikam.example".into(),
    });
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
        .when(Command::Cancel(Cancel {
            subscription_id: sub,
        }))
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
        .when(Command::ReduceSeats(ReduceSeats {
            subscription_id: sub,
            seats: 1,
        }))
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
        (sub.clone(), 0u32..40).prop_map(|(s, n)| Command::ReduceSeats(ReduceSeats {
            subscription_id: s,
            seats: n
        })),
        sub.clone()
            .prop_map(|s| Command::Cancel(Cancel { subscription_id: s })),
        sub.clone()
            .prop_map(|s| Command::Suspend(Suspend { subscription_id: s })),
        sub.clone()
            .prop_map(|s| Command::Reactivate(Reactivate { subscription_id: s })),
        (sub.clone(), any::<bool>()).prop_map(|(s, e)| set_auto_renew(s, e)),
        (sub.clone(), 0u32..40).prop_map(|(s, q)| Command::Upgrade(Upgrade {
            subscription_id: s,
            target_product_id: "m365-e5".into(),
            quantity: q,
            target_subscription_id: None,
            term: None,
            billing: None,
            timing: UpgradeTiming::Now,
        })),
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
