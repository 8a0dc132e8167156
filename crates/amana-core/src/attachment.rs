//! Evidence files: streamed age encryption with padding (docs/FORMATS.md §8).
//!
//! A file becomes two age files, both to the case's recipients:
//! - the **content**: one age STREAM of `file bytes | zero bytes up to padded_len(size)`,
//!   produced chunk by chunk as the upload arrives and stored in [`STORE_CHUNK`] pieces;
//! - the **description** ([`AttachmentMeta`]: name, content type, exact size, SHA-256 of the
//!   file), framed and padded like a payload, written once the last byte is in.
//!
//! The server therefore knows only a padded ciphertext size: for a file of `n` bytes the
//! content plaintext is [`padded_len`]`(n)` — at least 1 KiB, then the next power of two up
//! to 1 MiB, then the next multiple of 1 MiB (the payload buckets) — so a 3.2 MB photo and a
//! 4.1 MB one look the same, and small files hide among each other.

use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::ciphertext::Ciphertext;
use crate::envelope::{self, EnvelopeError};
use crate::payload::{self, PayloadError};

const META_MAGIC: &[u8] = b"amana-attachment-v1\n";
/// Size of the ciphertext pieces handed to the store (the last one may be shorter).
pub const STORE_CHUNK: usize = 1024 * 1024;
/// Zero bytes written per call while padding, so padding never needs a large buffer.
pub(crate) const PAD_STEP: usize = 64 * 1024;

/// What the reviewer learns about a file besides its bytes. Zeroized on drop; like
/// [`payload::Payload`] neither `Clone` nor `Debug` (its `Debug` shows only the size), since
/// the file name is the reporter's own words.
#[derive(PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
pub struct AttachmentMeta {
    /// The file name as the reporter's browser sent it (unsafe: sanitize before use).
    pub name: String,
    /// The content type as sent (untrusted).
    pub content_type: String,
    /// Exact size of the file in bytes.
    pub size: u64,
    /// SHA-256 of the file, hex.
    pub sha256: String,
}

impl std::fmt::Debug for AttachmentMeta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttachmentMeta").field("size", &self.size).finish_non_exhaustive()
    }
}

impl AttachmentMeta {
    /// Frames and pads the description for encryption.
    pub fn encode(&self) -> Result<Zeroizing<Vec<u8>>, PayloadError> {
        payload::frame(META_MAGIC, self)
    }

    /// Parses a decrypted description, strictly.
    pub fn decode(bytes: &[u8]) -> Result<Self, PayloadError> {
        payload::unframe(META_MAGIC, bytes)
    }
}

/// The plaintext length a file of `size` bytes is padded to before encryption.
pub fn padded_len(size: u64) -> u64 {
    const MIB: u64 = 1024 * 1024;
    match size {
        0..=1024 => 1024,
        _ if size <= MIB => size.next_power_of_two(),
        _ => size.div_ceil(MIB) * MIB,
    }
}

/// Collects ciphertext as age produces it, shared with [`StreamEncryptor`] so full
/// pieces can be taken out while the age writer still owns the sink.
#[derive(Clone, Default)]
pub(crate) struct Sink(Arc<Mutex<Vec<u8>>>);

impl Sink {
    pub(crate) fn take(&self, at_least: usize) -> Vec<Vec<u8>> {
        let mut buf = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let mut out = Vec::new();
        while buf.len() >= at_least.max(1) {
            let n = buf.len().min(STORE_CHUNK);
            // Hand out the buffer itself and keep the (short) rest: no copy of the piece.
            let rest = buf.split_off(n);
            out.push(std::mem::replace(&mut *buf, rest));
        }
        out
    }
}

impl Write for Sink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// An age STREAM to `recipients` writing into a fresh [`Sink`] (whose pieces the caller
/// hands out as they fill).
pub(crate) fn age_stream(
    recipients: &[age::x25519::Recipient],
) -> Result<(age::stream::StreamWriter<Sink>, Sink), EnvelopeError> {
    if recipients.is_empty() {
        return Err(EnvelopeError::NoRecipients);
    }
    let sink = Sink::default();
    let encryptor = age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
        .map_err(|e| EnvelopeError::Encrypt(e.to_string()))?;
    let writer = encryptor.wrap_output(sink.clone()).map_err(|e| EnvelopeError::Encrypt(e.to_string()))?;
    Ok((writer, sink))
}

/// Encrypts one file as it streams in. Feed it with [`push`](Self::push), store the
/// pieces it returns, then call [`finish`](Self::finish). Memory stays bounded by one
/// age chunk (64 KiB) plus one store piece, whatever the file size.
pub struct StreamEncryptor {
    writer: age::stream::StreamWriter<Sink>,
    sink: Sink,
    hasher: ring::digest::Context,
    /// SHA-256 of the content's age file, piece by piece as handed out.
    stored: ring::digest::Context,
    size: u64,
    recipients: Vec<age::x25519::Recipient>,
}

impl StreamEncryptor {
    /// Starts a file encrypted to `recipients`.
    pub fn new(recipients: &[age::x25519::Recipient]) -> Result<Self, EnvelopeError> {
        let (writer, sink) = age_stream(recipients)?;
        Ok(Self {
            writer,
            sink,
            hasher: ring::digest::Context::new(&ring::digest::SHA256),
            stored: ring::digest::Context::new(&ring::digest::SHA256),
            size: 0,
            recipients: recipients.to_vec(),
        })
    }

    /// Bytes of the file seen so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Encrypts the next bytes of the file; returns the complete store pieces ready now.
    pub fn push(&mut self, data: &[u8]) -> Result<Vec<Ciphertext>, EnvelopeError> {
        self.hasher.update(data);
        self.size += data.len() as u64;
        self.writer.write_all(data).map_err(|e| EnvelopeError::Encrypt(e.to_string()))?;
        Ok(hand_out(&self.sink, &mut self.stored, STORE_CHUNK))
    }

    /// Pads, closes the stream and encrypts the description. Returns the remaining store
    /// pieces and the encrypted description.
    pub fn finish(mut self, name: &str, content_type: &str) -> Result<Finished, EnvelopeError> {
        let zeros = [0u8; PAD_STEP];
        let mut left = padded_len(self.size) - self.size;
        while left > 0 {
            let n = left.min(PAD_STEP as u64) as usize;
            self.writer.write_all(&zeros[..n]).map_err(|e| EnvelopeError::Encrypt(e.to_string()))?;
            left -= n as u64;
        }
        self.writer.finish().map_err(|e| EnvelopeError::Encrypt(e.to_string()))?;
        let meta = AttachmentMeta {
            name: name.to_string(),
            content_type: content_type.to_string(),
            size: self.size,
            sha256: hex::encode(self.hasher.finish()),
        };
        let framed = meta.encode().map_err(|e| EnvelopeError::Encrypt(e.to_string()))?;
        let meta_age = Ciphertext::seal(&framed, &self.recipients)?;
        let pieces = hand_out(&self.sink, &mut self.stored, 1);
        let content_sha256 = hex::encode(self.stored.finish());
        Ok(Finished { pieces, meta_sha256: sha256_hex(meta_age.as_bytes()), meta_age, content_sha256 })
    }
}

/// Takes the ready pieces out of the sink, hashing them in order.
pub(crate) fn hand_out(sink: &Sink, stored: &mut ring::digest::Context, at_least: usize) -> Vec<Ciphertext> {
    let pieces = sink.take(at_least);
    for p in &pieces {
        stored.update(p);
    }
    pieces.into_iter().map(Ciphertext::made_here).collect()
}

/// The tail of an encrypted file.
pub struct Finished {
    /// The last store pieces (in order, after every piece `push` returned).
    pub pieces: Vec<Ciphertext>,
    /// The encrypted [`AttachmentMeta`] (a small age file).
    pub meta_age: Ciphertext,
    /// SHA-256 of `meta_age`, hex.
    pub meta_sha256: String,
    /// SHA-256 of the whole content age file (every piece in order), hex.
    pub content_sha256: String,
}

/// What an attested submission or follow-up records of each evidence file that came with
/// it (docs/FORMATS.md §9): the digests of its two age files exactly as stored. They bind
/// the file to the signed event, so a database writer cannot swap a file and its
/// description for ones of its own, nor add or drop one. Digests of ciphertext say nothing
/// of the plaintext (each age file has its own random file key), so unlike a payload
/// commitment they need no salt; the plaintext is bound through the description, which
/// holds the file's exact size and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDigest {
    /// The attachment id.
    pub id: String,
    /// SHA-256 of the encrypted description, hex.
    pub meta_sha256: String,
    /// SHA-256 of the content age file, hex; for a segmented file, [`segments_sha256`] of
    /// its segments.
    pub content_sha256: String,
    /// A resumable upload's content: one complete age file per segment, in order (empty for
    /// a file encrypted as one age STREAM). Absent from the JSON when empty, so events of
    /// single-stream files are written exactly as before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<SegmentDigest>,
}

/// One segment of a segmented content (docs/FORMATS.md §8, "Resumable uploads"): an
/// ordinary age file, `bytes` long as stored, whose SHA-256 is `sha256` (hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentDigest {
    /// Length of the segment's age file.
    pub bytes: u64,
    /// SHA-256 of the segment's age file, hex.
    pub sha256: String,
}

/// The `content_sha256` of a segmented file: the SHA-256 (hex) of the segments' digests'
/// raw bytes, concatenated in order. `None` if a digest is not 64 hex digits.
pub fn segments_sha256(segments: &[SegmentDigest]) -> Option<String> {
    let mut all = ring::digest::Context::new(&ring::digest::SHA256);
    for s in segments {
        let raw = hex::decode(&s.sha256).ok().filter(|r| r.len() == 32)?;
        all.update(&raw);
    }
    Some(hex::encode(all.finish()))
}

/// SHA-256, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes))
}

/// Errors from opening an attachment.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    #[error("the file description is invalid: {0}")]
    Meta(#[from] PayloadError),
    #[error("the file is damaged, truncated or was tampered with")]
    Damaged,
    #[error("the file does not match its recorded SHA-256")]
    HashMismatch,
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Decrypts a file description.
pub fn open_meta(meta_age: &[u8], identities: &[&dyn age::Identity]) -> Result<AttachmentMeta, OpenError> {
    let plain = envelope::decrypt(meta_age, identities)?;
    Ok(AttachmentMeta::decode(&plain)?)
}

/// Decrypts the content stream `ciphertext` into `out`, writing exactly `meta.size` bytes
/// and checking the padding and the SHA-256. On error `out` holds a partial file that the
/// caller must discard.
pub fn decrypt_to(
    ciphertext: impl Read,
    identities: &[&dyn age::Identity],
    meta: &AttachmentMeta,
    mut out: impl Write,
) -> Result<(), OpenError> {
    let mut plain = Plaintext::new(meta);
    decrypt_one(ciphertext, identities, &mut plain, &mut out)?;
    plain.end(meta)?;
    out.flush()?;
    Ok(())
}

/// Decrypts a segmented content (docs/FORMATS.md §8, "Resumable uploads"): `ciphertext`
/// is the age files of `lengths` (as the attested event records them) one after the
/// other, each decrypted on its own; their plaintexts together are checked exactly like
/// one stream's by [`decrypt_to`]. The caller checks the segments' digests before (a
/// segment that is not the recorded one must never be decrypted). Bytes after the last
/// segment are refused.
pub fn decrypt_segments_to(
    mut ciphertext: impl Read,
    lengths: &[u64],
    identities: &[&dyn age::Identity],
    meta: &AttachmentMeta,
    mut out: impl Write,
) -> Result<(), OpenError> {
    let mut plain = Plaintext::new(meta);
    for len in lengths {
        let mut segment = (&mut ciphertext).take(*len);
        decrypt_one(&mut segment, identities, &mut plain, &mut out)?;
        if segment.limit() > 0 {
            return Err(OpenError::Damaged);
        }
    }
    if ciphertext.read(&mut [0u8; 1])? != 0 {
        return Err(OpenError::Damaged);
    }
    plain.end(meta)?;
    out.flush()?;
    Ok(())
}

/// Decrypts one age file and hands its plaintext to `plain`.
fn decrypt_one(
    ciphertext: impl Read,
    identities: &[&dyn age::Identity],
    plain: &mut Plaintext,
    out: &mut impl Write,
) -> Result<(), OpenError> {
    let decryptor = age::Decryptor::new_buffered(io::BufReader::new(ciphertext))
        .map_err(|e| EnvelopeError::Format(e.to_string()))?;
    let mut reader = decryptor.decrypt(identities.iter().copied()).map_err(|e| match e {
        age::DecryptError::NoMatchingKeys => EnvelopeError::NoMatchingKey,
        other => EnvelopeError::Format(other.to_string()),
    })?;
    let mut buf = Zeroizing::new(vec![0u8; PAD_STEP]);
    loop {
        let n = reader.read(&mut buf[..]).map_err(|_| OpenError::Damaged)?;
        if n == 0 {
            return Ok(());
        }
        plain.feed(&buf[..n], out)?;
    }
}

/// The checks on a content's plaintext, wherever its age files end: the first `size`
/// bytes are the file (written out and hashed), the rest zero padding up to
/// [`padded_len`].
struct Plaintext {
    hasher: ring::digest::Context,
    /// File bytes still to come.
    left: u64,
    padding: u64,
}

impl Plaintext {
    fn new(meta: &AttachmentMeta) -> Self {
        Self { hasher: ring::digest::Context::new(&ring::digest::SHA256), left: meta.size, padding: 0 }
    }

    fn feed(&mut self, mut data: &[u8], out: &mut impl Write) -> Result<(), OpenError> {
        if self.left > 0 {
            let n = data.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
            self.hasher.update(&data[..n]);
            out.write_all(&data[..n])?;
            self.left -= n as u64;
            data = &data[n..];
        }
        if data.iter().any(|b| *b != 0) {
            return Err(OpenError::Damaged);
        }
        self.padding += data.len() as u64;
        Ok(())
    }

    fn end(self, meta: &AttachmentMeta) -> Result<(), OpenError> {
        if self.left > 0 || meta.size + self.padding != padded_len(meta.size) {
            return Err(OpenError::Damaged);
        }
        if hex::encode(self.hasher.finish()) != meta.sha256 {
            return Err(OpenError::HashMismatch);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encrypt_all(data: &[u8], recipients: &[age::x25519::Recipient], step: usize) -> (Vec<u8>, Vec<u8>) {
        let mut enc = StreamEncryptor::new(recipients).expect("start");
        let mut ct = Vec::new();
        for piece in data.chunks(step.max(1)) {
            for p in enc.push(piece).expect("push") {
                assert!(p.len() == STORE_CHUNK, "only full pieces before finish");
                ct.extend(p.into_bytes());
            }
        }
        let done = enc.finish("photo.jpg", "image/jpeg").expect("finish");
        for p in done.pieces {
            assert!(p.len() <= STORE_CHUNK);
            ct.extend(p.into_bytes());
        }
        assert_eq!(done.content_sha256, sha256_hex(&ct), "the digest covers every piece in order");
        assert_eq!(done.meta_sha256, sha256_hex(done.meta_age.as_bytes()));
        (ct, done.meta_age.into_bytes())
    }

    #[test]
    fn padded_len_buckets() {
        assert_eq!(padded_len(0), 1024);
        assert_eq!(padded_len(1024), 1024);
        assert_eq!(padded_len(1025), 2048);
        assert_eq!(padded_len(700_000), 1 << 20);
        assert_eq!(padded_len((1 << 20) + 1), 2 << 20);
        assert_eq!(padded_len(3_200_000), padded_len(4_100_000));
    }

    #[test]
    fn round_trip_across_piece_boundaries() {
        let who = age::x25519::Identity::generate();
        let data: Vec<u8> = (0..(2 * STORE_CHUNK + 12_345)).map(|i| (i % 251) as u8).collect();
        let (ct, meta_age) = encrypt_all(&data, &[who.to_public()], 10_000);
        let meta = open_meta(&meta_age, &[&who]).expect("meta");
        assert_eq!((meta.name.as_str(), meta.size), ("photo.jpg", data.len() as u64));
        let mut out = Vec::new();
        decrypt_to(&ct[..], &[&who], &meta, &mut out).expect("decrypt");
        assert_eq!(out, data);
        // The ciphertext size depends only on the padded length (after the age header, whose
        // length varies with its random grease stanza, not with the content).
        let (other, _) = encrypt_all(&data[..data.len() - 5000], &[who.to_public()], 4096);
        assert_eq!(other.len() - header_len(&other), ct.len() - header_len(&ct));
    }

    fn header_len(ct: &[u8]) -> usize {
        let mac_line = ct.windows(4).position(|w| w == b"\n---").expect("header end") + 1;
        mac_line + ct[mac_line..].iter().position(|b| *b == b'\n').expect("mac line end") + 1
    }

    #[test]
    fn tampering_truncation_and_wrong_meta_refused() {
        let who = age::x25519::Identity::generate();
        let (ct, meta_age) = encrypt_all(b"evidence", &[who.to_public()], 3);
        let meta = open_meta(&meta_age, &[&who]).expect("meta");
        let mut flipped = ct.clone();
        let n = flipped.len();
        flipped[n - 20] ^= 1;
        assert!(decrypt_to(&flipped[..], &[&who], &meta, io::sink()).is_err());
        assert!(decrypt_to(&ct[..ct.len() - 100], &[&who], &meta, io::sink()).is_err());
        let mut lying = open_meta(&meta_age, &[&who]).expect("meta");
        lying.sha256 = "00".repeat(32);
        assert!(matches!(decrypt_to(&ct[..], &[&who], &lying, io::sink()), Err(OpenError::HashMismatch)));
        lying = open_meta(&meta_age, &[&who]).expect("meta");
        lying.size = 3;
        assert!(decrypt_to(&ct[..], &[&who], &lying, io::sink()).is_err());
        let eve = age::x25519::Identity::generate();
        assert!(open_meta(&meta_age, &[&eve]).is_err());
    }
}
