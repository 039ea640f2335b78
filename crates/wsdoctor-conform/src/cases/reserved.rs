//! Category 3: reserved bits (RFC 6455 §5.2): RSV1–3 must be 0 unless an extension gives
//! them a meaning; a server receiving one set fails the connection.

use super::{BINARY, CLOSE, PING, SECOND, TEXT, case, frame, send, send_chopped, send_sync};
use crate::model::{Case, Chop, CloseExpect, Expect, FrameSpec, Received, Step, Verdict};

const HELLO: &str = "Hello, world!";

pub(super) fn add(cases: &mut Vec<Case>) {
    cases.push(case(
        "3.1",
        "RFC 6455 §5.2",
        "Send a small text message with RSV = 1.",
        "The server fails the connection at once (1002): no extension gives RSV a meaning.",
        vec![send(frame(TEXT, HELLO).rsv(1)), Step::KillAfter(SECOND)],
        Expect::nothing(),
        CloseExpect::server_fails(1002),
    ));
    for (id, rsv, chop, how) in [
        ("3.2", 2, Chop::Whole, ""),
        ("3.3", 3, Chop::Sync, ", each frame in its own TCP segment"),
        ("3.4", 4, Chop::Bytes(1), ", written one byte at a time"),
    ] {
        let step = |f: FrameSpec| match chop {
            Chop::Whole => send(f),
            Chop::Sync => send_sync(f),
            Chop::Bytes(n) => send_chopped(f, n),
        };
        cases.push(case(
            id,
            "RFC 6455 §5.2",
            format!("Send a small text message, then the same with RSV = {rsv}, then a ping{how}."),
            "The first message is echoed, then the server fails the connection (1002); no pong. Failing before the echo is NON-STRICT.",
            vec![
                step(frame(TEXT, HELLO)),
                step(frame(TEXT, HELLO).rsv(rsv)),
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
    let single = [
        (
            "3.5",
            "a small binary message",
            frame(BINARY, &b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff"[..]).rsv(5),
            5,
        ),
        // Autobahn's 3.6 says "ping" but sends a binary frame; kept as it sends.
        ("3.6", "a binary frame", frame(BINARY, HELLO).rsv(6), 6),
        ("3.7", "a close frame", frame(CLOSE, "").rsv(7), 7),
    ];
    for (id, what, f, rsv) in single {
        cases.push(case(
            id,
            "RFC 6455 §5.2",
            format!("Send {what} with RSV = {rsv}."),
            "The server fails the connection at once (1002).",
            vec![send(f), Step::KillAfter(SECOND)],
            Expect::nothing(),
            CloseExpect::server_fails(1002),
        ));
    }
}
