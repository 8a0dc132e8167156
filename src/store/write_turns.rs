//! Writers take turns in arrival order on a database with one write lock (SQLite).
//!
//! Without this, every SQLite writer beyond the first waits in SQLite's busy handler, which
//! sleeps and polls (1, 2, 5, 10 … up to 100 ms between tries) instead of queueing: a writer
//! that wakes just after another took the lock sleeps again, and under load a few writers
//! lose that race many times over. Measured with 16 clients and the test KDF
//! (BENCHMARKS.md, "Tail latency of intake without the KDF"): p99 0.55–1.45 s without the
//! queue, 15–208 ms with it. Here each writer of this process
//! waits on a fair (FIFO) queue for its turn and then finds the lock free; the busy timeout
//! stays for writers in other processes (`amana purge`, a backup). A turn is held until
//! the transaction has committed or rolled back, so no answer is given before its commit.
//! PostgreSQL locks rows, not the database, and takes no turns.

use std::sync::Arc;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// The queue of writers; `None` where the database needs none.
#[derive(Clone, Default)]
pub struct WriteTurns(Option<Arc<Mutex<()>>>);

/// A writer's turn, held only to be dropped: the next writer goes then.
pub struct Turn(#[allow(dead_code)] Option<OwnedMutexGuard<()>>);

impl WriteTurns {
    /// One writer at a time, first come first served.
    pub fn one_at_a_time() -> Self {
        Self(Some(Arc::new(Mutex::new(()))))
    }

    /// No queue: the database orders writers itself.
    pub fn none() -> Self {
        Self(None)
    }

    /// Waits for this writer's turn.
    pub async fn take(&self) -> Turn {
        match &self.0 {
            Some(queue) => Turn(Some(queue.clone().lock_owned().await)),
            None => Turn(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Writers get their turns in the order they asked, however long each holds it: no
    /// writer can be overtaken again and again, which is what made SQLite's busy handler
    /// produce the long tail.
    #[tokio::test]
    async fn turns_go_in_arrival_order() {
        let turns = WriteTurns::one_at_a_time();
        let first = turns.take().await;
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut waiting = Vec::new();
        for i in 0..16 {
            let (turns, order) = (turns.clone(), order.clone());
            waiting.push(tokio::spawn(async move {
                let _turn = turns.take().await;
                order.lock().unwrap_or_else(|e| e.into_inner()).push(i);
                tokio::time::sleep(Duration::from_millis(1)).await;
            }));
            // Let task i queue before task i + 1 asks.
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        drop(first);
        for w in waiting {
            w.await.expect("writer");
        }
        assert_eq!(*order.lock().unwrap_or_else(|e| e.into_inner()), (0..16).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn no_queue_never_waits() {
        let turns = WriteTurns::none();
        let a = turns.take().await;
        let b = tokio::time::timeout(Duration::from_secs(1), turns.take()).await;
        assert!(b.is_ok(), "a database that orders writers itself takes no turns");
        drop(a);
    }
}
