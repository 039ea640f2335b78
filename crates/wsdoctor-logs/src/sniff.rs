//! Which format a log is in, judged from its first lines: it decides whether lines are
//! parsed one by one (access, HAProxy, nginx error) or searched for anchors.

use super::fields;

/// Which format most of the first lines are in.
#[derive(Default)]
pub(super) struct Sniff {
    counts: [u32; 5],
}

impl Sniff {
    const NAMES: [&'static str; 5] = ["nginx-error", "access", "haproxy", "apache-error", "text"];

    /// The first 20 non-empty lines of a log's first buffer.
    pub(super) fn head(head: &[u8]) -> Sniff {
        let mut s = Sniff::default();
        let mut lines = head
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .take(21)
            .peekable();
        while let Some(l) = lines.next() {
            // The last piece may be cut by the buffer's end: judge only whole lines.
            if lines.peek().is_some() || head.ends_with(b"\n") {
                s.add(l.strip_suffix(b"\r").unwrap_or(l));
            }
        }
        // No whole line in the first buffer (one huge line, no newline at all) is
        // still text, not an empty file.
        if s.counts.iter().sum::<u32>() == 0 && !head.trim_ascii().is_empty() {
            s.counts[4] = 1;
        }
        s
    }

    fn add(&mut self, l: &[u8]) {
        let i = if l.len() > 20 && l[4] == b'/' && l[7] == b'/' && l[10] == b' ' {
            0
        } else if memchr::memmem::find(l, b"haproxy[").is_some() || fields::haproxy(l).is_some() {
            2
        } else if fields::access(l).is_some() {
            1
        } else if l.first() == Some(&b'[') && l.get(4) == Some(&b' ') && l.get(8) == Some(&b' ') {
            3
        } else {
            4
        };
        self.counts[i] += 1;
    }

    pub(super) fn format(&self) -> &'static str {
        let total: u32 = self.counts.iter().sum();
        match self.counts.iter().enumerate().max_by_key(|(_, c)| **c) {
            Some((i, &c)) if total > 0 && c * 2 > total => Self::NAMES[i],
            _ if total == 0 => "empty",
            _ => "mixed",
        }
    }
}
