//! Amana's shared core: everything the server and the reviewer CLI must agree on.
//!
//! This crate performs no I/O (no files, no network, no database). It defines the
//! follow-up code layout ([`code`]), the key derivation behind it ([`kdf`]), the
//! versioned, padded plaintext payload ([`payload`]), age envelopes ([`envelope`]), streamed evidence files ([`attachment`]) and the segments of resumable ones ([`segment`]),
//! signed reviewer requests ([`signing`]) and their canonical routes ([`route`]), the case vocabulary ([`case`]), the key
//! directory format ([`keyring`]), the signed roster that anchors trust ([`roster`]), the case history chain ([`events`]), deadlines
//! ([`deadlines`]), proof-of-filing receipts ([`receipt`]) and the reviewer API wire types ([`wire`]).
//! `docs/FORMATS.md` is the prose specification of the same formats.
#![forbid(unsafe_code)]

pub mod attachment;
pub mod case;
pub mod ciphertext;
pub mod code;
pub mod custody;
pub mod damm;
pub mod deadlines;
pub mod disclosure;
pub mod envelope;
pub mod events;
pub mod improvement;
pub mod kdf;
pub mod keyring;
pub mod oversight_signed;
pub mod payload;
pub mod publication;
pub mod pull_heads;
pub mod receipt;
pub mod reviewer_keys;
pub mod roster;
pub mod route;
pub mod segment;
pub mod services;
pub mod signing;
pub mod visit;
pub mod wire;
