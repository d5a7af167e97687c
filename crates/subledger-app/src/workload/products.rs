//! What the workload's customers buy and try: products of the default catalog by
//! kind, each with the term and billing a partner orders it with, and the upgrade
//! paths partners attempt. The one place these names live for tests, benchmarks
//! and `subledger simulate`.

use subledger_domain::calendar::{Billing, Term};

/// A product as ordered: its term (none for perpetual software) and billing, and
/// whether customers reveal its keys and download it (KEY-1).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Offer {
    pub product: &'static str,
    pub term: Option<Term>,
    pub billing: Billing,
    pub keyed: bool,
}

impl Offer {
    const fn new(product: &'static str, term: Option<Term>, billing: Billing) -> Offer {
        Offer {
            product,
            term,
            billing,
            keyed: false,
        }
    }

    /// Bought to be used: customers reveal its keys and download it.
    const fn keyed(self) -> Offer {
        Offer {
            keyed: true,
            ..self
        }
    }
}

/// Seat-based licences: what most orders are made of.
pub(crate) const LICENSES: [Offer; 8] = [
    Offer::new("m365-e3", Some(Term::P1Y), Billing::Monthly),
    Offer::new("m365-e3", Some(Term::P1Y), Billing::Annual),
    Offer::new("m365-business-basic", Some(Term::P1M), Billing::Monthly),
    Offer::new("m365-business-standard", Some(Term::P1Y), Billing::Monthly),
    Offer::new("ems-e3", Some(Term::P1Y), Billing::Monthly),
    Offer::new("defender-endpoint-p1", Some(Term::P1M), Billing::Monthly),
    Offer::new("windows-e3", Some(Term::P1Y), Billing::Annual),
    Offer::new("universal-print", Some(Term::P1Y), Billing::Monthly),
];

/// Software subscriptions, with keys and downloads.
pub(crate) const SOFTWARE: [Offer; 4] = [
    Offer::new(
        "windows-server-2022-standard",
        Some(Term::P1Y),
        Billing::Annual,
    )
    .keyed(),
    Offer::new(
        "windows-server-2022-datacenter",
        Some(Term::P3Y),
        Billing::Triennial,
    )
    .keyed(),
    Offer::new("sql-server-2022-standard", Some(Term::P3Y), Billing::Annual).keyed(),
    Offer::new("rds-cal-2022", Some(Term::P1Y), Billing::Monthly).keyed(),
];

/// One of each other kind: a reservation, a SaaS plan, a third party's software
/// plan (no keys asked for), and perpetual software (no term, paid once). Bought
/// one at a time.
pub(crate) const OTHERS: [Offer; 4] = [
    Offer::new("azure-reserved-vm", Some(Term::P1Y), Billing::Monthly),
    Offer::new("isv-saas-monthly", Some(Term::P1M), Billing::Monthly),
    Offer::new("rhel-software-plan", Some(Term::P1Y), Billing::Annual),
    Offer::new("windows-server-2022-perpetual", None, Billing::OneTime).keyed(),
];

/// The add-on bought on top of a base licence (PUR-6/7 decide how many).
pub(crate) const ADD_ON: Offer = Offer::new("copilot-m365", Some(Term::P1Y), Billing::Monthly);
/// The licences the add-on needs one of.
pub(crate) const ADD_ON_BASES: [&str; 2] = ["m365-e3", "m365-e5"];

/// The products tried before buying (TRI-1: one month, monthly, a fixed number of
/// seats).
pub(crate) const TRIALS: [Offer; 2] = [
    Offer::new("m365-business-premium", Some(Term::P1M), Billing::Monthly),
    Offer::new("m365-e5", Some(Term::P1M), Billing::Monthly),
];

/// Whether customers ask for keys and downloads of a product of these tables.
pub(crate) fn keyed(product: &str) -> bool {
    SOFTWARE
        .iter()
        .chain(&OTHERS)
        .any(|o| o.keyed && o.product == product)
}

/// An upgrade partners try: along a path the catalog offers, or one of UPG-2's
/// unsupported paths, tried now and then as partners do.
pub(crate) struct UpgradePath {
    pub from: &'static str,
    pub to: &'static str,
    pub supported: bool,
}

pub(crate) const UPGRADES: [UpgradePath; 6] = [
    UpgradePath {
        from: "m365-e3",
        to: "m365-e5",
        supported: true,
    },
    UpgradePath {
        from: "m365-business-basic",
        to: "m365-business-standard",
        supported: true,
    },
    UpgradePath {
        from: "m365-business-standard",
        to: "m365-business-premium",
        supported: true,
    },
    UpgradePath {
        from: "ems-e3",
        to: "ems-e5",
        supported: false,
    },
    UpgradePath {
        from: "defender-endpoint-p1",
        to: "defender-endpoint-p2",
        supported: false,
    },
    UpgradePath {
        from: "windows-e3",
        to: "m365-e5",
        supported: false,
    },
];

/// The upgrade path from `product`, if partners try one.
pub(crate) fn upgrade_from(product: &str) -> Option<&'static UpgradePath> {
    UPGRADES.iter().find(|u| u.from == product)
}

#[cfg(test)]
mod tests {
    use super::*;
    use subledger_domain::{Catalog, ProductKind};

    /// Every product named here is in the default catalog, offered as it is
    /// ordered; only software is asked for keys.
    #[test]
    fn every_offer_is_one_the_default_catalog_sells() {
        let catalog = Catalog::default_catalog();
        for offer in LICENSES
            .iter()
            .chain(&SOFTWARE)
            .chain(&OTHERS)
            .chain(&TRIALS)
            .chain([&ADD_ON])
        {
            let product = catalog
                .product(offer.product)
                .unwrap_or_else(|| panic!("{} is not in the catalog", offer.product));
            assert!(
                product.plan(offer.term, offer.billing).is_some(),
                "{} is not sold so",
                offer.product
            );
            let software = matches!(
                product.kind,
                ProductKind::SoftwareSubscription | ProductKind::PerpetualSoftware
            );
            assert!(!offer.keyed || software, "{}", offer.product);
        }
        for name in ADD_ON_BASES
            .iter()
            .chain(UPGRADES.iter().flat_map(|u| [&u.from, &u.to]))
        {
            assert!(
                catalog.product(name).is_some(),
                "{name} is not in the catalog"
            );
        }
    }
}
