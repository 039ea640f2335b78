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
