//! subledger's application layer. The command side ([`ledger`]): load a customer's
//! state, decide, append with the expected version, retry on conflicts,
//! idempotency that survives restarts, snapshots, software keys ([`keys`]) and the
//! time-driven work of REN-7; with a [`SharedStore`], several nodes on one PostgreSQL
//! database. Beside it: how events are stored ([`codec`],
//! [`upcast`]), the projections' runner and time travel ([`read_side`]), the
//! in-memory [`replay`], and the generated activity of tests, benchmarks and
//! `subledger simulate` ([`workload`], [`simulate`]).

pub mod clock;
pub mod codec;
pub mod data_dir;
pub mod error;
pub mod keys;
pub mod ledger;
pub mod metrics;
mod pg;
pub mod read_side;
pub mod replay;
pub mod response;
pub mod simulate;
pub mod upcast;
pub mod workload;

pub use clock::{Clock, SimulatedClock, SystemClock};
pub use error::CommandError;
pub use keys::{KeyVault, MemoryKeyVault, PgKeyVault, SqliteKeyVault};
pub use ledger::{CommandRequest, Ledger, LedgerConfig, SharedStore};
pub use pg::PgError;
pub use read_side::{Projections, ReadError};
pub use replay::{ReplayOptions, ReplayStats, replay};
pub use response::CommandResponse;
