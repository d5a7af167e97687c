//! Why a command was refused (GEN-6): a stable code, the rule, a message for
//! humans and structured details (instants, limits, counts) for programs.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

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
}

/// A refused command. Deciding never writes anything, so a rejection is the
/// whole outcome (GEN-6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejection {
    pub kind: RejectionKind,
    /// Stable machine-readable code, as in API.md (`SeatReductionWindowClosed`).
    pub code: String,
    /// The rule id of RULES.md (`SEAT-2`).
    pub rule: String,
    pub message: String,
    pub details: Map<String, Value>,
}

impl Rejection {
    pub fn new(kind: RejectionKind, code: &str, rule: &str, message: impl Into<String>) -> Self {
        Self {
            kind,
            code: code.to_owned(),
            rule: rule.to_owned(),
            message: message.into(),
            details: Map::new(),
        }
    }

    /// A business-rule refusal (422).
    pub fn rule(code: &str, rule: &str, message: impl Into<String>) -> Self {
        Self::new(RejectionKind::Rule, code, rule, message)
    }

    /// A malformed or out-of-range value, naming the field (400).
    pub fn invalid(rule: &str, field: &str, message: impl Into<String>) -> Self {
        Self::new(
            RejectionKind::InvalidRequest,
            "InvalidRequest",
            rule,
            message,
        )
        .with("field", field)
    }

    pub fn forbidden(rule: &str, message: impl Into<String>) -> Self {
        Self::new(RejectionKind::Forbidden, "Forbidden", rule, message)
    }

    pub fn not_found(what: &str, id: impl std::fmt::Display) -> Self {
        Self::new(
            RejectionKind::NotFound,
            "NotFound",
            "GEN-2",
            format!("no {what} {id} for this actor"),
        )
        .with(what, id.to_string())
    }

    /// Adds one detail; anything serializable.
    pub fn with(mut self, key: &str, value: impl Serialize) -> Self {
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        self.details.insert(key.to_owned(), value);
        self
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.rule, self.message)
    }
}

impl std::error::Error for Rejection {}
