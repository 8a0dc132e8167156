//! `Payload::decode` on any bytes (a decrypted plaintext is attacker-chosen): never panics,
//! and whatever decodes re-encodes into a padded payload that decodes to the same value
//! (with a salt drawn if it had none).
#![no_main]

use amana_core::payload::{bucket, Payload};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(payload) = Payload::decode(data) else {
        return;
    };
    let encoded = payload.encode().expect("a decoded payload re-encodes");
    assert_eq!(encoded.len(), bucket(encoded.len()), "re-encoded payload is not padded to a bucket");
    let mut again = Payload::decode(&encoded).expect("a re-encoded payload decodes");
    // Encoding draws a commitment salt for a payload that had none (docs/FORMATS.md §9).
    assert!(again.salt.is_some(), "a re-encoded payload carries a salt");
    if payload.salt.is_none() {
        again.salt = None;
    }
    assert_eq!(again, payload);
});
