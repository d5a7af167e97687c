//! `subledger export`: the VIEW-3 CSV as the API gives it, and the projections' files.

use super::*;

#[tokio::test]
async fn export_subscriptions_is_the_view_3_csv_of_the_api_now_and_as_of() {
    let l = Ledger::build();
    let now = l.ok(&["export", "subscriptions", "--customer", CUSTOMER]);
    let rows = csv_lines(&now);
    assert_eq!(
        rows[0],
        "subscription_id,name,quantity,status,billing_cycle,promotion,reseller"
    );
    assert_eq!(rows.len(), 3, "{now}");
    assert_eq!(
        rows[1],
        format!("{S1},Microsoft 365 E3,8,cancelled; auto-renew off,monthly,none,none")
    );
    assert!(
        rows[2].starts_with(&format!(
            "{S2},Windows Server 2022 Standard - 16 Core License Pack,2,active; auto-renew on; renews 2027-01-10,annual,"
        )),
        "{}",
        rows[2]
    );
    let early = l.ok(&[
        "export",
        "subscriptions",
        "--customer",
        CUSTOMER,
        "--as-of",
        "2026-01-11T00:00:00Z",
    ]);
    assert_eq!(
        csv_lines(&early)[1],
        format!(
            "{S1},Microsoft 365 E3,5,active; auto-renew on; renews 2027-01-10,monthly,none,none"
        )
    );
    // Another partner's filter leaves the header alone.
    let none = l.ok(&[
        "export",
        "subscriptions",
        "--customer",
        CUSTOMER,
        "--partner",
        P2,
    ]);
    assert_eq!(csv_lines(&none).len(), 1);
    // JSON: the subscription views.
    let views: Value = serde_json::from_str(&l.ok(&[
        "export",
        "subscriptions",
        "--customer",
        CUSTOMER,
        "--format",
        "json",
        "--as-of",
        "2026-01-11",
    ]))
    .unwrap();
    let views = views.as_array().unwrap();
    assert_eq!(views.len(), 2);
    assert_eq!(views[0]["subscription_id"], S1);
    assert_eq!(views[0]["quantity"], 5);
    assert_eq!(views[0]["status"], "active");
    assert_eq!(views[0]["partner_id"], P1);
    // Unknown and malformed customers, and a customer before it existed.
    let e = l.fails(
        &[
            "export",
            "subscriptions",
            "--customer",
            &Uuid::new_v4().to_string(),
        ],
        2,
    );
    assert!(e.contains("no customer"), "{e}");
    l.fails(&["export", "subscriptions", "--customer", "fabrikam"], 2);
    l.fails(
        &[
            "export",
            "subscriptions",
            "--customer",
            CUSTOMER,
            "--as-of",
            "2026-01-01",
        ],
        2,
    );

    // The same bytes as the API's export, now and as of an instant.
    let server = Server::start_with(&l.dir, &["--clock", "simulated", "--now", T2]);
    for (cli, query) in [
        (&now, "format=csv".to_owned()),
        (&early, "format=csv&as_of=2026-01-11T00:00:00Z".to_owned()),
    ] {
        let r = server
            .client
            .get(server.url(&format!("/v1/customers/{CUSTOMER}/subscriptions?{query}")))
            .bearer_auth("tok-admin")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(&r.text().await.unwrap(), cli, "{query}");
    }
}

/// Builds `projections.db` as the server's projection runner does, up to the
/// log's head.
async fn project(dir: &Path) {
    let store: Arc<dyn subledger_store::EventStore> =
        Arc::new(subledger_store::SqliteStore::open_read_only(dir.join("events.db")).unwrap());
    let head = store.last_position().await.unwrap();
    let db =
        Arc::new(subledger_projections::ProjectionDb::open(dir.join("projections.db")).unwrap());
    let (projections, handle) = subledger_app::Projections::spawn(store, db).await.unwrap();
    projections
        .wait_for(head, Duration::from_secs(30))
        .await
        .unwrap();
    handle.abort();
    let _ = handle.await;
}

fn files(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                read(&p),
            )
        })
        .collect()
}

#[tokio::test]
async fn export_projections_refuses_without_them_matches_a_replay_and_the_log_completes_them() {
    let l = Ledger::build();
    let root = l.dir.parent().unwrap().to_owned();
    let e = l.fails(
        &[
            "export",
            "projections",
            "--out",
            root.join("p").to_str().unwrap(),
        ],
        2,
    );
    assert!(e.contains("no projections at"), "{e}");
    assert!(!root.join("p").exists());

    project(&l.dir).await;
    for format in ["csv", "jsonl"] {
        let (p, r) = (
            root.join(format!("p-{format}")),
            root.join(format!("r-{format}")),
        );
        let summary = l.ok(&[
            "export",
            "projections",
            "--format",
            format,
            "--out",
            p.to_str().unwrap(),
        ]);
        assert!(summary.contains(&format!("views as of: {T2}")), "{summary}");
        l.ok(&["replay", "--format", format, "--out", r.to_str().unwrap()]);
        let (p, r) = (files(&p), files(&r));
        assert_eq!(p.len(), 5);
        assert_eq!(p, r, "the live projections and a replay differ ({format})");
    }

    // Written after the projections' checkpoint: a link copied and a new
    // subscription. The tools read the log past the checkpoint.
    let s4 = "bbbbbbbb-0000-4000-8000-000000000004";
    l.exec(
        "tok-admin",
        "2026-01-16T09:00:00Z",
        &[
            json!({"command_id": uuid(), "type": "CopyDownloadLink", "subscription_id": S2}),
            json!({"command_id": uuid(), "type": "Purchase", "customer_id": CUSTOMER, "items": [
                {"subscription_id": s4, "product_id": "sql-server-2022-standard", "quantity": 1,
                 "term": "P1Y", "billing": "annual"}]}),
        ],
    );
    let json: Value = serde_json::from_str(&l.ok(&audit_admin_2026(Some("json")))).unwrap();
    let actions: Vec<&str> = json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["reveal_key", "download", "copy_link", "copy_link"]
    );
    let history = l.ok(&["history", s4]);
    assert!(history.contains("SubscriptionCreated"), "{history}");
    assert!(l.ok(&["history", S1]).contains("SeatsAdded"));
    let csv = l.ok(&["export", "subscriptions", "--customer", CUSTOMER]);
    assert!(csv.contains(s4), "{csv}");
}
