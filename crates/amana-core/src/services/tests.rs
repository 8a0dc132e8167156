use super::*;

const LANGS: &str = r#"{ ar = "x", en = "x", fr = "x", ur = "x", hi = "x", fa = "x", bn = "x", fil = "x" }"#;

/// A small file: one questionnaire in two versions, one agency setting, two centres.
fn sample() -> String {
    format!(
        r#"default_questionnaire = "office"

[[questionnaire]]
id = "office"
version = 1
title = {LANGS}
[[questionnaire.criterion]]
id = "waiting"
question = {LANGS}

[[questionnaire]]
id = "health"
version = 1
title = {LANGS}
[[questionnaire.criterion]]
id = "cleanliness"
question = {LANGS}

[[questionnaire]]
id = "health"
version = 2
title = {LANGS}
[[questionnaire.criterion]]
id = "cleanliness"
question = {LANGS}
[[questionnaire.criterion]]
id = "staff"
question = {LANGS}

[agency.health]
questionnaire = "health"

[[centre]]
id = "irbid-hospital"
agency = "health"
name = {LANGS}
place = {{ en = "Irbid", ar = "إربد" }}

[[centre]]
id = "amman-licensing"
agency = "transport"
name = {LANGS}
place = {{ en = "Amman" }}
"#
    )
}

fn answers(pairs: &[(&str, Option<u64>)]) -> BTreeMap<String, Option<u64>> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[test]
fn the_shipped_questionnaires_are_valid_and_complete() {
    let s = Services::parse(DEFAULT_TOML).expect("default.toml");
    assert_eq!(s, Services::defaults());
    let office = s.current("government-office").expect("UAE criteria");
    let ids: Vec<&str> = office.criteria.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "access_location",
            "parking",
            "reception",
            "waiting_time",
            "procedures",
            "staff_behaviour",
            "completion_time",
            "payment_channels",
            "environment"
        ]
    );
    assert_eq!(s.current("service-axes").expect("Jordan's axes").criteria.len(), 4);
    assert_eq!(s.questionnaire_for("any-agency", None).map(|q| q.id.as_str()), Some("government-office"));
}

#[test]
fn centres_agencies_and_versions_choose_the_questionnaire() {
    let s = Services::parse_for(&sample(), &["health", "transport"]).expect("valid");
    let hospital = s.centre("irbid-hospital");
    let q = s.questionnaire_for("health", hospital).expect("health");
    assert_eq!((q.id.as_str(), q.version), ("health", 2), "the newest version");
    assert_eq!(s.version("health", 1).map(|q| q.criteria.len()), Some(1), "old versions stay readable");
    assert_eq!(
        s.questionnaire_for("transport", s.centre("amman-licensing")).map(|q| q.id.as_str()),
        Some("office")
    );
    assert_eq!(s.centres_of("health").map(|c| c.id.as_str()).collect::<Vec<_>>(), ["irbid-hospital"]);
}

#[test]
fn answers_are_checked_against_the_questionnaire_that_applies() {
    let s = Services::parse(&sample()).expect("valid");
    let ok = s
        .check_answers(
            "health",
            Some("irbid-hospital"),
            &answers(&[("cleanliness", Some(4)), ("staff", None)]),
        )
        .expect("valid answers");
    assert_eq!((ok.questionnaire.as_str(), ok.version), ("health", 2));
    assert_eq!(ok.ratings, [("cleanliness".to_string(), Some(4)), ("staff".to_string(), None)]);
    let err = |agency: &str, centre: Option<&str>, given: &[(&str, Option<u64>)]| {
        s.check_answers(agency, centre, &answers(given)).expect_err("refused").to_string()
    };
    assert!(err("health", Some("nowhere"), &[]).contains("`nowhere` is not a service centre"));
    assert!(err("health", Some("amman-licensing"), &[]).contains("belongs to agency `transport`"));
    assert!(err("health", None, &[("cleanliness", Some(4)), ("staff", Some(6))]).contains("`staff` is 6"));
    assert!(err("health", None, &[("cleanliness", Some(0)), ("staff", None)]).contains("`cleanliness` is 0"));
    assert!(err("health", None, &[("cleanliness", Some(4))]).contains("`staff` is missing"));
    assert!(err("health", None, &[("cleanliness", Some(4)), ("staff", None), ("parking", Some(1))])
        .contains("`parking` is not a question of questionnaire `health`"));
}

/// Each mistake is refused with the line of the item it is in.
#[test]
fn mistakes_name_their_line() {
    let base = sample();
    let line_of_text =
        |text: &str, needle: &str| text.lines().position(|l| l.contains(needle)).expect("needle") + 1;
    let cases: [(&str, &str, &str, &str); 6] = [
        (
            "agency = \"transport\"",
            "agency = \"trains\"",
            "agency `trains` is not in keys/agencies.toml",
            "agency = \"trains\"",
        ),
        (
            "id = \"amman-licensing\"",
            "id = \"Amman Licensing\"",
            "lowercase letters",
            "id = \"Amman Licensing\"",
        ),
        ("version = 2", "version = 1", "version 1 is given twice", "id = \"health\""),
        (
            "questionnaire = \"health\"",
            "questionnaire = \"dental\"",
            "unknown questionnaire `dental`",
            "[agency.health]",
        ),
        (
            "default_questionnaire = \"office\"",
            "default_questionnaire = \"shop\"",
            "`shop` is not a questionnaire",
            "default_questionnaire",
        ),
        ("place = { en = \"Amman\" }", "plaice = { en = \"Amman\" }", "unknown field `plaice`", "plaice"),
    ];
    for (from, to, message, on) in cases {
        let text = base.replacen(from, to, 1);
        let err = Services::parse_for(&text, &["health", "transport"]).expect_err(to);
        assert!(err.message.contains(message), "{to}: {err}");
        if on != "id = \"health\"" {
            // The item's own table starts on or just before the offending line.
            let want = line_of_text(&text, on);
            assert!(err.line <= want && want - err.line <= 6, "{to}: line {} for {want}: {err}", err.line);
        } else {
            assert!(
                text.lines()
                    .nth(err.line - 1)
                    .is_some_and(|l| l.contains("questionnaire") || l.contains("id")),
                "{err}"
            );
        }
    }
    let missing_language = base.replacen(r#", fil = "x" }"#, " }", 1);
    let err = Services::parse(&missing_language).expect_err("a title lacks Filipino");
    assert!(err.message.contains("no title in `fil`"), "{err}");
}
