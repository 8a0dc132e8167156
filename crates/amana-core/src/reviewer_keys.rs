//! A reviewer's secret key material: an age X25519 identity (to decrypt cases) and an
//! Ed25519 signing key (to sign actions), each optionally protected with a passphrase
//! the age way (scrypt recipient, ASCII armour), so `age -d` / `rage -d` can open them too.

use age::secrecy::{ExposeSecret, SecretString};
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use ring::signature::Ed25519KeyPair;
use std::io::{Read, Write};
use time::Date;
use zeroize::Zeroizing;

use crate::keyring::ReviewerEntry;
use crate::signing;

const SIGNING_PREFIX: &str = "AMANA-SIGNING-KEY-1 ";
const ARMOR_BEGIN: &str = "-----BEGIN AGE ENCRYPTED FILE-----";

/// Errors handling reviewer key files.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("could not generate a key: {0}")]
    Generate(String),
    #[error("the file is passphrase-protected: a passphrase is needed")]
    NeedsPassphrase,
    #[error("wrong passphrase, or the key file is damaged")]
    WrongPassphrase,
    #[error("not an age identity file (expected a line starting AGE-SECRET-KEY-1)")]
    NotIdentity,
    #[error("not an Amana signing key file (expected a line starting {SIGNING_PREFIX})")]
    NotSigningKey,
    #[error("encryption failed: {0}")]
    Encrypt(String),
}

/// A reviewer's secrets in memory.
pub struct ReviewerSecrets {
    /// Decrypts the cases addressed to this reviewer.
    pub identity: age::x25519::Identity,
    pkcs8: Zeroizing<Vec<u8>>,
}

impl ReviewerSecrets {
    /// Generates a fresh identity and signing key.
    pub fn generate() -> Result<Self, KeyFileError> {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 =
            Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| KeyFileError::Generate("Ed25519".into()))?;
        Ok(Self {
            identity: age::x25519::Identity::generate(),
            pkcs8: Zeroizing::new(pkcs8.as_ref().to_vec()),
        })
    }

    /// The Ed25519 key pair for signing.
    pub fn signing_key(&self) -> Result<Ed25519KeyPair, KeyFileError> {
        Ed25519KeyPair::from_pkcs8(&self.pkcs8).map_err(|_| KeyFileError::NotSigningKey)
    }

    /// The public entry for `keys/reviewers/<id>.toml`.
    pub fn public_entry(
        &self,
        id: &str,
        agencies: Vec<String>,
        oversight: bool,
    ) -> Result<ReviewerEntry, KeyFileError> {
        Ok(ReviewerEntry {
            id: id.to_string(),
            age_recipient: self.identity.to_public().to_string(),
            ed25519_public_key: signing::public_key_b64(&self.signing_key()?),
            agencies,
            oversight,
            revoked_on: None,
        })
    }

    /// A standard age identity file.
    pub fn identity_file(&self, created_on: Date) -> Zeroizing<String> {
        Zeroizing::new(format!(
            "# created: {created_on}\n# public key: {}\n{}\n",
            self.identity.to_public(),
            self.identity.to_string().expose_secret()
        ))
    }

    /// The signing key file: one line, the PKCS#8 document in base64.
    pub fn signing_key_file(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("{SIGNING_PREFIX}{}\n", B64.encode(&self.pkcs8[..])))
    }
}

/// Parses an age identity file (the first `AGE-SECRET-KEY-1` line).
pub fn parse_identity_file(text: &str) -> Result<age::x25519::Identity, KeyFileError> {
    text.lines()
        .map(str::trim)
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .ok_or(KeyFileError::NotIdentity)?
        .parse()
        .map_err(|_| KeyFileError::NotIdentity)
}

/// Parses a signing key file.
pub fn parse_signing_key_file(text: &str) -> Result<Ed25519KeyPair, KeyFileError> {
    let line = text
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix(SIGNING_PREFIX))
        .ok_or(KeyFileError::NotSigningKey)?;
    let der = Zeroizing::new(B64.decode(line).map_err(|_| KeyFileError::NotSigningKey)?);
    Ed25519KeyPair::from_pkcs8(&der).map_err(|_| KeyFileError::NotSigningKey)
}

/// Whether a key file is passphrase-protected.
pub fn is_protected(data: &[u8]) -> bool {
    data.trim_ascii_start().starts_with(ARMOR_BEGIN.as_bytes())
}

/// Encrypts a key file to a passphrase (age scrypt, ASCII-armoured).
pub fn protect(plaintext: &[u8], passphrase: &str) -> Result<Vec<u8>, KeyFileError> {
    let enc = age::Encryptor::with_user_passphrase(SecretString::from(passphrase.to_string()));
    let mut out = Vec::new();
    let armor = age::armor::ArmoredWriter::wrap_output(&mut out, age::armor::Format::AsciiArmor)
        .map_err(|e| KeyFileError::Encrypt(e.to_string()))?;
    let mut w = enc.wrap_output(armor).map_err(|e| KeyFileError::Encrypt(e.to_string()))?;
    w.write_all(plaintext).map_err(|e| KeyFileError::Encrypt(e.to_string()))?;
    w.finish().and_then(|armor| armor.finish()).map_err(|e| KeyFileError::Encrypt(e.to_string()))?;
    Ok(out)
}

/// Opens a key file: as is when unprotected, with the passphrase when protected.
pub fn unprotect(data: &[u8], passphrase: Option<&str>) -> Result<Zeroizing<String>, KeyFileError> {
    if !is_protected(data) {
        return Ok(Zeroizing::new(String::from_utf8_lossy(data).into_owned()));
    }
    let pass = passphrase.ok_or(KeyFileError::NeedsPassphrase)?;
    let reader = age::armor::ArmoredReader::new(data);
    let dec = age::Decryptor::new(reader).map_err(|_| KeyFileError::WrongPassphrase)?;
    let identity = age::scrypt::Identity::new(SecretString::from(pass.to_string()));
    let mut r = dec
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|_| KeyFileError::WrongPassphrase)?;
    let mut out = Zeroizing::new(Vec::new());
    r.read_to_end(&mut out).map_err(|_| KeyFileError::WrongPassphrase)?;
    String::from_utf8(out.to_vec()).map(Zeroizing::new).map_err(|_| KeyFileError::WrongPassphrase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_round_trip() {
        let s = ReviewerSecrets::generate().expect("gen");
        let id_text = s.identity_file(time::macros::date!(2026 - 11 - 23));
        let parsed = parse_identity_file(&id_text).expect("identity");
        assert_eq!(parsed.to_public().to_string(), s.identity.to_public().to_string());
        let sk = parse_signing_key_file(&s.signing_key_file()).expect("signing");
        let entry = s.public_entry("alice", vec!["health".into()], false).expect("entry");
        assert_eq!(entry.ed25519_public_key, signing::public_key_b64(&sk));
    }

    #[test]
    fn passphrase_protection() {
        let protected = protect(b"AGE-SECRET-KEY-1XYZ\n", "correct horse").expect("protect");
        assert!(is_protected(&protected));
        assert!(matches!(unprotect(&protected, None), Err(KeyFileError::NeedsPassphrase)));
        assert!(matches!(unprotect(&protected, Some("wrong")), Err(KeyFileError::WrongPassphrase)));
        assert_eq!(
            unprotect(&protected, Some("correct horse")).expect("open").as_str(),
            "AGE-SECRET-KEY-1XYZ\n"
        );
        assert_eq!(unprotect(b"plain", None).expect("plain").as_str(), "plain");
    }
}

/// The layout of a reviewer's working directory (`amana-review --home DIR`), shared so the
/// server's demo mode can prepare one that the CLI reads as is.
pub mod home {
    use serde::{Deserialize, Serialize};

    /// The age identity file (standard format, maybe passphrase-protected).
    pub const IDENTITY_FILE: &str = "identity.age";
    /// The Ed25519 signing key file (maybe passphrase-protected).
    pub const SIGNING_FILE: &str = "signing.key";
    /// The public entry to copy into the server's `keys/reviewers/`.
    pub const PUBLIC_ENTRY_FILE: &str = "public-entry.toml";
    /// The CLI's settings.
    pub const CONFIG_FILE: &str = "config.toml";
    /// Pulled cases, one folder per case id.
    pub const CASES_DIR: &str = "cases";

    /// `config.toml` in the reviewer's home.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct ReviewerConfig {
        /// This reviewer's key id (as in `keys/reviewers/<id>.toml`).
        pub key_id: String,
        /// Base URL of the server, e.g. `http://127.0.0.1:8080`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub server: Option<String>,
        /// The deployment id signatures are bound to; learnt from the server if absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub deployment_id: Option<String>,
        /// The fingerprint of the oversight unit's roster key, received in person (never
        /// from the server): the one key this home trusts to say who the reviewers are.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub roster_fingerprint: Option<String>,
    }
}
