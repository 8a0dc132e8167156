//! The one Argon2id call behind the follow-up code, and the choice of implementation.
//!
//! With the `libsodium` feature (the server enables it) derivations whose parameters
//! libsodium supports — one lane, a 16-byte salt, which every record the server writes
//! has — run on libsodium's Argon2id, which picks AVX2/AVX-512 code at run time and took
//! 0.63 × RustCrypto's time at production parameters on the project's machine
//! (BENCHMARKS.md, "Argon2id implementations"). Everything else, and every build without
//! the feature (the reviewer CLI, the fuzz targets), runs RustCrypto's `argon2`, which also
//! stays the reference the tests hold libsodium to: both give the same 32 bytes for the same
//! inputs (RFC 9106 and random vectors in the tests below), so records made by either
//! verify under the other.

use super::{KdfError, KdfParams};
use argon2::{Algorithm, Argon2, Params, Version};
use zeroize::Zeroizing;

/// Argon2id output length in bytes.
const OUT_LEN: usize = 32;

/// Which implementation [`hash`] uses for these parameters and salt length.
pub fn implementation(params: KdfParams, salt_len: usize) -> &'static str {
    if sodium::supports(params, salt_len) {
        sodium::NAME
    } else {
        "RustCrypto argon2"
    }
}

/// Argon2id (version 0x13) of `secret` under `salt`, 32 bytes, on the fastest
/// implementation that supports the parameters.
pub fn hash(secret: &[u8], salt: &[u8], params: KdfParams) -> Result<Zeroizing<[u8; OUT_LEN]>, KdfError> {
    if sodium::supports(params, salt.len()) {
        sodium::hash(secret, salt, params)
    } else {
        reference(secret, salt, params)
    }
}

/// RustCrypto's Argon2id: the reference the other implementation is tested against.
pub fn reference(
    secret: &[u8],
    salt: &[u8],
    params: KdfParams,
) -> Result<Zeroizing<[u8; OUT_LEN]>, KdfError> {
    let argon_params = Params::new(params.m_kib, params.t, params.p, Some(OUT_LEN))
        .map_err(|e| KdfError::Params(e.to_string()))?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params);
    let mut k = Zeroizing::new([0u8; OUT_LEN]);
    argon.hash_password_into(secret, salt, &mut k[..]).map_err(|e| KdfError::Argon2(e.to_string()))?;
    Ok(k)
}

#[cfg(feature = "libsodium")]
pub mod sodium {
    //! libsodium's `crypto_pwhash_argon2id` through the safe `libsodium-rs` binding.
    use super::{KdfError, KdfParams, OUT_LEN};
    use libsodium_rs::crypto_pwhash::argon2id;
    use zeroize::{Zeroize, Zeroizing};

    pub const NAME: &str = "libsodium";

    /// libsodium runs one lane only and takes exactly its salt length; memory is whole KiB.
    pub fn supports(params: KdfParams, salt_len: usize) -> bool {
        let mem = usize::try_from(params.m_kib).ok().and_then(|m| m.checked_mul(1024));
        params.p == 1
            && salt_len == argon2id::SALTBYTES
            && (argon2id::OPSLIMIT_MIN..=argon2id::OPSLIMIT_MAX).contains(&u64::from(params.t))
            && mem.is_some_and(|m| (argon2id::MEMLIMIT_MIN..=argon2id::MEMLIMIT_MAX).contains(&m))
    }

    pub fn hash(secret: &[u8], salt: &[u8], params: KdfParams) -> Result<Zeroizing<[u8; OUT_LEN]>, KdfError> {
        let mem = usize::try_from(params.m_kib)
            .ok()
            .and_then(|m| m.checked_mul(1024))
            .ok_or_else(|| KdfError::Params(params.to_string()))?;
        let mut out = argon2id::pwhash(OUT_LEN, secret, salt, u64::from(params.t), mem)
            .map_err(|e| KdfError::Argon2(e.to_string()))?;
        let mut k = Zeroizing::new([0u8; OUT_LEN]);
        let copied = out.len() == OUT_LEN;
        if copied {
            k.copy_from_slice(&out);
        }
        out.zeroize();
        if copied {
            Ok(k)
        } else {
            Err(KdfError::Argon2("libsodium returned a short output".into()))
        }
    }
}

#[cfg(not(feature = "libsodium"))]
pub mod sodium {
    //! Built without libsodium: every derivation runs the reference implementation.
    use super::{KdfError, KdfParams, OUT_LEN};
    use zeroize::Zeroizing;

    pub const NAME: &str = "RustCrypto argon2";

    pub fn supports(_params: KdfParams, _salt_len: usize) -> bool {
        false
    }

    pub fn hash(secret: &[u8], salt: &[u8], params: KdfParams) -> Result<Zeroizing<[u8; OUT_LEN]>, KdfError> {
        super::reference(secret, salt, params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// RFC 9106 §5.3: the Argon2id test vector (with secret and associated data, 4 lanes),
    /// which only the reference implementation supports; it anchors the reference that
    /// libsodium is compared with below.
    #[test]
    fn reference_meets_rfc_9106() {
        let params = argon2::ParamsBuilder::new()
            .m_cost(32)
            .t_cost(3)
            .p_cost(4)
            .output_len(32)
            .data(argon2::AssociatedData::new(&[4; 12]).expect("associated data"))
            .build()
            .expect("params");
        let argon =
            Argon2::new_with_secret(&[3; 8], Algorithm::Argon2id, Version::V0x13, params).expect("argon2");
        let mut out = [0u8; 32];
        argon.hash_password_into(&[1; 32], &[2; 16], &mut out).expect("hash");
        assert_eq!(hex::encode(out), "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659");
    }

    /// A fixed vector at production parameters, whichever implementation runs: a record
    /// made before the switch must verify after it.
    #[test]
    fn production_vector_is_unchanged() {
        let salt = *b"saltsaltsaltsalt";
        let k = hash(b"1234567890123456", &salt, KdfParams::PRODUCTION).expect("hash");
        let r = reference(b"1234567890123456", &salt, KdfParams::PRODUCTION).expect("reference");
        assert_eq!(*k, *r);
        assert_eq!(hex::encode(*k), PRODUCTION_VECTOR);
    }
    const PRODUCTION_VECTOR: &str = "5bb32681e59f9b2194103150a089e1bac81a9c50ddb1d68c254c737681f0d009";

    #[test]
    fn production_parameters_use_the_fast_implementation() {
        let expected = if cfg!(feature = "libsodium") { "libsodium" } else { "RustCrypto argon2" };
        assert_eq!(implementation(KdfParams::PRODUCTION, 16), expected);
        let lanes = KdfParams { p: 2, ..KdfParams::PRODUCTION };
        assert_eq!(implementation(lanes, 16), "RustCrypto argon2");
        assert_eq!(implementation(KdfParams::PRODUCTION, 8), "RustCrypto argon2");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Random secrets, salts and cheap costs: the chosen implementation and the
        /// reference give the same bytes (lanes above 1 and odd salt lengths included, which
        /// fall back to the reference).
        #[test]
        fn same_output_as_reference(
            secret in proptest::collection::vec(any::<u8>(), 0..64),
            salt in prop_oneof![
                proptest::collection::vec(any::<u8>(), 16..=16),
                proptest::collection::vec(any::<u8>(), 8..32),
            ],
            m_kib in 8u32..1024,
            t in 1u32..4,
            p in prop_oneof![Just(1u32), 1u32..3],
        ) {
            let params = KdfParams { m_kib: m_kib.max(8 * p), t, p };
            let fast = hash(&secret, &salt, params).expect("hash");
            let slow = reference(&secret, &salt, params).expect("reference");
            prop_assert_eq!(*fast, *slow);
        }
    }
}
