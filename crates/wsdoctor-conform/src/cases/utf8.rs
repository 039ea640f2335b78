//! Category 6: UTF-8 in text messages (RFC 6455 §8.1, §5.6): valid text in any
//! fragmentation is echoed; invalid text fails the connection with 1007, as early as the
//! first byte that makes it invalid ("fail fast"). The sequences of 6.5–6.23 are Markus
//! Kuhn's UTF-8 decoder stress test, group by group, as Autobahn uses them.

use super::{CONT, SECOND, TEXT, case, frame, send};
use crate::model::{Case, Chop, CloseExpect, Expect, Payload, Received, Step, Verdict};

const SECTION: &str = "RFC 6455 §8.1";
/// "κόσμε", Kuhn's sample word.
const KOSME: &[u8] = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5";
const HELLO_UTF8: &str = "Hello-µ@ßöäüàá-UTF-8!!";

fn invalid_close() -> CloseExpect {
    CloseExpect {
        wrong_end_fails: true,
        ..CloseExpect::server_fails(1007)
    }
}

fn message(data: &[u8], fragment: Option<usize>) -> Step {
    Step::Message {
        binary: false,
        payload: Payload::Bytes(data.to_vec()),
        fragment,
        chop: Chop::Whole,
    }
}

pub(super) fn add(cases: &mut Vec<Case>) {
    fixed(cases);
    for (g, (title, seqs)) in sequences().into_iter().enumerate() {
        for (j, (valid, bytes)) in seqs.into_iter().enumerate() {
            let id = format!("6.{}.{}", g + 5, j + 1);
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            let (expect, close, what, then) = if valid {
                (
                    Expect::echo(false, bytes.clone()),
                    CloseExpect::normal(),
                    "valid",
                    "The server echoes it.",
                )
            } else {
                (
                    Expect::nothing(),
                    invalid_close(),
                    "invalid",
                    "The server fails the connection at once (1007).",
                )
            };
            cases.push(case(
                id,
                SECTION,
                format!(
                    "{title}: send a text message of {what} UTF-8 in one frame, payload 0x{hex}."
                ),
                then,
                vec![message(&bytes, None), Step::KillAfter(SECOND / 2)],
                expect,
                close,
            ));
        }
    }
}

fn fixed(cases: &mut Vec<Case>) {
    let echo_text = |data: &[u8]| Expect::echo(false, data.to_vec());
    cases.push(case(
        "6.1.1",
        SECTION,
        "Send an empty text message.",
        "The server echoes the empty message.",
        vec![send(frame(TEXT, "")), Step::CloseAfter(SECOND)],
        echo_text(b""),
        CloseExpect::normal(),
    ));
    cases.push(case(
        "6.1.2",
        SECTION,
        "Send a text message in three empty fragments.",
        "The server echoes one empty message.",
        vec![
            send(frame(TEXT, "").fin(false)),
            send(frame(CONT, "").fin(false)),
            send(frame(CONT, "")),
            Step::CloseAfter(SECOND),
        ],
        echo_text(b""),
        CloseExpect::normal(),
    ));
    cases.push(case(
        "6.1.3",
        SECTION,
        "Send a text message in three fragments, the first and last empty.",
        "The server echoes the middle fragment's text.",
        vec![
            send(frame(TEXT, "").fin(false)),
            send(frame(CONT, "middle frame payload").fin(false)),
            send(frame(CONT, "")),
            Step::CloseAfter(SECOND),
        ],
        echo_text(b"middle frame payload"),
        CloseExpect::normal(),
    ));
    let hello = HELLO_UTF8.as_bytes();
    cases.push(case(
        "6.2.1",
        SECTION,
        format!("Send valid UTF-8 text ({HELLO_UTF8:?}) in one frame."),
        "The server echoes it.",
        vec![message(hello, None), Step::CloseAfter(SECOND)],
        echo_text(hello),
        CloseExpect::normal(),
    ));
    let (a, b) = ("Hello-µ@ßöä", "üàá-UTF-8!!");
    cases.push(case(
        "6.2.2",
        SECTION,
        "Send valid UTF-8 text in two fragments split on a code point boundary.",
        "The server echoes the joined text.",
        vec![
            send(frame(TEXT, a).fin(false)),
            send(frame(CONT, b)),
            Step::CloseAfter(SECOND),
        ],
        echo_text(hello),
        CloseExpect::normal(),
    ));
    for (id, data) in [("6.2.3", hello), ("6.2.4", KOSME)] {
        cases.push(case(
            id,
            SECTION,
            "Send valid UTF-8 text in one-byte fragments, so fragments end inside code points.",
            "The server echoes the joined text.",
            vec![message(data, Some(1)), Step::CloseAfter(SECOND)],
            echo_text(data),
            CloseExpect::normal(),
        ));
    }
    let bad: Vec<u8> = [KOSME, b"\xed\xa0\x80", b"edited"].concat();
    for (id, fragment, how) in [
        ("6.3.1", None, "in one frame"),
        ("6.3.2", Some(1), "in one-byte fragments"),
    ] {
        cases.push(case(
            id,
            SECTION,
            format!("Send invalid UTF-8 text (a UTF-16 surrogate at byte 12) {how}."),
            "The server fails the connection at once (1007).",
            vec![message(&bad, fragment), Step::KillAfter(SECOND)],
            Expect::nothing(),
            invalid_close(),
        ));
    }
    fail_fast(cases);
}

/// 6.4.*: the invalid byte arrives after a wait; the server must fail before the next wait ends.
fn fail_fast(cases: &mut Vec<Case>) {
    // F4 90 80 80 is U+110000 in UTF-8's scheme, beyond Unicode: invalid at its second byte.
    let whole: Vec<u8> = [KOSME, b"\xf4\x90\x80\x80", b"edited"].concat();
    let cuts = [(11usize, 15usize), (12, 13)];
    for (n, (frames, (c1, c2))) in [
        (true, cuts[0]),
        (true, cuts[1]),
        (false, cuts[0]),
        (false, cuts[1]),
    ]
    .into_iter()
    .enumerate()
    {
        let (p1, p2, p3) = (&whole[..c1], &whole[c1..c2], &whole[c2..]);
        let wait = |tag| Step::Wait {
            ms: SECOND,
            tag: Some(tag),
        };
        let script = if frames {
            vec![
                send(frame(TEXT, p1).fin(false)),
                wait("A"),
                send(frame(CONT, p2).fin(false)),
                wait("B"),
                send(frame(CONT, p3)),
                Step::KillAfter(SECOND),
            ]
        } else {
            vec![
                Step::FrameStart {
                    opcode: TEXT,
                    len: whole.len() as u64,
                    data: p1.to_vec(),
                },
                wait("A"),
                Step::FrameData(p2.to_vec()),
                wait("B"),
                Step::FrameData(p3.to_vec()),
                // The frame had FIN clear: an empty final continuation ends the message.
                send(frame(CONT, "")),
                Step::KillAfter(SECOND),
            ]
        };
        let unit = if frames {
            "frames"
        } else {
            "chops of one frame"
        };
        let what = if c2 - c1 == 1 {
            "only the byte that makes the text invalid"
        } else {
            "the code point beyond U+10FFFF"
        };
        cases.push(case(
            format!("6.4.{}", n + 1),
            SECTION,
            format!(
                "Send text in three {unit} a second apart: valid UTF-8, then {what}, then the rest."
            ),
            "The server fails the connection (1007) on the second part, before the second wait ends (fail fast); failing only at the end is NON-STRICT.",
            script,
            Expect::Events(vec![
                (Verdict::Ok, vec![Received::Timeout("A")]),
                (Verdict::NonStrict, vec![Received::Timeout("A"), Received::Timeout("B")]),
            ]),
            invalid_close(),
        ));
    }
}

type Group = (&'static str, Vec<(bool, Vec<u8>)>);

/// Kuhn's groups in Autobahn's order (6.5 … 6.23): (valid, bytes).
fn sequences() -> Vec<Group> {
    let v = |b: &[u8]| (true, b.to_vec());
    let x = |b: &[u8]| (false, b.to_vec());
    let mut groups: Vec<Group> = Vec::new();
    groups.push((
        "Some valid UTF-8 sequences",
        vec![
            v(b"hello\x24world"),
            v(b"hello\xc2\xa2world"),
            v(b"hello\xe2\x82\xacworld"),
            v(b"hello\xf0\xa4\xad\xa2world"),
            v(KOSME),
        ],
    ));
    groups.push((
        "Prefixes of a valid string with multi-byte code points",
        (1..=KOSME.len())
            .map(|i| {
                (
                    std::str::from_utf8(&KOSME[..i]).is_ok(),
                    KOSME[..i].to_vec(),
                )
            })
            .collect(),
    ));
    groups.push((
        "First possible sequence of each length",
        vec![
            v(b"\x00"),
            v(b"\xc2\x80"),
            v(b"\xe0\xa0\x80"),
            v(b"\xf0\x90\x80\x80"),
        ],
    ));
    groups.push((
        "First possible 5- and 6-byte sequences (not Unicode)",
        vec![x(b"\xf8\x88\x80\x80\x80"), x(b"\xfc\x84\x80\x80\x80\x80")],
    ));
    groups.push((
        "Last possible sequence of each length",
        vec![
            v(b"\x7f"),
            v(b"\xdf\xbf"),
            v(b"\xef\xbf\xbf"),
            v(b"\xf4\x8f\xbf\xbf"),
        ],
    ));
    groups.push((
        "Last possible 4-, 5- and 6-byte sequences (beyond U+10FFFF)",
        vec![
            x(b"\xf7\xbf\xbf\xbf"),
            x(b"\xfb\xbf\xbf\xbf\xbf"),
            x(b"\xfd\xbf\xbf\xbf\xbf\xbf"),
        ],
    ));
    groups.push((
        "Other boundary conditions",
        vec![
            v(b"\xed\x9f\xbf"),
            v(b"\xee\x80\x80"),
            v(b"\xef\xbf\xbd"),
            v(b"\xf4\x8f\xbf\xbf"),
            x(b"\xf4\x90\x80\x80"),
        ],
    ));
    let all_continuations: Vec<u8> = (0x80..0xbf).collect();
    groups.push((
        "Unexpected continuation bytes",
        vec![
            x(b"\x80"),
            x(b"\xbf"),
            x(b"\x80\xbf"),
            x(b"\x80\xbf\x80"),
            x(b"\x80\xbf\x80\xbf"),
            x(b"\x80\xbf\x80\xbf\x80"),
            x(b"\x80\xbf\x80\xbf\x80\xbf"),
            (false, all_continuations),
        ],
    ));
    groups.push((
        "Lonely start bytes, each followed by a space",
        [
            (0xc0u8, 0xdfu8),
            (0xe0, 0xef),
            (0xf0, 0xf7),
            (0xf8, 0xfb),
            (0xfc, 0xfd),
        ]
        .into_iter()
        .map(|(lo, hi)| (false, (lo..hi).flat_map(|b| [b, b' ']).collect()))
        .collect(),
    ));
    let truncated: [&[u8]; 10] = [
        b"\xc0",
        b"\xe0\x80",
        b"\xf0\x80\x80",
        b"\xf8\x80\x80\x80",
        b"\xfc\x80\x80\x80\x80",
        b"\xdf",
        b"\xef\xbf",
        b"\xf7\xbf\xbf",
        b"\xfb\xbf\xbf\xbf",
        b"\xfd\xbf\xbf\xbf\xbf",
    ];
    groups.push((
        "Sequences with the last continuation byte missing",
        truncated.iter().map(|b| x(b)).collect(),
    ));
    groups.push((
        "Concatenated incomplete sequences",
        vec![(false, truncated.concat())],
    ));
    groups.push((
        "Impossible bytes",
        vec![x(b"\xfe"), x(b"\xff"), x(b"\xfe\xfe\xff\xff")],
    ));
    groups.push((
        "Overlong forms of an ASCII character",
        vec![
            x(b"\xc0\xaf"),
            x(b"\xe0\x80\xaf"),
            x(b"\xf0\x80\x80\xaf"),
            x(b"\xf8\x80\x80\x80\xaf"),
            x(b"\xfc\x80\x80\x80\x80\xaf"),
        ],
    ));
    groups.push((
        "Maximum overlong sequences",
        vec![
            x(b"\xc1\xbf"),
            x(b"\xe0\x9f\xbf"),
            x(b"\xf0\x8f\xbf\xbf"),
            x(b"\xf8\x87\xbf\xbf\xbf"),
            x(b"\xfc\x83\xbf\xbf\xbf\xbf"),
        ],
    ));
    groups.push((
        "Overlong forms of NUL",
        vec![
            x(b"\xc0\x80"),
            x(b"\xe0\x80\x80"),
            x(b"\xf0\x80\x80\x80"),
            x(b"\xf8\x80\x80\x80\x80"),
            x(b"\xfc\x80\x80\x80\x80\x80"),
        ],
    ));
    groups.push((
        "Single UTF-16 surrogates",
        [
            b"\xed\xa0\x80",
            b"\xed\xad\xbf",
            b"\xed\xae\x80",
            b"\xed\xaf\xbf",
            b"\xed\xb0\x80",
            b"\xed\xbe\x80",
            b"\xed\xbf\xbf",
        ]
        .iter()
        .map(|b| x(*b))
        .collect(),
    ));
    let high: [&[u8]; 4] = [
        b"\xed\xa0\x80",
        b"\xed\xad\xbf",
        b"\xed\xae\x80",
        b"\xed\xaf\xbf",
    ];
    let low: [&[u8]; 2] = [b"\xed\xb0\x80", b"\xed\xbf\xbf"];
    groups.push((
        "Paired UTF-16 surrogates",
        high.iter()
            .flat_map(|h| low.iter().map(move |l| (false, [*h, *l].concat())))
            .collect(),
    ));
    let mut nonchars = vec![v(b"\xef\xbf\xbe"), v(b"\xef\xbf\xbf")];
    for z1 in [0xf0u8, 0xf1, 0xf2, 0xf3, 0xf4] {
        for z2 in [0x8fu8, 0x9f, 0xaf, 0xbf] {
            // F4 above 8F is beyond U+10FFFF; F0 8F is overlong.
            if (z1 == 0xf4 && z2 != 0x8f) || (z1 == 0xf0 && z2 == 0x8f) {
                continue;
            }
            for z3 in [0xbeu8, 0xbf] {
                nonchars.push((true, vec![z1, z2, 0xbf, z3]));
            }
        }
    }
    groups.push(("Non-character code points (valid UTF-8)", nonchars));
    groups.push((
        "Unicode specials, e.g. the replacement character",
        [
            b"\xef\xbf\xb9",
            b"\xef\xbf\xba",
            b"\xef\xbf\xbb",
            b"\xef\xbf\xbc",
            b"\xef\xbf\xbd",
            b"\xef\xbf\xbe",
            b"\xef\xbf\xbf",
        ]
        .iter()
        .map(|b| v(*b))
        .collect(),
    ));
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The valid flags agree with Rust's own UTF-8 decoder (and so with RFC 3629).
    #[test]
    fn validity_flags_match_a_real_decoder() {
        for (title, seqs) in sequences() {
            for (valid, bytes) in seqs {
                assert_eq!(
                    std::str::from_utf8(&bytes).is_ok(),
                    valid,
                    "{title}: {bytes:02x?}"
                );
            }
        }
    }

    #[test]
    fn nineteen_groups_of_132_sequences() {
        let groups = sequences();
        assert_eq!(groups.len(), 19);
        assert_eq!(groups.iter().map(|g| g.1.len()).sum::<usize>(), 132);
    }
}
