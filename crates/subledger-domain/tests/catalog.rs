//! CAT-1..4: terms and billing plans, flags, the reservation markets and the
//! products the default catalog must hold.

mod support;

use std::collections::BTreeSet;
use subledger_domain::command::{Cancel, RevealKey};

use serde_json::json;
use subledger_domain::calendar::{Billing, Term};
use subledger_domain::catalog::{CatalogError, DEFAULT_CATALOG_JSON};
use subledger_domain::command::{Command, KeyType};
use subledger_domain::{Catalog, ProductKind};
use support::*;

fn default() -> Catalog {
    Catalog::default_catalog()
}

/// The `(term, billing)` pairs a product offers.
fn plans(c: &Catalog, id: &str) -> BTreeSet<(Option<Term>, Billing)> {
    c.product(id)
        .unwrap_or_else(|| panic!("{id} missing"))
        .plans
        .iter()
        .map(|p| (p.term, p.billing))
        .collect()
}

fn set<T: Ord + Clone>(items: &[T]) -> BTreeSet<T> {
    items.iter().cloned().collect()
}

fn strings(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

const M: Billing = Billing::Monthly;
const A: Billing = Billing::Annual;
const T: Billing = Billing::Triennial;
const O: Billing = Billing::OneTime;

/// A one-product catalog around `product` (JSON), for validation tests.
fn custom(product: serde_json::Value) -> Result<Catalog, CatalogError> {
    let base = json!({"product_id":"base","name":"Base","kind":"license","plans":[
        {"term":"P1M","billing":"monthly","unit_price":{"amount_minor":100,"currency":"EUR"}}]});
    Catalog::from_json(
        &json!({"reservation_unavailable_markets": ["YE"], "products": [base, product]})
            .to_string(),
    )
}

fn license(extra: serde_json::Value) -> serde_json::Value {
    let mut p = json!({"product_id":"lic","name":"Lic","kind":"license","plans":[
        {"term":"P1M","billing":"monthly","unit_price":{"amount_minor":100,"currency":"EUR"}},
        {"term":"P1Y","billing":"monthly","unit_price":{"amount_minor":90,"currency":"EUR"}}]});
    for (k, v) in extra.as_object().unwrap() {
        p[k] = v.clone();
    }
    p
}

#[track_caller]
fn invalid(result: Result<Catalog, CatalogError>, product: &str, needle: &str) {
    match result {
        Err(CatalogError::InvalidProduct {
            product: p,
            problem,
        }) => {
            assert_eq!(p, product);
            assert!(problem.contains(needle), "{problem}");
        }
        other => panic!("expected InvalidProduct({product}, …{needle}…), got {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// CAT-1: terms, billing plans, and only the listed combinations
// ---------------------------------------------------------------------------

#[test]
fn cat_1_only_perpetual_software_is_termless_and_billed_one_time() {
    let c = default();
    for p in c.products() {
        for plan in &p.plans {
            let perpetual = p.kind == ProductKind::PerpetualSoftware;
            assert_eq!(plan.term.is_none(), perpetual, "{}", p.product_id);
            assert_eq!(plan.billing == O, perpetual, "{}", p.product_id);
            if let (Some(term), Some(months)) = (plan.term, plan.billing.period_months()) {
                assert!(
                    months <= term.months(),
                    "{}: {} billing of a {} term",
                    p.product_id,
                    plan.billing,
                    term
                );
            }
        }
    }
}

#[test]
fn cat_1_three_year_software_bills_annual_or_triennial_and_rds_cal_monthly() {
    let c = default();
    for id in [
        "windows-server-2022-datacenter",
        "windows-server-2022-standard",
        "sql-server-2022-standard",
        "rhel-software-plan",
        "suse-software-plan",
    ] {
        let three_year: BTreeSet<Billing> = plans(&c, id)
            .into_iter()
            .filter(|(t, _)| *t == Some(Term::P3Y))
            .map(|(_, b)| b)
            .collect();
        assert_eq!(three_year, set(&[A, T]), "{id}");
    }
    assert_eq!(plans(&c, "rds-cal-2022"), set(&[(Some(Term::P1Y), M)]));
}

/// A purchase of `product` as `term`/`billing` in a fresh scenario (with enough
/// base seats in the same order when it is an add-on).
fn try_buy(product: &str, term: Option<Term>, billing: Billing) -> Result<(), String> {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let mut items = vec![item(product, 20, term, billing)];
    if sc.catalog.product(product).unwrap().kind == ProductKind::Addon {
        items.push(item("m365-e3", 400, P1Y, M));
    }
    sc.when(Scenario::purchase(items))
        .result
        .map(|_| ())
        .map_err(|r| format!("{} ({})", r.code, r.rule))
}

#[test]
fn cat_1_every_product_sells_exactly_the_combinations_it_lists() {
    let c = default();
    let terms = [None, P1M, P1Y, P3Y];
    let billings = [M, A, T, O];
    for p in c.products() {
        let listed = plans(&c, &p.product_id);
        for term in terms {
            for billing in billings {
                let got = try_buy(&p.product_id, term, billing);
                if listed.contains(&(term, billing)) {
                    assert_eq!(got, Ok(()), "{} {term:?}/{billing}", p.product_id);
                } else {
                    assert_eq!(
                        got,
                        Err("PlanNotOffered (PUR-3)".into()),
                        "{} {term:?}/{billing}",
                        p.product_id
                    );
                }
            }
        }
    }
}

#[test]
fn cat_1_a_perpetual_line_may_leave_the_term_out_or_null() {
    for line in [
        json!({"product_id":"windows-server-2022-perpetual","quantity":1,"billing":"one_time"}),
        json!({"product_id":"windows-server-2022-perpetual","quantity":1,"billing":"one_time","term":null}),
    ] {
        let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
        let cmd: Command = serde_json::from_value(
            json!({"type":"Purchase","customer_id":CUSTOMER,"items":[line]}),
        )
        .unwrap();
        sc.when(cmd)
            .then_types(&["OrderPlaced", "SubscriptionCreated", "Charged"]);
    }
    // Any other term is unknown.
    assert!(
        serde_json::from_value::<Command>(json!({"type":"Purchase","customer_id":CUSTOMER,
            "items":[{"product_id":"m365-e3","quantity":1,"term":"P2Y","billing":"monthly"}]}))
        .is_err()
    );
    assert!(
        serde_json::from_value::<Command>(json!({"type":"Purchase","customer_id":CUSTOMER,
            "items":[{"product_id":"m365-e3","quantity":1,"term":"P1Y","billing":"quarterly"}]}))
        .is_err()
    );
}

#[test]
fn cat_1_a_custom_catalog_with_an_impossible_combination_is_refused() {
    let price = json!({"amount_minor":100,"currency":"EUR"});
    // Perpetual software with a term.
    invalid(
        custom(
            json!({"product_id":"perp","name":"P","kind":"perpetual_software",
            "plans":[{"term":"P1Y","billing":"one_time","unit_price":price}]}),
        ),
        "perp",
        "CAT-1",
    );
    // Perpetual software billed monthly.
    invalid(
        custom(
            json!({"product_id":"perp","name":"P","kind":"perpetual_software",
            "plans":[{"billing":"monthly","unit_price":price}]}),
        ),
        "perp",
        "CAT-1",
    );
    // A license without a term, or billed one_time.
    invalid(
        custom(json!({"product_id":"x","name":"X","kind":"license",
            "plans":[{"billing":"monthly","unit_price":price}]})),
        "x",
        "CAT-1",
    );
    invalid(
        custom(json!({"product_id":"x","name":"X","kind":"license",
            "plans":[{"term":"P1Y","billing":"one_time","unit_price":price}]})),
        "x",
        "CAT-1",
    );
    // A period longer than the term.
    invalid(
        custom(json!({"product_id":"x","name":"X","kind":"license",
            "plans":[{"term":"P1M","billing":"annual","unit_price":price}]})),
        "x",
        "longer than the term",
    );
    invalid(
        custom(
            json!({"product_id":"x","name":"X","kind":"software_subscription",
            "plans":[{"term":"P1Y","billing":"triennial","unit_price":price}]}),
        ),
        "x",
        "longer than the term",
    );
    // The same combination twice.
    invalid(
        custom(json!({"product_id":"x","name":"X","kind":"license",
            "plans":[{"term":"P1M","billing":"monthly","unit_price":price},
                     {"term":"P1M","billing":"monthly","unit_price":price}]})),
        "x",
        "listed twice",
    );
    // No plan at all.
    invalid(
        custom(json!({"product_id":"x","name":"X","kind":"license","plans":[]})),
        "x",
        "no plan",
    );
}

// ---------------------------------------------------------------------------
// CAT-2: flags
// ---------------------------------------------------------------------------

/// The products whose flag is set, by id.
fn with_flag(c: &Catalog, flag: impl Fn(&subledger_domain::Product) -> bool) -> BTreeSet<String> {
    c.products()
        .iter()
        .filter(|p| flag(p))
        .map(|p| p.product_id.clone())
        .collect()
}

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
    sc.when(Command::Cancel(Cancel {
        subscription_id: rhel,
    }))
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
