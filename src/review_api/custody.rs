//! Custody actions (issue 15): transferring a case to another agency and excluding a
//! reviewer from it — oversight only, each re-encrypting the case to its new readers in the
//! same signed request — and taking or handing over a case.
//!
//! The readers a signer encrypted to must be exactly the ones this server computes with the
//! rule every home applies (`amana_core::custody`): the roster's readers of the case's
//! agency, minus the excluded. The server cannot read the new envelopes; homes check them
//! against the commitments the signed event records.

use amana_core::custody::{
    self, AssignDetail, AssignRequest, Custody, ExcludeDetail, ExcludeRequest, TransferDetail,
    TransferRequest,
};

use super::rewrap::{check_rewraps, ALL_PARTS};
use super::*;
use crate::store::CustodyChange;

/// The reviewers excluded from a case by its history (what the `exclusions` table holds,
/// written in the same transactions).
pub fn excluded(events: &[amana_core::events::Event]) -> Vec<String> {
    Custody::replay("", events).excluded
}

/// Refuses a signed reader list that is not exactly the readers of a case of `agency`
/// without `excluded` today, or that has no oversight reader.
pub(super) fn check_readers(
    state: &AppState,
    agency: &str,
    oversight_only: bool,
    excluded: &[String],
    signed: &[String],
) -> Result<(), ApiError> {
    let ours: std::collections::BTreeSet<&str> = state
        .keyring
        .readers_of(agency, oversight_only, state.today())
        .filter(|r| !excluded.contains(&r.entry.id))
        .map(|r| r.entry.id.as_str())
        .collect();
    let theirs: std::collections::BTreeSet<&str> = signed.iter().map(String::as_str).collect();
    if theirs.len() != signed.len() || ours != theirs {
        return Err(ApiError::Conflict(
            "the readers you encrypted to are not the ones the roster gives this case now: pull again \
             (the roster may have changed), and sign again"
                .into(),
        ));
    }
    let oversight = |id: &&str| state.keyring.reviewer(id).is_some_and(|r| r.entry.oversight);
    if !ours.iter().any(oversight) {
        return Err(ApiError::BadRequest("this would leave the case without an oversight reader".into()));
    }
    Ok(())
}

/// The case's envelope ids.
async fn envelope_ids(state: &AppState, case: &CaseMeta) -> Result<Vec<String>, ApiError> {
    Ok(state.store.envelopes(&case.id, &ALL_PARTS).await?.into_iter().map(|e| e.id).collect())
}

/// `POST /api/v1/review/cases/{id}/transfer` with a [`TransferRequest`] (oversight keys only).
pub async fn transfer(
    State(state): State<AppState>,
    case_path: CasePath,
    req: Signed,
) -> Result<StatusCode, ApiError> {
    let req = req.verify(&state, &case_path.route(paths::transfer)).await?;
    let v = &req.by;
    if !v.reviewer.entry.oversight {
        return Err(ApiError::Forbidden);
    }
    let (head, body) = (req.head()?, req.json::<TransferRequest>()?);
    let case = scoped_case(&state, v, &case_path).await?;
    if state.keyring.agency(&body.agency).is_none() {
        return Err(ApiError::BadRequest("no such agency: see GET /api/v1/agencies for the list".into()));
    }
    if body.agency == case.agency {
        return Err(ApiError::BadRequest("the case already belongs to that agency".into()));
    }
    let excluded = state.store.exclusions(&case.id).await?;
    check_readers(&state, &body.agency, case.oversight_only, &excluded, &body.readers)?;
    let (rewraps, records) = check_rewraps(body.envelopes, &envelope_ids(&state, &case).await?)?;
    let today = state.today();
    let k = state.deadlines.for_kind(case.kind);
    let deadlines =
        custody::transfer_deadlines(k, today, case.acknowledged_on.is_some(), case.extension_days);
    let detail = TransferDetail {
        reason: format!(
            "transferred from {} to {} on {today}: the new agency's deadlines count from this date",
            case.agency, body.agency
        ),
        from: case.agency.clone(),
        to: body.agency.clone(),
        readers: body.readers,
        envelopes: records,
        deadlines,
    };
    let detail = serde_json::to_value(detail)?;
    let mut change = Change::event_only(&case, today, reviewer_event(EventKind::Transferred, v, detail));
    change.rewraps = rewraps;
    change.deadlines = Some(deadlines);
    change.head = Some(head);
    change.custody = Some(CustodyChange::Transfer { agency: body.agency, on: today });
    apply(&state, change).await
}

/// `POST /api/v1/review/cases/{id}/exclude` with an [`ExcludeRequest`] (oversight keys only).
pub async fn exclude(
    State(state): State<AppState>,
    case_path: CasePath,
    req: Signed,
) -> Result<StatusCode, ApiError> {
    let req = req.verify(&state, &case_path.route(paths::exclude)).await?;
    let v = &req.by;
    if !v.reviewer.entry.oversight {
        return Err(ApiError::Forbidden);
    }
    let (head, body) = (req.head()?, req.json::<ExcludeRequest>()?);
    let case = scoped_case(&state, v, &case_path).await?;
    if body.reviewer == v.reviewer.entry.id {
        return Err(ApiError::BadRequest(
            "you cannot exclude yourself: ask another oversight reviewer".into(),
        ));
    }
    let mut excluded = state.store.exclusions(&case.id).await?;
    let target = state.keyring.reviewer(&body.reviewer);
    if !target.is_some_and(|r| r.may_access(&case.agency, case.oversight_only))
        || excluded.contains(&body.reviewer)
    {
        return Err(ApiError::BadRequest(
            "that key id is not a reader of this case (or is excluded already): check the roster".into(),
        ));
    }
    excluded.push(body.reviewer.clone());
    check_readers(&state, &case.agency, case.oversight_only, &excluded, &body.readers)?;
    let (rewraps, records) = check_rewraps(body.envelopes, &envelope_ids(&state, &case).await?)?;
    let detail = ExcludeDetail { reviewer: body.reviewer.clone(), readers: body.readers, envelopes: records };
    let detail = serde_json::to_value(detail)?;
    let mut change = Change::event_only(&case, state.today(), reviewer_event(EventKind::Excluded, v, detail));
    change.rewraps = rewraps;
    change.head = Some(head);
    change.custody = Some(CustodyChange::Exclude { reviewer: body.reviewer });
    apply(&state, change).await
}

/// `POST /api/v1/review/cases/{id}/assign` with an [`AssignRequest`]: any reader of the case
/// takes it (names itself) or hands it to another current reader.
pub async fn assign(
    State(state): State<AppState>,
    case_path: CasePath,
    req: Signed,
) -> Result<StatusCode, ApiError> {
    let req = req.verify(&state, &case_path.route(paths::assign)).await?;
    let v = &req.by;
    let (head, body) = (req.head()?, req.json::<AssignRequest>()?);
    let case = scoped_case(&state, v, &case_path).await?;
    let excluded = state.store.exclusions(&case.id).await?;
    let reader = state
        .keyring
        .readers_of(&case.agency, case.oversight_only, state.today())
        .any(|r| r.entry.id == body.holder && !excluded.contains(&r.entry.id));
    if !reader {
        return Err(ApiError::BadRequest(
            "that key id is not a current reader of this case: hand it to a reviewer of its agency".into(),
        ));
    }
    if case.holder.as_deref() == Some(body.holder.as_str()) {
        return Err(ApiError::Conflict(format!("{} holds this case already", body.holder)));
    }
    let detail =
        serde_json::to_value(AssignDetail { holder: body.holder.clone(), from: case.holder.clone() })?;
    let mut change = Change::event_only(&case, state.today(), reviewer_event(EventKind::Assigned, v, detail));
    change.head = Some(head);
    change.custody = Some(CustodyChange::Assign { holder: body.holder });
    apply(&state, change).await
}
