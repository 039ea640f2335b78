//! Category 2: pings and pongs (RFC 6455 §5.5.2, §5.5.3): a ping is answered by a pong with
//! the same payload, an unsolicited pong is ignored, a ping over 125 bytes fails the
//! connection (§5.5).

use super::{PING, PONG, SECOND, case, frame, send, send_chopped};
use crate::model::{Case, CloseExpect, Expect, Received, Step};

pub(super) fn add(cases: &mut Vec<Case>) {
    let pong_for = |id: &str, what: &str, payload: Vec<u8>, chop: Option<usize>| {
        let ping = frame(PING, payload.clone());
        let (step, how, wait) = match chop {
            Some(n) => (
                send_chopped(ping, n),
                ", written one byte at a time",
                2 * SECOND,
            ),
            None => (send(ping), "", SECOND),
        };
        case(
            id,
            "RFC 6455 §5.5.2",
            format!("Send a ping with {what}{how}."),
            "A pong with the same payload; then a clean close with 1000.",
            vec![step, Step::CloseAfter(wait)],
            Expect::ok(vec![Received::Pong(payload)]),
            CloseExpect::normal(),
        )
    };
    cases.push(pong_for("2.1", "no payload", vec![], None));
    cases.push(pong_for(
        "2.2",
        "a short text payload",
        b"Hello, world!".to_vec(),
        None,
    ));
    cases.push(pong_for(
        "2.3",
        "a short binary (not UTF-8) payload",
        b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff".to_vec(),
        None,
    ));
    cases.push(pong_for(
        "2.4",
        "a 125-byte binary payload, the largest allowed",
        vec![0xFE; 125],
        None,
    ));
    cases.push(case(
        "2.5",
        "RFC 6455 §5.5",
        "Send a ping with a 126-byte payload (control frames carry at most 125).",
        "The server fails the connection at once (1002 Protocol Error).",
        vec![send(frame(PING, vec![0xFE; 126])), Step::KillAfter(SECOND)],
        Expect::nothing(),
        CloseExpect::server_fails(1002),
    ));
    cases.push(pong_for(
        "2.6",
        "a 125-byte binary payload",
        vec![0xFE; 125],
        Some(1),
    ));
    for (id, payload) in [("2.7", &b""[..]), ("2.8", &b"unsolicited pong payload"[..])] {
        let what = if payload.is_empty() {
            "without"
        } else {
            "with"
        };
        cases.push(case(
            id,
            "RFC 6455 §5.5.3",
            format!("Send an unsolicited pong {what} payload, then close."),
            "Nothing in reply to the pong (it is ignored); a clean close with 1000.",
            vec![
                send(frame(PONG, payload)),
                Step::Close {
                    code: Some(1000),
                    reason: vec![],
                },
                Step::CloseAfter(SECOND),
            ],
            Expect::nothing(),
            CloseExpect::normal(),
        ));
    }
    cases.push(case(
        "2.9",
        "RFC 6455 §5.5.3",
        "Send an unsolicited pong, then a ping with a payload.",
        "Nothing for the pong, a pong with the ping's payload; then a clean close with 1000.",
        vec![
            send(frame(PONG, "unsolicited pong payload")),
            send(frame(PING, "ping payload")),
            Step::CloseAfter(SECOND),
        ],
        Expect::ok(vec![Received::Pong(b"ping payload".to_vec())]),
        CloseExpect::normal(),
    ));
    for (id, chop, wait) in [("2.10", None, 3), ("2.11", Some(1), 3)] {
        let mut script = Vec::new();
        let mut pongs = Vec::new();
        for i in 0..10 {
            let payload = format!("payload-{i}").into_bytes();
            let ping = frame(PING, payload.clone());
            script.push(match chop {
                Some(n) => send_chopped(ping, n),
                None => send(ping),
            });
            pongs.push(Received::Pong(payload));
        }
        script.push(Step::CloseAfter(wait * SECOND));
        let how = if chop.is_some() {
            ", written one byte at a time"
        } else {
            ""
        };
        cases.push(case(
            id,
            "RFC 6455 §5.5.2",
            format!("Send 10 pings with payloads{how}."),
            "Ten pongs with the payloads in order (RFC 6455 allows answering only the latest ping; Autobahn checks for all); then a clean close with 1000.",
            script,
            Expect::ok(pongs),
            CloseExpect::normal(),
        ));
    }
}
