//! Per-cause aggregation with fixed memory: counters, first and last occurrence, a few
//! example lines, and capped sets of affected URLs and upstreams ("…and N more").

use super::timestamp::Ts;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use wsdoctor_core::redact;

/// Longest example line kept, in bytes.
const EXAMPLE_BYTES: usize = 400;

/// Where and when, while scanning: the file is an index into the scanned files.
#[derive(Clone, Copy, Debug)]
pub struct Mark {
    pub file: u32,
    pub line: u64,
    pub time: Option<Ts>,
}

/// Where and when a cause was seen.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Seen {
    pub file: String,
    /// 1-based line number; for a HAR export, the entry number.
    pub line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<Ts>,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Example {
    #[serde(skip)]
    pub file_index: u32,
    pub file: String,
    pub line: u64,
    /// The line, secrets redacted and cut to 400 bytes.
    pub text: String,
}

/// A set that keeps the first `cap` distinct values and counts the rest.
#[derive(Clone, Debug, Default, Serialize, schemars::JsonSchema)]
pub struct Capped {
    /// Value → occurrences, for the values kept.
    pub items: BTreeMap<String, u64>,
    /// Distinct values beyond the cap ("…and N more").
    pub more: u64,
    #[serde(skip)]
    overflow: BTreeSet<u64>,
    #[serde(skip)]
    cap: usize,
}

impl Capped {
    pub fn new(cap: usize) -> Capped {
        Capped {
            cap,
            ..Capped::default()
        }
    }

    pub fn add(&mut self, value: &str) {
        self.add_n(value, 1);
    }

    pub fn add_n(&mut self, value: &str, n: u64) {
        if let Some(c) = self.items.get_mut(value) {
            *c += n;
        } else if self.items.len() < self.cap {
            self.items.insert(value.to_string(), n);
        } else {
            // Distinct overflow values are counted through their hashes, themselves
            // capped: past that the count is a lower bound.
            let h = fxhash(value.as_bytes());
            if self.overflow.len() < self.cap * 4 {
                if self.overflow.insert(h) {
                    self.more += 1;
                }
            } else if !self.overflow.contains(&h) {
                self.more += 1;
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty() && self.more == 0
    }

    /// The values, most frequent first.
    pub fn top(&self, n: usize) -> Vec<(&str, u64)> {
        let mut v: Vec<(&str, u64)> = self.items.iter().map(|(k, c)| (k.as_str(), *c)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v.truncate(n);
        v
    }
}

/// A fast hash (FxHash's multiply-rotate, eight bytes at a time) for cache slots and
/// for counting distinct values; callers compare the values themselves where a
/// collision would matter.
pub fn fxhash(b: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h = b.len() as u64;
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    for &c in chunks.remainder() {
        h = (h.rotate_left(5) ^ u64::from(c)).wrapping_mul(K);
    }
    h
}

/// Everything known about one cause in the scanned logs.
#[derive(Clone, Debug)]
pub struct CauseStats {
    pub count: u64,
    pub first: Option<Mark>,
    pub last: Option<Mark>,
    /// Examples with their file index; names are filled in by the report.
    pub examples: Vec<Example>,
    pub urls: Capped,
    pub upstreams: Capped,
    /// How it was recognised (rule names, access-log statuses, HAProxy states).
    pub signatures: BTreeMap<&'static str, u64>,
}

/// One occurrence to record.
pub struct Hit<'a> {
    pub file: u32,
    pub line: u64,
    pub text: &'a [u8],
    pub time: Option<Ts>,
    pub signature: &'static str,
    pub url: Option<String>,
    pub upstream: Option<String>,
}

impl CauseStats {
    pub fn new(cap: usize) -> CauseStats {
        CauseStats {
            count: 0,
            first: None,
            last: None,
            examples: Vec::new(),
            urls: Capped::new(cap),
            upstreams: Capped::new(cap),
            signatures: BTreeMap::new(),
        }
    }

    pub fn add(&mut self, hit: &Hit<'_>, max_examples: usize) {
        self.count += 1;
        *self.signatures.entry(hit.signature).or_insert(0) += 1;
        let seen = || Mark {
            file: hit.file,
            line: hit.line,
            time: hit.time,
        };
        // Earliest and latest by time when both have one, else by scan order.
        let earlier = |old: &Option<Mark>| match (old.as_ref().and_then(|s| s.time), hit.time) {
            (Some(o), Some(n)) => n.secs() < o.secs(),
            _ => old.is_none(),
        };
        if earlier(&self.first) {
            self.first = Some(seen());
        }
        let later = match (self.last.as_ref().and_then(|s| s.time), hit.time) {
            (Some(o), Some(n)) => n.secs() >= o.secs(),
            _ => true,
        };
        if later {
            self.last = Some(seen());
        }
        if self.examples.len() < max_examples {
            self.examples.push(Example {
                file_index: hit.file,
                file: String::new(),
                line: hit.line,
                text: redact_line(hit.text),
            });
        }
        if let Some(u) = &hit.url {
            self.urls.add(u);
        }
        if let Some(u) = &hit.upstream {
            self.upstreams.add(u);
        }
    }

    /// Fold another aggregate (a path's pending occurrences) into this one.
    pub fn merge(&mut self, other: CauseStats, max_examples: usize) {
        self.count += other.count;
        for (k, v) in other.signatures {
            *self.signatures.entry(k).or_insert(0) += v;
        }
        let secs = |s: &Option<Mark>| s.as_ref().and_then(|s| s.time).map(|t| t.secs());
        if self.first.is_none()
            || matches!((secs(&other.first), secs(&self.first)), (Some(a), Some(b)) if a < b)
        {
            self.first = other.first;
        }
        if self.last.is_none()
            || matches!((secs(&other.last), secs(&self.last)), (Some(a), Some(b)) if a >= b)
        {
            self.last = other.last;
        }
        for e in other.examples {
            if self.examples.len() < max_examples {
                self.examples.push(e);
            }
        }
        for (k, n) in other.urls.items {
            self.urls.add_n(&k, n);
        }
        self.urls.more += other.urls.more;
        for (k, n) in other.upstreams.items {
            self.upstreams.add_n(&k, n);
        }
        self.upstreams.more += other.upstreams.more;
    }
}

/// A log line as it may be shown: every secret the one redaction table knows
/// (query values, credential headers, HAR header objects, URL userinfo) replaced on
/// the whole line first, so the cut cannot hide a secret's end from the redactor;
/// invalid UTF-8 replaced; then cut to a fixed length.
pub fn redact_line(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(line);
    let redacted = redact::text(&text);
    let mut s: String = redacted.chars().take(EXAMPLE_BYTES).collect();
    if s.len() < redacted.len() {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_set_counts_what_it_drops() {
        let mut c = Capped::new(2);
        for v in ["/a", "/b", "/a", "/c", "/d", "/c"] {
            c.add(v);
        }
        assert_eq!(c.items.len(), 2);
        assert_eq!(c.items["/a"], 2);
        assert_eq!(c.more, 2);
        assert_eq!(c.top(1), vec![("/a", 2)]);
    }

    #[test]
    fn examples_are_redacted_and_cut() {
        let l = br#"10.0.0.1 - - [01/May/2024:10:00:00 +0000] "GET /ws?room=7&token=s3cr3t HTTP/1.1" 101 0 Authorization: Bearer abc.def"#;
        let r = redact_line(l);
        assert!(r.contains("room=7"), "{r}");
        assert!(!r.contains("s3cr3t") && !r.contains("abc.def"), "{r}");
        assert!(
            r.contains("token=[redacted]") && r.contains("Bearer [redacted]"),
            "{r}"
        );
        let long = vec![b'x'; 1000];
        assert!(redact_line(&long).chars().count() <= EXAMPLE_BYTES + 1);
    }

    #[test]
    fn first_and_last_follow_time_not_order() {
        let mut s = CauseStats::new(10);
        let t = |e| {
            Some(Ts {
                epoch: e,
                millis: 0,
                offset_min: None,
            })
        };
        for (line, epoch) in [(1, 200), (2, 100), (3, 300), (4, 250)] {
            s.add(
                &Hit {
                    file: 0,
                    line,
                    text: b"x",
                    time: t(epoch),
                    signature: "sig",
                    url: None,
                    upstream: None,
                },
                3,
            );
        }
        assert_eq!(s.first.as_ref().map(|f| f.line), Some(2));
        assert_eq!(s.last.as_ref().map(|f| f.line), Some(3));
        assert_eq!(s.examples.len(), 3);
        assert_eq!(s.signatures["sig"], 4);
    }
}
