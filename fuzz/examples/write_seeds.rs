//! Writes the committed seed corpora under `seeds/` from the fixture:
//! `cargo run --example write_seeds` (in `fuzz/`). Command seeds name the
//! fixture's subscriptions by placeholder index, so they stay valid as long as
//! the fixture keeps its shape; event seeds are the fixture's own history as
//! the codec writes it (and a version 1 `SubscriptionUpgraded`).

use std::path::Path;

use subledger_app::codec;
use subledger_domain::state::{Status, TransferStatus};
use subledger_fuzz::{Fixture, record_to_text};
use subledger_store::RecordedEvent;
use uuid::Uuid;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let fx = Fixture::get();
    write_commands(fx, &root.join("command_decide"));
    write_events(fx, &root.join("event_decode"));
    write_auth(&root.join("auth_file"));
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::create_dir_all(dir).expect("seed dir");
    std::fs::write(dir.join(name), bytes).expect("seed written");
}

/// The placeholder of the fixture's first subscription matching `f`.
fn sub(fx: &Fixture, f: impl Fn(&subledger_domain::Subscription) -> bool) -> String {
    let i = fx
        .subscriptions
        .iter()
        .position(|id| f(&fx.state.subscriptions[id]))
        .expect("the fixture holds one");
    placeholder(i)
}

fn placeholder(i: usize) -> String {
    Uuid::from_u128(i as u128).to_string()
}

fn write_commands(fx: &Fixture, dir: &Path) {
    let product = |p: &'static str| move |s: &subledger_domain::Subscription| s.product_id == p;
    let e3 = sub(fx, |s| {
        s.product_id == "m365-e3" && s.status == Status::Active
    });
    let copilot = sub(fx, product("copilot-m365"));
    let server = sub(fx, product("windows-server-2022-standard"));
    let perpetual = sub(fx, product("windows-server-2022-perpetual"));
    let trial = sub(fx, |s| s.trial);
    let suspended = sub(fx, product("m365-business-standard"));
    let cancelled = sub(fx, |s| s.status == Status::Cancelled);
    let premium = sub(fx, product("m365-business-premium"));
    let pending = placeholder(
        fx.transfers
            .iter()
            .position(|t| fx.state.transfers[t].status == TransferStatus::Pending)
            .expect("a pending transfer"),
    );
    let customer = placeholder(0);
    // The command id's last byte picks the actor: 0 is partner A's admin agent,
    // 1 partner B's, 2 partner C's, 6 the customer's admin (Fixture::actors).
    let id = |actor: u8| format!("00000000-0000-0000-0000-0000000000{actor:02x}");
    let a = id(0);
    let b = id(1);
    let seeds = [
        (
            "create_customer",
            format!(
                r#"{{"command_id":"{a}","type":"CreateCustomer","customer_id":"7a000000-0000-0000-0000-000000000001","company_name":"Contoso","domain":"contoso.example","country":"DE","segment":"commercial"}}"#
            ),
        ),
        (
            "request_relationship",
            format!(
                r#"{{"command_id":"{}","type":"RequestRelationship","customer_id":"{customer}"}}"#,
                id(7)
            ),
        ),
        (
            "accept_relationship",
            format!(
                r#"{{"command_id":"{}","type":"AcceptRelationship","partner_id":"{}"}}"#,
                id(6),
                placeholder(3)
            ),
        ),
        (
            "purchase",
            format!(
                r#"{{"command_id":"{a}","type":"Purchase","customer_id":"{customer}","items":[{{"product_id":"m365-e3","quantity":3,"term":"P1Y","billing":"annual"}},{{"product_id":"copilot-m365","quantity":2,"term":"P1M","billing":"monthly","auto_renew":false}}]}}"#
            ),
        ),
        (
            "purchase_into_existing",
            format!(
                r#"{{"command_id":"{a}","type":"Purchase","customer_id":"{customer}","items":[{{"subscription_id":"{e3}","product_id":"m365-e3","quantity":1,"term":"P1Y","billing":"monthly"}}]}}"#
            ),
        ),
        (
            "add_seats",
            format!(
                r#"{{"command_id":"{a}","type":"AddSeats","subscription_id":"{premium}","seats":2}}"#
            ),
        ),
        (
            "reduce_seats",
            format!(
                r#"{{"command_id":"{a}","type":"ReduceSeats","subscription_id":"{e3}","seats":3}}"#
            ),
        ),
        (
            "reduce_seats_later",
            format!(
                r#"{{"command_id":"{a}","expected_version":200,"type":"ReduceSeats","subscription_id":"{e3}","seats":3}}"#
            ),
        ),
        (
            "suspend",
            format!(r#"{{"command_id":"{a}","type":"Suspend","subscription_id":"{e3}"}}"#),
        ),
        (
            "reactivate",
            format!(
                r#"{{"command_id":"{a}","type":"Reactivate","subscription_id":"{suspended}"}}"#
            ),
        ),
        (
            "set_auto_renew",
            format!(
                r#"{{"command_id":"{a}","type":"SetAutoRenew","subscription_id":"{perpetual}","enabled":false}}"#
            ),
        ),
        (
            "upgrade",
            format!(
                r#"{{"command_id":"{a}","type":"Upgrade","subscription_id":"{e3}","target_product_id":"m365-e5","quantity":4,"timing":"end_of_term"}}"#
            ),
        ),
        (
            "upgrade_into",
            format!(
                r#"{{"command_id":"{a}","type":"Upgrade","subscription_id":"{suspended}","target_product_id":"m365-business-premium","quantity":1,"target_subscription_id":"{premium}"}}"#
            ),
        ),
        (
            "schedule_change",
            format!(
                r#"{{"command_id":"{a}","type":"ScheduleChange","subscription_id":"{e3}","quantity":8,"term":"P3Y","billing":"annual"}}"#
            ),
        ),
        (
            "clear_scheduled_change",
            format!(
                r#"{{"command_id":"{a}","type":"ClearScheduledChange","subscription_id":"{e3}"}}"#
            ),
        ),
        (
            "convert_trial",
            format!(
                r#"{{"command_id":"{a}","type":"ConvertTrial","subscription_id":"{trial}","quantity":30,"term":"P1Y","billing":"monthly"}}"#
            ),
        ),
        (
            "cancel",
            format!(
                r#"{{"command_id":"{a}","dry_run":true,"type":"Cancel","subscription_id":"{copilot}"}}"#
            ),
        ),
        (
            "cancel_cancelled",
            format!(r#"{{"command_id":"{a}","type":"Cancel","subscription_id":"{cancelled}"}}"#),
        ),
        (
            "request_transfer",
            format!(
                r#"{{"command_id":"{}","type":"RequestTransfer","customer_id":"{customer}","source_partner_id":"{}","customer_email":"it@fabrikam.example"}}"#,
                id(2),
                placeholder(0)
            ),
        ),
        (
            "accept_transfer",
            format!(
                r#"{{"command_id":"{a}","type":"AcceptTransfer","transfer_id":"{pending}","subscription_ids":["{e3}","{premium}"]}}"#
            ),
        ),
        (
            "reject_transfer",
            format!(r#"{{"command_id":"{a}","type":"RejectTransfer","transfer_id":"{pending}"}}"#),
        ),
        (
            "reveal_key",
            format!(
                r#"{{"command_id":"{a}","type":"RevealKey","subscription_id":"{server}","key_type":"MAK","version":"2022","language":"nl-NL","os":"x64"}}"#
            ),
        ),
        (
            "download_software",
            format!(
                r#"{{"command_id":"{a}","type":"DownloadSoftware","subscription_id":"{perpetual}","version":"2022","language":"de-DE"}}"#
            ),
        ),
        (
            "copy_download_link",
            format!(
                r#"{{"command_id":"{b}","type":"CopyDownloadLink","subscription_id":"{server}"}}"#
            ),
        ),
        (
            "expiry_years_later",
            format!(
                r#"{{"command_id":"{a}","expected_version":9000,"type":"AddSeats","subscription_id":"{e3}","seats":1}}"#
            ),
        ),
    ];
    for (name, body) in seeds {
        write(dir, &format!("{name}.json"), body.as_bytes());
    }
}

fn write_events(fx: &Fixture, dir: &Path) {
    let mut seen = std::collections::BTreeSet::new();
    let mut upgraded = None;
    for (i, e) in fx.history.iter().enumerate() {
        let record = codec::encode_command(
            std::slice::from_ref(e),
            e.command_id.unwrap_or_default(),
            "fp",
        )
        .remove(0);
        let r = RecordedEvent {
            stream: String::new(),
            version: i as u64 + 1,
            position: i as u64 + 1,
            event_id: record.event_id,
            event_type: record.event_type,
            schema_version: record.schema_version,
            data: record.data,
            metadata: record.metadata,
        };
        if r.event_type == "SubscriptionUpgraded" {
            upgraded = Some(r.clone());
        }
        // One seed per event type: the corpus stays small.
        if seen.insert(r.event_type.clone()) {
            write(dir, &format!("{}.txt", r.event_type), &record_to_text(&r));
        }
    }
    // The one upcast step so far: SubscriptionUpgraded v1 called `seats_moved` `seats`.
    let mut v1 = upgraded.expect("the fixture upgrades a subscription");
    let mut data: serde_json::Value = serde_json::from_slice(&v1.data).expect("json");
    let m = data.as_object_mut().expect("an object");
    let seats = m.remove("seats_moved").expect("seats_moved");
    m.insert("seats".into(), seats);
    v1.data = serde_json::to_vec(&data).expect("json").into();
    v1.schema_version = 1;
    write(dir, "SubscriptionUpgraded-v1.txt", &record_to_text(&v1));
}

fn write_auth(dir: &Path) {
    write(
        dir,
        "partner_and_customer.json",
        br#"{"tokens":[{"token":"token-aaaaaaaaaaaaaaaa","user":"agent@partner.example","partner_id":"11111111-1111-1111-1111-111111111111","roles":["admin_agent","sales_agent","helpdesk_agent"]},{"token":"token-cccccccccccccccc","user":"admin@customer.example","customer_id":"22222222-2222-2222-2222-222222222222","roles":["customer_global_admin"]}]}"#,
    );
    write(
        dir,
        "every_partner_role.json",
        br#"{
  "tokens": [
    {
      "token": "dev-0123456789abcdefghijABCDEFGHIJ",
      "user": "developer@partner.example",
      "partner_id": "11111111-1111-1111-1111-111111111111",
      "roles": ["admin_agent", "sales_agent", "helpdesk_agent", "billing_admin", "global_admin", "account_admin", "referral_admin", "marketing_content_admin"]
    }
  ]
}
"#,
    );
    write(
        dir,
        "duplicate_token.json",
        br#"{"tokens":[{"token":"token-dddddddddddd","user":"a@p.example","partner_id":"11111111-1111-1111-1111-111111111111","roles":["admin_agent"]},{"token":"token-dddddddddddd","user":"b@p.example","partner_id":"11111111-1111-1111-1111-111111111111","roles":["billing_admin"]}]}"#,
    );
    write(
        dir,
        "wrong_kind.json",
        br#"{"tokens":[{"token":"token-eeeeeeeeeeee","user":"c@c.example","customer_id":"22222222-2222-2222-2222-222222222222","roles":["admin_agent"]}]}"#,
    );
}
