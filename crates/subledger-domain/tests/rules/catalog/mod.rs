//! CAT-1..4: terms and billing plans, flags, the reservation markets and the
//! products the default catalog must hold.

mod cat_1;
mod cat_2;
mod cat_3_4;

use std::collections::BTreeSet;
use subledger_domain::command::{Command, KeyType, RevealKey};

use crate::support::*;
use serde_json::json;
use subledger_domain::calendar::{Billing, Term};
use subledger_domain::catalog::{CatalogError, DEFAULT_CATALOG_JSON};
use subledger_domain::{Catalog, ProductKind};

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

/// The products whose flag is set, by id.
fn with_flag(c: &Catalog, flag: impl Fn(&subledger_domain::Product) -> bool) -> BTreeSet<String> {
    c.products()
        .iter()
        .filter(|p| flag(p))
        .map(|p| p.product_id.clone())
        .collect()
}
