//! Reading the global log in pages, from a position up to a head.
//!
//! Every reader that walks the log (the replay, the API's feed, the offline
//! tools) pages over [`EventStore::read_all`] the same way: start after a
//! position, read a page, go on from its last position, and stop at the head
//! fixed when the walk began, so a walk beside a running writer is a consistent
//! cut. [`ReadAllPages`] is that loop, written once.

use crate::{EventStore, RecordedEvent, Result};

/// Pages of the global log after a position, up to and including a head.
pub struct ReadAllPages<'a> {
    store: &'a dyn EventStore,
    /// The position of the last record read (the start: the position read after).
    position: u64,
    head: u64,
    page_size: usize,
    finished: bool,
}

impl<'a> ReadAllPages<'a> {
    /// The pages after `after` up to `head` (records past it are left out), at
    /// most `page_size` records each (at least one).
    pub fn new(store: &'a dyn EventStore, after: u64, head: u64, page_size: usize) -> Self {
        ReadAllPages {
            store,
            position: after,
            head,
            page_size: page_size.max(1),
            finished: false,
        }
    }

    /// The pages after `after` up to the log's head now.
    pub async fn to_head(store: &'a dyn EventStore, after: u64, page_size: usize) -> Result<Self> {
        let head = store.last_position().await?;
        Ok(Self::new(store, after, head, page_size))
    }

    /// The head the walk stops at.
    pub fn head(&self) -> u64 {
        self.head
    }

    /// The position of the last record handed out (before any: where it started).
    pub fn position(&self) -> u64 {
        self.position
    }

    /// The next page, in log order; `None` once the head is reached. A page is
    /// never empty.
    pub async fn next_page(&mut self) -> Result<Option<Vec<RecordedEvent>>> {
        if self.finished || self.position >= self.head {
            return Ok(None);
        }
        let mut page = self.store.read_all(self.position, self.page_size).await?;
        page.retain(|r| r.position <= self.head);
        match page.last() {
            Some(last) => {
                self.position = last.position;
                Ok(Some(page))
            }
            None => {
                // Nothing between here and the head (a head past the log's end,
                // or a backend with gaps in its positions): the walk is over.
                self.finished = true;
                Ok(None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ExpectedVersion, MemoryStore, NewEvent};
    use uuid::Uuid;

    async fn store_with(events: usize) -> MemoryStore {
        let store = MemoryStore::new();
        for i in 0..events {
            let e = NewEvent::new(Uuid::new_v4(), "T", 1, &b"{}"[..]);
            store
                .append(&format!("s-{}", i % 3), ExpectedVersion::Any, vec![e])
                .await
                .unwrap();
        }
        store
    }

    /// Every page's positions, as the walk hands them out.
    async fn walk(pages: &mut ReadAllPages<'_>) -> Vec<Vec<u64>> {
        let mut out = Vec::new();
        while let Some(page) = pages.next_page().await.unwrap() {
            assert!(!page.is_empty());
            out.push(page.iter().map(|r| r.position).collect());
        }
        out
    }

    #[tokio::test]
    async fn an_empty_log_has_no_pages() {
        let store = store_with(0).await;
        let mut pages = ReadAllPages::to_head(&store, 0, 10).await.unwrap();
        assert_eq!(pages.head(), 0);
        assert!(walk(&mut pages).await.is_empty());
        assert_eq!(pages.position(), 0);
    }

    #[tokio::test]
    async fn a_log_of_exact_page_multiples_ends_without_an_empty_page() {
        let store = store_with(6).await;
        let mut pages = ReadAllPages::to_head(&store, 0, 3).await.unwrap();
        assert_eq!(walk(&mut pages).await, vec![vec![1, 2, 3], vec![4, 5, 6]]);
        assert_eq!(pages.position(), 6);
        // Once done, it stays done.
        assert!(pages.next_page().await.unwrap().is_none());
    }

    #[tokio::test]
    async fn the_last_page_may_be_short() {
        let store = store_with(7).await;
        let mut pages = ReadAllPages::to_head(&store, 0, 3).await.unwrap();
        assert_eq!(
            walk(&mut pages).await,
            vec![vec![1, 2, 3], vec![4, 5, 6], vec![7]]
        );
    }

    #[tokio::test]
    async fn the_walk_stops_at_its_head_even_when_the_log_goes_on() {
        let store = store_with(10).await;
        let mut pages = ReadAllPages::new(&store, 2, 6, 3);
        assert_eq!(walk(&mut pages).await, vec![vec![3, 4, 5], vec![6]]);
        assert_eq!(pages.position(), 6);
    }

    #[tokio::test]
    async fn a_head_fixed_at_the_start_ignores_later_writes() {
        let store = store_with(4).await;
        let mut pages = ReadAllPages::to_head(&store, 0, 2).await.unwrap();
        let first = pages.next_page().await.unwrap().unwrap();
        assert_eq!(first.len(), 2);
        let late = NewEvent::new(Uuid::new_v4(), "T", 1, &b"{}"[..]);
        store
            .append("late", ExpectedVersion::Any, vec![late])
            .await
            .unwrap();
        assert_eq!(walk(&mut pages).await, vec![vec![3, 4]]);
    }

    #[tokio::test]
    async fn a_start_at_or_past_the_head_reads_nothing() {
        let store = store_with(5).await;
        assert!(
            walk(&mut ReadAllPages::new(&store, 5, 5, 2))
                .await
                .is_empty()
        );
        assert!(
            walk(&mut ReadAllPages::new(&store, 7, 5, 2))
                .await
                .is_empty()
        );
        // A page size of 0 still makes progress.
        assert_eq!(
            walk(&mut ReadAllPages::new(&store, 3, 5, 0)).await,
            vec![vec![4], vec![5]]
        );
    }
}
