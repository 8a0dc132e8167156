//! Writes the seed corpus of every fuzz target under `fuzz/corpus/<target>/`.
//!
//! `cd fuzz && cargo run --example make_seeds` (stable is fine). Deterministic except the
//! age envelopes, whose ephemeral keys are random; rerun only when a format changes.

use amana_core::{
    case::Kind,
    code::{FollowUpCode, LOOKUP_DIGITS},
    damm, envelope,
    keyring::ReviewerEntry,
    payload::{Part, Payload},
    signing,
};
use amana_fuzz::{FuzzParts, FuzzSignature, SignedRequestInput, DEPLOYMENT_ID, KEYRING_SEPARATOR, SEED_NOW};
use std::{fs, path::Path};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let write = |target: &str, name: &str, bytes: &[u8]| {
        let dir = root.join(target);
        fs::create_dir_all(&dir).expect("create corpus dir");
        fs::write(dir.join(name), bytes).expect("write seed");
    };

    let codes = codes();
    for (name, text) in &codes {
        write("code_parser", name, text.as_bytes());
    }

    let payloads = payloads();
    for (name, p) in &payloads {
        write("payload_decode", name, &p.encode().expect("encode"));
    }
    let report = payloads[0].1.encode().expect("encode");
    let mut bad_padding = report.to_vec();
    *bad_padding.last_mut().expect("non-empty") = 1;
    write("payload_decode", "bad-padding", &bad_padding);
    write("payload_decode", "truncated", &report[..40]);
    write("payload_decode", "wrong-magic", b"amana-payload-v9\n\0\0\0\x02{}");

    for (name, input) in signed_requests() {
        write("signed_request_verify", name, &amana_fuzz::encode_signed_request_input(&input));
    }

    let me = amana_fuzz::identity();
    for (name, bytes) in envelopes(&payloads) {
        // The seeds must reach the paths they are named for with the target's identity.
        let opened = envelope::decrypt(&bytes, &[&me]);
        match name {
            "report-to-me" | "reply-to-three" | "not-a-payload" => assert!(opened.is_ok(), "{name}"),
            "to-someone-else" => assert!(matches!(opened, Err(envelope::EnvelopeError::NoMatchingKey))),
            _ => assert!(opened.is_err(), "{name}"),
        }
        write("envelope_decrypt", name, &bytes);
    }

    for (name, json) in intake_bodies() {
        write("intake_json", name, json.as_bytes());
    }

    for (name, text) in key_directories() {
        write("keyring_parse", name, text.as_bytes());
    }
    println!("seeds written under {}", root.display());
}

/// A valid code from 24 digits (lookup + secret), with its Damm check digit.
fn code_from(digits24: &str) -> FollowUpCode {
    let check = damm::check_digit(digits24).expect("digits");
    FollowUpCode::parse(&format!("{digits24}{check}")).expect("valid code")
}

fn to_script(digits: &str, zero: u32) -> String {
    digits.chars().map(|c| c.to_digit(10).and_then(|d| char::from_u32(zero + d)).unwrap_or(c)).collect()
}

fn codes() -> Vec<(&'static str, String)> {
    let a = code_from("220907931674024718081956");
    let b = code_from("000000010000000000000000");
    let grouped = a.grouped().to_string();
    let plain = a.digits().to_string();
    let mut bad_check = plain.clone();
    let last = bad_check.pop().expect("digit");
    bad_check.push(if last == '9' { '0' } else { char::from(last as u8 + 1) });
    vec![
        ("latin-grouped", grouped.clone()),
        ("latin-plain", plain.clone()),
        ("latin-dashed", grouped.replace(' ', "-")),
        ("latin-zeros", b.grouped().to_string()),
        ("arabic-indic", to_script(&grouped, 0x0660)),
        ("persian", to_script(&plain, 0x06F0)),
        (
            "mixed-scripts-dots",
            format!("{}.{}", &plain[..LOOKUP_DIGITS], to_script(&plain[LOOKUP_DIGITS..], 0x06F0)),
        ),
        (
            "rtl-marks-nbsp",
            format!("\u{200F}{}\u{200E}", to_script(&grouped, 0x0660).replace(' ', "\u{00A0}")),
        ),
        ("unicode-dashes", grouped.replacen(' ', "\u{2010}", 2).replace(' ', "\u{2212}")),
        ("bad-check-digit", bad_check),
        ("too-short", plain[..24].to_string()),
        ("letters", "22090 79316 7402A 71808 19569".into()),
        ("too-long", "1".repeat(129)),
        ("empty-separators", " - . ".into()),
    ]
}

fn payloads() -> Vec<(&'static str, Payload)> {
    let date = time::macros::date!(2026 - 11 - 23);
    let p =
        |part, kind, agency: Option<&str>, body: &str, contact: Option<&str>, author: Option<&str>| Payload { salt: None,
            part,
            kind,
            agency: agency.map(Into::into),
            body: body.into(),
            contact: contact.map(Into::into),
            written_on: date,
            author: author.map(Into::into),
        };
    vec![
        (
            "report-arabic",
            p(
                Part::Report,
                Some(Kind::Violation),
                Some("health"),
                "طُلب مني مبلغ لتسريع المعاملة",
                None,
                None,
            ),
        ),
        (
            "report-contact",
            p(
                Part::Report,
                Some(Kind::Complaint),
                Some("transport"),
                "The queue took 4 hours.",
                Some("+962 7 0000 0000"),
                None,
            ),
        ),
        (
            "report-evaluation",
            p(
                Part::Report,
                Some(Kind::ServiceEvaluation),
                Some("health"),
                "{\"ratings\":[5,4,3,2,1,2,3,4]}",
                None,
                None,
            ),
        ),
        ("follow-up", p(Part::FollowUp, None, None, "One more detail: it happened twice.", None, None)),
        ("reply", p(Part::Reply, None, None, "شكراً، نعمل على ذلك", None, Some("alice"))),
        ("note", p(Part::Note, None, None, "extension: awaiting records", None, Some("ovs"))),
        (
            "report-2k-bucket",
            p(Part::Report, Some(Kind::Suggestion), Some("health"), &"x".repeat(1500), None, None),
        ),
        (
            "escapes",
            p(
                Part::Report,
                Some(Kind::Inquiry),
                Some("health"),
                "quote \" backslash \\ nul \u{0} bidi \u{202E}",
                None,
                None,
            ),
        ),
    ]
}

fn signed_requests() -> Vec<(&'static str, SignedRequestInput<'static>)> {
    let request = FuzzParts {
        deployment_id: DEPLOYMENT_ID,
        key_id: "alice",
        method: "POST",
        path_and_query: "/api/v1/review/cases/abc/status",
        body: br#"{"status":"acknowledged"}"#,
        timestamp: SEED_NOW,
        nonce: "00112233445566778899aabbccddeeff",
    };
    let get = FuzzParts {
        method: "GET",
        path_and_query: "/api/v1/review/cases?since=2026-11-01",
        body: b"",
        ..request.clone()
    };
    // Moving a byte between adjacent fields must change the canonical string.
    let shifted = FuzzParts { deployment_id: "fuz", key_id: "zalice", ..request.clone() };
    let input =
        |request: &FuzzParts<'static>, other: &FuzzParts<'static>, signature, now| SignedRequestInput {
            request: request.clone(),
            other: other.clone(),
            signature,
            now,
            window_secs: signing::DEFAULT_WINDOW_SECS,
        };
    let valid = signing::sign(&amana_fuzz::signing_key(), &request.parts()).signature;
    let valid: &'static str = Box::leak(valid.into_boxed_str());
    vec![
        ("valid-post", input(&request, &shifted, FuzzSignature::Valid, SEED_NOW + 60)),
        ("valid-get", input(&get, &request, FuzzSignature::Valid, SEED_NOW)),
        ("stale", input(&request, &get, FuzzSignature::Valid, SEED_NOW + signing::DEFAULT_WINDOW_SECS + 1)),
        (
            "future",
            input(&request, &request, FuzzSignature::Valid, SEED_NOW - signing::DEFAULT_WINDOW_SECS - 1),
        ),
        ("flipped-bit", input(&request, &get, FuzzSignature::FlippedBit(77), SEED_NOW)),
        ("given-valid-string", input(&request, &shifted, FuzzSignature::Given(valid), SEED_NOW)),
        ("given-not-base64", input(&request, &get, FuzzSignature::Given("!!not base64!!"), SEED_NOW)),
        (
            "bad-nonce",
            input(&FuzzParts { nonce: "ABCDEF", ..request.clone() }, &get, FuzzSignature::Valid, SEED_NOW),
        ),
    ]
}

fn envelopes(payloads: &[(&'static str, Payload)]) -> Vec<(&'static str, Vec<u8>)> {
    let me = amana_fuzz::identity().to_public();
    let others: Vec<_> = (0..70).map(|_| age::x25519::Identity::generate().to_public()).collect();
    let report = payloads[0].1.encode().expect("encode");
    let reply = payloads[4].1.encode().expect("encode");
    let enc = |pt: &[u8], to: &[age::x25519::Recipient]| envelope::encrypt(pt, to).expect("encrypt");
    let single = enc(&report, std::slice::from_ref(&me));
    let mut tampered = single.clone();
    let n = tampered.len();
    tampered[n - 3] ^= 1;
    let mut many = vec![me.clone()];
    many.extend_from_slice(&others[..2]);
    let mut too_many = others.clone();
    too_many.push(me.clone());
    vec![
        ("report-to-me", single.clone()),
        ("reply-to-three", enc(&reply, &many)),
        ("to-someone-else", enc(&report, &others[..1])),
        ("not-a-payload", enc(b"hello", std::slice::from_ref(&me))),
        ("tampered", tampered),
        ("truncated-header", single[..60].to_vec()),
        ("header-only", header_only(&single)),
        ("too-many-stanzas", enc(b"x", &too_many)),
    ]
}

/// The age header (through the `--- mac` line) without the payload.
fn header_only(file: &[u8]) -> Vec<u8> {
    let mac = file.windows(5).position(|w| w == b"\n--- ").expect("age header") + 1;
    let end = mac + file[mac..].iter().position(|b| *b == b'\n').expect("mac line");
    file[..=end].to_vec()
}

fn intake_bodies() -> Vec<(&'static str, String)> {
    vec![
        ("minimal", r#"{"kind":"violation","agency":"health","body":"طُلب مني مبلغ لتسريع المعاملة"}"#.into()),
        (
            "all-fields",
            r#"{"kind":"complaint","agency":"transport","body":"Waited 4 hours.","contact":"me@example.org","oversight_only":true,"receipt":true}"#.into(),
        ),
        ("evaluation-null-contact", r#"{"kind":"service_evaluation","agency":"health","body":"ok","contact":null}"#.into()),
        ("unknown-kind", r#"{"kind":"bribe","agency":"health","body":"x"}"#.into()),
        ("unknown-field", r#"{"kind":"inquiry","agency":"health","body":"x","extra":1}"#.into()),
        ("blank-body", r#"{"kind":"suggestion","agency":"health","body":"  \n ","contact":"  "}"#.into()),
        ("escapes", r#"{"kind":"compliment","agency":"h\u0000","body":"\ud83d\ude00 \u202e","contact":"\""}"#.into()),
        ("wrong-types", r#"{"kind":1,"agency":[],"body":{},"oversight_only":"yes"}"#.into()),
    ]
}

fn key_directories() -> Vec<(&'static str, String)> {
    let agencies = r#"deployment_id = "fuzz"

[[agency]]
id = "health"
name = { en = "Ministry of Health", ar = "وزارة الصحة" }

[[agency]]
id = "transport"
name = { en = "Transport" }
"#;
    let entry = |id: &str, agencies: &[&str], oversight: bool| {
        let e = ReviewerEntry {
            id: id.into(),
            age_recipient: amana_fuzz::identity().to_public().to_string(),
            ed25519_public_key: signing::public_key_b64(&amana_fuzz::signing_key()),
            agencies: agencies.iter().map(|s| s.to_string()).collect(),
            oversight,
            revoked_on: None,
        };
        toml::to_string(&e).expect("toml")
    };
    let join = |files: &[&str]| files.join(KEYRING_SEPARATOR);
    let (ovs, h1, t1) =
        (entry("ovs", &[], true), entry("h1", &["health"], false), entry("t1", &["transport"], false));
    vec![
        ("valid", join(&[agencies, &ovs, &h1, &t1])),
        ("oversight-only", join(&[agencies, &ovs])),
        ("no-oversight", join(&[agencies, &h1])),
        ("unknown-agency", join(&[agencies, &ovs, &entry("x", &["nowhere"], false)])),
        ("duplicate-reviewer", join(&[agencies, &ovs, &ovs])),
        (
            "duplicate-agency",
            join(&[&format!("{agencies}\n[[agency]]\nid = \"health\"\nname = {{}}\n"), &ovs]),
        ),
        ("bad-deployment-id", join(&["deployment_id = 'Bad Id'\nagency = []\n", &ovs])),
        (
            "bad-public-key",
            join(&[agencies, &ovs.replace("ed25519_public_key = \"", "ed25519_public_key = \"AA")]),
        ),
        ("bad-recipient", join(&[agencies, &ovs.replace("age1", "age2")])),
        ("not-toml", join(&["deployment_id = ", "[[[ ]]"])),
    ]
}
