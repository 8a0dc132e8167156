//! Checking a downloaded content against what its attested event records (docs/FORMATS.md
//! §8), before anything of it is decrypted: the digest of the whole age file, or, for a
//! segmented file (a resumable upload), each segment's digest, the content being cut at the
//! recorded lengths. A database writer who drops, reorders or swaps a segment is caught here.

use std::io::Read;
use std::path::Path;

use amana_core::attachment::FileDigest;
use ring::digest::{Context, SHA256};

/// Hashes a content as it streams by, whole and segment by segment.
pub struct ContentHasher {
    whole: Context,
    /// The recorded segment lengths (empty: one age file).
    lengths: Vec<u64>,
    current: Context,
    /// Bytes left in the current segment (past the last one: counts nothing).
    left: u64,
    done: Vec<String>,
    total: u64,
}

impl ContentHasher {
    /// A hasher cut where `recorded` says the segments end.
    pub fn new(recorded: Option<&FileDigest>) -> Self {
        let lengths: Vec<u64> =
            recorded.map(|f| f.segments.iter().map(|s| s.bytes).collect()).unwrap_or_default();
        let left = lengths.first().copied().unwrap_or(u64::MAX);
        Self {
            whole: Context::new(&SHA256),
            lengths,
            current: Context::new(&SHA256),
            left,
            done: Vec::new(),
            total: 0,
        }
    }

    /// The next bytes of the content.
    pub fn update(&mut self, mut data: &[u8]) {
        self.whole.update(data);
        self.total += data.len() as u64;
        while !data.is_empty() {
            let n = data.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
            self.current.update(&data[..n]);
            self.left -= n as u64;
            data = &data[n..];
            if self.left == 0 {
                let finished = std::mem::replace(&mut self.current, Context::new(&SHA256));
                self.done.push(hex::encode(finished.finish()));
                // Bytes past the last recorded segment form one more, which never matches.
                self.left = self.lengths.get(self.done.len()).copied().unwrap_or(u64::MAX);
            }
        }
    }

    /// The SHA-256 (hex) of everything seen.
    pub fn whole_hex(&self) -> String {
        hex::encode(self.whole.clone().finish())
    }

    /// Is what was seen exactly what `recorded` records (anything, if it records nothing)?
    pub fn matches(&self, recorded: Option<&FileDigest>) -> bool {
        let Some(f) = recorded else { return true };
        if f.segments.is_empty() {
            return self.whole_hex() == f.content_sha256;
        }
        let expected: u64 = f.segments.iter().map(|s| s.bytes).sum();
        self.total == expected
            && self.done.len() == f.segments.len()
            && self.done.iter().zip(&f.segments).all(|(got, s)| *got == s.sha256)
    }
}

/// Reads the content at `path` and checks it against `recorded`.
pub fn file_matches(path: &Path, recorded: &FileDigest) -> std::io::Result<bool> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = ContentHasher::new(Some(recorded));
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(hasher.matches(Some(recorded)));
        }
        hasher.update(&buf[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use amana_core::attachment::{sha256_hex, SegmentDigest};

    fn recorded(segments: &[&[u8]]) -> FileDigest {
        let segments: Vec<SegmentDigest> =
            segments.iter().map(|s| SegmentDigest { bytes: s.len() as u64, sha256: sha256_hex(s) }).collect();
        FileDigest {
            id: "a1".into(),
            meta_sha256: String::new(),
            content_sha256: amana_core::attachment::segments_sha256(&segments).expect("hex"),
            segments,
        }
    }

    fn seen(content: &[u8], step: usize, r: &FileDigest) -> bool {
        let mut h = ContentHasher::new(Some(r));
        content.chunks(step).for_each(|c| h.update(c));
        h.matches(Some(r))
    }

    #[test]
    fn only_the_recorded_segments_in_order_match() {
        let r = recorded(&[b"alpha", b"beta", b"pad"]);
        for step in [1, 2, 100] {
            assert!(seen(b"alphabetapad", step, &r), "{step}");
            assert!(!seen(b"betaalphapad", step, &r), "reordered");
            assert!(!seen(b"alphapad", step, &r), "dropped");
            assert!(!seen(b"alphabetapadX", step, &r), "longer");
            assert!(!seen(b"alphabetpad", step, &r), "shorter");
            assert!(!seen(b"alphaBETApad", step, &r), "swapped");
        }
    }

    #[test]
    fn a_single_stream_is_checked_whole() {
        let r = FileDigest {
            id: "a1".into(),
            meta_sha256: String::new(),
            content_sha256: sha256_hex(b"content"),
            segments: Vec::new(),
        };
        assert!(seen(b"content", 3, &r));
        assert!(!seen(b"contenT", 3, &r));
        assert!(ContentHasher::new(None).matches(None), "nothing recorded (older events)");
    }
}
