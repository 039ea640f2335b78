//! Whole captures built packet by packet (real pcap bytes through the real reader),
//! each asserting the catalog ids its connection gets.

use crate::synth::{ACK, Conversation, FIN, PSH, SYN, Side, pcap};
use crate::*;
use wsdoctor_core::CauseId as C;
use wsdoctor_proto::frame::Frame;
use wsdoctor_proto::handshake::{ClientRequest, ServerResponse};

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const MASK: Option<[u8; 4]> = Some([1, 2, 3, 4]);

fn conv() -> Conversation {
    Conversation::new(
        "127.0.0.1:40000".parse().unwrap(),
        "127.0.0.1:8080".parse().unwrap(),
        1_700_000_000_000_000,
    )
}

fn request() -> Vec<u8> {
    request_to("/ws")
}

fn request_to(path: &str) -> Vec<u8> {
    ClientRequest {
        path: path.into(),
        host: "127.0.0.1:8080".into(),
        key: KEY.into(),
        headers: vec![("Authorization".into(), "Bearer s3cr3t".into())],
        ..ClientRequest::default()
    }
    .to_bytes()
}

fn frame(f: Frame) -> Vec<u8> {
    let mut out = Vec::new();
    f.encode(&mut out);
    out
}

/// Handshake done: a correct 101 answered the request.
fn upgraded() -> Conversation {
    let mut c = conv();
    c.open().send(Side::Client, &request());
    c.send(
        Side::Server,
        &ServerResponse::switching_protocols(KEY).to_bytes(),
    );
    c
}

/// The probe's own script: message (echoed), ping (ponged), close (answered).
fn healthy_session(c: &mut Conversation) {
    c.send(Side::Client, &frame(Frame::text("probe 1").with_mask(MASK)))
        .send(Side::Server, &frame(Frame::text("probe 1")))
        .send(Side::Client, &frame(Frame::ping(b"p").with_mask(MASK)))
        .send(Side::Server, &frame(Frame::pong(b"p")))
        .send(
            Side::Client,
            &frame(Frame::close(Some(1000), "").with_mask(MASK)),
        )
        .send(Side::Server, &frame(Frame::close(Some(1000), "")))
        .fin(Side::Server)
        .fin(Side::Client);
}

fn run(bytes: &[u8]) -> (Vec<Connection>, Totals, Option<ReadError>) {
    let mut out = Vec::new();
    let mut a = Analyzer::new(Options::default(), |c| out.push(c));
    let (_, err) = a.read(bytes, |_| {});
    let totals = a.finish();
    (out, totals, err)
}

fn ids_of(c: &mut Conversation) -> Vec<C> {
    let (conns, _, err) = run(&pcap(&c.take()));
    assert_eq!(err, None);
    assert_eq!(conns.len(), 1, "one connection");
    conns[0].ids()
}

#[test]
fn a_healthy_session_has_no_findings_and_is_counted() {
    let mut c = upgraded();
    healthy_session(&mut c);
    let (conns, totals, err) = run(&pcap(&c.take()));
    assert_eq!(err, None);
    assert_eq!(conns.len(), 1);
    let conn = &conns[0];
    assert_eq!(conn.ids(), vec![]);
    assert_eq!(conn.verdict, Verdict::Ok);
    assert_eq!(conn.client, "127.0.0.1:40000");
    assert_eq!(conn.server, "127.0.0.1:8080");
    assert_eq!(conn.frames, 6);
    let s = conn.evidence.session.as_ref().expect("session");
    assert!(matches!(
        s.message,
        wsdoctor_core::evidence::MessageOutcome::Echoed { .. }
    ));
    assert!(matches!(
        s.ping,
        wsdoctor_core::evidence::PingOutcome::Pong {
            payload_matches: true,
            ..
        }
    ));
    assert!(matches!(
        s.close,
        wsdoctor_core::evidence::CloseOutcome::Clean {
            code: Some(1000),
            ..
        }
    ));
    assert_eq!(totals.connections, 1);
}

#[test]
fn secrets_in_the_upgrade_request_are_redacted() {
    let mut c = conv();
    c.open()
        .send(Side::Client, &request_to("/ws?token=hunter2"));
    c.send(
        Side::Server,
        &ServerResponse::switching_protocols(KEY).to_bytes(),
    );
    healthy_session(&mut c);
    let (conns, _, _) = run(&pcap(&c.take()));
    // The same finding check makes for a token in the URL.
    assert_eq!(conns[0].ids(), vec![C::UrlSecretInQuery]);
    let json = serde_json::to_string(&conns[0]).unwrap();
    assert!(!json.contains("s3cr3t"), "{json}");
    assert!(!json.contains("hunter2"), "{json}");
    assert!(json.contains("Authorization"));
}

#[test]
fn handshake_answers_get_the_causes_check_gives() {
    let cases: Vec<(Vec<u8>, Vec<C>)> = vec![
        (
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: wrong=\r\n\r\n".to_vec(),
            vec![C::HandshakeAcceptMismatch],
        ),
        (
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found".to_vec(),
            vec![C::HttpNotFound],
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 6\r\n\r\n<html>".to_vec(),
            vec![C::HttpNotUpgraded],
        ),
    ];
    for (answer, want) in cases {
        let mut c = conv();
        c.open()
            .send(Side::Client, &request())
            .send(Side::Server, &answer)
            .fin(Side::Server)
            .fin(Side::Client);
        let got = ids_of(&mut c);
        for id in &want {
            assert!(
                got.contains(id),
                "{}: {got:?}",
                String::from_utf8_lossy(&answer)
            );
        }
    }
}

#[test]
fn a_refused_port_and_a_silent_one_are_tcp_findings() {
    let mut c = conv();
    c.raw(Side::Client, SYN, b"")
        .raw(Side::Server, crate::synth::RST | ACK, b"");
    assert_eq!(ids_of(&mut c), vec![C::TcpRefused]);
    let mut c = conv();
    c.raw(Side::Client, SYN, b"")
        .wait_ms(1000)
        .raw(Side::Client, SYN, b"")
        .wait_ms(2000)
        .raw(Side::Client, SYN, b"");
    assert_eq!(ids_of(&mut c), vec![C::TcpTimeout]);
}

#[test]
fn a_server_that_never_answers_is_silent_even_if_it_closes_after_the_client() {
    let mut c = conv();
    c.open()
        .send(Side::Client, &request())
        .wait_ms(2000)
        .fin(Side::Client)
        .fin(Side::Server);
    assert_eq!(ids_of(&mut c), vec![C::HttpNoResponse]);
    let mut c = conv();
    c.open()
        .send(Side::Client, &request())
        .fin(Side::Server)
        .fin(Side::Client);
    assert_eq!(ids_of(&mut c), vec![C::HttpClosedWithoutResponse]);
}

#[test]
fn server_frame_faults_are_named() {
    let cases: Vec<(Frame, C)> = vec![
        (Frame::text("x").with_mask(MASK), C::SessionMaskedFrame),
        (
            Frame::text("x").with_rsv(false, true, false),
            C::SessionReservedBits,
        ),
        (
            Frame::new(wsdoctor_proto::frame::OpCode::Text, vec![0xff, 0xfe]),
            C::SessionInvalidUtf8,
        ),
    ];
    for (bad, want) in cases {
        let mut c = upgraded();
        c.send(Side::Client, &frame(Frame::text("probe 1").with_mask(MASK)))
            .send(Side::Server, &frame(bad))
            .send(
                Side::Client,
                &frame(Frame::close(Some(1002), "").with_mask(MASK)),
            )
            .fin(Side::Client)
            .fin(Side::Server);
        let got = ids_of(&mut c);
        assert_eq!(got, vec![want]);
    }
}

#[test]
fn how_the_server_ended_the_session_is_named() {
    // A close 1011 before the echo.
    let mut c = upgraded();
    c.send(Side::Client, &frame(Frame::text("probe 1").with_mask(MASK)))
        .send(Side::Server, &frame(Frame::close(Some(1011), "boom")))
        .send(
            Side::Client,
            &frame(Frame::close(Some(1011), "").with_mask(MASK)),
        )
        .fin(Side::Server)
        .fin(Side::Client);
    assert_eq!(ids_of(&mut c), vec![C::SessionCloseServerError]);
    // A FIN with no close frame.
    let mut c = upgraded();
    c.send(Side::Client, &frame(Frame::text("probe 1").with_mask(MASK)))
        .fin(Side::Server)
        .fin(Side::Client);
    assert_eq!(ids_of(&mut c), vec![C::SessionAbruptEof]);
    // A ping nobody answers for 3 s.
    let mut c = upgraded();
    c.send(Side::Client, &frame(Frame::text("probe 1").with_mask(MASK)))
        .send(Side::Server, &frame(Frame::text("probe 1")))
        .send(Side::Client, &frame(Frame::ping(b"p").with_mask(MASK)))
        .wait_ms(3000)
        .send(
            Side::Client,
            &frame(Frame::close(Some(1000), "").with_mask(MASK)),
        )
        .send(Side::Server, &frame(Frame::close(Some(1000), "")))
        .fin(Side::Server)
        .fin(Side::Client);
    assert_eq!(ids_of(&mut c), vec![C::SessionNoPong]);
}

#[test]
fn a_server_that_stops_reading_leaves_the_ping_and_the_close_unanswered() {
    let mut c = upgraded();
    c.send(Side::Client, &frame(Frame::text("probe 1").with_mask(MASK)))
        .wait_ms(1400)
        .send(Side::Client, &frame(Frame::ping(b"p").with_mask(MASK)))
        .wait_ms(500)
        .send(
            Side::Client,
            &frame(Frame::close(Some(1000), "").with_mask(MASK)),
        )
        .fin(Side::Client);
    // The unanswered message is no finding: an application's server need not reply.
    assert_eq!(
        ids_of(&mut c),
        vec![C::SessionNoPong, C::SessionCloseNoAnswer]
    );
}

#[test]
fn a_long_quiet_connection_the_server_cuts_is_an_idle_timeout() {
    let mut c = upgraded();
    c.send(Side::Client, &frame(Frame::text("hi").with_mask(MASK)))
        .send(Side::Server, &frame(Frame::text("hi")))
        .wait_ms(60_000)
        .fin(Side::Server)
        .fin(Side::Client);
    let (conns, _, _) = run(&pcap(&c.take()));
    assert_eq!(conns[0].ids(), vec![C::ProxyIdleTimeout]);
    let idle = conns[0].evidence.idle.as_ref().expect("idle evidence");
    let cut = idle.cut.as_ref().expect("cut");
    assert_eq!(cut.how, wsdoctor_core::evidence::CutHow::Fin);
    assert!((cut.after_ms - 60_000.0).abs() < 50.0, "{}", cut.after_ms);
}

#[test]
fn segments_out_of_order_and_sent_twice_are_reassembled() {
    let mut c = conv();
    c.open();
    let req = request();
    let (a, b) = req.split_at(40);
    let seq = c.seq(Side::Client);
    c.at_seq(Side::Client, seq + 40, ACK | PSH, b)
        .at_seq(Side::Client, seq, ACK | PSH, a)
        .at_seq(Side::Client, seq, ACK | PSH, a)
        .skip(Side::Client, req.len() as u32);
    c.send(
        Side::Server,
        &ServerResponse::switching_protocols(KEY).to_bytes(),
    );
    healthy_session(&mut c);
    let (conns, _, _) = run(&pcap(&c.take()));
    assert_eq!(conns[0].ids(), vec![]);
}

#[test]
fn a_gap_stops_the_judgement_and_says_so() {
    let mut c = upgraded();
    c.send(Side::Client, &frame(Frame::text("probe 1").with_mask(MASK)))
        .skip(Side::Server, 10)
        .send(Side::Server, &frame(Frame::text("probe 1")))
        .fin(Side::Server)
        .fin(Side::Client);
    let (conns, _, _) = run(&pcap(&c.take()));
    assert!(
        conns[0].notes.iter().any(|n| n.contains("not captured")),
        "{:?}",
        conns[0].notes
    );
}

#[test]
fn a_truncated_capture_is_read_up_to_the_damage() {
    let mut c = upgraded();
    healthy_session(&mut c);
    let mut other = conv();
    other.client = "127.0.0.1:40001".parse().unwrap();
    other.open().send(Side::Client, &request());
    let mut packets = c.take();
    packets.extend(other.take());
    let bytes = pcap(&packets);
    let cut = bytes.len() - 7;
    let (conns, _, err) = run(&bytes[..cut]);
    let Some(ReadError::Truncated { offset }) = err else {
        panic!("{err:?}")
    };
    assert!(offset > 24 && (offset as usize) < cut, "{offset}");
    // The healthy connection before the damage is still reported.
    assert!(
        conns
            .iter()
            .any(|c| c.client.ends_with(":40000") && c.ids().is_empty())
    );
    let msg = ReadError::Truncated { offset }.to_string();
    assert!(
        msg.contains(&format!("byte {offset}")) && msg.contains("-U"),
        "{msg}"
    );
}

#[test]
fn not_a_capture_and_corrupt_records_are_errors_that_say_where() {
    let (_, _, err) = run(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(err, Some(ReadError::NotCapture));
    let (_, _, err) = run(b"");
    assert_eq!(err, Some(ReadError::Empty));
    let mut c = upgraded();
    healthy_session(&mut c);
    let mut bytes = pcap(&c.take());
    // A record claiming 200 MB (caplen at offset 24+8).
    bytes[32..36].copy_from_slice(&200_000_000u32.to_le_bytes());
    let (_, _, err) = run(&bytes);
    assert!(
        matches!(
            err,
            Some(ReadError::Corrupt { offset: 24, .. }) | Some(ReadError::Truncated { offset: 24 })
        ),
        "{err:?}"
    );
}

#[test]
fn a_pcapng_block_shorter_than_its_own_header_is_corrupt_not_a_panic() {
    // A little-endian section header (28 bytes), then Apple's process information
    // block (type 0x80000001) whose length field says 8: pcap-parser 0.17 would
    // compute 8 - 12 (the input the pcap_reader fuzz target found, rebuilt).
    let mut bytes = Vec::new();
    bytes.extend(0x0a0d_0d0au32.to_le_bytes());
    bytes.extend(28u32.to_le_bytes());
    bytes.extend(0x1a2b_3c4du32.to_le_bytes());
    bytes.extend(1u16.to_le_bytes());
    bytes.extend(0u16.to_le_bytes());
    bytes.extend((-1i64).to_le_bytes());
    bytes.extend(28u32.to_le_bytes());
    bytes.extend(0x8000_0001u32.to_le_bytes());
    bytes.extend(8u32.to_le_bytes());
    bytes.extend([0u8; 16]);
    let (_, _, err) = run(&bytes);
    let Some(ReadError::Corrupt { offset, what }) = err else {
        panic!("{err:?}")
    };
    assert_eq!(offset, 28);
    assert!(what.contains("says 8 bytes"), "{what}");
}

#[test]
fn connections_past_the_open_cap_are_reported_not_held() {
    let mut packets = Vec::new();
    for i in 0..20u16 {
        let mut c = conv();
        c.client = format!("127.0.0.1:{}", 41000 + i).parse().unwrap();
        c.open().send(Side::Client, &request());
        packets.extend(c.take());
    }
    let mut out = Vec::new();
    let opts = Options {
        limits: Limits {
            max_open: 4,
            budget: 1 << 20,
        },
        ..Options::default()
    };
    let mut a = Analyzer::new(opts, |c| out.push(c));
    let _ = a.read(&pcap(&packets)[..], |_| {});
    assert!(a.open.len() <= 4);
    let totals = a.finish();
    assert_eq!(totals.evicted, 16);
    assert_eq!(out.len(), 20);
}

#[test]
fn filter_parses_and_matches() {
    let f = Filter::parse("127.0.0.1:8080").unwrap();
    assert!(f.matches("127.0.0.1:8080".parse().unwrap()));
    assert!(!f.matches("127.0.0.1:8081".parse().unwrap()));
    let f = Filter::parse(":8080").unwrap();
    assert!(f.matches("10.0.0.1:8080".parse().unwrap()));
    assert!(
        Filter::parse("[::1]")
            .unwrap()
            .matches("[::1]:1".parse().unwrap())
    );
    assert!(
        Filter::parse("localhost:80")
            .unwrap_err()
            .contains("HOST:PORT")
    );
    let _ = FIN;
}
