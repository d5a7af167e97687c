//! The reads of API.md over HTTP: the subscription view and its ETag, lists and
//! their paging, the CSV export (VIEW-3), orders, refundable seats (SEAT-5),
//! history (VIEW-5), `as_of` (VIEW-4), billing lines, the key-access log
//! (KEY-4), the NDJSON event feed, the catalog.

mod support;

use serde_json::{Value, json};
use subledger_domain::Role;
use support::*;
use uuid::Uuid;

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

#[tokio::test]
async fn view_4_every_state_read_accepts_as_of() {
    let s = Server::start().await;
    s.create_customer(A, CUSTOMER, "NL").await;
    let sub = s
        .buy(A, CUSTOMER, "m365-e3", 10, Some("P1Y"), "monthly")
        .await;
    s.advance("2026-01-11T09:00:00Z").await;
    s.accepted(
        A,
        json!({"type": "AddSeats", "subscription_id": sub, "seats": 5}),
    )
    .await;
    s.advance("2026-01-12T09:00:00Z").await;
    s.accepted(A, json!({"type": "Suspend", "subscription_id": sub}))
        .await;
    let before = "2026-01-10T12:00:00Z";
    let view = s
        .get(A, &format!("/v1/subscriptions/{sub}?as_of={before}"))
        .await;
    let v = view.ok();
    assert_eq!(v["quantity"], 10);
    assert_eq!(v["status"], "active");
    assert_eq!(v["version"], 5);
    assert_eq!(view.header("etag"), Some("\"5\""));
    let now = s.get(A, &format!("/v1/subscriptions/{sub}")).await.ok();
    assert_eq!(now["quantity"], 15);
    assert_eq!(now["status"], "suspended");
    let list = s
        .get(
            A,
            &format!("/v1/customers/{CUSTOMER}/subscriptions?as_of=2026-01-11T10:00:00Z"),
        )
        .await
        .ok();
    assert_eq!(list["subscriptions"][0]["quantity"], 15);
    assert_eq!(list["subscriptions"][0]["status"], "active");
    let csv = s
        .get(
            A,
            &format!("/v1/customers/{CUSTOMER}/subscriptions?format=csv&as_of={before}"),
        )
        .await
        .text();
    assert!(csv.contains(",10,active"), "{csv}");
    let seats = s
        .get(
            A,
            &format!("/v1/subscriptions/{sub}/refundable-seats?as_of={before}"),
        )
        .await
        .ok();
    assert_eq!(seats["total"], 9);
    let orders = s
        .get(
            A,
            &format!("/v1/customers/{CUSTOMER}/orders?as_of=2026-01-10T08:00:00Z"),
        )
        .await
        .ok();
    assert_eq!(orders["orders"], json!([]));
    // Before it existed, the subscription is not found; the future is refused.
    s.get(
        A,
        &format!("/v1/subscriptions/{sub}?as_of=2026-01-01T00:00:00Z"),
    )
    .await
    .error(404, "NotFound");
    let err = s
        .get(
            A,
            &format!("/v1/subscriptions/{sub}?as_of=2030-01-01T00:00:00Z"),
        )
        .await
        .error(400, "InvalidRequest");
    assert_eq!(err["details"]["field"], "as_of");
    s.get(A, &format!("/v1/subscriptions/{sub}?as_of=tuesday"))
        .await
        .error(400, "InvalidRequest");
}

#[tokio::test]
async fn view_5_history_lists_every_event_touching_the_subscription() {
    let s = Server::start().await;
    s.create_customer(A, CUSTOMER, "NL").await;
    let sub = s
        .buy(A, CUSTOMER, "m365-e3", 10, Some("P1Y"), "monthly")
        .await;
    let other = s
        .buy(
            A,
            CUSTOMER,
            "m365-business-basic",
            1,
            Some("P1M"),
            "monthly",
        )
        .await;
    let add = s
        .accepted(
            A,
            json!({"type": "AddSeats", "subscription_id": sub, "seats": 2}),
        )
        .await;
    s.accepted(
        A,
        json!({"type": "AddSeats", "subscription_id": other, "seats": 2}),
    )
    .await;
    let h = s
        .get(A, &format!("/v1/subscriptions/{sub}/history"))
        .await
        .ok();
    let events = h["events"].as_array().unwrap();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "OrderPlaced",
            "SubscriptionCreated",
            "Charged",
            "SeatsAdded",
            "Charged"
        ]
    );
    let added = &events[3];
    assert_eq!(added["at"], START);
    assert_eq!(added["command_id"], add["command_id"]);
    assert_eq!(added["actor"]["user"], "alice@a.example");
    assert_eq!(added["actor"]["partner_id"], PARTNER_A.to_string());
    assert_eq!(added["data"]["subscription_id"], sub.to_string());
    assert_eq!(added["data"]["seats"], 2);
    // Paged and cut at as_of.
    let first = s
        .get(A, &format!("/v1/subscriptions/{sub}/history?limit=2"))
        .await
        .ok();
    assert_eq!(first["events"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap();
    let rest = s
        .get(
            A,
            &format!("/v1/subscriptions/{sub}/history?cursor={cursor}"),
        )
        .await
        .ok();
    assert_eq!(rest["events"].as_array().unwrap().len(), 3);
    let early = s
        .get(
            A,
            &format!("/v1/subscriptions/{sub}/history?as_of=2026-01-01T00:00:00Z"),
        )
        .await
        .ok();
    assert_eq!(early["events"], json!([]));
    // Time-driven work has no actor.
    s.advance("2026-02-10T00:00:00Z").await;
    let h = s
        .get(A, &format!("/v1/subscriptions/{other}/history"))
        .await
        .ok();
    let renewal = h["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "SubscriptionRenewed")
        .expect("the P1M subscription renewed");
    assert!(renewal["actor"].is_null());
    assert!(renewal["command_id"].is_null());
}

#[tokio::test]
async fn bil_billing_lines_are_the_callers_own_filtered_by_customer_and_time() {
    let s = Server::start().await;
    s.create_customer(A, CUSTOMER, "NL").await;
    let sub = s
        .buy(A, CUSTOMER, "m365-e3", 10, Some("P1Y"), "monthly")
        .await;
    s.advance("2026-01-12T09:00:00Z").await;
    s.accepted(
        A,
        json!({"type": "ReduceSeats", "subscription_id": sub, "seats": 2}),
    )
    .await;
    s.relate_b().await;
    s.buy(
        B,
        CUSTOMER,
        "m365-business-basic",
        1,
        Some("P1M"),
        "monthly",
    )
    .await;
    let customer_2 = Uuid::new_v4();
    s.create_customer(A, customer_2, "AU").await;
    s.buy(
        A,
        customer_2,
        "m365-business-basic",
        3,
        Some("P1M"),
        "monthly",
    )
    .await;

    let all = s.get(A, "/v1/billing/lines").await.ok();
    let lines = all["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 3, "{all}");
    assert!(
        lines
            .iter()
            .all(|l| l["partner_id"] == PARTNER_A.to_string())
    );
    let charge = &lines[0];
    assert_eq!(charge["kind"], "charge");
    assert_eq!(charge["subscription_id"], sub.to_string());
    assert_eq!(charge["customer_id"], CUSTOMER.to_string());
    assert_eq!(charge["seats"], 10);
    assert_eq!(charge["reason"], "purchase");
    assert_eq!(charge["period_start"], "2026-01-10");
    assert_eq!(charge["period_end"], "2026-02-09");
    assert_eq!(charge["at"], START);
    assert_eq!(charge["tax_inclusive"], false);
    assert_eq!(charge["amount"]["currency"], "EUR");
    assert!(charge["amount"]["amount_minor"].as_i64().unwrap() > 0);
    let credit = &lines[1];
    assert_eq!(credit["kind"], "credit");
    assert_eq!(credit["seats"], 2);
    assert_eq!(lines[2]["tax_inclusive"], true, "BIL-8: AU");

    let only_customer = s
        .get(A, &format!("/v1/billing/lines?customer_id={CUSTOMER}"))
        .await
        .ok();
    assert_eq!(only_customer["lines"].as_array().unwrap().len(), 2);
    // `from` inclusive, `to` exclusive, over the instant a line was raised.
    let window = |q: &'static str| {
        let s = &s;
        async move {
            s.get(A, &format!("/v1/billing/lines?{q}")).await.ok()["lines"]
                .as_array()
                .unwrap()
                .clone()
        }
    };
    let first_day = window("from=2026-01-10&to=2026-01-11").await;
    assert_eq!(first_day.len(), 1);
    assert_eq!(first_day[0]["kind"], "charge");
    let later = window("from=2026-01-12T09:00:00Z").await;
    assert_eq!(later.len(), 2);
    assert_eq!(later[0]["kind"], "credit");
    assert_eq!(window("to=2026-01-12T09:00:00Z").await.len(), 1);
    // B sees its own line only; paging hands a cursor on.
    let b = s.get(B, "/v1/billing/lines").await.ok();
    assert_eq!(b["lines"].as_array().unwrap().len(), 1);
    assert_eq!(b["lines"][0]["partner_id"], PARTNER_B.to_string());
    let page = s.get(A, "/v1/billing/lines?limit=2").await.ok();
    assert_eq!(page["lines"].as_array().unwrap().len(), 2);
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = s
        .get(A, &format!("/v1/billing/lines?limit=2&cursor={cursor}"))
        .await
        .ok();
    assert_eq!(rest["lines"].as_array().unwrap().len(), 1);
    assert_eq!(rest["lines"][0]["customer_id"], customer_2.to_string());
    assert!(rest["next_cursor"].is_null());
    s.get(A, "/v1/billing/lines?from=2026-02-01&to=2026-01-01")
        .await
        .error(400, "InvalidRequest");
}

#[tokio::test]
async fn key_4_the_key_access_log_by_date_range_for_its_roles_only() {
    let s = Server::start().await;
    s.create_customer(A, CUSTOMER, "NL").await;
    let ws = s
        .buy(
            A,
            CUSTOMER,
            "windows-server-2022-standard",
            2,
            Some("P1Y"),
            "annual",
        )
        .await;
    let reveal = s
        .accepted(A, json!({"type": "RevealKey", "subscription_id": ws}))
        .await;
    let key = reveal["key"].as_str().unwrap().to_owned();
    s.advance("2026-01-11T09:00:00Z").await;
    s.accepted(
        A,
        json!({"type": "DownloadSoftware", "subscription_id": ws, "language": "fr-FR"}),
    )
    .await;
    s.accepted(
        A,
        json!({"type": "CopyDownloadLink", "subscription_id": ws}),
    )
    .await;

    let log = s.get(A, "/v1/audit/key-access").await;
    assert!(!log.text().contains(&key), "KEY-1: never the key");
    let log = log.ok();
    let entries = log["entries"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["reveal_key", "download", "copy_link"]);
    let first = &entries[0];
    assert_eq!(first["at"], START);
    assert_eq!(first["user"], "alice@a.example");
    assert_eq!(first["role"], "admin_agent");
    assert_eq!(first["partner_id"], PARTNER_A.to_string());
    assert_eq!(first["customer_id"], CUSTOMER.to_string());
    assert_eq!(first["subscription_id"], ws.to_string());
    assert_eq!(first["product_id"], "windows-server-2022-standard");
    assert_eq!(entries[1]["language"], "fr-FR");

    let day_two = s
        .get(A, "/v1/audit/key-access?from=2026-01-11&to=2026-01-12")
        .await
        .ok();
    assert_eq!(day_two["entries"].as_array().unwrap().len(), 2);

    for role in Role::ALL.iter().filter(|r| r.is_partner_role()) {
        let r = s.get(&role_token(*role), "/v1/audit/key-access").await;
        let allowed = matches!(
            role,
            Role::GlobalAdmin
                | Role::AccountAdmin
                | Role::ReferralAdmin
                | Role::MarketingContentAdmin
        );
        if allowed {
            assert_eq!(r.ok()["entries"].as_array().unwrap().len(), 3, "{role:?}");
        } else {
            r.error(403, "Forbidden");
        }
    }
    s.get(C, "/v1/audit/key-access")
        .await
        .error(403, "Forbidden");
    // Another partner's log holds none of A's entries.
    let b = s.get(B, "/v1/audit/key-access").await.ok();
    assert_eq!(b["entries"], json!([]));
}

fn ndjson(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

#[tokio::test]
async fn the_event_feed_is_ndjson_after_a_position_and_only_the_callers() {
    let s = Server::start().await;
    s.create_customer(A, CUSTOMER, "NL").await;
    let a_sub = s
        .buy(A, CUSTOMER, "m365-e3", 10, Some("P1Y"), "monthly")
        .await;
    s.relate_b().await;
    let b_sub = s
        .buy(
            B,
            CUSTOMER,
            "m365-business-basic",
            1,
            Some("P1M"),
            "monthly",
        )
        .await;
    s.accepted(
        D,
        json!({"type": "RequestRelationship", "customer_id": CUSTOMER}),
    )
    .await;

    let r = s.get(A, "/v1/events").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/x-ndjson"));
    let events = ndjson(&r.text());
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "CustomerCreated",
            "RelationshipEstablished",
            "OrderPlaced",
            "SubscriptionCreated",
            "Charged"
        ],
        "A sees none of B's or D's events"
    );
    let text = r.text();
    assert!(!text.contains(&b_sub.to_string()));
    assert!(!text.contains(&PARTNER_D.to_string()));
    let positions: Vec<u64> = events
        .iter()
        .map(|e| e["position"].as_u64().unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]));
    let created = &events[3];
    assert_eq!(created["stream"], format!("customer-{CUSTOMER}"));
    assert_eq!(created["data"]["subscription_id"], a_sub.to_string());
    assert!(created["event_id"].is_string());
    assert!(created["version"].as_u64().is_some());
    let last: u64 = r.header("x-next-after").unwrap().parse().unwrap();
    assert!(last >= *positions.last().unwrap());

    // B sees the customer, its own relationship and its own purchase.
    let b = ndjson(&s.get(B, "/v1/events").await.text());
    let b_types: Vec<&str> = b.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        b_types,
        [
            "CustomerCreated",
            "RelationshipRequested",
            "RelationshipEstablished",
            "OrderPlaced",
            "SubscriptionCreated",
            "Charged"
        ]
    );
    // D's request is pending: D sees nothing of the customer yet.
    assert_eq!(s.get(D, "/v1/events").await.text(), "");

    // after and limit.
    let page = s.get(A, "/v1/events?limit=2").await;
    let first_two = ndjson(&page.text());
    assert_eq!(first_two.len(), 2);
    let next: u64 = page.header("x-next-after").unwrap().parse().unwrap();
    assert_eq!(next, first_two[1]["position"].as_u64().unwrap());
    let rest = ndjson(&s.get(A, &format!("/v1/events?after={next}")).await.text());
    assert_eq!(rest.len(), 3);
    assert_eq!(rest[0]["type"], "OrderPlaced");
    s.get(A, "/v1/events?after=-1")
        .await
        .error(400, "InvalidRequest");
}

#[tokio::test]
async fn the_event_feed_shows_a_transfer_to_both_partners() {
    let s = Server::start().await;
    s.create_customer(A, CUSTOMER, "NL").await;
    let sub = s
        .buy(A, CUSTOMER, "m365-e3", 10, Some("P1Y"), "monthly")
        .await;
    s.relate_b().await;
    let t = s
        .accepted(
            B,
            json!({"type": "RequestTransfer", "customer_id": CUSTOMER,
                   "source_partner_id": PARTNER_A, "customer_email": "it@customer.example"}),
        )
        .await;
    s.accepted(
        A,
        json!({"type": "AcceptTransfer", "transfer_id": t["transfer_id"], "subscription_ids": [sub]}),
    )
    .await;
    for token in [A, B] {
        let events = ndjson(&s.get(token, "/v1/events").await.text());
        let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
        for ty in [
            "TransferRequested",
            "SubscriptionTransferred",
            "TransferAccepted",
        ] {
            assert!(types.contains(&ty), "{token}: {ty} in {types:?}");
        }
        // The other partner's user is shown by partner id only.
        for e in &events {
            if let Some(user) = e["actor"]["user"].as_str() {
                let own = if token == A { "alice@" } else { "bob@" };
                assert!(
                    user.starts_with(own) || user.starts_with("admin@customer"),
                    "{token} sees {user}"
                );
            }
        }
    }
}

#[tokio::test]
async fn cat_the_catalog_lists_the_products_on_offer() {
    let s = Server::start().await;
    let catalog = s.get(A, "/v1/catalog").await.ok();
    let products = catalog["products"].as_array().unwrap();
    let e3 = products
        .iter()
        .find(|p| p["product_id"] == "m365-e3")
        .expect("CAT-4");
    for field in [
        "product_id",
        "name",
        "kind",
        "plans",
        "cancellable",
        "has_keys",
        "trial",
        "one_per_customer",
        "upgrade_to",
    ] {
        assert!(e3.get(field).is_some(), "{field}");
    }
    assert_eq!(e3["kind"], "license");
    let plan = &e3["plans"][0];
    assert!(plan["unit_price"]["amount_minor"].as_i64().is_some());
    assert_eq!(plan["unit_price"]["currency"], "EUR");
    // Any authenticated actor reads it, a customer's user too.
    s.get(C, "/v1/catalog").await.ok();
}
