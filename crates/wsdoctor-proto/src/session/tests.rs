use super::*;
use proptest::prelude::*;

const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

fn client() -> Session {
    Session::new(Config::new(Role::Client))
}

fn server() -> Session {
    Session::new(Config::new(Role::Server))
}

fn wire(frames: &[Frame]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in frames {
        f.encode(&mut out);
    }
    out
}

/// Feeds bytes and returns the events, without the FrameSeen diagnostics.
fn events(s: &mut Session, bytes: &[u8]) -> Vec<Event> {
    s.feed(bytes);
    std::iter::from_fn(|| s.poll_event())
        .filter(|e| !matches!(e, Event::FrameSeen(_)))
        .collect()
}

fn violation(v: ProtocolViolation) -> Vec<Event> {
    vec![Event::Violation(v)]
}

#[test]
fn rfc_hello_frames_in_both_roles() {
    let mut c = client();
    c.feed(&[0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
    assert!(matches!(
        c.poll_event(),
        Some(Event::FrameSeen(FrameHeader {
            opcode: OpCode::Text,
            fin: true,
            ..
        }))
    ));
    assert_eq!(c.poll_event(), Some(Event::Text("Hello".into())));
    assert_eq!(c.poll_event(), None);
    let masked = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    assert_eq!(
        events(&mut server(), &masked),
        vec![Event::Text("Hello".into())]
    );
}

#[test]
fn rfc_fragments_with_a_ping_in_between() {
    let bytes = wire(&[
        Frame::new(OpCode::Text, b"Hel".to_vec()).with_fin(false),
        Frame::ping(b"Hello"),
        Frame::continuation(b"lo"),
    ]);
    assert_eq!(
        events(&mut client(), &bytes),
        vec![Event::Ping(b"Hello".to_vec()), Event::Text("Hello".into())]
    );
}

#[test]
fn byte_at_a_time_equals_all_at_once() {
    let bytes = wire(&[
        Frame::binary(&[7; 300]).with_mask(Some(MASK)),
        Frame::close(Some(1000), "bye").with_mask(Some(MASK)),
    ]);
    let mut s = server();
    let mut got = Vec::new();
    for b in &bytes {
        got.extend(events(&mut s, std::slice::from_ref(b)));
    }
    assert_eq!(got, events(&mut server(), &bytes));
    assert_eq!(
        got[1],
        Event::Close {
            code: Some(1000),
            reason: "bye".into()
        }
    );
}

#[test]
fn masking_rules_by_role() {
    let masked = wire(&[Frame::text("x").with_mask(Some(MASK))]);
    assert_eq!(
        events(&mut client(), &masked),
        violation(ProtocolViolation::MaskedFrameFromServer)
    );
    let unmasked = wire(&[Frame::text("x")]);
    assert_eq!(
        events(&mut server(), &unmasked),
        violation(ProtocolViolation::UnmaskedFrameFromClient)
    );
}

#[test]
fn header_violations() {
    let cases = [
        (
            Frame::text("x").with_rsv(false, true, false),
            ProtocolViolation::ReservedBitsSet {
                rsv1: false,
                rsv2: true,
                rsv3: false,
            },
        ),
        (
            Frame::text("x").with_rsv(true, false, false),
            ProtocolViolation::ReservedBitsSet {
                rsv1: true,
                rsv2: false,
                rsv3: false,
            },
        ),
        (
            Frame::binary(b"").with_opcode(OpCode::Reserved(0xB)),
            ProtocolViolation::UnknownOpcode(0xB),
        ),
        (
            Frame::ping(&[0; 126]),
            ProtocolViolation::ControlFrameTooLong(126),
        ),
        (
            Frame::pong(b"").with_fin(false),
            ProtocolViolation::FragmentedControlFrame,
        ),
        (
            Frame::continuation(b"x"),
            ProtocolViolation::UnexpectedContinuation,
        ),
    ];
    for (frame, expected) in cases {
        assert_eq!(
            events(&mut client(), &wire(std::slice::from_ref(&frame))),
            violation(expected),
            "{frame:?}"
        );
    }
}

#[test]
fn new_message_inside_a_fragmented_one() {
    let bytes = wire(&[Frame::text("a").with_fin(false), Frame::text("b")]);
    assert_eq!(
        events(&mut client(), &bytes),
        violation(ProtocolViolation::ExpectedContinuation)
    );
}

#[test]
fn non_minimal_length_is_named() {
    let mut bytes = Vec::new();
    Frame::text("a").encode_with(LengthForm::Extended16, &mut bytes);
    assert_eq!(
        events(&mut client(), &bytes),
        violation(ProtocolViolation::NonMinimalLength)
    );
}

#[test]
fn nothing_after_a_violation() {
    let mut bytes = wire(&[
        Frame::text("ok"),
        Frame::text("x").with_rsv(false, false, true),
    ]);
    bytes.extend(wire(&[Frame::text("never")]));
    let mut c = client();
    let got = events(&mut c, &bytes);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0], Event::Text("ok".into()));
    assert!(c.is_failed() && c.is_closed());
    assert_eq!(events(&mut c, &wire(&[Frame::text("later")])), vec![]);
}

#[test]
fn invalid_utf8_fails_fast_inside_a_frame() {
    // Autobahn 6.4.3: one frame, the bad byte arrives before the frame is complete.
    let bytes = wire(&[Frame::new(
        OpCode::Text,
        b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90\x80\x80edited".to_vec(),
    )]);
    let mut c = client();
    // header + "κόσμε" (11 bytes) + 0xF4: still a valid prefix
    assert_eq!(events(&mut c, &bytes[..2 + 12]), vec![]);
    // 0xF4 0x90 can never be UTF-8: fail now, not at the end of the frame
    assert_eq!(
        events(&mut c, &bytes[2 + 12..2 + 13]),
        violation(ProtocolViolation::InvalidUtf8Text)
    );
}

#[test]
fn invalid_utf8_fails_fast_across_fragments() {
    let first = wire(&[Frame::new(OpCode::Text, b"ok\xf4".to_vec()).with_fin(false)]);
    let second = wire(&[Frame::continuation(b"\x90").with_fin(false)]);
    let mut c = client();
    assert_eq!(events(&mut c, &first), vec![]);
    assert_eq!(
        events(&mut c, &second),
        violation(ProtocolViolation::InvalidUtf8Text)
    );
}

#[test]
fn text_cut_inside_a_code_point_fails_at_the_end() {
    let bytes = wire(&[Frame::new(OpCode::Text, b"\xe2\x82".to_vec())]);
    assert_eq!(
        events(&mut client(), &bytes),
        violation(ProtocolViolation::InvalidUtf8Text)
    );
}

#[test]
fn binary_is_not_checked_for_utf8() {
    assert_eq!(
        events(&mut client(), &wire(&[Frame::binary(b"\xff")])),
        vec![Event::Binary(vec![0xff])]
    );
}

#[test]
fn close_frames() {
    let close = |payload: &[u8]| wire(&[Frame::new(OpCode::Close, payload.to_vec())]);
    assert_eq!(
        events(&mut client(), &close(b"")),
        vec![Event::Close {
            code: None,
            reason: String::new()
        }]
    );
    assert_eq!(
        events(&mut client(), &close(b"\x03\xe8")),
        vec![Event::Close {
            code: Some(1000),
            reason: String::new()
        }]
    );
    assert_eq!(
        events(&mut client(), &close(b"\x03")),
        violation(ProtocolViolation::CloseFrameTooShort)
    );
    assert_eq!(
        events(&mut client(), &close(b"\x03\xed")),
        violation(ProtocolViolation::InvalidCloseCode(1005))
    );
    assert_eq!(
        events(&mut client(), &close(b"\x03\xe8\xff")),
        violation(ProtocolViolation::InvalidUtf8CloseReason)
    );
}

#[test]
fn closing_handshake_and_input_after_close() {
    let mut s = server();
    let mut bytes = wire(&[Frame::close(Some(1001), "away").with_mask(Some(MASK))]);
    bytes.extend(wire(&[Frame::text("late").with_mask(Some(MASK))]));
    assert_eq!(
        events(&mut s, &bytes),
        vec![Event::Close {
            code: Some(1001),
            reason: "away".into()
        }]
    );
    assert!(s.close_received() && !s.is_closed());
    let mut out = Vec::new();
    s.encode_close(Some(1001), "", None, &mut out);
    assert_eq!(out, [0x88, 0x02, 0x03, 0xe9]);
    assert!(s.is_closed());
}

#[test]
fn limits_refuse_before_buffering() {
    let cfg = Config {
        max_message: 10,
        max_frame: 8,
        ..Config::new(Role::Client)
    };
    // The header alone is enough: only 4 of the 9 announced bytes are fed.
    let header = wire(&[Frame::binary(&[0; 9])]);
    assert_eq!(
        events(&mut Session::new(cfg.clone()), &header[..6]),
        violation(ProtocolViolation::FrameTooLarge { len: 9, limit: 8 })
    );
    let bytes = wire(&[
        Frame::binary(&[0; 6]).with_fin(false),
        Frame::continuation(&[0; 6]),
    ]);
    assert_eq!(
        events(&mut Session::new(cfg), &bytes),
        violation(ProtocolViolation::MessageTooLarge { limit: 10 })
    );
}

#[test]
fn close_codes_for_violations() {
    assert_eq!(ProtocolViolation::InvalidUtf8Text.close_code(), 1007);
    assert_eq!(
        ProtocolViolation::MessageTooLarge { limit: 1 }.close_code(),
        1009
    );
    assert_eq!(ProtocolViolation::MaskedFrameFromServer.close_code(), 1002);
    assert!(ProtocolViolation::FrameTooLarge { len: 2, limit: 1 }.is_limit());
}

fn deflate_pair(params: deflate::Params) -> (Session, Session) {
    let cfg = |role| Config {
        deflate: Some(params),
        ..Config::new(role)
    };
    (
        Session::new(cfg(Role::Client)),
        Session::new(cfg(Role::Server)),
    )
}

#[test]
fn compressed_messages_both_ways() {
    let params = deflate::Params {
        client_max_window_bits: 9,
        server_no_context_takeover: true,
        ..Default::default()
    };
    let (mut c, mut s) = deflate_pair(params);
    let text = "compress me ".repeat(100);
    for _ in 0..3 {
        let mut out = Vec::new();
        c.encode_text(&text, Some(MASK), &mut out);
        assert!(out.len() < text.len() / 4);
        assert_eq!(out[0] & 0x40, 0x40, "rsv1 marks a compressed message");
        assert_eq!(events(&mut s, &out), vec![Event::Text(text.clone())]);
        out.clear();
        s.encode_binary(text.as_bytes(), None, &mut out);
        assert_eq!(
            events(&mut c, &out),
            vec![Event::Binary(text.clone().into_bytes())]
        );
    }
}

#[test]
fn compressed_fragmented_message_and_rsv1_on_continuation() {
    let payload = deflate::compress_message(b"Hello, fragmented world").unwrap();
    let (first, rest) = payload.split_at(5);
    let good = wire(&[
        Frame::new(OpCode::Text, first.to_vec())
            .with_fin(false)
            .with_rsv(true, false, false),
        Frame::continuation(rest),
    ]);
    let (mut c, _) = deflate_pair(Default::default());
    assert_eq!(
        events(&mut c, &good),
        vec![Event::Text("Hello, fragmented world".into())]
    );
    let bad = wire(&[
        Frame::new(OpCode::Text, first.to_vec())
            .with_fin(false)
            .with_rsv(true, false, false),
        Frame::continuation(rest).with_rsv(true, false, false),
    ]);
    let (mut c, _) = deflate_pair(Default::default());
    assert_eq!(
        events(&mut c, &bad),
        violation(ProtocolViolation::ReservedBitsSet {
            rsv1: true,
            rsv2: false,
            rsv3: false
        })
    );
}

#[test]
fn compressed_zip_bomb_hits_the_message_limit() {
    let bomb = deflate::compress_message(&vec![b'a'; 1 << 20]).unwrap();
    let cfg = Config {
        max_message: 64 << 10,
        deflate: Some(Default::default()),
        ..Config::new(Role::Client)
    };
    let bytes = wire(&[Frame::new(OpCode::Binary, bomb).with_rsv(true, false, false)]);
    assert_eq!(
        events(&mut Session::new(cfg), &bytes),
        violation(ProtocolViolation::MessageTooLarge { limit: 64 << 10 })
    );
}

#[test]
fn corrupt_compressed_data_is_a_deflate_error() {
    let (mut c, _) = deflate_pair(Default::default());
    let bytes = wire(&[Frame::new(OpCode::Binary, vec![0xff; 8]).with_rsv(true, false, false)]);
    assert!(matches!(
        events(&mut c, &bytes)[..],
        [Event::Violation(ProtocolViolation::DeflateError(_))]
    ));
}

#[test]
fn frame_seen_comes_before_its_event() {
    let mut c = client();
    c.feed(&wire(&[Frame::ping(b"p")]));
    assert!(matches!(c.poll_event(), Some(Event::FrameSeen(h)) if h.opcode == OpCode::Ping));
    assert_eq!(c.poll_event(), Some(Event::Ping(b"p".to_vec())));
}

fn arb_message() -> impl Strategy<Value = (bool, Vec<u8>)> {
    prop_oneof![
        ".{0,200}".prop_map(|s| (true, s.into_bytes())),
        proptest::collection::vec(any::<u8>(), 0..400).prop_map(|b| (false, b)),
    ]
}

proptest! {
    /// Whatever we encode, the peer decodes to the same messages, however TCP splits the bytes.
    #[test]
    fn session_round_trip(msgs in proptest::collection::vec(arb_message(), 1..6), deflate in any::<bool>(), split in 1usize..64) {
        let params = deflate::Params::default();
        let (mut c, mut s) = if deflate { deflate_pair(params) } else { (client(), server()) };
        let mut out = Vec::new();
        for (text, data) in &msgs {
            if *text {
                // Strategy produced a String's bytes; from_utf8 cannot fail here.
                c.encode_text(std::str::from_utf8(data).expect("generated from a String"), Some(MASK), &mut out);
            } else {
                c.encode_binary(data, Some(MASK), &mut out);
            }
        }
        let mut got = Vec::new();
        for chunk in out.chunks(split) {
            got.extend(events(&mut s, chunk));
        }
        let expected: Vec<Event> = msgs.into_iter().map(|(text, data)| if text {
            Event::Text(String::from_utf8(data).expect("generated from a String"))
        } else {
            Event::Binary(data)
        }).collect();
        prop_assert_eq!(got, expected);
    }

    /// Arbitrary bytes never panic and stop after at most one violation.
    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512), server_role in any::<bool>(), deflate in any::<bool>()) {
        let role = if server_role { Role::Server } else { Role::Client };
        let cfg = Config { max_message: 1024, max_frame: 256, deflate: deflate.then(Default::default), ..Config::new(role) };
        let mut s = Session::new(cfg);
        s.feed(&bytes);
        let violations = std::iter::from_fn(|| s.poll_event()).filter(|e| matches!(e, Event::Violation(_))).count();
        prop_assert!(violations <= 1);
    }
}
