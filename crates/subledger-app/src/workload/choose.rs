//! What a customer asks for next, from what it knows it owns: purchases of every
//! kind, seat changes inside and outside their windows, suspensions, upgrades,
//! renewal instructions, trials converted, moves to another partner, keys and
//! downloads. Some are refused on purpose (seat reductions after SEAT-2's window,
//! unsupported upgrades, KMS keys, cancellations after CAN-3's window): the
//! ledger decides, so refusals are the rules' own.
//!
//! Every draw comes from the customer's own generator, in a fixed order, so its
//! commands depend only on its seed and its own earlier outcomes.

use rand::Rng;
use rand::rngs::StdRng;
use subledger_domain::command::{
    AcceptRelationship, AcceptTransfer, AddSeats, Cancel, ClearScheduledChange, ConvertTrial,
    CopyDownloadLink, CreateCustomer, DownloadSoftware, KeyType, Purchase, PurchaseItem,
    Reactivate, ReduceSeats, RejectTransfer, RequestRelationship, RequestTransfer, RevealKey,
    ScheduleChange, ScheduledChange, Segment, SetAutoRenew, Suspend, Upgrade, UpgradeTiming,
};
use subledger_domain::{Command, policy};
use uuid::Uuid;

use super::customer::{Customer, Owned, Tick, TransferStep, Who, customer_admin};
use super::products::{
    ADD_ON, ADD_ON_BASES, LICENSES, OTHERS, Offer, SOFTWARE, TRIALS, keyed, upgrade_from,
};

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn item(offer: &Offer, quantity: u32) -> PurchaseItem {
    PurchaseItem {
        subscription_id: None,
        product_id: offer.product.to_owned(),
        quantity,
        term: offer.term,
        billing: offer.billing,
        auto_renew: true,
        trial: false,
        promotion_id: None,
    }
}

impl Customer {
    /// The customer's next command, or `None` when it has nothing to ask for.
    pub(crate) fn next_command(&mut self, t: &Tick<'_>) -> Option<(Who, Command)> {
        if !self.created {
            return Some((Who::Partner(self.home), self.create()));
        }
        if let Some(step) = self.transfer.clone() {
            return Some(self.transfer_step(step, t));
        }
        // What is gone stays gone: forgetting it keeps a large customer's choices cheap.
        self.owned.retain(|o| o.live);
        let live: Vec<Owned> = self.owned.clone();
        // Customers buy until they hold what a customer of their size holds, then
        // mostly change what they have.
        let enough = if self.large { 40 } else { 6 };
        let buying = if live.len() < enough { 12 } else { 2 };
        if live.is_empty() || self.rng.random_range(0..100) < buying {
            return Some(self.purchase());
        }
        if let Some(chosen) = self.tend(&live) {
            return Some(chosen);
        }
        let paid: Vec<Owned> = live
            .iter()
            .filter(|o| !o.trial && !o.suspended)
            .cloned()
            .collect();
        if paid.is_empty() {
            return Some(self.purchase());
        }
        let s = pick(&mut self.rng, &paid).clone();
        self.change(&s, &live, t)
    }

    fn create(&self) -> Command {
        let country = ["NL", "IT", "FR", "DE", "US", "AU"][self.index % 6];
        Command::CreateCustomer(CreateCustomer {
            customer_id: self.id,
            company_name: format!("Customer {}", self.index),
            domain: format!("customer-{}.example", self.index),
            country: country.to_owned(),
            segment: Segment::Commercial,
        })
    }

    /// Now and then a suspended subscription is reactivated (mostly it is left
    /// alone until the customer pays), or a trial converted or cancelled.
    fn tend(&mut self, live: &[Owned]) -> Option<(Who, Command)> {
        let suspended: Vec<&Owned> = live.iter().filter(|o| o.suspended).collect();
        if !suspended.is_empty() && self.rng.random_bool(0.25) {
            let s = *pick(&mut self.rng, &suspended);
            let command = Command::Reactivate(Reactivate {
                subscription_id: s.id,
            });
            return Some((Who::Partner(s.partner), command));
        }
        let trials: Vec<&Owned> = live.iter().filter(|o| o.trial && !o.suspended).collect();
        if !trials.is_empty() && self.rng.random_bool(0.1) {
            let s = *pick(&mut self.rng, &trials);
            let command = if self.rng.random_bool(0.8) {
                Command::ConvertTrial(ConvertTrial {
                    subscription_id: s.id,
                    target_subscription_id: None,
                    quantity: None,
                    term: None,
                    billing: None,
                })
            } else {
                Command::Cancel(Cancel {
                    subscription_id: s.id,
                })
            };
            return Some((Who::Partner(s.partner), command));
        }
        None
    }

    /// A change to paid subscription `s`, or `None` when the draw asks for nothing.
    fn change(&mut self, s: &Owned, live: &[Owned], t: &Tick<'_>) -> Option<(Who, Command)> {
        let subscription_id = s.id;
        let keyed = keyed(&s.product);
        // Days since the seats were last bought: SEAT-2's and CAN-3's windows.
        let since_bought = t.day.saturating_sub(s.bought_on);
        let since_added = t.day.saturating_sub(s.added_on.unwrap_or(s.bought_on));
        let roll = self.rng.random_range(0..100);
        let command = match roll {
            0..=29 if !keyed || self.rng.random_bool(0.3) => {
                let most = if self.large { 25 } else { 5 };
                let seats = self.rng.random_range(1..most);
                Command::AddSeats(AddSeats {
                    subscription_id,
                    seats,
                })
            }
            // Reductions inside the window, and now and then one after it (SEAT-2).
            30..=41 if since_added < 7 || self.rng.random_bool(0.1) => {
                let seats = self.rng.random_range(1..4);
                Command::ReduceSeats(ReduceSeats {
                    subscription_id,
                    seats,
                })
            }
            42..=44 => Command::Suspend(Suspend { subscription_id }),
            45..=50 => {
                let enabled = !s.auto_renew || self.rng.random_bool(0.2);
                Command::SetAutoRenew(SetAutoRenew {
                    subscription_id,
                    enabled,
                })
            }
            51..=55 if s.auto_renew => self.next_term(s),
            56..=62 => self.upgrade(s, live)?,
            // Cancellations inside the refund window, and a few after it (CAN-3).
            63..=65 if since_bought < 7 || self.rng.random_bool(0.15) => {
                Command::Cancel(Cancel { subscription_id })
            }
            66..=67 if t.partners.len() > 1 && self.rng.random_bool(0.5) => {
                return Some(self.ask_to_move(s, t));
            }
            68..=85 if keyed => self.use_software(subscription_id),
            // Otherwise the customer has nothing to ask for this time.
            _ => return None,
        };
        Some((Who::Partner(s.partner), command))
    }

    /// New next-term instructions (REN-4), or clearing those set.
    fn next_term(&mut self, s: &Owned) -> Command {
        if s.scheduled && self.rng.random_bool(0.4) {
            Command::ClearScheduledChange(ClearScheduledChange {
                subscription_id: s.id,
            })
        } else {
            let quantity = self.rng.random_range(1..40);
            Command::ScheduleChange(ScheduleChange {
                subscription_id: s.id,
                change: ScheduledChange {
                    quantity: Some(quantity),
                    ..ScheduledChange::default()
                },
            })
        }
    }

    /// Keys and downloads of software, with a few KMS keys, which the rules never
    /// hand out (KEY-2).
    fn use_software(&mut self, subscription_id: Uuid) -> Command {
        let (version, os) = (Some("2022".to_owned()), Some("x64".to_owned()));
        match self.rng.random_range(0..40) {
            0 => Command::RevealKey(RevealKey {
                subscription_id,
                key_type: KeyType::KMS,
                version: None,
                language: None,
                os: None,
            }),
            1..=15 => Command::RevealKey(RevealKey {
                subscription_id,
                key_type: KeyType::MAK,
                version: None,
                language: None,
                os: None,
            }),
            16..=29 => Command::DownloadSoftware(DownloadSoftware {
                subscription_id,
                version,
                language: Some("en-US".to_owned()),
                os,
            }),
            _ => Command::CopyDownloadLink(CopyDownloadLink {
                subscription_id,
                version,
                language: Some("nl-NL".to_owned()),
                os,
            }),
        }
    }

    fn purchase(&mut self) -> (Who, Command) {
        let roll = self.rng.random_range(0..100);
        let has_base = self
            .owned
            .iter()
            .any(|o| o.live && ADD_ON_BASES.contains(&o.product.as_str()));
        let items = if roll < 8 && has_base {
            vec![item(&ADD_ON, self.rng.random_range(1..6))]
        } else if roll < 14 {
            let [first, second] = &TRIALS;
            let offer = if self.rng.random_bool(0.5) {
                first
            } else {
                second
            };
            vec![PurchaseItem {
                trial: true,
                ..item(offer, policy::TRIAL_SEATS)
            }]
        } else if roll < 26 {
            let offer = *pick(&mut self.rng, &SOFTWARE);
            vec![item(&offer, self.rng.random_range(1..6))]
        } else if roll < 32 {
            vec![item(pick(&mut self.rng, &OTHERS), 1)]
        } else {
            // An order of one to three licences.
            let lines = self.rng.random_range(1..4);
            let most = if self.large { 300 } else { 30 };
            (0..lines)
                .map(|_| {
                    let offer = *pick(&mut self.rng, &LICENSES);
                    item(&offer, self.rng.random_range(1..most))
                })
                .collect()
        };
        let purchase = Purchase {
            customer_id: self.id,
            order_id: None,
            items,
            reseller_id: None,
            additional_resellers: Vec::new(),
        };
        (Who::Partner(self.home), Command::Purchase(purchase))
    }

    /// An upgrade of `s`: along a path the catalog offers, or now and then one the
    /// rules refuse on purpose (UPG-2's unsupported table); `None` when neither.
    fn upgrade(&mut self, s: &Owned, live: &[Owned]) -> Option<Command> {
        let path = upgrade_from(&s.product)?;
        if !path.supported && !self.rng.random_bool(0.2) {
            return None;
        }
        let into = live
            .iter()
            .find(|o| o.product == path.to && o.partner == s.partner && !o.trial && !o.suspended)
            .map(|o| o.id);
        // The whole subscription (UPG-3) or some of its seats (UPG-4).
        let quantity = if self.rng.random_bool(0.4) {
            s.quantity.max(1)
        } else {
            self.rng.random_range(1..=s.quantity.clamp(1, 5))
        };
        Some(Command::Upgrade(Upgrade {
            subscription_id: s.id,
            target_product_id: path.to.to_owned(),
            quantity,
            target_subscription_id: into.filter(|_| self.rng.random_bool(0.5)),
            term: None,
            billing: None,
            timing: UpgradeTiming::Now,
        }))
    }

    /// The first step of a move to the next partner: it asks for a relationship.
    fn ask_to_move(&mut self, s: &Owned, t: &Tick<'_>) -> (Who, Command) {
        let target = (s.partner + 1) % t.partners.len();
        self.transfer = Some(TransferStep::Asked { target });
        let command = Command::RequestRelationship(RequestRelationship {
            customer_id: self.id,
        });
        (Who::Partner(target), command)
    }

    /// The next step of a move under way (REL-*, TRF-*).
    fn transfer_step(&mut self, step: TransferStep, t: &Tick<'_>) -> (Who, Command) {
        match step {
            TransferStep::Asked { target } => {
                let accept = AcceptRelationship {
                    partner_id: t.partners[target],
                };
                (Who::CustomerAdmin, Command::AcceptRelationship(accept))
            }
            TransferStep::Related { target } => {
                let source = (target + t.partners.len() - 1) % t.partners.len();
                let request = RequestTransfer {
                    customer_id: self.id,
                    source_partner_id: t.partners[source],
                    customer_email: customer_admin(self.index),
                };
                (Who::Partner(target), Command::RequestTransfer(request))
            }
            TransferStep::Requested {
                transfer_id,
                source,
            } => {
                self.transfer = None;
                (
                    Who::Partner(source),
                    self.answer_transfer(transfer_id, source),
                )
            }
        }
    }

    /// The source partner's answer: mostly accepting, with up to three of the
    /// subscriptions it holds.
    fn answer_transfer(&mut self, transfer_id: Uuid, source: usize) -> Command {
        if self.rng.random_bool(0.2) {
            return Command::RejectTransfer(RejectTransfer { transfer_id });
        }
        let subscription_ids = self
            .owned
            .iter()
            .filter(|o| o.live && !o.suspended && !o.trial && o.partner == source)
            .map(|o| o.id)
            .take(3)
            .collect();
        Command::AcceptTransfer(AcceptTransfer {
            transfer_id,
            subscription_ids,
        })
    }
}
