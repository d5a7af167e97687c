//! The persisted projections: a batch is written with its checkpoint or not at
//! all, a stale batch is refused, a repeat or a gap in a stream is caught, and the
//! kept states answer time travel.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use subledger_domain::command::Segment;
use subledger_domain::{Event, EventData};
use subledger_projections::model::{self, Keep, Outcome};
use subledger_projections::{
    Applied, Batch, Checkpoint, CustomerEntry, CustomerFilter, HistoryFilter, ProjectionDb,
    ProjectionError, ReadModel, Rows,
};
use uuid::Uuid;

const CUSTOMER: Uuid = Uuid::from_u128(0xC);
const PARTNER: Uuid = Uuid::from_u128(0xA);

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn created(when: &str) -> Event {
    Event {
        at: at(when),
        command_id: None,
        actor: None,
        data: EventData::CustomerCreated {
            customer_id: CUSTOMER,
            company_name: "Fabrikam".into(),
            domain: "fabrikam.example".into(),
            country: "NL".into(),
            segment: Segment::Commercial,
        },
    }
}

fn related(when: &str) -> Event {
    Event {
        at: at(when),
        command_id: None,
        actor: None,
        data: EventData::RelationshipEstablished {
            customer_id: CUSTOMER,
            partner_id: PARTNER,
        },
    }
}

fn applied(position: u64, version: u64, event: &Event) -> Applied<'_> {
    Applied {
        position,
        customer_id: CUSTOMER,
        version,
        event,
    }
}

#[test]
fn an_event_is_applied_once_and_a_gap_in_its_stream_is_refused() {
    let (a, b) = (
        created("2026-01-01T00:00:00Z"),
        related("2026-01-01T00:00:01Z"),
    );
    let mut entry = CustomerEntry::default();
    let mut rows = Rows::default();
    assert_eq!(
        model::apply(&mut entry, applied(1, 1, &a), &mut rows, Keep::NOTHING).unwrap(),
        Outcome::Applied
    );
    assert_eq!(
        model::apply(&mut entry, applied(1, 1, &a), &mut rows, Keep::NOTHING).unwrap(),
        Outcome::AlreadyApplied
    );
    assert_eq!(entry.state.event_count, 1);
    let gap = model::apply(&mut entry, applied(3, 3, &b), &mut rows, Keep::NOTHING).unwrap_err();
    assert!(
        matches!(
            gap,
            ProjectionError::Gap {
                expected: 2,
                got: 3,
                ..
            }
        ),
        "{gap}"
    );
    model::apply(
        &mut entry,
        applied(2, 2, &b),
        &mut rows,
        Keep {
            states_every: Some(2),
            history: false,
        },
    )
    .unwrap();
    assert_eq!((entry.version, entry.last_position), (2, 2));
    assert_eq!(entry.max_at, Some(at("2026-01-01T00:00:01Z")));
    assert_eq!(rows.state_checkpoints.len(), 1, "kept at version 2");
}

#[test]
fn a_batch_commits_with_its_checkpoint_and_a_stale_one_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = ProjectionDb::open(dir.path().join("p.db")).unwrap();
    assert_eq!(db.checkpoint().unwrap(), Checkpoint::default());
    let a = created("2026-01-01T00:00:00Z");
    let mut entry = CustomerEntry::default();
    let mut rows = Rows::default();
    model::apply(&mut entry, applied(1, 1, &a), &mut rows, Keep::NOTHING).unwrap();
    let to = Checkpoint {
        position: 1,
        at: Some(a.at),
    };
    db.commit(Batch {
        from: 0,
        to,
        customers: vec![(CUSTOMER, Arc::new(entry.clone()))],
        rows: rows.clone(),
    })
    .unwrap();
    assert_eq!(db.checkpoint().unwrap(), to);
    assert_eq!(db.customer(CUSTOMER).unwrap().unwrap().version, 1);
    // A second runner still at 0 is refused and writes nothing.
    let stale = db
        .commit(Batch {
            from: 0,
            to: Checkpoint {
                position: 9,
                at: None,
            },
            customers: vec![(CUSTOMER, Arc::new(CustomerEntry::default()))],
            rows,
        })
        .unwrap_err();
    assert!(
        matches!(
            stale,
            ProjectionError::CheckpointMoved {
                expected: 0,
                found: 1
            }
        ),
        "{stale}"
    );
    assert_eq!(db.checkpoint().unwrap(), to);
    // A fresh handle (no cache) reads the committed state from disk.
    drop(db);
    let again = ProjectionDb::open_read_only(dir.path().join("p.db"))
        .unwrap()
        .unwrap();
    assert_eq!(*again.customer(CUSTOMER).unwrap().unwrap(), entry);
    assert!(matches!(
        again.commit(Batch::default()),
        Err(ProjectionError::ReadOnly)
    ));
}

#[test]
fn gen_2_the_customer_directory_follows_each_committed_state() {
    let dir = tempfile::tempdir().unwrap();
    let db = ProjectionDb::open(dir.path().join("p.db")).unwrap();
    let (a, b) = (
        created("2026-01-01T00:00:00Z"),
        related("2026-01-01T00:00:01Z"),
    );
    let mut entry = CustomerEntry::default();
    let mut from = 0;
    let mut commit = |event: &Event, version: u64| {
        let mut rows = Rows::default();
        model::apply(
            &mut entry,
            applied(version, version, event),
            &mut rows,
            Keep::PERSISTED,
        )
        .unwrap();
        db.commit(Batch {
            from,
            to: Checkpoint {
                position: version,
                at: Some(event.at),
            },
            customers: vec![(CUSTOMER, Arc::new(entry.clone()))],
            rows,
        })
        .unwrap();
        from = version;
    };
    let of_partner = |db: &ProjectionDb| {
        db.customers(&CustomerFilter {
            partner_id: Some(PARTNER),
            limit: 10,
            ..CustomerFilter::default()
        })
        .unwrap()
    };
    commit(&a, 1);
    assert_eq!(of_partner(&db), [], "no relationship yet");
    let all = db
        .customers(&CustomerFilter {
            limit: 10,
            ..CustomerFilter::default()
        })
        .unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(
        (
            all[0].customer_id,
            all[0].company_name.as_str(),
            all[0].domain.as_str(),
            all[0].country.as_str(),
            all[0].segment.as_str(),
            all[0].subscriptions
        ),
        (
            CUSTOMER,
            "Fabrikam",
            "fabrikam.example",
            "NL",
            "commercial",
            0
        )
    );
    commit(&b, 2);
    let listed = of_partner(&db);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].customer_id, CUSTOMER);
    // The rows are the committed state's: a fresh handle reads the same.
    drop(db);
    let again = ProjectionDb::open_read_only(dir.path().join("p.db"))
        .unwrap()
        .unwrap();
    assert_eq!(of_partner(&again), listed);
    let other = again
        .customers(&CustomerFilter {
            partner_id: Some(Uuid::from_u128(0xB)),
            limit: 10,
            ..CustomerFilter::default()
        })
        .unwrap();
    assert_eq!(other, []);
}

#[test]
fn projections_of_another_schema_version_are_emptied_to_be_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    {
        let db = ProjectionDb::open(&path).unwrap();
        db.commit(Batch {
            from: 0,
            to: Checkpoint {
                position: 5,
                at: None,
            },
            ..Batch::default()
        })
        .unwrap();
    }
    let c = rusqlite::Connection::open(&path).unwrap();
    c.pragma_update(None, "user_version", 999).unwrap();
    drop(c);
    assert!(ProjectionDb::open_read_only(&path).unwrap().is_none());
    let db = ProjectionDb::open(&path).unwrap();
    assert_eq!(db.checkpoint().unwrap().position, 0);
}

#[test]
fn view_4_kept_states_start_time_travel_at_the_latest_state_not_past_the_instant() {
    let dir = tempfile::tempdir().unwrap();
    let db = ProjectionDb::open(dir.path().join("p.db")).unwrap();
    let events = [
        created("2026-01-01T00:00:00Z"),
        related("2026-01-02T00:00:00Z"),
    ];
    let mut entry = CustomerEntry::default();
    let mut rows = Rows::default();
    for (i, e) in events.iter().enumerate() {
        let v = i as u64 + 1;
        model::apply(
            &mut entry,
            applied(v, v, e),
            &mut rows,
            Keep {
                states_every: Some(1),
                history: false,
            },
        )
        .unwrap();
    }
    db.commit(Batch {
        from: 0,
        to: Checkpoint {
            position: 2,
            at: entry.max_at,
        },
        customers: vec![(CUSTOMER, Arc::new(entry))],
        rows,
    })
    .unwrap();
    let (start, stop) = db
        .state_checkpoint(CUSTOMER, at("2026-01-01T12:00:00Z"))
        .unwrap();
    assert_eq!(start.unwrap().version, 1);
    assert_eq!(stop, Some(2), "the fold never needs to read version 2");
    let (start, stop) = db
        .state_checkpoint(CUSTOMER, at("2025-12-31T00:00:00Z"))
        .unwrap();
    assert!(start.is_none());
    assert_eq!(stop, Some(1));
}

#[test]
fn a_replay_as_of_an_instant_stops_each_customer_at_its_first_later_event() {
    let events = [
        created("2026-01-01T00:00:00Z"),
        related("2026-01-03T00:00:00Z"),
    ];
    let mut model = ReadModel::new(Some(at("2026-01-02T00:00:00Z")));
    for (i, e) in events.iter().enumerate() {
        let v = i as u64 + 1;
        model.apply(applied(v, v, e)).unwrap();
    }
    assert_eq!(model.customers[&CUSTOMER].version, 1);
    assert_eq!(model.position, 2, "the log was read to its end");
    assert_eq!(model.events_applied(), 1);
}

fn auto_renew(when: &str, subscription_id: Uuid) -> Event {
    Event {
        at: at(when),
        command_id: Some(Uuid::from_u128(0xC0)),
        actor: Some(subledger_domain::Actor::partner(
            "alice@a.example",
            PARTNER,
            &[subledger_domain::Role::GlobalAdmin],
        )),
        data: EventData::AutoRenewSet {
            subscription_id,
            enabled: false,
        },
    }
}

#[test]
fn view_5_the_history_keeps_each_subscriptions_events_whole_and_filters_them_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let db = ProjectionDb::open(dir.path().join("p.db")).unwrap();
    let (one, two) = (Uuid::from_u128(1), Uuid::from_u128(2));
    let events = [
        created("2026-01-01T00:00:00Z"),
        related("2026-01-02T00:00:00Z"),
        // Half a microsecond past midnight: not "at" midnight.
        auto_renew("2026-01-03T00:00:00.000000500Z", one),
        auto_renew("2026-01-04T00:00:00Z", two),
        auto_renew("2026-01-05T00:00:00Z", one),
    ];
    let mut entry = CustomerEntry::default();
    let mut rows = Rows::default();
    let mut replayed = ReadModel::new(None);
    for (i, e) in events.iter().enumerate() {
        let v = i as u64 + 1;
        model::apply(
            &mut entry,
            applied(10 + v, v, e),
            &mut rows,
            Keep::PERSISTED,
        )
        .unwrap();
        replayed.apply(applied(10 + v, v, e)).unwrap();
    }
    assert!(
        replayed.rows.history.is_empty(),
        "a replay keeps no history"
    );
    db.commit(Batch {
        from: 0,
        to: Checkpoint {
            position: 15,
            at: entry.max_at,
        },
        customers: vec![(CUSTOMER, Arc::new(entry))],
        rows,
    })
    .unwrap();
    let read = |after: u64, until: Option<&str>, limit: usize| -> Vec<(u64, u64)> {
        db.history(&HistoryFilter {
            subscription_id: one,
            after,
            until: until.map(at),
            limit,
        })
        .unwrap()
        .iter()
        .map(|r| (r.version, r.position))
        .collect()
    };
    assert_eq!(read(0, None, 10), [(3, 13), (5, 15)]);
    assert_eq!(read(3, None, 10), [(5, 15)]);
    assert_eq!(read(0, None, 1), [(3, 13)]);
    assert_eq!(read(0, Some("2026-01-03T00:00:00Z"), 10), []);
    assert_eq!(read(0, Some("2026-01-04T00:00:00Z"), 10), [(3, 13)]);
    let whole = db
        .history(&HistoryFilter {
            subscription_id: one,
            after: 0,
            until: None,
            limit: 1,
        })
        .unwrap();
    assert_eq!(
        whole[0].event, events[2],
        "the event comes back whole, actor and all"
    );
}
