//! The desk's secrets: the address token, the session cookie and the form token.

use ring::digest::{digest, SHA256};
use ring::rand::{SecureRandom, SystemRandom};

/// 32 random bytes, hex: unguessable by another local user or page.
pub fn fresh() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| anyhow::anyhow!("the system random source failed: try again"))?;
    Ok(hex::encode(bytes))
}

/// Whether `given` equals `expected`, in time that does not depend on where they differ: both
/// are hashed first, so what is compared is not under the caller's control, and then every
/// byte is compared.
pub fn matches(given: &str, expected: &str) -> bool {
    let a = digest(&SHA256, given.as_bytes());
    let b = digest(&SHA256, expected.as_bytes());
    a.as_ref().iter().zip(b.as_ref()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_fresh_and_compared_whole() {
        let a = fresh().expect("random");
        let b = fresh().expect("random");
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(matches(&a, &a.clone()));
        assert!(!matches(&a, &b));
        assert!(!matches(&a[..63], &a));
        assert!(!matches("", &a));
    }
}
