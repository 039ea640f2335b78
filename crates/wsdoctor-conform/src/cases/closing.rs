//! Category 7: the closing handshake (RFC 6455 §5.5.1, §7): the server answers a Close
//! with a Close and closes TCP, ignores frames after it, and refuses close payloads that
//! are too short, too long, not UTF-8 or carry a code that may not be sent (§7.4).

use super::{CLOSE, CONT, PING, SECOND, TEXT, case, frame, send};
use crate::model::{Case, CloseExpect, Expect, Payload, Received, Step, Verdict};

/// Close codes an endpoint may send (Autobahn 7.7.*).
const VALID_CODES: [u16; 13] = [
    1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999,
];
/// Codes that must not appear in a Close frame (Autobahn 7.9.*).
const INVALID_CODES: [u16; 9] = [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999];

fn close(code: Option<u16>, reason: &[u8]) -> Step {
    Step::Close {
        code,
        reason: reason.to_vec(),
    }
}

/// A close-handling case: the fuzzer's own Close drives it, a wrong code fails it.
fn closing(
    id: impl Into<String>,
    section: &'static str,
    description: impl Into<String>,
    expectation: impl Into<String>,
    script: Vec<Step>,
    close: CloseExpect,
) -> Case {
    let mut c = case(
        id,
        section,
        description,
        expectation,
        script,
        Expect::nothing(),
        close,
    );
    c.suppress_close = true;
    c.wrong_code_fails = true;
    c
}

fn protocol_error() -> CloseExpect {
    CloseExpect {
        by_fuzzer: true,
        codes: vec![1002],
        require_clean: false,
        wrong_end_fails: false,
    }
}

pub(super) fn add(cases: &mut Vec<Case>) {
    let mut first = case(
        "7.1.1",
        "RFC 6455 §7.1.2",
        "Send a text message, then close when its echo arrives.",
        "The message is echoed, then a clean close with 1000.",
        vec![send(frame(TEXT, "Hello World!")), Step::KillAfter(SECOND)],
        Expect::echo(false, b"Hello World!".to_vec()),
        CloseExpect::normal(),
    );
    first.wrong_code_fails = true;
    cases.push(first);
    let after_close = [
        ("7.1.2", "a second, empty Close frame", frame(CLOSE, "")),
        ("7.1.3", "a ping", frame(PING, "")),
        ("7.1.4", "a text message", frame(TEXT, "Hello World!")),
    ];
    for (id, what, f) in after_close {
        cases.push(closing(
            id,
            "RFC 6455 §5.5.1",
            format!("Send a Close (1000), then {what}."),
            "A clean close with 1000; the frame after the Close is ignored.",
            vec![close(Some(1000), b""), send(f), Step::KillAfter(SECOND)],
            CloseExpect::normal(),
        ));
    }
    cases.push(closing(
        "7.1.5",
        "RFC 6455 §5.5.1",
        "Send the first fragment of a text message, a Close (1000), then the last fragment.",
        "A clean close with 1000; the fragment after the Close is ignored.",
        vec![
            send(frame(TEXT, "fragment1").fin(false)),
            close(Some(1000), b""),
            send(frame(CONT, "fragment2")),
            Step::KillAfter(SECOND),
        ],
        CloseExpect::normal(),
    ));
    let mut big = closing(
        "7.1.6",
        "RFC 6455 §7.1.2",
        "Send a 256 KiB text message and a short one back to back with a Close (1000), then a ping.",
        "Undefined: whether the echoes are written before the Close depends on the implementation.",
        vec![
            send(frame(
                TEXT,
                Payload::Repeat {
                    pattern: b"BAsd7&jh23",
                    len: 256 << 10,
                },
            )),
            send(frame(TEXT, "Hello World!")),
            close(Some(1000), b""),
            send(frame(PING, "")),
            Step::KillAfter(SECOND),
        ],
        CloseExpect::normal(),
    );
    big.expect = Expect::Events(vec![
        (
            Verdict::Ok,
            vec![Received::Message {
                binary: false,
                data: b"Hello World!".to_vec(),
            }],
        ),
        (Verdict::NonStrict, vec![]),
    ]);
    big.informational = true;
    cases.push(big);
    payloads(cases);
    for (i, code) in VALID_CODES.into_iter().enumerate() {
        let mut c = closing(
            format!("7.7.{}", i + 1),
            "RFC 6455 §7.4.1",
            format!("Send a Close with the valid code {code}."),
            format!("A clean close with 1000 or {code} echoed."),
            vec![close(Some(code), b""), Step::KillAfter(SECOND)],
            CloseExpect::normal(),
        );
        c.close.codes.push(code);
        c.suppress_close = false;
        cases.push(c);
    }
    for (i, code) in INVALID_CODES.into_iter().enumerate() {
        let mut c = closing(
            format!("7.9.{}", i + 1),
            "RFC 6455 §7.4.1",
            format!("Send a Close with the code {code}, which must not be sent."),
            "The server answers with 1002 or drops TCP.",
            vec![close(Some(code), b""), Step::KillAfter(SECOND)],
            protocol_error(),
        );
        c.suppress_close = false;
        cases.push(c);
    }
    for (i, code) in [5000u16, 65535].into_iter().enumerate() {
        let mut c = closing(
            format!("7.13.{}", i + 1),
            "RFC 6455 §7.4.2",
            format!("Send a Close with the code {code}, outside every defined range."),
            "Undefined by RFC 6455; recorded only.",
            vec![close(Some(code), b""), Step::KillAfter(SECOND)],
            CloseExpect {
                by_fuzzer: true,
                codes: vec![1000, code, 1002],
                require_clean: false,
                wrong_end_fails: false,
            },
        );
        c.informational = true;
        cases.push(c);
    }
}

/// 7.3.* and 7.5.1: the Close payload's length and content.
fn payloads(cases: &mut Vec<Case>) {
    // (id, what, code, reason, a clean close with 1000 expected)
    type Row = (&'static str, &'static str, Option<u16>, Vec<u8>, bool);
    let rows: [Row; 6] = [
        (
            "7.3.1",
            "an empty payload (no code, no reason)",
            None,
            vec![],
            true,
        ),
        (
            "7.3.2",
            "a 1-byte payload (too short for a code)",
            None,
            b"a".to_vec(),
            false,
        ),
        (
            "7.3.3",
            "the code 1000 and no reason",
            Some(1000),
            vec![],
            true,
        ),
        (
            "7.3.4",
            "the code 1000 and a reason",
            Some(1000),
            b"Hello World!".to_vec(),
            true,
        ),
        (
            "7.3.5",
            "the code 1000 and a 123-byte reason (the most that fits)",
            Some(1000),
            vec![b'*'; 123],
            true,
        ),
        (
            "7.3.6",
            "the code 1000 and a 124-byte reason (126 bytes, over the control frame limit)",
            Some(1000),
            vec![b'*'; 124],
            false,
        ),
    ];
    for (id, what, code, reason, ok) in rows {
        let (expectation, expect) = if ok {
            ("A clean close with 1000.", CloseExpect::normal())
        } else {
            (
                "The server answers with 1002 or drops TCP.",
                protocol_error(),
            )
        };
        cases.push(closing(
            id,
            "RFC 6455 §5.5.1",
            format!("Send a Close with {what}."),
            expectation,
            vec![close(code, &reason), Step::KillAfter(SECOND)],
            expect,
        ));
    }
    let bad_reason: Vec<u8> = [
        &b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"[..],
        b"edited",
    ]
    .concat();
    cases.push(closing(
        "7.5.1",
        "RFC 6455 §7.1.6",
        "Send a Close (1000) whose reason is not valid UTF-8.",
        "The server answers with 1002 or 1007, or drops TCP.",
        vec![close(Some(1000), &bad_reason), Step::KillAfter(SECOND)],
        CloseExpect {
            codes: vec![1002, 1007],
            ..protocol_error()
        },
    ));
}
