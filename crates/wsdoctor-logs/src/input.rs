//! Opening a log: gzip is recognised by its magic bytes and decompressed on the fly,
//! a HAR export by its first JSON key, bytes read are counted for the progress bar,
//! and a HAR document is capped in size.

use flate2::read::MultiGzDecoder;
use std::io::{self, BufRead, BufReader, Read};

/// Largest HAR document read (decompressed).
pub const MAX_HAR_BYTES: u64 = 512 << 20;

/// Most bytes one gzip file may decompress to: logs compress about 10:1, a gzip
/// bomb a million to one; past this the file is cut with an error.
pub const MAX_GZIP_OUTPUT: u64 = 16 << 30;

const BUF: usize = 256 << 10;

/// What kind of content a log holds, decided from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Content {
    Lines,
    Har,
}

/// Counts bytes as they are read from the underlying file (before decompression),
/// reporting them to the progress callback.
pub struct Counting<'p, R> {
    inner: R,
    progress: &'p mut dyn FnMut(u64),
}

impl<'p, R: Read> Counting<'p, R> {
    pub fn new(inner: R, progress: &'p mut dyn FnMut(u64)) -> Self {
        Counting { inner, progress }
    }
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.progress)(n as u64);
        Ok(n)
    }
}

/// Fails with a clear error once more than `limit` bytes were read.
pub struct Limited<R> {
    inner: R,
    left: u64,
}

impl<R> Limited<R> {
    pub fn new(inner: R, limit: u64) -> Self {
        Limited { inner, left: limit }
    }
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.left = self.left.checked_sub(n as u64).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "HAR export larger than {} MiB: export fewer requests or split it",
                    MAX_HAR_BYTES >> 20
                ),
            )
        })?;
        Ok(n)
    }
}

/// A gzip stream cut once it has produced `left` bytes (a gzip bomb).
struct GzCapped<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for GzCapped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.left = self.left.checked_sub(n as u64).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "decompresses to more than {} GiB (a gzip bomb?): the rest was not read",
                    MAX_GZIP_OUTPUT >> 30
                ),
            )
        })?;
        Ok(n)
    }
}

/// The encoding, when the first bytes say UTF-16: a byte-order mark, or NUL bytes
/// in every other position (UTF-16 without a mark, as Windows tools write it).
pub fn utf16(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(&[0xff, 0xfe]) {
        return Some("UTF-16LE (byte-order mark FF FE)");
    }
    if head.starts_with(&[0xfe, 0xff]) {
        return Some("UTF-16BE (byte-order mark FE FF)");
    }
    let sample = &head[..head.len().min(256) & !1];
    if sample.len() < 8 {
        return None;
    }
    let pairs = sample.len() / 2;
    let odd_nul = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|&&b| b == 0)
        .count();
    let even_nul = sample.iter().step_by(2).filter(|&&b| b == 0).count();
    if odd_nul * 10 >= pairs * 9 && even_nul == 0 {
        Some("UTF-16LE (no byte-order mark)")
    } else if even_nul * 10 >= pairs * 9 && odd_nul == 0 {
        Some("UTF-16BE (no byte-order mark)")
    } else {
        None
    }
}

/// The decompressed stream (when gzip), whether it was compressed, and its content.
pub fn open<'a, R: Read + 'a>(raw: R) -> io::Result<(Box<dyn BufRead + 'a>, bool, Content)> {
    let mut raw = BufReader::with_capacity(BUF, raw);
    let gz = raw.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    let mut text: Box<dyn BufRead + 'a> = if gz {
        let gz = GzCapped {
            inner: MultiGzDecoder::new(raw),
            left: MAX_GZIP_OUTPUT,
        };
        Box::new(BufReader::with_capacity(BUF, gz))
    } else {
        Box::new(raw)
    };
    let content = sniff(text.fill_buf()?);
    Ok((text, gz, content))
}

/// A HAR export starts with `{` and its first key is "log"; JSON-lines application
/// logs also start with `{` but not with that key.
fn sniff(head: &[u8]) -> Content {
    let rest = head.trim_ascii_start();
    let Some(rest) = rest.strip_prefix(b"{") else {
        return Content::Lines;
    };
    if rest.trim_ascii_start().starts_with(b"\"log\"") {
        Content::Har
    } else {
        Content::Lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;

    #[test]
    fn gzip_is_read_transparently() {
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(b"line one\nline two\n").expect("write");
        let gz = enc.finish().expect("finish");
        let (mut r, compressed, content) = open(&gz[..]).expect("open");
        let mut s = String::new();
        r.read_to_string(&mut s).expect("read");
        assert!(compressed);
        assert_eq!(content, Content::Lines);
        assert_eq!(s, "line one\nline two\n");
    }

    #[test]
    fn har_is_told_from_json_lines() {
        assert_eq!(sniff(b"{\n  \"log\": {\"version\": \"1.2\""), Content::Har);
        assert_eq!(
            sniff(b"{\"level\":\"error\",\"msg\":\"websocket: close 1006\"}\n"),
            Content::Lines
        );
        assert_eq!(sniff(b""), Content::Lines);
    }

    #[test]
    fn limit_fails_past_the_cap() {
        let mut l = Limited::new(&[0u8; 100][..], 10);
        let mut buf = Vec::new();
        let err = l.read_to_end(&mut buf).expect_err("over the cap");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }
}
