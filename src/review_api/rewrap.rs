//! Re-encrypting a case's envelopes to the current recipients (`amana-review rewrap`).

use super::*;

/// `POST /api/v1/review/cases/{id}/rewrap` (oversight keys only) with a [`RewrapRequest`]: replaces
/// the ciphertexts of existing envelopes and records the signed `rewrapped` event, in one
/// transaction. The server cannot check what the new files contain; `amana-review` checks
/// each against the plaintext hash in the signed event on every later pull.
pub async fn rewrap(
    State(state): State<AppState>,
    case_path: CasePath,
    req: Signed,
) -> Result<StatusCode, ApiError> {
    let req = req.verify(&state, &case_path.route(paths::rewrap)).await?;
    let v = &req.by;
    // An agency reviewer could rewrap a case to itself alone and shut oversight out; every
    // reviewer home refuses such a history too (docs/FORMATS.md §9).
    if !v.reviewer.entry.oversight {
        return Err(ApiError::Forbidden);
    }
    let (head, body) = (req.head()?, req.json::<RewrapRequest>()?);
    let case = scoped_case(&state, v, &case_path).await?;
    if !body.readers.is_empty() {
        // The readers it names must be the case's now, excluded reviewers left out (issue 15).
        let excluded = state.store.exclusions(&case.id).await?;
        super::custody::check_readers(&state, &case.agency, case.oversight_only, &excluded, &body.readers)?;
    }
    let known: Vec<String> =
        state.store.envelopes(&case.id, &ALL_PARTS).await?.into_iter().map(|e| e.id).collect();
    let (rewraps, records) = check_rewraps(body.envelopes, &known)?;
    let detail = serde_json::to_value(RewrapDetail { envelopes: records })?;
    let mut change =
        Change::event_only(&case, state.today(), reviewer_event(EventKind::Rewrapped, v, detail));
    change.rewraps = rewraps;
    change.head = Some(head);
    apply(&state, change).await
}

/// Every envelope part (a rewrap may touch any of them).
pub(super) const ALL_PARTS: [Part; 4] = [Part::Report, Part::FollowUp, Part::Reply, Part::Note];

/// Checks a rewrap body against the case's envelope ids: at least one entry, each id of
/// this case and named once, each hash well formed, each upload an age file.
pub(super) fn check_rewraps(
    body: Vec<RewrappedEnvelope>,
    known: &[String],
) -> Result<(Vec<EnvelopeRewrap>, Vec<RewrapRecord>), ApiError> {
    if body.is_empty() {
        return Err(ApiError::BadRequest("a rewrap needs at least one envelope".into()));
    }
    let mut seen = std::collections::HashSet::new();
    let mut rewraps = Vec::with_capacity(body.len());
    let mut records = Vec::with_capacity(body.len());
    for item in body {
        if !known.contains(&item.envelope_id) {
            return Err(ApiError::BadRequest("a rewrap names an envelope that is not in this case".into()));
        }
        if !seen.insert(item.envelope_id.clone()) {
            return Err(ApiError::BadRequest("a rewrap names an envelope twice".into()));
        }
        if !is_sha256_hex(&item.plaintext_sha256) {
            return Err(ApiError::BadRequest("plaintext_sha256 must be 64 lowercase hex digits".into()));
        }
        let ciphertext = age_upload(&item.age_b64, "rewrapped envelope")?;
        rewraps.push(EnvelopeRewrap { id: item.envelope_id.clone(), ciphertext });
        records.push(RewrapRecord { envelope_id: item.envelope_id, plaintext_sha256: item.plaintext_sha256 });
    }
    Ok((rewraps, records))
}
