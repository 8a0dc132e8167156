//! Legal hold: oversight keeps a case from retention purge (`amana-review hold`/`release`).
//! Oversight keys only — an agency reviewer gets 403, and every reviewer home refuses a
//! `held` or `released` event signed by any other key (docs/FORMATS.md §9).

use amana_core::wire::{HoldRelease, LegalHold};

use super::*;
use crate::store::HoldChange;

/// `POST /api/v1/review/cases/{id}/hold` with [`LegalHold`]: the reason is a note for the
/// case's reviewers (encrypted; the server cannot read it), the review date is in clear.
pub async fn hold(
    State(state): State<AppState>,
    case_path: CasePath,
    req: Signed,
) -> Result<StatusCode, ApiError> {
    let req = req.verify(&state, &case_path.route(paths::hold)).await?;
    let v = &req.by;
    if !v.reviewer.entry.oversight {
        return Err(ApiError::Forbidden);
    }
    let (head, body) = (req.head()?, req.json::<LegalHold>()?);
    let case = scoped_case(&state, v, &case_path).await?;
    let today = state.today();
    if case.held_review_on.is_some() {
        return Err(ApiError::Conflict("the case is on legal hold already; release it first".into()));
    }
    if body.review_on <= today {
        return Err(ApiError::BadRequest("review_on must be a date after today".into()));
    }
    let envelope = NewEnvelope {
        id: random_id(),
        part: Part::Note,
        ciphertext: age_upload(&body.reason_age_b64, "reason")?,
    };
    let detail = serde_json::json!({ "review_on": body.review_on, "envelope_id": envelope.id });
    let mut change = Change::event_only(&case, today, reviewer_event(EventKind::Held, v, detail));
    change.hold = HoldChange::Set(body.review_on);
    change.envelope = Some(envelope);
    change.head = Some(head);
    apply(&state, change).await
}

/// `POST /api/v1/review/cases/{id}/release` with [`HoldRelease`]: ends the hold; retention
/// applies again from the next `amana purge`.
pub async fn release(
    State(state): State<AppState>,
    case_path: CasePath,
    req: Signed,
) -> Result<StatusCode, ApiError> {
    let req = req.verify(&state, &case_path.route(paths::release)).await?;
    let v = &req.by;
    if !v.reviewer.entry.oversight {
        return Err(ApiError::Forbidden);
    }
    let (head, _) = (req.head()?, req.json::<HoldRelease>()?);
    let case = scoped_case(&state, v, &case_path).await?;
    if case.held_review_on.is_none() {
        return Err(ApiError::Conflict("the case is not on legal hold".into()));
    }
    let detail = serde_json::json!({});
    let mut change = Change::event_only(&case, state.today(), reviewer_event(EventKind::Released, v, detail));
    change.hold = HoldChange::Clear;
    change.head = Some(head);
    apply(&state, change).await
}
