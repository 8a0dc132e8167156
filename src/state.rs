//! Shared application state.

use amana_core::{deadlines::DeadlinePolicy, kdf::KdfParams, keyring::Keyring};
use ring::signature::Ed25519KeyPair;
use std::sync::Arc;

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
    /// The signed roster, served verbatim in every case list (`None` before the ceremony).
    pub roster: Option<amana_core::roster::SignedRoster>,
    /// Every pepper version; new codes use the newest.
    pub peppers: crate::pepper::Peppers,
    /// Parameters for new codes and for the dummy derivation on a miss.
    pub kdf_params: KdfParams,
    /// Whether records with parameters below the production floor are accepted.
    pub insecure_test_kdf: bool,
    pub submit_pool: KdfPool,
    pub status_pool: KdfPool,
    pub signature_window_secs: i64,
    pub demo: bool,
    pub deadlines: DeadlinePolicy,
    /// Service centres and evaluation questionnaires (`--services`).
    pub services: amana_core::services::Services,
    /// What `amana purge` is given: the reporter's status page shows the deletion date.
    pub retention: crate::retention::RetentionPolicy,
    /// The server's key: signs proof-of-filing receipts and attests the events no reviewer
    /// makes (submissions, escalations); the signed roster names its public half.
    pub receipt_key: Arc<Ed25519KeyPair>,
    /// Origin announced in `Onion-Location` on pages (checked at start-up).
    pub onion_location: Option<String>,
    /// Days added to the real date (tests of deadlines only; 0 in production).
    pub clock_offset_days: i64,
    /// Minimum-time-to-submit tokens for the report form.
    pub form_tokens: crate::form_token::FormTokens,
    /// Limits on evidence files.
    pub uploads: crate::config::UploadLimits,
    /// Published figures, verified and rendered once per stored document.
    pub transparency: crate::transparency::Cache,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.inner
    }
}

impl Inner {
    /// Signs server events (submissions, escalations) with the attestation key.
    pub fn server_attester(&self) -> crate::store::EventSigner {
        crate::store::EventSigner::new(
            amana_core::events::Attester::Server,
            self.receipt_key.clone(),
            self.keyring.deployment_id.clone(),
        )
    }

    /// Signs the reporter's events with the key derived from their code (in memory only
    /// while the request that presented the code runs).
    pub fn reporter_attester(
        &self,
        derived: &amana_core::kdf::Derived,
    ) -> Result<crate::store::EventSigner, amana_core::kdf::KdfError> {
        Ok(crate::store::EventSigner::new(
            amana_core::events::Attester::Reporter,
            Arc::new(derived.reporter_key()?),
            self.keyring.deployment_id.clone(),
        ))
    }

    /// Today's UTC date: the finest time the server ever stores.
    pub fn today(&self) -> time::Date {
        let real = time::OffsetDateTime::now_utc().date();
        real.checked_add(time::Duration::days(self.clock_offset_days)).unwrap_or(real)
    }
}

/// A random identifier: 20 lowercase hex digits (80 bits), never sequential.
pub fn random_id() -> String {
    let mut b = [0u8; 10];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut b);
    hex::encode(b)
}
