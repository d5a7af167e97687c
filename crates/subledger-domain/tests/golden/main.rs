//! Golden tests of the contract: pinned encodings of commands and events, how
//! commands parse, and the refusal codes and rule ids against API.md and RULES.md.

mod command_encoding;
mod command_parsing;
mod error_codes;
mod event_encoding;
