//! Why a command was refused (GEN-6): a stable code, the rule, a message for
//! humans and structured details (instants, limits, counts) for programs.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::rules::{self, RuleId};

/// The class of a refusal, which the HTTP layer maps to a status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectionKind {
    /// A value of the command is malformed or out of range (400).
    InvalidRequest,
    /// The actor's roles do not allow it (403).
    Forbidden,
    /// No such thing *for this actor* (404), GEN-2.
    NotFound,
    /// A business rule refuses it (422).
    Rule,
    /// The command would reuse an id the ledger already holds (409).
    Conflict,
}

macro_rules! rejection_codes {
    ($($(#[$doc:meta])* $code:ident,)*) => {
        /// Every error code the ledger answers with, the domain's refusals and the
        /// HTTP layer's alike: the one list of API.md's codes. The serde name is
        /// the wire code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum RejectionCode {
            $($(#[$doc])* $code,)*
        }

        impl RejectionCode {
            pub const ALL: &[RejectionCode] = &[$(RejectionCode::$code),*];

            /// The wire code (`SeatReductionWindowClosed`).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(RejectionCode::$code => stringify!($code),)*
                }
            }
        }
    };
}

rejection_codes!(
    // The HTTP contract's own (API.md, Errors).
    /// Malformed JSON, an unknown field, a bad value (400).
    InvalidRequest,
    /// A missing or unknown token (401).
    Unauthenticated,
    /// The actor's roles do not allow it (403).
    Forbidden,
    /// No such thing for this actor, or no such endpoint (404).
    NotFound,
    MethodNotAllowed,
    /// `expected_version` mismatch (409).
    VersionConflict,
    /// GEN-5: a command id reused for another command (422).
    IdempotencyKeyReused,
    PayloadTooLarge,
    /// The body did not arrive within the server's body read timeout (408).
    RequestTimeout,
    /// Over the server's rate limit for the token or client (429).
    RateLimited,
    /// REN-7: the simulated clock never goes back (422).
    ClockWentBack,
    Timeout,
    /// The store cannot serve now (503).
    Unavailable,
    /// A disk under the ledger is full: nothing was written (503).
    StorageFull,
    /// The read models have not reached the position asked for (503).
    ProjectionBehind,
    InternalError,
    // The business rules' (422).
    AddonBelowMinimum,
    AddonExceedsBase,
    AddonRequiresBase,
    AlreadySuspended,
    AutoRenewUnavailable,
    CancellationAlreadyScheduled,
    CancellationScheduled,
    CancellationWindowClosed,
    ConversionBelowTrialSeats,
    ConversionTargetEndsEarlier,
    ConversionTargetInvalid,
    CustomerExists,
    /// GEN-1: a date the command would produce is past 9999-12-31 (422).
    DateOutOfRange,
    /// A caller-chosen id (subscription, order) is already used in this ledger (409).
    IdAlreadyUsed,
    KeysRevoked,
    KmsNotAllowed,
    NoScheduledChange,
    NoSoftwareKeys,
    NotATrial,
    NotCancellable,
    NotSuspended,
    OnePerCustomer,
    OnePerCustomerSuspended,
    PlanNotOffered,
    QuantityBelowMinimum,
    QuantityOutOfRange,
    RelationshipAlreadyRequested,
    RelationshipExists,
    RelationshipNotAccepted,
    ScheduledChangeNotAllowed,
    SeatChangeNotSupported,
    SeatReductionWindowClosed,
    SubscriptionCancelled,
    SubscriptionExpired,
    SubscriptionNotTransferable,
    SubscriptionSuspended,
    TooManyResellers,
    TransferExpired,
    TransferNotPending,
    TrialNotModifiable,
    TrialNotOffered,
    UnavailableInMarket,
    UnknownProduct,
    UpdateLimitReached,
    UpgradeNotAllowed,
    UpgradePathUnsupported,
    UpgradeTargetEndsEarlier,
    UpgradeTargetInCancellationWindow,
    UpgradeTargetNotActive,
    UpgradeTargetTermMismatch,
);

impl std::fmt::Display for RejectionCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for RejectionCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for RejectionCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// A refused command. Deciding never writes anything, so a rejection is the
/// whole outcome (GEN-6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejection {
    pub kind: RejectionKind,
    /// Stable machine-readable code, as in API.md (`SeatReductionWindowClosed`).
    pub code: RejectionCode,
    /// The rule id of RULES.md (`SEAT-2`).
    pub rule: RuleId,
    pub message: String,
    pub details: Map<String, Value>,
}

impl Rejection {
    pub fn new(
        kind: RejectionKind,
        code: RejectionCode,
        rule: RuleId,
        message: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            code,
            rule,
            message: message.into(),
            details: Map::new(),
        }
    }

    /// A business-rule refusal (422).
    pub fn rule(code: RejectionCode, rule: RuleId, message: impl Into<String>) -> Self {
        Self::new(RejectionKind::Rule, code, rule, message)
    }

    /// A malformed or out-of-range value, naming the field (400).
    pub fn invalid(rule: RuleId, field: &str, message: impl Into<String>) -> Self {
        Self::new(
            RejectionKind::InvalidRequest,
            RejectionCode::InvalidRequest,
            rule,
            message,
        )
        .with("field", field)
    }

    pub fn forbidden(rule: RuleId, message: impl Into<String>) -> Self {
        Self::new(
            RejectionKind::Forbidden,
            RejectionCode::Forbidden,
            rule,
            message,
        )
    }

    pub fn not_found(what: &str, id: impl std::fmt::Display) -> Self {
        Self::new(
            RejectionKind::NotFound,
            RejectionCode::NotFound,
            rules::GEN_2,
            format!("no {what} {id} for this actor"),
        )
        .with(what, id.to_string())
    }

    /// A new id (`what`: subscription, order) already used somewhere in the ledger,
    /// for any customer of any partner. Says nothing of who holds it (GEN-2), so the
    /// answer is the same whoever does.
    pub fn id_already_used(rule: RuleId, field: &str, what: &str, id: uuid::Uuid) -> Self {
        Self::new(
            RejectionKind::Conflict,
            RejectionCode::IdAlreadyUsed,
            rule,
            format!("{what} id {id} is already used in this ledger"),
        )
        .with("field", field)
        .with("id", id)
    }

    /// Adds one detail; anything serializable.
    pub fn with(mut self, key: &str, value: impl Serialize) -> Self {
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        self.details.insert(key.to_owned(), value);
        self
    }

    /// Adds the fields of a typed details struct, each as one detail.
    pub fn with_details(mut self, details: impl Serialize) -> Self {
        if let Ok(Value::Object(fields)) = serde_json::to_value(details) {
            self.details.extend(fields);
        }
        self
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.rule, self.message)
    }
}

impl std::error::Error for Rejection {}
