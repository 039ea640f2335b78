//! Category 4: reserved opcodes (RFC 6455 §5.2): 0x3–0x7 (data) and 0xB–0xF (control)
//! have no meaning; a server receiving one fails the connection.

use super::{PING, SECOND, TEXT, case, frame, send, send_chopped};
use crate::model::{Case, CloseExpect, Expect, Received, Step, Verdict};

const HELLO: &str = "Hello, world!";

pub(super) fn add(cases: &mut Vec<Case>) {
    for (sub, base, kind) in [(1, 3u8, "data"), (2, 11u8, "control")] {
        for i in 0..5u8 {
            let opcode = base + i;
            let id = format!("4.{sub}.{}", i + 1);
            let with_payload = i % 2 == 1 || i == 4;
            let payload: &str = match (i, with_payload) {
                (0..=1, true) => "reserved opcode payload",
                (_, true) => HELLO,
                _ => "",
            };
            let words = if with_payload { " with a payload" } else { "" };
            if i < 2 {
                cases.push(case(
                    id,
                    "RFC 6455 §5.2",
                    format!("Send a frame with the reserved {kind} opcode {opcode:#x}{words}."),
                    "The server fails the connection at once (1002).",
                    vec![send(frame(opcode, payload)), Step::KillAfter(SECOND)],
                    Expect::nothing(),
                    CloseExpect::server_fails(1002),
                ));
                continue;
            }
            let chop = i == 4;
            let step = |f| if chop { send_chopped(f, 1) } else { send(f) };
            let how = if chop {
                ", written one byte at a time"
            } else {
                ""
            };
            cases.push(case(
                id,
                "RFC 6455 §5.2",
                format!(
                    "Send a small text message, then a frame with the reserved {kind} opcode {opcode:#x}{words}, then a ping{how}."
                ),
                "The text message is echoed, then the server fails the connection (1002); no pong. Failing before the echo is NON-STRICT.",
                vec![
                    step(frame(TEXT, HELLO)),
                    step(frame(opcode, payload)),
                    step(frame(PING, "")),
                    Step::KillAfter(SECOND),
                ],
                Expect::Events(vec![
                    (
                        Verdict::Ok,
                        vec![Received::Message {
                            binary: false,
                            data: HELLO.as_bytes().to_vec(),
                        }],
                    ),
                    (Verdict::NonStrict, vec![]),
                ]),
                CloseExpect::server_fails(1002),
            ));
        }
    }
}
