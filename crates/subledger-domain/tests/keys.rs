//! KEY-1..5: software keys, downloads and the key-access activity log.

mod support;

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use sha2::{Digest, Sha256};
use subledger_domain::actor::Action;
use subledger_domain::calendar::Billing;
use subledger_domain::command::{
    AcceptTransfer, Cancel, CopyDownloadLink, DownloadSoftware, RequestTransfer, RevealKey,
    SetAutoRenew, Suspend,
};
use subledger_domain::command::{Command, KeyType};
use subledger_domain::event::{Event, EventData, KeyAccess};
use subledger_domain::state::Status;
use subledger_domain::{Rejection, Role};
use support::*;
use uuid::Uuid;

#[track_caller]
fn rejected(o: Outcome, code: &str, rule: &str) -> Rejection {
    o.then_rejected(code, rule).clone()
}

fn reveal(subscription_id: Uuid) -> Command {
    Command::RevealKey(RevealKey {
        subscription_id,
        key_type: KeyType::MAK,
        version: Some("2022".into()),
        language: Some("nl-NL".into()),
        os: Some("x64".into()),
    })
}

fn download(subscription_id: Uuid) -> Command {
    Command::DownloadSoftware(DownloadSoftware {
        subscription_id,
        version: Some("2022".into()),
        language: Some("it-IT".into()),
        os: Some("x64".into()),
    })
}

fn copy_link(subscription_id: Uuid) -> Command {
    Command::CopyDownloadLink(CopyDownloadLink {
        subscription_id,
        version: None,
        language: None,
        os: None,
    })
}

fn kms(subscription_id: Uuid) -> Command {
    Command::RevealKey(RevealKey {
        subscription_id,
        key_type: KeyType::KMS,
        version: None,
        language: None,
        os: None,
    })
}

/// The key-access entry an event records, if it is one (KEY-3).
fn access(e: &Event) -> Option<(&'static str, &KeyAccess)> {
    match &e.data {
        EventData::KeyRevealed(k) => Some(("reveal_key", k)),
        EventData::SoftwareDownloaded(k) => Some(("download", k)),
        EventData::DownloadLinkCopied(k) => Some(("copy_link", k)),
        _ => None,
    }
}

/// Whether `text` holds a MAK-shaped key: five groups of five upper-case letters or
/// digits joined by hyphens (`XXXXX-XXXXX-XXXXX-XXXXX-XXXXX`).
fn holds_mak_shaped(text: &str) -> bool {
    let b = text.as_bytes();
    let key_char = |c: u8| c.is_ascii_uppercase() || c.is_ascii_digit();
    (0..b.len().saturating_sub(28)).any(|i| {
        (0..29).all(|j| {
            let c = b[i + j];
            if j % 6 == 5 { c == b'-' } else { key_char(c) }
        })
    })
}

/// What the service's key provider does: issues a key and keeps only its
/// fingerprint for the domain.
fn fingerprint(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Windows Server 2022 Standard, 2 cores packs, P1Y billed annually, bought
/// 2026-01-10 09:00 by partner A.
fn server() -> (Scenario, Uuid) {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("windows-server-2022-standard", 2, P1Y, Billing::Annual);
    (sc, sub)
}

// ---------------------------------------------------------------- KEY-1

#[test]
fn key_1_an_admin_agent_reveals_the_key_and_only_its_fingerprint_is_recorded() {
    let (mut sc, sub) = server();
    let r = sc.when(reveal(sub));
    let events = r.then_types(&["KeyRevealed"]);
    let (_, k) = access(&events[0]).expect("a key access");
    assert_eq!(k.key_fingerprint.as_deref(), Some("fp:test-key"));
    assert_eq!(k.version.as_deref(), Some("2022"));
    assert_eq!(k.language.as_deref(), Some("nl-NL"));
    assert_eq!(k.os.as_deref(), Some("x64"));
}

#[test]
fn key_1_downloads_and_links_are_recorded_without_any_key_material() {
    let (mut sc, sub) = server();
    let r = sc.when(download(sub));
    let (kind, k) = access(&r.then_types(&["SoftwareDownloaded"])[0]).unwrap();
    assert_eq!(kind, "download");
    assert_eq!(k.key_fingerprint, None);
    assert_eq!(k.language.as_deref(), Some("it-IT"));
    let r = sc.when(copy_link(sub));
    let (kind, k) = access(&r.then_types(&["DownloadLinkCopied"])[0]).unwrap();
    assert_eq!(kind, "copy_link");
    assert_eq!(k.key_fingerprint, None);
    let json = serde_json::to_string(&r.events()).unwrap();
    assert!(!json.contains("key_fingerprint"), "{json}");
}

#[test]
fn key_1_every_keyed_product_kind_offers_keys() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let perpetual = sc.buy("windows-server-2022-perpetual", 1, None, Billing::OneTime);
    let cal = sc.buy("rds-cal-2022", 25, P1Y, Billing::Monthly);
    let sql = sc.buy("sql-server-2022-standard", 1, P3Y, Billing::Triennial);
    for sub in [perpetual, cal, sql] {
        sc.when(reveal(sub)).then_types(&["KeyRevealed"]);
        sc.when(download(sub)).then_types(&["SoftwareDownloaded"]);
        sc.when(copy_link(sub)).then_types(&["DownloadLinkCopied"]);
    }
}

#[test]
fn key_1_products_without_keys_are_refused() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let e3 = sc.buy("m365-e3", 5, P1Y, Billing::Monthly);
    let rhel = sc.buy("rhel-software-plan", 1, P1Y, Billing::Annual);
    let before = sc.state.clone();
    for (sub, product) in [(e3, "m365-e3"), (rhel, "rhel-software-plan")] {
        for command in [reveal(sub), download(sub), copy_link(sub)] {
            let rej = &rejected(sc.when(command), "NoSoftwareKeys", "KEY-1");
            assert_eq!(detail(rej, "product_id"), product);
        }
    }
    assert_eq!(sc.state, before);
}

#[test]
fn key_1_version_language_and_os_must_be_among_those_offered() {
    let (mut sc, sub) = server();
    let before = sc.state.clone();
    let rej = &rejected(
        sc.when(Command::RevealKey(RevealKey {
            subscription_id: sub,
            key_type: KeyType::MAK,
            version: Some("2022".into()),
            language: Some("ja-JP".into()),
            os: None,
        })),
        "InvalidRequest",
        "KEY-1",
    );
    assert_eq!(detail(rej, "field"), "language");
    assert_eq!(
        detail(rej, "offered"),
        &serde_json::json!(["en-US", "nl-NL", "it-IT", "fr-FR", "de-DE"])
    );
    let rej = &rejected(
        sc.when(Command::DownloadSoftware(DownloadSoftware {
            subscription_id: sub,
            version: Some("2019".into()),
            language: None,
            os: None,
        })),
        "InvalidRequest",
        "KEY-1",
    );
    assert_eq!(detail(rej, "field"), "version");
    let rej = &rejected(
        sc.when(Command::CopyDownloadLink(CopyDownloadLink {
            subscription_id: sub,
            version: None,
            language: None,
            os: Some("arm64".into()),
        })),
        "InvalidRequest",
        "KEY-1",
    );
    assert_eq!(detail(rej, "field"), "os");
    assert_eq!(sc.state, before);
}

#[test]
fn key_1_only_admin_agents_may_touch_keys_and_downloads() {
    let (mut sc, sub) = server();
    let before = sc.state.clone();
    for roles in [
        vec![Role::SalesAgent],
        vec![Role::GlobalAdmin],
        vec![Role::HelpdeskAgent, Role::BillingAdmin, Role::AccountAdmin],
    ] {
        let actor = partner(PARTNER_A, &roles);
        for command in [reveal(sub), download(sub), copy_link(sub)] {
            let rej = &rejected(sc.when_as(&actor, command), "Forbidden", "GEN-3");
            assert_eq!(
                detail(rej, "required_roles"),
                &serde_json::json!(["admin_agent"])
            );
        }
    }
    assert_eq!(sc.state, before);
}

#[test]
fn key_1_another_partner_does_not_even_learn_the_subscription_exists() {
    let (mut sc, sub) = server();
    sc.relate(PARTNER_B);
    for command in [reveal(sub), download(sub), copy_link(sub), kms(sub)] {
        rejected(sc.when_as(&admin_b(), command), "NotFound", "GEN-2");
    }
}

#[test]
fn key_1_no_key_ever_appears_in_an_event() {
    // The service's key provider issues this key; the domain only ever sees its
    // fingerprint, and nothing it writes may carry the key or anything shaped like one.
    let key = "7XQ2M-KD9TR-3HVPC-WB8YJ-F4G6N";
    assert!(holds_mak_shaped(key), "the detector recognises a MAK");
    let fp = fingerprint(key);
    let (mut sc, sub) = server();
    let perpetual = sc.buy("windows-server-2022-perpetual", 1, None, Billing::OneTime);
    let actor = admin_a();
    for (i, command) in [
        reveal(sub),
        download(sub),
        copy_link(sub),
        reveal(perpetual),
        reveal(sub),
    ]
    .into_iter()
    .enumerate()
    {
        let id = Uuid::from_u128(0xFEED_0000 + i as u128);
        sc.decide_with(&actor, command, id, Some(&fp)).accepted();
    }
    // Refusals carry no key either.
    let refusal = sc.decide_with(&actor, kms(sub), Uuid::from_u128(0xFEED_1000), Some(&fp));
    let refusal = serde_json::to_string(refusal.result.as_ref().unwrap_err()).unwrap();
    sc.ok(Command::Cancel(Cancel {
        subscription_id: sub,
    }));
    sc.advance_to("2028-01-01T00:00:00Z");
    let json = serde_json::to_string(&sc.history).unwrap();
    assert!(!json.contains(key));
    assert!(!holds_mak_shaped(&json), "a MAK-shaped string was written");
    assert!(!holds_mak_shaped(&refusal), "{refusal}");
    assert_eq!(
        json.matches(&fp).count(),
        3,
        "each reveal records the fingerprint"
    );
    let state = serde_json::to_string(&sc.state).unwrap();
    assert!(!holds_mak_shaped(&state));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    // Whatever key the provider issues and whatever is asked in whatever order,
    // the written history never holds it, and every reveal holds its fingerprint.
    #[test]
    fn key_1_no_key_appears_in_any_history(
        key in "[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}",
        steps in proptest::collection::vec((0u8..4, 0usize..5, 0u8..3, 1i64..400), 1..25),
    ) {
        let languages = ["en-US", "nl-NL", "it-IT", "fr-FR", "de-DE"];
        let fp = fingerprint(&key);
        let (mut sc, sub) = server();
        let actor = admin_a();
        let mut reveals = 0;
        for (i, (what, lang, extra, hours)) in steps.into_iter().enumerate() {
            let to = sc.now + chrono::TimeDelta::hours(hours);
            sc.advance(to);
            let language = Some(languages[lang].to_owned());
            let command = match what {
                0 => Command::RevealKey(RevealKey { subscription_id: sub, key_type: KeyType::MAK, version: None, language, os: None }),
                1 => Command::DownloadSoftware(DownloadSoftware { subscription_id: sub, version: Some("2022".into()), language, os: None }),
                2 => Command::CopyDownloadLink(CopyDownloadLink { subscription_id: sub, version: None, language, os: Some("x64".into()) }),
                _ => kms(sub),
            };
            let o = sc.decide_with(&actor, command, Uuid::from_u128(0xABC0_0000 + i as u128), Some(&fp));
            if what == 0 && o.result.is_ok() {
                reveals += 1;
            }
            if extra == 0 && sc.sub(sub).status == Status::Active {
                // Now and then something else happens to the subscription.
                let _ = sc.when(Command::SetAutoRenew(SetAutoRenew { subscription_id: sub, enabled: false }));
            }
            if let Err(rej) = &o.result {
                prop_assert!(!holds_mak_shaped(&serde_json::to_string(rej).unwrap()));
            }
        }
        let json = serde_json::to_string(&sc.history).unwrap();
        prop_assert!(!json.contains(&key));
        prop_assert!(!holds_mak_shaped(&json));
        prop_assert_eq!(json.matches(&fp).count(), reveals);
    }
}

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
    sc.ok(Command::Suspend(Suspend {
        subscription_id: suspended,
    }));
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
    sc.ok(Command::Suspend(Suspend {
        subscription_id: sub,
    }));
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
    let r = sc.when(Command::Cancel(Cancel {
        subscription_id: sub,
    }));
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
    let events = sc
        .when_as(
            &b_admin,
            Command::RequestTransfer(RequestTransfer {
                customer_id: CUSTOMER,
                source_partner_id: PARTNER_A,
                customer_email: "it@fabrikam.example".into(),
            }),
        )
        .accepted()
        .clone();
    let transfer_id = events
        .iter()
        .find_map(|e| match &e.data {
            EventData::TransferRequested { transfer_id, .. } => Some(*transfer_id),
            _ => None,
        })
        .expect("a transfer request");
    sc.ok(Command::AcceptTransfer(AcceptTransfer {
        transfer_id,
        subscription_ids: vec![sub],
    }));
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
    sc.ok(Command::Cancel(Cancel {
        subscription_id: sub,
    }));
    rejected(sc.when(copy_link(sub)), "KeysRevoked", "KEY-5");
}
