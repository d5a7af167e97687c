//! Billing lines (BIL), the key-access log (KEY-4), the catalog.

use super::*;

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
