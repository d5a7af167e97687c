//! Time travel on the read side (VIEW-4).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use subledger_domain::CustomerState;
use subledger_projections::model::{self, Keep};
use subledger_projections::{Applied, CustomerEntry, ProjectionDb, Rows};
use subledger_store::EventStore;
use uuid::Uuid;

use super::{ReadError, blocking};
use crate::codec::{self, customer_stream};

/// A customer's read model as of `at` (VIEW-4): its stream folded up to its first
/// event after `at`. Starts from the committed read model when that is not past
/// `at`, else from the latest state the projections kept for time travel that is
/// not, and reads only the events between (at most [`STATE_CHECKPOINT_EVERY`]
/// when the projections are there). Without projections it folds from the start.
pub async fn customer_as_of(
    store: &dyn EventStore,
    projections: Option<&Arc<ProjectionDb>>,
    customer: Uuid,
    at: DateTime<Utc>,
) -> Result<CustomerEntry, ReadError> {
    let (start, stop) = match projections {
        None => (None, None),
        Some(db) => {
            blocking(db, move |db| {
                if let Some(current) = db.customer(customer)?
                    && current.max_at.is_none_or(|m| m <= at)
                {
                    return Ok((Some((*current).clone()), None));
                }
                db.state_checkpoint(customer, at)
            })
            .await?
        }
    };
    let mut entry = start.unwrap_or_else(|| CustomerEntry {
        state: CustomerState::default(),
        ..CustomerEntry::default()
    });
    let stream = customer_stream(customer);
    let limit = stop.map_or(usize::MAX, |s| s.saturating_sub(entry.version) as usize);
    let records = store
        .read_stream_limit(&stream, entry.version, limit)
        .await?;
    let mut rows = Rows::default();
    for r in &records {
        let event = codec::decode_for_read_models(r)?;
        if event.at > at {
            break;
        }
        model::apply(
            &mut entry,
            Applied {
                position: r.position,
                customer_id: customer,
                version: r.version,
                event: &event,
            },
            &mut rows,
            Keep::NOTHING,
        )?;
        rows = Rows::default();
    }
    Ok(entry)
}
