//! `FollowUpCode::parse` on any text: never panics, and every accepted code round-trips
//! through the grouped form shown to reporters.
#![no_main]

use amana_core::code::{self, FollowUpCode, CODE_DIGITS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    let Ok(code) = FollowUpCode::parse(input) else {
        return;
    };
    // What was accepted is exactly the normalized digits.
    let digits = code::normalize(input).expect("an accepted code normalizes");
    assert_eq!(*digits, *code.digits());
    let shown = code.grouped();
    assert_eq!(shown.len(), CODE_DIGITS + 4);
    let again = FollowUpCode::parse(&shown).expect("the grouped form parses");
    assert!(again == code, "grouped form parses to a different code");
    assert_eq!(again.grouped(), shown);
});
