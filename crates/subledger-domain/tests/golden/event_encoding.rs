//! Golden encodings of every event type. Stored events are never rewritten, so
//! the JSON an event serializes to must stay byte-identical across refactorings
//! (and must read back equal). Each case is pinned twice: in a full envelope
//! (actor and command id, as a command writes it) and bare (as time-driven work
//! writes it, REN-7).
//!
//! The payload vocabulary types (the segment, the scheduled change) are reached
//! through the events rather than named, so this file compiles unchanged
//! whichever module owns them.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use subledger_domain::actor::{Actor, Role};
use subledger_domain::calendar::{Billing, Term};
use subledger_domain::catalog::ProductKind;
use subledger_domain::event::{
    BillingLine, BillingReason, CancelReason, ClearReason, Event, EventData, ExpiryReason,
    KeyAccess, OrderLine, Origin, SeatBatch, SubscriptionCreated, SubscriptionRenewed, UpgradeMode,
};
use subledger_domain::money::Money;
use uuid::Uuid;

const CUSTOMER: Uuid = Uuid::from_u128(0x0c05_7000_0000_4000_8000_0000_0000_0001);
const PARTNER: Uuid = Uuid::from_u128(0xa000_0000_0000_4000_8000_0000_0000_000a);
const PARTNER_B: Uuid = Uuid::from_u128(0xb000_0000_0000_4000_8000_0000_0000_000b);
const RESELLER: Uuid = Uuid::from_u128(0x2e50_0000_0000_4000_8000_0000_0000_0001);
const ORDER: Uuid = Uuid::from_u128(0x0d0e_0000_0000_4000_8000_0000_0000_0001);
const SUB: Uuid = Uuid::from_u128(0x5ab0_0000_0000_4000_8000_0000_0000_0001);
const SUB_2: Uuid = Uuid::from_u128(0x5ab0_0000_0000_4000_8000_0000_0000_0002);
const TRANSFER: Uuid = Uuid::from_u128(0x7f00_0000_0000_4000_8000_0000_0000_0001);
const COMMAND: Uuid = Uuid::from_u128(0xc0de_0000_0000_4000_8000_0000_0000_0001);

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap_or_else(|e| panic!("bad instant {s}: {e}"))
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap_or_else(|e| panic!("bad date {s}: {e}"))
}

fn usd(minor: i64) -> Money {
    Money::new(minor, "USD")
}

fn batch(seats: u32, added: &str, until: &str) -> SeatBatch {
    SeatBatch {
        seats,
        added_at: at(added),
        refundable_until: at(until),
    }
}

fn created(origin: Origin) -> SubscriptionCreated {
    SubscriptionCreated {
        subscription_id: SUB,
        customer_id: CUSTOMER,
        partner_id: PARTNER,
        reseller_id: Some(RESELLER),
        origin,
        product_id: "m365-e3".into(),
        product_name: "Microsoft 365 E3".into(),
        kind: ProductKind::License,
        addon_of: Vec::new(),
        quantity: 10,
        trial: false,
        term: Some(Term::P1Y),
        billing: Billing::Monthly,
        unit_price: usd(3600),
        tax_inclusive: false,
        auto_renew: true,
        promotion_id: None,
        term_start: at("2025-03-10T09:30:00Z"),
        billing_anchor: date("2025-03-10"),
        term_end_date: Some(date("2026-03-09")),
        cancellation_allowed_until: Some(at("2025-03-17T09:30:00Z")),
        seat_batch: Some(batch(10, "2025-03-10T09:30:00Z", "2025-03-17T09:30:00Z")),
        cancellable: true,
        has_keys: false,
        legacy_software: false,
    }
}

fn billing_line(reason: BillingReason, amount: i64) -> BillingLine {
    BillingLine {
        customer_id: CUSTOMER,
        subscription_id: SUB,
        partner_id: PARTNER,
        product_id: "m365-e3".into(),
        seats: 3,
        unit_price: usd(3600),
        amount: usd(amount),
        period_start: date("2025-04-10"),
        period_end: date("2025-05-09"),
        period_days: 30,
        price_days: 30,
        days_charged: 21,
        tax_inclusive: true,
        reason,
    }
}

fn key_access(fingerprint: Option<&str>) -> KeyAccess {
    KeyAccess {
        customer_id: CUSTOMER,
        subscription_id: SUB,
        partner_id: PARTNER,
        product_id: "windows-server-2022-standard".into(),
        product_name: "Windows Server 2022 Standard".into(),
        user: "agent@partner-a.example".into(),
        role: Role::AdminAgent,
        version: Some("2022".into()),
        language: Some("en-US".into()),
        os: None,
        key_fingerprint: fingerprint.map(str::to_owned),
    }
}

/// One realistic payload of every event type, with some types shown in more
/// than one shape (optional fields present and absent).
fn payloads() -> Vec<EventData> {
    let customer_created = EventData::CustomerCreated {
        customer_id: CUSTOMER,
        company_name: "Contoso Schools".into(),
        domain: "contoso-schools.example".into(),
        country: "US".into(),
        segment: serde_json::from_str("\"education\"").expect("a segment"),
    };
    let mut change_set = EventData::ScheduledChangeSet {
        subscription_id: SUB,
        change: Default::default(),
    };
    if let EventData::ScheduledChangeSet { change, .. } = &mut change_set {
        change.quantity = Some(15);
        change.billing = Some(Billing::Annual);
    }
    let mut renewed = SubscriptionRenewed {
        subscription_id: SUB,
        product_id: "m365-e5".into(),
        product_name: "Microsoft 365 E5".into(),
        quantity: 15,
        term: Term::P1Y,
        billing: Billing::Annual,
        unit_price: usd(68400),
        term_start: at("2026-03-10T00:00:00Z"),
        billing_anchor: date("2026-03-10"),
        term_end_date: date("2027-02-28"),
        cancellation_allowed_until: Some(at("2026-03-17T00:00:00Z")),
        seat_batch: batch(15, "2026-03-10T00:00:00Z", "2026-03-17T00:00:00Z"),
        applied_change: Some(Default::default()),
        converted_from_trial: false,
    };
    if let Some(change) = &mut renewed.applied_change {
        change.product_id = Some("m365-e5".into());
        change.quantity = Some(15);
        change.term = Some(Term::P1Y);
        change.billing = Some(Billing::Annual);
        change.coterm_date = Some(date("2027-02-28"));
    }
    let trial_renewed = SubscriptionRenewed {
        applied_change: None,
        converted_from_trial: true,
        cancellation_allowed_until: None,
        ..renewed.clone()
    };
    let addon = SubscriptionCreated {
        product_id: "copilot-m365".into(),
        product_name: "Microsoft 365 Copilot".into(),
        kind: ProductKind::Addon,
        addon_of: vec!["m365-e3".into(), "m365-e5".into()],
        promotion_id: Some("copilot-launch".into()),
        tax_inclusive: true,
        ..created(Origin::Purchase { order_id: ORDER })
    };
    let upgraded_into = SubscriptionCreated {
        seat_batch: None,
        cancellation_allowed_until: None,
        cancellable: false,
        reseller_id: None,
        ..created(Origin::Upgrade {
            source_subscription_id: SUB_2,
        })
    };
    let trial_converted_into = SubscriptionCreated {
        trial: false,
        ..created(Origin::TrialConversion {
            trial_subscription_id: SUB_2,
        })
    };
    let software = SubscriptionCreated {
        product_id: "windows-server-2022-perpetual".into(),
        product_name: "Windows Server 2022 (perpetual)".into(),
        kind: ProductKind::PerpetualSoftware,
        term: None,
        billing: Billing::OneTime,
        auto_renew: false,
        term_end_date: None,
        has_keys: true,
        legacy_software: true,
        ..created(Origin::Transfer {
            transfer_id: TRANSFER,
            source_subscription_id: SUB_2,
        })
    };
    vec![
        customer_created,
        EventData::RelationshipRequested {
            customer_id: CUSTOMER,
            partner_id: PARTNER,
        },
        EventData::RelationshipEstablished {
            customer_id: CUSTOMER,
            partner_id: PARTNER,
        },
        EventData::OrderPlaced {
            order_id: ORDER,
            customer_id: CUSTOMER,
            partner_id: PARTNER,
            reseller_id: Some(RESELLER),
            additional_resellers: vec![PARTNER_B],
            lines: vec![
                OrderLine {
                    subscription_id: SUB,
                    product_id: "m365-e3".into(),
                    product_name: "Microsoft 365 E3".into(),
                    quantity: 10,
                    term: Some(Term::P1Y),
                    billing: Billing::Monthly,
                    trial: false,
                    auto_renew: true,
                    promotion_id: Some("spring-25".into()),
                    unit_price: usd(3600),
                },
                OrderLine {
                    subscription_id: SUB_2,
                    product_id: "windows-server-2022-perpetual".into(),
                    product_name: "Windows Server 2022 (perpetual)".into(),
                    quantity: 2,
                    term: None,
                    billing: Billing::OneTime,
                    trial: false,
                    auto_renew: false,
                    promotion_id: None,
                    unit_price: usd(97200),
                },
            ],
        },
        EventData::SubscriptionCreated(created(Origin::Purchase { order_id: ORDER })),
        EventData::SubscriptionCreated(addon),
        EventData::SubscriptionCreated(upgraded_into),
        EventData::SubscriptionCreated(trial_converted_into),
        EventData::SubscriptionCreated(software),
        EventData::Charged(billing_line(BillingReason::SeatsAdded, 7560)),
        EventData::Credited(billing_line(BillingReason::SeatsReduced, 7200)),
        EventData::SeatsAdded {
            subscription_id: SUB,
            seats: 3,
            quantity_after: 13,
            seat_batch: Some(batch(3, "2025-04-19T12:00:00Z", "2025-04-26T12:00:00Z")),
        },
        EventData::SeatsAdded {
            subscription_id: SUB_2,
            seats: 4,
            quantity_after: 9,
            seat_batch: None,
        },
        EventData::SeatsReduced {
            subscription_id: SUB,
            seats: 4,
            quantity_after: 9,
            taken_from: vec![
                batch(3, "2025-04-19T12:00:00Z", "2025-04-26T12:00:00Z"),
                batch(1, "2025-04-18T08:00:00Z", "2025-04-25T08:00:00Z"),
            ],
        },
        EventData::SubscriptionSuspended {
            subscription_id: SUB,
            base_subscription_id: None,
        },
        EventData::SubscriptionSuspended {
            subscription_id: SUB_2,
            base_subscription_id: Some(SUB),
        },
        EventData::SubscriptionReactivated {
            subscription_id: SUB,
        },
        EventData::AutoRenewSet {
            subscription_id: SUB,
            enabled: false,
        },
        change_set,
        EventData::ScheduledChangeCleared {
            subscription_id: SUB,
            reason: ClearReason::QuantityChanged,
        },
        EventData::SubscriptionUpgraded {
            subscription_id: SUB,
            target_subscription_id: SUB_2,
            mode: UpgradeMode::NewSubscription,
            from_product_id: "m365-e3".into(),
            to_product_id: "m365-e5".into(),
            to_product_name: "Microsoft 365 E5".into(),
            seats_moved: 4,
            source_quantity_after: 6,
            unit_price: usd(5700),
        },
        EventData::CancellationScheduled {
            subscription_id: SUB,
            effective_at: at("2026-03-10T00:00:00Z"),
        },
        EventData::SubscriptionCancelled {
            subscription_id: SUB,
            reason: CancelReason::Requested,
            keys_revoked: true,
        },
        EventData::SubscriptionRenewed(renewed),
        EventData::SubscriptionRenewed(trial_renewed),
        EventData::SubscriptionExpired {
            subscription_id: SUB,
            reason: ExpiryReason::SuspendedAtTermEnd,
            data_deleted: true,
        },
        EventData::TrialConverted {
            subscription_id: SUB_2,
            target_subscription_id: SUB,
            seats: 25,
            into_existing: true,
            automatic: false,
        },
        EventData::TransferRequested {
            transfer_id: TRANSFER,
            customer_id: CUSTOMER,
            source_partner_id: PARTNER,
            target_partner_id: PARTNER_B,
            customer_email: "it@contoso-schools.example".into(),
            expires_at: at("2025-05-19T12:00:00Z"),
        },
        EventData::SubscriptionTransferred {
            subscription_id: SUB,
            transfer_id: TRANSFER,
            to_subscription_id: SUB_2,
            to_partner_id: PARTNER_B,
        },
        EventData::TransferAccepted {
            transfer_id: TRANSFER,
            subscription_ids: vec![SUB],
            new_subscription_ids: vec![SUB_2],
        },
        EventData::TransferRejected {
            transfer_id: TRANSFER,
        },
        EventData::TransferExpired {
            transfer_id: TRANSFER,
        },
        EventData::KeyRevealed(key_access(Some("sha256:9f86d081884c7d65"))),
        EventData::SoftwareDownloaded(key_access(None)),
        EventData::DownloadLinkCopied(key_access(None)),
    ]
}

const AT: &str = "2025-04-19T12:00:00Z";

fn enveloped(data: EventData) -> Event {
    Event {
        at: at(AT),
        command_id: Some(COMMAND),
        actor: Some(Actor::partner(
            "agent@partner-a.example",
            PARTNER,
            &[Role::AdminAgent, Role::SalesAgent],
        )),
        data,
    }
}

fn bare(data: EventData) -> Event {
    Event {
        at: at(AT),
        command_id: None,
        actor: None,
        data,
    }
}

/// What the envelope adds between `at` and the payload, as stored.
const ENVELOPE: &str = r#""command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"#;

const AT_FIELD: &str = r#"{"at":"2025-04-19T12:00:00Z","#;

/// The stored encoding of each payload of [`payloads`], in a full envelope.
const EXPECTED: &[&str] = &[
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"CustomerCreated","data":{"customer_id":"0c057000-0000-4000-8000-000000000001","company_name":"Contoso Schools","domain":"contoso-schools.example","country":"US","segment":"education"}}"#,
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"RelationshipRequested","data":{"customer_id":"0c057000-0000-4000-8000-000000000001","partner_id":"a0000000-0000-4000-8000-00000000000a"}}"#,
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"RelationshipEstablished","data":{"customer_id":"0c057000-0000-4000-8000-000000000001","partner_id":"a0000000-0000-4000-8000-00000000000a"}}"#,
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"OrderPlaced","data":{"order_id":"0d0e0000-0000-4000-8000-000000000001","customer_id":"0c057000-0000-4000-8000-000000000001","partner_id":"a0000000-0000-4000-8000-00000000000a","reseller_id":"2e500000-0000-4000-8000-000000000001","additional_resellers":["b0000000-0000-4000-8000-00000000000b"],"lines":[{"subscription_id":"5ab00000-0000-4000-8000-000000000001","product_id":"m365-e3","product_name":"Microsoft 365 E3","quantity":10,"term":"P1Y","billing":"monthly","trial":false,"auto_renew":true,"promotion_id":"spring-25","unit_price":{"amount_minor":3600,"currency":"USD"}},{"subscription_id":"5ab00000-0000-4000-8000-000000000002","product_id":"windows-server-2022-perpetual","product_name":"Windows Server 2022 (perpetual)","quantity":2,"term":null,"billing":"one_time","trial":false,"auto_renew":false,"promotion_id":null,"unit_price":{"amount_minor":97200,"currency":"USD"}}]}}"#,
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"SubscriptionCreated","data":{"subscription_id":"5ab00000-0000-4000-8000-000000000001","customer_id":"0c057000-0000-4000-8000-000000000001","partner_id":"a0000000-0000-4000-8000-00000000000a","reseller_id":"2e500000-0000-4000-8000-000000000001","origin":{"kind":"purchase","order_id":"0d0e0000-0000-4000-8000-000000000001"},"product_id":"m365-e3","product_name":"Microsoft 365 E3","kind":"license","quantity":10,"trial":false,"term":"P1Y","billing":"monthly","unit_price":{"amount_minor":3600,"currency":"USD"},"tax_inclusive":false,"auto_renew":true,"promotion_id":null,"term_start":"2025-03-10T09:30:00Z","billing_anchor":"2025-03-10","term_end_date":"2026-03-09","cancellation_allowed_until":"2025-03-17T09:30:00Z","seat_batch":{"seats":10,"added_at":"2025-03-10T09:30:00Z","refundable_until":"2025-03-17T09:30:00Z"},"cancellable":true,"has_keys":false,"legacy_software":false}}"#,
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"SubscriptionCreated","data":{"subscription_id":"5ab00000-0000-4000-8000-000000000001","customer_id":"0c057000-0000-4000-8000-000000000001","partner_id":"a0000000-0000-4000-8000-00000000000a","reseller_id":"2e500000-0000-4000-8000-000000000001","origin":{"kind":"purchase","order_id":"0d0e0000-0000-4000-8000-000000000001"},"product_id":"copilot-m365","product_name":"Microsoft 365 Copilot","kind":"addon","addon_of":["m365-e3","m365-e5"],"quantity":10,"trial":false,"term":"P1Y","billing":"monthly","unit_price":{"amount_minor":3600,"currency":"USD"},"tax_inclusive":true,"auto_renew":true,"promotion_id":"copilot-launch","term_start":"2025-03-10T09:30:00Z","billing_anchor":"2025-03-10","term_end_date":"2026-03-09","cancellation_allowed_until":"2025-03-17T09:30:00Z","seat_batch":{"seats":10,"added_at":"2025-03-10T09:30:00Z","refundable_until":"2025-03-17T09:30:00Z"},"cancellable":true,"has_keys":false,"legacy_software":false}}"#,
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"SubscriptionCreated","data":{"subscription_id":"5ab00000-0000-4000-8000-000000000001","customer_id":"0c057000-0000-4000-8000-000000000001","partner_id":"a0000000-0000-4000-8000-00000000000a","reseller_id":null,"origin":{"kind":"upgrade","source_subscription_id":"5ab00000-0000-4000-8000-000000000002"},"product_id":"m365-e3","product_name":"Microsoft 365 E3","kind":"license","quantity":10,"trial":false,"term":"P1Y","billing":"monthly","unit_price":{"amount_minor":3600,"currency":"USD"},"tax_inclusive":false,"auto_renew":true,"promotion_id":null,"term_start":"2025-03-10T09:30:00Z","billing_anchor":"2025-03-10","term_end_date":"2026-03-09","cancellation_allowed_until":null,"seat_batch":null,"cancellable":false,"has_keys":false,"legacy_software":false}}"#,
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"SubscriptionCreated","data":{"subscription_id":"5ab00000-0000-4000-8000-000000000001","customer_id":"0c057000-0000-4000-8000-000000000001","partner_id":"a0000000-0000-4000-8000-00000000000a","reseller_id":"2e500000-0000-4000-8000-000000000001","origin":{"kind":"trial_conversion","trial_subscription_id":"5ab00000-0000-4000-8000-000000000002"},"product_id":"m365-e3","product_name":"Microsoft 365 E3","kind":"license","quantity":10,"trial":false,"term":"P1Y","billing":"monthly","unit_price":{"amount_minor":3600,"currency":"USD"},"tax_inclusive":false,"auto_renew":true,"promotion_id":null,"term_start":"2025-03-10T09:30:00Z","billing_anchor":"2025-03-10","term_end_date":"2026-03-09","cancellation_allowed_until":"2025-03-17T09:30:00Z","seat_batch":{"seats":10,"added_at":"2025-03-10T09:30:00Z","refundable_until":"2025-03-17T09:30:00Z"},"cancellable":true,"has_keys":false,"legacy_software":false}}"#,
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"SubscriptionCreated","data":{"subscription_id":"5ab00000-0000-4000-8000-000000000001","customer_id":"0c057000-0000-4000-8000-000000000001","partner_id":"a0000000-0000-4000-8000-00000000000a","reseller_id":"2e500000-0000-4000-8000-000000000001","origin":{"kind":"transfer","transfer_id":"7f000000-0000-4000-8000-000000000001","source_subscription_id":"5ab00000-0000-4000-8000-000000000002"},"product_id":"windows-server-2022-perpetual","product_name":"Windows Server 2022 (perpetual)","kind":"perpetual_software","quantity":10,"trial":false,"term":null,"billing":"one_time","unit_price":{"amount_minor":3600,"currency":"USD"},"tax_inclusive":false,"auto_renew":false,"promotion_id":null,"term_start":"2025-03-10T09:30:00Z","billing_anchor":"2025-03-10","term_end_date":null,"cancellation_allowed_until":"2025-03-17T09:30:00Z","seat_batch":{"seats":10,"added_at":"2025-03-10T09:30:00Z","refundable_until":"2025-03-17T09:30:00Z"},"cancellable":true,"has_keys":true,"legacy_software":true}}"#,
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"Charged","data":{"customer_id":"0c057000-0000-4000-8000-000000000001","subscription_id":"5ab00000-0000-4000-8000-000000000001","partner_id":"a0000000-0000-4000-8000-00000000000a","product_id":"m365-e3","seats":3,"unit_price":{"amount_minor":3600,"currency":"USD"},"amount":{"amount_minor":7560,"currency":"USD"},"period_start":"2025-04-10","period_end":"2025-05-09","period_days":30,"price_days":30,"days_charged":21,"tax_inclusive":true,"reason":"seats_added"}}"#,
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"Credited","data":{"customer_id":"0c057000-0000-4000-8000-000000000001","subscription_id":"5ab00000-0000-4000-8000-000000000001","partner_id":"a0000000-0000-4000-8000-00000000000a","product_id":"m365-e3","seats":3,"unit_price":{"amount_minor":3600,"currency":"USD"},"amount":{"amount_minor":7200,"currency":"USD"},"period_start":"2025-04-10","period_end":"2025-05-09","period_days":30,"price_days":30,"days_charged":21,"tax_inclusive":true,"reason":"seats_reduced"}}"#,
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"SeatsAdded","data":{"subscription_id":"5ab00000-0000-4000-8000-000000000001","seats":3,"quantity_after":13,"seat_batch":{"seats":3,"added_at":"2025-04-19T12:00:00Z","refundable_until":"2025-04-26T12:00:00Z"}}}"#,
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"SeatsAdded","data":{"subscription_id":"5ab00000-0000-4000-8000-000000000002","seats":4,"quantity_after":9,"seat_batch":null}}"#,
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"SeatsReduced","data":{"subscription_id":"5ab00000-0000-4000-8000-000000000001","seats":4,"quantity_after":9,"taken_from":[{"seats":3,"added_at":"2025-04-19T12:00:00Z","refundable_until":"2025-04-26T12:00:00Z"},{"seats":1,"added_at":"2025-04-18T08:00:00Z","refundable_until":"2025-04-25T08:00:00Z"}]}}"#,
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"SubscriptionSuspended","data":{"subscription_id":"5ab00000-0000-4000-8000-000000000001","base_subscription_id":null}}"#,
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"SubscriptionSuspended","data":{"subscription_id":"5ab00000-0000-4000-8000-000000000002","base_subscription_id":"5ab00000-0000-4000-8000-000000000001"}}"#,
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"SubscriptionReactivated","data":{"subscription_id":"5ab00000-0000-4000-8000-000000000001"}}"#,
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"AutoRenewSet","data":{"subscription_id":"5ab00000-0000-4000-8000-000000000001","enabled":false}}"#,
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"ScheduledChangeSet","data":{"subscription_id":"5ab00000-0000-4000-8000-000000000001","change":{"product_id":null,"quantity":15,"term":null,"billing":"annual","coterm_date":null}}}"#,
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"ScheduledChangeCleared","data":{"subscription_id":"5ab00000-0000-4000-8000-000000000001","reason":"quantity_changed"}}"#,
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"SubscriptionUpgraded","data":{"subscription_id":"5ab00000-0000-4000-8000-000000000001","target_subscription_id":"5ab00000-0000-4000-8000-000000000002","mode":"new_subscription","from_product_id":"m365-e3","to_product_id":"m365-e5","to_product_name":"Microsoft 365 E5","seats_moved":4,"source_quantity_after":6,"unit_price":{"amount_minor":5700,"currency":"USD"}}}"#,
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"CancellationScheduled","data":{"subscription_id":"5ab00000-0000-4000-8000-000000000001","effective_at":"2026-03-10T00:00:00Z"}}"#,
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"SubscriptionCancelled","data":{"subscription_id":"5ab00000-0000-4000-8000-000000000001","reason":"requested","keys_revoked":true}}"#,
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"SubscriptionRenewed","data":{"subscription_id":"5ab00000-0000-4000-8000-000000000001","product_id":"m365-e5","product_name":"Microsoft 365 E5","quantity":15,"term":"P1Y","billing":"annual","unit_price":{"amount_minor":68400,"currency":"USD"},"term_start":"2026-03-10T00:00:00Z","billing_anchor":"2026-03-10","term_end_date":"2027-02-28","cancellation_allowed_until":"2026-03-17T00:00:00Z","seat_batch":{"seats":15,"added_at":"2026-03-10T00:00:00Z","refundable_until":"2026-03-17T00:00:00Z"},"applied_change":{"product_id":"m365-e5","quantity":15,"term":"P1Y","billing":"annual","coterm_date":"2027-02-28"},"converted_from_trial":false}}"#,
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"SubscriptionRenewed","data":{"subscription_id":"5ab00000-0000-4000-8000-000000000001","product_id":"m365-e5","product_name":"Microsoft 365 E5","quantity":15,"term":"P1Y","billing":"annual","unit_price":{"amount_minor":68400,"currency":"USD"},"term_start":"2026-03-10T00:00:00Z","billing_anchor":"2026-03-10","term_end_date":"2027-02-28","cancellation_allowed_until":null,"seat_batch":{"seats":15,"added_at":"2026-03-10T00:00:00Z","refundable_until":"2026-03-17T00:00:00Z"},"applied_change":null,"converted_from_trial":true}}"#,
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"SubscriptionExpired","data":{"subscription_id":"5ab00000-0000-4000-8000-000000000001","reason":"suspended_at_term_end","data_deleted":true}}"#,
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"TrialConverted","data":{"subscription_id":"5ab00000-0000-4000-8000-000000000002","target_subscription_id":"5ab00000-0000-4000-8000-000000000001","seats":25,"into_existing":true,"automatic":false}}"#,
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"TransferRequested","data":{"transfer_id":"7f000000-0000-4000-8000-000000000001","customer_id":"0c057000-0000-4000-8000-000000000001","source_partner_id":"a0000000-0000-4000-8000-00000000000a","target_partner_id":"b0000000-0000-4000-8000-00000000000b","customer_email":"it@contoso-schools.example","expires_at":"2025-05-19T12:00:00Z"}}"#,
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"SubscriptionTransferred","data":{"subscription_id":"5ab00000-0000-4000-8000-000000000001","transfer_id":"7f000000-0000-4000-8000-000000000001","to_subscription_id":"5ab00000-0000-4000-8000-000000000002","to_partner_id":"b0000000-0000-4000-8000-00000000000b"}}"#,
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"TransferAccepted","data":{"transfer_id":"7f000000-0000-4000-8000-000000000001","subscription_ids":["5ab00000-0000-4000-8000-000000000001"],"new_subscription_ids":["5ab00000-0000-4000-8000-000000000002"]}}"#,
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"TransferRejected","data":{"transfer_id":"7f000000-0000-4000-8000-000000000001"}}"#,
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"TransferExpired","data":{"transfer_id":"7f000000-0000-4000-8000-000000000001"}}"#,
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"KeyRevealed","data":{"customer_id":"0c057000-0000-4000-8000-000000000001","subscription_id":"5ab00000-0000-4000-8000-000000000001","partner_id":"a0000000-0000-4000-8000-00000000000a","product_id":"windows-server-2022-standard","product_name":"Windows Server 2022 Standard","user":"agent@partner-a.example","role":"admin_agent","version":"2022","language":"en-US","os":null,"key_fingerprint":"sha256:9f86d081884c7d65"}}"#,
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"SoftwareDownloaded","data":{"customer_id":"0c057000-0000-4000-8000-000000000001","subscription_id":"5ab00000-0000-4000-8000-000000000001","partner_id":"a0000000-0000-4000-8000-00000000000a","product_id":"windows-server-2022-standard","product_name":"Windows Server 2022 Standard","user":"agent@partner-a.example","role":"admin_agent","version":"2022","language":"en-US","os":null}}"#,
    r#"{"at":"2025-04-19T12:00:00Z","command_id":"c0de0000-0000-4000-8000-000000000001","actor":{"user":"agent@partner-a.example","partner_id":"a0000000-0000-4000-8000-00000000000a","roles":["admin_agent","sales_agent"]},"type":"DownloadLinkCopied","data":{"customer_id":"0c057000-0000-4000-8000-000000000001","subscription_id":"5ab00000-0000-4000-8000-000000000001","partner_id":"a0000000-0000-4000-8000-00000000000a","product_id":"windows-server-2022-standard","product_name":"Windows Server 2022 Standard","user":"agent@partner-a.example","role":"admin_agent","version":"2022","language":"en-US","os":null}}"#,
];

#[test]
fn every_event_type_is_pinned() {
    let names: BTreeSet<&str> = payloads().iter().map(EventData::type_name).collect();
    assert_eq!(names.len(), 28, "{names:?}");
    assert_eq!(payloads().len(), EXPECTED.len());
}

#[test]
fn gen_1_events_encode_byte_identically_in_a_full_envelope() {
    for (data, expected) in payloads().into_iter().zip(EXPECTED) {
        let event = enveloped(data);
        let json = serde_json::to_string(&event).expect("events serialize");
        assert_eq!(&json, expected, "{}", event.data.type_name());
        let back: Event = serde_json::from_str(expected).expect("events deserialize");
        assert_eq!(back, event);
    }
}

#[test]
fn gen_1_events_encode_byte_identically_without_actor_or_command() {
    for (data, expected) in payloads().into_iter().zip(EXPECTED) {
        let expected = expected.replacen(ENVELOPE, "", 1);
        assert!(expected.starts_with(AT_FIELD), "{expected}");
        let event = bare(data);
        let json = serde_json::to_string(&event).expect("events serialize");
        assert_eq!(json, expected, "{}", event.data.type_name());
        let back: Event = serde_json::from_str(&expected).expect("events deserialize");
        assert_eq!(back, event);
    }
}
