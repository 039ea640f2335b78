//! The stable stand-in for `fuzz/` (cargo-fuzz needs nightly): every parser of untrusted bytes
//! is run on arbitrary input and on mutated valid input, and must never panic, never claim
//! bytes it was not given, and stay within its limits. The properties are the same as the
//! fuzz targets' (`fuzz/fuzz_targets/*.rs`).

use proptest::prelude::*;
use wsdoctor_proto::frame::{Frame, FrameDecoder, OpCode, decode_header};
use wsdoctor_proto::handshake::{ClientRequest, ServerResponse, parse_request, parse_response};
use wsdoctor_proto::session::{Config, Event, Role, Session};

const MAX_MESSAGE: usize = 1 << 16;

/// Encoded frames of any kind (valid or not), then a few bytes overwritten.
fn mutated_frames() -> impl Strategy<Value = Vec<u8>> {
    let frame = (
        any::<[bool; 4]>(),
        0u8..16,
        proptest::option::of(any::<[u8; 4]>()),
        proptest::collection::vec(any::<u8>(), 0..200),
    )
        .prop_map(|([fin, r1, r2, r3], op, mask, payload)| {
            let mut out = Vec::new();
            Frame::new(OpCode::from_u8(op), payload)
                .with_fin(fin)
                .with_rsv(r1, r2, r3)
                .with_mask(mask)
                .encode(&mut out);
            out
        });
    (
        proptest::collection::vec(frame, 1..6),
        proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
    )
        .prop_map(|(frames, edits)| {
            let mut bytes = frames.concat();
            for (at, b) in edits {
                let i = at % bytes.len().max(1);
                if let Some(slot) = bytes.get_mut(i) {
                    *slot = b;
                }
            }
            bytes
        })
}

fn any_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..600),
        mutated_frames()
    ]
}

/// fuzz_targets/frame_decoder.rs
fn frame_decoder(data: &[u8]) {
    let _ = decode_header(data);
    if let Ok(Some((frame, used))) = FrameDecoder::new(1 << 16).decode(data) {
        assert!(used <= data.len());
        let header_len = used - frame.payload.len();
        let mut again = Vec::new();
        frame.encode_with(frame.header.length_form(header_len), &mut again);
        assert_eq!(again, &data[..used]);
    }
}

/// fuzz_targets/session_client.rs, for either role.
fn session(role: Role, control: u8, bytes: &[u8]) {
    let cfg = Config {
        max_message: MAX_MESSAGE,
        max_frame: 1 << 14,
        deflate: (control & 1 == 1).then(Default::default),
        ..Config::new(role)
    };
    let mut session = Session::new(cfg);
    let split = (control >> 1) as usize + 1;
    let mut violations = 0;
    for chunk in bytes.chunks(split) {
        session.feed(chunk);
        while let Some(event) = session.poll_event() {
            match event {
                Event::Violation(_) => violations += 1,
                Event::Text(s) => assert!(s.len() <= MAX_MESSAGE),
                Event::Binary(b) => assert!(b.len() <= MAX_MESSAGE),
                _ => {}
            }
        }
    }
    assert!(violations <= 1);
}

fn heads() -> impl Strategy<Value = Vec<u8>> {
    let request = ClientRequest {
        path: "/ws".into(),
        host: "h".into(),
        key: "dGhlIHNhbXBsZSBub25jZQ==".into(),
        ..ClientRequest::default()
    }
    .to_bytes();
    let response = ServerResponse::switching_protocols("dGhlIHNhbXBsZSBub25jZQ==").to_bytes();
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..400),
        (Just(request), any::<usize>(), any::<u8>()).prop_map(edit),
        (Just(response), any::<usize>(), any::<u8>()).prop_map(edit),
    ]
}

fn edit((mut bytes, at, b): (Vec<u8>, usize, u8)) -> Vec<u8> {
    let i = at % bytes.len();
    bytes[i] = b;
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn frame_decoder_never_panics(data in any_bytes()) {
        frame_decoder(&data);
    }

    #[test]
    fn client_session_never_panics(control in any::<u8>(), data in any_bytes()) {
        session(Role::Client, control, &data);
    }

    #[test]
    fn server_session_never_panics(control in any::<u8>(), data in any_bytes()) {
        session(Role::Server, control, &data);
    }

    #[test]
    fn head_parsers_never_panic(data in heads(), limit in 0usize..600) {
        if let Ok(Some(resp)) = parse_response(&data, limit) {
            prop_assert!(resp.head_len <= data.len().min(limit));
        }
        if let Ok(Some(req)) = parse_request(&data, limit) {
            prop_assert!(req.head_len <= data.len().min(limit));
        }
    }
}
