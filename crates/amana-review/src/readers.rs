//! Whom a case's content is encrypted to: computed here from the signed roster and the case's
//! agency and "oversight only" flag, never taken from the server. The server's list is only
//! compared with it: duplicates, unknown ids and any difference refuse the action before a
//! single byte is encrypted or signed (a database writer or a carrier who adds "a reviewer"
//! to a case gains nothing).

use std::collections::BTreeSet;

use amana_core::custody::{self, Custody};
use amana_core::roster::{Roster, RosterEntry};
use amana_core::wire::CaseBundle;
use time::Date;

use crate::cases::printable;
use crate::error::ReviewError;
use crate::home::Home;
use crate::session::require_deployment_id;
use crate::trust;

/// The readers of a pulled case today, from the roster this home holds.
pub fn of_case(home: &Home, bundle: &CaseBundle) -> Result<Vec<RosterEntry>, ReviewError> {
    let deployment = require_deployment_id(home, &home.read_config()?)?;
    let trusted = trust::require(home, &deployment)?;
    compute(&trusted.roster, bundle, time::OffsetDateTime::now_utc().date())
}

/// A case's custody as its history says: the attested submission's agency, then every
/// transfer, exclusion and assignment (`amana_core::custody`).
pub fn custody_of(bundle: &CaseBundle) -> Custody {
    let first = custody::submitted_agency(&bundle.events).unwrap_or_else(|| bundle.agency.clone());
    Custody::replay(&first, &bundle.events)
}

/// The roster's readers of `bundle` on `today` (its agency's, minus those oversight excluded),
/// checked against the server's list.
pub fn compute(roster: &Roster, bundle: &CaseBundle, today: Date) -> Result<Vec<RosterEntry>, ReviewError> {
    let custody = custody_of(bundle);
    let ours: Vec<RosterEntry> =
        custody::readers(roster, &custody, bundle.oversight_only, today).into_iter().cloned().collect();
    let mine: BTreeSet<(&str, &str)> =
        ours.iter().map(|r| (r.id.as_str(), r.age_recipient.as_str())).collect();
    let theirs: Vec<(&str, &str)> =
        bundle.recipients.iter().map(|r| (r.key_id.as_str(), r.age_recipient.as_str())).collect();
    let theirs_set: BTreeSet<(&str, &str)> = theirs.iter().copied().collect();
    if theirs_set.len() != theirs.len() || theirs_set != mine {
        let names = |v: Vec<&str>| v.into_iter().map(printable).collect::<Vec<_>>().join(", ");
        return Err(ReviewError::ReadersMismatch {
            case: bundle.id.clone(),
            server: names(theirs.iter().map(|(id, _)| *id).collect()),
            roster: names(ours.iter().map(|r| r.id.as_str()).collect()),
        });
    }
    if !ours.iter().any(|r| r.oversight) {
        // The roster itself guarantees a current oversight key; a case without one as a
        // reader cannot happen unless the roster is broken.
        return Err(ReviewError::NoRecipients { case: bundle.id.clone(), what: "oversight" });
    }
    Ok(ours)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, Kit};
    use amana_core::wire::RecipientWire;

    fn wire(r: &RosterEntry) -> RecipientWire {
        RecipientWire { key_id: r.id.clone(), age_recipient: r.age_recipient.clone(), oversight: r.oversight }
    }

    #[test]
    fn the_servers_list_must_be_the_rosters() {
        let kit = Kit::new("alice");
        let roster = testkit::roster(1, &[&kit]);
        let mut b = kit.bundle("c1");
        b.recipients = roster.reviewers.iter().map(wire).collect();
        assert_eq!(compute(&roster, &b, testkit::ON).expect("same").len(), 2);
        // An extra "oversight" reader of the attacker's own: refused.
        let mut extra = b.clone();
        let attacker = age::x25519::Identity::generate().to_public().to_string();
        extra.recipients.push(RecipientWire {
            key_id: "audit".into(),
            age_recipient: attacker.clone(),
            oversight: true,
        });
        assert!(matches!(compute(&roster, &extra, testkit::ON), Err(ReviewError::ReadersMismatch { .. })));
        // A known id with the attacker's recipient: refused.
        let mut swapped = b.clone();
        swapped.recipients[1].age_recipient = attacker;
        assert!(compute(&roster, &swapped, testkit::ON).is_err());
        // A duplicate: refused.
        let mut twice = b.clone();
        twice.recipients.push(twice.recipients[0].clone());
        assert!(compute(&roster, &twice, testkit::ON).is_err());
    }
}
