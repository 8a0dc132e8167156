//! The intake JSON body (`POST /api/v1/reports`) on any bytes, through the very functions the
//! server's handler calls: `amana_request::report::parse_report_json`, then
//! `Submission::validate` (with the agency check answered here, as it needs the
//! deployment), then the payload it would encrypt.
#![no_main]

use amana_core::payload::{bucket, Payload};
use amana_request::report::{
    parse_report_json, Submission, MAX_BODY_CHARS, MAX_CONTACT_CHARS, MAX_JSON_BYTES,
};
use libfuzzer_sys::fuzz_target;

/// The one agency the fuzzed deployment has.
const AGENCY: &str = "health";

fuzz_target!(|data: &[u8]| {
    // The server's body limit refuses larger bodies before they are parsed.
    if data.len() > MAX_JSON_BYTES {
        return;
    }
    let Ok(raw) = parse_report_json(data) else {
        return;
    };
    let (kind, agency) = (raw.kind.clone(), raw.agency.clone());
    let Ok(submission) = Submission::validate(raw, |a| a == AGENCY) else {
        return;
    };
    assert_eq!(submission.kind.as_str(), kind, "kind names are exact");
    assert_eq!(agency, AGENCY, "only a known agency is accepted");
    assert!(!submission.body.trim().is_empty() && submission.body.chars().count() <= MAX_BODY_CHARS);
    assert!(submission
        .contact
        .as_ref()
        .is_none_or(|c| !c.trim().is_empty() && c.chars().count() <= MAX_CONTACT_CHARS));
    let mut payload = submission.payload(time::macros::date!(2026 - 11 - 23));
    // Fixed here, so the decoded payload can be compared whole (encode draws one if absent).
    payload.salt = Some("00".repeat(16));
    let encoded = payload.encode().expect("every accepted submission encodes");
    assert_eq!(encoded.len(), bucket(encoded.len()));
    assert!(Payload::decode(&encoded).expect("and decodes") == payload, "the payload round-trips");
});
