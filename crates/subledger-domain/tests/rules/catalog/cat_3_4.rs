//! CAT-3 (reservation markets) and CAT-4 (the products the default catalog must hold).

use super::*;

// ---------------------------------------------------------------------------
// CAT-3: markets without Azure reservations
// ---------------------------------------------------------------------------

/// The seed's list (Åland Islands … Yemen), translated to ISO 3166-1 alpha-2 by
/// hand, in the seed's three columns. Bonaire, Saba and Sint Eustatius share BQ;
/// Jan Mayen and Svalbard share SJ; Kosovo is XK.
const SEED_MARKETS: &[&str] = &[
    // A to Gi
    "AX", "AS", "AD", "AI", "AQ", "AG", "AW", "AZ", "BJ", "BT", "BQ", "BV", "IO", "VG", "BF", "BI",
    "KH", "CF", "TD", "CN", "CX", "CC", "KM", "CG", "CD", "CK", "DJ", "DM", "GQ", "ER", "FK", "GF",
    "PF", "TF", "GA", "GM", "GI", // Gr to Pal
    "GL", "GD", "GP", "GU", "GG", "GN", "GW", "GY", "HT", "HM", "IM", "SJ", "JE", "KI", "XK", "LA",
    "LS", "LR", "MG", "MW", "MV", "ML", "MH", "MQ", "MR", "YT", "FM", "MS", "MZ", "MM", "NR", "NC",
    "NE", "NU", "NF", "MP", "PW", // Pap to Z
    "PG", "PN", "RE", "BQ", "BL", "LC", "MF", "PM", "VC", "WS", "SM", "ST", "SC", "SL", "BQ", "SX",
    "SB", "SO", "GS", "SS", "SH", "SR", "SJ", "SZ", "TL", "TG", "TK", "TO", "TC", "TV", "UM", "VU",
    "VA", "WF", "YE",
];

#[test]
fn cat_3_the_catalog_lists_exactly_the_seeds_markets() {
    assert_eq!(SEED_MARKETS.len(), 37 + 37 + 35, "the seed's three columns");
    let seed: BTreeSet<&str> = SEED_MARKETS.iter().copied().collect();
    let c = default();
    let catalog: BTreeSet<&str> = c.reservation_unavailable_markets().collect();
    let missing: Vec<_> = seed.difference(&catalog).collect();
    let extra: Vec<_> = catalog.difference(&seed).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
    assert_eq!(catalog.len(), 106);
}

#[test]
fn cat_3_the_market_is_the_customers_country() {
    // Yemen and the Åland Islands are in the list; the Netherlands and Finland
    // (of which Åland is part) are not.
    for (country, sold) in [("YE", false), ("AX", false), ("NL", true), ("FI", true)] {
        let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer(country);
        let out = sc.when(Scenario::purchase(vec![item(
            "azure-reserved-vm",
            2,
            P1Y,
            M,
        )]));
        if sold {
            out.then_types(&["OrderPlaced", "SubscriptionCreated", "Charged"]);
        } else {
            let rej = out.then_rejected("UnavailableInMarket", "PUR-5");
            assert_eq!(detail(rej, "market"), country);
        }
    }
}

#[test]
fn cat_3_only_reservations_are_restricted_in_those_markets() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("CN");
    for (product, term, billing) in [
        ("m365-e3", P1Y, M),
        ("windows-server-2022-standard", P1Y, A),
        ("isv-saas-monthly", P1M, M),
        ("windows-server-2022-perpetual", None, O),
    ] {
        sc.buy(product, 1, term, billing);
    }
    assert_eq!(sc.state.subscriptions.len(), 4);
}

#[test]
fn cat_3_a_custom_catalog_needs_iso_codes_for_markets() {
    for bad in ["ye", "YEM", "Y", ""] {
        let text = json!({"reservation_unavailable_markets": [bad], "products": []}).to_string();
        assert_eq!(
            Catalog::from_json(&text).unwrap_err(),
            CatalogError::InvalidMarket(bad.into())
        );
    }
    // A custom list replaces the seed's.
    let text = json!({"reservation_unavailable_markets": ["NL"], "products": []}).to_string();
    let c = Catalog::from_json(&text).unwrap();
    assert!(c.reservation_unavailable_in("NL"));
    assert!(!c.reservation_unavailable_in("YE"));
}

// ---------------------------------------------------------------------------
// CAT-4: the default catalog's products
// ---------------------------------------------------------------------------

const REQUIRED: &[(&str, ProductKind)] = &[
    ("m365-business-basic", ProductKind::License),
    ("m365-business-standard", ProductKind::License),
    ("m365-business-premium", ProductKind::License),
    ("m365-e3", ProductKind::License),
    ("m365-e3-unattended", ProductKind::License),
    ("m365-e5", ProductKind::License),
    ("m365-e5-no-audio-conf", ProductKind::License),
    ("ems-e3", ProductKind::License),
    ("ems-e5", ProductKind::License),
    ("windows-e3", ProductKind::License),
    ("windows-e3-vda", ProductKind::License),
    ("windows-e5", ProductKind::License),
    ("universal-print", ProductKind::License),
    ("defender-endpoint-p1", ProductKind::License),
    ("defender-endpoint-p2", ProductKind::License),
    ("d365-hr-self-service", ProductKind::License),
    ("project-online-essentials", ProductKind::License),
    ("d365-team-members", ProductKind::License),
    ("teams-rooms-pro", ProductKind::License),
    ("copilot-m365", ProductKind::Addon),
    ("multi-geo", ProductKind::Addon),
    (
        "windows-server-2022-datacenter",
        ProductKind::SoftwareSubscription,
    ),
    (
        "windows-server-2022-standard",
        ProductKind::SoftwareSubscription,
    ),
    (
        "sql-server-2022-standard",
        ProductKind::SoftwareSubscription,
    ),
    (
        "windows-server-2022-perpetual",
        ProductKind::PerpetualSoftware,
    ),
    ("rds-cal-2022", ProductKind::SoftwareSubscription),
    ("rhel-software-plan", ProductKind::SoftwareSubscription),
    ("suse-software-plan", ProductKind::SoftwareSubscription),
    ("isv-saas-monthly", ProductKind::MarketplaceSaas),
    ("isv-saas-annual", ProductKind::MarketplaceSaas),
    ("azure-reserved-vm", ProductKind::AzureReservation),
];

#[test]
fn cat_4_every_required_product_is_there_with_its_kind() {
    let c = default();
    for (id, kind) in REQUIRED {
        let p = c.product(id).unwrap_or_else(|| panic!("{id} missing"));
        assert_eq!(p.kind, *kind, "{id}");
        assert!(!p.name.trim().is_empty(), "{id} has a name");
    }
}

#[test]
fn cat_4_upgrade_paths_and_the_unsupported_ones_follow_the_table() {
    let c = default();
    const E5S: &[&str] = &["m365-e5", "m365-e5-no-audio-conf"];
    let table: &[(&str, &[&str], &[&str])] = &[
        (
            "m365-business-basic",
            &[
                "m365-business-standard",
                "m365-business-premium",
                "m365-e3",
                "m365-e5",
            ],
            &[],
        ),
        (
            "m365-business-standard",
            &["m365-business-premium", "m365-e3", "m365-e5"],
            &[],
        ),
        ("m365-business-premium", &["m365-e3", "m365-e5"], &[]),
        ("m365-e3", E5S, &[]),
        ("ems-e3", &["ems-e5"], &["ems-e5"]),
        ("ems-e5", E5S, E5S),
        ("windows-e3", E5S, E5S),
        ("windows-e3-vda", E5S, E5S),
        ("windows-e5", E5S, E5S),
        (
            "universal-print",
            &[
                "m365-e3",
                "m365-e3-unattended",
                "m365-e5",
                "m365-e5-no-audio-conf",
            ],
            &[
                "m365-e3",
                "m365-e3-unattended",
                "m365-e5",
                "m365-e5-no-audio-conf",
            ],
        ),
        (
            "defender-endpoint-p1",
            &["defender-endpoint-p2"],
            &["defender-endpoint-p2"],
        ),
        (
            "d365-hr-self-service",
            &["d365-team-members"],
            &["d365-team-members"],
        ),
        (
            "project-online-essentials",
            &["d365-team-members"],
            &["d365-team-members"],
        ),
    ];
    for (id, to, unsupported) in table {
        let p = c.product(id).unwrap();
        assert_eq!(
            p.upgrade_to.iter().cloned().collect::<BTreeSet<_>>(),
            strings(to),
            "{id} upgrade_to"
        );
        assert_eq!(
            p.upgrade_unsupported
                .iter()
                .cloned()
                .collect::<BTreeSet<_>>(),
            strings(unsupported),
            "{id} unsupported"
        );
    }
    // Nothing else offers an upgrade.
    let with_paths = with_flag(&c, |p| !p.upgrade_to.is_empty());
    assert_eq!(
        with_paths,
        table.iter().map(|(id, ..)| (*id).to_owned()).collect()
    );
}

#[test]
fn cat_4_the_add_ons_and_their_base_products() {
    let c = default();
    let copilot = c.product("copilot-m365").unwrap();
    assert!(copilot.max_of_base);
    assert_eq!(copilot.min_percent_of_base, None);
    assert_eq!(
        copilot
            .requires_any_of
            .iter()
            .cloned()
            .collect::<BTreeSet<_>>(),
        strings(&[
            "m365-e3",
            "m365-e5",
            "m365-e5-no-audio-conf",
            "m365-business-standard",
            "m365-business-premium"
        ])
    );
    let geo = c.product("multi-geo").unwrap();
    assert!(!geo.max_of_base);
    assert_eq!(geo.min_percent_of_base, Some(5));
    assert_eq!(
        geo.requires_any_of.iter().cloned().collect::<BTreeSet<_>>(),
        strings(&["m365-e3", "m365-e5", "m365-e5-no-audio-conf"])
    );
}

#[test]
fn cat_4_software_saas_and_reservation_plans_follow_the_table() {
    let c = default();
    for id in [
        "windows-server-2022-datacenter",
        "windows-server-2022-standard",
        "sql-server-2022-standard",
    ] {
        assert_eq!(plans(&c, id), set(&[(P1Y, A), (P3Y, A), (P3Y, T)]), "{id}");
    }
    assert_eq!(
        plans(&c, "windows-server-2022-perpetual"),
        set(&[(None, O)])
    );
    assert_eq!(plans(&c, "rds-cal-2022"), set(&[(P1Y, M)]));
    assert_eq!(plans(&c, "isv-saas-monthly"), set(&[(P1M, M)]));
    assert_eq!(plans(&c, "isv-saas-annual"), set(&[(P1Y, A)]));
    let azure_terms: BTreeSet<Option<Term>> = plans(&c, "azure-reserved-vm")
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(azure_terms, set(&[P1Y, P3Y]));
    for id in ["rhel-software-plan", "suse-software-plan"] {
        let terms: BTreeSet<Option<Term>> = plans(&c, id).into_iter().map(|(t, _)| t).collect();
        assert_eq!(
            terms,
            set(&[P1Y, P3Y]),
            "{id}: software terms are P1Y or P3Y"
        );
    }
}

#[test]
fn cat_4_prices_are_positive_euro_minor_units() {
    for p in default().products() {
        for plan in &p.plans {
            assert_eq!(plan.unit_price.currency, "EUR", "{}", p.product_id);
            assert!(plan.unit_price.amount_minor > 0, "{}", p.product_id);
        }
    }
}

#[test]
fn cat_4_the_default_catalog_is_a_data_file_that_parses_as_a_custom_one() {
    let from_file = Catalog::from_json(DEFAULT_CATALOG_JSON).unwrap();
    assert_eq!(from_file.products(), default().products());
    let raw: serde_json::Value = serde_json::from_str(DEFAULT_CATALOG_JSON).unwrap();
    assert_eq!(
        raw["products"].as_array().unwrap().len(),
        default().products().len()
    );
    // A custom catalog replaces the default one entirely.
    let custom = custom(license(json!({}))).unwrap();
    assert!(custom.product("m365-e3").is_none());
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    sc.catalog = custom;
    sc.when(Scenario::purchase(vec![item("m365-e3", 1, P1Y, M)]))
        .then_rejected("UnknownProduct", "CAT-4");
    sc.when(Scenario::purchase(vec![item("lic", 1, P1Y, M)]))
        .then_types(&["OrderPlaced", "SubscriptionCreated", "Charged"]);
}

#[test]
fn cat_4_an_unknown_product_is_refused_and_named() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let out = sc.when(Scenario::purchase(vec![
        item("m365-e3", 1, P1Y, M),
        item("m365-e7", 1, P1Y, M),
    ]));
    let rej = out.then_rejected("UnknownProduct", "CAT-4");
    assert_eq!(detail(rej, "product_id"), "m365-e7");
    assert_eq!(detail(rej, "field"), "items[1].product_id");
    assert!(sc.state.subscriptions.is_empty());
}
