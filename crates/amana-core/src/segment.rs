//! Segments of a resumable evidence upload (docs/FORMATS.md §8, "Resumable uploads").
//!
//! age's STREAM cannot be continued in a later request without keeping its file key, which
//! would let a database reader decrypt pending data, and one node's memory is no place for
//! it on a multi-node deployment. So each request of a resumable upload yields one
//! **segment**: a complete, ordinary age file to the case's recipients of the bytes that
//! request carried. A segment is finished even when the connection breaks, so what a
//! client resumes from is always what is stored. The segment that completes the file also
//! holds its padding, in the same age stream, so the segments' lengths give away where
//! requests broke but not the file's exact size: only its padded length.

use std::io::Write;

use crate::attachment::{
    age_stream, hand_out, padded_len, AttachmentMeta, SegmentDigest, Sink, PAD_STEP, STORE_CHUNK,
};
use crate::ciphertext::Ciphertext;
use crate::envelope::EnvelopeError;

/// Encrypts one segment as it streams in, in [`STORE_CHUNK`] pieces, like
/// [`crate::attachment::StreamEncryptor`] but without padding or description.
pub struct SegmentEncryptor {
    writer: age::stream::StreamWriter<Sink>,
    sink: Sink,
    stored: ring::digest::Context,
    stored_len: u64,
    plain_len: u64,
}

/// A finished segment: its last pieces and what the event records of it.
pub struct SegmentDone {
    /// The last store pieces (after every piece `push` returned).
    pub pieces: Vec<Ciphertext>,
    /// Length and SHA-256 of the segment's whole age file.
    pub digest: SegmentDigest,
    /// Plaintext bytes the segment holds.
    pub plain_len: u64,
}

impl SegmentEncryptor {
    /// Starts a segment encrypted to `recipients`.
    pub fn new(recipients: &[age::x25519::Recipient]) -> Result<Self, EnvelopeError> {
        let (writer, sink) = age_stream(recipients)?;
        Ok(Self {
            writer,
            sink,
            stored: ring::digest::Context::new(&ring::digest::SHA256),
            stored_len: 0,
            plain_len: 0,
        })
    }

    /// Plaintext bytes seen so far.
    pub fn plain_len(&self) -> u64 {
        self.plain_len
    }

    /// Encrypts the next bytes; returns the complete store pieces ready now.
    pub fn push(&mut self, data: &[u8]) -> Result<Vec<Ciphertext>, EnvelopeError> {
        self.plain_len += data.len() as u64;
        self.writer.write_all(data).map_err(|e| EnvelopeError::Encrypt(e.to_string()))?;
        Ok(self.hand_out(STORE_CHUNK))
    }

    /// Closes the age file.
    pub fn finish(self) -> Result<SegmentDone, EnvelopeError> {
        let Self { writer, sink, mut stored, stored_len, plain_len } = self;
        writer.finish().map_err(|e| EnvelopeError::Encrypt(e.to_string()))?;
        let pieces = hand_out(&sink, &mut stored, 1);
        let bytes = stored_len + pieces.iter().map(|p| p.len() as u64).sum::<u64>();
        let digest = SegmentDigest { bytes, sha256: hex::encode(stored.finish()) };
        Ok(SegmentDone { pieces, digest, plain_len })
    }

    fn hand_out(&mut self, at_least: usize) -> Vec<Ciphertext> {
        let pieces = hand_out(&self.sink, &mut self.stored, at_least);
        self.stored_len += pieces.iter().map(|p| p.len() as u64).sum::<u64>();
        pieces
    }
}

/// Adds to `enc` the zero padding after the last byte of a file of `size` bytes, up to
/// [`padded_len`]; returns the store pieces ready meanwhile.
pub fn pad(enc: &mut SegmentEncryptor, size: u64) -> Result<Vec<Ciphertext>, EnvelopeError> {
    let zeros = [0u8; PAD_STEP];
    let mut left = padded_len(size) - size;
    let mut pieces = Vec::new();
    while left > 0 {
        let n = left.min(PAD_STEP as u64) as usize;
        pieces.extend(enc.push(&zeros[..n])?);
        left -= n as u64;
    }
    Ok(pieces)
}

/// The encrypted description of a resumable file, made at its start from what the client
/// declares; returns it and its SHA-256 (hex).
pub fn seal_meta(
    meta: &AttachmentMeta,
    recipients: &[age::x25519::Recipient],
) -> Result<(Ciphertext, String), EnvelopeError> {
    let framed = meta.encode().map_err(|e| EnvelopeError::Encrypt(e.to_string()))?;
    let sealed = Ciphertext::seal(&framed, recipients)?;
    let digest = crate::attachment::sha256_hex(sealed.as_bytes());
    Ok((sealed, digest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attachment::{decrypt_segments_to, open_meta, segments_sha256, sha256_hex};

    /// Encrypts `data` in segments cut at `cuts`, the last one padded; returns the content,
    /// the segments' digests and the description.
    fn segmented(
        data: &[u8],
        cuts: &[usize],
        to: &age::x25519::Identity,
    ) -> (Vec<u8>, Vec<SegmentDigest>, Vec<u8>) {
        let recipients = [to.to_public()];
        let (mut content, mut digests, mut at) = (Vec::new(), Vec::new(), 0);
        for end in cuts.iter().copied().chain([data.len()]) {
            let mut enc = SegmentEncryptor::new(&recipients).expect("start");
            for chunk in data[at..end].chunks(70_000) {
                content.extend(Ciphertext::join(enc.push(chunk).expect("push")));
            }
            let last = end == data.len();
            if last {
                content.extend(Ciphertext::join(pad(&mut enc, data.len() as u64).expect("pad")));
            }
            let done = enc.finish().expect("finish");
            let padded = if last { padded_len(data.len() as u64) - data.len() as u64 } else { 0 };
            assert_eq!(done.plain_len, (end - at) as u64 + padded);
            content.extend(Ciphertext::join(done.pieces));
            digests.push(done.digest);
            at = end;
        }
        let meta = AttachmentMeta {
            name: "memo.pdf".into(),
            content_type: "application/pdf".into(),
            size: data.len() as u64,
            sha256: sha256_hex(data),
        };
        let (meta_age, _) = seal_meta(&meta, &recipients).expect("meta");
        (content, digests, meta_age.into_bytes())
    }

    fn lengths(d: &[SegmentDigest]) -> Vec<u64> {
        d.iter().map(|s| s.bytes).collect()
    }

    #[test]
    fn segments_round_trip_and_their_digests_are_the_stored_bytes() {
        let who = age::x25519::Identity::generate();
        let data: Vec<u8> = (0..(STORE_CHUNK + 5000)).map(|i| (i % 253) as u8).collect();
        let (content, digests, meta_age) = segmented(&data, &[0, 1000, STORE_CHUNK + 10], &who);
        assert_eq!(digests.len(), 4, "four segments (one empty), the last one padded");
        let mut at = 0usize;
        for d in &digests {
            let end = at + d.bytes as usize;
            assert_eq!(sha256_hex(&content[at..end]), d.sha256);
            at = end;
        }
        assert_eq!(at, content.len());
        assert!(segments_sha256(&digests).is_some());
        let meta = open_meta(&meta_age, &[&who]).expect("meta");
        let mut out = Vec::new();
        decrypt_segments_to(&content[..], &lengths(&digests), &[&who], &meta, &mut out).expect("decrypt");
        assert_eq!(out, data);
    }

    #[test]
    fn reordered_dropped_or_extra_segments_are_refused() {
        let who = age::x25519::Identity::generate();
        let data = b"first half|second half".to_vec();
        let (content, digests, meta_age) = segmented(&data, &[11], &who);
        let meta = open_meta(&meta_age, &[&who]).expect("meta");
        let lens = lengths(&digests);
        let (a, b) = content.split_at(lens[0] as usize);
        let swapped = [b, a].concat();
        assert!(
            decrypt_segments_to(&swapped[..], &[lens[1], lens[0]], &[&who], &meta, std::io::sink()).is_err()
        );
        assert!(decrypt_segments_to(b, &[lens[1]], &[&who], &meta, std::io::sink()).is_err());
        let longer = [&content[..], b"x"].concat();
        assert!(decrypt_segments_to(&longer[..], &lens, &[&who], &meta, std::io::sink()).is_err());
        let cut = [lens[0] - 1, lens[1] + 1];
        assert!(decrypt_segments_to(&content[..], &cut, &[&who], &meta, std::io::sink()).is_err());
        assert!(decrypt_segments_to(&content[..], &lens[..1], &[&who], &meta, std::io::sink()).is_err());
    }

    #[test]
    fn the_segments_tell_where_requests_broke_not_the_files_exact_size() {
        let who = age::x25519::Identity::generate();
        // Two files of other sizes in one padding bucket, both broken after 500 bytes: the
        // segments hold the same plaintext lengths (their age files differ only by age's
        // random header stanza), 500 and the rest of the bucket.
        let recipients = [who.to_public()];
        let plain_lengths = |size: u64| {
            let mut first = SegmentEncryptor::new(&recipients).expect("start");
            first.push(&[7u8; 500]).expect("push");
            let mut last = SegmentEncryptor::new(&recipients).expect("start");
            last.push(&vec![7u8; size as usize - 500]).expect("push");
            pad(&mut last, size).expect("pad");
            [first.finish().expect("finish").plain_len, last.finish().expect("finish").plain_len]
        };
        assert_eq!(plain_lengths(1500), plain_lengths(1900));
        assert_eq!(plain_lengths(1900), [500, padded_len(1900) - 500]);
    }
}
