//! Category 5: fragmentation (RFC 6455 §5.4): control frames are never fragmented, a
//! message is one data frame and continuations, control frames may come between
//! fragments, and a continuation without a message (or a new message inside one) fails
//! the connection.

use super::{CONT, PING, PONG, SECOND, TEXT, case, frame, send, send_chopped, send_sync};
use crate::model::{Case, Chop, CloseExpect, Expect, FrameSpec, Received, Step, Verdict};

const SECTION: &str = "RFC 6455 §5.4";

fn step(f: FrameSpec, chop: Chop) -> Step {
    match chop {
        Chop::Whole => send(f),
        Chop::Sync => send_sync(f),
        Chop::Bytes(n) => send_chopped(f, n),
    }
}

fn how(chop: Chop) -> &'static str {
    match chop {
        Chop::Whole => "",
        Chop::Sync => ", each frame in its own TCP segment",
        Chop::Bytes(_) => ", written one byte at a time",
    }
}

fn text(data: &str) -> Received {
    Received::Message {
        binary: false,
        data: data.as_bytes().to_vec(),
    }
}

pub(super) fn add(cases: &mut Vec<Case>) {
    for (id, opcode, kind) in [("5.1", PING, "ping"), ("5.2", PONG, "pong")] {
        cases.push(case(
            id,
            "RFC 6455 §5.5",
            format!("Send a {kind} in two fragments."),
            "The server fails the connection at once (1002): control frames must not be fragmented.",
            vec![
                send(frame(opcode, "fragment1").fin(false)),
                send(frame(CONT, "fragment2")),
                Step::KillAfter(SECOND),
            ],
            Expect::nothing(),
            CloseExpect::server_fails(1002),
        ));
    }
    for (id, chop) in [
        ("5.3", Chop::Whole),
        ("5.4", Chop::Sync),
        ("5.5", Chop::Bytes(1)),
    ] {
        cases.push(case(
            id,
            SECTION,
            format!("Send a text message in two fragments{}.", how(chop)),
            "The server echoes the joined message; then a clean close with 1000.",
            vec![
                step(frame(TEXT, "fragment1").fin(false), chop),
                step(frame(CONT, "fragment2"), chop),
                Step::CloseAfter(SECOND),
            ],
            Expect::ok(vec![text("fragment1fragment2")]),
            CloseExpect::normal(),
        ));
    }
    for (id, chop) in [
        ("5.6", Chop::Whole),
        ("5.7", Chop::Sync),
        ("5.8", Chop::Bytes(1)),
    ] {
        cases.push(case(
            id,
            SECTION,
            format!(
                "Send a text message in two fragments with a ping between them{}.",
                how(chop)
            ),
            "A pong first, then the joined message echoed; then a clean close with 1000.",
            vec![
                step(frame(TEXT, "fragment1").fin(false), chop),
                step(frame(PING, "ping payload"), chop),
                step(frame(CONT, "fragment2"), chop),
                Step::CloseAfter(SECOND),
            ],
            Expect::ok(vec![
                Received::Pong(b"ping payload".to_vec()),
                text("fragment1fragment2"),
            ]),
            CloseExpect::normal(),
        ));
    }
    let bad = [
        ("5.9", true, Chop::Whole),
        ("5.10", true, Chop::Sync),
        ("5.11", true, Chop::Bytes(1)),
        ("5.12", false, Chop::Whole),
        ("5.13", false, Chop::Sync),
        ("5.14", false, Chop::Bytes(1)),
    ];
    for (id, fin, chop) in bad {
        let fin_words = if fin { "FIN set" } else { "FIN clear" };
        cases.push(case(
            id,
            SECTION,
            format!(
                "Send a continuation frame ({fin_words}) with no message to continue, then a text message{}.",
                how(chop)
            ),
            "The server fails the connection at once (1002).",
            vec![
                step(frame(CONT, "non-continuation payload").fin(fin), chop),
                step(frame(TEXT, "Hello, world!"), chop),
                Step::KillAfter(SECOND),
            ],
            Expect::nothing(),
            CloseExpect::server_fails(1002),
        ));
    }
    cases.push(case(
        "5.15",
        SECTION,
        "Send a text message in two fragments, then a continuation with FIN clear and no message, then a text frame.",
        "The first message is echoed, then the server fails the connection (1002). Failing before the echo is NON-STRICT.",
        vec![
            send(frame(TEXT, "fragment1").fin(false)),
            send(frame(CONT, "fragment2")),
            send(frame(CONT, "fragment3").fin(false)),
            send(frame(TEXT, "fragment4")),
            Step::KillAfter(SECOND),
        ],
        Expect::Events(vec![
            (Verdict::Ok, vec![text("fragment1fragment2")]),
            (Verdict::NonStrict, vec![]),
        ]),
        CloseExpect::server_fails(1002),
    ));
    for (id, first_fin) in [("5.16", false), ("5.17", true)] {
        let mut script = Vec::new();
        for _ in 0..2 {
            script.push(send(frame(CONT, "fragment1").fin(first_fin)));
            script.push(send(frame(TEXT, "fragment2").fin(false)));
            script.push(send(frame(CONT, "fragment3")));
        }
        script.push(Step::KillAfter(SECOND));
        let fin_words = if first_fin { "FIN set" } else { "FIN clear" };
        cases.push(case(
            id,
            SECTION,
            format!(
                "Twice: a continuation ({fin_words}) with no message, then a text message in two fragments."
            ),
            "The server fails the connection at once (1002).",
            script,
            Expect::nothing(),
            CloseExpect::server_fails(1002),
        ));
    }
    cases.push(case(
        "5.18",
        SECTION,
        "Send a text message in two fragments, both with the text opcode.",
        "The server fails the connection at once (1002): the second fragment must be a continuation.",
        vec![
            send(frame(TEXT, "fragment1").fin(false)),
            send(frame(TEXT, "fragment2")),
            Step::KillAfter(SECOND),
        ],
        Expect::nothing(),
        CloseExpect::server_fails(1002),
    ));
    for (id, chop) in [("5.19", Chop::Whole), ("5.20", Chop::Sync)] {
        let f = |op, p: &str, fin| step(frame(op, p).fin(fin), chop);
        cases.push(case(
            id,
            SECTION,
            format!(
                "Send a text message in five fragments with a ping after the second and after the fourth, waiting a second in the middle{}.",
                how(chop)
            ),
            "Both pongs as soon as each ping arrives, then the joined message; then a clean close with 1000.",
            vec![
                f(TEXT, "fragment1", false),
                f(CONT, "fragment2", false),
                f(PING, "pongme 1!", true),
                Step::Wait {
                    ms: SECOND,
                    tag: None,
                },
                f(CONT, "fragment3", false),
                f(CONT, "fragment4", false),
                f(PING, "pongme 2!", true),
                f(CONT, "fragment5", true),
                Step::CloseAfter(SECOND),
            ],
            Expect::ok(vec![
                Received::Pong(b"pongme 1!".to_vec()),
                Received::Pong(b"pongme 2!".to_vec()),
                text("fragment1fragment2fragment3fragment4fragment5"),
            ]),
            CloseExpect::normal(),
        ));
    }
}
