//! What the fuzz targets share: a customer state with some of everything (the
//! fixture `command_decide` decides against), the mapping of placeholder ids onto
//! it, and the text format of a stored record for `event_decode`.

use std::sync::OnceLock;

use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use subledger_domain::actor::{Actor, Role};
use subledger_domain::calendar::{Billing, Term};
use subledger_domain::command::{
    AcceptRelationship, AcceptTransfer, AddSeats, Cancel, Command, CommandTarget, CreateCustomer,
    Purchase, PurchaseItem, RequestRelationship, RequestTransfer, RevealKey, ScheduleChange,
    ScheduledChange, Segment, Suspend, Upgrade, UpgradeTiming,
};
use subledger_domain::event::{Event, EventData};
use subledger_domain::state::CustomerState;
use subledger_domain::{Catalog, CommandContext, decide, invariants, time};
use subledger_store::RecordedEvent;
use uuid::Uuid;

pub const PARTNER_A: Uuid = Uuid::from_u128(0xA000_0000_0000_0000_0000_0000_0000_000A);
pub const PARTNER_B: Uuid = Uuid::from_u128(0xB000_0000_0000_0000_0000_0000_0000_000B);
pub const PARTNER_C: Uuid = Uuid::from_u128(0xC000_0000_0000_0000_0000_0000_0000_000C);
/// A partner with no relationship to the customer.
pub const PARTNER_D: Uuid = Uuid::from_u128(0xD000_0000_0000_0000_0000_0000_0000_000D);
pub const CUSTOMER: Uuid = Uuid::from_u128(0x0C05_7000_0000_0000_0000_0000_0000_0001);

/// Ids below this are placeholders: [`Fixture::remap`] maps them onto the
/// fixture's own ids, so a seed (and the fuzzer) can name "the third
/// subscription" without knowing the ids derived from command ids.
pub const PLACEHOLDER_LIMIT: u128 = 0x100;

/// A customer's state after a short fixed history, and everything a target
/// needs to decide commands against it.
pub struct Fixture {
    pub catalog: Catalog,
    pub state: CustomerState,
    /// Every event of the history, in order (the seeds of `event_decode`).
    pub history: Vec<Event>,
    /// The instant of the last command.
    pub now: DateTime<Utc>,
    pub subscriptions: Vec<Uuid>,
    pub transfers: Vec<Uuid>,
    pub partners: Vec<Uuid>,
    pub actors: Vec<Actor>,
}

fn partner(partner_id: Uuid, roles: &[Role]) -> Actor {
    Actor::partner(format!("agent@{partner_id}"), partner_id, roles)
}

fn customer_admin() -> Actor {
    Actor::customer("admin@fabrikam.example", CUSTOMER)
}

fn line(product: &str, quantity: u32, term: Option<Term>, billing: Billing) -> PurchaseItem {
    PurchaseItem {
        subscription_id: None,
        product_id: product.to_owned(),
        quantity,
        term,
        billing,
        auto_renew: true,
        trial: false,
        promotion_id: None,
    }
}

struct Builder {
    catalog: Catalog,
    state: CustomerState,
    history: Vec<Event>,
    now: DateTime<Utc>,
    counter: u128,
}

impl Builder {
    fn advance(&mut self, by: Duration) {
        self.now += by;
        let events = time::due_events(&self.state, self.now, &self.catalog);
        for e in &events {
            self.state.apply(e);
        }
        self.history.extend(events);
    }

    /// Decides `command` now as `actor`; it must be accepted (the fixture is
    /// fixed, so a refusal is a defect of the fixture, not a finding).
    fn ok(&mut self, actor: &Actor, command: Command) -> Vec<Event> {
        self.counter += 1;
        let ctx = CommandContext {
            command_id: Uuid::from_u128(0xC0DE_0000_0000_0000_0000_0000_0000_0000 + self.counter),
            actor,
            now: self.now,
            key_fingerprint: Some("fp:fuzz-fixture"),
        };
        let events = decide(&self.state, &command, &ctx, &self.catalog)
            .unwrap_or_else(|r| panic!("fixture step {command:?} refused: {r}"));
        for e in &events {
            self.state.apply(e);
        }
        self.history.extend(events.iter().cloned());
        events
    }

    fn buy(&mut self, actor: &Actor, item: PurchaseItem) -> Uuid {
        let events = self.ok(
            actor,
            Command::Purchase(Purchase {
                customer_id: CUSTOMER,
                order_id: None,
                items: vec![item],
                reseller_id: None,
                additional_resellers: vec![],
            }),
        );
        created(&events)
    }

    fn relate(&mut self, partner_id: Uuid) {
        self.ok(
            &partner(partner_id, &[Role::AdminAgent, Role::GlobalAdmin]),
            Command::RequestRelationship(RequestRelationship {
                customer_id: CUSTOMER,
            }),
        );
        self.ok(
            &customer_admin(),
            Command::AcceptRelationship(AcceptRelationship { partner_id }),
        );
    }

    fn request_transfer(&mut self, by: Uuid) -> Uuid {
        let events = self.ok(
            &partner(by, &[Role::AdminAgent]),
            Command::RequestTransfer(RequestTransfer {
                customer_id: CUSTOMER,
                source_partner_id: PARTNER_A,
                customer_email: "it@fabrikam.example".into(),
            }),
        );
        events
            .iter()
            .find_map(|e| match &e.data {
                EventData::TransferRequested { transfer_id, .. } => Some(*transfer_id),
                _ => None,
            })
            .expect("a transfer request opens a transfer")
    }
}

fn created(events: &[Event]) -> Uuid {
    events
        .iter()
        .find_map(|e| match &e.data {
            EventData::SubscriptionCreated(c) => Some(c.subscription_id),
            _ => None,
        })
        .expect("a purchase creates a subscription")
}

fn build() -> Fixture {
    let mut b = Builder {
        catalog: Catalog::default_catalog(),
        state: CustomerState::default(),
        history: Vec::new(),
        now: "2026-01-31T10:00:00Z".parse().expect("an instant"),
        counter: 0,
    };
    let a = partner(PARTNER_A, &[Role::AdminAgent]);
    b.ok(
        &a,
        Command::CreateCustomer(CreateCustomer {
            customer_id: CUSTOMER,
            company_name: "Fabrikam".into(),
            domain: "fabrikam.example".into(),
            country: "NL".into(),
            segment: Segment::Commercial,
        }),
    );
    let e3 = b.buy(&a, line("m365-e3", 10, Some(Term::P1Y), Billing::Monthly));
    b.buy(
        &a,
        line("copilot-m365", 5, Some(Term::P1Y), Billing::Monthly),
    );
    let server = b.buy(
        &a,
        line(
            "windows-server-2022-standard",
            2,
            Some(Term::P1Y),
            Billing::Annual,
        ),
    );
    b.buy(
        &a,
        line("windows-server-2022-perpetual", 1, None, Billing::OneTime),
    );
    b.buy(
        &a,
        PurchaseItem {
            trial: true,
            ..line("m365-e5", 25, Some(Term::P1M), Billing::Monthly)
        },
    );
    let standard = b.buy(
        &a,
        line(
            "m365-business-standard",
            5,
            Some(Term::P1Y),
            Billing::Monthly,
        ),
    );
    let saas = b.buy(
        &a,
        line("isv-saas-monthly", 3, Some(Term::P1M), Billing::Monthly),
    );
    let basic = b.buy(
        &a,
        line("m365-business-basic", 6, Some(Term::P1Y), Billing::Monthly),
    );
    let moving = b.buy(
        &a,
        line("m365-business-basic", 4, Some(Term::P1M), Billing::Monthly),
    );
    b.buy(
        &a,
        line("azure-reserved-vm", 2, Some(Term::P1Y), Billing::Monthly),
    );
    let ems = b.buy(&a, line("ems-e3", 3, Some(Term::P1Y), Billing::Monthly));
    b.advance(Duration::days(2));
    b.ok(
        &a,
        Command::AddSeats(AddSeats {
            subscription_id: e3,
            seats: 5,
        }),
    );
    b.ok(
        &a,
        Command::ScheduleChange(ScheduleChange {
            subscription_id: e3,
            change: ScheduledChange {
                quantity: Some(12),
                ..ScheduledChange::default()
            },
        }),
    );
    b.ok(
        &a,
        Command::Suspend(Suspend {
            subscription_id: standard,
        }),
    );
    b.ok(
        &a,
        Command::Cancel(Cancel {
            subscription_id: saas,
        }),
    );
    b.ok(
        &a,
        Command::Cancel(Cancel {
            subscription_id: ems,
        }),
    );
    b.ok(
        &a,
        Command::RevealKey(RevealKey {
            subscription_id: server,
            key_type: Default::default(),
            version: None,
            language: None,
            os: None,
        }),
    );
    b.ok(
        &a,
        Command::Upgrade(Upgrade {
            subscription_id: basic,
            target_product_id: "m365-business-premium".into(),
            quantity: 2,
            target_subscription_id: None,
            term: None,
            billing: None,
            timing: UpgradeTiming::Now,
        }),
    );
    // Partner C takes one subscription over; partner B's request stays pending.
    b.relate(PARTNER_C);
    let done = b.request_transfer(PARTNER_C);
    b.ok(
        &a,
        Command::AcceptTransfer(AcceptTransfer {
            transfer_id: done,
            subscription_ids: vec![moving],
        }),
    );
    b.relate(PARTNER_B);
    b.request_transfer(PARTNER_B);
    b.advance(Duration::hours(1));
    let violations = invariants::check(&b.state);
    assert!(violations.is_empty(), "fixture breaks {violations:?}");
    let partners = vec![PARTNER_A, PARTNER_B, PARTNER_C, PARTNER_D];
    let actors = vec![
        partner(PARTNER_A, &[Role::AdminAgent]),
        partner(PARTNER_B, &[Role::AdminAgent]),
        partner(PARTNER_C, &[Role::AdminAgent, Role::GlobalAdmin]),
        partner(PARTNER_A, &[Role::SalesAgent]),
        partner(PARTNER_A, &[Role::HelpdeskAgent]),
        partner(PARTNER_A, &[Role::BillingAdmin, Role::GlobalAdmin]),
        customer_admin(),
        partner(PARTNER_D, &[Role::AdminAgent]),
        partner(PARTNER_A, &Role::ALL),
    ];
    Fixture {
        subscriptions: b.state.subscriptions.keys().copied().collect(),
        transfers: b.state.transfers.keys().copied().collect(),
        partners,
        actors,
        catalog: b.catalog,
        state: b.state,
        history: b.history,
        now: b.now,
    }
}

impl Fixture {
    /// The fixture, built once per process.
    pub fn get() -> &'static Fixture {
        static FIXTURE: OnceLock<Fixture> = OnceLock::new();
        FIXTURE.get_or_init(build)
    }

    /// The actor a command id picks (its last byte, modulo the actors).
    pub fn actor(&self, command_id: Uuid) -> &Actor {
        &self.actors[(command_id.as_u128() as u8 as usize) % self.actors.len()]
    }

    /// The instant a command is decided at: the fixture's, plus
    /// `expected_version` hours (modulo four years) when given, so the fuzzer
    /// reaches windows, renewals and expiries.
    pub fn instant(&self, expected_version: Option<u64>) -> DateTime<Utc> {
        let hours = expected_version.map_or(0, |v| v % (4 * 366 * 24));
        self.now + Duration::hours(i64::try_from(hours).unwrap_or(0))
    }

    /// Replaces every placeholder id (below [`PLACEHOLDER_LIMIT`]) in `command`
    /// by the fixture's id of that kind with that index (modulo).
    pub fn remap(&self, command: &mut Command) {
        let sub = |id: &mut Uuid| pick(id, &self.subscriptions);
        let transfer = |id: &mut Uuid| pick(id, &self.transfers);
        let partner = |id: &mut Uuid| pick(id, &self.partners);
        let customer = |id: &mut Uuid| pick(id, &[CUSTOMER]);
        match command {
            Command::CreateCustomer(c) => customer(&mut c.customer_id),
            Command::RequestRelationship(c) => customer(&mut c.customer_id),
            Command::AcceptRelationship(c) => partner(&mut c.partner_id),
            Command::Purchase(c) => {
                customer(&mut c.customer_id);
                for item in &mut c.items {
                    if let Some(id) = &mut item.subscription_id {
                        sub(id);
                    }
                }
            }
            Command::AddSeats(c) => sub(&mut c.subscription_id),
            Command::ReduceSeats(c) => sub(&mut c.subscription_id),
            Command::Suspend(c) => sub(&mut c.subscription_id),
            Command::Reactivate(c) => sub(&mut c.subscription_id),
            Command::SetAutoRenew(c) => sub(&mut c.subscription_id),
            Command::Upgrade(c) => {
                sub(&mut c.subscription_id);
                if let Some(id) = &mut c.target_subscription_id {
                    sub(id);
                }
            }
            Command::ScheduleChange(c) => sub(&mut c.subscription_id),
            Command::ClearScheduledChange(c) => sub(&mut c.subscription_id),
            Command::ConvertTrial(c) => {
                sub(&mut c.subscription_id);
                if let Some(id) = &mut c.target_subscription_id {
                    sub(id);
                }
            }
            Command::Cancel(c) => sub(&mut c.subscription_id),
            Command::RequestTransfer(c) => {
                customer(&mut c.customer_id);
                partner(&mut c.source_partner_id);
            }
            Command::AcceptTransfer(c) => {
                transfer(&mut c.transfer_id);
                c.subscription_ids.iter_mut().for_each(sub);
            }
            Command::RejectTransfer(c) => transfer(&mut c.transfer_id),
            Command::RevealKey(c) => sub(&mut c.subscription_id),
            Command::DownloadSoftware(c) => sub(&mut c.subscription_id),
            Command::CopyDownloadLink(c) => sub(&mut c.subscription_id),
        }
    }

    /// The state the ledger would decide `command` against: the fixture's for
    /// its own customer (and for what it holds), an empty one for another
    /// customer (a stream not written yet).
    pub fn state_for(&self, command: &Command) -> Option<&CustomerState> {
        match command.target() {
            CommandTarget::Customer(id) if id != CUSTOMER => None,
            _ => Some(&self.state),
        }
    }
}

fn pick(id: &mut Uuid, known: &[Uuid]) {
    let n = id.as_u128();
    if n < PLACEHOLDER_LIMIT && !known.is_empty() {
        *id = known[n as usize % known.len()];
    }
}

/// A stored record as text, the input format of `event_decode`:
/// line 1 the event type, line 2 the schema version (decimal), line 3 the
/// metadata JSON, the rest the payload JSON. Missing parts are empty.
pub fn record_from_text(input: &[u8]) -> RecordedEvent {
    let mut parts = input.splitn(4, |b| *b == b'\n');
    let event_type = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let schema_version = std::str::from_utf8(parts.next().unwrap_or_default())
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    let metadata = Bytes::copy_from_slice(parts.next().unwrap_or_default());
    let data = Bytes::copy_from_slice(parts.next().unwrap_or_default());
    RecordedEvent {
        stream: format!("customer-{CUSTOMER}"),
        version: 1,
        position: 1,
        event_id: Uuid::from_u128(0xE1),
        event_type,
        schema_version,
        data,
        metadata,
    }
}

/// The text of [`record_from_text`] for a record.
pub fn record_to_text(r: &RecordedEvent) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(r.event_type.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(r.schema_version.to_string().as_bytes());
    out.push(b'\n');
    out.extend_from_slice(&r.metadata);
    out.push(b'\n');
    out.extend_from_slice(&r.data);
    out
}
