//! The probe against plain loopback servers: a healthy echo server, a closed port,
//! and servers that answer the Upgrade wrongly or not at all.

mod common;

use common::*;
use std::time::{Duration, Instant};
use wsdoctor_core::Layer;
use wsdoctor_core::evidence::*;
use wsdoctor_net::{NoWire, WireLine, WireObserver, probe};

fn layers(ev: &Evidence) -> Vec<Layer> {
    ev.timings.iter().map(|t| t.layer).collect()
}

fn response(ev: &Evidence) -> &HttpResponse {
    match &ev.http.as_ref().expect("http evidence").outcome {
        HttpOutcome::Response(r) => r,
        other => panic!("expected a response, got {other:?}"),
    }
}

#[tokio::test]
async fn healthy_echo_server_passes_every_layer() {
    let port = echo_server().await;
    let ev = probe(&opts(&format!("ws://127.0.0.1:{port}/chat")), &NoWire).await;
    assert_eq!(ev.dns.as_ref().map(|d| d.source), Some(DnsSource::Literal));
    let tcp = ev.tcp.as_ref().expect("tcp");
    assert_eq!(tcp.connected.map(|a| a.port()), Some(port));
    assert!(ev.tls.is_none());
    let r = response(&ev);
    assert_eq!(r.status, 101);
    let http = ev.http.as_ref().expect("http");
    assert_eq!(
        r.header("sec-websocket-accept"),
        Some(http.expected_accept.as_str())
    );
    assert!(http.request_head.starts_with("GET /chat HTTP/1.1\r\n"));
    let s = ev.session.as_ref().expect("session");
    assert!(
        matches!(s.message, MessageOutcome::Echoed { .. }),
        "{:?}",
        s.message
    );
    assert!(
        matches!(
            s.ping,
            PingOutcome::Pong {
                payload_matches: true,
                ..
            }
        ),
        "{:?}",
        s.ping
    );
    assert!(
        matches!(
            s.close,
            CloseOutcome::Clean {
                code: Some(1000),
                ..
            }
        ),
        "{:?}",
        s.close
    );
    assert!(s.violations.is_empty());
    assert!(s.frames.iter().any(|f| f.opcode == 1 && !f.masked));
    assert_eq!(
        layers(&ev),
        vec![Layer::Dns, Layer::Tcp, Layer::Http, Layer::Session]
    );
    assert!(ev.checked_at > 1_700_000_000);
}

#[tokio::test]
async fn expect_mode_accepts_any_message() {
    let port = echo_server().await;
    let mut o = opts(&format!("ws://127.0.0.1:{port}/"));
    o.expect = true;
    o.message = Some("hello".into());
    let ev = probe(&o, &NoWire).await;
    let s = ev.session.expect("session");
    assert!(
        matches!(s.message, MessageOutcome::Received { ref preview, binary: false, .. } if preview == "hello")
    );
}

#[tokio::test]
async fn closed_port_is_refused_and_stops_at_tcp() {
    let port = closed_port().await;
    let ev = probe(&opts(&format!("ws://127.0.0.1:{port}/")), &NoWire).await;
    let tcp = ev.tcp.expect("tcp");
    assert_eq!(tcp.attempts.len(), 1);
    assert_eq!(tcp.attempts[0].outcome, TcpOutcome::Refused);
    assert!(tcp.connected.is_none());
    assert!(ev.http.is_none() && ev.session.is_none());
}

#[tokio::test]
async fn resolve_override_is_used_and_recorded() {
    let port = echo_server().await;
    let ev = probe(&opts(&format!("ws://{HOST}:{port}/")), &NoWire).await;
    let dns = ev.dns.expect("dns");
    assert_eq!(dns.source, DnsSource::Override);
    assert_eq!(
        dns.addresses,
        vec!["127.0.0.1".parse::<std::net::IpAddr>().expect("ip")]
    );
    let r = ev.http.expect("http");
    assert!(r.request_head.contains(&format!("Host: {HOST}:{port}\r\n")));
}

#[tokio::test]
async fn plain_http_server_answers_200_with_body() {
    let port = scripted_server(|_| {
        b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Length: 13\r\n\r\n<html></html>trailing".to_vec()
    })
    .await;
    let ev = probe(&opts(&format!("ws://127.0.0.1:{port}/")), &NoWire).await;
    let r = response(&ev);
    assert_eq!((r.status, r.version), (200, 1));
    assert_eq!(r.header("server"), Some("nginx/1.22.1"));
    assert_eq!(r.body, "<html></html>");
    assert!(ev.session.is_none());
}

#[tokio::test]
async fn wrong_accept_still_runs_the_session_for_the_rules_to_judge() {
    let port = scripted_server(|_| {
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: bm90IHRoZSByaWdodCBrZXk=\r\n\r\n".to_vec()
    })
    .await;
    let ev = probe(&opts(&format!("ws://127.0.0.1:{port}/")), &NoWire).await;
    let http = ev.http.as_ref().expect("http");
    let r = response(&ev);
    assert_eq!(r.status, 101);
    assert_ne!(
        r.header("sec-websocket-accept"),
        Some(http.expected_accept.as_str())
    );
    // The scripted server never echoes: the session is there, with no reply.
    let s = ev.session.expect("session");
    assert!(
        matches!(s.message, MessageOutcome::NoReply { .. }),
        "{:?}",
        s.message
    );
}

#[tokio::test]
async fn silent_server_is_silence_within_the_deadline() {
    let port = silent_server().await;
    let mut o = opts(&format!("ws://127.0.0.1:{port}/"));
    o.timeout = Duration::from_millis(800);
    let started = Instant::now();
    let ev = probe(&o, &NoWire).await;
    let took = started.elapsed();
    assert_eq!(ev.http.expect("http").outcome, HttpOutcome::Silence);
    assert!(took >= Duration::from_millis(700), "{took:?}");
    assert!(took < Duration::from_millis(1500), "{took:?}");
}

#[tokio::test]
async fn close_without_answer_and_non_http_bytes_are_told_apart() {
    let ssh = scripted_server(|_| b"SSH-2.0-OpenSSH_9.2\r\n".to_vec()).await;
    // A scripted server that writes nothing still holds the socket; drop it instead.
    let closer = {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = l.local_addr().expect("addr").port();
        tokio::spawn(async move {
            while let Ok((s, _)) = l.accept().await {
                drop(s);
            }
        });
        port
    };
    let ev = probe(&opts(&format!("ws://127.0.0.1:{closer}/")), &NoWire).await;
    let outcome = ev.http.expect("http").outcome;
    assert!(
        matches!(outcome, HttpOutcome::Closed | HttpOutcome::Reset),
        "{outcome:?}"
    );
    let ev = probe(&opts(&format!("ws://127.0.0.1:{ssh}/")), &NoWire).await;
    assert!(matches!(
        ev.http.expect("http").outcome,
        HttpOutcome::NotHttp { looks_like_tls: false, ref first_bytes } if first_bytes.starts_with("SSH-2.0")
    ));
}

#[tokio::test]
async fn huge_head_is_capped() {
    let port = scripted_server(|_| {
        let mut r = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..2000 {
            r.extend_from_slice(format!("X-Filler-{i}: {}\r\n", "a".repeat(40)).as_bytes());
        }
        r
    })
    .await;
    let mut o = opts(&format!("ws://127.0.0.1:{port}/"));
    o.max_head = 8 * 1024;
    let ev = probe(&o, &NoWire).await;
    assert_eq!(
        ev.http.expect("http").outcome,
        HttpOutcome::HeadTooLarge { limit: 8 * 1024 }
    );
}

#[tokio::test]
async fn server_close_first_and_violations_are_recorded() {
    // 101, then a masked text frame: RFC 6455 forbids servers to mask.
    let port = scripted_server(|head| {
        let key = header(head, "sec-websocket-key").unwrap_or("");
        let accept = wsdoctor_proto::handshake::accept_key(key);
        let mut r = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
        )
        .into_bytes();
        r.extend_from_slice(&[0x81, 0x82, 1, 2, 3, 4, b'h' ^ 1, b'i' ^ 2]);
        r
    })
    .await;
    let ev = probe(&opts(&format!("ws://127.0.0.1:{port}/")), &NoWire).await;
    let s = ev.session.expect("session");
    assert_eq!(s.violations, vec![Violation::MaskedFrame]);
    assert_eq!(s.close, CloseOutcome::FailedByUs { code: 1002 });
    assert!(s.frames.first().is_some_and(|f| f.masked));

    let port = scripted_server(|head| {
        let key = header(head, "sec-websocket-key").unwrap_or("");
        let accept = wsdoctor_proto::handshake::accept_key(key);
        let mut r = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
        )
        .into_bytes();
        // Close 1011 "boom".
        r.extend_from_slice(&[0x88, 0x06, 0x03, 0xf3, b'b', b'o', b'o', b'm']);
        r
    })
    .await;
    let ev = probe(&opts(&format!("ws://127.0.0.1:{port}/")), &NoWire).await;
    let s = ev.session.expect("session");
    assert!(
        matches!(s.close, CloseOutcome::ByServer { code: Some(1011), ref reason, .. } if reason == "boom"),
        "{:?}",
        s.close
    );
}

struct Collect(std::sync::Mutex<Vec<WireLine>>);

impl WireObserver for Collect {
    fn wire(&self, line: WireLine) {
        if let Ok(mut v) = self.0.lock() {
            v.push(line);
        }
    }
}

#[tokio::test]
async fn wire_trace_is_redacted_unless_asked() {
    let port = echo_server().await;
    let mut o = opts(&format!("ws://127.0.0.1:{port}/"));
    o.headers = vec![("Authorization".into(), "Bearer hunter2".into())];
    let seen = Collect(Default::default());
    let ev = probe(&o, &seen).await;
    let lines = seen.0.into_inner().expect("lines");
    assert!(lines.contains(&WireLine::Sent("GET / HTTP/1.1".into())));
    assert!(
        lines
            .iter()
            .any(|l| matches!(l, WireLine::Received(t) if t.starts_with("HTTP/1.1 101")))
    );
    assert!(
        lines
            .iter()
            .any(|l| matches!(l, WireLine::Note(t) if t.starts_with("Trying 127.0.0.1")))
    );
    assert!(!format!("{lines:?}").contains("hunter2"));
    assert!(!ev.http.expect("http").request_head.contains("hunter2"));

    o.show_secrets = true;
    let seen = Collect(Default::default());
    let _ = probe(&o, &seen).await;
    let lines = seen.0.into_inner().expect("lines");
    assert!(lines.contains(&WireLine::Sent("Authorization: Bearer hunter2".into())));
}
