//! Acting as a reviewer: a [`Signer`] (key, key id, deployment id) and a [`Delivery`] that
//! either sends each signed request at once (online) or writes it to the outbox
//! (`--offline`, the air gap). Offline, nothing here touches the network.

use std::path::PathBuf;

use amana_core::reviewer_keys::home::ReviewerConfig;
use ring::signature::Ed25519KeyPair;

use crate::client::{self, Client, Method, SignedRequest};
use crate::error::ReviewError;
use crate::home::{Home, CONFIG_FILE};
use crate::outbox;
use crate::passphrase::Unlocker;

/// Who signs, and for which deployment.
pub struct Signer {
    key: Ed25519KeyPair,
    /// The reviewer's key id.
    pub key_id: String,
    /// The deployment every signature is bound to.
    pub deployment_id: String,
}

impl Signer {
    /// Signs `method path body` now, with a fresh nonce.
    pub fn sign(&self, method: Method, path: &str, body: Vec<u8>) -> SignedRequest {
        client::sign(&self.key, &self.key_id, &self.deployment_id, method, path, body)
    }

    /// Opens the signer for offline use: the deployment id must already be in config.toml.
    pub fn offline(home: &Home) -> Result<Self, ReviewError> {
        let config = home.read_config()?;
        let deployment_id = require_deployment_id(home, &config)?;
        let key = home.signing_key(&mut Unlocker::default())?;
        Ok(Self { key, key_id: config.key_id, deployment_id })
    }
}

/// The configured deployment id, or an error that says how to set it.
pub fn require_deployment_id(home: &Home, config: &ReviewerConfig) -> Result<String, ReviewError> {
    config
        .deployment_id
        .clone()
        .filter(|d| !d.is_empty())
        .ok_or_else(|| ReviewError::NoDeploymentId(home.file(CONFIG_FILE)))
}

/// Everything needed to act online as this reviewer.
pub struct Session {
    client: Client,
    /// The reviewer's signer.
    pub signer: Signer,
}

impl Session {
    /// Reads config.toml, unlocks the signing key, and learns the deployment id from the
    /// server the first time (saving it, so later signatures stay bound to the same one).
    pub fn open(home: &Home, server_flag: Option<&str>) -> Result<Self, ReviewError> {
        let mut config = home.read_config()?;
        let server = server_url(home, &config, server_flag)?;
        let key = home.signing_key(&mut Unlocker::default())?;
        let client = Client::new(&server)?;
        let deployment_id = match config.deployment_id.clone().filter(|d| !d.is_empty()) {
            Some(id) => id,
            None => {
                let id = client.fetch_deployment_id()?;
                config.deployment_id = Some(id.clone());
                home.save_config(&config)?;
                eprintln!("deployment id `{id}` learnt from {server}, saved in {CONFIG_FILE}");
                id
            }
        };
        Ok(Self { client, signer: Signer { key, key_id: config.key_id, deployment_id } })
    }

    /// Signs and sends a request; returns the 2xx body.
    pub fn call(&self, method: Method, path: &str, body: Vec<u8>) -> Result<Vec<u8>, ReviewError> {
        self.client.send(&self.signer.sign(method, path, body))
    }

    /// Signs a `GET` and returns its answer as a stream of at most `limit` bytes.
    pub fn stream(&self, path: &str, limit: u64) -> Result<client::Download, ReviewError> {
        self.client.get_stream(&self.signer.sign(Method::Get, path, Vec::new()), limit)
    }

    /// The URL of `path`, for messages.
    pub fn url(&self, path: &str) -> String {
        self.client.url(path)
    }
}

/// `--server`/`AMANA_SERVER` wins over config.toml's `server`.
pub fn server_url(home: &Home, config: &ReviewerConfig, flag: Option<&str>) -> Result<String, ReviewError> {
    flag.map(str::to_string)
        .or_else(|| config.server.clone())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ReviewError::NoServer(home.file(CONFIG_FILE)))
}

/// How a reviewer action leaves the machine.
pub enum Delivery {
    /// Signed and sent at once.
    Online(Session),
    /// Signed and written to the outbox, for `push` on a connected machine.
    Offline(Signer),
}

/// What became of an action.
pub enum Delivered {
    /// The server accepted it.
    Sent,
    /// It waits in this outbox file.
    Queued(PathBuf),
}

impl Delivery {
    /// Opens the signing key, online (learning the deployment id if needed) or offline.
    pub fn open(home: &Home, server_flag: Option<&str>, offline: bool) -> Result<Self, ReviewError> {
        if offline {
            Signer::offline(home).map(Delivery::Offline)
        } else {
            Session::open(home, server_flag).map(Delivery::Online)
        }
    }

    /// Signs a `POST` about `case` and sends it, or queues it as `<n>-<case>-<action>.json`.
    pub fn post(
        &self,
        home: &Home,
        path: &str,
        body: Vec<u8>,
        case: &str,
        action: &str,
    ) -> Result<Delivered, ReviewError> {
        match self {
            Delivery::Online(session) => {
                let request = session.signer.sign(Method::Post, path, body);
                session.client.send(&request)?;
                crate::acknowledged::record(home, case, action, &request.signature.nonce)?;
                Ok(Delivered::Sent)
            }
            Delivery::Offline(signer) => {
                let file = signer.sign(Method::Post, path, body).to_file(&signer.deployment_id)?;
                outbox::queue(home, &file, case, action).map(Delivered::Queued)
            }
        }
    }
}

/// The line printed after an offline action.
pub fn queued_note(path: &std::path::Path) -> String {
    format!(
        "signed offline, not sent yet: {}\ncarry the outbox to the connected machine and run \
         `amana-review --server URL push OUTBOX_DIR` there",
        path.display()
    )
}
