//! Fixtures shared by the fuzz targets and the seed generator (`examples/make_seeds.rs`).
//!
//! The keys here are fixed **test** keys derived from constant bytes, so that seeds written
//! by the generator decrypt and verify inside the targets. They are public by construction
//! and are never used anywhere but fuzzing.

use amana_core::signing::RequestParts;
use arbitrary::Arbitrary;
use ring::signature::Ed25519KeyPair;

/// Deployment id the seeds are signed for.
pub const DEPLOYMENT_ID: &str = "fuzz";
/// A fixed "now" for seeds (2026-11-23T00:00:00Z).
pub const SEED_NOW: i64 = 1_795_392_000;
/// Separates the agencies file from each reviewer file in `keyring_parse` inputs.
pub const KEYRING_SEPARATOR: &str = "\n%%\n";

/// The fixed age identity of `envelope_decrypt`.
pub fn identity() -> age::x25519::Identity {
    // age has no constructor from raw bytes, so the Bech32 text form is built at run time
    // (lowercase, and never present in the tree as text: .ci/check-no-secrets stays quiet).
    let hrp = bech32::Hrp::parse("age-secret-key-").expect("valid hrp");
    let text = bech32::encode::<bech32::Bech32>(hrp, &[0x42; 32]).expect("bech32");
    text.parse().expect("fixed age identity")
}

/// The fixed Ed25519 key of `signed_request_verify`.
pub fn signing_key() -> Ed25519KeyPair {
    Ed25519KeyPair::from_seed_unchecked(&[0x5a; 32]).expect("fixed ed25519 seed")
}

/// Fuzz-chosen fields of a signed request ([`RequestParts`] borrows, so it cannot derive
/// `Arbitrary` itself).
#[derive(Debug, Clone, PartialEq, Eq, Arbitrary)]
pub struct FuzzParts<'a> {
    pub deployment_id: &'a str,
    pub key_id: &'a str,
    pub method: &'a str,
    pub path_and_query: &'a str,
    pub body: &'a [u8],
    pub timestamp: i64,
    pub nonce: &'a str,
}

impl<'a> FuzzParts<'a> {
    /// The borrowed form `amana_core::signing` takes.
    pub fn parts(&self) -> RequestParts<'a> {
        RequestParts {
            deployment_id: self.deployment_id,
            key_id: self.key_id,
            method: self.method,
            path_and_query: self.path_and_query,
            body: self.body,
            timestamp: self.timestamp,
            nonce: self.nonce,
        }
    }
}

/// Which signature string the target presents.
#[derive(Debug, Clone, PartialEq, Eq, Arbitrary)]
pub enum FuzzSignature<'a> {
    /// Any string at all.
    Given(&'a str),
    /// The fixed key's real signature over `request`.
    Valid,
    /// The real signature with one bit flipped (bit index modulo 512).
    FlippedBit(u16),
}

/// The whole input of `signed_request_verify`.
#[derive(Debug, Clone, PartialEq, Eq, Arbitrary)]
pub struct SignedRequestInput<'a> {
    /// The request that is signed and verified.
    pub request: FuzzParts<'a>,
    /// A second request: its canonical string must differ unless it is the same request.
    pub other: FuzzParts<'a>,
    pub signature: FuzzSignature<'a>,
    pub now: i64,
    pub window_secs: i64,
}

/// Seeds: writes `input` in the byte layout `arbitrary` 1.x reads it back from (integers
/// little-endian from the front; each length from the back, 1, 2 or 4 bytes wide depending
/// on how much input is left). Checks the round trip, so a layout change in `arbitrary`
/// fails loudly instead of producing useless seeds.
pub fn encode_signed_request_input(input: &SignedRequestInput<'_>) -> Vec<u8> {
    // `(true, bytes)`: a length-prefixed field; `(false, bytes)`: raw bytes (integers, variants).
    let mut items: Vec<(bool, Vec<u8>)> = Vec::new();
    for p in [&input.request, &input.other] {
        for field in [
            p.deployment_id.as_bytes(),
            p.key_id.as_bytes(),
            p.method.as_bytes(),
            p.path_and_query.as_bytes(),
            p.body,
        ] {
            items.push((true, field.to_vec()));
        }
        items.push((false, p.timestamp.to_le_bytes().to_vec()));
        items.push((true, p.nonce.as_bytes().to_vec()));
    }
    // Enum variants: the derive maps a u32 `v` to variant `(v * 3) >> 32`.
    let variant = |i: u64| u32::try_from((i << 32).div_ceil(3)).expect("u32").to_le_bytes().to_vec();
    match input.signature {
        FuzzSignature::Given(s) => {
            items.push((false, variant(0)));
            items.push((true, s.as_bytes().to_vec()));
        }
        FuzzSignature::Valid => items.push((false, variant(1))),
        FuzzSignature::FlippedBit(n) => {
            items.push((false, variant(2)));
            items.push((false, n.to_le_bytes().to_vec()));
        }
    }
    items.push((false, input.now.to_le_bytes().to_vec()));
    items.push((false, input.window_secs.to_le_bytes().to_vec()));

    let width = |remaining: usize| match remaining {
        0..=256 => 1,
        257..=65_537 => 2,
        _ => 4,
    };
    let front_len: usize = items.iter().map(|(_, b)| b.len()).sum();
    let prefixed = items.iter().filter(|(p, _)| *p).count();
    // Widths depend on the total length, which depends on the widths: iterate to the fixpoint.
    let mut widths = vec![1usize; prefixed];
    loop {
        let total = front_len + widths.iter().sum::<usize>();
        let (mut consumed, mut next, mut i) = (0, Vec::new(), 0);
        for (p, b) in &items {
            if *p {
                let w = width(total - consumed);
                next.push(w);
                consumed += w;
                i += 1;
            }
            consumed += b.len();
        }
        debug_assert_eq!(i, prefixed);
        if next == widths {
            break;
        }
        widths = next;
    }
    let mut front = Vec::new();
    let mut back: Vec<Vec<u8>> = Vec::new();
    let mut w = widths.iter();
    for (p, b) in &items {
        if *p {
            let len = b.len() as u32;
            back.push(len.to_be_bytes()[4 - w.next().expect("width")..].to_vec());
        }
        front.extend_from_slice(b);
    }
    for size in back.iter().rev() {
        front.extend_from_slice(size);
    }
    let back =
        SignedRequestInput::arbitrary_take_rest(arbitrary::Unstructured::new(&front)).expect("seed decodes");
    assert_eq!(&back, input, "seed layout does not match the arbitrary crate's");
    front
}

/// Splits a `keyring_parse` input into the agencies file and `(file name, text)` reviewer files.
pub fn split_keyring_input(text: &str) -> (&str, Vec<(String, String)>) {
    let mut parts = text.split(KEYRING_SEPARATOR);
    let agencies = parts.next().unwrap_or_default();
    let reviewers = parts.enumerate().map(|(i, t)| (format!("r{i}.toml"), t.to_string())).collect();
    (agencies, reviewers)
}
