//! `Keyring::parse` on any text: the agencies file, then reviewer files, separated by
//! lines `%%`. Never panics; an accepted key directory keeps its invariants.
#![no_main]

use amana_core::keyring::{valid_id, Keyring};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    let (agencies, reviewers) = amana_fuzz::split_keyring_input(input);
    let Ok(keyring) = Keyring::parse(agencies, &reviewers) else {
        return;
    };
    assert!(valid_id(&keyring.deployment_id));
    let oversight = keyring.reviewers.iter().filter(|r| r.entry.oversight).count();
    assert!(oversight > 0, "accepted without an oversight reviewer");
    for r in &keyring.reviewers {
        assert!(valid_id(&r.entry.id));
        assert!(keyring.reviewer(&r.entry.id).is_some_and(|found| found.entry == r.entry));
        for a in &r.entry.agencies {
            assert!(keyring.agency(a).is_some(), "reviewer serves an unknown agency");
        }
    }
    // On any day: oversight-only cases go to the oversight keys not revoked by then, and
    // every case reaches at least those.
    for day in [time::Date::MIN, time::macros::date!(2026 - 06 - 01), time::Date::MAX] {
        let live_oversight =
            keyring.reviewers.iter().filter(|r| r.entry.oversight && !r.is_revoked_on(day)).count();
        for a in &keyring.agencies {
            assert!(valid_id(&a.id));
            assert_eq!(keyring.recipients_for(&a.id, true, day).len(), live_oversight);
            assert!(keyring.recipients_for(&a.id, false, day).len() >= live_oversight);
        }
    }
});
