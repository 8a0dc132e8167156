//! Signed-request nonces: used once on every node, forgotten after their window.

use std::sync::Arc;

use crate::harness::*;

crate::on_both_backends!(nonce_is_used_once_and_purged, racing_nonce_is_accepted_once);

async fn nonce_is_used_once_and_purged(db: TestDb) {
    let (node_a, node_b) = (db.open().await, db.open().await);
    let (long, short) = (signing_nonce(), signing_nonce());
    assert!(node_a.use_nonce(&long, day("2026-06-10")).await.unwrap());
    assert!(!node_a.use_nonce(&long, day("2026-06-10")).await.unwrap(), "replay on the same node");
    assert!(!node_b.use_nonce(&long, day("2026-06-12")).await.unwrap(), "replay on another node");
    assert!(node_b.use_nonce(&short, day("2026-06-02")).await.unwrap());

    // A nonce is kept through its expiry date and forgotten the day after.
    assert_eq!(node_a.purge_nonces(day("2026-06-02")).await.unwrap(), 0);
    assert_eq!(node_a.purge_nonces(day("2026-06-03")).await.unwrap(), 1);
    assert_eq!(node_b.purge_nonces(day("2026-06-03")).await.unwrap(), 0);
    assert!(!node_b.use_nonce(&long, day("2026-06-10")).await.unwrap(), "purge removed a live nonce");
    // Past its window a signature with that nonce no longer verifies anyway, so the row
    // is not needed; the store then accepts it as new.
    assert!(node_a.use_nonce(&short, day("2026-06-05")).await.unwrap());
    assert_eq!(node_a.purge_nonces(day("2026-07-01")).await.unwrap(), 2);
}

async fn racing_nonce_is_accepted_once(db: TestDb) {
    let nodes = [db.open().await, db.open().await];
    for _ in 0..20 {
        let nonce = signing_nonce();
        let tasks: Vec<_> = nodes
            .iter()
            .flat_map(|n| [Arc::clone(n), Arc::clone(n)])
            .map(|node| {
                let nonce = nonce.clone();
                tokio::spawn(async move { node.use_nonce(&nonce, day("2026-06-10")).await.unwrap() })
            })
            .collect();
        let mut accepted = 0;
        for t in tasks {
            accepted += usize::from(t.await.unwrap());
        }
        assert_eq!(accepted, 1, "nonce {nonce} accepted {accepted} times");
    }
}

fn signing_nonce() -> String {
    amana_core::signing::new_nonce()
}
