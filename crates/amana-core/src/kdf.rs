//! Key derivation behind the follow-up code (SECURITY.md invariant 2).
//!
//! * `lookup index = HMAC-SHA256(pepper, "amana-lookup-v1" || lookup part)` — finds the
//!   record without storing the lookup part; the pepper lives outside the database.
//! * `k = Argon2id(secret part, per-record salt, m, t, p)` — the costly step.
//! * `verifier = HKDF-SHA256(k, info = "amana-verifier-v1")` — stored, compared in
//!   constant time.
//! * `reply secret = HKDF-SHA256(k, info = "amana-reply-v1")` — never stored: it is an age
//!   X25519 identity; only its public recipient is stored, so replies encrypted to it can
//!   be read only while the reporter presents the code.
//! * `reporter signing seed = HKDF-SHA256(k, info = "amana-reporter-sign-v1")` — never
//!   stored: an Ed25519 key whose public half the attested submission commits; it signs the
//!   reporter's follow-ups and ratings (docs/FORMATS.md §9).
//!
//! HKDF's outputs are independent, so the stored verifier tells nothing about the reply
//! secret or the signing seed.

use argon2::Params;
use ring::{hkdf, hmac};
use std::{fmt, str::FromStr};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

pub mod argon2id;

/// Length of the per-record salt in bytes.
pub const SALT_LEN: usize = 16;
const LOOKUP_DOMAIN: &[u8] = b"amana-lookup-v1";
const VERIFIER_INFO: &[u8] = b"amana-verifier-v1";
const REPLY_INFO: &[u8] = b"amana-reply-v1";
const REPORTER_SIGNING_INFO: &[u8] = b"amana-reporter-sign-v1";

/// Errors from the KDF. None of them carries secret material.
#[derive(Debug, thiserror::Error)]
pub enum KdfError {
    #[error("invalid Argon2id parameters: {0}")]
    Params(String),
    #[error("Argon2id failed: {0}")]
    Argon2(String),
    #[error("HKDF expansion failed")]
    Hkdf,
    #[error("could not form the reply identity")]
    Identity,
}

/// Argon2id cost parameters, stored beside each record so they can be raised later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes over memory.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl KdfParams {
    /// The production floor and default: 64 MiB, 3 passes, 1 lane (see SECURITY.md).
    pub const PRODUCTION: KdfParams = KdfParams { m_kib: 64 * 1024, t: 3, p: 1 };
    /// A cheap setting for automated tests only. Servers refuse it outside test mode.
    pub const INSECURE_TEST: KdfParams = KdfParams { m_kib: 256, t: 1, p: 1 };

    /// Whether these parameters meet the production floor.
    pub fn is_production_grade(&self) -> bool {
        self.m_kib >= Self::PRODUCTION.m_kib && self.t >= Self::PRODUCTION.t
    }
}

impl fmt::Display for KdfParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "argon2id:m={},t={},p={}", self.m_kib, self.t, self.p)
    }
}

impl FromStr for KdfParams {
    type Err = KdfError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || KdfError::Params(s.to_string());
        let rest = s.strip_prefix("argon2id:").ok_or_else(bad)?;
        let mut vals = [0u32; 3];
        for (i, (part, key)) in rest.split(',').zip(["m=", "t=", "p="]).enumerate() {
            vals[i] = part.strip_prefix(key).and_then(|v| v.parse().ok()).ok_or_else(bad)?;
        }
        let params = KdfParams { m_kib: vals[0], t: vals[1], p: vals[2] };
        Params::new(params.m_kib, params.t, params.p, Some(32)).map_err(|_| bad())?;
        Ok(params)
    }
}

/// What the code's secret part yields under a record's salt.
pub struct Derived {
    /// Stored at submission; compared in constant time on every check.
    pub verifier: Zeroizing<[u8; 32]>,
    /// Never stored. Decrypts replies addressed to the reporter.
    pub reply_identity: age::x25519::Identity,
    /// Never stored. The seed of the key that signs the reporter's follow-ups and ratings
    /// ([`Derived::reporter_key`]); its public key is committed in the attested submission,
    /// so no one without the code can add words in the reporter's name.
    reporter_seed: Zeroizing<[u8; 32]>,
}

impl Derived {
    /// The reporter's Ed25519 signing key.
    pub fn reporter_key(&self) -> Result<ring::signature::Ed25519KeyPair, KdfError> {
        ring::signature::Ed25519KeyPair::from_seed_unchecked(&self.reporter_seed[..])
            .map_err(|_| KdfError::Hkdf)
    }

    /// Base64 of the reporter's raw Ed25519 public key, as the submission commits it.
    pub fn reporter_public_key(&self) -> Result<String, KdfError> {
        use base64::{engine::general_purpose::STANDARD as B64, Engine};
        use ring::signature::KeyPair;
        Ok(B64.encode(self.reporter_key()?.public_key().as_ref()))
    }
}

struct Len32;
impl hkdf::KeyType for Len32 {
    fn len(&self) -> usize {
        32
    }
}

fn expand(prk: &hkdf::Prk, info: &[u8]) -> Result<Zeroizing<[u8; 32]>, KdfError> {
    let mut out = Zeroizing::new([0u8; 32]);
    prk.expand(&[info], Len32).and_then(|okm| okm.fill(&mut out[..])).map_err(|_| KdfError::Hkdf)?;
    Ok(out)
}

/// Builds a standard age X25519 identity from 32 secret bytes (Bech32, as age encodes it).
pub fn identity_from_bytes(bytes: &[u8; 32]) -> Result<age::x25519::Identity, KdfError> {
    let hrp = bech32::Hrp::parse("age-secret-key-").map_err(|_| KdfError::Identity)?;
    let encoded =
        Zeroizing::new(bech32::encode::<bech32::Bech32>(hrp, bytes).map_err(|_| KdfError::Identity)?);
    let upper = Zeroizing::new(encoded.to_uppercase());
    upper.parse().map_err(|_| KdfError::Identity)
}

/// Runs Argon2id and HKDF. Costly by design: call it on a bounded worker pool.
pub fn derive(secret: &str, salt: &[u8], params: KdfParams) -> Result<Derived, KdfError> {
    let k = argon2id::hash(secret.as_bytes(), salt, params)?;
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"amana-code-v1").extract(&k[..]);
    let verifier = expand(&prk, VERIFIER_INFO)?;
    let reply = expand(&prk, REPLY_INFO)?;
    let reporter_seed = expand(&prk, REPORTER_SIGNING_INFO)?;
    Ok(Derived { verifier, reply_identity: identity_from_bytes(&reply)?, reporter_seed })
}

/// Constant-time comparison of a derived verifier with a stored one.
pub fn verifier_matches(derived: &[u8; 32], stored: &[u8]) -> bool {
    stored.len() == 32 && bool::from(derived[..].ct_eq(stored))
}

/// The HMAC index under which a lookup part is stored.
pub fn lookup_index(pepper: &[u8], lookup: &str) -> [u8; 32] {
    let key = hmac::Key::new(hmac::HMAC_SHA256, pepper);
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(LOOKUP_DOMAIN);
    ctx.update(lookup.as_bytes());
    let tag = ctx.sign();
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

/// A fresh random salt.
pub fn new_salt() -> [u8; SALT_LEN] {
    let mut salt = [0u8; SALT_LEN];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut salt);
    salt
}

#[cfg(test)]
mod tests {
    use super::*;
    use age::secrecy::ExposeSecret;

    #[test]
    fn derivation_is_deterministic_and_salted() {
        let p = KdfParams::INSECURE_TEST;
        let a = derive("1234567890123456", b"saltsaltsaltsalt", p).expect("derive");
        let b = derive("1234567890123456", b"saltsaltsaltsalt", p).expect("derive");
        let c = derive("1234567890123456", b"othersaltothersa", p).expect("derive");
        assert_eq!(*a.verifier, *b.verifier);
        assert_ne!(*a.verifier, *c.verifier);
        assert_eq!(a.reply_identity.to_public().to_string(), b.reply_identity.to_public().to_string());
        assert!(verifier_matches(&a.verifier, &b.verifier[..]));
        assert!(!verifier_matches(&a.verifier, &c.verifier[..]));
        assert!(!verifier_matches(&a.verifier, &[]));
    }

    #[test]
    fn verifier_and_reply_secret_are_independent() {
        let d = derive("1234567890123456", &new_salt(), KdfParams::INSECURE_TEST).expect("derive");
        let sk = d.reply_identity.to_string();
        assert!(sk.expose_secret().starts_with("AGE-SECRET-KEY-1"));
        assert!(!sk.expose_secret().contains(&hex::encode(*d.verifier)));
    }

    #[test]
    fn params_round_trip_and_floor() {
        let s = KdfParams::PRODUCTION.to_string();
        assert_eq!(s, "argon2id:m=65536,t=3,p=1");
        assert_eq!(s.parse::<KdfParams>().ok(), Some(KdfParams::PRODUCTION));
        assert!(KdfParams::PRODUCTION.is_production_grade());
        assert!(!KdfParams::INSECURE_TEST.is_production_grade());
        assert!("argon2id:m=1,t=1".parse::<KdfParams>().is_err());
        assert!("scrypt:m=1,t=1,p=1".parse::<KdfParams>().is_err());
    }

    #[test]
    fn lookup_index_depends_on_pepper() {
        assert_ne!(lookup_index(b"a", "12345678"), lookup_index(b"b", "12345678"));
        assert_eq!(lookup_index(b"a", "12345678"), lookup_index(b"a", "12345678"));
    }
}
