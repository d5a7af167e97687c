//! GEN-5 golden encodings: for one realistic command of each of the 20 types, the
//! canonical JSON and the fingerprint are pinned. The fingerprint is stored in the
//! log's metadata and compared after restarts, so a change of the command types'
//! shape must never change either. The commands are parsed from API-shaped JSON
//! (some defaults omitted, some spelled out), so this file does not depend on how
//! the Rust types are declared.

use subledger_domain::command::Command;

/// (API input, canonical JSON, fingerprint)
const GOLDEN: [(&str, &str, &str); 20] = [
    (
        r#"{"type":"CreateCustomer","customer_id":"6f1c0000-0000-0000-0000-000000000001","company_name":"Contoso Ltd","domain":"contoso.example","country":"NL","segment":"education"}"#,
        r#"{"type":"CreateCustomer","customer_id":"6f1c0000-0000-0000-0000-000000000001","company_name":"Contoso Ltd","domain":"contoso.example","country":"NL","segment":"education"}"#,
        "aca6cc73e85a374659e743332ac83150b3e5ef38c5e26d14512355358012834a",
    ),
    (
        r#"{"type":"RequestRelationship","customer_id":"6f1c0000-0000-0000-0000-000000000001"}"#,
        r#"{"type":"RequestRelationship","customer_id":"6f1c0000-0000-0000-0000-000000000001"}"#,
        "0e8d69710da92226880d1369784d776649d3dd34ac606c2924e8253f4a01cfde",
    ),
    (
        r#"{"type":"AcceptRelationship","partner_id":"7a000000-0000-0000-0000-00000000000b"}"#,
        r#"{"type":"AcceptRelationship","partner_id":"7a000000-0000-0000-0000-00000000000b"}"#,
        "28bf7f5dff32eeef224a8e5d5813f6d6567d51b1a974b979bdd05a9850ef4b97",
    ),
    (
        r#"{"items":[{"product_id":"m365-e3","quantity":12,"term":"P1Y","billing":"monthly","promotion_id":"promo-2024"},{"subscription_id":"5b000000-0000-0000-0000-000000000002","product_id":"office-2021","quantity":3,"term":null,"billing":"one_time","auto_renew":false},{"product_id":"teams-essentials","quantity":25,"term":"P1M","billing":"monthly","trial":true}],"customer_id":"6f1c0000-0000-0000-0000-000000000001","order_id":"0d000000-0000-0000-0000-000000000003","reseller_id":"8e000000-0000-0000-0000-000000000004","additional_resellers":["8e000000-0000-0000-0000-000000000005"],"type":"Purchase"}"#,
        r#"{"type":"Purchase","customer_id":"6f1c0000-0000-0000-0000-000000000001","order_id":"0d000000-0000-0000-0000-000000000003","items":[{"subscription_id":null,"product_id":"m365-e3","quantity":12,"term":"P1Y","billing":"monthly","auto_renew":true,"trial":false,"promotion_id":"promo-2024"},{"subscription_id":"5b000000-0000-0000-0000-000000000002","product_id":"office-2021","quantity":3,"term":null,"billing":"one_time","auto_renew":false,"trial":false,"promotion_id":null},{"subscription_id":null,"product_id":"teams-essentials","quantity":25,"term":"P1M","billing":"monthly","auto_renew":true,"trial":true,"promotion_id":null}],"reseller_id":"8e000000-0000-0000-0000-000000000004","additional_resellers":["8e000000-0000-0000-0000-000000000005"]}"#,
        "1d79fd5fe944b46eb77126aa323ec11f7e93d21513b3ccbd944158a641f4f755",
    ),
    (
        r#"{"type":"AddSeats","subscription_id":"5b000000-0000-0000-0000-000000000001","seats":4}"#,
        r#"{"type":"AddSeats","subscription_id":"5b000000-0000-0000-0000-000000000001","seats":4}"#,
        "727e88000fa2ff73c79d739ae0d60751b3369eeddcf731338ce3a11e36d8493e",
    ),
    (
        r#"{"type":"ReduceSeats","subscription_id":"5b000000-0000-0000-0000-000000000001","seats":2}"#,
        r#"{"type":"ReduceSeats","subscription_id":"5b000000-0000-0000-0000-000000000001","seats":2}"#,
        "c4ad79f80fcec2ea7b93297bb6606bfc862fc8055c36d7bdd8e1bdd6494724a6",
    ),
    (
        r#"{"type":"Suspend","subscription_id":"5b000000-0000-0000-0000-000000000001"}"#,
        r#"{"type":"Suspend","subscription_id":"5b000000-0000-0000-0000-000000000001"}"#,
        "12581a3d6db9b9103c8cbe1fbb80e9794af341ed1c217c18430b0a4c18727328",
    ),
    (
        r#"{"type":"Reactivate","subscription_id":"5b000000-0000-0000-0000-000000000001"}"#,
        r#"{"type":"Reactivate","subscription_id":"5b000000-0000-0000-0000-000000000001"}"#,
        "9b3b2c3c8dce61da139c9144766650aee5ca78860e71aca49dbd9d37e967ac4a",
    ),
    (
        r#"{"type":"SetAutoRenew","subscription_id":"5b000000-0000-0000-0000-000000000001","enabled":false}"#,
        r#"{"type":"SetAutoRenew","subscription_id":"5b000000-0000-0000-0000-000000000001","enabled":false}"#,
        "1a31047b2c97d22842eaab10415265d267b301a067e21a4459619ef8476f1746",
    ),
    (
        r#"{"type":"Upgrade","subscription_id":"5b000000-0000-0000-0000-000000000001","target_product_id":"m365-e5","quantity":5,"term":"P1Y","billing":"annual","timing":"end_of_term"}"#,
        r#"{"type":"Upgrade","subscription_id":"5b000000-0000-0000-0000-000000000001","target_product_id":"m365-e5","quantity":5,"target_subscription_id":null,"term":"P1Y","billing":"annual","timing":"end_of_term"}"#,
        "2db5054b0d21ae806e28e91a62f068c7bc7beaef6cb597c9d880e6a4d4a0a54f",
    ),
    (
        r#"{"type":"ScheduleChange","subscription_id":"5b000000-0000-0000-0000-000000000001","quantity":30,"billing":"annual","coterm_date":"2026-03-31"}"#,
        r#"{"type":"ScheduleChange","subscription_id":"5b000000-0000-0000-0000-000000000001","product_id":null,"quantity":30,"term":null,"billing":"annual","coterm_date":"2026-03-31"}"#,
        "63c6aa67453f56230cb087abec0d15f232b57fda76d7f7048e49641a84787227",
    ),
    (
        r#"{"type":"ClearScheduledChange","subscription_id":"5b000000-0000-0000-0000-000000000001"}"#,
        r#"{"type":"ClearScheduledChange","subscription_id":"5b000000-0000-0000-0000-000000000001"}"#,
        "8afe0ca2e8564cb6b66e58b48ea75bfbd92bbb7063deac8d21661056a6b5e80c",
    ),
    (
        r#"{"type":"ConvertTrial","subscription_id":"5b000000-0000-0000-0000-000000000001","quantity":40,"term":"P3Y","billing":"triennial"}"#,
        r#"{"type":"ConvertTrial","subscription_id":"5b000000-0000-0000-0000-000000000001","target_subscription_id":null,"quantity":40,"term":"P3Y","billing":"triennial"}"#,
        "a99aeb50a24165bfe74f22439317269992f9cc4ca1c25852f22615921e0d19f3",
    ),
    (
        r#"{"type":"Cancel","subscription_id":"5b000000-0000-0000-0000-000000000001"}"#,
        r#"{"type":"Cancel","subscription_id":"5b000000-0000-0000-0000-000000000001"}"#,
        "b1c1976904e52b7a2b23e4a95dd5ecafcbf71845e141ddb7400155324322f6c3",
    ),
    (
        r#"{"type":"RequestTransfer","customer_id":"6f1c0000-0000-0000-0000-000000000001","source_partner_id":"7a000000-0000-0000-0000-00000000000a","customer_email":"it@contoso.example"}"#,
        r#"{"type":"RequestTransfer","customer_id":"6f1c0000-0000-0000-0000-000000000001","source_partner_id":"7a000000-0000-0000-0000-00000000000a","customer_email":"it@contoso.example"}"#,
        "28148a946fcb92415dc7e5fbef133f5173bf2e4985b5cd844154f3845a5863a0",
    ),
    (
        r#"{"type":"AcceptTransfer","transfer_id":"9c000000-0000-0000-0000-000000000001","subscription_ids":["5b000000-0000-0000-0000-000000000001","5b000000-0000-0000-0000-000000000002"]}"#,
        r#"{"type":"AcceptTransfer","transfer_id":"9c000000-0000-0000-0000-000000000001","subscription_ids":["5b000000-0000-0000-0000-000000000001","5b000000-0000-0000-0000-000000000002"]}"#,
        "32ab59719d739f6d0ff0003c739a2f457cc3a1e3d7938dd1026fd18d5e574632",
    ),
    (
        r#"{"type":"RejectTransfer","transfer_id":"9c000000-0000-0000-0000-000000000001"}"#,
        r#"{"type":"RejectTransfer","transfer_id":"9c000000-0000-0000-0000-000000000001"}"#,
        "7049c27628072a9d77fcc92752c3156525ae3933bba20f17b213884e3fe8155d",
    ),
    (
        r#"{"type":"RevealKey","subscription_id":"5b000000-0000-0000-0000-000000000001","version":"2021","language":"nl-NL"}"#,
        r#"{"type":"RevealKey","subscription_id":"5b000000-0000-0000-0000-000000000001","key_type":"MAK","version":"2021","language":"nl-NL","os":null}"#,
        "afab6a2f307385f1ace25a45f3436ec85073f9c2066e28cc8011a7d6b12ca3ee",
    ),
    (
        r#"{"type":"DownloadSoftware","subscription_id":"5b000000-0000-0000-0000-000000000001","version":"2021","language":"en-US","os":"windows-x64"}"#,
        r#"{"type":"DownloadSoftware","subscription_id":"5b000000-0000-0000-0000-000000000001","version":"2021","language":"en-US","os":"windows-x64"}"#,
        "206bf1721fa3e089dccb0956f207ec895b17e0970477d5872353787d809a2df3",
    ),
    (
        r#"{"type":"CopyDownloadLink","subscription_id":"5b000000-0000-0000-0000-000000000001","os":"macos"}"#,
        r#"{"type":"CopyDownloadLink","subscription_id":"5b000000-0000-0000-0000-000000000001","version":null,"language":null,"os":"macos"}"#,
        "994aee0a49625cbb7383986ed4f085cfd8980b74c9904a9d7c9b766b4a2f73cd",
    ),
];

#[test]
fn gen_5_every_command_type_keeps_its_canonical_json_and_fingerprint() {
    let mut seen: Vec<&str> = Vec::new();
    for (input, json, fingerprint) in GOLDEN {
        let command: Command = serde_json::from_str(input)
            .unwrap_or_else(|e| panic!("golden input does not parse: {e}\n{input}"));
        assert_eq!(
            serde_json::to_string(&command).unwrap(),
            json,
            "canonical JSON of {input}"
        );
        assert_eq!(command.fingerprint(), fingerprint, "fingerprint of {input}");
        // Parsing the canonical form gives the same command back.
        let again: Command = serde_json::from_str(json).unwrap();
        assert_eq!(again, command);
        seen.push(command.type_name());
    }
    seen.sort_unstable();
    seen.dedup();
    let mut all = Command::TYPE_NAMES.to_vec();
    all.sort_unstable();
    assert_eq!(seen, all, "one golden command per type");
}
