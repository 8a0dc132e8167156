//! Amana's shared core: everything the server and the reviewer CLI must agree on.
//!
//! This crate performs no I/O (no files, no network, no database). It defines the
//! follow-up code layout ([`code`]), the key derivation behind it ([`kdf`]), the
//! versioned, padded plaintext payload ([`payload`]), age envelopes ([`envelope`]),
//! signed reviewer requests ([`signing`]), the case vocabulary ([`case`]), the key
//! directory format ([`keyring`]) and the reviewer API wire types ([`wire`]).
//! `docs/FORMATS.md` is the prose specification of the same formats.
#![forbid(unsafe_code)]

pub mod case;
pub mod code;
pub mod damm;
pub mod envelope;
pub mod kdf;
pub mod keyring;
pub mod payload;
pub mod reviewer_keys;
pub mod signing;
pub mod wire;
