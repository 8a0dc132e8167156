//! `verify-receipt RECEIPT.json TEXT_FILE [--server-key BASE64]`: proves, with the server's
//! receipt key, that the text was filed on the receipt's date (`amana_core::receipt`).
//!
//! The key is best given explicitly (`--server-key`, as the deployment publishes it in its
//! README). Otherwise it is fetched from the server's well-known URL, and the output says so:
//! it is then trusted because that server presented it.

use std::path::Path;

use amana_core::receipt::{self, Receipt};
use amana_core::wire::{paths, ReceiptKey};

use crate::cases::printable;
use crate::client::Client;
use crate::error::{io_error, ReviewError};
use crate::home::Home;
use crate::output::say;

/// Verifies; `Ok` means valid, an error says why not (exit code 1).
pub fn run(
    receipt_path: &Path,
    text_path: &Path,
    server_key: Option<&str>,
    server: Option<&str>,
    home: Option<&Home>,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(receipt_path).map_err(io_error(receipt_path))?;
    let receipt: Receipt = serde_json::from_slice(&bytes).map_err(|e| ReviewError::Damaged {
        path: receipt_path.to_path_buf(),
        detail: format!("not a receipt: {e}"),
    })?;
    let text = std::fs::read(text_path).map_err(io_error(text_path))?;
    let text = String::from_utf8(text).map_err(|_| ReviewError::Damaged {
        path: text_path.to_path_buf(),
        detail: "the text is not UTF-8".into(),
    })?;
    let key = match server_key {
        Some(b64) => decode_key(b64.trim(), "--server-key")?,
        None => fetch_key(server, home, &receipt)?,
    };
    receipt::verify(&receipt, &text, &key).map_err(|e| ReviewError::ReceiptInvalid(e.to_string()))?;
    say!("valid: filed on {} at deployment {}", receipt.date, printable(&receipt.deployment_id));
    Ok(())
}

/// The key from `/.well-known/amana-receipt-key` on the server of `--server` or config.toml.
fn fetch_key(server: Option<&str>, home: Option<&Home>, receipt: &Receipt) -> Result<Vec<u8>, ReviewError> {
    let configured = home.and_then(|h| h.read_config().ok()).and_then(|c| c.server);
    let server = server
        .map(str::to_string)
        .or(configured)
        .filter(|s| !s.is_empty())
        .ok_or(ReviewError::NoServerFlag)?;
    let client = Client::new(&server)?;
    let url = client.url(paths::RECEIPT_KEY);
    let published: ReceiptKey = client.get_public(paths::RECEIPT_KEY)?;
    let key = decode_key(&published.ed25519_public_key, &url)?;
    say!(
        "receipt key {} fetched from {url}; it is trusted because that server presented it \
         (compare it with the key the deployment publishes, or pass --server-key)",
        published.ed25519_public_key
    );
    if published.deployment_id != receipt.deployment_id {
        return Err(ReviewError::ReceiptInvalid(format!(
            "the receipt names deployment {}, but {server} is deployment {}",
            printable(&receipt.deployment_id),
            printable(&published.deployment_id)
        )));
    }
    Ok(key)
}

/// Decodes a base64 raw Ed25519 public key.
fn decode_key(b64: &str, what: &str) -> Result<Vec<u8>, ReviewError> {
    use base64::{engine::general_purpose::STANDARD as B64, Engine};
    B64.decode(b64)
        .ok()
        .filter(|k| k.len() == 32)
        .ok_or_else(|| ReviewError::BadPublicKey { what: what.to_string() })
}
