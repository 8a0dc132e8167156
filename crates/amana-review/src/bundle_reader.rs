//! Reading a carried bundle (a case list as a file, docs/FORMATS.md §7) case by case, so an
//! `import` of a whole list of 100,000 cases holds a few hundred of them in memory at a time
//! instead of the whole file and every case parsed from it.
//!
//! The file is read three times, from the start each time, never whole: its format first
//! (a newer one says "upgrade", as [`accept::parse_list`] does), then everything but its
//! cases — every case parsed and dropped, keeping only its id — so that a file that does
//! not parse is refused before any case of it is stored (as a list read whole was) and a case
//! listed twice is known before the first copy is met; then the cases, in parts of
//! [`PART`], each handed to the caller to verify and store.

use std::collections::HashSet;
use std::fmt;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use amana_core::wire::{CaseBundle, CaseList};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::accept;
use crate::error::{io_error, ReviewError};

/// Cases verified and stored together: one page of an online pull.
pub const PART: usize = amana_core::wire::MAX_PAGE as usize;

/// A bundle's list without its cases, and the ids it lists more than once.
pub struct Head {
    pub list: CaseList,
    pub twice: HashSet<String>,
    /// How many cases the bundle lists (its import's progress total).
    pub cases: u64,
}

/// Reads everything but the cases, after the format check; every case is parsed (and
/// dropped) on the way.
pub fn read_head(path: &Path, source: &str) -> Result<Head, ReviewError> {
    let version: accept::Version = from_file(path, source, |de| serde::Deserialize::deserialize(de))?;
    accept::check_version(version, source)?;
    let mut ids = Ids::default();
    let mut fields = serde_json::Map::new();
    from_file(path, source, |de| {
        de.deserialize_map(TopLevel { cases: &mut ids, others: Some(&mut fields) })
    })?;
    if ids.seen {
        fields.insert("cases".into(), serde_json::Value::Array(Vec::new()));
    }
    let list: CaseList = serde_json::from_value(serde_json::Value::Object(fields))
        .map_err(|e| accept::bad(source, e.to_string()))?;
    Ok(Head { list, twice: ids.twice, cases: ids.all.len() as u64 })
}

/// Hands the bundle's cases to `take`, [`PART`] at a time, in the file's order (an empty
/// part when it lists none); stops at the first error `take` returns.
pub fn for_each_part(
    path: &Path,
    source: &str,
    take: &mut dyn FnMut(Vec<CaseBundle>) -> Result<(), ReviewError>,
) -> Result<(), ReviewError> {
    let mut parts = Parts { take, stopped: None, handed: false };
    let read = from_file(path, source, |de| de.deserialize_map(TopLevel { cases: &mut parts, others: None }));
    match (parts.stopped, read) {
        (Some(e), _) => Err(e),
        (None, Err(e)) => Err(e),
        (None, Ok(())) if !parts.handed => (parts.take)(Vec::new()),
        (None, Ok(())) => Ok(()),
    }
}

/// Runs `read` over a deserializer of the file, which must hold nothing after the value.
fn from_file<T>(
    path: &Path,
    source: &str,
    read: impl FnOnce(
        &mut serde_json::Deserializer<serde_json::de::IoRead<BufReader<File>>>,
    ) -> serde_json::Result<T>,
) -> Result<T, ReviewError> {
    let file = File::open(path).map_err(io_error(path))?;
    let mut de = serde_json::Deserializer::from_reader(BufReader::with_capacity(1 << 16, file));
    let value = read(&mut de).map_err(|e| accept::bad(source, e.to_string()))?;
    de.end().map_err(|e| accept::bad(source, e.to_string()))?;
    Ok(value)
}

/// The list's top-level object: `cases` goes to `cases`, every other field to `others` (or
/// is skipped).
struct TopLevel<'a, C> {
    cases: &'a mut C,
    others: Option<&'a mut serde_json::Map<String, serde_json::Value>>,
}

impl<'de, C> Visitor<'de> for TopLevel<'_, C>
where
    for<'c> &'c mut C: DeserializeSeed<'de, Value = ()>,
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a case list (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let mut cases_seen = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "cases" {
                if cases_seen {
                    return Err(de::Error::duplicate_field("cases"));
                }
                cases_seen = true;
                map.next_value_seed(&mut *self.cases)?;
            } else if let Some(others) = self.others.as_deref_mut() {
                let value: serde_json::Value = map.next_value()?;
                if others.insert(key.clone(), value).is_some() {
                    return Err(de::Error::custom(format!("duplicate field `{}`", key.escape_debug())));
                }
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// The ids of the cases (each case parsed whole, then dropped), and those met twice.
#[derive(Default)]
struct Ids {
    seen: bool,
    all: HashSet<String>,
    twice: HashSet<String>,
}

impl<'de> DeserializeSeed<'de> for &mut Ids {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        self.seen = true;
        de.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for &mut Ids {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of cases")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(case) = seq.next_element::<CaseBundle>()? {
            if !self.all.insert(case.id.clone()) {
                self.twice.insert(case.id);
            }
        }
        Ok(())
    }
}

/// The cases, handed on [`PART`] at a time.
struct Parts<'a> {
    take: &'a mut dyn FnMut(Vec<CaseBundle>) -> Result<(), ReviewError>,
    /// What `take` said when it stopped the reading.
    stopped: Option<ReviewError>,
    /// A part was handed on.
    handed: bool,
}

impl Parts<'_> {
    fn hand_on<E: de::Error>(&mut self, part: Vec<CaseBundle>) -> Result<(), E> {
        self.handed = true;
        (self.take)(part).map_err(|e| {
            self.stopped = Some(e);
            E::custom("stopped")
        })
    }
}

impl<'de> DeserializeSeed<'de> for &mut Parts<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for &mut Parts<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of cases")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut part = Vec::with_capacity(PART);
        while let Some(case) = seq.next_element::<CaseBundle>()? {
            part.push(case);
            if part.len() == PART {
                self.hand_on(std::mem::take(&mut part))?;
            }
        }
        if !part.is_empty() {
            self.hand_on(part)?;
        }
        Ok(())
    }
}
