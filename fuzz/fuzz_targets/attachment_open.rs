//! Opening an evidence file from any bytes with a fixed identity (a reviewer decrypts what
//! a hostile server or reporter may have crafted): the description decoder and the content
//! stream never panic, and content is written only up to the description's size.
#![no_main]

use amana_core::attachment::{self, AttachmentMeta};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static IDENTITY: LazyLock<age::x25519::Identity> = LazyLock::new(amana_fuzz::identity);

fuzz_target!(|data: &[u8]| {
    if let Ok(meta) = AttachmentMeta::decode(data) {
        let again = AttachmentMeta::decode(&meta.encode().expect("re-encodes")).expect("decodes");
        assert_eq!(again, meta);
    }
    let _ = attachment::open_meta(data, &[&*IDENTITY]);
    // The content stream with a small claimed size: never more than that is written.
    let meta = AttachmentMeta { name: "f".into(), content_type: String::new(), size: 4096, sha256: String::new() };
    let mut out = Vec::new();
    let _ = attachment::decrypt_to(data, &[&*IDENTITY], &meta, &mut out);
    assert!(out.len() <= 4096);
});
