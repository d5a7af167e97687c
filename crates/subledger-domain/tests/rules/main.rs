//! The rules of RULES.md, one module per family and one file per few rule ids.
//! Every test is named after the rule it checks (`seat_2_…`), which is how
//! `scripts/rule-coverage.sh` finds it. The tests are written given / when / then
//! with the shared harness in `tests/support`. One binary for all of them, so the
//! suite links once.

#[path = "../support/mod.rs"]
mod support;

mod billing;
mod cancel;
mod catalog;
mod evolve;
mod general;
mod keys;
mod purchase;
mod renewal;
mod seat;
mod suspend;
mod transfer;
mod trial;
mod upgrade;
mod view;
