//! Evidence files: pending pieces, the all-or-nothing claim in a case's commit, clean-up of
//! refused and stale uploads, the byte count behind the quota.

use amana::store::{Change, ClaimLimits, LimitBroken, NewAttachment, Store, StoreError, UploadClaim};
use amana_core::events::EventKind;
use amana_core::payload::Part;

use crate::harness::*;

crate::on_both_backends!(
    files_are_claimed_with_the_report,
    claim_of_an_incomplete_upload_commits_nothing,
    follow_up_claims_its_files,
    refused_and_stale_uploads_are_removed,
    concurrent_follow_ups_keep_the_file_count,
    concurrent_claims_keep_the_quota,
);

/// A follow-up of `case` that claims `upload` (one file of `bytes`) under `limits`.
fn claiming_follow_up(
    meta: &amana::store::CaseMeta,
    upload: String,
    bytes: u64,
    limits: ClaimLimits,
) -> Change {
    let mut change = Change::event_only(meta, day("2026-06-02"), event(EventKind::FollowUp));
    change.envelope = Some(envelope(Part::FollowUp));
    change.attachments = Some(UploadClaim { upload_id: upload, count: 1, files: vec![], bytes, limits });
    change
}

/// Runs the changes at once, alternating between two nodes; returns the refusals.
async fn race(nodes: [std::sync::Arc<dyn Store>; 2], changes: Vec<Change>) -> Vec<StoreError> {
    let tasks: Vec<_> = changes
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let store = nodes[i % 2].clone();
            tokio::spawn(async move { store.apply(&c).await })
        })
        .collect();
    let mut refused = Vec::new();
    for t in tasks {
        if let Err(e) = t.await.unwrap() {
            refused.push(e);
        }
    }
    refused
}

/// Each upload checked the case's files when it began, and each saw room; the claims,
/// committed at once from two nodes, must still stop at the limit.
async fn concurrent_follow_ups_keep_the_file_count(db: TestDb) {
    let nodes = [db.open().await, db.open().await];
    nodes[0].insert_case(&new_case("c4", day("2026-06-01"))).await.unwrap();
    let meta = nodes[0].case_meta("c4").await.unwrap().unwrap();
    let limits = ClaimLimits { max_files: 3, ..ClaimLimits::NONE };
    let mut changes = Vec::new();
    for _ in 0..6 {
        let upload = random_id();
        pending_file(nodes[0].as_ref(), &upload, 0, 1, 10).await;
        changes.push(claiming_follow_up(&meta, upload, 10, limits));
    }
    let refused = race(nodes.clone(), changes).await;
    assert_eq!(refused.len(), 3, "{refused:?}");
    for e in &refused {
        assert!(matches!(e, StoreError::FileLimit(LimitBroken::Files { max: 3 })), "{e}");
    }
    assert_eq!(nodes[1].attachments("c4").await.unwrap().len(), 3);
    assert_eq!(history(nodes[1].as_ref(), "c4").await.len(), 4, "a refused follow-up left no event");
    assert_eq!(nodes[1].discard_stale_uploads(None).await.unwrap(), 3, "the refused files stay pending");
}

/// Claims to different cases, each within the quota alone, together over it.
async fn concurrent_claims_keep_the_quota(db: TestDb) {
    let nodes = [db.open().await, db.open().await];
    let limits = ClaimLimits { quota_bytes: 2500, ..ClaimLimits::NONE };
    let mut changes = Vec::new();
    for i in 0..4 {
        let id = format!("q{i}");
        nodes[0].insert_case(&new_case(&id, day("2026-06-01"))).await.unwrap();
        let meta = nodes[0].case_meta(&id).await.unwrap().unwrap();
        let upload = random_id();
        pending_file(nodes[0].as_ref(), &upload, 0, 1, 1000).await;
        changes.push(claiming_follow_up(&meta, upload, 1000, limits));
    }
    let refused = race(nodes.clone(), changes).await;
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert!(refused.iter().all(|e| matches!(e, StoreError::FileLimit(LimitBroken::Quota))), "{refused:?}");
    let mut stored = 0;
    for i in 0..4 {
        stored += nodes[1].attachments(&format!("q{i}")).await.unwrap().iter().map(|f| f.size).sum::<u64>();
    }
    assert_eq!(stored, 2000);
}

/// Writes a complete pending file of `pieces` pieces of `len` bytes; returns its id.
async fn pending_file(store: &dyn Store, upload: &str, seq: i64, pieces: i64, len: usize) -> String {
    let id = random_id();
    let a = NewAttachment { id: id.clone(), upload_id: upload.into(), seq, created_on: day("2026-06-01") };
    store.begin_attachment(&a).await.unwrap();
    for p in 0..pieces {
        store.put_piece(&id, p, &ct(vec![p as u8; len])).await.unwrap();
    }
    store.complete_attachment(&id, pieces, &ct(b"meta-age".to_vec())).await.unwrap();
    id
}

async fn files_are_claimed_with_the_report(db: TestDb) {
    let store = db.open().await;
    let upload = random_id();
    let first = pending_file(store.as_ref(), &upload, 0, 3, 1000).await;
    let second = pending_file(store.as_ref(), &upload, 1, 1, 10).await;
    assert_eq!(store.attachment_bytes().await.unwrap(), 3010, "pending files count toward the quota");
    let mut case = new_case("c1", day("2026-06-01"));
    case.attachments = Some(UploadClaim {
        upload_id: upload.clone(),
        count: 2,
        files: vec![],
        bytes: 0,
        limits: ClaimLimits::NONE,
    });
    store.insert_case(&case).await.unwrap();

    let files = store.attachments("c1").await.unwrap();
    let ids: Vec<&str> = files.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, [first.as_str(), second.as_str()], "upload order kept");
    assert_eq!((files[0].size, files[0].pieces, files[0].envelope_id.as_str()), (3000, 3, "c1-report"));
    assert_eq!(files[0].meta, b"meta-age");
    assert_eq!(store.attachment_piece("c1", &first, 2).await.unwrap(), Some(vec![2u8; 1000]));
    assert_eq!(store.attachment_piece("c1", &first, 3).await.unwrap(), None);
    assert_eq!(store.attachment_piece("other", &first, 0).await.unwrap(), None, "scoped by case");
    assert_eq!(store.attachment_piece("c1\0", &first, 0).await.unwrap(), None);
    let record = store.records(&CaseFilter::case("c1")).await.unwrap().remove(0);
    assert_eq!(record.attachments.len(), 2);
    let submitted = &history(store.as_ref(), "c1").await[0];
    assert!(submitted.detail.contains(r#""attachments":2"#), "{}", submitted.detail);
    // Claimed files are no longer pending: clean-up leaves them alone.
    assert_eq!(store.discard_stale_uploads(None).await.unwrap(), 0);
    assert_eq!(store.discard_upload(&upload).await.unwrap(), 0);
    assert_eq!(store.attachments("c1").await.unwrap().len(), 2);
}

async fn claim_of_an_incomplete_upload_commits_nothing(db: TestDb) {
    let store = db.open().await;
    let upload = random_id();
    pending_file(store.as_ref(), &upload, 0, 1, 100).await;
    // A second file begun but never completed (its request died mid-file).
    let a =
        NewAttachment { id: random_id(), upload_id: upload.clone(), seq: 1, created_on: day("2026-06-01") };
    store.begin_attachment(&a).await.unwrap();
    let mut case = new_case("c2", day("2026-06-01"));
    case.attachments = Some(UploadClaim {
        upload_id: upload.clone(),
        count: 2,
        files: vec![],
        bytes: 0,
        limits: ClaimLimits::NONE,
    });
    assert!(matches!(store.insert_case(&case).await, Err(StoreError::Conflict)));
    assert!(store.case_meta("c2").await.unwrap().is_none(), "no case without all its files");
    assert_eq!(store.discard_upload(&upload).await.unwrap(), 2);
    assert_eq!(store.attachment_bytes().await.unwrap(), 0, "pieces went with their files");
}

async fn follow_up_claims_its_files(db: TestDb) {
    let store = db.open().await;
    store.insert_case(&new_case("c3", day("2026-06-01"))).await.unwrap();
    let meta = store.case_meta("c3").await.unwrap().unwrap();
    let upload = random_id();
    let file = pending_file(store.as_ref(), &upload, 0, 2, 50).await;
    let follow_up = envelope(Part::FollowUp);
    let follow_up_id = follow_up.id.clone();
    let mut change = Change::event_only(&meta, day("2026-06-02"), event(EventKind::FollowUp));
    change.envelope = Some(follow_up);
    change.attachments =
        Some(UploadClaim { upload_id: upload, count: 1, files: vec![], bytes: 0, limits: ClaimLimits::NONE });
    store.apply(&change).await.unwrap();
    let files = store.attachments("c3").await.unwrap();
    assert_eq!((files[0].id.as_str(), files[0].envelope_id.as_str()), (file.as_str(), follow_up_id.as_str()));
}

async fn refused_and_stale_uploads_are_removed(db: TestDb) {
    let store = db.open().await;
    let (old, recent) = (random_id(), random_id());
    let stale = NewAttachment { id: random_id(), upload_id: old, seq: 0, created_on: day("2026-05-30") };
    store.begin_attachment(&stale).await.unwrap();
    store.put_piece(&stale.id, 0, &ct(b"x".to_vec())).await.unwrap();
    pending_file(store.as_ref(), &recent, 0, 1, 5).await;
    // Several nodes: only uploads begun before the given day go.
    assert_eq!(store.discard_stale_uploads(Some(day("2026-05-31"))).await.unwrap(), 1);
    assert_eq!(store.attachment_bytes().await.unwrap(), 5);
    // One node: every pending upload is a leftover.
    assert_eq!(store.discard_stale_uploads(None).await.unwrap(), 1);
    assert_eq!(store.attachment_bytes().await.unwrap(), 0);
    // A piece for a file that is gone is refused, not orphaned.
    assert!(store.put_piece(&stale.id, 1, &ct(b"late".to_vec())).await.is_err());
}
