//! KEY-2 (KMS keys), KEY-3/4 (the key-access log) and KEY-5 (revoked keys).

use super::*;

// ---------------------------------------------------------------- KEY-2

#[test]
fn key_2_a_kms_key_is_always_refused_and_nothing_is_recorded() {
    let (mut sc, sub) = server();
    let before = sc.state.clone();
    let rej = &rejected(sc.when(kms(sub)), "KmsNotAllowed", "KEY-2");
    assert_eq!(detail(rej, "key_type"), "KMS");
    assert!(rej.message.contains("MAK"), "{}", rej.message);
    assert_eq!(sc.state, before);
    // Still refused however the request is dressed up.
    let rej = &rejected(
        sc.when(Command::RevealKey(RevealKey {
            subscription_id: sub,
            key_type: KeyType::KMS,
            version: Some("2022".into()),
            language: Some("en-US".into()),
            os: Some("x64".into()),
        })),
        "KmsNotAllowed",
        "KEY-2",
    );
    assert_eq!(detail(rej, "key_type"), "KMS");
    assert_eq!(sc.state, before);
}

#[test]
fn key_2_kms_is_refused_for_every_product_and_status() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let perpetual = sc.buy("windows-server-2022-perpetual", 1, None, Billing::OneTime);
    let suspended = sc.buy("sql-server-2022-standard", 1, P1Y, Billing::Annual);
    sc.ok(suspend(suspended));
    let e3 = sc.buy("m365-e3", 1, P1Y, Billing::Monthly);
    for sub in [perpetual, suspended, e3] {
        rejected(sc.when(kms(sub)), "KmsNotAllowed", "KEY-2");
    }
    // The JSON form of the command parses KMS and is refused the same way.
    let command: Command = serde_json::from_value(serde_json::json!({
        "type": "RevealKey", "subscription_id": perpetual, "key_type": "KMS"
    }))
    .unwrap();
    rejected(sc.when(command), "KmsNotAllowed", "KEY-2");
    // MAK is the default.
    let command: Command = serde_json::from_value(serde_json::json!({
        "type": "RevealKey", "subscription_id": perpetual
    }))
    .unwrap();
    sc.when(command).then_types(&["KeyRevealed"]);
}

// ---------------------------------------------------------------- KEY-3

#[test]
fn key_3_each_access_is_recorded_with_user_role_subscription_product_and_instant() {
    let (mut sc, sub) = server();
    // A user holding several roles acts as admin agent, the role that allows it.
    let actor = partner(PARTNER_A, &[Role::GlobalAdmin, Role::AdminAgent]);
    let mut recorded = Vec::new();
    for (instant, command) in [
        ("2026-01-11T08:00:00Z", reveal(sub)),
        ("2026-02-03T17:30:00Z", download(sub)),
        ("2026-02-03T17:31:00Z", copy_link(sub)),
        ("2026-03-01T00:00:00Z", reveal(sub)),
    ] {
        sc.advance_to(instant);
        let r = sc.when_as(&actor, command);
        let events = r.accepted();
        assert_eq!(events.len(), 1);
        let e = &events[0];
        let (kind, k) = access(e).expect("a key access");
        assert_eq!(e.at, at(instant));
        assert_eq!(e.actor.as_ref(), Some(&actor));
        assert!(e.command_id.is_some());
        assert_eq!(k.user, actor.user);
        assert_eq!(k.role, Role::AdminAgent);
        assert_eq!(k.subscription_id, sub);
        assert_eq!(k.customer_id, CUSTOMER);
        assert_eq!(k.partner_id, PARTNER_A);
        assert_eq!(k.product_id, "windows-server-2022-standard");
        assert_eq!(k.product_name, sc.sub(sub).product_name);
        recorded.push((kind, e.at));
    }
    assert_eq!(
        recorded.iter().map(|r| r.0).collect::<Vec<_>>(),
        vec!["reveal_key", "download", "copy_link", "reveal_key"]
    );
    // Repeated accesses are each recorded, never merged.
    let in_history = sc.history.iter().filter_map(access).count();
    assert_eq!(in_history, 4);
}

#[test]
fn key_3_refused_requests_leave_no_entry() {
    let (mut sc, sub) = server();
    let sales = partner(PARTNER_A, &[Role::SalesAgent]);
    let _ = sc.when_as(&sales, reveal(sub));
    let _ = sc.when(kms(sub));
    let _ = sc.when(Command::CopyDownloadLink(CopyDownloadLink {
        subscription_id: sub,
        version: None,
        language: None,
        os: Some("arm64".into()),
    }));
    assert_eq!(sc.history.iter().filter_map(access).count(), 0);
}

// ---------------------------------------------------------------- KEY-4

#[test]
fn key_4_only_the_roles_of_gen_3_read_the_activity_log() {
    let allowed = [
        Role::GlobalAdmin,
        Role::AccountAdmin,
        Role::ReferralAdmin,
        Role::MarketingContentAdmin,
    ];
    for role in Role::ALL {
        let actor = if role == Role::CustomerGlobalAdmin {
            customer_admin()
        } else {
            partner(PARTNER_A, &[role])
        };
        assert_eq!(
            Action::ReadKeyAccessLog.allows(&actor),
            allowed.contains(&role),
            "{role:?}"
        );
    }
    // The admin agent who reveals keys does not audit them, unless also a global admin.
    assert!(!Action::ReadKeyAccessLog.allows(&admin_a()));
    assert!(
        Action::ReadKeyAccessLog
            .allows(&partner(PARTNER_A, &[Role::AdminAgent, Role::GlobalAdmin]))
    );
}

/// The activity log for `[from, to)`, as a reader derives it from the events.
fn log_between(
    history: &[Event],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, &'static str)> {
    history
        .iter()
        .filter(|e| from <= e.at && e.at < to)
        .filter_map(|e| access(e).map(|(kind, _)| (e.at, kind)))
        .collect()
}

#[test]
fn key_4_the_log_is_selected_by_date_range_and_later_events_never_change_it() {
    let (mut sc, sub) = server();
    sc.advance_to("2026-01-31T23:59:59Z");
    sc.ok(reveal(sub));
    sc.advance_to("2026-02-01T00:00:00Z");
    sc.ok(download(sub));
    sc.advance_to("2026-02-28T12:00:00Z");
    sc.ok(copy_link(sub));
    let february = log_between(
        &sc.history,
        at("2026-02-01T00:00:00Z"),
        at("2026-03-01T00:00:00Z"),
    );
    assert_eq!(
        february,
        vec![
            (at("2026-02-01T00:00:00Z"), "download"),
            (at("2026-02-28T12:00:00Z"), "copy_link"),
        ]
    );
    // Recording an access changes nothing in the subscription but its update
    // count (GEN-4): there is nothing a later command could alter.
    let before = sc.state.clone();
    sc.ok(reveal(sub));
    let mut expected = before.clone();
    expected.event_count += 1;
    expected
        .subscriptions
        .get_mut(&sub)
        .expect("subscription")
        .update_count += 1;
    assert_eq!(sc.state, expected);
    let recorded: Vec<Event> = sc
        .history
        .iter()
        .filter(|e| access(e).is_some())
        .cloned()
        .collect();
    assert_eq!(recorded.len(), 4);
    // Later events (suspension, years of time-driven work) append; what was
    // recorded stays exactly as it was.
    sc.ok(suspend(sub));
    sc.advance_to("2029-01-01T00:00:00Z");
    let after: Vec<Event> = sc
        .history
        .iter()
        .filter(|e| access(e).is_some())
        .cloned()
        .collect();
    assert_eq!(after, recorded);
}

// ---------------------------------------------------------------- KEY-5

#[test]
fn key_5_a_cancelled_subscription_keeps_showing_without_its_keys() {
    let (mut sc, sub) = server();
    sc.ok(reveal(sub));
    sc.advance_to("2026-01-12T09:00:00Z");
    let r = sc.when(cancel(sub));
    assert!(matches!(
        r.then_types(&["SubscriptionCancelled", "Credited"])[0].data,
        EventData::SubscriptionCancelled {
            keys_revoked: true,
            ..
        }
    ));
    let s = sc.sub(sub);
    assert_eq!(s.status, Status::Cancelled);
    assert!(s.keys_revoked);
    let before = sc.state.clone();
    for command in [reveal(sub), download(sub), copy_link(sub)] {
        let rej = &rejected(sc.when(command), "KeysRevoked", "KEY-5");
        assert_eq!(detail(rej, "status"), "cancelled");
        assert_eq!(detail(rej, "closed_at"), "2026-01-12T09:00:00Z");
    }
    assert_eq!(sc.state, before);
}

#[test]
fn key_5_a_transferred_subscription_has_its_keys_revoked() {
    let (mut sc, sub) = server();
    sc.relate(PARTNER_B);
    let b_admin = partner(PARTNER_B, &[Role::AdminAgent, Role::GlobalAdmin]);
    let transfer_id = transfer_id(sc.when_as(&b_admin, request_transfer(PARTNER_A)).accepted());
    sc.ok(accept_transfer(transfer_id, &[sub]));
    let s = sc.sub(sub);
    assert_eq!(s.status, Status::Transferred);
    assert!(s.keys_revoked);
    for command in [reveal(sub), download(sub), copy_link(sub)] {
        let rej = &rejected(sc.when(command), "KeysRevoked", "KEY-5");
        assert_eq!(detail(rej, "status"), "transferred");
    }
    // The new subscription under partner B has keys of its own.
    let new_sub = sc
        .state
        .subscriptions
        .values()
        .find(|s| s.partner_id == PARTNER_B)
        .expect("the transferred copy")
        .subscription_id;
    sc.when_as(&b_admin, reveal(new_sub))
        .then_types(&["KeyRevealed"]);
}

#[test]
fn key_5_an_expired_subscription_refuses_key_requests_too() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy_item(subledger_domain::command::PurchaseItem {
        auto_renew: false,
        ..item("windows-server-2022-standard", 2, P1Y, Billing::Annual)
    });
    sc.advance_to("2027-01-09T23:59:59Z");
    sc.when(reveal(sub)).then_types(&["KeyRevealed"]);
    sc.advance_to("2027-01-10T00:00:00Z");
    assert_eq!(sc.sub(sub).status, Status::Expired);
    let rej = &rejected(sc.when(download(sub)), "KeysRevoked", "KEY-5");
    assert_eq!(detail(rej, "status"), "expired");
}

#[test]
fn key_5_cancelling_revokes_download_links_too() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("rds-cal-2022", 10, P1Y, Billing::Monthly);
    sc.when(copy_link(sub)).then_types(&["DownloadLinkCopied"]);
    sc.ok(cancel(sub));
    rejected(sc.when(copy_link(sub)), "KeysRevoked", "KEY-5");
}
