//! The statements of a write transaction: a case's row, its envelopes, its files and its
//! hash chain. Each takes the open transaction's connection; the caller chose how the
//! transaction began ([`Backend::begin_write`](super::backend::Backend::begin_write)).

use amana_core::case::Status;
use time::Date;

use super::attachments::check_claim;
use super::backend::{Exec, Stmt};
use super::rows::parse_date;
use super::{
    link_event, Change, EnvelopeRewrap, HoldChange, NewCase, NewEnvelope, NewEvent, SpentVisit, StoreError,
    UploadClaim,
};

/// Inserts the case row; a taken lookup index is [`StoreError::LookupCollision`].
pub async fn insert_case_row<B: Exec>(conn: &mut B::Connection, c: &NewCase) -> Result<(), StoreError> {
    let stmt = Stmt::new(
        "INSERT INTO cases (id, kind, agency, oversight_only, status, received_on, acknowledge_by, \
         feedback_by, lookup_index, kdf_salt, kdf_params, verifier, reporter_recipient, pepper_id, centre, \
         commissioned) VALUES ($1, $2, $3, $4, 'received', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(&c.id)
    .bind(c.kind.as_str())
    .bind(&c.agency)
    .bind(c.oversight_only)
    .bind(c.received_on)
    .bind(c.deadlines.acknowledge_by)
    .bind(c.deadlines.feedback_by)
    .bind(&c.lookup_index[..])
    .bind(&c.kdf_salt)
    .bind(&c.kdf_params)
    .bind(&c.verifier)
    .bind(&c.reporter_recipient)
    .bind(c.pepper_id)
    .bind(c.evaluation.centre.as_deref())
    .bind(c.evaluation.visit.is_some());
    match B::execute(conn, stmt).await {
        Err(StoreError::Database(sqlx::Error::Database(e))) if e.is_unique_violation() => {
            return Err(StoreError::LookupCollision)
        }
        other => other.map(|_| ())?,
    }
    spend_visit::<B>(conn, c.evaluation.visit.as_ref()).await?;
    insert_ratings::<B>(conn, c).await
}

/// Records a visit token as used; a second use is refused with nothing committed.
async fn spend_visit<B: Exec>(
    conn: &mut B::Connection,
    visit: Option<&SpentVisit>,
) -> Result<(), StoreError> {
    let Some(v) = visit else { return Ok(()) };
    let stmt =
        Stmt::new("INSERT INTO spent_visits (id, expires_on) VALUES ($1, $2)").bind(&v.id).bind(v.expires_on);
    match B::execute(conn, stmt).await {
        Err(StoreError::Database(sqlx::Error::Database(e))) if e.is_unique_violation() => {
            Err(StoreError::VisitSpent)
        }
        other => other.map(|_| ()),
    }
}

/// One row per answer of an evaluation (none for other kinds).
async fn insert_ratings<B: Exec>(conn: &mut B::Connection, c: &NewCase) -> Result<(), StoreError> {
    let Some(a) = &c.evaluation.answers else { return Ok(()) };
    for (criterion, value) in &a.ratings {
        let stmt = Stmt::new(
            "INSERT INTO ratings (case_id, questionnaire, version, criterion, value) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&c.id)
        .bind(&a.questionnaire)
        .bind(i64::from(a.version))
        .bind(criterion)
        .bind(value.map(i16::from));
        B::execute(conn, stmt).await?;
    }
    Ok(())
}

/// The compare-and-set on the case row, with the change's guards. It must stay the first
/// statement of a change: on PostgreSQL it takes the row lock that orders concurrent
/// changes to the same case (SQLite's `BEGIN IMMEDIATE` orders every writer).
pub async fn update_case<B: Exec>(conn: &mut B::Connection, c: &Change) -> Result<(), StoreError> {
    let stmt = Stmt::new(
        "UPDATE cases SET status = $1, acknowledged_on = COALESCE($2, acknowledged_on), \
         acknowledge_by = COALESCE($3, acknowledge_by), feedback_by = COALESCE($4, feedback_by), \
         extension_days = COALESCE($5, extension_days), rating = COALESCE($6, rating), \
         follow_ups = follow_ups + $7, \
         held_review_on = CASE $11 WHEN 'set' THEN $12 WHEN 'clear' THEN NULL ELSE held_review_on END \
         WHERE id = $8 AND status = $9 AND ($6 IS NULL OR rating IS NULL) \
         AND ($10 IS NULL OR follow_ups < $10) \
         AND ($11 <> 'set' OR held_review_on IS NULL) AND ($11 <> 'clear' OR held_review_on IS NOT NULL)",
    )
    .bind(c.new_status.as_str())
    .bind(c.acknowledged_on)
    .bind(c.deadlines.map(|d| d.acknowledge_by))
    .bind(c.deadlines.map(|d| d.feedback_by))
    .bind(c.extension_days)
    .bind(c.rating.map(i16::from))
    .bind(i64::from(c.follow_up_cap.is_some()))
    .bind(&c.case_id)
    .bind(c.expect_status.as_str())
    .bind(c.follow_up_cap)
    .bind(match c.hold {
        HoldChange::Keep => "keep",
        HoldChange::Set(_) => "set",
        HoldChange::Clear => "clear",
    })
    .bind(match c.hold {
        HoldChange::Set(review_on) => Some(review_on),
        HoldChange::Keep | HoldChange::Clear => None,
    });
    exactly_one(B::execute(conn, stmt).await?)
}

/// Refuses the change unless `head` is the hash of an event of the case. Inside the
/// change's transaction, after the case row is written, so it holds at the commit (a chain
/// only grows anyway).
pub async fn check_head<B: Exec>(
    conn: &mut B::Connection,
    case_id: &str,
    head: Option<&str>,
) -> Result<(), StoreError> {
    let Some(head) = head else { return Ok(()) };
    let stmt = Stmt::new("SELECT seq FROM events WHERE case_id = $1 AND hash = $2").bind(case_id).bind(head);
    let found: Option<(i64,)> = B::fetch_optional(conn, stmt).await?;
    found.map(|_| ()).ok_or(StoreError::UnknownHead)
}

/// Appends an envelope after the case's last one.
pub async fn insert_envelope<B: Exec>(
    conn: &mut B::Connection,
    case_id: &str,
    on: Date,
    e: &NewEnvelope,
) -> Result<(), StoreError> {
    let stmt = Stmt::new(
        "INSERT INTO envelopes (id, case_id, seq, part, created_on, ciphertext) \
         SELECT $1, $2, COALESCE(MAX(seq), -1) + 1, $3, $4, $5 FROM envelopes WHERE case_id = $2",
    )
    .bind(&e.id)
    .bind(case_id)
    .bind(e.part.as_str())
    .bind(on)
    .bind(&e.ciphertext);
    B::execute(conn, stmt).await?;
    Ok(())
}

/// Replaces one envelope's ciphertext; an id of another case (or none) refuses the change,
/// so a rewrap can never touch a case its signer was not scoped to.
pub async fn replace_ciphertext<B: Exec>(
    conn: &mut B::Connection,
    case_id: &str,
    r: &EnvelopeRewrap,
) -> Result<(), StoreError> {
    let stmt = Stmt::new("UPDATE envelopes SET ciphertext = $1 WHERE id = $2 AND case_id = $3")
        .bind(&r.ciphertext)
        .bind(&r.id)
        .bind(case_id);
    exactly_one(B::execute(conn, stmt).await?)
}

/// Takes over an upload's complete files for the envelope; all `claim.count` or nothing.
pub async fn claim_upload<B: Exec>(
    conn: &mut B::Connection,
    case_id: &str,
    envelope_id: &str,
    claim: Option<&UploadClaim>,
) -> Result<(), StoreError> {
    let Some(claim) = claim else { return Ok(()) };
    let stmt = Stmt::new(
        "UPDATE attachments SET case_id = $1, envelope_id = $2, upload_id = NULL \
         WHERE upload_id = $3 AND case_id IS NULL AND meta IS NOT NULL",
    )
    .bind(case_id)
    .bind(envelope_id)
    .bind(&claim.upload_id);
    if B::execute(&mut *conn, stmt).await? != claim.count {
        return Err(StoreError::Conflict);
    }
    check_claim::<B>(conn, case_id, envelope_id, claim).await
}

/// Appends an event to the case's chain. The caller's transaction keeps the head from
/// moving before the insert commits (the row lock on PostgreSQL, the write lock on SQLite).
pub async fn append_event<B: Exec>(
    conn: &mut B::Connection,
    case_id: &str,
    on: Date,
    status: Status,
    e: &NewEvent,
) -> Result<(), StoreError> {
    let stmt =
        Stmt::new("SELECT seq, hash, on_date FROM events WHERE case_id = $1 ORDER BY seq DESC LIMIT 1")
            .bind(case_id);
    let prev: Option<(i64, String, String)> = B::fetch_optional(&mut *conn, stmt).await?;
    let prev = prev.map(|(seq, hash, on)| Ok::<_, StoreError>((seq, hash, parse_date(&on)?))).transpose()?;
    let ev = link_event(case_id, prev, on, status, e);
    let stmt = Stmt::new(
        "INSERT INTO events (case_id, seq, on_date, kind, status, actor, detail, signed, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(case_id)
    .bind(ev.seq)
    .bind(ev.on)
    .bind(ev.kind.as_str())
    .bind(ev.status.as_str())
    .bind(ev.actor.as_deref())
    .bind(ev.detail.as_str())
    .bind(ev.signed.as_deref())
    .bind(ev.prev_hash.as_str())
    .bind(ev.hash.as_str());
    B::execute(&mut *conn, stmt).await?;
    // The cursor of incremental pulls: every change appends an event, so the date of the
    // newest one is the date the case last changed (never earlier than before: see
    // `link_event`).
    let stmt = Stmt::new("UPDATE cases SET changed_on = $1 WHERE id = $2").bind(ev.on).bind(case_id);
    B::execute(conn, stmt).await?;
    Ok(())
}

/// A guarded statement changed its one row, or the change is refused.
fn exactly_one(rows: u64) -> Result<(), StoreError> {
    if rows == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict)
    }
}
