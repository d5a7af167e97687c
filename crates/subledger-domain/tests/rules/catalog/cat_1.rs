//! CAT-1: terms and billing plans.

use super::*;

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
