//! What the public answers are made of, kept per stored document so that a visitor costs one
//! small database read and a map lookup: each stored text is verified once (keyed by its
//! SHA-256, so a database writer's change is a new key, verified — and refused — again), and
//! the JSON, CSV and pages made of one set of documents are made once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use amana_core::publication::{self, csv, year, Document, Signed};
use axum::{
    body::{Body, Bytes},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use ring::digest::{digest, SHA256};

use crate::error::ApiError;
use crate::state::AppState;

/// How long a browser or proxy may keep a public answer without asking again.
const MAX_AGE: &str = "public, max-age=300";
/// Beyond this many entries a map starts again (only a writer changing rows makes new ones).
const MAX_ENTRIES: usize = 512;

/// A body with its entity tag (`Bytes`: serving it copies nothing).
pub struct Served {
    body: Bytes,
    etag: HeaderValue,
}

impl Served {
    pub fn new(body: String) -> Self {
        let tag = hex::encode(&digest(&SHA256, body.as_bytes()).as_ref()[..16]);
        let etag = HeaderValue::from_str(&format!("\"{tag}\"")).unwrap_or(HeaderValue::from_static("\"0\""));
        Self { body: Bytes::from(body), etag }
    }

    /// The answer, or 304 when the client already holds this version.
    pub fn respond(&self, request: &HeaderMap, content_type: &'static str) -> Response {
        let fresh = request.get(header::IF_NONE_MATCH).is_some_and(|v| {
            v.to_str().is_ok_and(|v| v.split(',').any(|t| t.trim() == self.etag.to_str().unwrap_or("")))
        });
        let mut resp = if fresh {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            Body::from(self.body.clone()).into_response()
        };
        let h = resp.headers_mut();
        h.insert(header::ETAG, self.etag.clone());
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static(MAX_AGE));
        if !fresh {
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        }
        resp
    }
}

/// One stored document whose signature verified.
pub struct Verified {
    pub signed: Signed,
    pub doc: Document,
    /// `2025-Q1`, for a calendar quarter (documents of other periods are served, not summed).
    pub label: Option<String>,
    pub json: Served,
    pub csv: Served,
}

/// A year made of four published quarters.
pub struct YearView {
    pub figures: year::Year,
    pub json: Served,
    pub csv: Served,
}

/// Everything published, as one set of stored documents makes it.
pub struct Published {
    /// Newest period first.
    pub docs: Vec<Arc<Verified>>,
    /// Newest year first.
    pub years: Vec<YearView>,
    /// `GET /api/v1/transparency`.
    pub list: Served,
    pages: Mutex<HashMap<&'static str, Arc<Served>>>,
}

impl Published {
    /// The page in `lang`, rendered by `render` the first time only.
    pub fn page(&self, lang: &'static str, render: impl FnOnce() -> String) -> Arc<Served> {
        let mut pages = self.pages.lock().unwrap_or_else(PoisonError::into_inner);
        pages.entry(lang).or_insert_with(|| Arc::new(Served::new(render()))).clone()
    }

    pub fn quarter(&self, label: &str) -> Option<&Verified> {
        self.docs.iter().find(|d| d.label.as_deref() == Some(label)).map(|d| &**d)
    }

    pub fn year(&self, year: i32) -> Option<&YearView> {
        self.years.iter().find(|y| y.figures.year == year)
    }
}

type Key = [u8; 32];

/// The server's maps: stored text → its verification, set of texts → what is published.
#[derive(Default)]
pub struct Cache {
    verified: Mutex<HashMap<Key, Option<Arc<Verified>>>>,
    sets: Mutex<HashMap<Key, Arc<Published>>>,
}

fn key(bytes: &[u8]) -> Key {
    let mut k = [0u8; 32];
    k.copy_from_slice(digest(&SHA256, bytes).as_ref());
    k
}

/// What is published now: every stored document whose signature verifies (a document a
/// database writer changed is not served, and is logged once).
pub async fn published(state: &AppState) -> Result<Arc<Published>, ApiError> {
    let texts = state.store.publications().await?;
    let keys: Vec<Key> = texts.iter().map(|t| key(t.as_bytes())).collect();
    let set = key(&keys.concat());
    let cache = &state.transparency;
    if let Some(p) = cache.sets.lock().unwrap_or_else(PoisonError::into_inner).get(&set) {
        return Ok(p.clone());
    }
    let docs: Vec<Arc<Verified>> =
        texts.iter().zip(&keys).filter_map(|(t, k)| verified(state, t, *k)).collect();
    let published = Arc::new(build(docs)?);
    let mut sets = cache.sets.lock().unwrap_or_else(PoisonError::into_inner);
    if sets.len() >= MAX_ENTRIES {
        sets.clear();
    }
    sets.insert(set, published.clone());
    Ok(published)
}

fn verified(state: &AppState, text: &str, k: Key) -> Option<Arc<Verified>> {
    let mut map = state.transparency.verified.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(v) = map.get(&k) {
        return v.clone();
    }
    // A key revoked since it signed does not unpublish what it signed then.
    let oversight_key = |id: &str| state.keyring.oversight_key(id, None);
    let checked = serde_json::from_str::<Signed>(text)
        .map_err(|_| "not a signed file".to_string())
        .and_then(|s| publication::verify(&s, oversight_key, &state.keyring.deployment_id).map(|d| (s, d)));
    let entry = match checked {
        Ok((signed, doc)) => {
            let label = publication::quarter(doc.from, doc.to).map(|(y, q)| publication::quarter_label(y, q));
            let csv = Served::new(csv::quarter(label.as_deref().unwrap_or(&doc.from.to_string()), &doc));
            Some(Arc::new(Verified { json: Served::new(text.to_string()), csv, signed, doc, label }))
        }
        Err(why) => {
            tracing::warn!("a stored publication is not served: {why} (changed in the database?)");
            None
        }
    };
    if map.len() >= MAX_ENTRIES {
        map.clear();
    }
    map.insert(k, entry.clone());
    entry
}

fn build(docs: Vec<Arc<Verified>>) -> Result<Published, ApiError> {
    let mut years: Vec<i32> =
        docs.iter().filter_map(|d| publication::quarter(d.doc.from, d.doc.to)).map(|(y, _)| y).collect();
    years.dedup();
    let mut views = Vec::new();
    for y in years {
        let quarters: Vec<&Verified> = docs
            .iter()
            .filter(|d| publication::quarter(d.doc.from, d.doc.to).is_some_and(|(dy, _)| dy == y))
            .rev()
            .map(|d| &**d)
            .collect();
        let Some(figures) = year::sum(&quarters.iter().map(|d| &d.doc).collect::<Vec<_>>()) else { continue };
        let signed: Vec<&Signed> = quarters.iter().map(|d| &d.signed).collect();
        let json = serde_json::to_string(&serde_json::json!({ "year": figures, "quarters": signed }))
            .map_err(|e| ApiError::Internal(e.into()))?;
        views.push(YearView { csv: Served::new(csv::year(&figures)), json: Served::new(json), figures });
    }
    let list = super::PublicationsDto {
        publications: docs.iter().map(|d| d.signed.clone()).collect(),
        years: views.iter().map(|v| v.figures.year).collect(),
    };
    let list = Served::new(serde_json::to_string(&list).map_err(|e| ApiError::Internal(e.into()))?);
    Ok(Published { docs, years: views, list, pages: Mutex::default() })
}
