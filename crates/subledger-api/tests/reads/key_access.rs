//! The key-access log's filters and CSV page, and its daily counts (KEY-4).

use std::collections::BTreeMap;

use super::*;

/// One entry as the test made it: (date, user, customer, subscription, action).
type Made = (&'static str, &'static str, Uuid, Uuid, &'static str);

/// A filter as the test computes it, beside the query that asks for it.
type Keep = Box<dyn Fn(&Made) -> bool>;

const ALICE: &str = "alice@a.example";
const AGENT: &str = "admin_agent@a.example";

/// Key events of partner A on two customers over three days (and one of B's),
/// with what each entry must be, in log order.
async fn scenario(s: &Server) -> (Uuid, Uuid, Uuid, Vec<Made>) {
    let agent = role_token(Role::AdminAgent);
    let customer_2 = Uuid::from_u128(0xC002);
    s.create_customer(A, CUSTOMER, "NL").await;
    s.create_customer(A, customer_2, "DE").await;
    let ws = "windows-server-2022-standard";
    let one = s.buy(A, CUSTOMER, ws, 2, Some("P1Y"), "annual").await;
    let two = s.buy(A, customer_2, ws, 2, Some("P1Y"), "annual").await;
    let mut made = Vec::new();
    let act = |token: &str, sub: Uuid, kind: &str| {
        let body = match kind {
            "reveal_key" => json!({"type": "RevealKey", "subscription_id": sub}),
            "download" => {
                json!({"type": "DownloadSoftware", "subscription_id": sub, "language": "fr-FR"})
            }
            _ => json!({"type": "CopyDownloadLink", "subscription_id": sub}),
        };
        let token = token.to_owned();
        async move {
            s.accepted(&token, body).await;
        }
    };
    act(A, one, "reveal_key").await;
    made.push(("2026-01-10", ALICE, CUSTOMER, one, "reveal_key"));
    act(&agent, one, "download").await;
    made.push(("2026-01-10", AGENT, CUSTOMER, one, "download"));
    s.advance("2026-01-11T23:59:59Z").await;
    act(A, one, "copy_link").await;
    made.push(("2026-01-11", ALICE, CUSTOMER, one, "copy_link"));
    act(A, two, "reveal_key").await;
    made.push(("2026-01-11", ALICE, customer_2, two, "reveal_key"));
    act(&agent, two, "reveal_key").await;
    made.push(("2026-01-11", AGENT, customer_2, two, "reveal_key"));
    s.advance("2026-01-13T00:00:00Z").await;
    act(A, one, "download").await;
    made.push(("2026-01-13", ALICE, CUSTOMER, one, "download"));
    act(&agent, two, "copy_link").await;
    made.push(("2026-01-13", AGENT, customer_2, two, "copy_link"));
    // Partner B's own entry: never in A's log.
    s.relate_b().await;
    let b_sub = s.buy(B, CUSTOMER, ws, 1, Some("P1Y"), "annual").await;
    act(B, b_sub, "reveal_key").await;
    (customer_2, one, two, made)
}

fn made_of(entry: &Value) -> (String, String, String, String, String) {
    (
        entry["at"].as_str().unwrap()[..10].to_owned(),
        entry["user"].as_str().unwrap().to_owned(),
        entry["customer_id"].as_str().unwrap().to_owned(),
        entry["subscription_id"].as_str().unwrap().to_owned(),
        entry["action"].as_str().unwrap().to_owned(),
    )
}

fn expected(
    made: &[Made],
    keep: impl Fn(&Made) -> bool,
) -> Vec<(String, String, String, String, String)> {
    made.iter()
        .filter(|m| keep(m))
        .map(|m| {
            (
                m.0.to_owned(),
                m.1.to_owned(),
                m.2.to_string(),
                m.3.to_string(),
                m.4.to_owned(),
            )
        })
        .collect()
}

/// Every entry of the log under `query`, page by page (`limit` each).
async fn all_pages(s: &Server, query: &str, limit: u32) -> (Vec<Value>, usize) {
    let mut entries = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut path = format!("/v1/audit/key-access?limit={limit}");
        if !query.is_empty() {
            path.push('&');
            path.push_str(query);
        }
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let r = s.get(A, &path).await;
        let page = r.ok();
        pages += 1;
        let got = page["entries"].as_array().unwrap();
        assert!(got.len() <= limit as usize);
        entries.extend(got.iter().cloned());
        assert_eq!(
            r.header("x-next-cursor"),
            page["next_cursor"].as_str(),
            "the header carries the body's cursor"
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
        assert!(pages < 20, "paging never ends");
    }
    (entries, pages)
}

#[tokio::test]
async fn key_4_key_access_filters_by_customer_subscription_user_and_action() {
    let s = Server::start().await;
    let (customer_2, one, two, made) = scenario(&s).await;
    let cases: Vec<(String, Keep)> = vec![
        (String::new(), Box::new(|_| true)),
        (
            format!("customer_id={CUSTOMER}"),
            Box::new(|m| m.2 == CUSTOMER),
        ),
        (
            format!("customer_id={customer_2}"),
            Box::new(move |m| m.2 == customer_2),
        ),
        (
            format!("subscription_id={one}"),
            Box::new(move |m| m.3 == one),
        ),
        (
            format!("subscription_id={two}"),
            Box::new(move |m| m.3 == two),
        ),
        (format!("user={ALICE}"), Box::new(|m| m.1 == ALICE)),
        (format!("user={AGENT}"), Box::new(|m| m.1 == AGENT)),
        ("user=alice".to_owned(), Box::new(|_| false)),
        (
            "action=reveal_key".to_owned(),
            Box::new(|m| m.4 == "reveal_key"),
        ),
        (
            "action=download".to_owned(),
            Box::new(|m| m.4 == "download"),
        ),
        (
            "action=copy_link".to_owned(),
            Box::new(|m| m.4 == "copy_link"),
        ),
        (
            format!("customer_id={customer_2}&user={AGENT}&action=reveal_key"),
            Box::new(move |m| m.2 == customer_2 && m.1 == AGENT && m.4 == "reveal_key"),
        ),
        (
            format!("user={ALICE}&from=2026-01-11&to=2026-01-13"),
            Box::new(|m| m.1 == ALICE && m.0 >= "2026-01-11" && m.0 < "2026-01-13"),
        ),
        (
            format!("subscription_id={one}&customer_id={customer_2}"),
            Box::new(|_| false),
        ),
    ];
    for (query, keep) in &cases {
        let want = expected(&made, keep);
        // Whole, and a page of one at a time: paging resumes after the filtered
        // entries only.
        for limit in [1000, 1] {
            let (entries, pages) = all_pages(&s, query, limit).await;
            let got: Vec<_> = entries.iter().map(made_of).collect();
            assert_eq!(got, want, "{query} limit {limit}");
            if limit == 1 {
                assert_eq!(pages, want.len().max(1), "{query}: one page per entry");
            }
            assert!(
                entries
                    .iter()
                    .all(|e| e["partner_id"] == PARTNER_A.to_string()),
                "GEN-2"
            );
        }
    }
    // B's log holds its one entry; A's filters never reach it.
    let b = s
        .get(B, &format!("/v1/audit/key-access?customer_id={CUSTOMER}"))
        .await
        .ok();
    assert_eq!(b["entries"].as_array().unwrap().len(), 1);
    assert_eq!(b["entries"][0]["user"], "bob@b.example");
}

#[tokio::test]
async fn key_4_key_access_filters_refuse_bad_values_naming_the_field() {
    let s = Server::start().await;
    for (query, field) in [
        ("customer_id=not-a-uuid", "customer_id"),
        ("subscription_id=42", "subscription_id"),
        ("action=reveal", "action"),
        ("action=REVEAL_KEY", "action"),
        ("user=", "user"),
        ("format=xml", "format"),
        ("from=yesterday", "from"),
        ("limit=0", "limit"),
        ("cursor=zz", "cursor"),
        ("colour=red", "colour"),
    ] {
        let err = s
            .get(A, &format!("/v1/audit/key-access?{query}"))
            .await
            .error(400, "InvalidRequest");
        assert_eq!(err["details"]["field"], field, "{query}: {err}");
        if !["format", "limit", "cursor"].contains(&field) {
            let err = s
                .get(A, &format!("/v1/audit/key-access/daily?{query}"))
                .await
                .error(400, "InvalidRequest");
            assert_eq!(err["details"]["field"], field, "daily {query}: {err}");
        }
    }
    // The daily counts have no pages.
    for query in ["limit=10", "cursor=c131", "format=csv"] {
        s.get(A, &format!("/v1/audit/key-access/daily?{query}"))
            .await
            .error(400, "InvalidRequest");
    }
}

/// Splits RFC 4180 text into rows of fields (quoted fields may hold commas,
/// quotes and line breaks).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "CRLF");
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        field.is_empty() && row.is_empty(),
        "the last line ends with CRLF"
    );
    rows
}

fn as_csv_fields(entry: &Value, columns: &[String]) -> Vec<String> {
    columns
        .iter()
        .map(|c| match &entry[c] {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

#[tokio::test]
async fn key_4_key_access_csv_is_the_json_page() {
    let s = Server::start().await;
    let (customer_2, _, _, made) = scenario(&s).await;
    // The JSON entry's fields in the order the body writes them (a parsed
    // `Value` sorts its keys, so read the raw text).
    let raw = s.get(A, "/v1/audit/key-access?limit=1").await.text();
    let first = &raw[raw.find("\"entries\":[{").unwrap()..];
    let mut json_columns: Vec<(usize, String)> =
        serde_json::from_str::<Value>(&raw).unwrap()["entries"][0]
            .as_object()
            .unwrap()
            .keys()
            .map(|k| (first.find(&format!("\"{k}\":")).unwrap(), k.clone()))
            .collect();
    json_columns.sort();
    let json_columns: Vec<String> = json_columns.into_iter().map(|(_, k)| k).collect();
    for query in [
        String::new(),
        format!("customer_id={customer_2}"),
        format!("user={ALICE}&action=download"),
        "from=2026-01-11".to_owned(),
    ] {
        let mut cursor: Option<String> = None;
        let mut seen = 0;
        loop {
            let mut path = format!("/v1/audit/key-access?limit=2&{query}");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let json = s.get(A, &path).await.ok();
            let by_param = s.get(A, &format!("{path}&format=csv")).await;
            let by_accept = s.get_with(A, &path, &[("accept", "text/csv")]).await;
            assert_eq!(by_param.status, 200, "{}", by_param.text());
            assert_eq!(
                by_param.header("content-type"),
                Some("text/csv; charset=utf-8")
            );
            assert_eq!(
                by_param.header("content-disposition"),
                Some("attachment; filename=\"key-access.csv\"")
            );
            assert_eq!(by_param.body, by_accept.body);
            assert_eq!(
                by_param.header("x-next-cursor"),
                json["next_cursor"].as_str()
            );
            let rows = parse_csv(&by_param.text());
            assert_eq!(
                rows[0],
                [
                    "at",
                    "user",
                    "role",
                    "partner_id",
                    "customer_id",
                    "subscription_id",
                    "product_id",
                    "product_name",
                    "action",
                    "version",
                    "language",
                    "os"
                ]
            );
            assert_eq!(rows[0], json_columns, "the JSON entry's fields, in order");
            let entries = json["entries"].as_array().unwrap();
            assert_eq!(rows.len(), entries.len() + 1, "{query}");
            for (row, entry) in rows[1..].iter().zip(entries) {
                assert_eq!(*row, as_csv_fields(entry, &rows[0]), "{query}");
            }
            seen += entries.len();
            match json["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        let filtered = s
            .get(A, &format!("/v1/audit/key-access?{query}"))
            .await
            .ok();
        assert_eq!(
            seen,
            filtered["entries"].as_array().unwrap().len(),
            "{query}"
        );
    }
    // The instants are the JSON's RFC 3339 text, and the first entry is known.
    let csv = s.get(A, "/v1/audit/key-access?format=csv").await.text();
    let rows = parse_csv(&csv);
    assert_eq!(rows.len(), made.len() + 1);
    assert_eq!(rows[1][0], START);
    assert_eq!(rows[1][1], ALICE);
    assert_eq!(rows[1][2], "admin_agent");
    assert_eq!(rows[1][8], "reveal_key");
    assert_eq!(rows[2][10], "fr-FR");
    // No entries: the header line alone.
    let none = s
        .get(B, "/v1/audit/key-access?format=csv&action=download")
        .await
        .text();
    assert_eq!(
        none,
        "at,user,role,partner_id,customer_id,subscription_id,product_id,product_name,action,version,language,os\r\n"
    );
}

#[tokio::test]
async fn key_4_daily_counts_equal_the_entries() {
    let s = Server::start().await;
    let (customer_2, one, _, made) = scenario(&s).await;
    let cases: Vec<(String, Keep)> = vec![
        (String::new(), Box::new(|_| true)),
        (
            format!("customer_id={customer_2}"),
            Box::new(move |m| m.2 == customer_2),
        ),
        (
            format!("subscription_id={one}"),
            Box::new(move |m| m.3 == one),
        ),
        (format!("user={AGENT}"), Box::new(|m| m.1 == AGENT)),
        (
            "action=reveal_key".to_owned(),
            Box::new(|m| m.4 == "reveal_key"),
        ),
        (
            "from=2026-01-11T12:00:00Z&to=2026-01-13".to_owned(),
            Box::new(|m| m.0 == "2026-01-11"),
        ),
        ("user=nobody".to_owned(), Box::new(|_| false)),
    ];
    for (query, keep) in &cases {
        // Counted independently from what the test did.
        let mut want: BTreeMap<&str, [u64; 3]> = BTreeMap::new();
        for m in made.iter().filter(|m| keep(m)) {
            let i = ["reveal_key", "download", "copy_link"]
                .iter()
                .position(|a| *a == m.4)
                .unwrap();
            want.entry(m.0).or_default()[i] += 1;
        }
        let want: Vec<Value> = want
            .into_iter()
            .map(|(date, [r, d, c])| {
                json!({"date": date, "reveal_key": r, "download": d, "copy_link": c,
                       "total": r + d + c})
            })
            .collect();
        let daily = s
            .get(A, &format!("/v1/audit/key-access/daily?{query}"))
            .await
            .ok();
        assert_eq!(daily, json!({ "days": want }), "{query}");
        // And they are the log's entries under the same filters.
        let entries = s
            .get(A, &format!("/v1/audit/key-access?limit=1000&{query}"))
            .await
            .ok();
        let total: u64 = daily["days"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["total"].as_u64().unwrap())
            .sum();
        assert_eq!(total as usize, entries["entries"].as_array().unwrap().len());
    }
    // Partner B counts its own entry only.
    let b = s.get(B, "/v1/audit/key-access/daily").await.ok();
    assert_eq!(
        b,
        json!({"days": [{"date": "2026-01-13", "reveal_key": 1, "download": 0,
                          "copy_link": 0, "total": 1}]})
    );
}

#[tokio::test]
async fn key_4_daily_counts_are_for_the_key_access_roles_only() {
    let s = Server::start().await;
    let err = s
        .get(&role_token(Role::SalesAgent), "/v1/audit/key-access/daily")
        .await
        .error(403, "Forbidden");
    assert_eq!(err["rule"], "GEN-3");
    for role in Role::ALL.iter().filter(|r| r.is_partner_role()) {
        let r = s
            .get(&role_token(*role), "/v1/audit/key-access/daily")
            .await;
        let allowed = matches!(
            role,
            Role::GlobalAdmin
                | Role::AccountAdmin
                | Role::ReferralAdmin
                | Role::MarketingContentAdmin
        );
        if allowed {
            assert_eq!(r.ok(), json!({"days": []}), "{role:?}");
        } else {
            r.error(403, "Forbidden");
        }
    }
    s.get(C, "/v1/audit/key-access/daily")
        .await
        .error(403, "Forbidden");
    s.get(
        &role_token(Role::SalesAgent),
        "/v1/audit/key-access?format=csv",
    )
    .await
    .error(403, "Forbidden");
}
