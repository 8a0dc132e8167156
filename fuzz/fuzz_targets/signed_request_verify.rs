//! Signed reviewer requests: `signing::canonical` and `signing::verify` on fuzz-chosen
//! fields and signatures, against a fixed public key. Never panics; only the key's own
//! signature over exactly these fields verifies, and then only inside the window; two
//! different requests never share a canonical string (the length prefixes).
#![no_main]

use amana_core::signing::{self, SignatureError};
use amana_fuzz::{FuzzSignature, SignedRequestInput};
use base64::{engine::general_purpose::STANDARD, Engine};
use libfuzzer_sys::fuzz_target;
use ring::signature::{Ed25519KeyPair, KeyPair};
use std::sync::LazyLock;

static KEY: LazyLock<Ed25519KeyPair> = LazyLock::new(amana_fuzz::signing_key);

fuzz_target!(|input: SignedRequestInput<'_>| {
    let (request, other) = (input.request.parts(), input.other.parts());
    let canonical = signing::canonical(&request);
    if canonical == signing::canonical(&other) {
        assert_eq!(input.request, input.other, "two different requests share a canonical string");
    }

    let public_key = KEY.public_key().as_ref();
    let valid = signing::sign(&KEY, &request).signature;
    let presented = match input.signature {
        FuzzSignature::Given(s) => s.to_string(),
        FuzzSignature::Valid => valid.clone(),
        FuzzSignature::FlippedBit(bit) => {
            let mut raw = KEY.sign(&canonical).as_ref().to_vec();
            raw[usize::from(bit / 8) % 64] ^= 1 << (bit % 8);
            STANDARD.encode(raw)
        }
    };

    let result = signing::verify(public_key, &request, &presented, input.now, input.window_secs);
    if !signing::nonce_is_well_formed(request.nonce) {
        assert!(matches!(result, Err(SignatureError::Malformed(_))), "{result:?}");
    } else if presented == valid {
        let age = (i128::from(input.now) - i128::from(request.timestamp)).abs();
        let fresh = age <= i128::from(input.window_secs);
        assert_eq!(result, if fresh { Ok(()) } else { Err(SignatureError::Stale) });
    } else {
        assert!(result.is_err(), "a signature other than the key's own verified");
    }

    // The signature over `request` is worthless for any request signing different bytes.
    if signing::nonce_is_well_formed(other.nonce) && canonical != signing::canonical(&other) {
        let result = signing::verify(public_key, &other, &valid, input.now, input.window_secs);
        assert_eq!(result, Err(SignatureError::BadSignature));
    }
});
