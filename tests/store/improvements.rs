//! Improvement periods on both databases: stored under their random id, a second put of the
//! same id replaces the file (a closing; the server checked it), listed by id.

use crate::harness::*;

crate::on_both_backends!(a_period_is_kept_under_its_id_and_replaced_by_its_closing);

async fn a_period_is_kept_under_its_id_and_replaced_by_its_closing(db: TestDb) {
    let store = db.open().await;
    assert!(store.improvements().await.unwrap().is_empty());
    store.put_improvement("bb", "transport", "open b").await.unwrap();
    store.put_improvement("aa", "health", "open a").await.unwrap();
    store.put_improvement("aa", "health", "closed a").await.unwrap();
    let held = store.improvements().await.unwrap();
    let expected =
        [("health", "closed a"), ("transport", "open b")].map(|(a, s)| (a.to_string(), s.to_string()));
    assert_eq!(held, expected, "by id, the closing replacing the opening");
}
