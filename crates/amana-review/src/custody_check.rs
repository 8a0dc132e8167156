//! Verifying transfers, exclusions and assignments in a pulled history (issue 15): each
//! event's detail must be what its oversight (or reader) signer signed, and must stand under
//! the readers rule (`amana_core::custody`) at its place in the chain — a transfer moves the
//! case from the agency it then had, an exclusion names one of its readers then, an
//! assignment hands it to one, and every reader list a signer encrypted to names only
//! reviewers the roster gives the case, never an excluded one, and always oversight. The
//! re-encrypted envelopes are pinned like a rewrap's (`history::check_rewrap`), and their
//! plaintexts checked against the recorded commitments after decryption (`accept`).

use amana_core::custody::{
    check_signed_readers, AssignDetail, AssignRequest, Custody, ExcludeDetail, ExcludeRequest,
    TransferDetail, TransferRequest,
};
use amana_core::deadlines::Deadlines;
use amana_core::events::{Event, EventKind, SignedAction};
use amana_core::roster::Roster;
use amana_core::wire::{CaseBundle, RewrappedEnvelope};
use serde::de::DeserializeOwned;

/// The custody of `bundle` just before event `e`.
fn before(bundle: &CaseBundle, e: &Event) -> Custody {
    let first =
        amana_core::custody::submitted_agency(&bundle.events).unwrap_or_else(|| bundle.agency.clone());
    let upto = usize::try_from(e.seq).unwrap_or(usize::MAX).min(bundle.events.len());
    Custody::replay(&first, &bundle.events[..upto])
}

fn parse<T: DeserializeOwned>(text: &str, what: &str) -> Result<T, String> {
    serde_json::from_str(text).map_err(|_| format!("its {what} is not well formed"))
}

/// The signed body of a reviewer event.
fn body<T: DeserializeOwned>(e: &Event) -> Result<T, String> {
    let signed: SignedAction = parse(e.signed.as_deref().unwrap_or_default(), "signature")?;
    parse(&signed.body, "signed request")
}

/// Checks a custody event of `bundle` (other kinds pass).
pub fn check(bundle: &CaseBundle, roster: &Roster, e: &Event) -> Result<(), String> {
    let mut custody = before(bundle, e);
    let only = bundle.oversight_only;
    match e.kind {
        EventKind::Transferred => {
            let (d, b): (TransferDetail, TransferRequest) = (parse(&e.detail, "detail")?, body(e)?);
            if d.to != b.agency || d.readers != b.readers {
                return Err("it records another agency or other readers than oversight signed".into());
            }
            if d.from != custody.agency || d.to == d.from {
                return Err(format!(
                    "it moves the case from `{}`, but the case was then `{}`",
                    d.from.escape_debug(),
                    custody.agency
                ));
            }
            custody.agency = d.to;
            check_signed_readers(roster, &custody, only, &d.readers)
        }
        EventKind::Excluded => {
            let (d, b): (ExcludeDetail, ExcludeRequest) = (parse(&e.detail, "detail")?, body(e)?);
            if d.reviewer != b.reviewer || d.readers != b.readers {
                return Err("it records another reviewer or other readers than oversight signed".into());
            }
            if !roster.reviewer(&d.reviewer).is_some_and(|r| custody.admits(r, only)) {
                return Err(format!(
                    "it excludes `{}`, who was not a reader of the case",
                    d.reviewer.escape_debug()
                ));
            }
            custody.excluded.push(d.reviewer);
            check_signed_readers(roster, &custody, only, &d.readers)
        }
        EventKind::Assigned => {
            let (d, b): (AssignDetail, AssignRequest) = (parse(&e.detail, "detail")?, body(e)?);
            if d.holder != b.holder {
                return Err("it records another holder than its reviewer signed".into());
            }
            if !roster.reviewer(&d.holder).is_some_and(|r| custody.admits(r, only)) {
                return Err(format!(
                    "it hands the case to `{}`, who was not a reader of it",
                    d.holder.escape_debug()
                ));
            }
            Ok(())
        }
        EventKind::Rewrapped => match rewrap_readers(e) {
            Some(readers) if !readers.is_empty() => check_signed_readers(roster, &custody, only, &readers),
            // Signed before rewraps named their readers: nothing to check.
            _ => Ok(()),
        },
        _ => Ok(()),
    }
}

/// The readers a rewrap's signed body names (older bodies name none, or are a bare list).
fn rewrap_readers(e: &Event) -> Option<Vec<String>> {
    let signed: SignedAction = serde_json::from_str(e.signed.as_deref()?).ok()?;
    let body: serde_json::Value = serde_json::from_str(&signed.body).ok()?;
    serde_json::from_value(body.get("readers")?.clone()).ok()
}

/// The re-encrypted envelopes a transfer or exclusion signed.
pub fn signed_envelopes(kind: EventKind, body: &str) -> Result<Vec<RewrappedEnvelope>, String> {
    let bad = || format!("the signed request body is not a {} request", kind.as_str());
    match kind {
        EventKind::Transferred => {
            serde_json::from_str::<TransferRequest>(body).map(|b| b.envelopes).map_err(|_| bad())
        }
        _ => serde_json::from_str::<ExcludeRequest>(body).map(|b| b.envelopes).map_err(|_| bad()),
    }
}

/// When a transfer last set the deadlines, they are the ones it recorded.
pub fn transfer_deadlines(e: &Event, d: &Deadlines) -> Result<(), String> {
    let recorded: TransferDetail = parse(&e.detail, "transfer detail")?;
    if recorded.deadlines != *d {
        return Err(format!(
            "its deadlines ({} / {}) are not the ones its transfer (event {}) recorded",
            d.acknowledge_by, d.feedback_by, e.seq
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::AgeFile;
    use crate::history::{verify, Signers};
    use crate::testkit::{self, Kit, DEP};
    use amana_core::case::Status;
    use amana_core::wire::paths;
    use base64::{engine::general_purpose::STANDARD as B64, Engine};
    use serde_json::json;

    const SHA: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    /// `ovs` (oversight), `h1` (health), `t1` (transport) and the testkit's anchor.
    fn roster(kits: &[&Kit]) -> Roster {
        let mut r = testkit::roster(1, kits);
        for e in &mut r.reviewers {
            if let Some(agency) = match e.id.as_str() {
                "h1" => Some("health"),
                "t1" => Some("transport"),
                _ => None,
            } {
                e.oversight = false;
                e.agencies = vec![agency.into()];
            }
        }
        r
    }

    fn check(b: &CaseBundle, roster: &Roster) -> Result<(), String> {
        let files: Vec<AgeFile> = b
            .envelopes
            .iter()
            .map(|e| AgeFile { id: e.id.clone(), bytes: B64.decode(&e.age_b64).expect("b64") })
            .collect();
        verify(b, &files, DEP, &Signers { roster, verified_through: None }).map_err(|e| e.to_string())
    }

    /// The report re-encrypted (its new bytes `new rep`), as a transfer or exclusion carries it.
    fn reencrypt(b: &mut CaseBundle) -> Vec<RewrappedEnvelope> {
        let item = RewrappedEnvelope {
            envelope_id: "rep".into(),
            age_b64: B64.encode("new rep"),
            plaintext_sha256: SHA.into(),
        };
        if let Some(env) = b.envelopes.iter_mut().find(|e| e.id == "rep") {
            env.age_b64 = item.age_b64.clone();
        }
        vec![item]
    }

    fn records() -> serde_json::Value {
        json!([{ "envelope_id": "rep", "plaintext_sha256": SHA }])
    }

    fn transfer(kit: &Kit, b: &mut CaseBundle, to: &str, readers: &[&str]) {
        let readers: Vec<String> = readers.iter().map(|r| r.to_string()).collect();
        let request = TransferRequest {
            head: testkit::head(b),
            agency: to.into(),
            readers: readers.clone(),
            envelopes: reencrypt(b),
        };
        let signed = kit.signed(&paths::transfer(&b.id), serde_json::to_string(&request).expect("json"));
        let detail = json!({ "from": b.agency, "to": to, "readers": readers, "envelopes": records(),
                             "deadlines": b.deadlines, "reason": "misrouted" });
        let status = b.status;
        testkit::push(b, EventKind::Transferred, status, detail, Some(signed));
        b.agency = to.into();
    }

    fn exclude(kit: &Kit, b: &mut CaseBundle, who: &str, readers: &[&str]) {
        let readers: Vec<String> = readers.iter().map(|r| r.to_string()).collect();
        let request = ExcludeRequest {
            head: testkit::head(b),
            reviewer: who.into(),
            readers: readers.clone(),
            envelopes: reencrypt(b),
        };
        let signed = kit.signed(&paths::exclude(&b.id), serde_json::to_string(&request).expect("json"));
        let detail = json!({ "reviewer": who, "readers": readers, "envelopes": records() });
        let status = b.status;
        testkit::push(b, EventKind::Excluded, status, detail, Some(signed));
    }

    #[test]
    fn a_transfer_by_oversight_to_the_rosters_readers_verifies() {
        let (ovs, h1, t1) = (Kit::new("ovs"), Kit::new("h1"), Kit::new("t1"));
        let roster = roster(&[&ovs, &h1, &t1]);
        let mut b = ovs.bundle("c1");
        h1.status(&mut b, Status::Acknowledged);
        transfer(&ovs, &mut b, "transport", &["anchor-ovs", "ovs", "t1"]);
        assert_eq!(check(&b, &roster), Ok(()));
        // The new agency acts; the former one no longer may.
        let mut later = b.clone();
        t1.status(&mut later, Status::InReview);
        assert_eq!(check(&later, &roster), Ok(()));
        h1.status(&mut b, Status::InReview);
        assert!(check(&b, &roster).expect_err("old agency").contains("may not act on this case"));
    }

    #[test]
    fn transfers_by_an_agency_or_to_readers_the_roster_does_not_give_are_refused() {
        let (ovs, h1, t1) = (Kit::new("ovs"), Kit::new("h1"), Kit::new("t1"));
        let roster = roster(&[&ovs, &h1, &t1]);
        let mut b = ovs.bundle("c1");
        transfer(&h1, &mut b, "transport", &["ovs", "t1"]);
        assert!(check(&b, &roster).expect_err("agency").contains("only oversight keys may"));
        // The health officer kept as a reader of a transport case.
        let mut b = ovs.bundle("c1");
        transfer(&ovs, &mut b, "transport", &["ovs", "t1", "h1"]);
        assert!(check(&b, &roster).expect_err("extra reader").contains("names reader `h1`"));
        // No oversight reader.
        let mut b = ovs.bundle("c1");
        transfer(&ovs, &mut b, "transport", &["t1"]);
        assert!(check(&b, &roster).expect_err("no oversight").contains("no oversight reader"));
        // The case's agency must be the one the transfer gave it.
        let mut b = ovs.bundle("c1");
        transfer(&ovs, &mut b, "transport", &["ovs", "t1"]);
        b.agency = "health".into();
        assert!(check(&b, &roster).expect_err("agency column").contains("agency"));
    }

    #[test]
    fn an_excluded_reviewer_can_sign_nothing_and_is_never_a_reader_again() {
        let (ovs, h1) = (Kit::new("ovs"), Kit::new("h1"));
        let roster = roster(&[&ovs, &h1]);
        let mut b = ovs.bundle("c1");
        exclude(&ovs, &mut b, "h1", &["anchor-ovs", "ovs"]);
        assert_eq!(check(&b, &roster), Ok(()));
        let mut after = b.clone();
        h1.reply(&mut after, "r1");
        assert!(check(&after, &roster).expect_err("excluded signs").contains("was excluded"));
        // A later transfer back to health may not list the excluded reviewer as a reader.
        let mut back = b.clone();
        transfer(&ovs, &mut back, "transport", &["ovs"]);
        transfer(&ovs, &mut back, "health", &["ovs", "h1"]);
        assert!(check(&back, &roster).expect_err("re-added").contains("names reader `h1`"));
        // Oversight may not be excluded by an agency reviewer.
        let mut b = ovs.bundle("c1");
        exclude(&h1, &mut b, "ovs", &["h1"]);
        assert!(check(&b, &roster).expect_err("agency excludes").contains("only oversight keys may"));
    }

    #[test]
    fn a_rewrap_naming_an_excluded_reviewer_is_refused() {
        let (ovs, h1) = (Kit::new("ovs"), Kit::new("h1"));
        let roster = roster(&[&ovs, &h1]);
        let rewrap = |b: &mut CaseBundle, readers: &[&str]| {
            let readers = readers.iter().map(|r| r.to_string()).collect();
            let request =
                amana_core::wire::RewrapRequest { head: testkit::head(b), envelopes: reencrypt(b), readers };
            let signed = ovs.signed(&paths::rewrap(&b.id), serde_json::to_string(&request).expect("json"));
            let status = b.status;
            testkit::push(b, EventKind::Rewrapped, status, json!({ "envelopes": records() }), Some(signed));
        };
        let mut b = ovs.bundle("c1");
        exclude(&ovs, &mut b, "h1", &["anchor-ovs", "ovs"]);
        let mut fine = b.clone();
        rewrap(&mut fine, &["anchor-ovs", "ovs"]);
        assert_eq!(check(&fine, &roster), Ok(()));
        rewrap(&mut b, &["anchor-ovs", "ovs", "h1"]);
        assert!(check(&b, &roster).expect_err("re-added").contains("names reader `h1`"));
    }

    #[test]
    fn an_assignment_names_a_reader_of_the_case() {
        let (ovs, h1, t1) = (Kit::new("ovs"), Kit::new("h1"), Kit::new("t1"));
        let roster = roster(&[&ovs, &h1, &t1]);
        let assign = |b: &mut CaseBundle, by: &Kit, holder: &str| {
            let body =
                serde_json::to_string(&AssignRequest { head: testkit::head(b), holder: holder.into() })
                    .expect("json");
            let signed = by.signed(&paths::assign(&b.id), body);
            let status = b.status;
            testkit::push(
                b,
                EventKind::Assigned,
                status,
                json!({ "holder": holder, "from": null }),
                Some(signed),
            );
        };
        let mut b = ovs.bundle("c1");
        assign(&mut b, &h1, "h1");
        assert_eq!(check(&b, &roster), Ok(()));
        assert_eq!(crate::readers::custody_of(&b).holder.as_deref(), Some("h1"));
        assign(&mut b, &h1, "t1");
        assert!(check(&b, &roster).expect_err("other agency").contains("was not a reader"));
    }
}
