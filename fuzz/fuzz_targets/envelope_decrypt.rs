//! `envelope::decrypt` of any bytes with a fixed identity: never panics, never returns
//! more than the payload limit, and only succeeds within the recipient-stanza bound.
#![no_main]

use amana_core::{
    envelope,
    payload::{Payload, MAX_PAYLOAD},
};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static IDENTITY: LazyLock<age::x25519::Identity> = LazyLock::new(amana_fuzz::identity);

fuzz_target!(|data: &[u8]| {
    let stanzas = envelope::stanza_count(data);
    let Ok(plaintext) = envelope::decrypt(data, &[&*IDENTITY]) else {
        return;
    };
    assert!(plaintext.len() <= MAX_PAYLOAD);
    assert!(
        stanzas.is_some_and(|n| n <= envelope::MAX_STANZAS),
        "decrypted past the stanza bound: {stanzas:?}"
    );
    // What the reviewer CLI does next with a plaintext.
    let _ = Payload::decode(&plaintext);
});
