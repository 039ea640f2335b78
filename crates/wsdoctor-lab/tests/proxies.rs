//! Proxies and firewalls: the black hole, the reset, the in-lab reverse proxy in its
//! three configurations, and the two forward proxies (whose fix really works).

mod common;

use common::*;
use futures_util::{SinkExt, StreamExt};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{self, Message};
use wsdoctor_lab::{IDLE_CUT, PROXY_PASSWORD, PROXY_USER};

#[tokio::test]
async fn black_hole_accepts_and_never_answers() {
    let lab = lab(&["black-hole"]).await;
    let mut tcp = within("connect", TcpStream::connect(addr(&lab, "black-hole")))
        .await
        .expect("connect");
    tcp.write_all(&request("/ws", &[]).to_bytes())
        .await
        .expect("write");
    let mut buf = [0u8; 16];
    // A deadline on the read is the assertion: nothing may arrive.
    let waited = tokio::time::timeout(Duration::from_millis(700), tcp.read(&mut buf)).await;
    assert!(waited.is_err(), "the black hole answered: {waited:?}");
    lab.shutdown().await;
}

#[tokio::test]
async fn reset_answers_the_request_with_rst() {
    let lab = lab(&["connection-reset"]).await;
    let mut tcp = within(
        "connect",
        TcpStream::connect(addr(&lab, "connection-reset")),
    )
    .await
    .expect("connect");
    tcp.write_all(&request("/ws", &[]).to_bytes())
        .await
        .expect("write");
    let mut buf = [0u8; 16];
    let got = within("reset", tcp.read(&mut buf)).await;
    assert_eq!(
        got.map_err(|e| e.kind()),
        Err(std::io::ErrorKind::ConnectionReset)
    );
    lab.shutdown().await;
}

#[tokio::test]
async fn proxy_dropping_upgrade_passes_the_backend_426_on_with_via() {
    let lab = lab(&["proxy-drops-upgrade"]).await;
    let a = upgrade(addr(&lab, "proxy-drops-upgrade"), "/ws", &[]).await;
    assert_eq!(a.response.status, 426);
    assert_eq!(a.header("Via"), Some("1.1 wsdoctor-lab-proxy"));
    assert_eq!(a.body(), "Upgrade Required");
    lab.shutdown().await;
}

#[tokio::test]
async fn healthy_proxy_carries_a_websocket_and_says_so_in_via() {
    let lab = lab(&["healthy-behind-proxy"]).await;
    let a = upgrade(addr(&lab, "healthy-behind-proxy"), "/ws", &[]).await;
    assert_eq!(a.response.status, 101);
    assert_eq!(a.header("Via"), Some("1.1 wsdoctor-lab-proxy"));
    let tcp = within(
        "connect",
        TcpStream::connect(addr(&lab, "healthy-behind-proxy")),
    )
    .await
    .expect("connect");
    assert_eq!(
        tungstenite_echo(tcp, &url(&lab, "healthy-behind-proxy"), "through").await,
        "through"
    );
    lab.shutdown().await;
}

#[tokio::test]
async fn idle_proxy_cuts_quiet_connections_without_a_close_frame() {
    let lab = lab(&["proxy-idle-cut"]).await;
    let (mut ws, _) = within(
        "handshake",
        tokio_tungstenite::connect_async(url(&lab, "proxy-idle-cut")),
    )
    .await
    .expect("upgrade through the proxy");
    within("send", ws.send(Message::text("busy")))
        .await
        .expect("send");
    assert!(matches!(
        within("echo", ws.next()).await,
        Some(Ok(Message::Text(_)))
    ));
    let quiet_since = Instant::now();
    let end = tokio::time::timeout(IDLE_CUT * 3, ws.next())
        .await
        .expect("cut within three idle periods");
    let after = quiet_since.elapsed();
    assert!(
        matches!(
            end,
            Some(Err(tungstenite::Error::Protocol(
                tungstenite::error::ProtocolError::ResetWithoutClosingHandshake
            )))
        ),
        "expected an end without a close frame, got {end:?}"
    );
    // The proxy's timer started when it relayed the echo, a moment before we saw it.
    let slack = Duration::from_millis(250);
    assert!(
        after + slack >= IDLE_CUT && after < IDLE_CUT + Duration::from_secs(1),
        "cut after {after:?}"
    );
    lab.shutdown().await;
}

#[tokio::test]
async fn traffic_keeps_the_idle_proxy_from_cutting() {
    let lab = lab(&["proxy-idle-cut"]).await;
    let (mut ws, _) = within(
        "handshake",
        tokio_tungstenite::connect_async(url(&lab, "proxy-idle-cut")),
    )
    .await
    .expect("upgrade through the proxy");
    // Pings at half the idle time for longer than the idle time: the fix the lab proves.
    let started = Instant::now();
    let mut ticker = tokio::time::interval(IDLE_CUT / 2);
    while started.elapsed() < IDLE_CUT + IDLE_CUT / 2 {
        ticker.tick().await;
        within("ping", ws.send(Message::Ping(Vec::from(&b"k"[..]).into())))
            .await
            .expect("ping");
        assert!(matches!(
            within("pong", ws.next()).await,
            Some(Ok(Message::Pong(_)))
        ));
    }
    lab.shutdown().await;
}

async fn connect_via(
    proxy_addr: std::net::SocketAddr,
    target: &str,
    auth: Option<&str>,
) -> Answered<TcpStream> {
    let mut tcp = within("connect", TcpStream::connect(proxy_addr))
        .await
        .expect("connect");
    let mut head = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
    if let Some(auth) = auth {
        head.push_str(&format!("Proxy-Authorization: Basic {auth}\r\n"));
    }
    head.push_str("\r\n");
    tcp.write_all(head.as_bytes()).await.expect("write");
    read_response(tcp).await
}

fn target_of(url: &str) -> String {
    url.trim_start_matches("ws://")
        .split('/')
        .next()
        .expect("authority")
        .to_string()
}

#[tokio::test]
async fn forward_proxy_wants_credentials_and_tunnels_with_them() {
    use base64::Engine as _;
    let lab = lab(&["forward-proxy-auth"]).await;
    let ep = lab.endpoint("forward-proxy-auth").expect("started");
    assert_eq!(
        ep.proxy.as_deref(),
        Some(format!("http://{}", ep.addr).as_str())
    );
    let target = target_of(&ep.url);
    let denied = connect_via(ep.addr, &target, None).await;
    assert_eq!(denied.response.status, 407);
    assert_eq!(
        denied.header("Proxy-Authenticate"),
        Some("Basic realm=\"wsdoctor lab proxy\"")
    );
    assert!(
        denied
            .header("X-Squid-Error")
            .is_some_and(|v| v.starts_with("ERR_CACHE_ACCESS_DENIED"))
    );
    let creds =
        base64::engine::general_purpose::STANDARD.encode(format!("{PROXY_USER}:{PROXY_PASSWORD}"));
    let tunnel = connect_via(ep.addr, &target, Some(&creds)).await;
    assert_eq!(tunnel.response.status, 200);
    assert_eq!(
        tungstenite_echo(tunnel.stream, &ep.url, "tunnelled").await,
        "tunnelled"
    );
    lab.shutdown().await;
}

#[tokio::test]
async fn forward_proxy_refuses_connect_to_non_ssl_ports() {
    let lab = lab(&["forward-proxy-refuses"]).await;
    let ep = lab.endpoint("forward-proxy-refuses").expect("started");
    let refused = connect_via(ep.addr, &target_of(&ep.url), None).await;
    assert_eq!(refused.response.status, 403);
    assert_eq!(refused.header("Server"), Some("squid/5.7"));
    assert!(
        refused
            .header("X-Squid-Error")
            .is_some_and(|v| v.starts_with("ERR_ACCESS_DENIED"))
    );
    lab.shutdown().await;
}
