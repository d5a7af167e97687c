//! Catch-up subscriptions for the backends with gap-free positions (memory, SQLite).
//!
//! The loop is: note the current head, read a page after the last position seen, yield it;
//! when a read comes back empty, sleep until the head moves. Because writers publish the
//! new head only *after* their commit is visible, and we note the head *before* reading,
//! a commit can never slip between "read found nothing" and "wait": there is no gap, and
//! since every read starts strictly after the last position yielded, no duplicate.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;

use tokio::sync::watch;

use crate::{EventStream, RecordedEvent, StoreError};

/// Reads one page of the global log (`position > from`, at most `limit`).
pub(crate) trait PageReader: Send + Sync + 'static {
    fn read_page(
        &self,
        from: u64,
        limit: usize,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<RecordedEvent>, StoreError>> + Send + 'static>>;
}

struct State<R> {
    reader: R,
    head: watch::Receiver<u64>,
    last: u64,
    buf: VecDeque<RecordedEvent>,
    page: usize,
    done: bool,
}

/// Builds the catch-up stream starting after `from`.
pub(crate) fn catch_up<R: PageReader>(
    reader: R,
    head: watch::Receiver<u64>,
    from: u64,
    page: usize,
) -> EventStream {
    let state = State {
        reader,
        head,
        last: from,
        buf: VecDeque::new(),
        page: page.max(1),
        done: false,
    };
    Box::pin(futures::stream::unfold(state, |mut st| async move {
        loop {
            if let Some(e) = st.buf.pop_front() {
                return Some((Ok(e), st));
            }
            if st.done {
                return None;
            }
            // Mark the head as seen *before* reading (see module docs).
            let head = *st.head.borrow_and_update();
            if head > st.last {
                match st.reader.read_page(st.last, st.page).await {
                    Err(e) => {
                        st.done = true;
                        return Some((Err(e), st));
                    }
                    Ok(page) if !page.is_empty() => {
                        for e in &page {
                            if e.position <= st.last {
                                st.done = true;
                                let err = StoreError::Corrupt(
                                    format!(
                                        "subscription saw position {} after {}",
                                        e.position, st.last
                                    )
                                    .into(),
                                );
                                return Some((Err(err), st));
                            }
                            st.last = e.position;
                        }
                        st.buf.extend(page);
                        continue;
                    }
                    Ok(_) => {}
                }
            }
            if st.head.changed().await.is_err() {
                st.done = true;
                let err = StoreError::Unavailable("the store was closed".into());
                return Some((Err(err), st));
            }
        }
    }))
}
