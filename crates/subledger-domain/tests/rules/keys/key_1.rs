//! KEY-1: keys and downloads, and that no key is ever recorded.

use super::*;

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
    sc.ok(cancel(sub));
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
                let _ = sc.when(set_auto_renew(sub, false));
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
