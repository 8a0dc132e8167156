//! Documents oversight signs outside any request — published figures (`publication`) and
//! improvement periods (`improvement`): one file shape and one check for both.
//!
//! The file is `{"document": "<JSON text>", "key_id", "signature"}`; the signature is base64
//! Ed25519 over the document's format tag, a newline and the document's bytes, by an
//! oversight key of the signed roster. The tag in the signed message keeps a signature made
//! for one kind of document from being accepted as the other.

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use ring::signature::{self, Ed25519KeyPair};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// The signed file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signed {
    pub document: String,
    pub key_id: String,
    pub signature: String,
}

fn message(format: &str, document: &str) -> Vec<u8> {
    [format.as_bytes(), b"\n", document.as_bytes()].concat()
}

/// Signs `document` (serialized once, kept as text) as `key_id`, for documents tagged `format`.
pub fn sign<T: Serialize>(
    key: &Ed25519KeyPair,
    key_id: &str,
    format: &str,
    document: &T,
) -> Result<Signed, serde_json::Error> {
    let text = serde_json::to_string(document)?;
    let signature = B64.encode(key.sign(&message(format, &text)).as_ref());
    Ok(Signed { document: text, key_id: key_id.to_string(), signature })
}

/// Checks that `signed` is signed, for documents tagged `format`, by the key `oversight_key`
/// returns for its `key_id` (a current oversight key of the roster), and returns the
/// document's text. What the document says is for the caller to check.
pub fn verify<'a>(
    signed: &'a Signed,
    format: &str,
    oversight_key: impl Fn(&str) -> Option<[u8; 32]>,
) -> Result<&'a str, String> {
    let public = oversight_key(&signed.key_id)
        .ok_or_else(|| format!("`{}` is not a current oversight key of this deployment", signed.key_id))?;
    let sig = B64.decode(&signed.signature).map_err(|_| "the signature is not base64".to_string())?;
    signature::UnparsedPublicKey::new(&signature::ED25519, public)
        .verify(&message(format, &signed.document), &sig)
        .map_err(|_| "the signature does not verify: the document was changed after signing".to_string())?;
    Ok(&signed.document)
}

/// What every signed document says of itself: its format tag and its deployment.
pub trait Tagged {
    /// The document's `format` field.
    fn format(&self) -> &str;
    /// The document's `deployment_id` field.
    fn deployment_id(&self) -> &str;
}

/// [`verify`], then reads the document as a `T` (`what` names it in the error) and checks it
/// is of `format` and of this deployment. What else it says is for the caller to check.
pub fn open<T: DeserializeOwned + Tagged>(
    signed: &Signed,
    format: &str,
    oversight_key: impl Fn(&str) -> Option<[u8; 32]>,
    deployment_id: &str,
    what: &str,
) -> Result<T, String> {
    let text = verify(signed, format, oversight_key)?;
    let doc: T = serde_json::from_str(text).map_err(|_| format!("the document is not {what}"))?;
    if doc.format() != format || doc.deployment_id() != deployment_id {
        return Err(format!("the document is not a {format} document of this deployment"));
    }
    Ok(doc)
}
