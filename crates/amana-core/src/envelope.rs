//! age envelopes: every stored piece of reporter content is a standard age file, so a
//! reviewer can also open it with the reference `age`/`rage` tools.

use std::io::{Read, Write};
use zeroize::Zeroizing;

use crate::payload::MAX_PAYLOAD;

/// Errors from encrypting or decrypting an envelope.
#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    #[error("no recipients to encrypt to")]
    NoRecipients,
    #[error("invalid age recipient `{0}`")]
    BadRecipient(String),
    #[error("encryption failed: {0}")]
    Encrypt(String),
    #[error("not a valid age file: {0}")]
    Format(String),
    #[error("none of your identities can open this envelope")]
    NoMatchingKey,
    #[error("the envelope is damaged or was tampered with")]
    Damaged,
    #[error("the decrypted content is larger than allowed")]
    TooLarge,
}

/// Most recipient stanzas we accept in one envelope. Each stanza costs an X25519
/// operation to try, so an envelope with thousands could burn CPU on every read.
pub const MAX_STANZAS: usize = 64;
/// Longest age header we look at before giving up.
const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Counts the recipient stanzas in an age header without decrypting anything; `None`
/// if the bytes do not start with a complete age v1 header within the size bound.
pub fn stanza_count(ciphertext: &[u8]) -> Option<usize> {
    let head = &ciphertext[..ciphertext.len().min(MAX_HEADER_BYTES)];
    if !head.starts_with(b"age-encryption.org/v1\n") {
        return None;
    }
    let mut count = 0;
    for line in head.split(|b| *b == b'\n').skip(1) {
        if line.starts_with(b"---") {
            return Some(count);
        }
        if line.starts_with(b"-> ") {
            count += 1;
        }
    }
    None
}

/// Parses `age1…` recipient strings.
pub fn parse_recipients(list: &[String]) -> Result<Vec<age::x25519::Recipient>, EnvelopeError> {
    list.iter().map(|r| r.parse().map_err(|_| EnvelopeError::BadRecipient(r.clone()))).collect()
}

/// Encrypts `plaintext` to every recipient. The ciphertext is binary age.
pub fn encrypt(plaintext: &[u8], recipients: &[age::x25519::Recipient]) -> Result<Vec<u8>, EnvelopeError> {
    if recipients.is_empty() {
        return Err(EnvelopeError::NoRecipients);
    }
    let encryptor = age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
        .map_err(|e| EnvelopeError::Encrypt(e.to_string()))?;
    // age adds 16 bytes per 64 KiB chunk plus a header of ~100 bytes per recipient.
    let mut out = Vec::with_capacity(plaintext.len() + plaintext.len() / 4096 + 256);
    let mut writer = encryptor.wrap_output(&mut out).map_err(|e| EnvelopeError::Encrypt(e.to_string()))?;
    writer
        .write_all(plaintext)
        .and_then(|_| writer.finish().map(|_| ()))
        .map_err(|e| EnvelopeError::Encrypt(e.to_string()))?;
    Ok(out)
}

/// Decrypts an envelope with any of `identities`, refusing plaintexts above the payload
/// limit. The result is zeroized on drop.
pub fn decrypt(
    ciphertext: &[u8],
    identities: &[&dyn age::Identity],
) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
    match stanza_count(ciphertext) {
        Some(n) if n <= MAX_STANZAS => {}
        Some(_) => return Err(EnvelopeError::Format(format!("more than {MAX_STANZAS} recipients"))),
        None => return Err(EnvelopeError::Format("no complete age header".into())),
    }
    let decryptor =
        age::Decryptor::new_buffered(ciphertext).map_err(|e| EnvelopeError::Format(e.to_string()))?;
    let reader = decryptor.decrypt(identities.iter().copied()).map_err(|e| match e {
        age::DecryptError::NoMatchingKeys => EnvelopeError::NoMatchingKey,
        other => EnvelopeError::Format(other.to_string()),
    })?;
    let mut out = Zeroizing::new(Vec::new());
    reader.take(MAX_PAYLOAD as u64 + 1).read_to_end(&mut out).map_err(|_| EnvelopeError::Damaged)?;
    if out.len() > MAX_PAYLOAD {
        return Err(EnvelopeError::TooLarge);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_recipients_can_decrypt() {
        let alice = age::x25519::Identity::generate();
        let bob = age::x25519::Identity::generate();
        let eve = age::x25519::Identity::generate();
        let ct = encrypt(b"secret", &[alice.to_public(), bob.to_public()]).expect("encrypt");
        assert!(ct.starts_with(b"age-encryption.org/v1\n"));
        assert_eq!(&decrypt(&ct, &[&alice]).expect("alice")[..], b"secret");
        assert_eq!(&decrypt(&ct, &[&bob]).expect("bob")[..], b"secret");
        assert!(matches!(decrypt(&ct, &[&eve]), Err(EnvelopeError::NoMatchingKey)));
        assert!(matches!(encrypt(b"x", &[]), Err(EnvelopeError::NoRecipients)));
    }

    #[test]
    fn many_stanzas_refused_before_any_key_work() {
        let ids: Vec<_> = (0..70).map(|_| age::x25519::Identity::generate()).collect();
        let recipients: Vec<_> = ids.iter().map(|i| i.to_public()).collect();
        let few = encrypt(b"x", &recipients[..3]).expect("encrypt");
        // age may add one random "grease" stanza.
        assert!(matches!(stanza_count(&few), Some(3..=4)));
        let many = encrypt(b"x", &recipients).expect("encrypt");
        assert!(matches!(stanza_count(&many), Some(70..=71)));
        let refused = decrypt(&many, &[&ids[0]]);
        assert!(matches!(refused, Err(EnvelopeError::Format(_))), "{:?}", refused.map(|_| ()));
        assert_eq!(stanza_count(b"age-encryption.org/v1\n-> X25519 abc\n"), None);
        assert_eq!(stanza_count(b"garbage"), None);
    }

    #[test]
    fn tampering_detected() {
        let alice = age::x25519::Identity::generate();
        let mut ct = encrypt(b"secret", &[alice.to_public()]).expect("encrypt");
        let n = ct.len();
        ct[n - 3] ^= 1;
        assert!(decrypt(&ct, &[&alice]).is_err());
        assert!(decrypt(b"garbage", &[&alice]).is_err());
    }
}
