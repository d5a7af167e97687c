//! Bytes → the API's command parser → if it parses, `decide` against a customer
//! with some of everything (subscriptions of every kind, a batch inside its
//! window, a suspended and a cancelled one, a trial, keys, a done and a pending
//! transfer), after the time-driven work due by then → the accepted events
//! folded back in. Panics are bugs, and so is an accepted command that breaks
//! an invariant, a decision that changes when repeated (GEN-5), or an event the
//! codec cannot read back as written.
//!
//! The body's envelope steers the harness: ids below 0x100 name the fixture's
//! own (see `Fixture::remap`), the command id's last byte picks the actor, and
//! `expected_version` moves the clock forward by that many hours.
#![no_main]

use libfuzzer_sys::fuzz_target;
use subledger_api::parse_command;
use subledger_app::codec;
use subledger_domain::state::{CustomerState, Status};
use subledger_domain::{Command, CommandContext, decide, invariants, time};
use subledger_fuzz::{CUSTOMER, Fixture};
use subledger_store::RecordedEvent;

fuzz_target!(|body: &[u8]| {
    let Ok(parsed) = parse_command(body) else {
        return;
    };
    // What the ledger stores as the command must parse back to the same command.
    let mut again = serde_json::to_value(&parsed.command).expect("a command serializes");
    again["command_id"] = serde_json::json!(parsed.command_id);
    let reparsed = parse_command(again.to_string().as_bytes())
        .unwrap_or_else(|e| panic!("{:?} does not parse back: {e:?}", parsed.command));
    assert_eq!(reparsed.command, parsed.command);

    let fx = Fixture::get();
    let mut command = parsed.command;
    fx.remap(&mut command);
    let actor = fx.actor(parsed.command_id);
    let now = fx.instant(parsed.expected_version);
    let mut state = fx.state_for(&command).cloned().unwrap_or_default();
    // Time-driven work due by now runs first, as the ledger does (REN-7).
    for e in time::due_events(&state, now, &fx.catalog) {
        state.apply(&e);
    }
    assert_eq!(
        invariants::check(&state),
        vec![],
        "after time work to {now}"
    );
    let addons_before = invariants::addon_limits(&state, &fx.catalog).len();
    let fingerprint = matches!(command, Command::RevealKey(_)).then_some("fp:fuzz");
    let ctx = CommandContext {
        command_id: parsed.command_id,
        actor,
        now,
        key_fingerprint: fingerprint,
    };
    let result = decide(&state, &command, &ctx, &fx.catalog);
    assert_eq!(
        decide(&state, &command, &ctx, &fx.catalog),
        result,
        "GEN-5: deciding twice differs"
    );
    let events = match result {
        Err(r) => {
            assert!(
                !r.message.is_empty() && !r.rule.as_str().is_empty(),
                "{r:?}"
            );
            return;
        }
        Ok(events) => events,
    };
    let mut after = state.clone();
    for e in &events {
        after.apply(e);
    }
    let violations = invariants::check(&after);
    assert!(
        violations.is_empty(),
        "{command:?} as {actor:?} at {now}: {violations:#?}"
    );
    assert!(
        invariants::addon_limits(&after, &fx.catalog).len() <= addons_before,
        "PUR-7: {command:?} took add-ons over their base"
    );
    closed_stay_closed(&state, &after);
    // What is appended is what is read back (the codec's round trip).
    for (i, record) in codec::encode_command(&events, parsed.command_id, "fp")
        .into_iter()
        .enumerate()
    {
        let stored = RecordedEvent {
            stream: codec::customer_stream(CUSTOMER),
            version: i as u64 + 1,
            position: i as u64 + 1,
            event_id: record.event_id,
            event_type: record.event_type,
            schema_version: record.schema_version,
            data: record.data,
            metadata: record.metadata,
        };
        let (back, _) = codec::decode(&stored)
            .unwrap_or_else(|e| panic!("{:?} is written unreadable: {e}", events[i]));
        assert_eq!(back, events[i]);
    }
});

/// CAN-5, TRF-3: a closed subscription never changes again.
fn closed_stay_closed(before: &CustomerState, after: &CustomerState) {
    for (id, old) in &before.subscriptions {
        if matches!(
            old.status,
            Status::Cancelled | Status::Transferred | Status::Expired
        ) {
            assert_eq!(
                Some(old),
                after.subscriptions.get(id),
                "closed {id} changed"
            );
        }
    }
}
