//! Hostile inputs at the edges: an id of another customer or partner (PUR-13,
//! 409 IdAlreadyUsed, nothing of the holder shown, GEN-2), and dates past 9999
//! (GEN-1: refused, never written as `+10000-…`).

mod support;

use serde_json::json;
use support::*;
use uuid::Uuid;

#[tokio::test]
async fn pur_13_a_subscription_id_taken_by_another_partner_is_409_and_reveals_nothing() {
    let s = Server::start().await;
    let other = Uuid::from_u128(0xC0B);
    s.create_customer(A, CUSTOMER, "NL").await;
    s.create_customer(B, other, "NL").await;
    let taken = Uuid::from_u128(0x5AB);
    let purchase = |customer: Uuid, id: Uuid| {
        json!({"type": "Purchase", "customer_id": customer,
               "items": [{"product_id": "m365-e3", "quantity": 5, "term": "P1Y",
                          "billing": "monthly", "subscription_id": id}]})
    };
    s.accepted(A, purchase(CUSTOMER, taken)).await;
    let err = s
        .command(B, purchase(other, taken))
        .await
        .error(409, "IdAlreadyUsed");
    assert_eq!(err["rule"], "PUR-13");
    assert_eq!(
        err["details"],
        json!({"field": "items[0].subscription_id", "id": taken.to_string()})
    );
    assert_eq!(
        err["message"],
        format!("subscription id {taken} is already used in this ledger")
    );
    // A's subscription is A's, unchanged; to B it does not exist.
    let view = s.get(A, &format!("/v1/subscriptions/{taken}")).await.ok();
    assert_eq!(view["quantity"], 5, "{view}");
    s.get(B, &format!("/v1/subscriptions/{taken}"))
        .await
        .error(404, "NotFound");
    // B's own purchase with its own id is B's to read.
    let mine = Uuid::from_u128(0x5AC);
    s.accepted(B, purchase(other, mine)).await;
    s.get(B, &format!("/v1/subscriptions/{mine}")).await.ok();
}

#[tokio::test]
async fn gen_1_after_the_clock_reaches_9999_a_term_past_it_is_refused_and_the_clock_stops_there() {
    let s = Server::start().await;
    s.create_customer(A, CUSTOMER, "NL").await;
    s.advance("9999-06-01T00:00:00Z").await;
    let err = s
        .command(
            A,
            json!({"type": "Purchase", "customer_id": CUSTOMER,
                   "items": [{"product_id": "m365-e3", "quantity": 5, "term": "P1Y", "billing": "monthly"}]}),
        )
        .await
        .error(422, "DateOutOfRange");
    assert_eq!(err["rule"], "GEN-1");
    assert_eq!(
        err["details"],
        json!({"field": "term_end_date", "date": "+10000-05-31", "limit": "9999-12-31"})
    );
    // The clock goes up to the last instant, not past it.
    for far in ["+10000-01-01T00:00:00Z", "10000-01-01T00:00:00Z"] {
        let r = s.post(A, "/v1/clock/advance", &json!({ "to": far })).await;
        assert!(r.status == 400 || r.status == 422, "{far}: {}", r.text());
        assert_eq!(
            s.get(A, "/v1/clock").await.ok()["now"],
            "9999-06-01T00:00:00Z"
        );
    }
    let err = s
        .post(
            A,
            "/v1/clock/advance",
            &json!({"to": "+10000-01-01T00:00:00Z"}),
        )
        .await
        .error(422, "DateOutOfRange");
    assert_eq!(err["details"]["limit"], "9999-12-31T23:59:59.999999999Z");
    s.advance("9999-12-31T23:59:59Z").await;
    // Reads as of a date past 9999 are refused too.
    let err = s
        .get(
            A,
            &format!("/v1/customers/{CUSTOMER}/subscriptions?as_of=%2B10000-01-01"),
        )
        .await
        .error(400, "InvalidRequest");
    assert_eq!(err["details"]["field"], "as_of");
}
