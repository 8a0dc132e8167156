//! Evaluation answers as rows (docs/FORMATS.md §10): stored with the case in one
//! transaction, summed per agency, centre, questionnaire version and criterion by the
//! database, within dates, on both backends — checked against sums worked out by hand.

use amana::store::{Change, Evaluation, RatingFilter, RatingSummary, SpentVisit, Store, StoreError};
use amana_core::case::{Kind, Status};
use amana_core::events::EventKind;
use amana_core::services::Answers;

use crate::harness::*;

crate::on_both_backends!(
    answers_are_summed_per_centre_and_criterion_within_dates,
    a_visit_token_counts_once_and_commissioned_answers_apart
);

async fn evaluation(
    store: &dyn Store,
    id: &str,
    agency: &str,
    centre: Option<&str>,
    received: &str,
    version: u32,
    ratings: &[(&str, Option<u8>)],
) {
    let mut c = new_case(id, day(received));
    c.kind = Kind::ServiceEvaluation;
    c.agency = agency.into();
    c.evaluation = Evaluation {
        centre: centre.map(str::to_string),
        answers: Some(Answers {
            questionnaire: "office".into(),
            version,
            ratings: ratings.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        }),
        visit: None,
    };
    store.insert_case(&c).await.unwrap();
}

fn row(
    agency: &str,
    centre: Option<&str>,
    version: i64,
    criterion: &str,
    n: i64,
    sum: i64,
    na: i64,
) -> RatingSummary {
    RatingSummary {
        agency: agency.into(),
        centre: centre.map(str::to_string),
        questionnaire: "office".into(),
        version,
        criterion: criterion.into(),
        commissioned: false,
        answered: n,
        sum,
        not_applicable: na,
    }
}

async fn answers_are_summed_per_centre_and_criterion_within_dates(db: TestDb) {
    let store = db.open().await;
    let s = &*store;
    evaluation(
        s,
        "e1",
        "health",
        Some("north"),
        "2026-03-01",
        1,
        &[("parking", Some(4)), ("waiting", Some(2))],
    )
    .await;
    evaluation(s, "e2", "health", Some("north"), "2026-03-15", 1, &[("parking", Some(5)), ("waiting", None)])
        .await;
    evaluation(s, "e3", "health", None, "2026-03-20", 1, &[("parking", Some(1)), ("waiting", Some(3))]).await;
    evaluation(s, "e4", "health", Some("north"), "2026-03-31", 2, &[("parking", Some(3))]).await;
    evaluation(s, "e5", "transport", Some("depot"), "2026-03-10", 1, &[("parking", Some(2))]).await;
    // Outside the dates: never counted.
    evaluation(s, "e6", "health", Some("north"), "2026-04-01", 1, &[("parking", Some(1))]).await;
    evaluation(s, "e7", "health", Some("north"), "2026-02-28", 1, &[("parking", Some(1))]).await;
    // A case with no answers adds nothing.
    store.insert_case(&new_case("plain", day("2026-03-05"))).await.unwrap();

    let march = |agency: Option<&str>| RatingFilter {
        agency: agency.map(str::to_string),
        from: day("2026-03-01"),
        to: day("2026-03-31"),
    };
    // By hand: north v1 parking 4+5 (n 2), waiting 2 (n 1, one n/a); no centre v1 parking 1,
    // waiting 3; north v2 parking 3; transport's depot parking 2.
    let health = vec![
        row("health", None, 1, "parking", 1, 1, 0),
        row("health", None, 1, "waiting", 1, 3, 0),
        row("health", Some("north"), 1, "parking", 2, 9, 0),
        row("health", Some("north"), 1, "waiting", 1, 2, 1),
        row("health", Some("north"), 2, "parking", 1, 3, 0),
    ];
    assert_eq!(store.rating_summary(&march(Some("health"))).await.unwrap(), health);
    let mut all = health.clone();
    all.push(row("transport", Some("depot"), 1, "parking", 1, 2, 0));
    assert_eq!(store.rating_summary(&march(None)).await.unwrap(), all);

    // Purging a case (retention) takes its answers with it; junk is never counted.
    let m = store.case_meta("e2").await.unwrap().expect("e2");
    let officer = Reviewer::new("health-officer");
    let detail = r#"{"status":"closed_unfounded"}"#;
    let mut close =
        Change::event_only(&m, day("2026-04-02"), officer.event(EventKind::StatusChanged, "e2", detail));
    close.new_status = Status::ClosedUnfounded;
    store.apply(&close).await.unwrap();
    assert!(store.delete_closed_case("e2", day("2027-01-01"), day("2027-01-02")).await.unwrap());
    let after = store.rating_summary(&march(Some("health"))).await.unwrap();
    assert_eq!(after[2], row("health", Some("north"), 1, "parking", 1, 4, 0));
    assert_eq!(after[3], row("health", Some("north"), 1, "waiting", 1, 2, 0));
}

async fn a_visit_token_counts_once_and_commissioned_answers_apart(db: TestDb) {
    let store = db.open().await;
    let with_visit = |id: &str, visit: &str| {
        let mut c = new_case(id, day("2026-03-02"));
        c.kind = Kind::ServiceEvaluation;
        c.evaluation = Evaluation {
            centre: Some("north".into()),
            answers: Some(Answers {
                questionnaire: "office".into(),
                version: 1,
                ratings: vec![("parking".into(), Some(5))],
            }),
            visit: Some(SpentVisit { id: visit.into(), expires_on: day("2026-12-31") }),
        };
        c
    };
    store.insert_case(&with_visit("v1", "token-a")).await.unwrap();
    let again = store.insert_case(&with_visit("v2", "token-a")).await;
    assert!(matches!(again, Err(StoreError::VisitSpent)), "{again:?}");
    assert!(store.case_meta("v2").await.unwrap().is_none(), "nothing of the refused case was kept");
    evaluation(&*store, "p1", "health", Some("north"), "2026-03-03", 1, &[("parking", Some(1))]).await;
    let march = RatingFilter { agency: None, from: day("2026-03-01"), to: day("2026-03-31") };
    let mut commissioned = row("health", Some("north"), 1, "parking", 1, 5, 0);
    commissioned.commissioned = true;
    assert_eq!(
        store.rating_summary(&march).await.unwrap(),
        [row("health", Some("north"), 1, "parking", 1, 1, 0), commissioned]
    );
}

crate::on_both_backends!(a_period_is_published_once);

async fn a_period_is_published_once(db: TestDb) {
    let store = db.open().await;
    assert!(store.publish(day("2026-01-01"), day("2026-01-31"), "january").await.unwrap());
    assert!(store.publish(day("2026-02-01"), day("2026-02-28"), "february").await.unwrap());
    assert!(!store.publish(day("2026-01-01"), day("2026-01-31"), "january again").await.unwrap());
    assert_eq!(store.publications().await.unwrap(), ["february", "january"], "newest first, frozen");
}
