//! Where `now` comes from: the system clock, or a simulated clock that only moves
//! when told to (API.md `POST /v1/clock/advance`), never backwards.

use std::sync::Mutex;

use chrono::{DateTime, Utc};

/// A source of the current instant.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
    /// The simulated clock, when this is one.
    fn as_simulated(&self) -> Option<&SimulatedClock> {
        None
    }
}

/// The machine's UTC clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until advanced.
#[derive(Debug)]
pub struct SimulatedClock {
    now: Mutex<DateTime<Utc>>,
}

/// The simulated clock refuses to go back in time.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the clock never goes back: it is {now}, {requested} was asked")]
pub struct ClockWentBack {
    pub now: DateTime<Utc>,
    pub requested: DateTime<Utc>,
}

impl SimulatedClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    /// Moves the clock to `to` (at or after now).
    pub fn set(&self, to: DateTime<Utc>) -> Result<(), ClockWentBack> {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        if to < *now {
            return Err(ClockWentBack {
                now: *now,
                requested: to,
            });
        }
        *now = to;
        Ok(())
    }
}

impl Clock for SimulatedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn as_simulated(&self) -> Option<&SimulatedClock> {
        Some(self)
    }
}
