//! `gone.json`: cases this home holds that the server no longer has — purged after closure
//! (a tombstone of an incremental pull names the date) or no longer listed by a `pull --full`
//! (purged long ago, or out of this key's scope).
//!
//! The home keeps such a case as it is: a tombstone is the server's word, unsigned, and a
//! server must not be able to make homes delete evidence. `list` and `show` say the case is
//! gone from the server, and the reviewer deletes the folder when their own retention rules
//! say so. A case that is listed again leaves the register.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::error::ReviewError;
use crate::home::{self, Home};

/// The file in the home.
pub const GONE_FILE: &str = "gone.json";

/// Why a held case is gone from the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The purge date a tombstone named; none when a full pull just did not list it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purged_on: Option<Date>,
    /// The UTC date this home learnt it.
    pub noticed_on: Date,
}

/// Every held case gone from the server, by id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gone(pub BTreeMap<String, Entry>);

impl Gone {
    /// Reads the file; a missing one is empty.
    pub fn load(home: &Home) -> Result<Self, ReviewError> {
        home::load_json(home, GONE_FILE)
    }

    /// Rewrites the file.
    pub fn save(&self, home: &Home) -> Result<(), ReviewError> {
        home::save_json(home, GONE_FILE, self)
    }

    /// Records that `id` is gone; a purge date already known is kept.
    pub fn put(&mut self, id: &str, purged_on: Option<Date>, today: Date) {
        let purged_on = purged_on.or_else(|| self.0.get(id).and_then(|e| e.purged_on));
        let noticed_on = self.0.get(id).map_or(today, |e| e.noticed_on);
        self.0.insert(id.to_string(), Entry { purged_on, noticed_on });
    }

    /// A case listed again.
    pub fn clear(&mut self, id: &str) {
        self.0.remove(id);
    }

    /// The line `list` and `show` print about `id`, if it is gone.
    pub fn note(&self, id: &str) -> Option<String> {
        self.0.get(id).map(|e| match e.purged_on {
            Some(on) => format!("purged on the server on {on} (kept here; delete it when your rules say so)"),
            None => format!(
                "not listed by the server since {} (purged, or out of your scope; kept here)",
                e.noticed_on
            ),
        })
    }
}
