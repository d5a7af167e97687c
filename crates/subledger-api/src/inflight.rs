//! Work that must finish even when its client is gone: commands and clock
//! advances run in tasks of their own (a hang-up or a response deadline never
//! cuts a command between its append and its bookkeeping), and `serve` waits
//! for the last of them before it returns, so a shutdown never cuts one either.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tracing::Instrument;

/// Process-wide: the tasks outlive the router that spawned them.
static RUNNING: AtomicUsize = AtomicUsize::new(0);
static IDLE: Notify = Notify::const_new();

struct Running;

impl Drop for Running {
    fn drop(&mut self) {
        if RUNNING.fetch_sub(1, Ordering::SeqCst) == 1 {
            IDLE.notify_waiters();
        }
    }
}

/// Spawns `work` in the current span, counted until it ends.
pub(crate) fn spawn<F>(work: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    RUNNING.fetch_add(1, Ordering::SeqCst);
    let running = Running;
    tokio::spawn(
        async move {
            let _running = running;
            work.await
        }
        .instrument(tracing::Span::current()),
    )
}

/// Returns once no spawned work is running.
pub(crate) async fn idle() {
    loop {
        // Created before the check, so a wake-up between the two is not lost.
        let notified = IDLE.notified();
        if RUNNING.load(Ordering::SeqCst) == 0 {
            return;
        }
        notified.await;
    }
}
