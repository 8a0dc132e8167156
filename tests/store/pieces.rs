//! SQLite: evidence-file pieces live in their own file, `amana.db.pieces` (src/store/
//! pieces_file.rs), written once (never through the main file's WAL), and go with the files
//! they belong to: a refused upload's, a purged case's, and orphans a crash left.

use std::path::{Path, PathBuf};

use amana::store::{Change, ClaimLimits, NewAttachment, Store, UploadClaim};
use amana_core::case::Status;
use amana_core::events::EventKind;

use crate::harness::*;

/// The main database file, its WAL and the pieces file of `db`.
fn files(db: &TestDb) -> [PathBuf; 3] {
    let opts: sqlx::sqlite::SqliteConnectOptions = db.url().parse().unwrap();
    let main = opts.get_filename().to_path_buf();
    let wal = PathBuf::from(format!("{}-wal", main.display()));
    [amana::store::pieces_path(&main), main, wal]
}

/// A piece small enough to lie whole in one b-tree cell of the pieces file (a WITHOUT ROWID
/// cell keeps about 4 KiB in place on 16 KiB pages; the rest of a longer piece continues on
/// overflow pages, where a search for its bytes in one run would find them split).
const MARKER: usize = 2048;

fn holds(path: &Path, marker: &[u8]) -> bool {
    let bytes = std::fs::read(path).unwrap_or_default();
    bytes.windows(marker.len()).any(|w| w == marker)
}

/// A pending file of one piece, `data`, under `upload`; returns its id.
async fn one_piece_file(store: &dyn Store, upload: &str, data: Vec<u8>) -> String {
    let id = random_id();
    let a = NewAttachment { id: id.clone(), upload_id: upload.into(), seq: 0, created_on: day("2026-01-01") };
    store.begin_attachment(&a).await.unwrap();
    store.put_piece(&id, 0, &ct(data)).await.unwrap();
    store.complete_attachment(&id, 1, &ct(b"meta-age".to_vec())).await.unwrap();
    id
}

#[tokio::test]
async fn pieces_are_written_once_to_their_own_file_and_go_with_their_case() {
    with_sqlite(|db| async move {
        let store = db.open().await;
        let [pieces, main, wal] = files(&db);
        let marker = random_bytes(MARKER);
        let upload = random_id();
        one_piece_file(store.as_ref(), &upload, marker.clone()).await;
        let mut c = new_case("p1", day("2026-01-01"));
        c.attachments = Some(UploadClaim {
            upload_id: upload,
            count: 1,
            files: vec![],
            bytes: MARKER as u64,
            limits: ClaimLimits::NONE,
        });
        store.insert_case(&c).await.unwrap();
        assert!(holds(&pieces, &marker), "the piece is in the pieces file");
        assert!(!holds(&main, &marker) && !holds(&wal, &marker), "and never in the main file or its WAL");

        // Closed and purged: its piece goes too (no foreign key reaches the pieces file).
        let officer = Reviewer::new("health-officer");
        for (to, on) in [(Status::Acknowledged, "2026-01-02"), (Status::ClosedActionTaken, "2026-01-03")] {
            let m = store.case_meta("p1").await.unwrap().unwrap();
            let detail = format!(r#"{{"status":"{to}"}}"#);
            let mut change =
                Change::event_only(&m, day(on), officer.event(EventKind::StatusChanged, "p1", &detail));
            change.new_status = to;
            store.apply(&change).await.unwrap();
        }
        assert!(store.delete_closed_case("p1", day("2026-06-01"), day("2026-06-01")).await.unwrap());
        assert!(store.scrub().await.unwrap());
        for f in [&pieces, &main, &wal] {
            assert!(!holds(f, &marker), "purged ciphertext left in {}", f.display());
        }
    })
    .await
}

#[tokio::test]
async fn refused_uploads_and_orphans_leave_the_pieces_file() {
    with_sqlite(|db| async move {
        let store = db.open().await;
        let pieces = files(&db)[0].clone();
        let refused = random_bytes(MARKER);
        let upload = random_id();
        one_piece_file(store.as_ref(), &upload, refused.clone()).await;
        assert_eq!(store.discard_upload(&upload).await.unwrap(), 1);
        assert!(!holds(&pieces, &refused), "a refused upload's piece is overwritten (secure_delete)");

        // A crash between the main file's commit and the pieces file's leaves a piece no row
        // names; the clean-up at start removes it.
        let orphan = random_bytes(MARKER);
        let pool = crate::schema::sqlite_pool(db.url()).await;
        sqlx::query("INSERT INTO pieces.attachment_pieces (attachment_id, seq, data) VALUES ('gone', 0, ?)")
            .bind(&orphan)
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        assert!(holds(&pieces, &orphan));
        store.discard_stale_uploads(None).await.unwrap();
        assert!(!holds(&pieces, &orphan), "the orphan piece is gone");
    })
    .await
}
