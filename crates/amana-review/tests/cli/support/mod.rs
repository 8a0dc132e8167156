//! Helpers: run the real binary in a fresh home, build pulled cases by hand, and a tiny
//! loopback HTTP stub that records what the CLI sends.

mod case;
mod home;
mod kit;
mod roster;
mod stub;

pub use case::*;
pub use home::*;
pub use kit::*;
pub use roster::*;
pub use stub::*;

/// The deployment id of the test homes and stubs.
pub const DEP: &str = "test-dep";
