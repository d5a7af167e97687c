//! What became of one command, as the workload learns from it: the same whether
//! the ledger ran it in process or a server answered over HTTP.

use subledger_domain::{EventData, RejectionCode};

use super::learn::LEARNS_FROM;
use crate::{CommandError, CommandResponse};

/// What became of one command.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Accepted: the events it wrote (those the workload learns from at least).
    Accepted(Vec<EventData>),
    /// Refused by the rules (or by role or visibility), with the error's code.
    Refused { code: String },
    /// Anything else (a 5xx, a store failure): the simulation counts and reports it.
    Failed(String),
}

impl Outcome {
    /// The ledger's answer, with only the events the workload learns from decoded.
    pub fn of(result: &Result<CommandResponse, CommandError>) -> Outcome {
        let refused = |code: RejectionCode| Outcome::Refused {
            code: code.to_string(),
        };
        match result {
            Ok(response) => Outcome::Accepted(
                response
                    .events
                    .iter()
                    .filter(|e| LEARNS_FROM.contains(&e.event_type.as_str()))
                    .filter_map(|e| {
                        let tagged =
                            format!(r#"{{"type":"{}","data":{}}}"#, e.event_type, e.data.get());
                        serde_json::from_str::<EventData>(&tagged).ok()
                    })
                    .collect(),
            ),
            Err(CommandError::Rejected(r)) => refused(r.code),
            Err(CommandError::VersionConflict { .. }) => refused(RejectionCode::VersionConflict),
            Err(CommandError::IdempotencyKeyReused { .. }) => {
                refused(RejectionCode::IdempotencyKeyReused)
            }
            Err(other) => Outcome::Failed(other.to_string()),
        }
    }
}
