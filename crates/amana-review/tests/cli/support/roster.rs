//! The test anchor (the oversight unit's roster key) and the rosters and case lists it signs.

use amana_core::wire::{CaseBundle, CaseList, RecipientWire, ReviewerKeyWire};
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use ring::signature::{Ed25519KeyPair, KeyPair};

use super::*;

/// A `GET /api/v1/review/cases` answer, with a roster signed by the test anchor in which
/// each case's readers are exactly its recipients and every listed key may sign.
pub fn case_list(keys: &[ReviewerKeyWire], cases: Vec<CaseBundle>) -> String {
    let roster = Some(signed_roster(keys, &cases));
    serde_json::to_string(&CaseList {
        format: amana_core::wire::CASE_LIST_FORMAT,
        min_cli: None,
        roster,
        deployment_id: DEP.into(),
        reviewer_keys: keys.to_vec(),
        cases,
        as_of: None,
        next: None,
        purged: vec![],
        total: None,
    })
    .expect("json")
}

/// An oversight reader (every real case has one: the roster makes oversight read all).
pub fn oversight_recipient() -> RecipientWire {
    static R: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let r = R.get_or_init(|| age::x25519::Identity::generate().to_public().to_string());
    RecipientWire { key_id: "oversight".into(), age_recipient: r.clone(), oversight: true }
}

/// The oversight unit's roster key of every test (one per test process).
pub fn anchor() -> &'static Ed25519KeyPair {
    static KEY: std::sync::OnceLock<Ed25519KeyPair> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).expect("gen");
        Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("key")
    })
}

/// The anchor's fingerprint, as every test home trusts it.
pub fn anchor_fingerprint() -> String {
    amana_core::roster::fingerprint(anchor().public_key().as_ref())
}

/// A roster (unsigned) for `keys` and `cases`: recipients keep their recipient and role and
/// serve the agencies of their cases; keys that read no case serve every case's agency, so
/// they may sign there. Versions rise with every call, as a real ceremony's do.
pub fn roster_for(keys: &[ReviewerKeyWire], cases: &[CaseBundle]) -> amana_core::roster::Roster {
    use amana_core::roster::{Roster, RosterEntry, FORMAT};
    use std::collections::BTreeMap;
    static VERSION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let mut entries: BTreeMap<String, RosterEntry> = BTreeMap::new();
    let blank = |id: &str| RosterEntry {
        id: id.into(),
        ed25519_public_key: B64.encode([7u8; 32]),
        age_recipient: age::x25519::Identity::generate().to_public().to_string(),
        oversight: false,
        agencies: vec![],
        revoked_on: None,
        valid_events: vec![],
    };
    for c in cases {
        for r in &c.recipients {
            let e = entries.entry(r.key_id.clone()).or_insert_with(|| blank(&r.key_id));
            e.age_recipient = r.age_recipient.clone();
            e.oversight |= r.oversight;
            if !r.oversight && !e.agencies.contains(&c.agency) {
                e.agencies.push(c.agency.clone());
            }
        }
    }
    let all_agencies: Vec<String> = {
        let mut v: Vec<String> = cases.iter().map(|c| c.agency.clone()).collect();
        v.sort();
        v.dedup();
        if v.is_empty() {
            v.push("health".into());
        }
        v
    };
    for k in keys {
        let e = entries.entry(k.key_id.clone()).or_insert_with(|| blank(&k.key_id));
        e.ed25519_public_key = k.ed25519_public_key.clone();
        e.revoked_on = k.revoked_on;
        if !e.oversight && e.agencies.is_empty() {
            e.agencies = all_agencies.clone();
        }
    }
    for e in entries.values_mut().filter(|e| e.oversight) {
        e.agencies.clear();
    }
    if !entries.values().any(|e| e.oversight && e.revoked_on.is_none()) {
        // A roster always has a current oversight key; this one reads only an agency no
        // case belongs to, so it changes no case's readers.
        let mut o = blank("roster-oversight");
        o.oversight = true;
        o.revoked_on = None;
        entries.insert(o.id.clone(), o);
    }
    Roster {
        format: FORMAT.into(),
        deployment_id: DEP.into(),
        version: VERSION.fetch_add(1, std::sync::atomic::Ordering::SeqCst),
        issued_on: time::OffsetDateTime::now_utc().date(),
        attestation_key: attesters().server_public(),
        reviewers: entries.into_values().collect(),
        vouched_heads: vec![],
    }
}

/// [`roster_for`], signed by the anchor.
pub fn signed_roster(keys: &[ReviewerKeyWire], cases: &[CaseBundle]) -> amana_core::roster::SignedRoster {
    amana_core::roster::sign(anchor(), &roster_for(keys, cases)).expect("sign roster")
}
