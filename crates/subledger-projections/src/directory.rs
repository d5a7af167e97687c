//! Every committed customer read model, one at a time: what the ledger starts its
//! directory from (where subscriptions and transfers live, when each customer has
//! work due) when it opens beside the projections, reading only the log after
//! their checkpoint instead of the whole log.

use rusqlite::{Connection, OpenFlags};
use uuid::Uuid;

use crate::ProjectionError;
use crate::db::ProjectionDb;
use crate::model::CustomerEntry;

impl ProjectionDb {
    /// Hands every committed customer's read model to `f`, in no particular order,
    /// each decoded as it is read. The rows are read in one transaction of their
    /// own, so a runner committing meanwhile can only make them newer than the
    /// checkpoint read before: a caller folding the log after that checkpoint
    /// skips the events a model already holds (its `version`).
    pub fn for_each_customer(
        &self,
        mut f: impl FnMut(Uuid, CustomerEntry),
    ) -> Result<(), ProjectionError> {
        let conn = Connection::open_with_flags(
            self.path(),
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        let mut stmt = conn.prepare("SELECT customer_id, data FROM customers")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let id: String = row.get(0)?;
            let id: Uuid = id
                .parse()
                .map_err(|e| ProjectionError::Corrupt(format!("id {id:?}: {e}")))?;
            let data: Vec<u8> = row.get(1)?;
            let entry: CustomerEntry = serde_json::from_slice(&data)?;
            f(id, entry);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use subledger_domain::CustomerState;

    use super::*;
    use crate::db::Batch;
    use crate::{Checkpoint, Rows};

    #[test]
    fn every_committed_customer_is_handed_over_as_committed() {
        let dir = tempfile::tempdir().unwrap();
        let db = ProjectionDb::open(dir.path().join("projections.db")).unwrap();
        let entry = |version| {
            Arc::new(CustomerEntry {
                version,
                last_position: version,
                max_at: None,
                state: CustomerState::default(),
            })
        };
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        db.commit(Batch {
            from: 0,
            to: Checkpoint {
                position: 5,
                at: None,
            },
            customers: vec![(a, entry(3)), (b, entry(2))],
            rows: Rows::default(),
        })
        .unwrap();
        let mut seen = Vec::new();
        db.for_each_customer(|id, e| seen.push((id, e.version)))
            .unwrap();
        seen.sort();
        assert_eq!(seen, [(a, 3), (b, 2)]);
    }
}
