//! Categories 9 and 10: limits and performance. Large messages (up to 16 MiB), a 4 MiB
//! message in fragments from 64 bytes to 4 MiB, a 1 MiB frame written in TCP chops of
//! 64 bytes and up, 1000 round trips of small messages, and a message in 1300-byte
//! fragments. The server echoes each; only type and length are compared (as Autobahn
//! does). RFC 6455 §10.4 lets a server limit sizes; these cases say where it does.

use super::{BINARY, SECOND, TEXT, case, frame, send, send_chopped};
use crate::model::{Case, Chop, CloseExpect, Expect, Payload, Step};

const SECTION: &str = "RFC 6455 §10.4";
const TEXT_PATTERN: &[u8] = b"BAsd7&jh23";
const BINARY_PATTERN: &[u8] = b"\x00\xfe\x23\xfa\xf0";
const KIB: usize = 1 << 10;
const MIB: usize = 1 << 20;

fn kind(binary: bool) -> &'static str {
    if binary { "binary" } else { "text" }
}

fn size(n: usize) -> String {
    match n {
        n if n >= MIB && n % MIB == 0 => format!("{} MiB", n / MIB),
        n if n >= KIB && n % KIB == 0 => format!("{} KiB", n / KIB),
        n => format!("{n} bytes"),
    }
}

fn echo_case(
    id: String,
    description: String,
    script: Vec<Step>,
    binary: bool,
    len: usize,
    rounds: u32,
) -> Case {
    case(
        id,
        SECTION,
        description,
        format!(
            "The server echoes the {} message ({}){}; then a clean close with 1000.",
            kind(binary),
            size(len),
            if rounds > 1 {
                format!(", {rounds} times")
            } else {
                String::new()
            }
        ),
        script,
        Expect::Echo {
            binary,
            len,
            rounds,
        },
        CloseExpect::normal(),
    )
}

pub(super) fn add(cases: &mut Vec<Case>) {
    let sizes = [64 * KIB, 256 * KIB, MIB, 4 * MIB, 8 * MIB, 16 * MIB];
    for (sub, binary) in [(1, false), (2, true)] {
        let (opcode, pattern) = if binary {
            (BINARY, BINARY_PATTERN)
        } else {
            (TEXT, TEXT_PATTERN)
        };
        for (i, len) in sizes.into_iter().enumerate() {
            let wait = if len <= 256 * KIB { 10 } else { 100 };
            cases.push(echo_case(
                format!("9.{sub}.{}", i + 1),
                format!(
                    "Send a {} message of {} in one frame.",
                    kind(binary),
                    size(len)
                ),
                vec![
                    send(frame(opcode, Payload::Repeat { pattern, len })),
                    Step::CloseAfter(wait * SECOND),
                ],
                binary,
                len,
                1,
            ));
        }
    }
    let fragments = [
        64,
        256,
        KIB,
        4 * KIB,
        16 * KIB,
        64 * KIB,
        256 * KIB,
        MIB,
        4 * MIB,
    ];
    for (sub, binary) in [(3, false), (4, true)] {
        let pattern: &'static [u8] = if binary { b"\xfe" } else { b"*" };
        for (i, f) in fragments.into_iter().enumerate() {
            cases.push(echo_case(
                format!("9.{sub}.{}", i + 1),
                format!(
                    "Send a {} message of 4 MiB in fragments of {}.",
                    kind(binary),
                    size(f)
                ),
                vec![
                    Step::Message {
                        binary,
                        payload: Payload::Repeat {
                            pattern,
                            len: 4 * MIB,
                        },
                        fragment: Some(f),
                        chop: Chop::Whole,
                    },
                    Step::CloseAfter(100 * SECOND),
                ],
                binary,
                4 * MIB,
                1,
            ));
        }
    }
    for (sub, binary) in [(5, false), (6, true)] {
        let (opcode, pattern) = if binary {
            (BINARY, BINARY_PATTERN)
        } else {
            (TEXT, TEXT_PATTERN)
        };
        for (i, chop) in [64, 128, 256, 512, 1024, 2048].into_iter().enumerate() {
            cases.push(echo_case(
                format!("9.{sub}.{}", i + 1),
                format!(
                    "Send a {} message of 1 MiB in one frame, written to TCP in chops of {chop} bytes.",
                    kind(binary)
                ),
                vec![
                    send_chopped(frame(opcode, Payload::Repeat { pattern, len: MIB }), chop),
                    Step::CloseAfter(100 * SECOND),
                ],
                binary,
                MIB,
                1,
            ));
        }
    }
    let rounds = [
        (0usize, 60u64),
        (16, 60),
        (64, 60),
        (256, 120),
        (1024, 240),
        (4096, 480),
    ];
    for (sub, binary) in [(7, false), (8, true)] {
        let (opcode, pattern): (u8, &'static [u8]) = if binary {
            (BINARY, b"\xfe")
        } else {
            (TEXT, b"*")
        };
        for (i, (len, wait)) in rounds.into_iter().enumerate() {
            cases.push(echo_case(
                format!("9.{sub}.{}", i + 1),
                format!(
                    "Send 1000 {} messages of {} one after another, each after the previous echo (round trips).",
                    kind(binary),
                    size(len)
                ),
                vec![
                    send(frame(opcode, Payload::Repeat { pattern, len })),
                    Step::CloseAfter(wait * SECOND),
                ],
                binary,
                len,
                1000,
            ));
        }
    }
    let payload = vec![b'*'; 64 * KIB];
    cases.push(case(
        "10.1.1",
        "RFC 6455 §5.4",
        "Send a 64 KiB text message in fragments of 1300 bytes.",
        "The server echoes the joined message; then a clean close with 1000.",
        vec![
            Step::Message {
                binary: false,
                payload: Payload::Bytes(payload.clone()),
                fragment: Some(1300),
                chop: Chop::Whole,
            },
            Step::KillAfter(10 * SECOND),
        ],
        Expect::echo(false, payload),
        CloseExpect::normal(),
    ));
}
