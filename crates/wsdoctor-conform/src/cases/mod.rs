//! The case table: Autobahn|Testsuite's cases, with its ids and expectations, written
//! from RFC 6455 and from Autobahn's case descriptions. One file per category.
//!
//! | category | file | what it tests |
//! |---|---|---|
//! | 0 | [`handshake`] | the opening handshake, as raw requests (wsdoctor's own; Autobahn's category 0 is empty) |
//! | 14 | [`hostile`] | attacks a server must survive (wsdoctor's own) |
//! | 1 | [`framing`] | text and binary messages at the payload length boundaries |
//! | 2 | [`pings`] | ping → pong, unsolicited pongs, oversized pings |
//! | 3 | [`reserved`] | reserved bits set without an extension |
//! | 4 | [`opcodes`] | reserved data and control opcodes |
//! | 5 | [`fragments`] | fragmentation, interleaved control frames, broken fragment sequences |
//! | 6 | [`utf8`] | valid and invalid UTF-8 in text messages, fail-fast |
//! | 7 | [`closing`] | the closing handshake, close payloads and codes |
//! | 9 | [`limits`] | large messages, many fragments, tiny TCP chops, round trips |
//! | 10 | [`limits`] | auto-fragmentation |
//! | 12, 13 | [`compression`] | permessage-deflate: payload kinds and sizes, negotiated parameters |

mod closing;
mod compression;
pub mod corpus;
mod fragments;
mod framing;
mod handshake;
mod hostile;
mod limits;
mod opcodes;
mod pings;
mod reserved;
mod utf8;

use crate::model::{Case, Chop, CloseExpect, Expect, FrameSpec, Step};

/// Every case, in id order.
pub fn all() -> Vec<Case> {
    let mut cases = Vec::new();
    handshake::add(&mut cases);
    framing::add(&mut cases);
    hostile::add(&mut cases);
    pings::add(&mut cases);
    reserved::add(&mut cases);
    opcodes::add(&mut cases);
    fragments::add(&mut cases);
    utf8::add(&mut cases);
    closing::add(&mut cases);
    limits::add(&mut cases);
    compression::add(&mut cases);
    cases.sort_by_key(Case::sort_key);
    cases
}

/// Category names, as Autobahn titles them.
pub const CATEGORIES: &[(&str, &str)] = &[
    ("0", "Opening Handshake"),
    ("1", "Framing"),
    ("2", "Pings/Pongs"),
    ("3", "Reserved Bits"),
    ("4", "Opcodes"),
    ("5", "Fragmentation"),
    ("6", "UTF-8 Handling"),
    ("7", "Close Handling"),
    ("9", "Limits/Performance"),
    ("10", "Auto-Fragmentation"),
    ("12", "Compression (payloads)"),
    ("13", "Compression (parameters)"),
    ("14", "Hostile Input"),
];

/// The title of a category id.
pub fn category_title(id: &str) -> &'static str {
    CATEGORIES
        .iter()
        .find(|(c, _)| *c == id)
        .map_or("Other", |(_, t)| t)
}

pub(crate) const TEXT: u8 = 0x1;
pub(crate) const BINARY: u8 = 0x2;
pub(crate) const CONT: u8 = 0x0;
pub(crate) const CLOSE: u8 = 0x8;
pub(crate) const PING: u8 = 0x9;
pub(crate) const PONG: u8 = 0xA;

/// A case with the common defaults: the fuzzer closes normally, no special rules.
pub(crate) fn case(
    id: impl Into<String>,
    section: &'static str,
    description: impl Into<String>,
    expectation: impl Into<String>,
    script: Vec<Step>,
    expect: Expect,
    close: CloseExpect,
) -> Case {
    Case {
        id: id.into(),
        description: description.into(),
        expectation: expectation.into(),
        section,
        script,
        expect,
        close,
        suppress_close: false,
        wrong_code_fails: false,
        informational: false,
        deflate: None,
        probe: None,
    }
}

/// Send a frame in one write.
pub(crate) fn send(f: FrameSpec) -> Step {
    Step::Frame(f, Chop::Whole)
}

/// Send a frame as its own TCP segment.
pub(crate) fn send_sync(f: FrameSpec) -> Step {
    Step::Frame(f, Chop::Sync)
}

/// Send a frame in writes of `n` bytes.
pub(crate) fn send_chopped(f: FrameSpec, n: usize) -> Step {
    Step::Frame(f, Chop::Bytes(n))
}

pub(crate) fn frame(opcode: u8, payload: impl Into<crate::model::Payload>) -> FrameSpec {
    FrameSpec::new(opcode, payload)
}

/// One second, the usual wait before the fuzzer gives up on a case.
pub(crate) const SECOND: u64 = 1000;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn ids_are_unique_and_sorted() {
        let cases = all();
        let mut seen = std::collections::HashSet::new();
        for c in &cases {
            assert!(seen.insert(c.id.clone()), "{} twice", c.id);
        }
        let keys: Vec<_> = cases.iter().map(Case::sort_key).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
    }

    /// Autobahn's case counts per category (its report for the full suite).
    #[test]
    fn counts_match_autobahn() {
        let mut counts: BTreeMap<u32, usize> = BTreeMap::new();
        for c in all() {
            *counts.entry(c.sort_key()[0]).or_default() += 1;
        }
        let expected: BTreeMap<u32, usize> = [
            (1, 16),
            (2, 11),
            (3, 7),
            (4, 10),
            (5, 20),
            (6, 145),
            (7, 37),
            (9, 54),
            (10, 1),
            (12, 90),
            (13, 126),
        ]
        .into_iter()
        .collect();
        counts.remove(&0);
        counts.remove(&14);
        assert_eq!(counts, expected);
    }

    #[test]
    fn every_case_has_a_section_and_words() {
        for c in all() {
            assert!(c.section.starts_with("RFC "), "{}", c.id);
            assert!(
                !c.description.is_empty() && !c.expectation.is_empty(),
                "{}",
                c.id
            );
            assert!(category_title(c.category()) != "Other", "{}", c.id);
            // Every script ends with a timer, so no case waits forever for the server
            // (raw-byte cases run under the runner's own deadlines).
            assert!(
                c.probe.is_some()
                    || matches!(
                        c.script.last(),
                        Some(Step::KillAfter(_) | Step::CloseAfter(_))
                    ),
                "{} has no final timer",
                c.id
            );
        }
    }
}
