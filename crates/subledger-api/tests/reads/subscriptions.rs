//! The subscription view, lists and their paging, the CSV export, orders, SEAT-5.

use super::*;

#[tokio::test]
async fn view_1_the_subscription_view_has_the_fixed_fields_and_its_version_as_etag() {
    let s = Server::start().await;
    s.create_customer(A, CUSTOMER, "NL").await;
    let sub = s
        .buy(A, CUSTOMER, "m365-e3", 10, Some("P1Y"), "monthly")
        .await;
    let r = s.get(A, &format!("/v1/subscriptions/{sub}")).await;
    let v = r.ok();
    for field in [
        "subscription_id",
        "customer_id",
        "partner_id",
        "reseller_id",
        "product_id",
        "product_name",
        "quantity",
        "status",
        "trial",
        "term",
        "billing",
        "term_start",
        "term_end_date",
        "auto_renew",
        "next_renewal_at",
        "cancellation_allowed_until",
        "refundable_seats",
        "scheduled_change",
        "promotion_id",
        "update_count",
        "version",
    ] {
        assert!(v.get(field).is_some(), "{field} missing: {v}");
    }
    assert_eq!(v["subscription_id"], sub.to_string());
    assert_eq!(v["partner_id"], PARTNER_A.to_string());
    assert_eq!(v["quantity"], 10);
    assert_eq!(v["status"], "active");
    assert_eq!(v["term_end_date"], "2027-01-09");
    assert_eq!(v["refundable_seats"]["total"], 9);
    assert_eq!(v["version"], 5);
    assert_eq!(r.header("etag"), Some("\"5\""));
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
}

#[tokio::test]
async fn view_2_lists_page_with_limit_and_an_opaque_cursor() {
    let s = Server::start().await;
    s.create_customer(A, CUSTOMER, "NL").await;
    let mut bought = Vec::new();
    for _ in 0..5 {
        bought.push(
            s.buy(
                A,
                CUSTOMER,
                "m365-business-basic",
                1,
                Some("P1M"),
                "monthly",
            )
            .await
            .to_string(),
        );
    }
    bought.sort();
    let mut seen = Vec::new();
    let mut path = format!("/v1/customers/{CUSTOMER}/subscriptions?limit=2");
    let mut pages = 0;
    loop {
        let page = s.get(A, &path).await.ok();
        pages += 1;
        let subs = page["subscriptions"].as_array().unwrap();
        assert!(subs.len() <= 2);
        seen.extend(
            subs.iter()
                .map(|v| v["subscription_id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => {
                assert!(!c.contains('-'), "opaque: {c}");
                path = format!("/v1/customers/{CUSTOMER}/subscriptions?limit=2&cursor={c}");
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, bought);
    let all = s
        .get(A, &format!("/v1/customers/{CUSTOMER}/subscriptions"))
        .await
        .ok();
    assert_eq!(all["subscriptions"].as_array().unwrap().len(), 5);
    assert!(all["next_cursor"].is_null());
    for bad in [
        "limit=0",
        "limit=1001",
        "limit=x",
        "cursor=zz",
        "colour=red",
    ] {
        s.get(A, &format!("/v1/customers/{CUSTOMER}/subscriptions?{bad}"))
            .await
            .error(400, "InvalidRequest");
    }
    let err = s
        .get(
            A,
            &format!("/v1/customers/{CUSTOMER}/subscriptions?limit=x"),
        )
        .await
        .error(400, "InvalidRequest");
    assert_eq!(err["details"]["field"], "limit");
}

#[tokio::test]
async fn view_3_the_csv_export_by_accept_header_or_format_parameter() {
    let s = Server::start().await;
    s.create_customer(A, CUSTOMER, "NL").await;
    let sub = s
        .buy(A, CUSTOMER, "m365-e3", 10, Some("P1Y"), "monthly")
        .await;
    let promo = s
        .accepted(
            A,
            json!({"type": "Purchase", "customer_id": CUSTOMER,
                   "items": [{"product_id": "m365-business-basic", "quantity": 2, "term": "P1M",
                              "billing": "monthly", "auto_renew": false, "promotion_id": "SPRING, 2026"}]}),
        )
        .await;
    let promo_sub = sub_id(&promo);
    let by_accept = s
        .get_with(
            A,
            &format!("/v1/customers/{CUSTOMER}/subscriptions"),
            &[("accept", "text/csv")],
        )
        .await;
    let by_param = s
        .get(
            A,
            &format!("/v1/customers/{CUSTOMER}/subscriptions?format=csv"),
        )
        .await;
    assert_eq!(by_accept.status, 200, "{}", by_accept.text());
    assert!(
        by_accept
            .header("content-type")
            .unwrap()
            .starts_with("text/csv")
    );
    assert_eq!(by_accept.body, by_param.body);
    let text = by_accept.text();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "subscription_id,name,quantity,status,billing_cycle,promotion,reseller"
    );
    assert_eq!(lines.len(), 4, "{text:?}");
    let row_of = |id: Uuid| {
        lines
            .iter()
            .find(|l| l.starts_with(&id.to_string()))
            .copied()
            .unwrap()
    };
    assert_eq!(
        row_of(sub),
        format!(
            "{sub},Microsoft 365 E3,10,active; auto-renew on; renews 2027-01-10,monthly,none,none"
        )
    );
    // A field with a comma is quoted (RFC 4180).
    assert!(row_of(promo_sub).contains("\"SPRING, 2026\""), "{text}");
    assert!(row_of(promo_sub).contains("auto-renew off"));
    s.get(
        A,
        &format!("/v1/customers/{CUSTOMER}/subscriptions?format=xml"),
    )
    .await
    .error(400, "InvalidRequest");
}

#[tokio::test]
async fn view_2_software_bought_before_2021_10_14_is_listed_among_orders_only() {
    let s = Server::start_at(
        subledger_api::ApiConfig {
            simulated_clock: true,
            body_limit_bytes: 1024 * 1024,
            ..subledger_api::ApiConfig::default()
        },
        "2021-06-01T10:00:00Z",
    )
    .await;
    s.create_customer(A, CUSTOMER, "NL").await;
    let legacy = s
        .buy(
            A,
            CUSTOMER,
            "windows-server-2022-standard",
            1,
            Some("P1Y"),
            "annual",
        )
        .await;
    let license = s
        .buy(A, CUSTOMER, "m365-e3", 5, Some("P1Y"), "monthly")
        .await;
    let list = s
        .get(A, &format!("/v1/customers/{CUSTOMER}/subscriptions"))
        .await
        .ok();
    let ids: Vec<&str> = list["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["subscription_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [license.to_string()]);
    let csv = s
        .get(
            A,
            &format!("/v1/customers/{CUSTOMER}/subscriptions?format=csv"),
        )
        .await
        .text();
    assert!(!csv.contains(&legacy.to_string()));
    let orders = s
        .get(A, &format!("/v1/customers/{CUSTOMER}/orders"))
        .await
        .text();
    assert!(orders.contains(&legacy.to_string()));
    // Still readable by id.
    s.get(A, &format!("/v1/subscriptions/{legacy}")).await.ok();
}

#[tokio::test]
async fn orders_list_their_line_items() {
    let s = Server::start().await;
    s.create_customer(A, CUSTOMER, "NL").await;
    let order_id = Uuid::new_v4();
    s.accepted(
        A,
        json!({"type": "Purchase", "customer_id": CUSTOMER, "order_id": order_id,
               "items": [{"product_id": "m365-e3", "quantity": 10, "term": "P1Y", "billing": "monthly"},
                         {"product_id": "copilot-m365", "quantity": 5, "term": "P1Y", "billing": "monthly"}]}),
    )
    .await;
    s.buy(
        A,
        CUSTOMER,
        "m365-business-basic",
        1,
        Some("P1M"),
        "monthly",
    )
    .await;
    let orders = s
        .get(A, &format!("/v1/customers/{CUSTOMER}/orders"))
        .await
        .ok();
    let list = orders["orders"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    let first = list
        .iter()
        .find(|o| o["order_id"] == order_id.to_string())
        .unwrap();
    let lines = first["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["product_id"], "m365-e3");
    assert_eq!(lines[0]["quantity"], 10);
    assert_eq!(lines[1]["product_id"], "copilot-m365");
    assert!(lines[0]["unit_price"]["amount_minor"].as_i64().unwrap() > 0);
    assert_eq!(first["customer_id"], CUSTOMER.to_string());
    let paged = s
        .get(A, &format!("/v1/customers/{CUSTOMER}/orders?limit=1"))
        .await
        .ok();
    assert_eq!(paged["orders"].as_array().unwrap().len(), 1);
    let cursor = paged["next_cursor"].as_str().unwrap();
    let rest = s
        .get(
            A,
            &format!("/v1/customers/{CUSTOMER}/orders?limit=1&cursor={cursor}"),
        )
        .await
        .ok();
    assert_eq!(rest["orders"].as_array().unwrap().len(), 1);
    assert_ne!(
        rest["orders"][0]["order_id"],
        paged["orders"][0]["order_id"]
    );
    assert!(rest["next_cursor"].is_null());
}

#[tokio::test]
async fn seat_5_refundable_seats_per_batch_and_none_after_the_window() {
    let s = Server::start().await;
    s.create_customer(A, CUSTOMER, "NL").await;
    let sub = s
        .buy(A, CUSTOMER, "m365-e3", 10, Some("P1Y"), "monthly")
        .await;
    s.advance("2026-01-12T09:00:00Z").await;
    s.accepted(
        A,
        json!({"type": "AddSeats", "subscription_id": sub, "seats": 4}),
    )
    .await;
    let path = format!("/v1/subscriptions/{sub}/refundable-seats");
    let r = s.get(A, &path).await.ok();
    assert_eq!(r["total"], 13);
    let batches = r["batches"].as_array().unwrap();
    assert_eq!(batches.len(), 2);
    assert_eq!(batches[0]["seats"], 10);
    assert_eq!(batches[0]["refundable_until"], "2026-01-17T09:00:00Z");
    assert_eq!(batches[1]["seats"], 4);
    assert_eq!(batches[1]["refundable_until"], "2026-01-19T09:00:00Z");
    s.advance("2026-01-18T00:00:00Z").await;
    let r = s.get(A, &path).await.ok();
    assert_eq!(r["total"], 4);
    s.advance("2026-01-20T00:00:00Z").await;
    let r = s.get(A, &path).await.ok();
    assert_eq!(r["total"], 0);
    assert_eq!(r["batches"], json!([]));
    assert_eq!(r["message"], "no seats can be reduced now");
}
