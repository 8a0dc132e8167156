//! Improvement periods (`amana_core::improvement`) on this home: the signed files it verified,
//! kept in `<home>/improvements/<id>.json`, fetched by `pull` and shown by `kpis` and the
//! HTML report with their before/after figures once they end.
//!
//! Every file is checked again against the held roster's oversight keys whenever it is read:
//! one changed on disk is reported and left out, never shown. A home that is not oversight
//! keeps only the periods of its own agencies (the server sends no others anyway).

mod command;
mod figures;

use std::path::PathBuf;

use amana_core::improvement::{self, Document, Signed};

use crate::error::{io_error, ReviewError};
use crate::home::{self, Home};

pub use command::{run, Action};
pub use figures::{html, shown, Shown};

/// The folder of verified period files.
const DIR: &str = "improvements";

fn path(home: &Home, id: &str) -> PathBuf {
    home.file(DIR).join(format!("{id}.json"))
}

/// Checks a file against this home's roster and scope.
fn verify(me: &crate::trust::Me, signed: &Signed) -> Result<Document, String> {
    let key = |id: &str| me.roster.reviewer(id).filter(|e| e.oversight).and_then(|e| e.public_key());
    let doc = improvement::verify(signed, key, &me.deployment_id)?;
    let mine = me.roster.reviewer(&me.key_id);
    if !me.is_oversight() && !mine.is_some_and(|e| e.agencies.contains(&doc.agency)) {
        return Err(format!("it concerns agency `{}`, which this key does not serve", doc.agency));
    }
    Ok(doc)
}

/// The verified periods this home holds, by deadline.
pub fn held(home: &Home) -> anyhow::Result<Vec<(Document, Signed)>> {
    let dir = home.file(DIR);
    let entries = match std::fs::read_dir(&dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        other => other.map_err(io_error(&dir))?,
    };
    let me = crate::trust::me(home)?;
    let mut out = Vec::new();
    for entry in entries {
        let file = entry.map_err(io_error(&dir))?.path();
        if file.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let bytes = std::fs::read(&file).map_err(io_error(&file))?;
        let checked = serde_json::from_slice::<Signed>(&bytes)
            .map_err(|e| e.to_string())
            .and_then(|s| verify(&me, &s).map(|d| (d, s)));
        match checked {
            Ok(pair) => out.push(pair),
            Err(why) => eprintln!("warning: {} is not shown: {why}", file.display()),
        }
    }
    out.sort_by(|a, b| (a.0.deadline, &a.0.id).cmp(&(b.0.deadline, &b.0.id)));
    Ok(out)
}

/// Keeps a verified period, unless this home already holds it closed (a server replaying
/// the open version cannot reopen it).
fn keep(home: &Home, doc: &Document, signed: &Signed) -> Result<bool, ReviewError> {
    let file = path(home, &doc.id);
    if let Ok(bytes) = std::fs::read(&file) {
        let held: Option<Document> = serde_json::from_slice::<Signed>(&bytes)
            .ok()
            .and_then(|s| serde_json::from_str(&s.document).ok());
        if held.as_ref().is_some_and(|h| h == doc || h.closed_on.is_some()) {
            return Ok(false);
        }
    }
    home::create_private_dir(&home.file(DIR))?;
    let text = serde_json::to_vec_pretty(signed)
        .map_err(|e| ReviewError::Damaged { path: file.clone(), detail: e.to_string() })?;
    home::replace_file(&file, &text)?;
    Ok(true)
}

/// The answer of `GET /api/v1/review/improvements`.
#[derive(serde::Deserialize)]
struct Answer {
    improvements: Vec<Signed>,
}

/// Fetches the periods in this key's scope (called at the end of `pull`). The cases are
/// stored by then: a failure here is a warning, and the next pull tries again. A server too
/// old to know periods answers 404: that is said, and nothing else.
pub fn fetch(session: &crate::session::Session, home: &Home) {
    if let Err(e) = fetch_checked(session, home) {
        eprintln!("warning: improvement periods were not fetched: {e:#}; the next `pull` tries again");
    }
}

fn fetch_checked(session: &crate::session::Session, home: &Home) -> anyhow::Result<()> {
    use amana_core::wire::paths::IMPROVEMENTS;
    let body = match session.call(crate::client::Method::Get, IMPROVEMENTS, Vec::new()) {
        Err(ReviewError::Refused { status: 404, .. }) => {
            eprintln!("note: this server does not hand out improvement periods yet (an older release)");
            return Ok(());
        }
        other => other?,
    };
    let answer: Answer = crate::client::parse_json(&session.url(IMPROVEMENTS), &body)?;
    let me = crate::trust::me(home)?;
    let (mut new, mut refused) = (0, 0);
    for signed in &answer.improvements {
        match verify(&me, signed) {
            Ok(doc) => new += usize::from(keep(home, &doc, signed)?),
            Err(why) => {
                refused += 1;
                eprintln!("warning: an improvement period from the server was refused: {why}");
            }
        }
    }
    if new > 0 || refused > 0 {
        crate::output::say!("improvement periods: {new} new or closed, {refused} refused");
    }
    Ok(())
}
