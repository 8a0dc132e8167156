//! Signed state changes: status, replies, extensions.

use super::*;
use amana_core::custody;

fn check_transition(from: Status, to: Status) -> Result<(), ApiError> {
    if from.can_move_to(to) {
        return Ok(());
    }
    let allowed: Vec<&str> = from.next_allowed().into_iter().map(Status::as_str).collect();
    Err(ApiError::Conflict(format!(
        "cannot move a case from {from} to {to}; allowed next: {}",
        if allowed.is_empty() { "none (closed)".to_string() } else { allowed.join(", ") }
    )))
}

fn note(b64: Option<&str>) -> Result<Option<NewEnvelope>, ApiError> {
    b64.map(|b| Ok(NewEnvelope { id: random_id(), part: Part::Note, ciphertext: age_upload(b, "note")? }))
        .transpose()
}

/// `POST /api/v1/review/cases/{id}/status` with [`StatusChange`].
pub async fn set_status(
    State(state): State<AppState>,
    case_path: CasePath,
    req: Signed,
) -> Result<StatusCode, ApiError> {
    let req = req.verify(&state, &case_path.route(paths::status)).await?;
    let (head, body) = (req.head()?, req.json::<StatusChange>()?);
    let v = &req.by;
    let case = scoped_case(&state, v, &case_path).await?;
    check_transition(case.status, body.status)?;
    let today = state.today();
    let envelope = note(body.note_age_b64.as_deref())?;
    let detail =
        serde_json::json!({ "from": case.status, "envelope_id": envelope.as_ref().map(|e| e.id.clone()) });
    let mut change = Change::event_only(&case, today, reviewer_event(EventKind::StatusChanged, v, detail));
    change.new_status = body.status;
    change.envelope = envelope;
    change.head = Some(head);
    if body.status == Status::Acknowledged {
        // Feedback is due counted from the acknowledgement (docs: deadlines).
        let k = state.deadlines.for_kind(case.kind);
        change.acknowledged_on = Some(today);
        // After a transfer, the new agency's deadlines count from the transfer (issue 15).
        let (from, _) = custody::deadline_basis(case.received_on, None, case.transferred_on);
        change.deadlines = Some(deadlines::compute(k, from, Some(today), case.extension_days));
    }
    apply(&state, change).await
}

/// `POST /api/v1/review/cases/{id}/replies` with [`ReplyUpload`].
pub async fn reply(
    State(state): State<AppState>,
    case_path: CasePath,
    req: Signed,
) -> Result<StatusCode, ApiError> {
    let req = req.verify(&state, &case_path.route(paths::replies)).await?;
    let (head, body) = (req.head()?, req.json::<ReplyUpload>()?);
    let v = &req.by;
    let case = scoped_case(&state, v, &case_path).await?;
    let envelope =
        NewEnvelope { id: random_id(), part: Part::Reply, ciphertext: age_upload(&body.age_b64, "reply")? };
    let detail = serde_json::json!({ "envelope_id": envelope.id });
    let mut change = Change::event_only(&case, state.today(), reviewer_event(EventKind::Reply, v, detail));
    change.envelope = Some(envelope);
    change.head = Some(head);
    apply(&state, change).await.map(|_| StatusCode::CREATED)
}

/// `POST /api/v1/review/cases/{id}/extend` with [`Extension`].
pub async fn extend(
    State(state): State<AppState>,
    case_path: CasePath,
    req: Signed,
) -> Result<StatusCode, ApiError> {
    let req = req.verify(&state, &case_path.route(paths::extend)).await?;
    let (head, body) = (req.head()?, req.json::<Extension>()?);
    let v = &req.by;
    let case = scoped_case(&state, v, &case_path).await?;
    if case.status.is_closed() {
        return Err(ApiError::Conflict("a closed case has no deadline to extend".into()));
    }
    // Checked before any arithmetic: `days` comes from the client.
    let total = (1..=MAX_EXTENSION_DAYS)
        .contains(&body.days)
        .then(|| case.extension_days.checked_add(body.days))
        .flatten()
        .unwrap_or(i64::MAX);
    if total > MAX_EXTENSION_DAYS {
        return Err(ApiError::BadRequest(format!(
            "extensions must be at least 1 day and at most {MAX_EXTENSION_DAYS} days in all ({} used)",
            case.extension_days
        )));
    }
    let envelope = NewEnvelope {
        id: random_id(),
        part: Part::Note,
        ciphertext: age_upload(&body.reason_age_b64, "reason")?,
    };
    let k = state.deadlines.for_kind(case.kind);
    let (from, acknowledged) =
        custody::deadline_basis(case.received_on, case.acknowledged_on, case.transferred_on);
    let new = deadlines::compute(k, from, acknowledged, total);
    let detail =
        serde_json::json!({ "days": body.days, "feedback_by": new.feedback_by, "envelope_id": envelope.id });
    let mut change = Change::event_only(&case, state.today(), reviewer_event(EventKind::Extended, v, detail));
    change.extension_days = Some(total);
    change.deadlines = Some(new);
    change.envelope = Some(envelope);
    change.head = Some(head);
    apply(&state, change).await
}
