//! Category 1: messages at the payload length boundaries of RFC 6455 §5.2 — the 7-bit
//! length (0–125), the 16-bit form (126–65535) and the 64-bit form (65536 and up).

use super::{BINARY, SECOND, TEXT, case, frame, send, send_chopped};
use crate::model::{Case, CloseExpect, Expect, Step};

const LENGTHS: [usize; 7] = [0, 125, 126, 127, 128, 65535, 65536];

pub(super) fn add(cases: &mut Vec<Case>) {
    for (sub, binary) in [(1, false), (2, true)] {
        let (kind, byte, opcode) = if binary {
            ("binary", 0xFE, BINARY)
        } else {
            ("text", b'*', TEXT)
        };
        for (i, len) in LENGTHS.into_iter().chain([65536]).enumerate() {
            let chopped = i == LENGTHS.len();
            let payload = vec![byte; len];
            let wait = if len > 128 { 10 * SECOND } else { SECOND };
            let step = if chopped {
                send_chopped(frame(opcode, payload.clone()), 997)
            } else {
                send(frame(opcode, payload.clone()))
            };
            let how = if chopped {
                ", written to TCP in chops of 997 bytes"
            } else {
                ""
            };
            cases.push(case(
                format!("1.{sub}.{}", i + 1),
                "RFC 6455 §5.2",
                format!("Send a {kind} message with a payload of {len} bytes{how}."),
                format!(
                    "The server echoes the {kind} message unchanged; then a clean close with 1000."
                ),
                vec![step, Step::KillAfter(wait)],
                Expect::echo(binary, payload),
                CloseExpect::normal(),
            ));
        }
    }
}
