//! The ids in a reviewer route's path, parsed at the edge. A handler gets them as
//! [`CasePath`] or [`AttachmentPath`], which give the raw text only to rebuild the route the
//! signature must cover; the case and the file are then looked up through a [`RouteId`], so
//! no store call sees an id that was not parsed.

use axum::{
    extract::{rejection::PathRejection, FromRequestParts, Path},
    http::request::Parts,
};

/// A well-formed case or attachment id: 1 to 64 ASCII letters, digits, `_` or `-` (the
/// server makes 20 hex digits, `state::random_id`). Anything else names no case.
pub struct RouteId(String);

impl RouteId {
    /// `None` for text that cannot be an id.
    pub fn parse(text: &str) -> Option<Self> {
        let ok = (1..=64).contains(&text.len())
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        ok.then(|| RouteId(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The `{id}` of a case route, as sent. Parsed only after the signature is verified, so a
/// malformed id gets the answer of a case that does not exist, after the same checks.
pub struct CasePath(String);

impl CasePath {
    /// The canonical route for this id (`amana_core::wire::paths`), to verify against.
    pub fn route(&self, path: fn(&str) -> String) -> String {
        path(&self.0)
    }

    pub fn parse(&self) -> Option<RouteId> {
        RouteId::parse(&self.0)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CasePath {
    type Rejection = PathRejection;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, PathRejection> {
        Path::<String>::from_request_parts(parts, state).await.map(|Path(id)| CasePath(id))
    }
}

/// `{id}` and `{attachment}` of the attachment route, as sent.
pub struct AttachmentPath {
    pub case: CasePath,
    attachment: String,
}

impl AttachmentPath {
    /// The canonical route (`amana_core::wire::paths::attachment`), to verify against.
    pub fn route(&self) -> String {
        amana_core::wire::paths::attachment(&self.case.0, &self.attachment)
    }

    pub fn attachment(&self) -> Option<RouteId> {
        RouteId::parse(&self.attachment)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AttachmentPath {
    type Rejection = PathRejection;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, PathRejection> {
        let Path((case, attachment)) = Path::<(String, String)>::from_request_parts(parts, state).await?;
        Ok(AttachmentPath { case: CasePath(case), attachment })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_short_and_plain() {
        assert!(RouteId::parse("0123456789abcdef0123").is_some());
        assert!(RouteId::parse("A_b-9").is_some());
        assert!(RouteId::parse(&"a".repeat(64)).is_some());
        for bad in ["", "a.b", "a/b", "a b", "é", "a%20"] {
            assert!(RouteId::parse(bad).is_none(), "{bad}");
        }
        assert!(RouteId::parse(&"a".repeat(65)).is_none());
    }
}
