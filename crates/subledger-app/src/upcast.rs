//! Event schema evolution: stored events are never rewritten, so a record written
//! under an older schema of its type is lifted to the current one when it is read
//! (upcasting), one version at a time, before it becomes a domain event.
//!
//! Each event type has its own schema version, stored beside the payload. The
//! current version of a type is one past the newest step the chain has for it
//! (1 for a type that never changed), so adding a step is what bumps a type's
//! version: [`crate::codec::encode_command`] then writes the new version, and
//! [`crate::codec::decode`] lifts older records through every step in turn.
//!
//! Steps see the payload (`data`) only. The envelope (metadata) is shared by
//! every type and its fields are optional, so it changes by adding fields, not by
//! versions.
//!
//! The changes so far:
//! - `SubscriptionUpgraded` v1 → v2: the field `seats` was renamed `seats_moved`
//!   (the seats moved to the target; `seats` read as ambiguous next to
//!   `source_quantity_after`).

use serde_json::Value;

/// One step: lifts a payload of `event_type` from `from_version` to the next.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub event_type: &'static str,
    pub from_version: u32,
    pub lift: fn(&mut Value),
}

/// Every step this build knows, for every event type.
pub const STEPS: &[Step] = &[Step {
    event_type: "SubscriptionUpgraded",
    from_version: 1,
    lift: subscription_upgraded_v1_seats_to_seats_moved,
}];

/// The chain the codec reads and writes with.
pub const CHAIN: Chain<'static> = Chain::new(STEPS);

/// Why a record's payload could not be brought to the current schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpcastError {
    /// Written by a newer build: reading it here would silently drop what changed.
    #[error(
        "event type {event_type} schema version {version} is newer than this build knows ({current})"
    )]
    Newer {
        event_type: String,
        version: u32,
        current: u32,
    },
    /// A hole in the chain: no step lifts this version to the next.
    #[error(
        "event type {event_type} schema version {version} has no upcast step to version {} (current {current})",
        version + 1
    )]
    MissingStep {
        event_type: String,
        version: u32,
        current: u32,
    },
}

/// A set of steps, looked up by event type and version.
#[derive(Debug, Clone, Copy)]
pub struct Chain<'a> {
    steps: &'a [Step],
}

impl<'a> Chain<'a> {
    pub const fn new(steps: &'a [Step]) -> Self {
        Self { steps }
    }

    /// The version records of `event_type` are written at.
    pub fn current_version(&self, event_type: &str) -> u32 {
        // A linear scan: the table holds a handful of steps, and this runs once
        // per record, next to a JSON parse that costs far more.
        self.steps
            .iter()
            .filter(|s| s.event_type == event_type)
            .map(|s| s.from_version + 1)
            .max()
            .unwrap_or(1)
    }

    /// The steps that lift a payload of `event_type` stored at `version` to the
    /// current version, in order (none when it is current), found before any
    /// payload is parsed so an unreadable version is named as such.
    pub fn path(&self, event_type: &str, version: u32) -> Result<Vec<&'a Step>, UpcastError> {
        let current = self.current_version(event_type);
        if version > current {
            return Err(UpcastError::Newer {
                event_type: event_type.to_owned(),
                version,
                current,
            });
        }
        (version..current)
            .map(|v| {
                self.steps
                    .iter()
                    .find(|s| s.event_type == event_type && s.from_version == v)
                    .ok_or_else(|| UpcastError::MissingStep {
                        event_type: event_type.to_owned(),
                        version: v,
                        current,
                    })
            })
            .collect()
    }

    /// Lifts `data`, stored at `version`, to the current version of `event_type`.
    pub fn lift(
        &self,
        event_type: &str,
        version: u32,
        data: &mut Value,
    ) -> Result<(), UpcastError> {
        for step in self.path(event_type, version)? {
            (step.lift)(data);
        }
        Ok(())
    }
}

/// `SubscriptionUpgraded` v1 → v2: `seats` becomes `seats_moved`.
fn subscription_upgraded_v1_seats_to_seats_moved(data: &mut Value) {
    if let Some(m) = data.as_object_mut()
        && let Some(seats) = m.remove("seats")
    {
        m.insert("seats_moved".to_owned(), seats);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_type_without_steps_is_at_version_1_and_subscription_upgraded_at_2() {
        assert_eq!(CHAIN.current_version("Charged"), 1);
        assert_eq!(CHAIN.current_version("SubscriptionUpgraded"), 2);
    }

    #[test]
    fn every_type_has_a_step_from_each_version_below_its_current_one() {
        for step in STEPS {
            let t = step.event_type;
            for v in 1..CHAIN.current_version(t) {
                let n = STEPS
                    .iter()
                    .filter(|s| s.event_type == t && s.from_version == v)
                    .count();
                assert_eq!(n, 1, "{t}: {n} steps from version {v}");
            }
        }
    }

    #[test]
    fn the_v1_subscription_upgraded_step_renames_seats_and_keeps_the_rest() {
        let mut data = json!({"subscription_id": "x", "seats": 4, "source_quantity_after": 6});
        CHAIN.lift("SubscriptionUpgraded", 1, &mut data).unwrap();
        assert_eq!(
            data,
            json!({"subscription_id": "x", "seats_moved": 4, "source_quantity_after": 6})
        );
    }

    #[test]
    fn lifting_a_current_payload_changes_nothing() {
        let before = json!({"seats_moved": 4});
        let mut data = before.clone();
        CHAIN.lift("SubscriptionUpgraded", 2, &mut data).unwrap();
        assert_eq!(data, before);
    }

    #[test]
    fn a_version_newer_than_the_build_is_refused_with_both_versions_named() {
        let err = CHAIN
            .lift("SubscriptionUpgraded", 3, &mut json!({}))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "event type SubscriptionUpgraded schema version 3 is newer than this build knows (2)"
        );
        assert!(matches!(
            CHAIN.lift("Charged", 2, &mut json!({})),
            Err(UpcastError::Newer { current: 1, .. })
        ));
    }

    #[test]
    fn a_hole_in_the_chain_is_refused_naming_the_missing_step() {
        fn noop(_: &mut Value) {}
        // Steps from 1 and 3 but none from 2: the current version is 4.
        let steps = [
            Step {
                event_type: "T",
                from_version: 1,
                lift: noop,
            },
            Step {
                event_type: "T",
                from_version: 3,
                lift: noop,
            },
        ];
        let chain = Chain::new(&steps);
        let err = chain.lift("T", 1, &mut json!({})).unwrap_err();
        assert_eq!(
            err,
            UpcastError::MissingStep {
                event_type: "T".to_owned(),
                version: 2,
                current: 4
            }
        );
        assert_eq!(
            err.to_string(),
            "event type T schema version 2 has no upcast step to version 3 (current 4)"
        );
        // Version 0 was never written; it has no step either.
        assert!(matches!(
            CHAIN.lift("Charged", 0, &mut json!({})),
            Err(UpcastError::MissingStep { version: 0, .. })
        ));
    }
}
