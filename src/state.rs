//! Shared application state.

use amana_core::{kdf::KdfParams, keyring::Keyring};
use std::sync::Arc;
use zeroize::Zeroizing;

use crate::{kdf_pool::KdfPool, store::Store};

/// Everything a handler needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub inner: Arc<Inner>,
}

/// The state behind the [`AppState`] handle.
pub struct Inner {
    pub store: Arc<dyn Store>,
    pub keyring: Keyring,
    pub pepper: Zeroizing<Vec<u8>>,
    /// Parameters for new codes and for the dummy derivation on a miss.
    pub kdf_params: KdfParams,
    /// Whether records with parameters below the production floor are accepted.
    pub insecure_test_kdf: bool,
    pub submit_pool: KdfPool,
    pub status_pool: KdfPool,
    pub signature_window_secs: i64,
    pub demo: bool,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.inner
    }
}

/// Today's UTC date: the finest time the server ever stores.
pub fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// A random identifier: 20 lowercase hex digits (80 bits), never sequential.
pub fn random_id() -> String {
    let mut b = [0u8; 10];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut b);
    hex::encode(b)
}
