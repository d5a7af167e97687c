//! GEN-1: the ledger records only dates it can write as RFC 3339 calendar dates,
//! 0000-01-01..=9999-12-31 (instants up to 9999-12-31T23:59:59.999999999Z).

use super::*;
use subledger_domain::event::{ExpiryReason, ScheduledChange};
use subledger_domain::time;

#[test]
fn gen_1_a_purchase_whose_term_would_end_after_9999_is_refused_with_the_date_and_the_limit() {
    let mut sc = Scenario::at("9999-06-01T00:00:00Z").with_customer("NL");
    let rej = sc.when_refused(
        Scenario::purchase(vec![item("m365-e3", 3, P1Y, Billing::Monthly)]),
        "DateOutOfRange",
        "GEN-1",
    );
    assert_eq!(rej.kind, RejectionKind::Rule);
    assert_eq!(detail(&rej, "field"), "term_end_date");
    assert_eq!(detail(&rej, "date"), "+10000-05-31");
    assert_eq!(detail(&rej, "limit"), "9999-12-31");
    assert!(rej.message.contains("+10000-05-31"), "{}", rej.message);
    assert!(rej.message.contains("9999-12-31"), "{}", rej.message);
    // A term that ends within the range is still sold.
    let sub = sc.buy("m365-e3", 3, P1M, Billing::Monthly);
    assert_eq!(sc.sub(sub).term_end_date, Some(date("9999-06-30")));
}

#[test]
fn gen_1_a_term_may_end_on_the_last_day_of_9999() {
    let mut sc = Scenario::at("9999-01-01T00:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 3, P1Y, Billing::Monthly);
    assert_eq!(sc.sub(sub).term_end_date, Some(date("9999-12-31")));
    // Its renewal would start on 10000-01-01: none is announced, and the clock
    // cannot get there (the API refuses to advance past the last instant).
    assert_eq!(time::next_renewal_at(sc.sub(sub)), None);
}

#[test]
fn gen_1_a_renewal_that_would_end_after_9999_expires_at_its_term_end_instead() {
    let mut sc = Scenario::at("9998-12-01T00:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 3, P1Y, Billing::Annual);
    assert_eq!(sc.sub(sub).term_end_date, Some(date("9999-11-30")));
    assert!(sc.sub(sub).auto_renew);
    assert_eq!(
        time::next_renewal_at(sc.sub(sub)),
        None,
        "no renewal is announced"
    );
    let due = sc.advance_to("9999-12-01T00:00:00Z");
    assert_eq!(types(&due), vec!["SubscriptionExpired"], "{due:#?}");
    match &due[0].data {
        EventData::SubscriptionExpired {
            reason,
            data_deleted,
            ..
        } => {
            assert_eq!(*reason, ExpiryReason::DateLimit);
            assert!(!data_deleted);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(due[0].at, at("9999-12-01T00:00:00Z"));
    assert_eq!(sc.sub(sub).status, Status::Expired);
}

#[test]
fn gen_1_a_monthly_term_still_renews_when_its_new_term_ends_in_9999() {
    let mut sc = Scenario::at("9999-11-01T00:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 3, P1M, Billing::Monthly);
    assert_eq!(
        time::next_renewal_at(sc.sub(sub)),
        Some(at("9999-12-01T00:00:00Z"))
    );
    let due = sc.advance_to("9999-12-31T23:59:59Z");
    assert_eq!(
        types(&due),
        vec!["SubscriptionRenewed", "Charged"],
        "{due:#?}"
    );
    assert_eq!(sc.sub(sub).term_end_date, Some(date("9999-12-31")));
    assert_eq!(time::next_renewal_at(sc.sub(sub)), None);
}

#[test]
fn gen_1_a_coterm_date_after_9999_is_refused() {
    let mut sc = Scenario::at("9999-01-01T00:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 3, P1Y, Billing::Monthly);
    let far: chrono::NaiveDate =
        serde_json::from_value(json!("+10000-01-15")).expect("chrono reads a 5-digit year");
    let before = sc.state.clone();
    let out = sc.when(schedule(
        sub,
        ScheduledChange {
            coterm_date: Some(far),
            ..Default::default()
        },
    ));
    assert!(out.result.is_err(), "{:#?}", out.result);
    assert_eq!(sc.state, before);
}

#[test]
fn gen_1_a_transfer_request_that_would_expire_after_9999_is_refused() {
    let mut sc = Scenario::at("9999-11-20T00:00:00Z").with_customer("NL");
    sc.buy("m365-e3", 3, P1M, Billing::Monthly);
    sc.relate(PARTNER_B);
    sc.advance_to("9999-12-15T00:00:00Z");
    let out = sc.when_as(&admin_b(), request_transfer(PARTNER_A));
    let rej = out.then_rejected("DateOutOfRange", "GEN-1");
    assert_eq!(detail(rej, "field"), "expires_at");
    assert_eq!(detail(rej, "limit"), "9999-12-31T23:59:59.999999999Z");
    assert_eq!(detail(rej, "date"), "+10000-01-14T00:00:00Z");
}
