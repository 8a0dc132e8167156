//! Resumable uploads in the store (src/store/resumable.rs), on both backends: one request
//! appends at a time (a take-over stops the earlier one and deletes its pieces), a segment
//! commits only from the offset it started at, a report adopts only complete uploads, and
//! expired ones go with their files.

use amana::store::{NewResumable, SegmentCommit, StoreError};
use amana_core::attachment::SegmentDigest;

use crate::harness::*;

crate::on_both_backends!(
    one_request_appends_at_a_time,
    only_complete_uploads_are_adopted_and_old_ones_expire
);

fn new_upload(key: &str, begun: &str) -> NewResumable {
    NewResumable {
        key: key.into(),
        file_id: random_id(),
        begun_on: day(begun),
        recipients: "age1example".into(),
        size: 10,
        meta: ct(b"meta-age".to_vec()),
        meta_sha256: "ab".repeat(32),
    }
}

fn segment(bytes: u64) -> SegmentDigest {
    SegmentDigest { bytes, sha256: "cd".repeat(32) }
}

async fn one_request_appends_at_a_time(db: TestDb) {
    let store = db.open().await;
    let since = day("2026-01-01");
    store.begin_resumable(&new_upload("k1", "2026-01-02")).await.unwrap();
    assert_eq!(store.take_over("k1", 0, "w1").await.unwrap(), Some(0));
    store.put_segment_piece("k1", "w1", 0, &ct(vec![1; 100])).await.unwrap();
    // A second request takes over: the first one's piece goes, and it can neither write nor commit.
    assert_eq!(store.take_over("k1", 0, "w2").await.unwrap(), Some(0));
    let refused = store.put_segment_piece("k1", "w1", 1, &ct(vec![1; 100])).await;
    assert!(matches!(refused, Err(StoreError::Conflict)), "{refused:?}");
    let late = SegmentCommit {
        key: "k1",
        writer: "w1",
        from: 0,
        added: 4,
        segments: &[segment(100)],
        pieces: 1,
        complete: false,
    };
    assert!(!store.commit_segments(&late).await.unwrap());
    store.put_segment_piece("k1", "w2", 0, &ct(vec![2; 120])).await.unwrap();
    let won = SegmentCommit { writer: "w2", added: 6, segments: &[segment(120)], ..late };
    assert!(store.commit_segments(&won).await.unwrap());
    let row = store.resumable("k1", since).await.unwrap().unwrap();
    assert_eq!((row.received, row.complete, row.segment_list().unwrap().len()), (6, false, 1));
    // The offset moved: a request from 0 can take nothing over; one from 6 starts after piece 0.
    assert_eq!(store.take_over("k1", 0, "w3").await.unwrap(), None);
    assert_eq!(store.take_over("k1", 6, "w3").await.unwrap(), Some(1));
    store.put_segment_piece("k1", "w3", 1, &ct(vec![3; 50])).await.unwrap();
    store.abandon_segment("k1", "w3").await.unwrap();
    assert_eq!(store.take_over("k1", 6, "w4").await.unwrap(), Some(1), "the abandoned piece went");
    store.put_segment_piece("k1", "w4", 1, &ct(vec![4; 50])).await.unwrap();
}

async fn only_complete_uploads_are_adopted_and_old_ones_expire(db: TestDb) {
    let store = db.open().await;
    let since = day("2026-01-01");
    for key in ["done", "half", "old"] {
        let begun = if key == "old" { "2025-12-01" } else { "2026-01-02" };
        store.begin_resumable(&new_upload(key, begun)).await.unwrap();
    }
    store.take_over("done", 0, "w").await.unwrap();
    store.put_segment_piece("done", "w", 0, &ct(vec![1; 64])).await.unwrap();
    let all = SegmentCommit {
        key: "done",
        writer: "w",
        from: 0,
        added: 10,
        segments: &[segment(64)],
        pieces: 1,
        complete: true,
    };
    assert!(store.commit_segments(&all).await.unwrap());

    let keys = |k: &[&str]| k.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let refused = store.adopt_resumable(&keys(&["done", "half"]), since, "age1example", "u1").await.unwrap();
    assert!(refused.is_err_and(|why| why.contains("upload 2 is incomplete")));
    let refused = store.adopt_resumable(&keys(&["old"]), since, "age1example", "u1").await.unwrap();
    assert!(refused.is_err_and(|why| why.contains("unknown or expired")));
    let refused = store.adopt_resumable(&keys(&["done"]), since, "age1other", "u1").await.unwrap();
    assert!(refused.is_err_and(|why| why.contains("other readers")));
    assert!(store.resumable("done", since).await.unwrap().is_some(), "a refusal changes nothing");
    let rows = store.adopt_resumable(&keys(&["done"]), since, "age1example", "u1").await.unwrap().unwrap();
    assert_eq!(rows.len(), 1);
    assert!(store.resumable("done", since).await.unwrap().is_none(), "adopted once only");

    assert_eq!(store.discard_expired_resumable(since).await.unwrap(), 1);
    assert!(store.resumable("half", since).await.unwrap().is_some());
    // The adopted file is now a pending file of upload u1, like any other.
    assert_eq!(store.discard_upload("u1").await.unwrap(), 1);
}
