//! The auditors' proofs that the log is the one that was written (docs/VERIFY.md):
//! the latest signed checkpoint, a new one on demand, inclusion and consistency
//! proofs. Auditor roles only (GEN-3's key-access readers). Nothing here shows a
//! record: hashes and signatures only.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use subledger_domain::Action;
use subledger_seal::{Checkpoint, ConsistencyProof, InclusionProof, Seal, SealError};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller};

/// A signed checkpoint, with the public key that signed it (informative: an
/// auditor checks against the key they hold).
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckpointView {
    #[serde(flatten)]
    pub checkpoint: Checkpoint,
    pub public_key: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InclusionQuery {
    /// The record's log position.
    #[param(minimum = 1)]
    pub position: u64,
    /// The size of the tree (a checkpoint's `tree_size`).
    #[param(minimum = 1)]
    pub tree_size: u64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyQuery {
    /// The older tree size.
    #[param(minimum = 1)]
    pub from: u64,
    /// The newer tree size.
    #[param(minimum = 1)]
    pub to: u64,
}

fn seal_of(state: &AppState, caller: &Caller) -> Result<Arc<Seal>, ApiError> {
    caller.partner_for(Action::ReadKeyAccessLog)?;
    state
        .seal()
        .cloned()
        .ok_or_else(|| ApiError::Unavailable("this server does not seal its log".into()))
}

fn view(seal: &Seal, checkpoint: Checkpoint) -> CheckpointView {
    CheckpointView {
        checkpoint,
        public_key: hex_key(seal),
    }
}

fn hex_key(seal: &Seal) -> String {
    seal.public_key()
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl From<SealError> for ApiError {
    fn from(e: SealError) -> Self {
        match e {
            SealError::Invalid(message) => ApiError::InvalidRequest {
                field: None,
                message,
            },
            other => ApiError::Internal(format!("{:#}", anyhow_like(&other))),
        }
    }
}

/// The error and its sources on one line (for the log; the body never shows it).
fn anyhow_like(e: &dyn std::error::Error) -> String {
    let mut line = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        line.push_str(": ");
        line.push_str(&s.to_string());
        source = s.source();
    }
    line
}

/// `GET /v1/ledger/checkpoint`
#[utoipa::path(
    get,
    path = "/v1/ledger/checkpoint",
    tag = "ledger",
    responses(
        (status = 200, description = "The latest signed checkpoint", body = CheckpointView),
        (status = 403, description = "Only global_admin, account_admin, referral_admin, marketing_content_admin", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn latest_checkpoint(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<CheckpointView>, ApiError> {
    let seal = seal_of(&state, &caller)?;
    let cp = match seal.latest() {
        Some(cp) => cp,
        None => seal.checkpoint_now(state.ledger().store().as_ref()).await?,
    };
    Ok(Json(view(&seal, cp)))
}

/// `POST /v1/ledger/checkpoint`
#[utoipa::path(
    post,
    path = "/v1/ledger/checkpoint",
    tag = "ledger",
    responses(
        (status = 200, description = "A checkpoint signed now, of the log up to its head", body = CheckpointView),
        (status = 403, description = "Only global_admin, account_admin, referral_admin, marketing_content_admin", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn new_checkpoint(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<CheckpointView>, ApiError> {
    let seal = seal_of(&state, &caller)?;
    let cp = seal.checkpoint_now(state.ledger().store().as_ref()).await?;
    Ok(Json(view(&seal, cp)))
}

/// `GET /v1/ledger/proof/inclusion`
#[utoipa::path(
    get,
    path = "/v1/ledger/proof/inclusion",
    tag = "ledger",
    params(InclusionQuery),
    responses(
        (status = 200, description = "The audit path of the record at `position` in the tree of `tree_size` records", body = InclusionProof),
        (status = 400, description = "The position or size is not sealed", body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn inclusion_proof(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<InclusionQuery>,
) -> Result<Json<InclusionProof>, ApiError> {
    let seal = seal_of(&state, &caller)?;
    let p = tokio::task::spawn_blocking(move || seal.inclusion(q.position, q.tree_size))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(Json(p))
}

/// `GET /v1/ledger/proof/consistency`
#[utoipa::path(
    get,
    path = "/v1/ledger/proof/consistency",
    tag = "ledger",
    params(ConsistencyQuery),
    responses(
        (status = 200, description = "The proof that the tree of `from` records is a prefix of the tree of `to`", body = ConsistencyProof),
        (status = 400, description = "Not 1 <= from <= to <= the sealed size", body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn consistency_proof(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ConsistencyQuery>,
) -> Result<Json<ConsistencyProof>, ApiError> {
    let seal = seal_of(&state, &caller)?;
    let p = tokio::task::spawn_blocking(move || seal.consistency(q.from, q.to))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(Json(p))
}
