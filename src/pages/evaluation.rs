//! The service evaluation ("mystery shopper"): eight criteria rated 1–5, plus a comment.
//!
//! The API has no ratings field yet, so the page writes the ratings as a fixed block at the
//! top of the (encrypted) report text, one line per criterion, in English with stable ids,
//! so reviewers and a later importer can read them alike:
//!
//! ```text
//! Service evaluation ratings (1 = very poor, 5 = excellent)
//! Rating — access_location: 4/5
//! Rating — payment_channels: not applicable
//! …
//!
//! Comment:
//! <the reporter's comment>
//! ```

use maud::{html, Markup};

use super::layout::Frame;

/// The criteria, in the order the form shows them (ids are also the form fields'
/// suffixes and the message keys' suffixes).
pub const CRITERIA: [&str; 8] = [
    "access_location",
    "reception",
    "waiting_time",
    "procedures",
    "staff_behaviour",
    "completion_time",
    "payment_channels",
    "environment",
];

/// Room left in the report text for the ratings block.
pub const BLOCK_RESERVE_CHARS: usize = 1_000;

/// One criterion's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rating {
    Score(u8),
    NotApplicable,
}

impl Rating {
    fn parse(value: &str) -> Option<Rating> {
        match value {
            "na" => Some(Rating::NotApplicable),
            v => v.parse::<u8>().ok().filter(|n| (1..=5).contains(n)).map(Rating::Score),
        }
    }
}

/// What the form posted for each criterion, in order; `None` where nothing valid was chosen.
pub type Answers = Vec<(&'static str, Option<Rating>)>;

/// The form field of a criterion.
pub fn field(criterion: &str) -> String {
    format!("rating_{criterion}")
}

/// Reads all eight answers; `None` if one is missing or not 1–5 / "na".
pub fn parse(value_of: impl FnMut(&str) -> Option<String>) -> Option<Vec<(&'static str, Rating)>> {
    complete(&read(value_of))
}

/// Reads each criterion's answer as far as it is valid (to show the form again).
pub fn read(mut value_of: impl FnMut(&str) -> Option<String>) -> Answers {
    CRITERIA.iter().map(|c| (*c, value_of(&field(c)).as_deref().and_then(Rating::parse))).collect()
}

/// All eight answers, or `None` if one is missing.
pub fn complete(answers: &[(&'static str, Option<Rating>)]) -> Option<Vec<(&'static str, Rating)>> {
    answers.iter().map(|(c, r)| Some((*c, (*r)?))).collect()
}

/// The report text: the ratings block, then the comment if there is one.
pub fn compose(ratings: &[(&str, Rating)], comment: &str) -> String {
    let mut text = String::from("Service evaluation ratings (1 = very poor, 5 = excellent)\n");
    for (criterion, rating) in ratings {
        match rating {
            Rating::Score(n) => text.push_str(&format!("Rating — {criterion}: {n}/5\n")),
            Rating::NotApplicable => text.push_str(&format!("Rating — {criterion}: not applicable\n")),
        }
    }
    if !comment.trim().is_empty() {
        text.push_str("\nComment:\n");
        text.push_str(comment);
    }
    text
}

/// The eight rating groups: a fieldset each, radios 1–5 and "did not apply", with the
/// `answers` given before checked (a form shown again).
pub fn fieldsets(f: &Frame, answers: &[(&'static str, Option<Rating>)]) -> Markup {
    let chosen = |c: &str| answers.iter().find(|(k, _)| *k == c).and_then(|(_, r)| *r);
    html! {
        fieldset.ratings {
            legend { (f.t("form-ratings-title")) }
            p.hint { (f.t("form-ratings-scale")) }
            @for c in CRITERIA {
                @let chosen = chosen(c);
                fieldset.criterion {
                    legend { (f.t(&format!("criterion-{c}"))) }
                    div.scale {
                        @for n in 1..=5u8 {
                            label.choice {
                                input type="radio" name=(field(c)) value=(n) required[n == 1]
                                    checked[chosen == Some(Rating::Score(n))];
                                span { (f.lang.digits(&n.to_string())) }
                            }
                        }
                        label.choice.na {
                            input type="radio" name=(field(c)) value="na"
                                checked[chosen == Some(Rating::NotApplicable)];
                            span { (f.t("rating-na")) }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_lists_every_criterion_then_the_comment() {
        let answers = [("2", "na")];
        let ratings = parse(|name| {
            Some(if name == "rating_payment_channels" { answers[0].1 } else { answers[0].0 }.into())
        })
        .expect("valid answers");
        let text = compose(&ratings, "Slow queue");
        assert!(text.starts_with("Service evaluation ratings"));
        assert!(text.contains("Rating — reception: 2/5\n"));
        assert!(text.contains("Rating — payment_channels: not applicable\n"));
        assert!(text.ends_with("\nComment:\nSlow queue"));
        assert!(compose(&ratings, "  ").len() < BLOCK_RESERVE_CHARS);
    }

    #[test]
    fn missing_or_out_of_range_answers_are_refused() {
        assert!(parse(|_| None).is_none());
        assert!(parse(|_| Some("6".into())).is_none());
        assert!(parse(|_| Some("0".into())).is_none());
        assert!(parse(|n| (n != "rating_environment").then(|| "3".into())).is_none());
        assert_eq!(parse(|_| Some("5".into())).map(|r| r.len()), Some(8));
    }
}
