//! The scanning loop: big reads into one reusable buffer, then either one Aho-Corasick
//! search over the whole buffer with line boundaries looked up only around hits (as
//! ripgrep does: lines without an anchor are never touched beyond counting their
//! newlines), or every line handed over in turn, for structured logs whose lines are
//! cheaper to parse than to search, or — for access logs — every line judged by a
//! pure gate on both cores (each half of a block on its own thread), the few lines it
//! passes then handed over in order on this thread, so the callback sees exactly what
//! it would have seen line by line. Memory is the buffer (and, per block, the offsets
//! of the passed lines): longer lines are cut and counted.

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
    /// Only lines the gate passes; the gate runs on both cores.
    Gated(&'a Gate<'a>),
}

/// Whether a line of a structured log needs the (serial) callback: a pure function of
/// the line, so it may run on any thread.
pub type Gate<'a> = dyn Fn(&[u8]) -> bool + Sync + 'a;

/// Blocks at least this long are gated on two threads.
const PARALLEL_FROM: usize = 64 << 10;

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
                        Select::Gated(gate) => {
                            if gate(line) {
                                hit(stats.lines, line, &[]);
                            }
                        }
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
            Select::Gated(gate) => gated_lines(block, gate, stats.lines, hit),
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

/// The lines of a block the gate passes, the gate run on each half of the block on its
/// own thread (halves split at a newline); the passed lines are then handed to `hit` in
/// order, numbered as [`every_line`] numbers them. Returns the line count after it.
fn gated_lines(block: &[u8], gate: &Gate<'_>, mut line_no: u64, hit: &mut Hit<'_>) -> u64 {
    let cut = if block.len() >= PARALLEL_FROM {
        let mid = block.len() / 2;
        memchr::memchr(b'\n', &block[mid..]).map_or(block.len(), |i| mid + i + 1)
    } else {
        block.len()
    };
    let (first, second) = block.split_at(cut);
    let (a, b) = if second.is_empty() {
        (passed(first, gate), (Vec::new(), 0))
    } else {
        std::thread::scope(|s| {
            let other = s.spawn(|| passed(second, gate));
            let a = passed(first, gate);
            let b = other
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            (a, b)
        })
    };
    for (half, (lines, newlines)) in [(first, a), (second, b)] {
        for (i, s, e) in lines {
            hit(line_no + i + 1, strip_cr(&half[s..e]), &[]);
        }
        line_no += newlines;
    }
    line_no
}

/// The lines of `half` the gate passes, as (0-based index, start, end) — a last line
/// without a newline included — and the number of newlines in it.
fn passed(half: &[u8], gate: &Gate<'_>) -> (Vec<(u64, usize, usize)>, u64) {
    let mut out = Vec::new();
    let mut pos = 0;
    let mut i = 0;
    for nl in memchr::memchr_iter(b'\n', half) {
        if gate(strip_cr(&half[pos..nl])) {
            out.push((i, pos, nl));
        }
        i += 1;
        pos = nl + 1;
    }
    if pos < half.len() && gate(strip_cr(&half[pos..])) {
        out.push((i, pos, half.len()));
    }
    (out, i)
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

    /// The gated scan hands over exactly the lines, numbers and text a line-by-line
    /// scan filtered by the same gate would: blocks below and above the two-thread
    /// size, CRLF, long lines, a last line without a newline.
    #[test]
    fn gated_equals_every_line_filtered() {
        let mut text = String::new();
        for i in 0..40_000u64 {
            match i % 11 {
                0 => text.push_str(&format!("{i} keep GET /ws\r\n")),
                3 => text.push_str(&format!("{i} keep {}\n", "y".repeat(300))),
                7 => text.push('\n'),
                _ => text.push_str(&format!("{i} drop GET /index.html\n")),
            }
        }
        text.push_str("last keep");
        let gate = |l: &[u8]| l.windows(4).any(|w| w == b"keep");
        for chunk in [200, 4096, PARALLEL_FROM + 17, 1 << 20] {
            let mut want = Vec::new();
            let every = scan(
                &mut text.as_bytes(),
                Select::Every,
                chunk,
                &mut |n, l, _| {
                    if gate(l) {
                        want.push((n, l.to_vec()));
                    }
                },
            )
            .expect("scan");
            let mut got = Vec::new();
            let gated = scan(
                &mut text.as_bytes(),
                Select::Gated(&gate),
                chunk,
                &mut |n, l, _| got.push((n, l.to_vec())),
            )
            .expect("scan");
            assert_eq!(gated, every, "chunk {chunk}");
            assert_eq!(gated.lines, 40_001, "chunk {chunk}");
            assert!(want.len() > 7000, "chunk {chunk}: {}", want.len());
            assert_eq!(got, want, "chunk {chunk}");
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
