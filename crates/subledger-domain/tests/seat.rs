//! SEAT-1..6: seats, batches and their windows.

mod support;

use subledger_domain::calendar::Billing;
use subledger_domain::command::Command;
use support::*;

#[test]
fn seat_2_reduction_after_window_is_refused() {
    // Given 10 seats bought at 09:00 on 10 January…
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, Billing::Monthly);
    // …when 3 are reduced exactly at the window's end (outside it)…
    sc.advance_to("2026-01-17T09:00:00Z");
    let r = sc.when(Command::ReduceSeats {
        subscription_id: sub,
        seats: 3,
    });
    // …then it is refused with the eligible count.
    let rej = r.then_rejected("SeatReductionWindowClosed", "SEAT-2");
    assert_eq!(detail(rej, "reducible_now"), 0);
    assert_eq!(detail(rej, "requested"), 3);
}

#[test]
fn seat_2_reduction_one_second_before_the_window_ends_is_accepted() {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("m365-e3", 10, P1Y, Billing::Monthly);
    sc.advance_to("2026-01-17T08:59:59Z");
    sc.when(Command::ReduceSeats {
        subscription_id: sub,
        seats: 3,
    })
    .then_types(&["SeatsReduced", "Credited"]);
    assert_eq!(sc.sub(sub).quantity, 7);
}
