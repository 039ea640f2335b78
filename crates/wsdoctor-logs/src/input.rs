//! Opening a log: gzip is recognised by its magic bytes and decompressed on the fly,
//! a HAR export by its first JSON key, bytes read are counted for the progress bar,
//! and a HAR document is capped in size.

use flate2::read::MultiGzDecoder;
use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

/// Largest HAR document read (decompressed).
pub const MAX_HAR_BYTES: u64 = 512 << 20;

/// Most bytes one gzip file may decompress to, however well it compresses: a 1.6 GB
/// archive of an ordinary log (about 10:1); past this the file is cut with an error.
pub const MAX_GZIP_OUTPUT: u64 = 16 << 30;

/// A gzip bomb is told by its ratio long before [`MAX_GZIP_OUTPUT`]: logs compress
/// about 10:1 (a log of one line repeated, a few hundred to one), DEFLATE at most
/// about 1032:1. Once a file has produced [`GZIP_RATIO_FROM`] bytes, output above
/// this many times the compressed bytes read cuts it.
pub const MAX_GZIP_RATIO: u64 = 200;
/// Output below this is never judged by its ratio (small, repetitive test logs).
pub const GZIP_RATIO_FROM: u64 = 64 << 20;

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

/// Fails with a clear error once more than `limit` bytes were read: a HAR export
/// ([`Limited::har`]) or a gzip stream's output ([`Limited::gzip`], a gzip bomb).
pub struct Limited<R> {
    inner: R,
    left: u64,
    /// What to tell the user when the cap is reached.
    exceeded: fn() -> String,
    /// For gzip: compressed bytes read so far, and the ratio cap on the output.
    ratio: Option<Ratio>,
}

/// The gzip bomb rule: output past `from` bytes may be at most `max` times the
/// compressed input read (counted by [`CountIn`] under the decoder).
struct Ratio {
    read: Rc<Cell<u64>>,
    from: u64,
    max: u64,
    produced: u64,
}

impl<R> Limited<R> {
    pub fn new(inner: R, limit: u64, exceeded: fn() -> String) -> Self {
        Limited {
            inner,
            left: limit,
            exceeded,
            ratio: None,
        }
    }

    /// A HAR export, capped at [`MAX_HAR_BYTES`].
    pub fn har(inner: R) -> Self {
        Limited::new(inner, MAX_HAR_BYTES, || {
            format!(
                "HAR export larger than {} MiB: export fewer requests or split it",
                MAX_HAR_BYTES >> 20
            )
        })
    }

    /// A gzip stream cut once it has produced [`MAX_GZIP_OUTPUT`] bytes, or
    /// [`GZIP_RATIO_FROM`] bytes at more than [`MAX_GZIP_RATIO`] to one; `read`
    /// counts the compressed bytes the decoder took.
    fn gzip(inner: R, read: Rc<Cell<u64>>) -> Self {
        Self::gzip_with(
            inner,
            read,
            MAX_GZIP_OUTPUT,
            GZIP_RATIO_FROM,
            MAX_GZIP_RATIO,
        )
    }

    fn gzip_with(inner: R, read: Rc<Cell<u64>>, limit: u64, from: u64, max: u64) -> Self {
        let mut l = Limited::new(inner, limit, || {
            format!(
                "decompresses to more than {} GiB (a gzip bomb?): the rest was not read",
                MAX_GZIP_OUTPUT >> 30
            )
        });
        l.ratio = Some(Ratio {
            read,
            from,
            max,
            produced: 0,
        });
        l
    }
}

impl Ratio {
    /// An error once `n` more output bytes make the ratio a bomb's.
    fn check(&mut self, n: usize) -> io::Result<()> {
        self.produced += n as u64;
        let read = self.read.get().max(1);
        if self.produced > self.from && self.produced > read.saturating_mul(self.max) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "decompresses to more than {} times its size ({} MiB from {} KiB; logs compress about 10:1): a gzip bomb, the rest was not read",
                    self.max,
                    self.produced >> 20,
                    read >> 10
                ),
            ));
        }
        Ok(())
    }
}

/// Counts the bytes a decoder reads from the file (for the gzip ratio).
struct CountIn<R> {
    inner: R,
    read: Rc<Cell<u64>>,
}

impl<R: Read> Read for CountIn<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.left = self
            .left
            .checked_sub(n as u64)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, (self.exceeded)()))?;
        if let Some(r) = self.ratio.as_mut() {
            r.check(n)?;
        }
        Ok(n)
    }
}

/// Longest JSON string handed to the HAR parser; the rest of a longer one is
/// dropped before the parser sees it (the parser buffers a whole string, so a 400 MB
/// URL would need 400 MB several times over). What wsdoctor reads of a URL, a
/// header or an error is at its start.
pub const MAX_HAR_STRING: usize = 64 << 10;

/// Cuts every JSON string in a stream to about `MAX_HAR_STRING` bytes, keeping the
/// JSON valid: the cut falls at a character start, never inside an escape (`\"`,
/// `\u00e9`) nor between the two halves of a surrogate pair.
pub struct StringCap<R> {
    inner: R,
    in_string: bool,
    cutting: bool,
    len: usize,
    /// After a backslash: the next byte is the escape's letter.
    escaped: bool,
    /// Hex digits of a `\uXXXX` still to come, and the value so far.
    hex_left: u8,
    hex: u32,
    /// A high surrogate was just written: its low half must follow uncut.
    pair_open: bool,
}

impl<R> StringCap<R> {
    pub fn new(inner: R) -> Self {
        StringCap {
            inner,
            in_string: false,
            cutting: false,
            len: 0,
            escaped: false,
            hex_left: 0,
            hex: 0,
            pair_open: false,
        }
    }

    /// Whether byte `b` is passed on.
    fn keep(&mut self, b: u8) -> bool {
        if !self.in_string {
            if b == b'"' {
                self.in_string = true;
                self.cutting = false;
                self.len = 0;
            }
            return true;
        }
        if !self.cutting {
            // Escapes count at their written length, like everything else.
            self.len += usize::from(self.escaped || self.hex_left > 0);
        }
        if self.escaped {
            self.escaped = false;
            if b == b'u' {
                self.hex_left = 4;
                self.hex = 0;
            }
            return !self.cutting;
        }
        if self.hex_left > 0 {
            self.hex_left -= 1;
            self.hex = self.hex * 16 + char::from(b).to_digit(16).unwrap_or(0);
            if self.hex_left == 0 {
                self.pair_open = (0xd800..0xdc00).contains(&self.hex);
            }
            return !self.cutting;
        }
        if b == b'"' {
            self.in_string = false;
            return true;
        }
        let char_start = b & 0xc0 != 0x80;
        if !self.cutting && self.len >= MAX_HAR_STRING && char_start && !self.pair_open {
            self.cutting = true;
        }
        if b == b'\\' {
            self.escaped = true;
        } else {
            self.pair_open = false;
        }
        if !self.cutting {
            self.len += 1;
        }
        !self.cutting
    }
}

impl<R: Read> Read for StringCap<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = self.inner.read(buf)?;
            if n == 0 {
                return Ok(0);
            }
            let mut kept = 0;
            for i in 0..n {
                let b = buf[i];
                if self.keep(b) {
                    buf[kept] = b;
                    kept += 1;
                }
            }
            if kept > 0 {
                return Ok(kept);
            }
        }
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
        let read = Rc::new(Cell::new(0));
        let counted = CountIn {
            inner: raw,
            read: read.clone(),
        };
        let gz = Limited::gzip(MultiGzDecoder::new(counted), read);
        Box::new(BufReader::with_capacity(BUF, gz))
    } else {
        Box::new(raw)
    };
    // A UTF-8 byte-order mark (Windows tools write one) is not content.
    if text.fill_buf()?.starts_with(b"\xef\xbb\xbf") {
        text.consume(3);
    }
    let content = sniff(text.fill_buf()?);
    Ok((text, gz, content))
}

/// A HAR export starts with `{` and its first key is "log", an object; JSON-lines
/// application logs also start with `{` but not with that key, and Docker's json-file
/// lines start with a "log" that is a string.
fn sniff(head: &[u8]) -> Content {
    let rest = head.trim_ascii_start();
    let Some(rest) = rest.strip_prefix(b"{") else {
        return Content::Lines;
    };
    let Some(value) = rest.trim_ascii_start().strip_prefix(b"\"log\"") else {
        return Content::Lines;
    };
    match value.trim_ascii_start().strip_prefix(b":") {
        Some(v) if v.trim_ascii_start().starts_with(b"\"") => Content::Lines,
        _ => Content::Har,
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
            sniff(b"{\"log\":\"GET /ws\\n\",\"stream\":\"stdout\"}"),
            Content::Lines
        );
        assert_eq!(
            sniff(b"{\"level\":\"error\",\"msg\":\"websocket: close 1006\"}\n"),
            Content::Lines
        );
        assert_eq!(sniff(b""), Content::Lines);
    }

    #[test]
    fn long_json_strings_are_cut_and_stay_valid() {
        let long = "é\\\"\\u00e9\\ud83d\\ude00x".repeat(MAX_HAR_STRING);
        let doc = format!("{{\"url\": \"wss://h/{long}\", \"n\": \"short \\\" q\"}}");
        for chunk in [1, 7, 4096] {
            let mut out = Vec::new();
            let mut r = StringCap::new(io::BufReader::with_capacity(chunk, doc.as_bytes()));
            r.read_to_end(&mut out).expect("read");
            let v: serde_json::Value = serde_json::from_slice(&out).expect("still JSON");
            let url = v["url"].as_str().unwrap();
            assert!(url.starts_with("wss://h/é\"é"));
            assert!(url.len() <= MAX_HAR_STRING + 8, "{}", url.len());
            assert_eq!(v["n"], "short \" q");
        }
    }

    /// A real bomb: zeros compress about 1000:1.
    fn bomb(mib: usize) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..mib {
            enc.write_all(&zeros).expect("write");
        }
        enc.finish().expect("finish")
    }

    #[test]
    fn a_gzip_bomb_is_cut_by_its_ratio_with_a_clear_error() {
        let gz = bomb(16);
        let read = Rc::new(Cell::new(0));
        let counted = CountIn {
            inner: &gz[..],
            read: read.clone(),
        };
        // The shipped ratio, judged from 4 MiB instead of 64 MiB (same rule, smaller bomb).
        let mut r = Limited::gzip_with(
            MultiGzDecoder::new(counted),
            read,
            MAX_GZIP_OUTPUT,
            4 << 20,
            MAX_GZIP_RATIO,
        );
        let mut out = Vec::new();
        let err = r.read_to_end(&mut out).expect_err("a bomb is cut");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("gzip bomb"), "{err}");
        assert!(
            out.len() < 6 << 20,
            "cut near the 4 MiB mark: {}",
            out.len()
        );
        // An ordinary log (about 10:1 here) goes through whole.
        let line = b"2026/01/01 00:00:00 [error] 1#1: *7 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 10.0.0.1, request: \"GET /ws/chat HTTP/1.1\"\n";
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        for i in 0..60_000u32 {
            enc.write_all(&line[..]).expect("write");
            enc.write_all(i.to_string().as_bytes()).expect("write");
        }
        let gz = enc.finish().expect("finish");
        let (mut r, compressed, _) = open(&gz[..]).expect("open");
        let mut out = Vec::new();
        r.read_to_end(&mut out)
            .expect("an ordinary log is read whole");
        assert!(compressed && out.len() > 8 << 20);
    }

    #[test]
    fn the_shipped_caps_are_sane() {
        // The ratio judges well below the absolute cap, and no ordinary log trips it.
        const { assert!(GZIP_RATIO_FROM < MAX_GZIP_OUTPUT) };
        const { assert!(MAX_GZIP_RATIO >= 50 && MAX_GZIP_RATIO < 1032) };
    }

    #[test]
    fn limit_fails_past_the_cap() {
        let mut l = Limited::new(&[0u8; 100][..], 10, || "over".into());
        let mut buf = Vec::new();
        let err = l.read_to_end(&mut buf).expect_err("over the cap");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }
}
