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

/// The head of a verified history (`None` for an empty one).
pub fn head_of(events: &[Event]) -> Option<Head> {
    events.last().map(|e| Head { seq: e.seq, hash: e.hash.clone() })
}
