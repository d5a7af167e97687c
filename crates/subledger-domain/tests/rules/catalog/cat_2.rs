//! CAT-2: flags, prices and add-on requirements.

use super::*;

// ---------------------------------------------------------------------------
// CAT-2: flags
// ---------------------------------------------------------------------------

#[test]
fn cat_2_the_default_flags_are_set_on_exactly_the_right_products() {
    let c = default();
    assert_eq!(
        with_flag(&c, |p| !p.cancellable),
        strings(&["rhel-software-plan", "suse-software-plan"])
    );
    assert_eq!(
        with_flag(&c, |p| p.one_per_customer),
        strings(&["teams-rooms-pro"])
    );
    assert_eq!(
        with_flag(&c, |p| p.trial),
        strings(&["m365-business-premium", "m365-e5"])
    );
    assert_eq!(
        with_flag(&c, |p| p.has_keys),
        strings(&[
            "windows-server-2022-datacenter",
            "windows-server-2022-standard",
            "sql-server-2022-standard",
            "windows-server-2022-perpetual",
            "rds-cal-2022",
        ])
    );
    for p in c.products() {
        assert_eq!(
            p.prices_include_tax_in
                .iter()
                .cloned()
                .collect::<BTreeSet<_>>(),
            strings(&["AU", "BR"]),
            "{}",
            p.product_id
        );
    }
}

#[test]
fn cat_2_a_license_offers_p1m_monthly_and_p1y_monthly_or_annual() {
    let c = default();
    let standard = set(&[(P1M, M), (P1Y, M), (P1Y, A)]);
    for p in c
        .products()
        .iter()
        .filter(|p| p.kind == ProductKind::License)
    {
        let mut expected = standard.clone();
        if p.product_id == "m365-e3" {
            // CAT-4: E3 also sells a three-year term.
            expected.extend([(P3Y, M), (P3Y, A)]);
        }
        assert_eq!(plans(&c, &p.product_id), expected, "{}", p.product_id);
    }
}

#[test]
fn cat_2_omitted_flags_take_their_defaults() {
    let c = custom(license(json!({}))).unwrap();
    let p = c.product("lic").unwrap();
    assert!(p.cancellable, "cancellable unless said otherwise");
    assert!(!p.has_keys && !p.trial && !p.one_per_customer);
    assert!(p.upgrade_to.is_empty() && p.prices_include_tax_in.is_empty());
}

#[test]
fn cat_2_a_custom_catalog_with_inconsistent_flags_is_refused() {
    invalid(
        custom(license(json!({"has_keys": true}))),
        "lic",
        "only software products have keys",
    );
    // A trial converts to P1Y billed monthly (TRI-2); without that plan there is none.
    let no_p1y = json!({"product_id":"lic","name":"Lic","kind":"license","trial":true,"plans":[
        {"term":"P1M","billing":"monthly","unit_price":{"amount_minor":100,"currency":"EUR"}}]});
    invalid(custom(no_p1y), "lic", "trial");
    invalid(
        custom(license(json!({"upgrade_to": ["nope"]}))),
        "lic",
        "not in the catalog",
    );
    invalid(
        custom(license(json!({"upgrade_to": ["lic"]}))),
        "lic",
        "itself",
    );
    invalid(
        custom(license(json!({"upgrade_unsupported": ["base"]}))),
        "lic",
        "upgrade_to",
    );
    invalid(
        custom(license(json!({"prices_include_tax_in": ["Australia"]}))),
        "lic",
        "country code",
    );
    invalid(
        custom(license(json!({"requires_any_of": ["base"]}))),
        "lic",
        "only add-ons",
    );
    invalid(
        custom(license(json!({"min_quantity": 5, "max_quantity": 2}))),
        "lic",
        "min_quantity",
    );
    // A misspelt flag is an error, not a silently ignored field.
    assert!(matches!(
        custom(license(json!({"cancelable": false}))),
        Err(CatalogError::Parse(_))
    ));
}

#[test]
fn cat_2_add_on_requirements_must_name_real_base_products() {
    let price = json!({"amount_minor":100,"currency":"EUR"});
    let addon = |extra: serde_json::Value| {
        let mut p = json!({"product_id":"ao","name":"AO","kind":"addon",
            "plans":[{"term":"P1M","billing":"monthly","unit_price":price}]});
        for (k, v) in extra.as_object().unwrap() {
            p[k] = v.clone();
        }
        p
    };
    invalid(custom(addon(json!({}))), "ao", "requires_any_of");
    invalid(
        custom(addon(json!({"requires_any_of": ["ghost"]}))),
        "ao",
        "not in the catalog",
    );
    invalid(
        custom(addon(
            json!({"requires_any_of": ["base"], "min_percent_of_base": 0}),
        )),
        "ao",
        "min_percent_of_base",
    );
    invalid(
        custom(addon(
            json!({"requires_any_of": ["base"], "min_percent_of_base": 101}),
        )),
        "ao",
        "min_percent_of_base",
    );
    let ok = custom(addon(
        json!({"requires_any_of": ["base"], "min_percent_of_base": 10}),
    ))
    .unwrap();
    assert_eq!(ok.product("ao").unwrap().min_percent_of_base, Some(10));
}

#[test]
fn cat_2_prices_are_non_negative_integer_minor_units_of_an_iso_currency() {
    let bad = |price: serde_json::Value| {
        custom(json!({"product_id":"x","name":"X","kind":"license",
            "plans":[{"term":"P1M","billing":"monthly","unit_price":price}]}))
    };
    invalid(
        bad(json!({"amount_minor":-1,"currency":"EUR"})),
        "x",
        "negative",
    );
    invalid(
        bad(json!({"amount_minor":1,"currency":"eur"})),
        "x",
        "ISO 4217",
    );
    invalid(
        bad(json!({"amount_minor":1,"currency":"EURO"})),
        "x",
        "ISO 4217",
    );
    assert!(matches!(
        bad(json!({"amount_minor":1.5,"currency":"EUR"})),
        Err(CatalogError::Parse(_))
    ));
    assert!(bad(json!({"amount_minor":0,"currency":"USD"})).is_ok());
}

#[test]
fn cat_2_a_misspelt_price_field_is_refused() {
    // Money accepts unknown fields in stored events; the catalog's prices do not.
    let result = custom(json!({"product_id":"x","name":"X","kind":"license",
        "plans":[{"term":"P1M","billing":"monthly",
            "unit_price":{"amount_minor":1,"currency":"EUR","amount_major":0}}]}));
    match result {
        Err(CatalogError::Parse(e)) => assert!(e.contains("unknown field `amount_major`"), "{e}"),
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn cat_2_the_flags_take_effect_on_commands() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    // cancellable: false.
    let rhel = sc.buy("rhel-software-plan", 1, P1Y, A);
    assert!(!sc.sub(rhel).cancellable);
    assert_eq!(sc.sub(rhel).cancellation_allowed_until, None);
    sc.when(cancel(rhel))
        .then_rejected("NotCancellable", "CAN-4");
    // has_keys: false.
    let e3 = sc.buy("m365-e3", 1, P1Y, M);
    sc.when(Command::RevealKey(RevealKey {
        subscription_id: e3,
        key_type: KeyType::MAK,
        version: None,
        language: None,
        os: None,
    }))
    .then_rejected("NoSoftwareKeys", "KEY-1");
    // trial: false.
    let mut trial = item("m365-e3", 25, P1M, M);
    trial.trial = true;
    sc.when(Scenario::purchase(vec![trial]))
        .then_rejected("TrialNotOffered", "PUR-12");
    // one_per_customer.
    sc.buy("teams-rooms-pro", 1, P1Y, M);
    sc.when(Scenario::purchase(vec![item("teams-rooms-pro", 1, P1Y, M)]))
        .then_rejected("OnePerCustomer", "PUR-4");
}
