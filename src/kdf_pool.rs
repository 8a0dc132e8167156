//! Bounded pools for the Argon2id work (SECURITY.md invariant 5): one pool per route, so a
//! flood of code checks cannot starve submissions, and memory stays at
//! `workers × 64 MiB` per pool whatever the load.

use std::{sync::Arc, time::Duration};
use tokio::sync::Semaphore;

/// How long a request may wait for a KDF slot before it is told to retry.
const QUEUE_WAIT: Duration = Duration::from_secs(20);

/// Why KDF work did not run.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("all KDF workers are busy")]
    Busy,
    #[error("KDF worker failed: {0}")]
    Join(String),
}

/// A semaphore-bounded door onto tokio's blocking threads.
#[derive(Clone)]
pub struct KdfPool {
    permits: Arc<Semaphore>,
}

impl KdfPool {
    /// A pool running at most `workers` derivations at once.
    pub fn new(workers: usize) -> Self {
        Self { permits: Arc::new(Semaphore::new(workers.max(1))) }
    }

    /// Runs `work` on a blocking thread once a slot is free.
    pub async fn run<T, F>(&self, work: F) -> Result<T, PoolError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let permit = tokio::time::timeout(QUEUE_WAIT, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| PoolError::Busy)?
            .map_err(|_| PoolError::Busy)?;
        let out = tokio::task::spawn_blocking(move || {
            let out = work();
            drop(permit);
            out
        })
        .await
        .map_err(|e| PoolError::Join(e.to_string()))?;
        Ok(out)
    }
}
