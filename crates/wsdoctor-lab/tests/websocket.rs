//! Broken handshakes and sessions, read off the wire with wsdoctor-proto's decoder,
//! and the healthy echo driven by tokio-tungstenite as a client.

mod common;

use common::*;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use wsdoctor_proto::frame::{Frame, OpCode};
use wsdoctor_proto::handshake::accept_key;

#[tokio::test]
async fn healthy_echo_is_correct_for_tungstenite() {
    let lab = lab(&["healthy-echo"]).await;
    let tcp = within(
        "connect",
        tokio::net::TcpStream::connect(addr(&lab, "healthy-echo")),
    )
    .await
    .expect("connect");
    assert_eq!(
        tungstenite_echo(tcp, &url(&lab, "healthy-echo"), "héllo").await,
        "héllo"
    );
    lab.shutdown().await;
}

#[tokio::test]
async fn healthy_echo_answers_pings_and_closes_cleanly() {
    let lab = lab(&["healthy-echo"]).await;
    let mut a = upgrade(addr(&lab, "healthy-echo"), "/ws", &[]).await;
    assert_eq!(a.response.status, 101);
    assert_eq!(
        a.header("Sec-WebSocket-Accept"),
        Some(accept_key(KEY).as_str())
    );
    a.stream
        .write_all(&client_frame(Frame::ping(b"p1")))
        .await
        .expect("write");
    assert_eq!(
        next_frame(&mut a.stream, &mut a.buf).await,
        Some(Frame::pong(b"p1"))
    );
    a.stream
        .write_all(&client_frame(Frame::close(Some(1000), "")))
        .await
        .expect("write");
    let close = next_frame(&mut a.stream, &mut a.buf)
        .await
        .expect("a close frame");
    assert_eq!(
        (close.header.opcode, close.payload.get(..2)),
        (OpCode::Close, Some(&1000u16.to_be_bytes()[..]))
    );
    lab.shutdown().await;
}

#[tokio::test]
async fn each_broken_101_breaks_only_its_rule() {
    let names = [
        "wrong-accept",
        "no-upgrade-header",
        "no-connection-header",
        "subprotocol-not-echoed",
        "subprotocol-unrequested",
        "extension-unoffered",
    ];
    let lab = lab(&names).await;
    for name in names {
        let protocols: Vec<(&str, &str)> = lab
            .endpoint(name)
            .expect("started")
            .scenario
            .plan
            .subprotocols
            .iter()
            .map(|p| ("Sec-WebSocket-Protocol", *p))
            .collect();
        let mut a = upgrade(addr(&lab, name), "/ws", &protocols).await;
        assert_eq!(a.response.status, 101, "{name}");
        let accept_ok = a.header("Sec-WebSocket-Accept") == Some(accept_key(KEY).as_str());
        let upgrade_ok = a.response.has_token("Upgrade", "websocket");
        let connection_ok = a.response.has_token("Connection", "Upgrade");
        let protocol = a.header("Sec-WebSocket-Protocol").map(str::to_string);
        let extension = a.header("Sec-WebSocket-Extensions").map(str::to_string);
        let expected = match name {
            "wrong-accept" => (false, true, true, None, None),
            "no-upgrade-header" => (true, false, true, None, None),
            "no-connection-header" => (true, true, false, None, None),
            "subprotocol-unrequested" => (true, true, true, Some("chat".into()), None),
            "extension-unoffered" => (true, true, true, None, Some("x-wsdoctor-bogus".into())),
            // Asked for "chat", got nothing back.
            _ => (true, true, true, None, None),
        };
        assert_eq!(
            (accept_ok, upgrade_ok, connection_ok, protocol, extension),
            expected,
            "{name}"
        );
        // After the bad 101 the session still echoes: a lax client would not notice.
        a.stream
            .write_all(&client_frame(Frame::text("still here")))
            .await
            .expect("write");
        assert_eq!(
            next_frame(&mut a.stream, &mut a.buf).await,
            Some(Frame::text("still here")),
            "{name}"
        );
    }
    lab.shutdown().await;
}

/// Sends one text message on a fresh session and returns the first frame back.
async fn answer_to_text(lab: &wsdoctor_lab::Lab, name: &str, text: &str) -> Option<Frame> {
    let mut a = upgrade(addr(lab, name), "/ws", &[]).await;
    assert_eq!(a.response.status, 101, "{name}");
    a.stream
        .write_all(&client_frame(Frame::text(text)))
        .await
        .expect("write");
    next_frame(&mut a.stream, &mut a.buf).await
}

#[tokio::test]
async fn broken_sessions_put_the_declared_frames_on_the_wire() {
    let names = [
        "masked-frames",
        "invalid-utf8",
        "reserved-bits",
        "close-1011",
        "message-too-big",
    ];
    let lab = lab(&names).await;

    let masked = answer_to_text(&lab, "masked-frames", "hi")
        .await
        .expect("a frame");
    assert!(masked.header.mask.is_some());
    assert_eq!(masked.payload, b"hi");

    let utf8 = answer_to_text(&lab, "invalid-utf8", "hi")
        .await
        .expect("a frame");
    assert_eq!(utf8.header.opcode, OpCode::Text);
    assert!(std::str::from_utf8(&utf8.payload).is_err());

    let rsv = answer_to_text(&lab, "reserved-bits", "hi")
        .await
        .expect("a frame");
    assert_eq!(
        (rsv.header.rsv1, rsv.header.rsv2, rsv.header.rsv3),
        (false, true, false)
    );

    let close = answer_to_text(&lab, "close-1011", "hi")
        .await
        .expect("a frame");
    assert_eq!(close.header.opcode, OpCode::Close);
    assert_eq!(close.payload[..2], 1011u16.to_be_bytes());

    let message = lab
        .endpoint("message-too-big")
        .expect("started")
        .scenario
        .plan
        .message
        .expect("planned");
    let small = answer_to_text(&lab, "message-too-big", "12345678")
        .await
        .expect("a frame");
    assert_eq!(small, Frame::text("12345678"));
    let big = answer_to_text(&lab, "message-too-big", message)
        .await
        .expect("a frame");
    assert_eq!(big.header.opcode, OpCode::Close);
    assert_eq!(big.payload[..2], 1009u16.to_be_bytes());
    lab.shutdown().await;
}

#[tokio::test]
async fn no_pong_echoes_but_ignores_pings() {
    let lab = lab(&["no-pong"]).await;
    let mut a = upgrade(addr(&lab, "no-pong"), "/ws", &[]).await;
    a.stream
        .write_all(&client_frame(Frame::ping(b"are you there")))
        .await
        .expect("write");
    a.stream
        .write_all(&client_frame(Frame::text("after the ping")))
        .await
        .expect("write");
    // Frames come back in order, so the first one answering the ping would come first.
    assert_eq!(
        next_frame(&mut a.stream, &mut a.buf).await,
        Some(Frame::text("after the ping"))
    );
    lab.shutdown().await;
}

#[tokio::test]
async fn abrupt_eof_ends_the_connection_without_a_close_frame() {
    let lab = lab(&["abrupt-eof"]).await;
    let mut a = upgrade(addr(&lab, "abrupt-eof"), "/ws", &[]).await;
    assert_eq!(a.response.status, 101);
    assert_eq!(next_frame(&mut a.stream, &mut a.buf).await, None);
    assert!(a.buf.is_empty(), "no bytes after the 101: {:?}", a.buf);
    lab.shutdown().await;
}

#[tokio::test]
async fn blocked_event_loop_stalls_every_connection_in_lock_step() {
    const CLIENTS: usize = 4;
    let lab = lab(&["blocked-event-loop"]).await;
    let block = wsdoctor_lab::BLOCKING_HANDLER;
    let mut conns = Vec::new();
    for _ in 0..CLIENTS {
        let a = upgrade(addr(&lab, "blocked-event-loop"), "/ws", &[]).await;
        assert_eq!(a.response.status, 101);
        conns.push(a);
    }
    let start = Instant::now();
    for a in &mut conns {
        a.stream
            .write_all(&client_frame(Frame::text("x")))
            .await
            .expect("write");
    }
    let mut last = Duration::ZERO;
    for a in &mut conns {
        assert_eq!(
            next_frame(&mut a.stream, &mut a.buf).await,
            Some(Frame::text("x"))
        );
        last = last.max(start.elapsed());
    }
    // One thread serves everyone: the last echo waits for every handler before it.
    assert!(last >= block * CLIENTS as u32, "last echo after {last:?}");
    lab.shutdown().await;
}
