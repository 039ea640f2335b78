//! The payloads of the compression cases (12.*, 13.*). Autobahn uses five files (a JSON
//! document, a bitmap, a novel, an HTML page, a PDF); those are not ours to ship, so these
//! are generated stand-ins of the same kind and about the same size: text that compresses
//! well, structured binary, and binary that hardly compresses. The verdicts only depend on
//! the server echoing each message unchanged, so the stand-ins test the same thing.

use std::sync::OnceLock;

/// One payload source.
pub struct Corpus {
    pub name: &'static str,
    pub description: &'static str,
    /// Sent as binary messages (Autobahn sends its novel as binary too).
    pub binary: bool,
    make: fn() -> Vec<u8>,
    bytes: OnceLock<Vec<u8>>,
}

impl Corpus {
    /// The bytes, generated on first use.
    pub fn bytes(&self) -> &[u8] {
        self.bytes.get_or_init(self.make)
    }
}

impl std::fmt::Debug for Corpus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// In Autobahn's order for 12.1–12.5.
pub static CORPORA: [Corpus; 5] = [
    Corpus {
        name: "json",
        description: "a large JSON document (text)",
        binary: false,
        make: json,
        bytes: OnceLock::new(),
    },
    Corpus {
        name: "bitmap",
        description: "a 512×512 greyscale bitmap (binary)",
        binary: true,
        make: bitmap,
        bytes: OnceLock::new(),
    },
    Corpus {
        name: "prose",
        description: "human-readable prose (sent as binary)",
        binary: true,
        make: prose,
        bytes: OnceLock::new(),
    },
    Corpus {
        name: "html",
        description: "a large HTML page (text)",
        binary: false,
        make: html,
        bytes: OnceLock::new(),
    },
    Corpus {
        name: "noise",
        description: "1 MiB of barely compressible binary, like a PDF's streams",
        binary: true,
        make: noise,
        bytes: OnceLock::new(),
    },
];

/// A small deterministic generator (xorshift), so every run sends the same bytes.
fn rng(seed: u64) -> impl FnMut() -> u64 {
    let mut x = seed;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

const WORDS: [&str; 24] = [
    "the",
    "socket",
    "frame",
    "message",
    "server",
    "client",
    "close",
    "ping",
    "pong",
    "window",
    "deflate",
    "context",
    "upgrade",
    "header",
    "echo",
    "fragment",
    "text",
    "binary",
    "mask",
    "length",
    "code",
    "reason",
    "handshake",
    "protocol",
];

fn json() -> Vec<u8> {
    let mut r = rng(1);
    let mut s = String::from("[");
    let mut i = 0u64;
    while s.len() < 194_000 {
        let w = WORDS[(r() % 24) as usize];
        s.push_str(&format!(
            "{{\"id\":{i},\"name\":\"{w} {i}\",\"active\":{},\"score\":{},\"tags\":[\"{}\",\"{}\"]}},",
            r().is_multiple_of(2),
            r() % 1000,
            WORDS[(r() % 24) as usize],
            WORDS[(r() % 24) as usize]
        ));
        i += 1;
    }
    s.push_str("{}]");
    s.into_bytes()
}

fn bitmap() -> Vec<u8> {
    let mut out = b"BM".to_vec();
    out.resize(1078, 0);
    for y in 0..512u32 {
        for x in 0..512u32 {
            let v = ((x * x + y * y) / 64 + (x ^ y) / 8) & 0xFF;
            out.push(v as u8);
        }
    }
    out
}

fn prose() -> Vec<u8> {
    let mut r = rng(2);
    let mut s = String::new();
    while s.len() < 222_000 {
        let n = 6 + r() % 12;
        let mut sentence: Vec<&str> = (0..n).map(|_| WORDS[(r() % 24) as usize]).collect();
        let first = sentence[0].to_string();
        let cap = first[..1].to_uppercase() + &first[1..];
        sentence[0] = &cap;
        s.push_str(&sentence.join(" "));
        s.push_str(if r().is_multiple_of(5) { ".\n\n" } else { ". " });
    }
    s.into_bytes()
}

fn html() -> Vec<u8> {
    let mut r = rng(3);
    let mut s =
        String::from("<!DOCTYPE html>\n<html><head><title>Report</title></head><body><table>\n");
    let mut i = 0u64;
    while s.len() < 263_000 {
        s.push_str(&format!(
            "<tr class=\"row{}\"><td>{i}</td><td><a href=\"/item/{i}\">{}</a></td><td>{}</td></tr>\n",
            i % 2,
            WORDS[(r() % 24) as usize],
            r() % 100_000
        ));
        i += 1;
    }
    s.push_str("</table></body></html>\n");
    s.into_bytes()
}

fn noise() -> Vec<u8> {
    let mut r = rng(4);
    let mut out = b"%PDF-1.4\n".to_vec();
    while out.len() < 1_042_000 {
        out.extend_from_slice(&r().to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpora_have_their_kind_and_size() {
        for c in &CORPORA {
            let b = c.bytes();
            assert!(b.len() > 190_000, "{}", c.name);
            if !c.binary {
                assert!(b.is_ascii(), "{} is text", c.name);
            }
        }
        // Deterministic: generated twice, the same.
        assert_eq!(json(), json());
    }
}
