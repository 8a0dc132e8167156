//! Every row the store reads, mapped once for both databases: each struct's `FromRow`
//! decodes the columns (the schema gives them the same Rust types on SQLite and
//! PostgreSQL), and its conversion checks what the columns hold.

use amana_core::deadlines::Deadlines;
use amana_core::events::Event;
use time::Date;

use super::{CaseMeta, ClosedCase, StoreError, StoredAttachment, StoredEnvelope};

/// The columns of [`MetaRow`], for `SELECT`.
pub const META_COLUMNS: &str = "id, kind, agency, oversight_only, status, received_on, acknowledged_on, \
     acknowledge_by, feedback_by, extension_days, escalated, rating, follow_ups, reporter_recipient, held_review_on, \
     holder, transferred_on";

/// The columns of [`EventRow`].
pub const EVENT_COLUMNS: &str = "case_id, seq, on_date, kind, status, actor, detail, signed, prev_hash, hash";

/// The columns of [`EnvelopeRow`].
pub const ENVELOPE_COLUMNS: &str = "case_id, id, part, created_on, ciphertext";

/// The columns of [`AttachmentRow`], of `attachments a`.
pub const ATTACHMENT_COLUMNS: &str = "a.case_id, a.id, a.envelope_id, a.created_on, a.size, a.pieces, a.meta";

pub fn parse_date(s: &str) -> Result<Date, StoreError> {
    Date::parse(s, &time::format_description::well_known::Iso8601::DATE)
        .map_err(|_| StoreError::Corrupt(format!("bad date `{s}`")))
}

pub fn parse_name<T: std::str::FromStr>(s: &str) -> Result<T, StoreError> {
    s.parse().map_err(|_| StoreError::Corrupt(format!("bad name `{s}`")))
}

fn parse_serde<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|_| StoreError::Corrupt(format!("bad name `{s}`")))
}

/// One `cases` row, as [`META_COLUMNS`] selects it.
#[derive(sqlx::FromRow)]
pub struct MetaRow {
    id: String,
    kind: String,
    agency: String,
    oversight_only: bool,
    status: String,
    received_on: String,
    acknowledge_by: String,
    feedback_by: String,
    extension_days: i64,
    follow_ups: i64,
    reporter_recipient: String,
    acknowledged_on: Option<String>,
    rating: Option<i16>,
    escalated: bool,
    held_review_on: Option<String>,
    holder: Option<String>,
    transferred_on: Option<String>,
}

impl TryFrom<MetaRow> for CaseMeta {
    type Error = StoreError;

    fn try_from(r: MetaRow) -> Result<Self, StoreError> {
        let deadlines = Deadlines {
            acknowledge_by: parse_date(&r.acknowledge_by)?,
            feedback_by: parse_date(&r.feedback_by)?,
        };
        Ok(CaseMeta {
            kind: parse_name(&r.kind)?,
            status: parse_name(&r.status)?,
            received_on: parse_date(&r.received_on)?,
            acknowledged_on: r.acknowledged_on.as_deref().map(parse_date).transpose()?,
            transferred_on: r.transferred_on.as_deref().map(parse_date).transpose()?,
            holder: r.holder,
            deadlines,
            // The schema allows 1 to 5 only.
            rating: r.rating.map(|v| v.clamp(0, 5) as u8),
            id: r.id,
            agency: r.agency,
            oversight_only: r.oversight_only,
            extension_days: r.extension_days,
            escalated: r.escalated,
            follow_ups: r.follow_ups,
            reporter_recipient: r.reporter_recipient,
            held_review_on: r.held_review_on.as_deref().map(parse_date).transpose()?,
        })
    }
}

/// One `events` row, as [`EVENT_COLUMNS`] selects it.
#[derive(sqlx::FromRow)]
pub struct EventRow {
    pub case_id: String,
    seq: i64,
    on_date: String,
    kind: String,
    status: String,
    actor: Option<String>,
    detail: String,
    signed: Option<String>,
    prev_hash: String,
    hash: String,
}

impl TryFrom<EventRow> for Event {
    type Error = StoreError;

    fn try_from(r: EventRow) -> Result<Self, StoreError> {
        let EventRow { case_id: _, seq, on_date, kind, status, actor, detail, signed, prev_hash, hash } = r;
        let (on, kind, status) = (parse_date(&on_date)?, parse_serde(&kind)?, parse_name(&status)?);
        Ok(Event { seq, on, kind, status, actor, detail, signed, prev_hash, hash })
    }
}

/// One `envelopes` row, as [`ENVELOPE_COLUMNS`] selects it.
#[derive(sqlx::FromRow)]
pub struct EnvelopeRow {
    pub case_id: String,
    id: String,
    part: String,
    created_on: String,
    ciphertext: Vec<u8>,
}

impl TryFrom<EnvelopeRow> for StoredEnvelope {
    type Error = StoreError;

    fn try_from(r: EnvelopeRow) -> Result<Self, StoreError> {
        let EnvelopeRow { case_id: _, id, part, created_on, ciphertext } = r;
        Ok(StoredEnvelope { id, part: parse_serde(&part)?, created_on: parse_date(&created_on)?, ciphertext })
    }
}

/// One committed `attachments` row, as [`ATTACHMENT_COLUMNS`] selects it.
#[derive(sqlx::FromRow)]
pub struct AttachmentRow {
    pub case_id: String,
    id: String,
    envelope_id: String,
    created_on: String,
    size: i64,
    meta: Vec<u8>,
    pieces: i64,
}

impl TryFrom<AttachmentRow> for StoredAttachment {
    type Error = StoreError;

    fn try_from(r: AttachmentRow) -> Result<Self, StoreError> {
        let AttachmentRow { case_id: _, id, envelope_id, created_on, size, meta, pieces } = r;
        let size = u64::try_from(size).map_err(|_| StoreError::Corrupt("size".into()))?;
        Ok(StoredAttachment { id, envelope_id, created_on: parse_date(&created_on)?, size, pieces, meta })
    }
}

/// One row of the `closed_cases` query.
#[derive(sqlx::FromRow)]
pub struct ClosedCaseRow {
    id: String,
    kind: String,
    closed_on: Option<String>,
    content_on: Option<String>,
    held_review_on: Option<String>,
}

impl TryFrom<ClosedCaseRow> for ClosedCase {
    type Error = StoreError;

    fn try_from(r: ClosedCaseRow) -> Result<Self, StoreError> {
        let ClosedCaseRow { id, kind, closed_on, content_on, held_review_on } = r;
        let date = |v: Option<String>, what: &str| {
            parse_date(&v.ok_or_else(|| StoreError::Corrupt(format!("closed case {id} has no {what}")))?)
        };
        let (closed_on, last_reporter_content_on) =
            (date(closed_on, "closed_on")?, date(content_on, "content_on")?);
        let held = held_review_on.is_some();
        Ok(ClosedCase { kind: parse_name(&kind)?, closed_on, last_reporter_content_on, held, id })
    }
}

/// Converts every row; the first that does not convert fails the read.
pub fn convert<R, T: TryFrom<R, Error = StoreError>>(rows: Vec<R>) -> Result<Vec<T>, StoreError> {
    rows.into_iter().map(T::try_from).collect()
}

/// One `purged_codes` row.
#[derive(sqlx::FromRow)]
pub struct PurgedRow {
    pepper_id: i32,
    kdf_salt: Vec<u8>,
    kdf_params: String,
    verifier: Vec<u8>,
    purged_on: String,
}

impl TryFrom<PurgedRow> for super::PurgedCode {
    type Error = StoreError;

    fn try_from(r: PurgedRow) -> Result<Self, StoreError> {
        let credentials = super::CaseCredentials {
            id: String::new(),
            pepper_id: r.pepper_id,
            kdf_salt: r.kdf_salt,
            kdf_params: r.kdf_params,
            verifier: r.verifier,
        };
        Ok(super::PurgedCode { credentials, purged_on: parse_date(&r.purged_on)? })
    }
}
