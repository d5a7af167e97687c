//! TRI-1..6: trials.
//!
//! The trial is Microsoft 365 Business Premium (paid: EUR 20.60 a seat a month on
//! P1Y monthly, EUR 247.20 a seat a year on P1Y annual), bought on 2026-01-10 at
//! 09:00: P1M, so its term ends 2026-02-09 and it converts or expires at
//! 2026-02-10T00:00:00Z.

mod support;

use subledger_domain::calendar::{Billing, Term};
use subledger_domain::command::ScheduledChange;
use subledger_domain::command::{
    AddSeats, Cancel, ConvertTrial, Reactivate, ReduceSeats, ScheduleChange, SetAutoRenew, Suspend,
};
use subledger_domain::command::{Command, PurchaseItem};
use subledger_domain::event::{BillingReason, ClearReason, Event, EventData, ExpiryReason, Origin};
use subledger_domain::state::Status;
use subledger_domain::view::SubscriptionView;
use subledger_domain::{Role, invariants};
use support::*;
use uuid::Uuid;

const PREMIUM: &str = "m365-business-premium";
const PREMIUM_P1Y_MONTHLY: i64 = 2060;
const PREMIUM_P1Y_ANNUAL: i64 = 24720;

fn trial_item(product: &str) -> PurchaseItem {
    let mut it = item(product, 25, P1M, Billing::Monthly);
    it.trial = true;
    it
}

fn with_trial() -> (Scenario, Uuid) {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let id = sc.buy_item(trial_item(PREMIUM));
    (sc, id)
}

fn convert_new(
    id: Uuid,
    quantity: Option<u32>,
    term: Option<Term>,
    billing: Option<Billing>,
) -> Command {
    Command::ConvertTrial(ConvertTrial {
        subscription_id: id,
        target_subscription_id: None,
        quantity,
        term,
        billing,
    })
}

fn convert_into(id: Uuid, target: Uuid) -> Command {
    Command::ConvertTrial(ConvertTrial {
        subscription_id: id,
        target_subscription_id: Some(target),
        quantity: None,
        term: None,
        billing: None,
    })
}

fn types(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(|e| e.data.type_name()).collect()
}

// ---------------------------------------------------------------- TRI-1

#[test]
fn tri_1_a_trial_has_25_seats_p1m_auto_renew_on_and_no_charge() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let out = sc.when(Scenario::purchase(vec![trial_item(PREMIUM)]));
    let events = out.then_types(&["OrderPlaced", "SubscriptionCreated"]);
    assert!(out.billing().is_empty(), "trials are not charged (BIL-2)");
    let id = created_id(events);
    let s = sc.sub(id);
    assert!(s.trial);
    assert_eq!(s.quantity, 25);
    assert_eq!(s.term, P1M);
    assert_eq!(s.billing, Billing::Monthly);
    assert!(s.auto_renew, "auto-renew is on by default");
    assert_eq!(s.unit_price.amount_minor, 0);
    assert_eq!(s.term_end_date, Some(date("2026-02-09")));
    assert_eq!(s.status, Status::Active);
    let v = SubscriptionView::of(s, sc.now, 0);
    assert!(v.trial);
    assert_eq!(v.next_renewal_at, Some(at("2026-02-10T00:00:00Z")));
    // No period charges during the trial.
    assert!(sc.advance_to("2026-02-09T23:59:59Z").is_empty());
}

#[test]
fn tri_1_a_trial_with_other_seats_or_term_is_refused() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let before = sc.state.clone();
    for (q, term, billing) in [
        (24, P1M, Billing::Monthly),
        (26, P1M, Billing::Monthly),
        (25, P1Y, Billing::Monthly),
        (25, P1Y, Billing::Annual),
    ] {
        let mut it = trial_item(PREMIUM);
        it.quantity = q;
        it.term = term;
        it.billing = billing;
        sc.when(Scenario::purchase(vec![it]))
            .then_rejected("InvalidRequest", "TRI-1");
    }
    // Only products with a trial offer (PUR-12).
    sc.when(Scenario::purchase(vec![trial_item("m365-e3")]))
        .then_rejected("TrialNotOffered", "PUR-12");
    assert_eq!(sc.state, before);
}

#[test]
fn tri_1_a_trial_may_be_bought_with_auto_renew_off() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let mut it = trial_item("m365-e5");
    it.auto_renew = false;
    let id = sc.buy_item(it);
    assert!(!sc.sub(id).auto_renew);
}

// ---------------------------------------------------------------- TRI-2

#[test]
fn tri_2_at_its_end_a_trial_converts_to_p1y_monthly_with_25_seats() {
    let (mut sc, id) = with_trial();
    assert!(sc.advance_to("2026-02-09T23:59:59Z").is_empty());
    assert!(sc.sub(id).trial);
    let due = sc.advance_to("2026-02-10T00:00:00Z");
    assert_eq!(
        types(&due),
        ["TrialConverted", "SubscriptionRenewed", "Charged"]
    );
    match &due[0].data {
        EventData::TrialConverted {
            subscription_id,
            target_subscription_id,
            seats,
            into_existing,
            automatic,
        } => {
            assert_eq!((*subscription_id, *target_subscription_id), (id, id));
            assert_eq!(*seats, 25);
            assert!(!into_existing);
            assert!(*automatic);
        }
        other => panic!("unexpected {other:?}"),
    }
    match &due[1].data {
        EventData::SubscriptionRenewed(r) => {
            assert_eq!(r.term, Term::P1Y);
            assert_eq!(r.billing, Billing::Monthly);
            assert_eq!(r.quantity, 25);
            assert_eq!(r.unit_price.amount_minor, PREMIUM_P1Y_MONTHLY);
            assert_eq!(r.term_end_date, date("2027-02-09"));
            assert!(r.converted_from_trial);
        }
        other => panic!("unexpected {other:?}"),
    }
    match &due[2].data {
        EventData::Charged(l) => {
            // 20.60 × 25 for the month 2026-02-10..2026-03-09.
            assert_eq!(l.amount.amount_minor, 51_500);
            assert_eq!(l.reason, BillingReason::TrialConversion);
            assert_eq!(l.period_start, date("2026-02-10"));
            assert_eq!(l.period_end, date("2026-03-09"));
        }
        other => panic!("unexpected {other:?}"),
    }
    let s = sc.sub(id);
    assert!(!s.trial);
    assert_eq!(s.status, Status::Active);
    assert_eq!(s.quantity, 25);
    assert!(invariants::check(&sc.state).is_empty());
    // Now paid: the next month is charged.
    let due = sc.advance_to("2026-03-10T00:00:00Z");
    assert_eq!(types(&due), ["Charged"]);
}

#[test]
fn tri_2_a_converted_trial_is_a_normal_paid_subscription() {
    let (mut sc, id) = with_trial();
    sc.advance_to("2026-02-10T00:00:00Z");
    // Its new term opens the usual windows (REN-2).
    sc.advance_to("2026-02-16T23:59:59Z");
    sc.when(Command::ReduceSeats(ReduceSeats {
        subscription_id: id,
        seats: 5,
    }))
    .then_types(&["SeatsReduced", "Credited"]);
    sc.when(Command::AddSeats(AddSeats {
        subscription_id: id,
        seats: 1,
    }))
    .then_types(&["SeatsAdded", "Charged"]);
    assert_eq!(sc.sub(id).quantity, 21);
}

#[test]
fn tri_2_with_auto_renew_off_the_trial_expires() {
    let (mut sc, id) = with_trial();
    sc.ok(Command::SetAutoRenew(SetAutoRenew {
        subscription_id: id,
        enabled: false,
    }));
    assert!(sc.advance_to("2026-02-09T23:59:59Z").is_empty());
    let due = sc.advance_to("2026-02-10T00:00:00Z");
    assert_eq!(types(&due), ["SubscriptionExpired"]);
    assert!(matches!(
        due[0].data,
        EventData::SubscriptionExpired {
            reason: ExpiryReason::TrialEnded,
            data_deleted: false,
            ..
        }
    ));
    assert_eq!(sc.sub(id).status, Status::Expired);
    assert!(
        sc.advance_to("2026-06-01T00:00:00Z").is_empty(),
        "never charged"
    );
}

#[test]
fn tri_2_a_scheduled_conversion_may_use_fewer_than_25_seats() {
    let (mut sc, id) = with_trial();
    sc.ok(Command::ScheduleChange(ScheduleChange {
        subscription_id: id,
        change: ScheduledChange {
            product_id: None,
            quantity: Some(10),
            term: None,
            billing: None,
            coterm_date: None,
        },
    }));
    // The trial itself keeps its 25 seats until the end.
    assert_eq!(sc.sub(id).quantity, 25);
    let due = sc.advance_to("2026-02-10T00:00:00Z");
    assert_eq!(
        types(&due),
        ["TrialConverted", "SubscriptionRenewed", "Charged"]
    );
    assert!(matches!(
        due[0].data,
        EventData::TrialConverted { seats: 10, .. }
    ));
    let b: Vec<i64> = due
        .iter()
        .filter_map(|e| match &e.data {
            EventData::Charged(l) => Some(l.amount.amount_minor),
            _ => None,
        })
        .collect();
    assert_eq!(b, vec![10 * PREMIUM_P1Y_MONTHLY]);
    assert_eq!(sc.sub(id).quantity, 10);
    assert_eq!(sc.sub(id).scheduled_change, None);
}

#[test]
fn tri_2_a_scheduled_conversion_may_choose_annual_billing() {
    let (mut sc, id) = with_trial();
    sc.ok(Command::ScheduleChange(ScheduleChange {
        subscription_id: id,
        change: ScheduledChange {
            product_id: None,
            quantity: None,
            term: None,
            billing: Some(Billing::Annual),
            coterm_date: None,
        },
    }));
    let due = sc.advance_to("2026-02-10T00:00:00Z");
    let s = sc.sub(id);
    assert_eq!((s.term, s.billing, s.quantity), (P1Y, Billing::Annual, 25));
    let charged: i64 = due
        .iter()
        .filter_map(|e| match &e.data {
            EventData::Charged(l) => Some(l.amount.amount_minor),
            _ => None,
        })
        .sum();
    assert_eq!(charged, 25 * PREMIUM_P1Y_ANNUAL);
}

#[test]
fn tri_2_a_scheduled_conversion_is_checked_against_the_paid_p1y_term() {
    // The next term of a trial is the paid P1Y one (2026-02-10..2027-02-09), not
    // another month: a coterm date in December 2026 fits it.
    let (mut sc, id) = with_trial();
    let coterm = |d: &str| {
        Command::ScheduleChange(ScheduleChange {
            subscription_id: id,
            change: ScheduledChange {
                product_id: None,
                quantity: None,
                term: None,
                billing: None,
                coterm_date: Some(date(d)),
            },
        })
    };
    let rej = sc
        .when(coterm("2027-02-10"))
        .then_rejected("InvalidRequest", "REN-4")
        .clone();
    assert_eq!(detail(&rej, "next_term_end"), "2027-02-09");
    sc.ok(coterm("2026-12-31"));
    sc.advance_to("2026-02-10T00:00:00Z");
    let s = sc.sub(id);
    assert_eq!(s.term, P1Y);
    assert_eq!(s.term_end_date, Some(date("2026-12-31")));
}

// ---------------------------------------------------------------- TRI-3

#[test]
fn tri_3_the_quantity_of_a_trial_cannot_change() {
    let (mut sc, id) = with_trial();
    sc.advance_to("2026-01-11T09:00:00Z");
    let before = sc.state.clone();
    let rej = sc
        .when(Command::AddSeats(AddSeats {
            subscription_id: id,
            seats: 5,
        }))
        .then_rejected("TrialNotModifiable", "TRI-3")
        .clone();
    assert_eq!(detail(&rej, "trial_ends_on"), "2026-02-09");
    sc.when(Command::ReduceSeats(ReduceSeats {
        subscription_id: id,
        seats: 5,
    }))
    .then_rejected("TrialNotModifiable", "TRI-3");
    assert_eq!(sc.state, before);
    assert_eq!(sc.sub(id).quantity, 25);
}

#[test]
fn tri_3_the_status_of_a_trial_cannot_change() {
    let (mut sc, id) = with_trial();
    let before = sc.state.clone();
    sc.when(Command::Suspend(Suspend {
        subscription_id: id,
    }))
    .then_rejected("TrialNotModifiable", "SUS-5");
    sc.when(Command::Reactivate(Reactivate {
        subscription_id: id,
    }))
    .then_rejected("TrialNotModifiable", "SUS-5");
    sc.when(Command::Cancel(Cancel {
        subscription_id: id,
    }))
    .then_rejected("TrialNotModifiable", "TRI-3");
    assert_eq!(sc.state, before);
    assert_eq!(sc.sub(id).status, Status::Active);
}

#[test]
fn tri_3_a_trial_cannot_be_upgraded() {
    let (mut sc, id) = with_trial();
    sc.when(upgrade_now(id, "m365-e3", 25))
        .then_rejected("UpgradeNotAllowed", "UPG-1");
    assert!(sc.sub(id).trial);
}

// ---------------------------------------------------------------- TRI-4

#[test]
fn tri_4_mid_term_conversion_to_a_new_paid_subscription() {
    let (mut sc, id) = with_trial();
    sc.advance_to("2026-01-20T10:00:00Z");
    let out = sc.when(convert_new(id, Some(30), P1Y, Some(Billing::Annual)));
    let events = out
        .then_types(&[
            "SubscriptionCreated",
            "Charged",
            "TrialConverted",
            "SubscriptionExpired",
        ])
        .clone();
    let new_id = created_id(&events);
    assert_ne!(new_id, id);
    match &events[0].data {
        EventData::SubscriptionCreated(c) => {
            assert_eq!(
                c.origin,
                Origin::TrialConversion {
                    trial_subscription_id: id
                }
            );
            assert!(!c.trial);
            assert_eq!(c.term_start, at("2026-01-20T10:00:00Z"));
            assert_eq!(c.term_end_date, Some(date("2027-01-19")));
        }
        other => panic!("unexpected {other:?}"),
    }
    // 247.20 × 30 for the year.
    assert_eq!(out.amounts(), vec![30 * PREMIUM_P1Y_ANNUAL]);
    assert_eq!(out.amounts(), vec![741_600]);
    assert_eq!(out.billing()[0].1.reason, BillingReason::TrialConversion);
    assert!(matches!(
        events[3].data,
        EventData::SubscriptionExpired {
            reason: ExpiryReason::TrialConverted,
            data_deleted: false,
            ..
        }
    ));
    let trial = sc.sub(id).clone();
    assert_eq!(trial.status, Status::Expired);
    let paid = sc.sub(new_id);
    assert_eq!(
        (paid.quantity, paid.term, paid.billing),
        (30, P1Y, Billing::Annual)
    );
    assert!(!paid.trial);
    assert!(paid.auto_renew);
    assert_eq!(paid.partner_id, PARTNER_A);
    // The trial's end does nothing any more.
    let due = sc.advance_to("2026-02-10T00:00:00Z");
    assert!(due.is_empty(), "{:?}", types(&due));
    assert!(invariants::check(&sc.state).is_empty());
}

#[test]
fn tri_4_mid_term_conversion_defaults_to_25_seats_p1y_monthly() {
    let (mut sc, id) = with_trial();
    let out = sc.when(convert_new(id, None, None, None));
    let new_id = created_id(out.accepted());
    let paid = sc.sub(new_id);
    assert_eq!(
        (paid.quantity, paid.term, paid.billing),
        (25, P1Y, Billing::Monthly)
    );
    assert_eq!(out.amounts(), vec![25 * PREMIUM_P1Y_MONTHLY]);
}

#[test]
fn tri_4_mid_term_conversion_needs_at_least_25_seats() {
    let (mut sc, id) = with_trial();
    let before = sc.state.clone();
    let rej = sc
        .when(convert_new(id, Some(24), None, None))
        .then_rejected("ConversionBelowTrialSeats", "TRI-4")
        .clone();
    assert_eq!(detail(&rej, "minimum"), 25);
    assert_eq!(detail(&rej, "requested"), 24);
    assert_eq!(sc.state, before);
    sc.when(convert_new(id, Some(25), None, None)).accepted();
}

#[test]
fn tri_4_mid_term_conversion_needs_a_plan_on_offer() {
    let (mut sc, id) = with_trial();
    let before = sc.state.clone();
    sc.when(convert_new(id, None, P3Y, Some(Billing::Monthly)))
        .then_rejected("PlanNotOffered", "PUR-3");
    assert_eq!(sc.state, before);
    // P1M monthly is on offer.
    sc.when(convert_new(id, None, P1M, Some(Billing::Monthly)))
        .accepted();
}

#[test]
fn tri_4_the_new_paid_subscription_has_the_windows_of_a_purchase() {
    // Ruling (in the code): a mid-term conversion behaves as a purchase.
    let (mut sc, id) = with_trial();
    sc.advance_to("2026-01-20T10:00:00Z");
    let new_id = created_id(&sc.ok(convert_new(id, Some(30), None, None)));
    let s = sc.sub(new_id);
    assert_eq!(
        s.cancellation_allowed_until,
        Some(at("2026-01-27T10:00:00Z"))
    );
    assert_eq!(s.batches.len(), 1);
    assert_eq!(s.batches[0].seats, 30);
}

#[test]
fn tri_4_conversion_into_an_existing_subscription_adds_25_seats() {
    // Existing: 10 paid Business Premium seats bought 2026-01-05 09:00, P1Y monthly
    // (ends 2027-01-04, after the trial's 2026-02-09).
    let mut sc = Scenario::at("2026-01-05T09:00:00Z").with_customer("NL");
    let paid = sc.buy(PREMIUM, 10, P1Y, Billing::Monthly);
    sc.advance_to("2026-01-10T09:00:00Z");
    let trial = sc.buy_item(trial_item(PREMIUM));
    sc.advance_to("2026-01-20T10:00:00Z");
    let out = sc.when(convert_into(trial, paid));
    let events = out
        .then_types(&["TrialConverted", "Charged", "SubscriptionExpired"])
        .clone();
    assert!(matches!(
        events[0].data,
        EventData::TrialConverted {
            seats: 25,
            into_existing: true,
            automatic: false,
            ..
        }
    ));
    // BIL-3 on the target's period 2026-01-05..2026-02-04 (31 days): 16 days used
    // on 2026-01-20, days_left = 31 − 16 + 1 = 16: 20.60 × 25 × 16 / 31
    // = 265.806 → 26581.
    assert_eq!(out.amounts(), vec![rhu(PREMIUM_P1Y_MONTHLY * 25 * 16, 31)]);
    assert_eq!(out.amounts(), vec![26_581]);
    let line = out.billing()[0].1;
    assert_eq!(line.subscription_id, paid);
    assert_eq!(line.seats, 25);
    assert_eq!(line.period_start, date("2026-01-05"));
    assert_eq!(line.days_charged, 16);
    let t = sc.sub(paid);
    assert_eq!(t.quantity, 35);
    // The existing term and billing stay.
    assert_eq!((t.term, t.billing), (P1Y, Billing::Monthly));
    assert_eq!(t.term_end_date, Some(date("2027-01-04")));
    assert_eq!(sc.sub(trial).status, Status::Expired);
    assert!(invariants::check(&sc.state).is_empty());
}

#[test]
fn tri_4_the_existing_subscription_may_end_on_the_trial_end_date_but_not_before() {
    // A P1M paid subscription bought the same day ends with the trial.
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let trial = sc.buy_item(trial_item(PREMIUM));
    let same_day = sc.buy(PREMIUM, 5, P1M, Billing::Monthly);
    assert_eq!(sc.sub(same_day).term_end_date, sc.sub(trial).term_end_date);
    sc.when(convert_into(trial, same_day)).then_types(&[
        "TrialConverted",
        "Charged",
        "SubscriptionExpired",
    ]);
    assert_eq!(sc.sub(same_day).quantity, 30);

    // Bought the day before, it ends 2026-02-08: refused.
    let mut sc = Scenario::at("2026-01-09T09:00:00Z").with_customer("NL");
    let earlier = sc.buy(PREMIUM, 5, P1M, Billing::Monthly);
    sc.advance_to("2026-01-10T09:00:00Z");
    let trial = sc.buy_item(trial_item(PREMIUM));
    let before = sc.state.clone();
    let rej = sc
        .when(convert_into(trial, earlier))
        .then_rejected("ConversionTargetEndsEarlier", "TRI-4")
        .clone();
    assert_eq!(detail(&rej, "target_term_end_date"), "2026-02-08");
    assert_eq!(detail(&rej, "trial_term_end_date"), "2026-02-09");
    assert_eq!(sc.state, before);
}

#[test]
fn tri_4_the_existing_subscription_must_be_an_active_paid_one_of_the_product() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let trial = sc.buy_item(trial_item(PREMIUM));
    let other_product = sc.buy("m365-e3", 5, P1Y, Billing::Monthly);
    let suspended = sc.buy(PREMIUM, 5, P1Y, Billing::Monthly);
    sc.ok(Command::Suspend(Suspend {
        subscription_id: suspended,
    }));
    let other_trial = sc.buy_item(trial_item("m365-e5"));
    let before = sc.state.clone();
    for target in [other_product, suspended, other_trial] {
        sc.when(convert_into(trial, target))
            .then_rejected("ConversionTargetInvalid", "TRI-4");
    }
    // Mixing the two forms is refused.
    sc.when(Command::ConvertTrial(ConvertTrial {
        subscription_id: trial,
        target_subscription_id: Some(other_product),
        quantity: Some(30),
        term: None,
        billing: None,
    }))
    .then_rejected("InvalidRequest", "TRI-4");
    // Only trials convert.
    sc.when(convert_new(other_product, None, None, None))
        .then_rejected("NotATrial", "TRI-4");
    assert_eq!(sc.state, before);
}

#[test]
fn tri_4_conversion_needs_a_manage_role_and_happens_once() {
    let (mut sc, id) = with_trial();
    let helpdesk = partner(PARTNER_A, &[Role::HelpdeskAgent]);
    let before = sc.state.clone();
    sc.when_as(&helpdesk, convert_new(id, None, None, None))
        .then_rejected("Forbidden", "GEN-3");
    assert_eq!(sc.state, before);
    sc.ok(convert_new(id, None, None, None));
    // Converted, the trial is expired: a second conversion is refused.
    sc.when(convert_new(id, None, None, None))
        .then_rejected("SubscriptionExpired", "REN-3");
}

// ---------------------------------------------------------------- TRI-5

#[test]
fn tri_5_promotions_do_not_apply_to_a_mid_term_conversion() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let mut it = trial_item(PREMIUM);
    it.promotion_id = Some("PROMO-TRIAL-50".into());
    let id = sc.buy_item(it);
    assert_eq!(sc.sub(id).promotion_id.as_deref(), Some("PROMO-TRIAL-50"));
    let out = sc.when(convert_new(id, Some(25), None, None));
    let new_id = created_id(out.accepted());
    assert_eq!(sc.sub(new_id).promotion_id, None);
    // Charged at the list price.
    assert_eq!(out.amounts(), vec![25 * PREMIUM_P1Y_MONTHLY]);
    let v = SubscriptionView::of(sc.sub(new_id), sc.now, 0);
    assert_eq!(v.promotion_id, None);
}

#[test]
fn tri_5_promotions_do_not_apply_to_the_conversion_at_the_end() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let mut it = trial_item(PREMIUM);
    it.promotion_id = Some("PROMO-TRIAL-50".into());
    let id = sc.buy_item(it);
    let due = sc.advance_to("2026-02-10T00:00:00Z");
    assert_eq!(sc.sub(id).promotion_id, None);
    let charged: Vec<i64> = due
        .iter()
        .filter_map(|e| match &e.data {
            EventData::Charged(l) => Some(l.amount.amount_minor),
            _ => None,
        })
        .collect();
    assert_eq!(charged, vec![25 * PREMIUM_P1Y_MONTHLY]);
}

// ---------------------------------------------------------------- TRI-6

fn trial_with_change() -> (Scenario, Uuid) {
    let (mut sc, id) = with_trial();
    sc.ok(Command::ScheduleChange(ScheduleChange {
        subscription_id: id,
        change: ScheduledChange {
            product_id: None,
            quantity: Some(10),
            term: None,
            billing: None,
            coterm_date: None,
        },
    }));
    (sc, id)
}

#[test]
fn tri_6_converting_to_a_new_subscription_deletes_the_trial_scheduled_change() {
    let (mut sc, id) = trial_with_change();
    let out = sc.when(convert_new(id, Some(30), None, None));
    let events = out.then_types(&[
        "SubscriptionCreated",
        "Charged",
        "ScheduledChangeCleared",
        "TrialConverted",
        "SubscriptionExpired",
    ]);
    assert!(matches!(
        events[2].data,
        EventData::ScheduledChangeCleared {
            reason: ClearReason::TrialConverted,
            ..
        }
    ));
    assert_eq!(sc.sub(id).scheduled_change, None);
    let new_id = created_id(events);
    assert_eq!(sc.sub(new_id).scheduled_change, None, "not carried over");
    assert_eq!(sc.sub(new_id).quantity, 30);
}

#[test]
fn tri_6_converting_into_an_existing_subscription_deletes_the_trial_scheduled_change() {
    let (mut sc, id) = trial_with_change();
    let paid = sc.buy(PREMIUM, 5, P1Y, Billing::Monthly);
    let out = sc.when(convert_into(id, paid));
    let events = out.then_types(&[
        "ScheduledChangeCleared",
        "TrialConverted",
        "Charged",
        "SubscriptionExpired",
    ]);
    assert!(matches!(
        events[0].data,
        EventData::ScheduledChangeCleared {
            reason: ClearReason::TrialConverted,
            ..
        }
    ));
    assert_eq!(sc.sub(id).scheduled_change, None);
}

#[test]
fn tri_6_seats_converted_into_a_target_delete_the_target_scheduled_change() {
    // REN-5: the target's quantity changes mid-term, so its next-term instructions
    // (which would otherwise drop the 25 seats at renewal) are deleted.
    let (mut sc, trial) = with_trial();
    let paid = sc.buy(PREMIUM, 5, P1Y, Billing::Monthly);
    sc.ok(Command::ScheduleChange(ScheduleChange {
        subscription_id: paid,
        change: ScheduledChange {
            product_id: None,
            quantity: Some(5),
            term: None,
            billing: None,
            coterm_date: None,
        },
    }));
    let out = sc.when(convert_into(trial, paid));
    out.then_types(&[
        "TrialConverted",
        "Charged",
        "ScheduledChangeCleared",
        "SubscriptionExpired",
    ]);
    assert_eq!(sc.sub(paid).scheduled_change, None);
    assert_eq!(sc.sub(paid).quantity, 30);
}
