//! Commands parse with API.md's field names and refuse anything else: unknown
//! fields (in every shape of command), negative numbers; GEN-5 fingerprints see
//! meaning, not spelling.

use subledger_domain::command::{Cancel, Command, ReduceSeats};
use uuid::Uuid;

#[test]
fn commands_parse_with_the_api_field_names() {
    let c: Command = serde_json::from_str(
        r#"{"type":"ReduceSeats","subscription_id":"6f1c0000-0000-0000-0000-000000000001","seats":3}"#,
    )
    .unwrap();
    assert!(matches!(
        c,
        Command::ReduceSeats(ReduceSeats { seats: 3, .. })
    ));
}

#[test]
fn unknown_fields_are_refused() {
    let e = serde_json::from_str::<Command>(
        r#"{"type":"ReduceSeats","subscription_id":"6f1c0000-0000-0000-0000-000000000001","seats":3,"seat":1}"#,
    )
    .unwrap_err();
    assert!(e.to_string().contains("unknown field `seat`"), "{e}");
    let e = serde_json::from_str::<Command>(
        r#"{"type":"Purchase","customer_id":"6f1c0000-0000-0000-0000-000000000001","items":[{"product_id":"x","quantity":1,"term":"P1M","billing":"monthly","qty":2}]}"#,
    )
    .unwrap_err();
    assert!(e.to_string().contains("unknown field `qty`"), "{e}");
}

#[test]
fn unknown_fields_are_refused_in_every_shape_of_command() {
    for (body, field) in [
        (
            r#"{"type":"ScheduleChange","subscription_id":"6f1c0000-0000-0000-0000-000000000001","quantity":3,"qty":1}"#,
            "qty",
        ),
        (
            r#"{"type":"ScheduleChange","subscription_id":"6f1c0000-0000-0000-0000-000000000001","target_product_id":"x"}"#,
            "target_product_id",
        ),
        (
            r#"{"type":"RevealKey","subscription_id":"6f1c0000-0000-0000-0000-000000000001","arch":"x64"}"#,
            "arch",
        ),
        (
            r#"{"type":"Cancel","subscription_id":"6f1c0000-0000-0000-0000-000000000001","now":true}"#,
            "now",
        ),
    ] {
        let e = serde_json::from_str::<Command>(body).unwrap_err();
        assert!(
            e.to_string().contains(&format!("unknown field `{field}`")),
            "{body}: {e}"
        );
    }
}

#[test]
fn a_scheduled_change_needs_its_subscription_and_well_typed_fields() {
    for body in [
        r#"{"type":"ScheduleChange","quantity":3}"#,
        r#"{"type":"ScheduleChange","subscription_id":"6f1c0000-0000-0000-0000-000000000001","quantity":-3}"#,
        r#"{"type":"ScheduleChange","subscription_id":"6f1c0000-0000-0000-0000-000000000001","term":"P2Y"}"#,
        r#"{"type":"ScheduleChange","subscription_id":"not-a-uuid","quantity":3}"#,
    ] {
        assert!(serde_json::from_str::<Command>(body).is_err(), "{body}");
    }
    let c: Command = serde_json::from_str(
        r#"{"type":"ScheduleChange","subscription_id":"6f1c0000-0000-0000-0000-000000000001","product_id":null}"#,
    )
    .unwrap();
    assert_eq!(c.type_name(), "ScheduleChange");
}

#[test]
fn negative_numbers_are_refused() {
    assert!(
        serde_json::from_str::<Command>(
            r#"{"type":"AddSeats","subscription_id":"6f1c0000-0000-0000-0000-000000000001","seats":-1}"#
        )
        .is_err()
    );
}

#[test]
fn gen_5_fingerprint_ignores_spelled_out_defaults_and_sees_real_differences() {
    let a: Command = serde_json::from_str(
        r#"{"type":"Purchase","customer_id":"6f1c0000-0000-0000-0000-000000000001","items":[{"product_id":"m365-e3","quantity":1,"term":"P1M","billing":"monthly"}]}"#,
    )
    .unwrap();
    let b: Command = serde_json::from_str(
        r#"{"items":[{"billing":"monthly","term":"P1M","quantity":1,"product_id":"m365-e3","auto_renew":true,"trial":false}],"customer_id":"6f1c0000-0000-0000-0000-000000000001","type":"Purchase"}"#,
    )
    .unwrap();
    let c: Command = serde_json::from_str(
        r#"{"type":"Purchase","customer_id":"6f1c0000-0000-0000-0000-000000000001","items":[{"product_id":"m365-e3","quantity":2,"term":"P1M","billing":"monthly"}]}"#,
    )
    .unwrap();
    assert_eq!(a.fingerprint(), b.fingerprint());
    assert_ne!(a.fingerprint(), c.fingerprint());
}

#[test]
fn type_names_match_the_serde_tag() {
    let c = Command::Cancel(Cancel {
        subscription_id: Uuid::nil(),
    });
    let v = serde_json::to_value(&c).unwrap();
    assert_eq!(v["type"], c.type_name());
    assert!(Command::TYPE_NAMES.contains(&c.type_name()));
}
