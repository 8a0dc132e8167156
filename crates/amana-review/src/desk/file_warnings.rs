//! What an attachment's own metadata gives away (GPS position, author, device serial,
//! unreadable blocks), shown in the case page's file list before anyone exports it.
//!
//! The file is decrypted **in memory only**, into a zeroizing buffer sized once (so it never
//! reallocates and leaves copies), checked against its recorded length and SHA-256 as
//! `export` checks it, and read by [`crate::metadata::inspect_bytes`], the same reader
//! `export` reports with. Nothing is written to disk.
//!
//! Bound: files up to [`INSPECT_AT_ONCE_BYTES`] are inspected when the page is built; a
//! larger file gets a button (a GET of the same page with `?inspect=ID`, changing nothing)
//! so that opening a case with a long video does not decrypt it on every view. Whole files,
//! not their first blocks: a PDF's information dictionary and an Office file's `docProps`
//! are found through the end of the file. Findings are cached per attachment id while the
//! desk runs, and wiped when it locks (idle, or the Lock button).

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::sync::Mutex;

use amana_core::attachment::{decrypt_to, AttachmentMeta};
use amana_core::wire::AttachmentWire;
use zeroize::{Zeroize, Zeroizing};

use crate::attachments::{content_path, is_fetched};
use crate::cases::LocalCase;
use crate::metadata::{self, FileType, Finding};

use super::html::esc;
use super::i18n::Words;
use super::state::lock;

/// Files up to this size are inspected when the case page is built; larger ones on demand.
pub const INSPECT_AT_ONCE_BYTES: u64 = 16 << 20;

/// What was found in one file.
pub struct Checked {
    kind: FileType,
    found: Result<Vec<Finding>, String>,
}

impl Drop for Checked {
    /// The findings quote the file (a position, a name): wiped with the rest of the desk's memory.
    fn drop(&mut self) {
        match &mut self.found {
            Ok(list) => list.iter_mut().for_each(|f| {
                f.what.zeroize();
                f.value.zeroize();
            }),
            Err(why) => why.zeroize(),
        }
    }
}

fn key(case: &LocalCase, att: &AttachmentWire) -> String {
    format!("{}/{}", case.bundle.id, att.id)
}

/// Findings per case and attachment id, while the desk runs unlocked.
#[derive(Default)]
pub struct Cache(Mutex<HashMap<String, std::sync::Arc<Checked>>>);

impl Cache {
    fn get(&self, case: &LocalCase, att: &AttachmentWire) -> Option<std::sync::Arc<Checked>> {
        lock(&self.0).get(&key(case, att)).cloned()
    }

    /// Forgets every finding (the desk locked).
    pub fn clear(&self) {
        lock(&self.0).clear();
    }

    fn get_or_check(
        &self,
        case: &LocalCase,
        att: &AttachmentWire,
        meta: &AttachmentMeta,
        identity: &age::x25519::Identity,
    ) -> std::sync::Arc<Checked> {
        if let Some(hit) = self.get(case, att) {
            return hit;
        }
        let checked = std::sync::Arc::new(check(case, att, meta, identity));
        lock(&self.0).insert(key(case, att), checked.clone());
        checked
    }
}

/// Decrypts the file into memory and reads its metadata.
fn check(
    case: &LocalCase,
    att: &AttachmentWire,
    meta: &AttachmentMeta,
    identity: &age::x25519::Identity,
) -> Checked {
    let failed = |why: String| Checked { kind: FileType::Other, found: Err(why) };
    let Ok(size) = usize::try_from(meta.size) else {
        return failed("too large to hold in memory".into());
    };
    let path = content_path(&case.dir, &att.id);
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) => return failed(e.to_string()),
    };
    let mut plain = Zeroizing::new(Vec::with_capacity(size));
    if let Err(e) = decrypt_to(BufReader::new(file), &[identity], meta, &mut *plain) {
        return failed(format!("could not be opened ({e})"));
    }
    let (kind, found) = metadata::inspect_bytes(&plain);
    Checked { kind, found }
}

/// The metadata line of one attachment in the case page's list (`inspect`: the id the
/// reviewer asked to inspect now, if any).
pub fn line(
    cache: &Cache,
    t: &Words,
    case: &LocalCase,
    att: &AttachmentWire,
    meta: &AttachmentMeta,
    identity: &age::x25519::Identity,
    inspect: Option<&str>,
) -> String {
    if !is_fetched(&case.dir, att) {
        return String::new();
    }
    if meta.size > INSPECT_AT_ONCE_BYTES
        && inspect != Some(att.id.as_str())
        && lock(&cache.0).get(&att.id).is_none()
    {
        return format!(
            "<form method=\"get\" action=\"/case/{case_id}\" class=\"inspect\"><input type=\"hidden\" name=\"inspect\" value=\"{id}\">\
             <p>{large} <button type=\"submit\">{button}</button></p></form>",
            case_id = case.bundle.id,
            id = esc(&att.id),
            large = t.meta_large,
            button = t.meta_inspect,
        );
    }
    render(t, &cache.get_or_check(case, att, meta, identity))
}

fn render(t: &Words, c: &Checked) -> String {
    match &c.found {
        Err(why) => format!(
            "<div class=\"meta warn\" role=\"note\"><p><strong>{}</strong></p><p lang=\"en\" dir=\"ltr\">{}</p></div>",
            t.meta_unreadable,
            esc(why)
        ),
        Ok(_) if c.kind == FileType::Other => format!("<p class=\"meta\">{}</p>", t.meta_not_inspected),
        Ok(list) if list.is_empty() => {
            format!("<p class=\"meta\">{} <span lang=\"en\" dir=\"ltr\">({})</span></p>", t.meta_none, c.kind.label())
        }
        Ok(list) => {
            let items: String = list
                .iter()
                .map(|f| format!("<li>{}: <bdi lang=\"en\" dir=\"ltr\">{}</bdi></li>", label(t, &f.what), esc(&f.value)))
                .collect();
            format!(
                "<div class=\"meta warn\" role=\"note\"><p><strong>{}</strong></p><ul>{items}</ul></div>",
                t.meta_found
            )
        }
    }
}

/// A finding's label in the page's language, the inspector's own words beside it (what
/// `amana-review export` prints); a label without a translation stays English, marked so.
fn label(t: &Words, what: &str) -> String {
    match t.meta_labels.iter().find(|(en, _)| *en == what) {
        Some((_, local)) => format!("{local} <bdi lang=\"en\" dir=\"ltr\">({})</bdi>", esc(what)),
        None => format!("<bdi lang=\"en\" dir=\"ltr\">{}</bdi>", esc(what)),
    }
}
