//! One partner's key-access activity log (KEY-3/4) for the offline tools: what
//! the projections hold up to their checkpoint, then the log after it (the log
//! is the truth, the projections only a head start).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use subledger_projections::{KeyAccessFilter, KeyAccessRow, ProjectionDb};
use subledger_store::{EventStore, ReadAllPages};
use uuid::Uuid;

use super::{ReadError, blocking};
use crate::codec;

/// Records read from the log per call.
const PAGE: usize = 4096;

/// The key event types, to decode nothing else.
const KEY_EVENTS: [&str; 3] = ["KeyRevealed", "SoftwareDownloaded", "DownloadLinkCopied"];

/// `partner`'s entries in [`from`, `to`), in log order.
pub async fn key_access_log(
    store: &dyn EventStore,
    projections: Option<&Arc<ProjectionDb>>,
    partner: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<KeyAccessRow>, ReadError> {
    let mut rows = Vec::new();
    let mut after = 0;
    if let Some(db) = projections {
        let (checkpoint, held) = blocking(db, move |db| {
            let checkpoint = db.checkpoint()?;
            let held = db.key_access(&KeyAccessFilter {
                partner_id: Some(partner),
                from: Some(from),
                to: Some(to),
                after: 0,
                limit: usize::MAX,
                ..KeyAccessFilter::default()
            })?;
            Ok((checkpoint, held))
        })
        .await?;
        rows = held;
        rows.retain(|r| r.position <= checkpoint.position);
        after = checkpoint.position;
    }
    let wanted = |r: &KeyAccessRow| r.partner_id == partner && r.at >= from && r.at < to;
    let mut pages = ReadAllPages::to_head(store, after, PAGE).await?;
    while let Some(page) = pages.next_page().await? {
        for r in page
            .iter()
            .filter(|r| KEY_EVENTS.contains(&r.event_type.as_str()))
        {
            let (event, _) = codec::decode(r)?;
            if let Some(row) = KeyAccessRow::from_event(r.position, &event)
                && wanted(&row)
            {
                rows.push(row);
            }
        }
    }
    Ok(rows)
}
