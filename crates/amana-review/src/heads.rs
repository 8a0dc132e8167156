//! `verified-heads.json`: the last verified history head (seq, hash) of every case this home
//! pulled. A later pull must contain that exact event at that position (`events::extends`),
//! so a server that rewrites history and recomputes the chain is still caught (SECURITY.md
//! invariant 9). Kept apart from the case folders, so it survives a deleted case folder.

use std::collections::BTreeMap;

use amana_core::events::{self, Event};
use serde::{Deserialize, Serialize};

use crate::error::ReviewError;
use crate::home::{self, Home, HEADS_FILE};

/// A verified chain head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    /// Sequence number of the last event.
    pub seq: i64,
    /// Its hash.
    pub hash: String,
}

/// Every case's head, by case id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heads(pub BTreeMap<String, Head>);

impl Heads {
    /// Reads the file; a missing one is empty.
    pub fn load(home: &Home) -> Result<Self, ReviewError> {
        home::load_json(home, HEADS_FILE)
    }

    /// Whether the file may hold a head, from its size alone: an empty map is `{}`, one head
    /// is far longer than 16 bytes. Lets a pull choose heads first without reading them all.
    pub fn any_saved(home: &Home) -> bool {
        std::fs::metadata(home.file(HEADS_FILE)).is_ok_and(|m| m.len() > 16)
    }

    /// Rewrites the file.
    pub fn save(&self, home: &Home) -> Result<(), ReviewError> {
        home::save_json(home, HEADS_FILE, self)
    }

    /// Refuses `events` of `case_id` unless they extend the remembered head.
    pub fn check(&self, case_id: &str, events: &[Event]) -> Result<(), ReviewError> {
        let Some(head) = self.0.get(case_id) else {
            return Ok(());
        };
        events::extends(events, head.seq, &head.hash)
            .map_err(|e| ReviewError::HistoryRewritten { case: case_id.to_string(), detail: e.to_string() })
    }
}

/// `heads [CASE]`: one line per case this home verified or quarantined —
/// `CASE  seq N  HASH  verified` or `… QUARANTINED since DATE: reason` (`-` for a case never
/// verified here). Two homes that verified the same seq of a case must show the same hash;
/// different hashes mean two histories each signed as genuine (ops/README.md).
pub fn print(home: &Home, prefix: Option<&str>) -> anyhow::Result<()> {
    let heads = Heads::load(home)?;
    let quarantine = crate::quarantine::Quarantine::load(home)?;
    let mut ids: Vec<&String> = heads.0.keys().chain(quarantine.0.keys()).collect();
    ids.sort();
    ids.dedup();
    if let Some(p) = prefix {
        ids.retain(|id| id.starts_with(p));
        anyhow::ensure!(ids.len() == 1, "{} cases of this home start with `{}`", ids.len(), p.escape_debug());
    }
    let mut out = String::new();
    for id in ids {
        let (seq, hash) = heads.0.get(id).map_or(("-".into(), "-"), |h| (h.seq.to_string(), h.hash.as_str()));
        let state = quarantine.0.get(id).map_or("verified".into(), |q| {
            format!("QUARANTINED since {}: {}", q.since, crate::cases::printable(&q.reason))
        });
        out.push_str(&format!("{}  seq {seq}  {hash}  {state}\n", crate::cases::printable(id)));
    }
    crate::output::stdout(&out)
}

/// The head of a verified history (`None` for an empty one).
pub fn head_of(events: &[Event]) -> Option<Head> {
    events.last().map(|e| Head { seq: e.seq, hash: e.hash.clone() })
}
