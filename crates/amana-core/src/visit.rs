//! Commissioned mystery-shopper visits: single-use tokens the oversight unit signs offline
//! and hands to the shoppers it commissions, so that their evaluations count as commissioned
//! (rankings use them) while anonymous public ratings stay welcome and are counted apart.
//!
//! A token is one line of text, `amana-visit-1.<key id>.<claims>.<signature>`: the claims are
//! base64url JSON (deployment, agency, optional centre, last valid date, a random nonce), and
//! the signature is Ed25519 over `amana-visit-1\n` followed by the claims' bytes, made with an
//! **oversight** reviewer's signing key from the signed roster. The server accepts a token once
//! (it keeps the SHA-256 of the nonce until the token expires, never linked to the case) and
//! records on the case only that it was commissioned. So the stored case does not say which
//! token, and therefore which shopper, filed it; what the server saw at the moment of the
//! request is another matter (SECURITY.md, "What the server knows, in clear").

use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64, Engine};
use ring::signature::{self, Ed25519KeyPair};
use serde::{Deserialize, Serialize};
use time::Date;

/// The format tag, first in every token and in what is signed.
pub const PREFIX: &str = "amana-visit-1";
/// Longest token accepted, in bytes (a token is about 300).
pub const MAX_TOKEN_BYTES: usize = 2048;

/// What a token allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisitClaims {
    pub deployment_id: String,
    pub agency: String,
    /// The one centre it is for, or any centre of the agency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub centre: Option<String>,
    /// The last UTC date it can be used on.
    pub valid_until: Date,
    /// 32 lowercase hex digits, random: makes each token unique and single-use.
    pub nonce: String,
}

/// A token that verified: its claims and the id under which the server records it as used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    pub claims: VisitClaims,
    /// Lowercase hex SHA-256 of the nonce.
    pub spent_id: String,
    /// The oversight key that signed it.
    pub key_id: String,
}

/// Why a token was refused; every message says what the shopper can do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VisitError {
    #[error("the visit token is not an Amana visit token; copy it exactly as the oversight unit gave it")]
    Malformed,
    #[error("the visit token is not signed by an oversight key of this deployment; ask the oversight unit for a new one")]
    NotSigned,
    #[error("the visit token is for another deployment or agency; use it for the agency it was issued for")]
    OtherAgency,
    #[error("the visit token is for another service centre; evaluate the centre it was issued for")]
    OtherCentre,
    #[error("the visit token expired on {0}; ask the oversight unit for a new one")]
    Expired(Date),
}

/// Signs a token for `claims` with an oversight reviewer's key.
pub fn issue(key: &Ed25519KeyPair, key_id: &str, claims: &VisitClaims) -> Result<String, serde_json::Error> {
    let body = serde_json::to_vec(claims)?;
    let sig = key.sign(&signed_bytes(&body));
    Ok(format!("{PREFIX}.{key_id}.{}.{}", B64.encode(&body), B64.encode(sig.as_ref())))
}

fn signed_bytes(claims: &[u8]) -> Vec<u8> {
    [PREFIX.as_bytes(), b"\n", claims].concat()
}

/// A new random nonce for [`VisitClaims::nonce`].
pub fn new_nonce() -> String {
    crate::signing::new_nonce()
}

/// Checks a token: an oversight key that `oversight_key` returns (a key id to its Ed25519
/// public key, if that reviewer is oversight and not revoked today) signed it, for this
/// deployment, agency and centre, and it is still valid `today`.
pub fn verify(
    token: &str,
    oversight_key: impl Fn(&str) -> Option<[u8; 32]>,
    deployment_id: &str,
    agency: &str,
    centre: Option<&str>,
    today: Date,
) -> Result<Visit, VisitError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(VisitError::Malformed);
    }
    let mut parts = token.trim().split('.');
    let (Some(PREFIX), Some(key_id), Some(body), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(VisitError::Malformed);
    };
    let body = B64.decode(body).map_err(|_| VisitError::Malformed)?;
    let sig = B64.decode(sig).map_err(|_| VisitError::Malformed)?;
    let public = oversight_key(key_id).ok_or(VisitError::NotSigned)?;
    signature::UnparsedPublicKey::new(&signature::ED25519, public)
        .verify(&signed_bytes(&body), &sig)
        .map_err(|_| VisitError::NotSigned)?;
    let claims: VisitClaims = serde_json::from_slice(&body).map_err(|_| VisitError::Malformed)?;
    if claims.deployment_id != deployment_id || claims.agency != agency {
        return Err(VisitError::OtherAgency);
    }
    if claims.centre.as_deref().is_some_and(|c| Some(c) != centre) {
        return Err(VisitError::OtherCentre);
    }
    if today > claims.valid_until {
        return Err(VisitError::Expired(claims.valid_until));
    }
    let spent_id = hex::encode(ring::digest::digest(&ring::digest::SHA256, claims.nonce.as_bytes()));
    Ok(Visit { claims, spent_id, key_id: key_id.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::KeyPair;
    use time::macros::date;

    fn key() -> Ed25519KeyPair {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).expect("key");
        Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("key")
    }

    fn claims(centre: Option<&str>) -> VisitClaims {
        VisitClaims {
            deployment_id: "dep".into(),
            agency: "health".into(),
            centre: centre.map(str::to_string),
            valid_until: date!(2026 - 12 - 31),
            nonce: new_nonce(),
        }
    }

    #[test]
    fn a_token_verifies_once_per_nonce_and_only_where_it_was_issued_for() {
        let (oversight, agency_key) = (key(), key());
        let public = |k: &Ed25519KeyPair| {
            let mut p = [0u8; 32];
            p.copy_from_slice(k.public_key().as_ref());
            p
        };
        let keys = |id: &str| (id == "oversight").then(|| public(&oversight));
        let token = issue(&oversight, "oversight", &claims(Some("north"))).expect("token");
        let today = date!(2026 - 12 - 02);
        let visit = verify(&token, keys, "dep", "health", Some("north"), today).expect("valid");
        assert_eq!(visit.spent_id.len(), 64);
        assert_eq!(visit.key_id, "oversight");
        let check = |t: &str, agency: &str, centre: Option<&str>, on: Date| {
            verify(t, keys, "dep", agency, centre, on)
        };
        assert_eq!(check(&token, "transport", Some("north"), today), Err(VisitError::OtherAgency));
        assert_eq!(check(&token, "health", Some("south"), today), Err(VisitError::OtherCentre));
        assert_eq!(check(&token, "health", None, today), Err(VisitError::OtherCentre));
        assert_eq!(
            check(&token, "health", Some("north"), date!(2027 - 01 - 01)),
            Err(VisitError::Expired(date!(2026 - 12 - 31)))
        );
        // Signed by a key the roster does not make oversight, or altered: refused.
        let forged = issue(&agency_key, "oversight", &claims(None)).expect("token");
        assert_eq!(check(&forged, "health", None, today), Err(VisitError::NotSigned));
        let other = issue(&agency_key, "agency-officer", &claims(None)).expect("token");
        assert_eq!(check(&other, "health", None, today), Err(VisitError::NotSigned));
        let parts: Vec<&str> = token.split('.').collect();
        let mut wider = claims(None);
        wider.nonce = "00".repeat(16);
        let swapped = format!(
            "{}.{}.{}.{}",
            parts[0],
            parts[1],
            B64.encode(serde_json::to_vec(&wider).expect("json")),
            parts[3]
        );
        assert_eq!(check(&swapped, "health", None, today), Err(VisitError::NotSigned));
        for bad in ["", "amana-visit-1", "amana-visit-1.a.b.c.d", "x.oversight.e30.e30"] {
            assert!(
                matches!(
                    check(bad, "health", None, today),
                    Err(VisitError::Malformed | VisitError::NotSigned)
                ),
                "{bad}"
            );
        }
        // A token for any centre of the agency works at each of them, and without one.
        let any = issue(&oversight, "oversight", &claims(None)).expect("token");
        assert!(
            check(&any, "health", Some("south"), today).is_ok() && check(&any, "health", None, today).is_ok()
        );
    }
}
