//! The scanning loop: big reads into one reusable buffer, then either one Aho-Corasick
//! search over the whole buffer with line boundaries looked up only around hits (as
//! ripgrep does: lines without an anchor are never touched beyond counting their
//! newlines), or every line handed over in turn, for structured logs whose lines are
//! cheaper to parse than to search. Memory is the buffer: longer lines are cut and
//! counted.

use aho_corasick::AhoCorasick;
use std::io::{self, Read};

/// Read size, and the longest line looked at in full.
pub const CHUNK: usize = 1 << 20;
/// Which lines the callback sees.
#[derive(Clone, Copy)]
pub enum Select<'a> {
    /// Only lines holding an anchor of the automaton.
    Anchored(&'a AhoCorasick),
    Every,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineStats {
    pub lines: u64,
    /// Lines longer than the buffer, cut to its size.
    pub long_lines: u64,
}

/// What a selected line is handed to: its 1-based number, the line without its
/// newline (or `\r\n`), and the ids of the anchors in it (empty for [`Select::Every`]).
pub type Hit<'a> = dyn FnMut(u64, &[u8], &[usize]) + 'a;

/// Calls `hit` on the selected lines.
pub fn scan(
    reader: &mut dyn Read,
    select: Select<'_>,
    chunk: usize,
    hit: &mut Hit<'_>,
) -> io::Result<LineStats> {
    let mut buf = vec![0u8; chunk.max(16)];
    let mut len = 0;
    let mut stats = LineStats::default();
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
                    let line = strip_cr(&buf[..len]);
                    match select {
                        Select::Anchored(ac) => {
                            let pats: Vec<usize> = ac
                                .find_overlapping_iter(line)
                                .map(|m| m.pattern().as_usize())
                                .collect();
                            if !pats.is_empty() {
                                hit(stats.lines, line, &pats);
                            }
                        }
                        Select::Every => hit(stats.lines, line, &[]),
                    }
                    skipping = true;
                    len = 0;
                    continue;
                }
                None => start,
            }
        };
        let block = &buf[start..end];
        stats.lines = match select {
            Select::Anchored(ac) => block_lines(block, ac, stats.lines, hit),
            Select::Every => every_line(block, stats.lines, hit),
        };
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

/// Hits in one block of whole lines, each with the anchors (pattern ids) it holds;
/// returns the line count after the block. One overlapping pass over the block finds
/// every anchor, so a hit line is never searched twice.
fn block_lines(block: &[u8], ac: &AhoCorasick, mut line_no: u64, hit: &mut Hit<'_>) -> u64 {
    let mut pats: Vec<usize> = Vec::new();
    // Newlines before `counted` are in `line_no`.
    let mut counted = 0;
    let mut current: Option<(usize, usize)> = None;
    for m in ac.find_overlapping_iter(block) {
        if let Some((ls, le)) = current {
            if m.start() < le {
                pats.push(m.pattern().as_usize());
                continue;
            }
            hit(line_no + 1, strip_cr(&block[ls..le]), &pats);
            line_no += 1;
            counted = le + 1;
            pats.clear();
        }
        let ls =
            memchr::memrchr(b'\n', &block[counted..m.start()]).map_or(counted, |i| counted + i + 1);
        line_no += count_nl(&block[counted..ls]);
        let le = memchr::memchr(b'\n', &block[m.start()..]).map_or(block.len(), |i| m.start() + i);
        current = Some((ls, le));
        pats.push(m.pattern().as_usize());
    }
    if let Some((ls, le)) = current {
        hit(line_no + 1, strip_cr(&block[ls..le]), &pats);
        if le >= block.len() {
            // The last line of the input, without a newline: `scan` counts it.
            return line_no;
        }
        line_no += 1;
        counted = le + 1;
    }
    line_no + count_nl(&block[counted..])
}

/// Every line of a block; returns the line count after it.
fn every_line(block: &[u8], mut line_no: u64, hit: &mut Hit<'_>) -> u64 {
    let mut pos = 0;
    for nl in memchr::memchr_iter(b'\n', block) {
        line_no += 1;
        hit(line_no, strip_cr(&block[pos..nl]), &[]);
        pos = nl + 1;
    }
    if pos < block.len() {
        hit(line_no + 1, strip_cr(&block[pos..]), &[]);
    }
    line_no
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

    fn run(text: &str, chunk: usize) -> (LineStats, Vec<(u64, String)>, u64) {
        let ac = AhoCorasick::new(["ws"]).expect("builds");
        let mut hits = Vec::new();
        let stats = scan(
            &mut text.as_bytes(),
            Select::Anchored(&ac),
            chunk,
            &mut |n, l, _| hits.push((n, String::from_utf8_lossy(l).into_owned())),
        )
        .expect("scan");
        let mut every = 0;
        let all = scan(
            &mut text.as_bytes(),
            Select::Every,
            chunk,
            &mut |n, _, _| {
                every += 1;
                assert_eq!(n, every, "every line, in order");
            },
        )
        .expect("scan");
        assert_eq!(all, stats);
        (stats, hits, every)
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
            let (stats, hits, every) = run(&text, chunk);
            assert_eq!(stats.lines, 200, "chunk {chunk}");
            assert_eq!(hits, want, "chunk {chunk}");
            assert_eq!(every, 200, "chunk {chunk}");
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
