//! What the server acknowledged, until a pull shows it (SECURITY.md, "Who can do what"): a
//! server that answers 204 to a reply and then drops it would otherwise leave the reviewer
//! believing the reporter was answered. Every request sent online is recorded here with its
//! nonce; a pull that stores the case and finds the nonce in its history forgets it, and a
//! pull that stores the case without it says so — the reviewer sends again and tells the
//! oversight unit. (Requests carried through the outbox are tracked there the same way.)

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::error::ReviewError;
use crate::home::{self, Home};

/// `<home>/acknowledged.json`.
pub const FILE: &str = "acknowledged.json";

/// One acknowledged request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledged {
    pub case: String,
    /// `status`, `reply`, `extend`, `rewrap`, `hold`, `release`.
    pub action: String,
    pub nonce: String,
    /// UTC date the server acknowledged it.
    pub on: Date,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Records {
    requests: Vec<Acknowledged>,
}

/// Records a request the server just acknowledged.
pub fn record(home: &Home, case: &str, action: &str, nonce: &str) -> Result<(), ReviewError> {
    let mut r: Records = home::load_json(home, FILE)?;
    let on = time::OffsetDateTime::now_utc().date();
    r.requests.push(Acknowledged { case: case.into(), action: action.into(), nonce: nonce.into(), on });
    home::save_json(home, FILE, &r)
}

/// The cases with a request still awaited: a heads-first pull fetches them whatever their
/// head, so a request the server acknowledged and dropped is named at every pull.
pub fn awaited_cases(home: &Home) -> Result<HashSet<String>, ReviewError> {
    let r: Records = home::load_json(home, FILE)?;
    Ok(r.requests.into_iter().map(|a| a.case).collect())
}

/// After a pull stored the cases `stored` (whose histories hold the nonces `applied`):
/// forgets what they show, and returns what a stored case lacks (kept, and said again at
/// the next pull until it appears or the reviewer acts).
pub fn reconcile(
    home: &Home,
    stored: &HashSet<&str>,
    applied: &HashSet<String>,
) -> Result<Vec<Acknowledged>, ReviewError> {
    let mut r: Records = home::load_json(home, FILE)?;
    if r.requests.is_empty() {
        return Ok(Vec::new());
    }
    // Shown, or sent again: a later request of the same kind on the same case that the
    // history shows supersedes one the server dropped.
    let shown = |a: &Acknowledged| applied.contains(&a.nonce);
    let superseded: Vec<bool> = (0..r.requests.len())
        .map(|i| {
            let a = &r.requests[i];
            r.requests[i + 1..].iter().any(|b| b.case == a.case && b.action == a.action && shown(b))
        })
        .collect();
    let mut keep = superseded.into_iter().map(|s| !s);
    r.requests.retain(|a| keep.next().unwrap_or(true) && !shown(a));
    home::save_json(home, FILE, &r)?;
    Ok(r.requests.into_iter().filter(|a| stored.contains(a.case.as_str())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pull_forgets_what_it_shows_and_names_what_a_stored_case_lacks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = Home::resolve(Some(dir.path().to_path_buf())).expect("home");
        record(&home, "c1", "reply", "n1").expect("record");
        record(&home, "c1", "status", "n2").expect("record");
        record(&home, "c2", "reply", "n3").expect("record");
        let stored = HashSet::from(["c1"]);
        let lacking = reconcile(&home, &stored, &HashSet::from(["n2".to_string()])).expect("reconcile");
        assert_eq!(lacking.iter().map(|a| a.nonce.as_str()).collect::<Vec<_>>(), ["n1"]);
        // c2 was not pulled this time: kept, not reported; n1 is said again next time.
        let lacking = reconcile(&home, &HashSet::from(["c1", "c2"]), &HashSet::new()).expect("again");
        assert_eq!(lacking.len(), 2);
        let lacking = reconcile(&home, &stored, &HashSet::from(["n1".into(), "n3".into()])).expect("seen");
        assert!(lacking.is_empty());
        // A dropped reply, sent again: the one the history shows supersedes it.
        record(&home, "c1", "reply", "n4").expect("record");
        record(&home, "c1", "reply", "n5").expect("record");
        assert!(reconcile(&home, &stored, &HashSet::from(["n5".to_string()])).expect("again").is_empty());
    }
}
