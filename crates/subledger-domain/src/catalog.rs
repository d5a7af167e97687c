//! The catalog (CAT-1..4): products, their plans and flags. The default catalog is
//! a data file embedded in the binary; a custom file can replace it. Both pass the
//! same validation at load, so the rest of the domain can trust what it reads.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::calendar::{Billing, Term};
use crate::money::Money;

/// The JSON text of the default catalog.
pub const DEFAULT_CATALOG_JSON: &str = include_str!("../catalog/default.json");

/// What a product is (CAT kinds).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductKind {
    License,
    SoftwareSubscription,
    PerpetualSoftware,
    MarketplaceSaas,
    Addon,
    AzureReservation,
}

/// One term and billing combination on offer, with its unit price per seat and
/// billing period.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    #[serde(default)]
    pub term: Option<Term>,
    pub billing: Billing,
    pub unit_price: Money,
}

/// Choices offered for software downloads and keys (KEY-1).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SoftwareOptions {
    #[serde(default)]
    pub versions: Vec<String>,
    #[serde(default)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub os: Vec<String>,
}

fn yes() -> bool {
    true
}

/// A product of the catalog.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    pub product_id: String,
    pub name: String,
    pub kind: ProductKind,
    pub plans: Vec<Plan>,
    #[serde(default = "yes")]
    pub cancellable: bool,
    #[serde(default)]
    pub has_keys: bool,
    #[serde(default)]
    pub trial: bool,
    #[serde(default)]
    pub one_per_customer: bool,
    /// Upgrade targets shown to partners (UPG-1).
    #[serde(default)]
    pub upgrade_to: Vec<String>,
    /// Targets listed in `upgrade_to` that the seed says are not supported (UPG-2).
    #[serde(default)]
    pub upgrade_unsupported: Vec<String>,
    /// Add-ons: the base products one of which the customer must hold.
    #[serde(default)]
    pub requires_any_of: Vec<String>,
    /// Add-ons: the add-on's seats may not exceed the base seats (PUR-7).
    #[serde(default)]
    pub max_of_base: bool,
    /// Add-ons: the add-on's seats must be at least this percentage of the base
    /// seats, rounded up (PUR-6).
    #[serde(default)]
    pub min_percent_of_base: Option<u32>,
    #[serde(default)]
    pub min_quantity: Option<u32>,
    #[serde(default)]
    pub max_quantity: Option<u32>,
    /// Countries whose prices include tax (BIL-8).
    #[serde(default)]
    pub prices_include_tax_in: Vec<String>,
    #[serde(default)]
    pub software: Option<SoftwareOptions>,
}

impl Product {
    pub fn plan(&self, term: Option<Term>, billing: Billing) -> Option<&Plan> {
        self.plans
            .iter()
            .find(|p| p.term == term && p.billing == billing)
    }

    pub fn is_addon(&self) -> bool {
        self.kind == ProductKind::Addon
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    #[serde(default)]
    description: Option<String>,
    /// Markets (ISO 3166-1 alpha-2) where Azure reservations are not sold (CAT-3).
    reservation_unavailable_markets: Vec<String>,
    products: Vec<Product>,
}

/// A catalog that passed validation.
#[derive(Debug, Clone)]
pub struct Catalog {
    products: Vec<Product>,
    index: HashMap<String, usize>,
    reservation_unavailable_markets: BTreeSet<String>,
}

/// Why a catalog file was refused; each names the product and field at fault.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CatalogError {
    #[error("catalog is not valid JSON for the catalog schema: {0}")]
    Parse(String),
    #[error("catalog: product id `{0}` appears more than once")]
    DuplicateProduct(String),
    #[error("catalog: product `{product}`: {problem}")]
    InvalidProduct { product: String, problem: String },
    #[error("catalog: market code `{0}` is not an ISO 3166-1 alpha-2 code")]
    InvalidMarket(String),
}

/// CAT-1: each plan is listed once, perpetual software alone is termless and
/// billed one time, no billing period outlasts its term, prices are valid.
fn plans_problem(p: &Product) -> Result<(), String> {
    if p.plans.is_empty() {
        return Err("offers no plan".into());
    }
    let mut seen = BTreeSet::new();
    for plan in &p.plans {
        if !seen.insert((plan.term, plan.billing)) {
            return Err(format!(
                "plan {:?}/{} is listed twice",
                plan.term, plan.billing
            ));
        }
        let perpetual = p.kind == ProductKind::PerpetualSoftware;
        match (perpetual, plan.term, plan.billing) {
            (true, None, Billing::OneTime) => {}
            (true, _, _) => {
                return Err("perpetual software has no term and bills one_time (CAT-1)".into());
            }
            (false, None, _) | (false, _, Billing::OneTime) => {
                return Err(
                    "only perpetual software may have no term or bill one_time (CAT-1)".into(),
                );
            }
            (false, Some(term), billing) => {
                let period = billing.period_months().unwrap_or(0);
                if period > term.months() {
                    return Err(format!(
                        "billing {billing} is longer than the term {term} (CAT-1)"
                    ));
                }
            }
        }
        if plan.unit_price.amount_minor < 0 {
            return Err("a unit price is negative".into());
        }
        let c = &plan.unit_price.currency;
        if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(format!("currency `{c}` is not an ISO 4217 code"));
        }
    }
    Ok(())
}

/// Quantities, percentages, keys, tax countries and trials make sense together.
fn limits_problem(p: &Product) -> Result<(), String> {
    if let Some(pct) = p.min_percent_of_base
        && (pct == 0 || pct > 100)
    {
        return Err(format!("min_percent_of_base {pct} is not in 1..=100"));
    }
    if let (Some(min), Some(max)) = (p.min_quantity, p.max_quantity)
        && (min == 0 || min > max)
    {
        return Err(format!(
            "min_quantity {min} / max_quantity {max} make no sense"
        ));
    }
    if p.has_keys
        && !matches!(
            p.kind,
            ProductKind::SoftwareSubscription | ProductKind::PerpetualSoftware
        )
    {
        return Err("only software products have keys".into());
    }
    if let Some(c) = p.prices_include_tax_in.iter().find(|c| !is_country_code(c)) {
        return Err(format!(
            "prices_include_tax_in has a bad country code `{c}`"
        ));
    }
    if p.trial && p.plan(Some(Term::P1Y), Billing::Monthly).is_none() {
        return Err(
            "a trial converts to P1Y billed monthly (TRI-2), which the product must offer".into(),
        );
    }
    Ok(())
}

fn is_country_code(s: &str) -> bool {
    s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase())
}

impl Catalog {
    /// The catalog shipped with subledger.
    pub fn default_catalog() -> Self {
        // The embedded file is checked by a unit test; failing here is a build defect.
        Self::from_json(DEFAULT_CATALOG_JSON).expect("the embedded default catalog is valid")
    }

    /// Parses and validates a catalog file.
    pub fn from_json(text: &str) -> Result<Self, CatalogError> {
        let file: CatalogFile =
            serde_json::from_str(text).map_err(|e| CatalogError::Parse(e.to_string()))?;
        Self::from_products(file.products, file.reservation_unavailable_markets)
    }

    pub fn from_products(
        products: Vec<Product>,
        reservation_unavailable_markets: Vec<String>,
    ) -> Result<Self, CatalogError> {
        let mut index = HashMap::with_capacity(products.len());
        for (i, p) in products.iter().enumerate() {
            if index.insert(p.product_id.clone(), i).is_some() {
                return Err(CatalogError::DuplicateProduct(p.product_id.clone()));
            }
        }
        let markets: BTreeSet<String> = reservation_unavailable_markets.into_iter().collect();
        if let Some(bad) = markets.iter().find(|m| !is_country_code(m)) {
            return Err(CatalogError::InvalidMarket(bad.clone()));
        }
        let catalog = Self {
            products,
            index,
            reservation_unavailable_markets: markets,
        };
        for p in &catalog.products {
            catalog.validate_product(p)?;
        }
        Ok(catalog)
    }

    fn validate_product(&self, p: &Product) -> Result<(), CatalogError> {
        self.product_problem(p)
            .map_err(|problem| CatalogError::InvalidProduct {
                product: p.product_id.clone(),
                problem,
            })
    }

    /// The first thing wrong with `p`, in the order the checks are listed.
    fn product_problem(&self, p: &Product) -> Result<(), String> {
        if p.product_id.trim().is_empty() || p.name.trim().is_empty() {
            return Err("product_id and name must not be empty".into());
        }
        plans_problem(p)?;
        self.upgrades_problem(p)?;
        self.base_problem(p)?;
        limits_problem(p)
    }

    /// UPG-1/2: upgrade targets are other products of the catalog.
    fn upgrades_problem(&self, p: &Product) -> Result<(), String> {
        for target in p.upgrade_to.iter().chain(&p.upgrade_unsupported) {
            if !self.index.contains_key(target) {
                return Err(format!("upgrade target `{target}` is not in the catalog"));
            }
            if target == &p.product_id {
                return Err("a product cannot upgrade to itself".into());
            }
        }
        if let Some(u) = p
            .upgrade_unsupported
            .iter()
            .find(|u| !p.upgrade_to.contains(u))
        {
            return Err(format!(
                "unsupported upgrade `{u}` must also be listed in upgrade_to"
            ));
        }
        Ok(())
    }

    /// PUR-6/7: only add-ons name base products, and those are real non-add-ons.
    fn base_problem(&self, p: &Product) -> Result<(), String> {
        if p.is_addon() {
            if p.requires_any_of.is_empty() {
                return Err("an add-on must list requires_any_of".into());
            }
            for base in &p.requires_any_of {
                match self.product(base) {
                    None => {
                        return Err(format!("required base `{base}` is not in the catalog"));
                    }
                    Some(b) if b.is_addon() => {
                        return Err(format!("required base `{base}` is itself an add-on"));
                    }
                    Some(_) => {}
                }
            }
        } else if !p.requires_any_of.is_empty() || p.max_of_base || p.min_percent_of_base.is_some()
        {
            return Err("only add-ons have base requirements".into());
        }
        Ok(())
    }

    pub fn product(&self, product_id: &str) -> Option<&Product> {
        self.index.get(product_id).map(|&i| &self.products[i])
    }

    pub fn products(&self) -> &[Product] {
        &self.products
    }

    /// CAT-3: Azure reservations are not sold in these markets.
    pub fn reservation_unavailable_in(&self, country: &str) -> bool {
        self.reservation_unavailable_markets.contains(country)
    }

    pub fn reservation_unavailable_markets(&self) -> impl Iterator<Item = &str> {
        self.reservation_unavailable_markets
            .iter()
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cat_4_default_catalog_loads_and_holds_every_required_product() {
        let c = Catalog::from_json(DEFAULT_CATALOG_JSON).expect("default catalog is valid");
        for id in [
            "m365-business-basic",
            "m365-business-standard",
            "m365-business-premium",
            "m365-e3",
            "m365-e3-unattended",
            "m365-e5",
            "m365-e5-no-audio-conf",
            "ems-e3",
            "ems-e5",
            "windows-e3",
            "windows-e3-vda",
            "windows-e5",
            "universal-print",
            "defender-endpoint-p1",
            "defender-endpoint-p2",
            "d365-hr-self-service",
            "project-online-essentials",
            "d365-team-members",
            "teams-rooms-pro",
            "copilot-m365",
            "multi-geo",
            "windows-server-2022-datacenter",
            "windows-server-2022-standard",
            "sql-server-2022-standard",
            "windows-server-2022-perpetual",
            "rds-cal-2022",
            "rhel-software-plan",
            "suse-software-plan",
            "isv-saas-monthly",
            "isv-saas-annual",
            "azure-reserved-vm",
        ] {
            assert!(c.product(id).is_some(), "default catalog lacks {id}");
        }
    }

    #[test]
    fn cat_1_default_plans_match_the_rules() {
        let c = Catalog::default_catalog();
        let e3 = c.product("m365-e3").unwrap();
        for (t, b) in [
            (Term::P1M, Billing::Monthly),
            (Term::P1Y, Billing::Monthly),
            (Term::P1Y, Billing::Annual),
            (Term::P3Y, Billing::Monthly),
        ] {
            assert!(e3.plan(Some(t), b).is_some(), "m365-e3 lacks {t}/{b}");
        }
        let ws = c.product("windows-server-2022-standard").unwrap();
        assert!(ws.plan(Some(Term::P3Y), Billing::Triennial).is_some());
        assert!(ws.plan(Some(Term::P3Y), Billing::Annual).is_some());
        assert!(ws.plan(Some(Term::P3Y), Billing::Monthly).is_none());
        let rds = c.product("rds-cal-2022").unwrap();
        assert_eq!(rds.plans.len(), 1);
        assert!(rds.plan(Some(Term::P1Y), Billing::Monthly).is_some());
        let perp = c.product("windows-server-2022-perpetual").unwrap();
        assert!(perp.plan(None, Billing::OneTime).is_some());
    }

    #[test]
    fn cat_2_flags_of_the_default_catalog() {
        let c = Catalog::default_catalog();
        assert!(!c.product("rhel-software-plan").unwrap().cancellable);
        assert!(!c.product("suse-software-plan").unwrap().cancellable);
        assert!(c.product("teams-rooms-pro").unwrap().one_per_customer);
        assert!(c.product("m365-business-premium").unwrap().trial);
        assert!(c.product("m365-e5").unwrap().trial);
        assert!(
            c.product("windows-server-2022-datacenter")
                .unwrap()
                .has_keys
        );
        let copilot = c.product("copilot-m365").unwrap();
        assert!(copilot.max_of_base);
        assert_eq!(c.product("multi-geo").unwrap().min_percent_of_base, Some(5));
        for p in c.products() {
            if p.kind == ProductKind::License {
                assert!(
                    p.plan(Some(Term::P1M), Billing::Monthly).is_some(),
                    "{}",
                    p.product_id
                );
                assert!(
                    p.plan(Some(Term::P1Y), Billing::Annual).is_some(),
                    "{}",
                    p.product_id
                );
            }
            assert!(
                p.prices_include_tax_in
                    .iter()
                    .all(|c| c == "AU" || c == "BR"),
                "{}",
                p.product_id
            );
        }
    }

    #[test]
    fn cat_3_reservation_markets_are_iso_codes_from_the_seed() {
        let c = Catalog::default_catalog();
        for code in ["AX", "YE", "CN", "VA", "XK", "GL", "AQ"] {
            assert!(c.reservation_unavailable_in(code), "{code}");
        }
        for code in ["NL", "IT", "FR", "US", "AU"] {
            assert!(!c.reservation_unavailable_in(code), "{code}");
        }
    }

    #[test]
    fn cat_validation_names_the_product_and_problem() {
        let text = r#"{"reservation_unavailable_markets":[],"products":[
            {"product_id":"a","name":"A","kind":"addon","plans":[
              {"term":"P1M","billing":"monthly","unit_price":{"amount_minor":1,"currency":"EUR"}}]}]}"#;
        let err = Catalog::from_json(text).unwrap_err();
        assert_eq!(
            err,
            CatalogError::InvalidProduct {
                product: "a".into(),
                problem: "an add-on must list requires_any_of".into()
            }
        );
        let text = r#"{"reservation_unavailable_markets":[],"products":[
            {"product_id":"p","name":"P","kind":"perpetual_software","plans":[
              {"term":"P1Y","billing":"annual","unit_price":{"amount_minor":1,"currency":"EUR"}}]}]}"#;
        assert!(matches!(
            Catalog::from_json(text),
            Err(CatalogError::InvalidProduct { .. })
        ));
        assert!(matches!(
            Catalog::from_json("{\"products\": 3}"),
            Err(CatalogError::Parse(_))
        ));
    }
}
