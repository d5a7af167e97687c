//! GEN-3: the role matrix.

use super::*;

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
            return (sc, request_transfer(PARTNER_A), PARTNER_B);
        }
        "AcceptTransfer" | "RejectTransfer" => {
            sc.relate(PARTNER_B);
            let transfer_id = sc.request_transfer_from_a();
            if command_type == "AcceptTransfer" {
                accept_transfer(transfer_id, &[sub])
            } else {
                Command::RejectTransfer(RejectTransfer { transfer_id })
            }
        }
        "Purchase" => Scenario::purchase(vec![item("m365-e5", 3, P1Y, Billing::Monthly)]),
        "AddSeats" => add_seats(sub, 2),
        "ReduceSeats" => reduce_seats(sub, 2),
        "Suspend" => suspend(sub),
        "Reactivate" => {
            sc.ok(suspend(sub));
            reactivate(sub)
        }
        "SetAutoRenew" => set_auto_renew(sub, false),
        "Upgrade" => upgrade_now(sub, "m365-e5", 10),
        "ScheduleChange" | "ClearScheduledChange" => {
            let schedule = schedule_quantity(sub, 12);
            if command_type == "ScheduleChange" {
                schedule
            } else {
                sc.ok(schedule);
                clear_scheduled_change(sub)
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
        "Cancel" => cancel(sub),
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
    let sub = created_id(
        sc.when_as(
            &sales,
            Scenario::purchase(vec![item("m365-e3", 5, P1Y, Billing::Monthly)]),
        )
        .accepted(),
    );
    let out = sc.when_as(&sales, cancel(sub));
    let rej = out.then_rejected("Forbidden", "GEN-3");
    assert_eq!(rej.kind, RejectionKind::Forbidden);
    assert_eq!(
        detail(rej, "required_roles"),
        &json!(["admin_agent", "global_admin"])
    );
    assert_eq!(sc.sub(sub).status, Status::Active);
    // A global admin of the same partner may.
    sc.when_as(&partner(PARTNER_A, &[GlobalAdmin]), cancel(sub))
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
