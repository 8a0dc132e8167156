//! Signed requests to the reviewer API (SECURITY.md invariant 6).
//!
//! Signing ([`sign`] → [`SignedRequest`]) is kept apart from sending ([`Client::send`]): the
//! air-gapped path writes a `SignedRequest` to a file instead ([`SignedRequest::to_file`],
//! `amana_core::signing::SignedRequestFile`), and a connected machine sends such a file
//! verbatim ([`Client::send_file`]) without any key. The command modules never see HTTP.

use std::time::Duration;

use std::path::Path;

use amana_core::signing::{self, RequestParts, Signature, SignedRequestFile};
use amana_core::wire::{AgencyList, ErrorBody};
use ring::signature::Ed25519KeyPair;
use serde::de::DeserializeOwned;
use ureq::http::Response;

use crate::error::ReviewError;

/// Largest response we read: a full pull carries every case's envelopes (a bundle written
/// by `pull --authorization` is held to it too, though it goes to disk, not memory).
pub const MAX_RESPONSE: u64 = 256 * 1024 * 1024;
/// Largest error answer we read (it is a short JSON explanation).
const MAX_ERROR_BODY: u64 = 1024 * 1024;
/// How much of a server's error message we repeat.
const MAX_MESSAGE_CHARS: usize = 300;

/// The HTTP methods of the reviewer API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Reads (pull).
    Get,
    /// Actions (status change, later reply, extension…).
    Post,
}

impl Method {
    /// The name, as signed and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// A request signed by the reviewer, ready to be sent or carried as a file.
#[derive(Debug, Clone)]
pub struct SignedRequest {
    /// The method, as signed.
    pub method: Method,
    /// The path with query, exactly as signed.
    pub path_and_query: String,
    /// The body, exactly as signed.
    pub body: Vec<u8>,
    /// Key id, timestamp, nonce and signature.
    pub signature: Signature,
}

impl SignedRequest {
    /// The file form of this request, for the air gap.
    pub fn to_file(&self, deployment_id: &str) -> Result<SignedRequestFile, ReviewError> {
        let body = String::from_utf8(self.body.clone()).map_err(|_| ReviewError::NotRequestFile {
            path: self.path_and_query.clone().into(),
            detail: "the body is not UTF-8".into(),
        })?;
        Ok(SignedRequestFile::new(
            deployment_id,
            self.method.as_str(),
            &self.path_and_query,
            body,
            self.signature.clone(),
        ))
    }

    /// The request a signed request file describes, after checking its shape (`path` is the
    /// file, for messages).
    pub fn from_file(file: &SignedRequestFile, path: &Path) -> Result<Self, ReviewError> {
        file.validate().map_err(|cause| ReviewError::RequestFile { path: path.to_path_buf(), cause })?;
        let method = if file.method == "GET" { Method::Get } else { Method::Post };
        Ok(Self {
            method,
            path_and_query: file.path.clone(),
            body: file.body.as_bytes().to_vec(),
            signature: file.signature(),
        })
    }
}

/// Reads and parses a signed request file.
pub fn read_request_file(path: &Path) -> Result<SignedRequestFile, ReviewError> {
    let bytes = std::fs::read(path).map_err(crate::error::io_error(path))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ReviewError::NotRequestFile { path: path.to_path_buf(), detail: e.to_string() })
}

/// Signs `method path body` now, with a fresh nonce.
pub fn sign(
    key: &Ed25519KeyPair,
    key_id: &str,
    deployment_id: &str,
    method: Method,
    path_and_query: &str,
    body: Vec<u8>,
) -> SignedRequest {
    let nonce = signing::new_nonce();
    let parts = RequestParts {
        deployment_id,
        key_id,
        method: method.as_str(),
        path_and_query,
        body: &body,
        // The hour, not the second: see `signing::signed_timestamp`.
        timestamp: signing::signed_timestamp(time::OffsetDateTime::now_utc().unix_timestamp()),
        nonce: &nonce,
    };
    let signature = signing::sign(key, &parts);
    SignedRequest { method, path_and_query: path_and_query.to_string(), body, signature }
}

/// Accepts only http(s) URLs, so a typo fails here rather than as a confusing network error.
pub fn check_server_url(url: &str) -> Result<(), ReviewError> {
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(())
    } else {
        Err(ReviewError::BadServerUrl(url.chars().take(200).collect()))
    }
}

/// An HTTP client for one server.
pub struct Client {
    agent: ureq::Agent,
    base: String,
}

impl Client {
    /// A client for `base_url` (e.g. `https://amana.example.org`).
    pub fn new(base_url: &str) -> Result<Self, ReviewError> {
        check_server_url(base_url)?;
        let config = ureq::Agent::config_builder()
            // We read 4xx/5xx bodies ourselves: they carry the server's explanation.
            .http_status_as_error(false)
            // A redirected signed request would fail verification anyway; say so clearly.
            .max_redirects(0)
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_recv_response(Some(Duration::from_secs(120)))
            .user_agent("amana-review")
            .build();
        Ok(Self { agent: config.into(), base: base_url.trim_end_matches('/').to_string() })
    }

    /// The full URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a signed request; returns the body of a 2xx answer.
    pub fn send(&self, req: &SignedRequest) -> Result<Vec<u8>, ReviewError> {
        let url = self.url(&req.path_and_query);
        let result = match req.method {
            Method::Post => signed(self.agent.post(&url), &req.signature)
                .header("content-type", "application/json")
                .send(&req.body[..]),
            Method::Get => signed(self.agent.get(&url), &req.signature).call(),
        };
        read_response(&url, result)
    }

    /// Sends a signed `GET` whose answer is a binary stream (an attachment's age file) and
    /// returns a reader of at most `limit` bytes (reading past it fails), plus the
    /// announced `Content-Length`. The body is never held in memory whole.
    pub fn get_stream(&self, req: &SignedRequest, limit: u64) -> Result<Download, ReviewError> {
        let url = self.url(&req.path_and_query);
        let response = successful(&url, signed(self.agent.get(&url), &req.signature).call())?;
        let content_length = response.body().content_length();
        let reader = response.into_body().into_with_config().limit(limit).reader();
        Ok(Download { url, content_length, reader: Box::new(reader) })
    }

    /// Sends a signed request file verbatim (the connected machine holds no key).
    pub fn send_file(&self, file: &SignedRequestFile, path: &Path) -> Result<Vec<u8>, ReviewError> {
        self.send(&SignedRequest::from_file(file, path)?)
    }

    /// An unsigned `POST` of a JSON body that carries its own signature (published figures).
    pub fn post_unsigned(&self, path: &str, body: &[u8]) -> Result<Vec<u8>, ReviewError> {
        let url = self.url(path);
        read_response(&url, self.agent.post(&url).header("content-type", "application/json").send(body))
    }

    /// A public, unsigned `GET` answered with JSON.
    pub fn get_public<T: DeserializeOwned>(&self, path: &str) -> Result<T, ReviewError> {
        let url = self.url(path);
        let body = read_response(&url, self.agent.get(&url).call())?;
        parse_json(&url, &body)
    }

    /// The deployment id from the public agency list.
    pub fn fetch_deployment_id(&self) -> Result<String, ReviewError> {
        let list: AgencyList = self.get_public(amana_core::wire::paths::AGENCIES)?;
        Ok(list.deployment_id)
    }
}

/// A streamed answer: read it with [`Download::reader`].
pub struct Download {
    /// The full URL, for messages.
    pub url: String,
    /// The length the server announced, if any.
    pub content_length: Option<u64>,
    /// The body, bounded by the limit given to [`Client::get_stream`].
    pub reader: Box<dyn std::io::Read + Send>,
}

/// Adds the signature headers.
fn signed<B>(builder: ureq::RequestBuilder<B>, sig: &Signature) -> ureq::RequestBuilder<B> {
    builder
        .header(signing::HEADER_KEY, &sig.key_id)
        .header(signing::HEADER_TIMESTAMP, sig.timestamp.to_string())
        .header(signing::HEADER_NONCE, &sig.nonce)
        .header(signing::HEADER_SIGNATURE, &sig.signature)
}

/// Parses a JSON answer, naming the URL if it does not fit.
pub fn parse_json<T: DeserializeOwned>(url: &str, body: &[u8]) -> Result<T, ReviewError> {
    serde_json::from_slice(body)
        .map_err(|e| ReviewError::BadResponse { url: url.to_string(), detail: e.to_string() })
}

/// Turns a transport result into the 2xx body or an error a reviewer can act on.
fn read_response(
    url: &str,
    result: Result<Response<ureq::Body>, ureq::Error>,
) -> Result<Vec<u8>, ReviewError> {
    successful(url, result)?
        .body_mut()
        .with_config()
        .limit(MAX_RESPONSE)
        .read_to_vec()
        .map_err(|e| ReviewError::BadResponse { url: url.to_string(), detail: e.to_string() })
}

/// The response if it is a 2xx; otherwise the error it explains (its body read, bounded).
fn successful(
    url: &str,
    result: Result<Response<ureq::Body>, ureq::Error>,
) -> Result<Response<ureq::Body>, ReviewError> {
    let unreachable =
        |e: ureq::Error| ReviewError::Unreachable { url: url.to_string(), detail: e.to_string() };
    let mut response = result.map_err(unreachable)?;
    if response.status().is_success() {
        return Ok(response);
    }
    if response.status().is_redirection() {
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(clean_message)
            .unwrap_or_else(|| "an unnamed address".into());
        return Err(ReviewError::Redirected { url: url.to_string(), location });
    }
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_ERROR_BODY)
        .read_to_vec()
        .map_err(|e| ReviewError::BadResponse { url: url.to_string(), detail: e.to_string() })?;
    Err(server_error(response.status().as_u16(), &body))
}

/// Maps a 4xx/5xx answer (normally a JSON [`ErrorBody`]) to our error.
fn server_error(status: u16, body: &[u8]) -> ReviewError {
    let parsed = serde_json::from_slice::<ErrorBody>(body).ok();
    let code = parsed.as_ref().map(|b| b.error.as_str());
    let message =
        parsed.as_ref().map_or_else(|| "no explanation given".to_string(), |b| clean_message(&b.message));
    match (status, code) {
        (401, Some("replayed")) => ReviewError::AlreadySeen { message },
        (401, _) => ReviewError::SignatureRefused { message },
        _ => ReviewError::Refused { status, message },
    }
}

/// Shortens a server-supplied text and drops control characters: it goes to a terminal.
fn clean_message(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(MAX_MESSAGE_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keypair() -> Ed25519KeyPair {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).expect("generate");
        Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("parse")
    }

    #[test]
    fn signed_request_verifies_with_core() {
        use ring::signature::KeyPair;
        let key = keypair();
        let req = sign(&key, "alice", "dep", Method::Post, "/api/v1/review/cases/x/status", b"{}".to_vec());
        let parts = RequestParts {
            deployment_id: "dep",
            key_id: "alice",
            method: "POST",
            path_and_query: &req.path_and_query,
            body: &req.body,
            timestamp: req.signature.timestamp,
            nonce: &req.signature.nonce,
        };
        let now = req.signature.timestamp;
        let pk = key.public_key().as_ref();
        assert_eq!(signing::verify(pk, &parts, &req.signature.signature, now, 60), Ok(()));
        let other_deployment = RequestParts { deployment_id: "other", ..parts };
        assert!(signing::verify(pk, &other_deployment, &req.signature.signature, now, 60).is_err());
    }

    #[test]
    fn request_files_round_trip() {
        let key = keypair();
        let req = sign(&key, "alice", "dep", Method::Post, "/api/v1/review/cases/x/status", b"{}".to_vec());
        let file = req.to_file("dep").expect("file");
        assert_eq!((file.method.as_str(), file.body.as_str()), ("POST", "{}"));
        let back = SignedRequest::from_file(&file, Path::new("f.json")).expect("back");
        assert_eq!((back.method, back.body, back.signature), (req.method, req.body, req.signature));
        let mut evil = file.clone();
        evil.path = "@evil.example/x".into();
        let err = SignedRequest::from_file(&evil, Path::new("f.json")).expect_err("refused");
        assert!(err.to_string().starts_with("f.json: the path must start with"), "{err}");
    }

    #[test]
    fn server_errors_are_explained() {
        let body = br#"{"error":"bad_signature","message":"unknown key \u001b[2J"}"#;
        let msg = server_error(401, body).to_string();
        assert!(msg.contains("keys/reviewers/") && msg.contains("unknown key"), "{msg}");
        assert!(!msg.contains('\u{1b}'), "{msg}");
        let body = br#"{"error":"replayed","message":"this request was already used (replay)"}"#;
        let msg = server_error(401, body).to_string();
        assert!(msg.contains("already seen") && msg.contains("amana-review pull"), "{msg}");
        assert!(!msg.contains("clock") && !msg.contains("keys/reviewers/"), "{msg}");
        let msg = server_error(500, b"<html>").to_string();
        assert!(msg.contains("HTTP 500") && msg.contains("no explanation"), "{msg}");
    }

    #[test]
    fn unreachable_server_is_named() {
        // A port that was just free: nothing listens there any more.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let client = Client::new(&format!("http://127.0.0.1:{port}/")).expect("client");
        let err = client.fetch_deployment_id().expect_err("nothing listens");
        let msg = err.to_string();
        let url = format!("could not reach http://127.0.0.1:{port}/api/v1/agencies");
        assert!(msg.contains(&url), "{msg}");
        assert!(matches!(Client::new("amana.example.org"), Err(ReviewError::BadServerUrl(_))));
    }
}
