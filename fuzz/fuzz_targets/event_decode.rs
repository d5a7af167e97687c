//! Bytes → a stored record (event type, schema version, metadata, payload; the
//! text format of `subledger_fuzz::record_from_text`) → the codec's decoding,
//! with upcasting of older schema versions, in both its full and its read-model
//! form. Either an event or a typed `DecodeError`, never a panic; and an event
//! that decodes is written back (at the current version) as a record that
//! decodes to the same event.
#![no_main]

use libfuzzer_sys::fuzz_target;
use subledger_app::codec;
use subledger_fuzz::record_from_text;
use subledger_store::RecordedEvent;

fuzz_target!(|input: &[u8]| {
    let record = record_from_text(input);
    let full = codec::decode(&record);
    let lean = codec::decode_for_read_models(&record);
    let (event, meta) = match full {
        Err(e) => {
            // The error names the record, and its message renders.
            assert_eq!(e.event_type, record.event_type);
            let _ = e.to_string();
            return;
        }
        Ok(decoded) => decoded,
    };
    // The read models' lean path reads the same event from a record the full one
    // accepts, without the actor (it never reads it).
    let lean = lean.expect("the lean decode accepts what the full one does");
    assert_eq!(
        lean,
        subledger_domain::Event {
            actor: None,
            ..event.clone()
        }
    );
    assert_eq!((meta.at, meta.command_id), (event.at, event.command_id));
    let command_id = event.command_id.unwrap_or_default();
    let written = codec::encode_command(std::slice::from_ref(&event), command_id, "fp").remove(0);
    assert_eq!(written.event_type, event.data.type_name());
    let reread = RecordedEvent {
        event_id: written.event_id,
        event_type: written.event_type,
        schema_version: written.schema_version,
        data: written.data,
        metadata: written.metadata,
        ..record
    };
    let (back, _) = codec::decode(&reread)
        .unwrap_or_else(|e| panic!("{event:?} decoded but its re-encoding does not: {e}"));
    assert_eq!(back, event);
});
