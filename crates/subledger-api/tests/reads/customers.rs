//! The customers the caller can see (GEN-2).

use super::*;

/// (id, company name, domain, country, segment) of every customer the test makes.
type Made = (Uuid, &'static str, &'static str, &'static str, &'static str);

async fn create(s: &Server, token: &str, c: &Made) {
    s.accepted(
        token,
        json!({"type": "CreateCustomer", "customer_id": c.0, "company_name": c.1,
               "domain": c.2, "country": c.3, "segment": c.4}),
    )
    .await;
}

/// What `GET /v1/customers` must answer: sorted by lower-cased name, then id.
fn listed(made: &[&Made], subscriptions: impl Fn(Uuid) -> u64) -> Vec<Value> {
    let mut made: Vec<&&Made> = made.iter().collect();
    made.sort_by_key(|c| (c.1.to_lowercase(), c.0));
    made.iter()
        .map(|c| {
            json!({"customer_id": c.0, "company_name": c.1, "domain": c.2,
                   "country": c.3, "segment": c.4, "subscriptions": subscriptions(c.0)})
        })
        .collect()
}

async fn all_pages(s: &Server, token: &str, query: &str, limit: u32) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..50 {
        let mut path = format!("/v1/customers?limit={limit}&{query}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = s.get(token, &path).await.ok();
        let got = page["customers"].as_array().unwrap();
        assert!(got.len() <= limit as usize);
        out.extend(got.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return out,
        }
    }
    panic!("paging never ends");
}

#[tokio::test]
async fn gen_2_customer_list_shows_only_the_callers_customers() {
    let s = Server::start().await;
    let main: Made = (CUSTOMER, "Contoso", "contoso.example", "NL", "commercial");
    let a_customers: Vec<Made> = vec![
        (
            Uuid::from_u128(0xC0A1),
            "adatum",
            "adatum.example",
            "DE",
            "education",
        ),
        (
            Uuid::from_u128(0xC0A2),
            "Zeta Works",
            "zeta.example",
            "FR",
            "government",
        ),
        (
            Uuid::from_u128(0xC0A3),
            "Ägir Shipping",
            "aegir.example",
            "NO",
            "nonprofit",
        ),
        // Same name, different ids: the id decides.
        (
            Uuid::from_u128(0xC0A5),
            "Fabrikam",
            "fabrikam-2.example",
            "US",
            "commercial",
        ),
        (
            Uuid::from_u128(0xC0A4),
            "FABRIKAM",
            "fabrikam-1.example",
            "GB",
            "commercial",
        ),
    ];
    let b_only: Made = (
        Uuid::from_u128(0xC0B1),
        "Bravo",
        "bravo.example",
        "IT",
        "commercial",
    );
    create(&s, A, &main).await;
    for c in &a_customers {
        create(&s, A, c).await;
    }
    create(&s, B, &b_only).await;
    s.buy(A, CUSTOMER, "m365-e3", 10, Some("P1Y"), "monthly")
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
    s.buy(A, a_customers[1].0, "m365-e3", 1, Some("P1Y"), "monthly")
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
    // D asks for a relationship the customer never accepts: not D's customer.
    s.accepted(
        D,
        json!({"type": "RequestRelationship", "customer_id": CUSTOMER}),
    )
    .await;

    let a_all: Vec<&Made> = std::iter::once(&main).chain(&a_customers).collect();
    let a_subs = |c: Uuid| match c {
        c if c == CUSTOMER => 2,
        c if c == a_customers[1].0 => 1,
        _ => 0,
    };
    let want_a = listed(&a_all, a_subs);
    let page = s.get(A, "/v1/customers").await.ok();
    assert_eq!(page["customers"], json!(want_a));
    assert!(page["next_cursor"].is_null());
    for limit in [1, 2, 4] {
        assert_eq!(all_pages(&s, A, "", limit).await, want_a, "limit {limit}");
    }
    // B: its own customer and the one it is related to, with its subscriptions only.
    let want_b = listed(&[&b_only, &main], |c| u64::from(c == CUSTOMER));
    assert_eq!(all_pages(&s, B, "", 1).await, want_b);
    // D: none. Any partner role reads it.
    assert_eq!(s.get(D, "/v1/customers").await.ok()["customers"], json!([]));
    let helpdesk = role_token(Role::HelpdeskAgent);
    assert_eq!(all_pages(&s, &helpdesk, "", 3).await, want_a);
    // A customer's user: itself only, with all its subscriptions.
    assert_eq!(
        s.get(C, "/v1/customers").await.ok()["customers"],
        json!(listed(&[&main], |_| 3))
    );
    assert_eq!(
        s.get(C, "/v1/customers?q=zeta").await.ok()["customers"],
        json!([])
    );

    // `q`: a case-insensitive substring of the name or the domain.
    for (q, keep) in [
        ("contoso", vec![0]),
        ("CONTO", vec![0]),
        ("fabrikam", vec![4, 5]),
        ("fabrikam-2", vec![4]),
        ("ägir", vec![3]),
        ("ÄGIR", vec![3]),
        ("aegir", vec![3]),
        (".example", vec![0, 1, 2, 3, 4, 5]),
        ("a w", vec![2]),
        ("bravo", vec![]),
        ("%", vec![]),
        ("_", vec![]),
    ] {
        let made: Vec<&Made> = keep.iter().map(|i| a_all[*i]).collect();
        let want = listed(&made, a_subs);
        let query = format!("q={}", urlencode(q));
        assert_eq!(all_pages(&s, A, &query, 1).await, want, "q={q}");
    }
    assert_eq!(
        all_pages(&s, A, "q=", 100).await,
        want_a,
        "an empty q filters nothing"
    );
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn gen_2_customer_list_refuses_bad_parameters_naming_them() {
    let s = Server::start().await;
    let long = "x".repeat(201);
    for (query, field) in [
        ("limit=0".to_owned(), "limit"),
        ("limit=1001".to_owned(), "limit"),
        ("cursor=nope".to_owned(), "cursor"),
        // A cursor this server could give out for another list: not a customer key.
        ("cursor=c13432".to_owned(), "cursor"),
        (format!("q={long}"), "q"),
        ("min_position=99".to_owned(), "min_position"),
        ("as_of=2026-01-01".to_owned(), "as_of"),
    ] {
        let err = s
            .get(A, &format!("/v1/customers?{query}"))
            .await
            .error(400, "InvalidRequest");
        assert_eq!(err["details"]["field"], field, "{query}: {err}");
    }
}
