//! Commands: what upstream services ask the ledger to do. The `type` tag and the
//! field names are exactly those of API.md; unknown fields are refused.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::calendar::{Billing, Term};
// Payload vocabulary owned by the events (a stored event must not change when
// a command does), re-exported for the commands that carry it.
pub use crate::event::{ScheduledChange, Segment};

fn yes() -> bool {
    true
}

/// One line item of a purchase order.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpgradeTiming {
    #[default]
    Now,
    EndOfTerm,
}

/// The kind of key asked for (KEY-2).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum KeyType {
    #[default]
    MAK,
    KMS,
}

/// Declares the command enum from one list of names, so the serde tag, the
/// `type_name` and `TYPE_NAMES` are the same list and cannot drift apart.
macro_rules! commands {
    ($($name:ident),* $(,)?) => {
        /// Every command of API.md: `{"type": "<name>", ...the struct's fields}`.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "type")]
        pub enum Command {
            $($name($name),)*
        }

        impl Command {
            /// The `type` tag of API.md.
            pub fn type_name(&self) -> &'static str {
                match self {
                    $(Command::$name(_) => stringify!($name),)*
                }
            }

            pub const TYPE_NAMES: [&'static str; [$(stringify!($name)),*].len()] =
                [$(stringify!($name)),*];

            /// Each command's own fields as an OpenAPI schema, by `type` tag, in
            /// the order of `TYPE_NAMES` (the API adds the envelope and the tag).
            #[cfg(feature = "openapi")]
            pub fn openapi_schemas() -> Vec<(
                &'static str,
                utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
            )> {
                vec![$((stringify!($name), <$name as utoipa::PartialSchema>::schema()),)*]
            }

            /// The named schemas the commands' schemas refer to (`Term`, `Billing`, …).
            #[cfg(feature = "openapi")]
            pub fn openapi_components(
                out: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>,
            ) {
                $(<$name as utoipa::ToSchema>::schemas(out);)*
            }
        }

        $(
            impl From<$name> for Command {
                fn from(command: $name) -> Self {
                    Command::$name(command)
                }
            }
        )*
    };
}

commands!(
    CreateCustomer,
    RequestRelationship,
    AcceptRelationship,
    Purchase,
    AddSeats,
    ReduceSeats,
    Suspend,
    Reactivate,
    SetAutoRenew,
    Upgrade,
    ScheduleChange,
    ClearScheduledChange,
    ConvertTrial,
    Cancel,
    RequestTransfer,
    AcceptTransfer,
    RejectTransfer,
    RevealKey,
    DownloadSoftware,
    CopyDownloadLink,
);

// The field order of each struct is its canonical JSON order, which the GEN-5
// fingerprint hashes: reordering fields changes stored fingerprints.

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomer {
    pub customer_id: Uuid,
    pub company_name: String,
    pub domain: String,
    pub country: String,
    pub segment: Segment,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestRelationship {
    pub customer_id: Uuid,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptRelationship {
    pub partner_id: Uuid,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Purchase {
    pub customer_id: Uuid,
    #[serde(default)]
    pub order_id: Option<Uuid>,
    pub items: Vec<PurchaseItem>,
    #[serde(default)]
    pub reseller_id: Option<Uuid>,
    #[serde(default)]
    pub additional_resellers: Vec<Uuid>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddSeats {
    pub subscription_id: Uuid,
    pub seats: u32,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReduceSeats {
    pub subscription_id: Uuid,
    pub seats: u32,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suspend {
    pub subscription_id: Uuid,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reactivate {
    pub subscription_id: Uuid,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetAutoRenew {
    pub subscription_id: Uuid,
    pub enabled: bool,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upgrade {
    pub subscription_id: Uuid,
    pub target_product_id: String,
    pub quantity: u32,
    #[serde(default)]
    pub target_subscription_id: Option<Uuid>,
    #[serde(default)]
    pub term: Option<Term>,
    #[serde(default)]
    pub billing: Option<Billing>,
    #[serde(default)]
    pub timing: UpgradeTiming,
}

/// REN-4: the next-term instructions for one subscription, on the wire as the
/// subscription id beside the change's own fields.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ScheduleChangeWire")]
pub struct ScheduleChange {
    pub subscription_id: Uuid,
    #[serde(flatten)]
    pub change: ScheduledChange,
}

/// What `ScheduleChange` is read from. serde cannot refuse unknown fields next to
/// a flattened struct, so the fields other than the subscription id are collected
/// and read as a `ScheduledChange` here, refusing any it does not use.
#[derive(Deserialize)]
struct ScheduleChangeWire {
    subscription_id: Uuid,
    #[serde(flatten)]
    change: serde_json::Map<String, serde_json::Value>,
}

impl TryFrom<ScheduleChangeWire> for ScheduleChange {
    type Error = String;

    fn try_from(wire: ScheduleChangeWire) -> Result<Self, Self::Error> {
        let given = serde_json::Value::Object(wire.change);
        let change = ScheduledChange::deserialize(&given).map_err(|e| e.to_string())?;
        // Every field given must be one the change holds (the stored change type
        // itself may accept unknown fields, for old events).
        let used = serde_json::to_value(&change).map_err(|e| e.to_string())?;
        if let (Some(given), Some(used)) = (given.as_object(), used.as_object())
            && let Some(unknown) = given.keys().find(|k| !used.contains_key(*k))
        {
            let expected: Vec<String> = std::iter::once("subscription_id")
                .chain(used.keys().map(String::as_str))
                .map(|k| format!("`{k}`"))
                .collect();
            return Err(format!(
                "unknown field `{unknown}`, expected one of {}",
                expected.join(", ")
            ));
        }
        Ok(ScheduleChange {
            subscription_id: wire.subscription_id,
            change,
        })
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClearScheduledChange {
    pub subscription_id: Uuid,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConvertTrial {
    pub subscription_id: Uuid,
    #[serde(default)]
    pub target_subscription_id: Option<Uuid>,
    #[serde(default)]
    pub quantity: Option<u32>,
    #[serde(default)]
    pub term: Option<Term>,
    #[serde(default)]
    pub billing: Option<Billing>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cancel {
    pub subscription_id: Uuid,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestTransfer {
    pub customer_id: Uuid,
    pub source_partner_id: Uuid,
    pub customer_email: String,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptTransfer {
    pub transfer_id: Uuid,
    pub subscription_ids: Vec<Uuid>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RejectTransfer {
    pub transfer_id: Uuid,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevealKey {
    pub subscription_id: Uuid,
    #[serde(default)]
    pub key_type: KeyType,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub os: Option<String>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DownloadSoftware {
    pub subscription_id: Uuid,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub os: Option<String>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CopyDownloadLink {
    pub subscription_id: Uuid,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub os: Option<String>,
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
    pub fn target(&self) -> CommandTarget {
        use CommandTarget::{ActorsCustomer, Customer, Subscription, Transfer};
        match self {
            Command::CreateCustomer(c) => Customer(c.customer_id),
            Command::RequestRelationship(c) => Customer(c.customer_id),
            Command::Purchase(c) => Customer(c.customer_id),
            Command::RequestTransfer(c) => Customer(c.customer_id),
            Command::AcceptRelationship(_) => ActorsCustomer,
            Command::AcceptTransfer(c) => Transfer(c.transfer_id),
            Command::RejectTransfer(c) => Transfer(c.transfer_id),
            Command::AddSeats(c) => Subscription(c.subscription_id),
            Command::ReduceSeats(c) => Subscription(c.subscription_id),
            Command::Suspend(c) => Subscription(c.subscription_id),
            Command::Reactivate(c) => Subscription(c.subscription_id),
            Command::SetAutoRenew(c) => Subscription(c.subscription_id),
            Command::Upgrade(c) => Subscription(c.subscription_id),
            Command::ScheduleChange(c) => Subscription(c.subscription_id),
            Command::ClearScheduledChange(c) => Subscription(c.subscription_id),
            Command::ConvertTrial(c) => Subscription(c.subscription_id),
            Command::Cancel(c) => Subscription(c.subscription_id),
            Command::RevealKey(c) => Subscription(c.subscription_id),
            Command::DownloadSoftware(c) => Subscription(c.subscription_id),
            Command::CopyDownloadLink(c) => Subscription(c.subscription_id),
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
