//! Behind real reverse proxies: nginx configured right, without the Upgrade and
//! Connection headers, with HTTP/1.0 upstream, and with a 3 s read timeout; HAProxy
//! with `timeout tunnel 3s`. The idle probe finds the cut and the keep-alive trial
//! proves pings below it hold the connection.

mod common;

use common::external::{haproxy, nginx, python_peer, repo_peer};
use common::*;
use std::time::{Duration, Instant};
use wsdoctor_core::evidence::*;
use wsdoctor_net::{NoWire, probe};

const UPGRADE: &str = "proxy_http_version 1.1;\n      proxy_set_header Upgrade $http_upgrade;\n      proxy_set_header Connection $connection_upgrade;";

fn status(ev: &Evidence) -> Option<u16> {
    match &ev.http.as_ref()?.outcome {
        HttpOutcome::Response(r) => Some(r.status),
        _ => None,
    }
}

fn server_header(ev: &Evidence) -> String {
    match &ev.http.as_ref().map(|h| &h.outcome) {
        Some(HttpOutcome::Response(r)) => r.header("server").unwrap_or("").to_string(),
        _ => String::new(),
    }
}

#[tokio::test]
async fn nginx_configured_right_passes() {
    let backend = echo_server().await;
    let Some(ng) = nginx(backend, UPGRADE) else {
        return;
    };
    let ev = probe(&opts(&format!("ws://127.0.0.1:{}/", ng.port)), &NoWire).await;
    assert_eq!(status(&ev), Some(101));
    let s = ev.session.expect("session");
    assert!(
        matches!(s.message, MessageOutcome::Echoed { .. }),
        "{:?}",
        s.message
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
}

#[tokio::test]
async fn nginx_without_upgrade_headers_does_not_upgrade() {
    let backend = echo_server().await;
    for location in [
        "proxy_http_version 1.1;",
        "proxy_http_version 1.0;\n      proxy_set_header Upgrade $http_upgrade;\n      proxy_set_header Connection $connection_upgrade;",
    ] {
        let Some(ng) = nginx(backend, location) else {
            return;
        };
        let ev = probe(&opts(&format!("ws://127.0.0.1:{}/", ng.port)), &NoWire).await;
        let st = status(&ev).expect("an HTTP response");
        assert_ne!(st, 101, "{location}");
        // nginx forwards the backend's refusal, or answers 502 itself: either way it names itself.
        assert!(
            server_header(&ev).starts_with("nginx"),
            "{location}: {:?}",
            ev.http
        );
        assert!(ev.session.is_none());
    }
}

#[tokio::test]
async fn nginx_without_upgrade_headers_passes_on_the_backends_426() {
    // The field case: a real WebSocket server behind nginx answers the stripped
    // request with 426, and nginx passes it on.
    let Some(py) = python_peer(&repo_peer("echo_websockets.py"), &[]) else {
        return;
    };
    let Some(ng) = nginx(py.port, "proxy_http_version 1.1;") else {
        return;
    };
    let ev = probe(&opts(&format!("ws://127.0.0.1:{}/", ng.port)), &NoWire).await;
    assert_eq!(status(&ev), Some(426));
    assert!(server_header(&ev).starts_with("nginx"));
    let Some(good) = nginx(py.port, UPGRADE) else {
        return;
    };
    let ev = probe(&opts(&format!("ws://127.0.0.1:{}/", good.port)), &NoWire).await;
    assert!(matches!(
        ev.session.expect("session").message,
        MessageOutcome::Echoed { .. }
    ));
}

#[tokio::test]
async fn nginx_read_timeout_is_found_and_pings_hold() {
    let backend = echo_server().await;
    let Some(ng) = nginx(backend, &format!("{UPGRADE}\n      proxy_read_timeout 3s;")) else {
        return;
    };
    let mut o = opts(&format!("ws://127.0.0.1:{}/", ng.port));
    o.idle = Some(Duration::from_secs(6));
    let started = Instant::now();
    let ev = probe(&o, &NoWire).await;
    let idle = ev.idle.expect("idle evidence");
    let cut = idle.cut.expect("nginx cuts the idle connection");
    assert!((2800.0..4000.0).contains(&cut.after_ms), "{cut:?}");
    assert_eq!(cut.how, CutHow::Fin);
    let k = idle.keepalive.expect("keep-alive trial");
    assert!(k.survived, "{k:?}");
    assert!(k.interval_s < cut.after_ms / 1000.0);
    eprintln!(
        "FIGURE nginx proxy_read_timeout 3s: cut found after {:.2} s, keep-alive proven after {:.2} s, whole probe {:.2} s",
        cut.after_ms / 1000.0,
        k.held_ms / 1000.0,
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test]
async fn haproxy_tunnel_timeout_is_found_and_pings_hold() {
    let backend = echo_server().await;
    let Some(hp) = haproxy(backend, "3s") else {
        return;
    };
    let mut o = opts(&format!("ws://127.0.0.1:{}/", hp.port));
    o.idle = Some(Duration::from_secs(6));
    let ev = probe(&o, &NoWire).await;
    assert_eq!(status(&ev), Some(101));
    let idle = ev.idle.expect("idle evidence");
    let cut = idle.cut.expect("haproxy cuts the idle tunnel");
    assert!((2800.0..4000.0).contains(&cut.after_ms), "{cut:?}");
    assert!(idle.keepalive.is_some_and(|k| k.survived));
    eprintln!(
        "FIGURE haproxy timeout tunnel 3s: cut found after {:.2} s ({})",
        cut.after_ms / 1000.0,
        cut.how
    );
}

#[tokio::test]
async fn haproxy_with_a_long_tunnel_timeout_is_not_cut() {
    let backend = echo_server().await;
    let Some(hp) = haproxy(backend, "1h") else {
        return;
    };
    let mut o = opts(&format!("ws://127.0.0.1:{}/", hp.port));
    o.idle = Some(Duration::from_millis(1500));
    let ev = probe(&o, &NoWire).await;
    let idle = ev.idle.expect("idle evidence");
    assert!(idle.cut.is_none(), "{:?}", idle.cut);
    assert!(idle.keepalive.is_none());
    assert!(matches!(
        ev.session.expect("session").message,
        MessageOutcome::Echoed { .. }
    ));
}
