//! A reviewer key in tests: signs requests, and builds the signed actions the server
//! stores with each reviewer event.

use amana_core::events::SignedAction;
use amana_core::signing::{self, RequestParts, Signature};
use amana_core::wire::ReviewerKeyWire;
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use ring::signature::{Ed25519KeyPair, KeyPair};

/// One reviewer's signing key under a key id, for one deployment.
pub struct Signer {
    pub key: Ed25519KeyPair,
    pub key_id: String,
    pub deployment_id: String,
}

impl Signer {
    /// A fresh random key.
    pub fn generate(key_id: &str, deployment_id: &str) -> Self {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).expect("generate a key");
        let key = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("read the new key");
        Self { key, key_id: key_id.into(), deployment_id: deployment_id.into() }
    }

    /// The public key as the server lists it.
    pub fn wire(&self) -> ReviewerKeyWire {
        ReviewerKeyWire {
            key_id: self.key_id.clone(),
            ed25519_public_key: B64.encode(self.key.public_key().as_ref()),
            revoked_on: None,
        }
    }

    /// Signs with an explicit timestamp and nonce.
    pub fn sign_at(&self, method: &str, path: &str, body: &[u8], timestamp: i64, nonce: &str) -> Signature {
        let parts = RequestParts {
            deployment_id: &self.deployment_id,
            key_id: &self.key_id,
            method,
            path_and_query: path,
            body,
            timestamp,
            nonce,
        };
        signing::sign(&self.key, &parts)
    }

    /// Signs now, with a fresh nonce.
    pub fn sign(&self, method: &str, path: &str, body: &[u8]) -> Signature {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        self.sign_at(method, path, body, now, &signing::new_nonce())
    }

    /// A `POST` to `path` with `body`, signed at `timestamp` with `nonce`, as the server
    /// records it (the JSON of a [`SignedAction`]).
    pub fn action_at(&self, path: &str, body: String, timestamp: i64, nonce: &str) -> String {
        let sig = self.sign_at("POST", path, body.as_bytes(), timestamp, nonce);
        to_json(&signed_action(sig, "POST", path, body))
    }

    /// Like [`Self::action_at`], signed now with a fresh nonce.
    pub fn action(&self, path: &str, body: String) -> String {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        self.action_at(path, body, now, &signing::new_nonce())
    }
}

/// The action the server stores for a request signed with `sig`.
pub fn signed_action(sig: Signature, method: &str, path: &str, body: String) -> SignedAction {
    SignedAction {
        key_id: sig.key_id,
        timestamp: sig.timestamp,
        nonce: sig.nonce,
        signature: sig.signature,
        method: method.into(),
        path: path.into(),
        body,
    }
}

fn to_json(action: &SignedAction) -> String {
    serde_json::to_string(action).expect("a signed action is JSON")
}
