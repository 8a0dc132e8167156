//! `<home>/facts.tsv`: the [`Facts`] of every case the home holds, one line each, so that
//! `kpis` over a million cases reads one file instead of a million histories (BENCHMARKS.md,
//! "Operations room").
//!
//! It is a cache of verified data only: written at the end of every pull or import from the
//! cases just stored, removed whenever a case file is written otherwise (a local status
//! change), and rebuilt from the case files by the first `kpis` that finds it missing,
//! damaged or of another format. Nothing in it is secret beyond what `case.json` holds in
//! clear; deleting it is always safe.
//!
//! Format: a first line `amana-facts-1`, then per case, tab-separated: id, agency, kind,
//! oversight-only (0/1), status, escalated (0/1), received on, acknowledge by, feedback by,
//! acknowledged on, first reply on, rating, evaluation (JSON `{centre, ratings,
//! commissioned}`); `-` for an absent value, dates `YYYY-MM-DD`.

use std::io::Write;
use std::path::PathBuf;

use amana_core::deadlines::Deadlines;
use time::Date;

use super::Facts;
use crate::error::ReviewError;
use crate::evaluation::{Evaluation, Ratings};
use crate::home::{self, Home};

/// The file's first line.
pub const FORMAT: &str = "amana-facts-1";
/// The file in the home.
pub const FILE: &str = "facts.tsv";

fn path(home: &Home) -> PathBuf {
    home.file(FILE)
}

/// The facts of every case held: from the index, or rebuilt from the case files (and the
/// index written again) when it is missing or unreadable.
pub fn load(home: &Home) -> Result<Vec<Facts>, ReviewError> {
    if let Ok(text) = std::fs::read_to_string(path(home)) {
        if let Some(facts) = parse(&text) {
            return Ok(facts);
        }
    }
    rebuild(home)
}

/// Rebuilds the index from the case files, one case in memory at a time (after the first
/// import of a whole list the home may hold 100,000 of them); returns the facts.
pub fn rebuild(home: &Home) -> Result<Vec<Facts>, ReviewError> {
    let mut facts = Vec::new();
    for id in crate::cases::held_ids(home)? {
        if let Some(case) = crate::cases::load(home, &id)? {
            facts.push(Facts::of(&case.bundle));
        }
    }
    write(home, &facts)?;
    Ok(facts)
}

/// [`rebuild`] straight to the file, holding one case at a time: what a pull needs, which
/// does not use the facts itself.
fn rebuild_file(home: &Home) -> Result<(), ReviewError> {
    let ids = crate::cases::held_ids(home)?;
    write_lines(home, "", &std::collections::HashSet::new(), &ids)
}

/// Forgets the index (a case file is being written); the next `kpis` rebuilds it. `cases_dir`
/// is `<home>/cases`.
pub fn forget(cases_dir: &std::path::Path) {
    if let Some(root) = cases_dir.parent() {
        let _ = std::fs::remove_file(root.join(FILE));
    }
}

/// The index's text as it stands, read before a pull or import stores cases (storing a case
/// forgets the file), and parsed only if one is stored; `None` when there is none.
pub fn before_pull(home: &Home) -> Option<String> {
    std::fs::read_to_string(path(home)).ok()
}

/// Writes the index again after a pull or import: `before` with the cases `stored` read
/// again from their verified files — a pull with nothing new reads no case file, and leaves
/// the index as it is — or, with no readable index before, rebuilt from every case. A failure
/// costs only speed (the next `kpis` rebuilds it): it is a warning, never a failed pull.
pub fn after_pull(home: &Home, before: Option<String>, stored: &[String]) {
    if stored.is_empty() && before.is_some() && path(home).is_file() {
        return;
    }
    let done = match before.as_deref().and_then(|t| t.strip_prefix(FORMAT)?.strip_prefix('\n')) {
        Some(lines) => {
            let fresh = stored.iter().map(String::as_str).collect();
            write_lines(home, lines, &fresh, stored)
        }
        None => rebuild_file(home),
    };
    if let Err(e) = done {
        eprintln!("warning: the figures' index ({FILE}) was not written: {e}; `kpis` rebuilds it");
    }
}

/// Writes the index: the lines of `kept` (the index's lines before, unparsed) but those of the
/// cases in `fresh`, then a line per case of `read` (once each) from its verified file, one
/// at a time. A damaged kept line is copied as it is; `kpis`, which parses the index,
/// rebuilds it then.
fn write_lines(
    home: &Home,
    kept: &str,
    fresh: &std::collections::HashSet<&str>,
    read: &[String],
) -> Result<(), ReviewError> {
    let file = path(home);
    let mut failed = None;
    home::replace_with(&file, |out| {
        writeln!(out, "{FORMAT}")?;
        for l in kept.lines() {
            if !fresh.contains(l.split('\t').next().unwrap_or_default()) {
                writeln!(out, "{l}")?;
            }
        }
        // A pull whose roster changed stores its cases twice: each gets one line.
        let mut written = std::collections::HashSet::new();
        for id in read.iter().filter(|id| written.insert(id.as_str())) {
            match crate::cases::load(home, id) {
                Ok(Some(case)) => line(out, &Facts::of(&case.bundle))?,
                Ok(None) => {}
                Err(e) => {
                    failed = Some(e);
                    return Err(std::io::Error::other("a case file could not be read"));
                }
            }
        }
        Ok(())
    })
    .map_err(|e| failed.unwrap_or(e))
}

fn write(home: &Home, facts: &[Facts]) -> Result<(), ReviewError> {
    home::replace_with(&path(home), |out| {
        writeln!(out, "{FORMAT}")?;
        facts.iter().try_for_each(|f| line(out, f))
    })
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or("-".to_string(), |v| v.to_string())
}

fn line(out: &mut impl Write, f: &Facts) -> std::io::Result<()> {
    let evaluation = f.evaluation.as_ref().map(
        |e| serde_json::json!({ "centre": e.centre, "ratings": e.ratings, "commissioned": e.commissioned }),
    );
    writeln!(
        out,
        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
        f.id,
        f.agency,
        f.kind,
        u8::from(f.oversight_only),
        f.status,
        u8::from(f.escalated),
        f.received_on,
        f.deadlines.acknowledge_by,
        f.deadlines.feedback_by,
        opt(f.acknowledged_on),
        opt(f.first_reply_on),
        opt(f.rating),
        opt(evaluation)
    )
}

/// The facts in `text`, or None if any line is not of this format. The lines are parsed on
/// every core (a national home's index has a million of them: BENCHMARKS.md, "Operations
/// room"), in order.
fn parse(text: &str) -> Option<Vec<Facts>> {
    let (first, body) = text.split_once('\n').unwrap_or((text, ""));
    if first != FORMAT {
        return None;
    }
    let parts = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    let chunks = split_at_lines(body, parts);
    let parsed: Vec<Option<Vec<Facts>>> = std::thread::scope(|s| {
        let handles: Vec<_> =
            chunks.iter().map(|c| s.spawn(move || c.lines().map(parse_line).collect())).collect();
        handles.into_iter().map(|h| h.join().ok().flatten()).collect()
    });
    let mut all = Vec::new();
    for part in parsed {
        all.extend(part?);
    }
    Some(all)
}

/// `text` cut into at most `parts` runs of whole lines, in order.
fn split_at_lines(text: &str, parts: usize) -> Vec<&str> {
    let mut out = Vec::with_capacity(parts);
    let mut rest = text;
    for left in (1..=parts).rev() {
        if left == 1 || rest.len() < 4096 {
            out.push(rest);
            break;
        }
        let cut = rest.len() / left;
        let end = rest[cut..].find('\n').map_or(rest.len(), |i| cut + i + 1);
        let (head, tail) = rest.split_at(end);
        out.push(head);
        rest = tail;
    }
    out
}

fn parse_line(l: &str) -> Option<Facts> {
    let mut c = l.split('\t');
    let mut next = || c.next();
    let id = next()?.to_string();
    let agency = next()?.to_string();
    let kind = next()?.parse().ok()?;
    let oversight_only = flag(next()?)?;
    let status = next()?.parse().ok()?;
    let escalated = flag(next()?)?;
    let received_on = date(next()?)?;
    let deadlines = Deadlines { acknowledge_by: date(next()?)?, feedback_by: date(next()?)? };
    let acknowledged_on = maybe(next()?, date)?;
    let first_reply_on = maybe(next()?, date)?;
    let rating = maybe(next()?, |s| s.parse().ok())?;
    let evaluation = maybe(next()?, evaluation)?;
    if next().is_some() {
        return None;
    }
    Some(Facts {
        id,
        agency,
        kind,
        oversight_only,
        status,
        escalated,
        received_on,
        deadlines,
        acknowledged_on,
        first_reply_on,
        rating,
        evaluation,
    })
}

fn flag(s: &str) -> Option<bool> {
    match s {
        "0" => Some(false),
        "1" => Some(true),
        _ => None,
    }
}

/// `-` is None; anything else must parse.
fn maybe<T>(s: &str, parse: impl Fn(&str) -> Option<T>) -> Option<Option<T>> {
    if s == "-" {
        return Some(None);
    }
    parse(s).map(Some)
}

/// `YYYY-MM-DD`, by hand: a million of them are read per `kpis`.
fn date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<u16>().ok();
    let month = time::Month::try_from(u8::try_from(num(5..7)?).ok()?).ok()?;
    Date::from_calendar_date(i32::from(num(0..4)?), month, u8::try_from(num(8..10)?).ok()?).ok()
}

fn evaluation(s: &str) -> Option<Evaluation> {
    #[derive(serde::Deserialize)]
    struct Wire {
        centre: Option<String>,
        ratings: Option<Ratings>,
        commissioned: bool,
    }
    let w: Wire = serde_json::from_str(s).ok()?;
    Some(Evaluation { centre: w.centre, ratings: w.ratings, commissioned: w.commissioned })
}

#[cfg(test)]
mod tests {
    use super::*;
    use amana_core::case::Status;

    #[test]
    fn facts_survive_the_index_and_a_bad_line_is_refused() {
        let kit = crate::testkit::Kit::new("alice");
        let mut b = kit.bundle("c1");
        kit.status(&mut b, Status::Acknowledged);
        kit.reply(&mut b, "r1");
        b.rating = Some(4);
        let mut detail: serde_json::Value = serde_json::from_str(&b.events[0].detail).expect("json");
        detail["centre"] = "north".into();
        detail["ratings"] = serde_json::json!({"questionnaire": "office", "version": 2, "answers": [["parking", 4], ["waiting", null]]});
        b.events[0].detail = detail.to_string();
        let plain = kit.bundle("c2");
        let facts = [Facts::of(&b), Facts::of(&plain)];
        assert!(facts[0].first_reply_on.is_some() && facts[0].evaluation.is_some());
        let mut text = Vec::new();
        for f in &facts {
            line(&mut text, f).expect("line");
        }
        let text = format!("{FORMAT}\n{}", String::from_utf8(text).expect("utf-8"));
        assert_eq!(parse(&text).expect("parsed"), facts);
        assert!(parse(&format!("{text}c3\thealth\n")).is_none(), "a short line");
        assert!(parse(&text.replace(FORMAT, "amana-facts-9")).is_none(), "another format");
        assert_eq!(date("2026-02-29"), None);
        assert_eq!(date("2028-02-29"), Date::from_calendar_date(2028, time::Month::February, 29).ok());
    }

    #[test]
    fn the_index_is_cut_at_line_ends_only_and_read_back_in_order() {
        let text: String = (0..5000).map(|i| format!("line {i} {}\n", "x".repeat(i % 37))).collect();
        for parts in 1..=8 {
            let chunks = split_at_lines(&text, parts);
            assert!(chunks.len() <= parts);
            assert_eq!(chunks.concat(), text, "{parts} parts");
            assert!(chunks.iter().all(|c| c.is_empty() || c.ends_with('\n')), "{parts} parts");
        }
        let kit = crate::testkit::Kit::new("alice");
        let facts: Vec<Facts> = (0..300).map(|i| Facts::of(&kit.bundle(&format!("c{i}")))).collect();
        let mut body = Vec::new();
        for f in &facts {
            line(&mut body, f).expect("line");
        }
        let text = format!("{FORMAT}\n{}", String::from_utf8(body).expect("utf-8"));
        assert_eq!(parse(&text).expect("parsed"), facts, "every case, in order");
    }
}
