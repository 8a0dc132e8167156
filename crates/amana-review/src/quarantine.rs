//! `quarantine.json`: the cases a pull could not verify, each with the UTC date it was first
//! refused and why. A quarantined case keeps whatever this home held before (nothing of the
//! refused answer is written), `list` shows it as UNVERIFIED, and `pull` exits non-zero while
//! any case is quarantined — but every other case is still pulled: one corrupted case must not
//! lock a reviewer out, and a hostile server must not be able to hide one quietly.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::error::{io_error, ReviewError};
use crate::home::{self, Home};

/// The file in the home.
pub const QUARANTINE_FILE: &str = "quarantine.json";

/// Why and since when a case is quarantined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// UTC date of the first refusal in a row.
    pub since: Date,
    /// The last refusal, in words.
    pub reason: String,
}

/// Every quarantined case, by id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quarantine(pub BTreeMap<String, Entry>);

impl Quarantine {
    /// Reads the file; a missing one is empty.
    pub fn load(home: &Home) -> Result<Self, ReviewError> {
        let path = home.file(QUARANTINE_FILE);
        match std::fs::read(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(io_error(&path)(e)),
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| ReviewError::Damaged { path, detail: e.to_string() }),
        }
    }

    /// Rewrites the file.
    pub fn save(&self, home: &Home) -> Result<(), ReviewError> {
        let path = home.file(QUARANTINE_FILE);
        let json = serde_json::to_vec_pretty(self)
            .map_err(|e| ReviewError::Damaged { path: path.clone(), detail: e.to_string() })?;
        home::replace_file(&path, &json)
    }

    /// Records a refusal; the date is kept from the first one.
    pub fn put(&mut self, case: &str, reason: String, today: Date) {
        let since = self.0.get(case).map_or(today, |e| e.since);
        self.0.insert(case.to_string(), Entry { since, reason });
    }

    /// A case verified again.
    pub fn clear(&mut self, case: &str) {
        self.0.remove(case);
    }
}
