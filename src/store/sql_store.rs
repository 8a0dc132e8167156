//! [`Store`] on either database, written once: every statement here runs on SQLite and on
//! PostgreSQL; what differs comes from [`Backend`].

use amana_core::case::Status;
use amana_core::events::EventKind;
use amana_core::payload::Part;
use sqlx::pool::PoolConnection;
use sqlx::Pool;
use time::Date;

use super::attachments::PIECES_OF;
use super::backend::{Backend, Exec, Stmt};
use super::changes::{append_event, check_head, claim_upload, insert_case_row, insert_envelope};
use super::changes::{replace_ciphertext, update_case};
use super::rows::{convert, parse_name, ClosedCaseRow, EnvelopeRow, PurgedRow, ENVELOPE_COLUMNS};
use super::write_turns::WriteTurns;
use super::*;

/// The store on database `B`: [`super::sqlite::SqliteStore`] or
/// [`super::postgres::PostgresStore`].
pub struct SqlStore<B: Backend> {
    pub(super) pool: Pool<B>,
    /// Where attachment pieces are written ([`Backend::begin_piece`]); on PostgreSQL the
    /// same pool.
    pub(super) pieces: Pool<B>,
    /// Writers' turns on SQLite's one write lock ([`super::write_turns`]); taken before
    /// every write transaction begins and held past its commit.
    pub(super) turns: WriteTurns,
}

/// The open cases past a deadline on `$1` that are not escalated yet.
const OVERDUE: &str = "NOT escalated AND status NOT LIKE 'closed%' \
     AND ((status = 'received' AND acknowledge_by < $1) OR feedback_by < $1)";

/// The case `$1` may be purged: closed, not on legal hold, and no reporter content dated on
/// or after `$2`.
fn purgeable() -> String {
    format!(
        "id = $1 AND status LIKE 'closed%' AND held_review_on IS NULL AND NOT EXISTS \
         (SELECT 1 FROM events WHERE case_id = $1 AND kind IN ({REPORTER_CONTENT_KINDS}) AND on_date >= $2)"
    )
}

/// Closed cases with their closure date, newest reporter content and hold; `and` narrows it.
fn closed_case_select(and: &str) -> String {
    format!(
        "SELECT c.id, c.kind, \
         (SELECT MIN(e.on_date) FROM events e WHERE e.case_id = c.id AND e.status LIKE 'closed%') AS closed_on, \
         (SELECT MAX(e.on_date) FROM events e WHERE e.case_id = c.id AND e.kind IN ({REPORTER_CONTENT_KINDS})) \
         AS content_on, c.held_review_on \
         FROM cases c WHERE c.status LIKE 'closed%' {and} ORDER BY c.id"
    )
}

/// PostgreSQL `TEXT` cannot hold NUL, so no stored id contains one. Such an id (only a
/// hostile path segment can carry it) names nothing, on both databases, instead of an error.
pub(super) fn storable(id: &str) -> bool {
    !id.contains('\0')
}

impl<B: Exec> SqlStore<B> {
    pub(super) async fn conn(&self) -> Result<PoolConnection<B>, StoreError> {
        Ok(self.pool.acquire().await?)
    }

    /// Escalates one case if it is still overdue and not escalated, in its own transaction.
    /// The guard is checked again under the write lock: another node may have escalated
    /// it, or a reviewer closed it, since the candidates were read.
    async fn escalate_one(
        &self,
        id: &str,
        today: Date,
        attest: Option<&EventSigner>,
    ) -> Result<bool, StoreError> {
        let _turn = self.turns.take().await;
        let mut tx = B::begin_write(&self.pool).await?;
        let sql = format!("UPDATE cases SET escalated = TRUE WHERE id = $2 AND {OVERDUE} RETURNING status");
        let stmt = Stmt::new(sql).bind(today).bind(id);
        let Some((status,)) = B::fetch_optional::<(String,)>(&mut *tx, stmt).await? else {
            return Ok(false);
        };
        let event = NewEvent {
            kind: EventKind::Escalated,
            actor: None,
            detail: "{}".into(),
            signed: None,
            attest: attest.cloned(),
        };
        append_event::<B>(&mut *tx, id, today, parse_name(&status)?, &event).await?;
        tx.commit().await?;
        Ok(true)
    }
}

/// Per agency, centre, questionnaire version and criterion: answers, their sum, and "not
/// applicable" answers; junk never counts. NULL centres sort first on both databases.
const RATING_SUMMARY: &str = "SELECT c.agency, c.centre, r.questionnaire, CAST(r.version AS BIGINT), \
     r.criterion, c.commissioned, CAST(COUNT(r.value) AS BIGINT), CAST(COALESCE(SUM(r.value), 0) AS BIGINT), \
     CAST(SUM(CASE WHEN r.value IS NULL THEN 1 ELSE 0 END) AS BIGINT) \
     FROM ratings r JOIN cases c ON c.id = r.case_id \
     WHERE c.received_on >= $1 AND c.received_on <= $2 AND c.status <> 'closed_spam' \
     AND ($3 IS NULL OR c.agency = $3) \
     GROUP BY c.agency, c.centre, r.questionnaire, r.version, r.criterion, c.commissioned \
     ORDER BY c.agency, COALESCE(c.centre, ''), r.questionnaire, 4, r.criterion, c.commissioned";

type SummaryRow = (String, Option<String>, String, i64, String, bool, i64, i64, i64);

#[async_trait::async_trait]
impl<B: Exec> Store for SqlStore<B> {
    async fn publish(&self, from: Date, to: Date, signed: &str) -> Result<bool, StoreError> {
        let stmt = Stmt::new(
            "INSERT INTO publications (period_from, period_to, signed) VALUES ($1, $2, $3) \
             ON CONFLICT (period_from) DO NOTHING",
        )
        .bind(from)
        .bind(to)
        .bind(signed);
        Ok(B::execute(&mut *self.conn().await?, stmt).await? == 1)
    }

    async fn publications(&self) -> Result<Vec<String>, StoreError> {
        let stmt = Stmt::new("SELECT signed FROM publications ORDER BY period_from DESC");
        let rows: Vec<(String,)> = B::fetch_all(&mut *self.conn().await?, stmt).await?;
        Ok(rows.into_iter().map(|(s,)| s).collect())
    }

    async fn put_improvement(&self, id: &str, agency: &str, signed: &str) -> Result<(), StoreError> {
        let stmt = Stmt::new(
            "INSERT INTO improvement_periods (id, agency, signed) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET signed = excluded.signed",
        )
        .bind(id)
        .bind(agency)
        .bind(signed);
        B::execute(&mut *self.conn().await?, stmt).await?;
        Ok(())
    }

    async fn improvements(&self) -> Result<Vec<(String, String)>, StoreError> {
        let stmt = Stmt::new("SELECT agency, signed FROM improvement_periods ORDER BY id");
        Ok(B::fetch_all(&mut *self.conn().await?, stmt).await?)
    }

    async fn rating_summary(&self, f: &RatingFilter) -> Result<Vec<RatingSummary>, StoreError> {
        let stmt = Stmt::new(RATING_SUMMARY).bind(f.from).bind(f.to).bind(f.agency.as_deref());
        let rows: Vec<SummaryRow> = B::fetch_all(&mut *self.conn().await?, stmt).await?;
        Ok(rows
            .into_iter()
            .map(|(agency, centre, questionnaire, version, criterion, commissioned, answered, sum, na)| {
                RatingSummary {
                    agency,
                    centre,
                    questionnaire,
                    version,
                    criterion,
                    commissioned,
                    answered,
                    sum,
                    not_applicable: na,
                }
            })
            .collect())
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        B::migrate(&self.pool).await
    }

    async fn insert_case(&self, c: &NewCase) -> Result<(), StoreError> {
        let _turn = self.turns.take().await;
        let mut tx = B::begin_write(&self.pool).await?;
        insert_case_row::<B>(&mut *tx, c).await?;
        let envelope =
            NewEnvelope { id: c.envelope_id.clone(), part: Part::Report, ciphertext: c.ciphertext.clone() };
        insert_envelope::<B>(&mut *tx, &c.id, c.received_on, &envelope).await?;
        claim_upload::<B>(&mut *tx, &c.id, &c.envelope_id, c.attachments.as_ref()).await?;
        let event = NewEvent {
            kind: EventKind::Submitted,
            actor: None,
            detail: submitted_detail(c),
            signed: None,
            attest: c.attest.clone(),
        };
        append_event::<B>(&mut *tx, &c.id, c.received_on, Status::Received, &event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn credentials(&self, lookup_index: &[u8; 32]) -> Result<Option<CaseCredentials>, StoreError> {
        let stmt = Stmt::new(
            "SELECT id, pepper_id, kdf_salt, kdf_params, verifier FROM cases WHERE lookup_index = $1",
        )
        .bind(&lookup_index[..]);
        B::fetch_optional(&mut *self.conn().await?, stmt).await
    }

    async fn case_meta(&self, id: &str) -> Result<Option<CaseMeta>, StoreError> {
        if !storable(id) {
            return Ok(None);
        }
        Ok(records::case_metas::<B>(&mut *self.conn().await?, &CaseFilter::case(id)).await?.pop())
    }

    async fn case_metas(&self, filter: &CaseFilter) -> Result<Vec<CaseMeta>, StoreError> {
        records::case_metas::<B>(&mut *self.conn().await?, filter).await
    }

    async fn records(&self, filter: &CaseFilter) -> Result<Vec<CaseRecord>, StoreError> {
        let mut tx = B::begin_snapshot(&self.pool).await?;
        let out = records::records::<B>(&mut *tx, filter).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn heads(&self, filter: &CaseFilter) -> Result<Vec<records::CaseHeadRow>, StoreError> {
        records::heads::<B>(&mut *self.conn().await?, filter).await
    }

    async fn count_cases(&self, filter: &CaseFilter) -> Result<u64, StoreError> {
        records::count_cases::<B>(&mut *self.conn().await?, filter).await
    }

    async fn envelopes(&self, case_id: &str, parts: &[Part]) -> Result<Vec<StoredEnvelope>, StoreError> {
        if !storable(case_id) || parts.is_empty() {
            return Ok(Vec::new());
        }
        // Filtered in SQL: a status check must not load the report's ciphertext just to drop it.
        let mut stmt =
            Stmt::new(format!("SELECT {ENVELOPE_COLUMNS} FROM envelopes WHERE case_id = $1 AND part IN ("))
                .bind(case_id);
        for (i, part) in parts.iter().enumerate() {
            stmt.push(if i == 0 { "" } else { ", " }).push_bind(part.as_str());
        }
        stmt.push(") ORDER BY seq");
        convert(B::fetch_all::<EnvelopeRow>(&mut *self.conn().await?, stmt).await?)
    }

    async fn exclusions(&self, case_id: &str) -> Result<Vec<String>, StoreError> {
        let stmt = Stmt::new("SELECT reviewer_id FROM exclusions WHERE case_id = $1 ORDER BY reviewer_id")
            .bind(case_id);
        let rows: Vec<(String,)> = B::fetch_all(&mut *self.conn().await?, stmt).await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    async fn apply(&self, c: &Change) -> Result<(), StoreError> {
        if !storable(&c.case_id) {
            return Err(StoreError::Conflict);
        }
        let _turn = self.turns.take().await;
        let mut tx = B::begin_write(&self.pool).await?;
        update_case::<B>(&mut *tx, c).await?;
        check_head::<B>(&mut *tx, &c.case_id, c.head.as_deref()).await?;
        if let Some(envelope) = &c.envelope {
            insert_envelope::<B>(&mut *tx, &c.case_id, c.on, envelope).await?;
            claim_upload::<B>(&mut *tx, &c.case_id, &envelope.id, c.attachments.as_ref()).await?;
        }
        for rewrap in &c.rewraps {
            replace_ciphertext::<B>(&mut *tx, &c.case_id, rewrap).await?;
        }
        if let Some(custody) = &c.custody {
            super::custody::apply::<B>(&mut *tx, &c.case_id, custody).await?;
        }
        append_event::<B>(&mut *tx, &c.case_id, c.on, c.new_status, &c.event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn escalate_overdue(
        &self,
        today: Date,
        attest: Option<&EventSigner>,
    ) -> Result<Vec<String>, StoreError> {
        let stmt =
            Stmt::new(format!("SELECT id FROM cases WHERE {OVERDUE} ORDER BY received_on, id")).bind(today);
        let candidates: Vec<(String,)> = B::fetch_all(&mut *self.conn().await?, stmt).await?;
        let mut done = Vec::new();
        for (id,) in candidates {
            if self.escalate_one(&id, today, attest).await? {
                done.push(id);
            }
        }
        Ok(done)
    }

    async fn use_nonce(&self, nonce: &str, expires_on: Date) -> Result<bool, StoreError> {
        let stmt = Stmt::new(
            "INSERT INTO nonces (nonce, expires_on) VALUES ($1, $2) ON CONFLICT (nonce) DO NOTHING",
        )
        .bind(nonce)
        .bind(expires_on);
        Ok(B::execute(&mut *self.conn().await?, stmt).await? == 1)
    }

    async fn purge_nonces(&self, today: Date) -> Result<u64, StoreError> {
        let stmt = Stmt::new("DELETE FROM nonces WHERE expires_on < $1").bind(today);
        B::execute(&mut *self.conn().await?, stmt).await
    }

    async fn closed_cases(&self) -> Result<Vec<ClosedCase>, StoreError> {
        let stmt = Stmt::new(closed_case_select(""));
        convert(B::fetch_all::<ClosedCaseRow>(&mut *self.conn().await?, stmt).await?)
    }

    async fn closed_case(&self, id: &str) -> Result<Option<ClosedCase>, StoreError> {
        if !storable(id) {
            return Ok(None);
        }
        let stmt = Stmt::new(closed_case_select("AND c.id = $1")).bind(id);
        convert(B::fetch_all::<ClosedCaseRow>(&mut *self.conn().await?, stmt).await?).map(|mut v| v.pop())
    }

    async fn delete_closed_case(&self, id: &str, quiet_since: Date, today: Date) -> Result<bool, StoreError> {
        if !storable(id) {
            return Ok(false);
        }
        let _turn = self.turns.take().await;
        let mut tx = B::begin_write(&self.pool).await?;
        // Held until the commit, so no rating, follow-up or hold commits between the check and
        // the delete; foreign keys cascade the delete to envelopes, history and files.
        B::lock_case(&mut tx, id).await?;
        // Same condition as the delete below, in the same transaction: the code's credentials
        // are kept exactly when the case goes. A lookup index a later case reused (and lost to
        // a purge in turn) now answers for the later case.
        let keep = Stmt::new(format!(
            "INSERT INTO purged_codes (lookup_index, pepper_id, kdf_salt, kdf_params, verifier, purged_on) \
             SELECT lookup_index, pepper_id, kdf_salt, kdf_params, verifier, $3 FROM cases WHERE {} \
             ON CONFLICT (lookup_index) DO UPDATE SET pepper_id = excluded.pepper_id, \
             kdf_salt = excluded.kdf_salt, kdf_params = excluded.kdf_params, \
             verifier = excluded.verifier, purged_on = excluded.purged_on",
            purgeable()
        ))
        .bind(id)
        .bind(quiet_since)
        .bind(today);
        B::execute(&mut *tx, keep).await?;
        // The pieces first, under the same guard: on SQLite they are in another file, which
        // the case's cascade does not reach (`pieces_file`).
        let pieces = Stmt::new(format!(
            "{PIECES_OF} (SELECT id FROM attachments WHERE case_id = $1) AND EXISTS (SELECT 1 FROM cases WHERE {})",
            purgeable()
        ))
        .bind(id)
        .bind(quiet_since);
        B::execute(&mut *tx, pieces).await?;
        let stmt = Stmt::new(format!("DELETE FROM cases WHERE {}", purgeable())).bind(id).bind(quiet_since);
        let deleted = B::execute(&mut *tx, stmt).await?;
        if deleted == 1 {
            // The tombstone homes learn the purge from (an incremental pull sends it).
            let stmt = Stmt::new(
                "INSERT INTO purged_cases (case_sha256, purged_on) VALUES ($1, $2) \
                 ON CONFLICT (case_sha256) DO UPDATE SET purged_on = excluded.purged_on",
            )
            .bind(amana_core::wire::Tombstone::key_of(id))
            .bind(today);
            B::execute(&mut *tx, stmt).await?;
        }
        tx.commit().await?;
        Ok(deleted == 1)
    }

    async fn purged_code(&self, lookup_index: &[u8; 32]) -> Result<Option<PurgedCode>, StoreError> {
        let stmt = Stmt::new(
            "SELECT pepper_id, kdf_salt, kdf_params, verifier, purged_on FROM purged_codes \
             WHERE lookup_index = $1",
        )
        .bind(&lookup_index[..]);
        let row: Option<PurgedRow> = B::fetch_optional(&mut *self.conn().await?, stmt).await?;
        row.map(PurgedCode::try_from).transpose()
    }

    async fn forget_purged_codes(&self, before: Date) -> Result<u64, StoreError> {
        let mut tx = B::begin_write(&self.pool).await?;
        let stmt = Stmt::new("DELETE FROM purged_cases WHERE purged_on < $1").bind(before);
        B::execute(&mut *tx, stmt).await?;
        let stmt = Stmt::new("DELETE FROM purged_codes WHERE purged_on < $1").bind(before);
        let n = B::execute(&mut *tx, stmt).await?;
        tx.commit().await?;
        Ok(n)
    }

    async fn tombstones(&self, since: Date) -> Result<Vec<(String, Date)>, StoreError> {
        let stmt = Stmt::new(
            "SELECT case_sha256, purged_on FROM purged_cases WHERE purged_on >= $1 ORDER BY case_sha256",
        )
        .bind(since);
        let rows: Vec<(String, String)> = B::fetch_all(&mut *self.conn().await?, stmt).await?;
        rows.into_iter().map(|(id, on)| Ok((id, super::rows::parse_date(&on)?))).collect()
    }

    async fn scrub(&self) -> Result<bool, StoreError> {
        B::scrub(&self.pool).await
    }
}
