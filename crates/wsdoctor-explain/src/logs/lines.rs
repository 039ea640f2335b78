//! The scanning loop: big reads into one reusable buffer, one Aho-Corasick search over
//! the whole buffer, and line boundaries looked up only around hits, as ripgrep does.
//! Lines without any anchor are never touched beyond counting their newlines.
//! Memory is the buffer: lines longer than it are cut and counted.

use aho_corasick::{AhoCorasick, Input};
use std::io::{self, Read};

/// Read size, and the longest line looked at in full.
pub const CHUNK: usize = 1 << 20;
/// Lines given to the format sniffer.
const SNIFF_LINES: usize = 20;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineStats {
    pub lines: u64,
    /// Lines longer than the buffer, cut to its size.
    pub long_lines: u64,
}

/// Calls `sniff` on the first lines, then `hit(line_number, line)` on every line
/// holding an anchor of `ac`. Line numbers are 1-based; a trailing `\r` is removed.
pub fn scan(
    reader: &mut dyn Read,
    ac: &AhoCorasick,
    chunk: usize,
    sniff: &mut dyn FnMut(&[u8]),
    hit: &mut dyn FnMut(u64, &[u8]),
) -> io::Result<LineStats> {
    let mut buf = vec![0u8; chunk.max(16)];
    let mut len = 0;
    let mut stats = LineStats::default();
    let mut sniffed = 0;
    // Inside the remainder of a line longer than the buffer.
    let mut skipping = false;
    loop {
        let n = read_full(reader, &mut buf[len..])?;
        len += n;
        let eof = n == 0 || len < buf.len();
        let mut start = 0;
        if skipping {
            match memchr::memchr(b'\n', &buf[..len]) {
                Some(i) => {
                    start = i + 1;
                    skipping = false;
                }
                None => {
                    len = 0;
                    if eof {
                        break;
                    }
                    continue;
                }
            }
        }
        let end = if eof {
            len
        } else {
            match memchr::memrchr(b'\n', &buf[start..len]) {
                Some(i) => start + i + 1,
                None if start == 0 => {
                    // One line fills the buffer: look at what fits, skip the rest.
                    stats.long_lines += 1;
                    stats.lines += 1;
                    hit_if_anchored(ac, &buf[..len], stats.lines, hit);
                    skipping = true;
                    len = 0;
                    continue;
                }
                None => start,
            }
        };
        let block = &buf[start..end];
        if sniffed < SNIFF_LINES {
            for line in block
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .take(SNIFF_LINES - sniffed)
            {
                sniff(strip_cr(line));
                sniffed += 1;
            }
        }
        stats.lines = block_lines(block, ac, stats.lines, hit);
        if eof {
            if !block.is_empty() && block.last() != Some(&b'\n') {
                stats.lines += 1;
            }
            break;
        }
        buf.copy_within(end..len, 0);
        len -= end;
    }
    Ok(stats)
}

/// Hits in one block of whole lines; returns the line count after it.
fn block_lines(
    block: &[u8],
    ac: &AhoCorasick,
    mut line_no: u64,
    hit: &mut dyn FnMut(u64, &[u8]),
) -> u64 {
    let mut pos = 0;
    while pos < block.len() {
        let Some(m) = ac.find(Input::new(block).span(pos..block.len())) else {
            return line_no + count_nl(&block[pos..]);
        };
        let ls = memchr::memrchr(b'\n', &block[pos..m.start()]).map_or(pos, |i| pos + i + 1);
        line_no += count_nl(&block[pos..ls]);
        let le = memchr::memchr(b'\n', &block[m.start()..]).map_or(block.len(), |i| m.start() + i);
        hit(line_no + 1, strip_cr(&block[ls..le]));
        if le < block.len() {
            line_no += 1;
        }
        pos = le + 1;
    }
    line_no
}

fn hit_if_anchored(ac: &AhoCorasick, line: &[u8], line_no: u64, hit: &mut dyn FnMut(u64, &[u8])) {
    if ac.is_match(line) {
        hit(line_no, strip_cr(line));
    }
}

fn count_nl(b: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', b).count() as u64
}

fn strip_cr(l: &[u8]) -> &[u8] {
    l.strip_suffix(b"\r").unwrap_or(l)
}

/// Fill `buf` as far as the reader allows (short reads from pipes and decoders are
/// common); returns 0 only at end of input.
fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, chunk: usize) -> (LineStats, Vec<(u64, String)>, usize) {
        let ac = AhoCorasick::new(["ws"]).expect("builds");
        let mut hits = Vec::new();
        let mut sniffed = 0;
        let stats = scan(
            &mut text.as_bytes(),
            &ac,
            chunk,
            &mut |_| sniffed += 1,
            &mut |n, l| hits.push((n, String::from_utf8_lossy(l).into_owned())),
        )
        .expect("scan");
        (stats, hits, sniffed)
    }

    #[test]
    fn line_numbers_are_exact_across_chunk_boundaries() {
        let mut text = String::new();
        let mut want = Vec::new();
        for i in 1..=200u64 {
            if i % 7 == 0 {
                text.push_str(&format!("line {i} GET /ws\r\n"));
                want.push((i, format!("line {i} GET /ws")));
            } else {
                text.push_str(&format!("line {i} GET /index.html\n"));
            }
        }
        for chunk in [37, 64, 1000, 1 << 20] {
            let (stats, hits, sniffed) = run(&text, chunk);
            assert_eq!(stats.lines, 200, "chunk {chunk}");
            assert_eq!(hits, want, "chunk {chunk}");
            assert_eq!(sniffed, SNIFF_LINES.min(200), "chunk {chunk}");
        }
    }

    #[test]
    fn last_line_without_newline_counts() {
        let (stats, hits, _) = run("a\nb /ws", 64);
        assert_eq!(stats.lines, 2);
        assert_eq!(hits, vec![(2, "b /ws".to_string())]);
        assert_eq!(run("", 64).0.lines, 0);
    }

    #[test]
    fn long_lines_are_cut_and_counted() {
        let long = format!("/ws {}\n", "x".repeat(100));
        let text = format!("one\n{long}three /ws\n");
        let (stats, hits, _) = run(&text, 32);
        assert_eq!(stats.lines, 3);
        assert_eq!(stats.long_lines, 1);
        assert_eq!(hits.iter().map(|h| h.0).collect::<Vec<_>>(), vec![2, 3]);
        assert!(hits[0].1.len() <= 32);
    }
}
