//! The idempotent re-append rule, shared by the backends that can look an event id up.
//!
//! Rule: if an append's first event id already exists, and all of the append's ids sit
//! consecutively in the same stream right after the expected version (for `Any`: anywhere),
//! the append is a repeat: return the original result, write nothing. Any other overlap is
//! a conflict, never a duplicate.

use uuid::Uuid;

use crate::{AppendResult, ExpectedVersion, NewEvent, StoreError};

/// Where the first event id of an append already lives.
pub(crate) struct Found<'a> {
    pub stream: &'a str,
    pub version: u64,
}

/// Decides whether an append whose first id is already stored is an exact repeat.
///
/// `fetch(version, n)` returns `(event_id, position)` of up to `n` events of the append's
/// stream starting at `version`, in version order.
pub(crate) fn resolve_repeat<F>(
    stream: &str,
    expected: ExpectedVersion,
    events: &[NewEvent],
    found: Found<'_>,
    fetch: F,
) -> Result<AppendResult, StoreError>
where
    F: FnOnce(u64, usize) -> Result<Vec<(Uuid, u64)>, StoreError>,
{
    let first = events[0].event_id;
    let conflict = |reason: String| StoreError::IdempotencyConflict {
        stream: stream.to_owned(),
        event_id: first,
        reason,
    };
    if found.stream != stream {
        return Err(conflict(format!(
            "event id already stored in stream {:?}",
            found.stream
        )));
    }
    if let Some(p) = expected.pinned()
        && found.version != p + 1
    {
        return Err(conflict(format!(
            "event id already stored at version {}, not right after the expected version {p}",
            found.version
        )));
    }
    let stored = fetch(found.version, events.len())?;
    let all_match = stored.len() == events.len()
        && stored
            .iter()
            .zip(events)
            .all(|((id, _), e)| *id == e.event_id);
    if !all_match {
        return Err(conflict(
            "only some of the append's event ids match the stored events".into(),
        ));
    }
    let position = stored.last().map(|(_, p)| *p).unwrap_or_default();
    Ok(AppendResult {
        next_version: found.version + events.len() as u64 - 1,
        position,
        repeated: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: Uuid) -> NewEvent {
        NewEvent::new(id, "T", 1, &b"{}"[..])
    }

    #[test]
    fn exact_repeat_returns_original_result() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let r = resolve_repeat(
            "s",
            ExpectedVersion::Exact(2),
            &[ev(a), ev(b)],
            Found {
                stream: "s",
                version: 3,
            },
            |v, n| {
                assert_eq!((v, n), (3, 2));
                Ok(vec![(a, 10), (b, 11)])
            },
        )
        .unwrap();
        assert_eq!(
            r,
            AppendResult {
                next_version: 4,
                position: 11,
                repeated: true,
            }
        );
    }

    #[test]
    fn elsewhere_or_partial_is_a_conflict() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let other_stream = resolve_repeat(
            "s",
            ExpectedVersion::Any,
            &[ev(a)],
            Found {
                stream: "t",
                version: 1,
            },
            |_, _| Ok(vec![(a, 1)]),
        );
        assert!(matches!(
            other_stream,
            Err(StoreError::IdempotencyConflict { .. })
        ));
        let wrong_place = resolve_repeat(
            "s",
            ExpectedVersion::NoStream,
            &[ev(a)],
            Found {
                stream: "s",
                version: 2,
            },
            |_, _| Ok(vec![(a, 2)]),
        );
        assert!(matches!(
            wrong_place,
            Err(StoreError::IdempotencyConflict { .. })
        ));
        let partial = resolve_repeat(
            "s",
            ExpectedVersion::NoStream,
            &[ev(a), ev(b)],
            Found {
                stream: "s",
                version: 1,
            },
            |_, _| Ok(vec![(a, 1), (Uuid::new_v4(), 2)]),
        );
        assert!(matches!(
            partial,
            Err(StoreError::IdempotencyConflict { .. })
        ));
        let short = resolve_repeat(
            "s",
            ExpectedVersion::Any,
            &[ev(a), ev(b)],
            Found {
                stream: "s",
                version: 1,
            },
            |_, _| Ok(vec![(a, 1)]),
        );
        assert!(matches!(short, Err(StoreError::IdempotencyConflict { .. })));
    }
}
