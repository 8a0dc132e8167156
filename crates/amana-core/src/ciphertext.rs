//! The trust boundary in the types (SECURITY.md invariant 1): [`Ciphertext`] is the only
//! thing the server's store accepts for an envelope, an evidence file's piece or its
//! description. It can be made in two ways only — by encrypting ([`Ciphertext::seal`], the
//! file encryptor in [`crate::attachment`]) or by passing a client's upload through the one
//! gate, [`Ciphertext::from_client`] — so "no plaintext at rest" holds at compile time for
//! everything the server writes.

use crate::envelope::{self, EnvelopeError};

/// Bytes that are age ciphertext: a whole age file, or a piece of one's stream.
#[derive(Clone, PartialEq, Eq)]
pub struct Ciphertext(Vec<u8>);

/// Why a client's upload is not accepted as ciphertext.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotCiphertext {
    #[error("is not an age file")]
    NotAge,
    #[error("must have 1 to {} recipients", envelope::MAX_STANZAS)]
    Recipients,
}

impl Ciphertext {
    /// Encrypts `plaintext` to `recipients` (a standard age file).
    pub fn seal(plaintext: &[u8], recipients: &[age::x25519::Recipient]) -> Result<Self, EnvelopeError> {
        envelope::encrypt(plaintext, recipients).map(Self)
    }

    /// The gate for ciphertext made by a client (a reviewer's reply, note or rewrap): an
    /// age v1 file whose header parses, with 1 to [`envelope::MAX_STANZAS`] recipients.
    pub fn from_client(bytes: Vec<u8>) -> Result<Self, NotCiphertext> {
        match envelope::stanza_count(&bytes) {
            Some(n) if (1..=envelope::MAX_STANZAS).contains(&n) => {}
            Some(_) => return Err(NotCiphertext::Recipients),
            None => return Err(NotCiphertext::NotAge),
        }
        age::Decryptor::new_buffered(&bytes[..]).map_err(|_| NotCiphertext::NotAge)?;
        Ok(Self(bytes))
    }

    /// Any bytes, for store tests that need exact patterns and sizes. Only in test builds
    /// (the `testing` feature is enabled by dev-dependencies alone), so no production build
    /// of the server can call it.
    #[cfg(feature = "testing")]
    pub fn for_tests(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// Output of this crate's own encryptors.
    pub(crate) fn made_here(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// Store pieces put back together, in order (one age file).
    pub fn join(pieces: Vec<Ciphertext>) -> Vec<u8> {
        pieces.into_iter().flat_map(Ciphertext::into_bytes).collect()
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Ciphertext is not secret, but it is not worth a log line either: its length only.
impl std::fmt::Debug for Ciphertext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Ciphertext({} bytes)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gate_takes_age_files_only() {
        let who = age::x25519::Identity::generate().to_public();
        let sealed = Ciphertext::seal(b"text", &[who]).expect("seal");
        assert_eq!(Ciphertext::from_client(sealed.as_bytes().to_vec()).as_ref(), Ok(&sealed));
        assert_eq!(Ciphertext::from_client(b"plain text".to_vec()), Err(NotCiphertext::NotAge));
        let header_only = b"age-encryption.org/v1\n--- AAAA\n".to_vec();
        assert_eq!(Ciphertext::from_client(header_only), Err(NotCiphertext::Recipients));
    }
}
