//! Commands: what upstream services ask the ledger to do. The `type` tag and the
//! field names are exactly those of API.md; unknown fields are refused.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::calendar::{Billing, Term};

fn yes() -> bool {
    true
}

/// A customer's market segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Segment {
    Commercial,
    Education,
    Government,
    Nonprofit,
}

/// One line item of a purchase order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PurchaseItem {
    #[serde(default)]
    pub subscription_id: Option<Uuid>,
    pub product_id: String,
    pub quantity: u32,
    /// Absent or null for perpetual software (CAT-1).
    #[serde(default)]
    pub term: Option<Term>,
    pub billing: Billing,
    #[serde(default = "yes")]
    pub auto_renew: bool,
    #[serde(default)]
    pub trial: bool,
    #[serde(default)]
    pub promotion_id: Option<String>,
}

/// When an upgrade takes effect (UPG-7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpgradeTiming {
    #[default]
    Now,
    EndOfTerm,
}

/// The kind of key asked for (KEY-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum KeyType {
    #[default]
    MAK,
    KMS,
}

/// The next-term instructions of REN-4. Every field is optional; at least one is set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledChange {
    #[serde(default)]
    pub product_id: Option<String>,
    #[serde(default)]
    pub quantity: Option<u32>,
    #[serde(default)]
    pub term: Option<Term>,
    #[serde(default)]
    pub billing: Option<Billing>,
    #[serde(default)]
    pub coterm_date: Option<NaiveDate>,
}

impl ScheduledChange {
    pub fn is_empty(&self) -> bool {
        self.product_id.is_none()
            && self.quantity.is_none()
            && self.term.is_none()
            && self.billing.is_none()
            && self.coterm_date.is_none()
    }
}

/// Software choices of a key or download request (KEY-1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SoftwareChoice {
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub os: Option<String>,
}

/// Every command of API.md.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum Command {
    CreateCustomer {
        customer_id: Uuid,
        company_name: String,
        domain: String,
        country: String,
        segment: Segment,
    },
    RequestRelationship {
        customer_id: Uuid,
    },
    AcceptRelationship {
        partner_id: Uuid,
    },
    Purchase {
        customer_id: Uuid,
        #[serde(default)]
        order_id: Option<Uuid>,
        items: Vec<PurchaseItem>,
        #[serde(default)]
        reseller_id: Option<Uuid>,
        #[serde(default)]
        additional_resellers: Vec<Uuid>,
    },
    AddSeats {
        subscription_id: Uuid,
        seats: u32,
    },
    ReduceSeats {
        subscription_id: Uuid,
        seats: u32,
    },
    Suspend {
        subscription_id: Uuid,
    },
    Reactivate {
        subscription_id: Uuid,
    },
    SetAutoRenew {
        subscription_id: Uuid,
        enabled: bool,
    },
    Upgrade {
        subscription_id: Uuid,
        target_product_id: String,
        quantity: u32,
        #[serde(default)]
        target_subscription_id: Option<Uuid>,
        #[serde(default)]
        term: Option<Term>,
        #[serde(default)]
        billing: Option<Billing>,
        #[serde(default)]
        timing: UpgradeTiming,
    },
    ScheduleChange {
        subscription_id: Uuid,
        #[serde(default)]
        product_id: Option<String>,
        #[serde(default)]
        quantity: Option<u32>,
        #[serde(default)]
        term: Option<Term>,
        #[serde(default)]
        billing: Option<Billing>,
        #[serde(default)]
        coterm_date: Option<NaiveDate>,
    },
    ClearScheduledChange {
        subscription_id: Uuid,
    },
    ConvertTrial {
        subscription_id: Uuid,
        #[serde(default)]
        target_subscription_id: Option<Uuid>,
        #[serde(default)]
        quantity: Option<u32>,
        #[serde(default)]
        term: Option<Term>,
        #[serde(default)]
        billing: Option<Billing>,
    },
    Cancel {
        subscription_id: Uuid,
    },
    RequestTransfer {
        customer_id: Uuid,
        source_partner_id: Uuid,
        customer_email: String,
    },
    AcceptTransfer {
        transfer_id: Uuid,
        subscription_ids: Vec<Uuid>,
    },
    RejectTransfer {
        transfer_id: Uuid,
    },
    RevealKey {
        subscription_id: Uuid,
        #[serde(default)]
        key_type: KeyType,
        #[serde(default)]
        version: Option<String>,
        #[serde(default)]
        language: Option<String>,
        #[serde(default)]
        os: Option<String>,
    },
    DownloadSoftware {
        subscription_id: Uuid,
        #[serde(default)]
        version: Option<String>,
        #[serde(default)]
        language: Option<String>,
        #[serde(default)]
        os: Option<String>,
    },
    CopyDownloadLink {
        subscription_id: Uuid,
        #[serde(default)]
        version: Option<String>,
        #[serde(default)]
        language: Option<String>,
        #[serde(default)]
        os: Option<String>,
    },
}

/// What a command addresses, so the application can find the customer stream
/// that holds it (the consistency boundary is the customer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandTarget {
    Customer(Uuid),
    Subscription(Uuid),
    Transfer(Uuid),
    /// The customer of the acting customer user (AcceptRelationship).
    ActorsCustomer,
}

impl Command {
    /// The `type` tag of API.md.
    pub fn type_name(&self) -> &'static str {
        match self {
            Command::CreateCustomer { .. } => "CreateCustomer",
            Command::RequestRelationship { .. } => "RequestRelationship",
            Command::AcceptRelationship { .. } => "AcceptRelationship",
            Command::Purchase { .. } => "Purchase",
            Command::AddSeats { .. } => "AddSeats",
            Command::ReduceSeats { .. } => "ReduceSeats",
            Command::Suspend { .. } => "Suspend",
            Command::Reactivate { .. } => "Reactivate",
            Command::SetAutoRenew { .. } => "SetAutoRenew",
            Command::Upgrade { .. } => "Upgrade",
            Command::ScheduleChange { .. } => "ScheduleChange",
            Command::ClearScheduledChange { .. } => "ClearScheduledChange",
            Command::ConvertTrial { .. } => "ConvertTrial",
            Command::Cancel { .. } => "Cancel",
            Command::RequestTransfer { .. } => "RequestTransfer",
            Command::AcceptTransfer { .. } => "AcceptTransfer",
            Command::RejectTransfer { .. } => "RejectTransfer",
            Command::RevealKey { .. } => "RevealKey",
            Command::DownloadSoftware { .. } => "DownloadSoftware",
            Command::CopyDownloadLink { .. } => "CopyDownloadLink",
        }
    }

    pub const TYPE_NAMES: [&'static str; 20] = [
        "CreateCustomer",
        "RequestRelationship",
        "AcceptRelationship",
        "Purchase",
        "AddSeats",
        "ReduceSeats",
        "Suspend",
        "Reactivate",
        "SetAutoRenew",
        "Upgrade",
        "ScheduleChange",
        "ClearScheduledChange",
        "ConvertTrial",
        "Cancel",
        "RequestTransfer",
        "AcceptTransfer",
        "RejectTransfer",
        "RevealKey",
        "DownloadSoftware",
        "CopyDownloadLink",
    ];

    pub fn target(&self) -> CommandTarget {
        use Command::*;
        match self {
            CreateCustomer { customer_id, .. }
            | RequestRelationship { customer_id }
            | Purchase { customer_id, .. }
            | RequestTransfer { customer_id, .. } => CommandTarget::Customer(*customer_id),
            AcceptRelationship { .. } => CommandTarget::ActorsCustomer,
            AcceptTransfer { transfer_id, .. } | RejectTransfer { transfer_id } => {
                CommandTarget::Transfer(*transfer_id)
            }
            AddSeats {
                subscription_id, ..
            }
            | ReduceSeats {
                subscription_id, ..
            }
            | Suspend { subscription_id }
            | Reactivate { subscription_id }
            | SetAutoRenew {
                subscription_id, ..
            }
            | Upgrade {
                subscription_id, ..
            }
            | ScheduleChange {
                subscription_id, ..
            }
            | ClearScheduledChange { subscription_id }
            | ConvertTrial {
                subscription_id, ..
            }
            | Cancel { subscription_id }
            | RevealKey {
                subscription_id, ..
            }
            | DownloadSoftware {
                subscription_id, ..
            }
            | CopyDownloadLink {
                subscription_id, ..
            } => CommandTarget::Subscription(*subscription_id),
        }
    }

    /// GEN-5: a digest of the command's meaning. Defaults are filled in by
    /// deserialization, so two payloads that mean the same thing (an omitted
    /// `auto_renew` and `"auto_renew": true`) have the same fingerprint.
    pub fn fingerprint(&self) -> String {
        let canonical = serde_json::to_vec(self).unwrap_or_default();
        let digest = Sha256::digest(&canonical);
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_with_the_api_field_names() {
        let c: Command = serde_json::from_str(
            r#"{"type":"ReduceSeats","subscription_id":"6f1c0000-0000-0000-0000-000000000001","seats":3}"#,
        )
        .unwrap();
        assert!(matches!(c, Command::ReduceSeats { seats: 3, .. }));
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
        let c = Command::Cancel {
            subscription_id: Uuid::nil(),
        };
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["type"], c.type_name());
        assert!(Command::TYPE_NAMES.contains(&c.type_name()));
    }
}
