//! Faults that need load or time: a blocked event loop against a healthy server
//! under the same load, and server keep-alive pings answered or (--no-pong) not.

mod common;

use common::external::{own_peer, python_peer};
use common::*;
use std::time::Duration;
use wsdoctor_core::evidence::*;
use wsdoctor_net::{NoWire, ProbeOptions, probe};

async fn load(port: u16) -> LoadEvidence {
    let o = ProbeOptions {
        concurrency: Some(8),
        timeout: Duration::from_secs(10),
        ..opts(&format!("ws://127.0.0.1:{port}/"))
    };
    let ev = probe(&o, &NoWire).await;
    assert!(matches!(
        ev.session.as_ref().map(|s| &s.message),
        Some(MessageOutcome::Echoed { .. })
    ));
    ev.load.expect("load evidence")
}

#[tokio::test]
async fn blocked_event_loop_is_told_from_a_healthy_server() {
    let healthy = load(echo_server().await).await;
    let blocked = load(blocking_echo_server(Duration::from_millis(100))).await;
    eprintln!("FIGURE healthy: {healthy:?}");
    eprintln!("FIGURE blocked: {blocked:?}");
    assert_eq!((healthy.connections, blocked.connections), (8, 8));
    let ratio = |l: &LoadEvidence| l.loaded_rtt_p50_ms / l.idle_rtt_p50_ms.max(0.001);
    // Lock-step: the probe's pings wait behind the other connections' handlers.
    assert!(blocked.loaded_rtt_p50_ms >= 50.0, "{blocked:?}");
    assert!(ratio(&blocked) >= 3.0, "{blocked:?}");
    assert!(
        blocked.loaded_rtt_p50_ms > 5.0 * healthy.loaded_rtt_p50_ms.max(1.0),
        "healthy {healthy:?} vs blocked {blocked:?}"
    );
    assert!(!healthy.writes_stalled);
}

#[tokio::test]
async fn server_pings_are_answered_or_withheld_with_no_pong() {
    let Some(py) = python_peer(
        &own_peer("keepalive_server.py"),
        &["--ping-interval", "0.3", "--ping-timeout", "0.3"],
    ) else {
        return;
    };
    let url = format!("ws://127.0.0.1:{}/", py.port);
    let mut o = opts(&url);
    o.idle = Some(Duration::from_millis(1500));
    let ev = probe(&o, &NoWire).await;
    let idle = ev.idle.expect("idle evidence");
    assert!(
        idle.cut.is_none(),
        "answered pings keep it open: {:?}",
        idle.cut
    );
    let pings = &ev.session.as_ref().expect("session").server_pings_ms;
    assert!(pings.len() >= 3, "{pings:?}");

    o.no_pong = true;
    o.idle = Some(Duration::from_secs(4));
    let ev = probe(&o, &NoWire).await;
    assert!(ev.request.no_pong);
    let cut = ev
        .idle
        .expect("idle evidence")
        .cut
        .expect("the server gives up on us");
    assert_eq!(
        (cut.how.as_str(), cut.close_code),
        ("close-frame", Some(1011))
    );
    // One interval to the ping, one timeout for the pong: about 0.6 s.
    assert!((400.0..2000.0).contains(&cut.after_ms), "{cut:?}");
    assert!(!ev.session.expect("session").server_pings_ms.is_empty());
}

/// A slow consumer: completes the upgrade, then reads at most 1 KiB every 100 ms,
/// answering pings and echoing text as it gets to them (written on wsdoctor-proto).
async fn slow_consumer_server() -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use wsdoctor_proto::handshake::{accept_key, parse_request};
    use wsdoctor_proto::session::{Config, Event, Role, Session};
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = l.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                let req = loop {
                    if let Ok(Some(req)) = parse_request(&buf, 16 * 1024) {
                        break req;
                    }
                    match s.read(&mut chunk).await {
                        Ok(n) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                        _ => return,
                    }
                };
                let accept = accept_key(req.header("sec-websocket-key").unwrap_or(""));
                let head = format!(
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
                );
                if s.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let mut session = Session::new(Config::new(Role::Server));
                session.feed(&buf[req.head_len..]);
                loop {
                    let mut out = Vec::new();
                    while let Some(ev) = session.poll_event() {
                        match ev {
                            Event::Ping(p) => session.encode_pong(&p, None, &mut out),
                            Event::Text(t) => session.encode_text(&t, None, &mut out),
                            Event::Close { .. } => return,
                            _ => {}
                        }
                    }
                    if !out.is_empty() && s.write_all(&out).await.is_err() {
                        return;
                    }
                    // The slowness under test, not synchronisation.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    match s.read(&mut chunk).await {
                        Ok(n) if n > 0 => session.feed(&chunk[..n]),
                        _ => return,
                    }
                }
            });
        }
    });
    port
}

#[tokio::test]
async fn a_server_that_stops_keeping_up_blocks_our_writes() {
    let port = slow_consumer_server().await;
    let o = ProbeOptions {
        concurrency: Some(1),
        timeout: Duration::from_secs(20),
        ..opts(&format!("ws://127.0.0.1:{port}/"))
    };
    let ev = probe(&o, &NoWire).await;
    let load = ev.load.as_ref().expect("load evidence");
    assert!(load.writes_stalled, "{load:?}");
    let ids: Vec<_> = wsdoctor_core::diagnose(&ev).iter().map(|f| f.id).collect();
    assert!(
        ids.contains(&wsdoctor_core::CauseId::AsyncBackpressure),
        "{ids:?}"
    );
}
