//! The proxy environment, like curl: the only test in this binary, because it sets
//! process environment variables (a separate test binary is a separate process).

mod common;

use common::*;
use wsdoctor_core::evidence::*;
use wsdoctor_net::{NoWire, probe};

#[tokio::test]
async fn proxy_variables_and_no_proxy_are_honoured() {
    let echo = echo_server().await;
    let socks = socks5_server(None).await;
    let url = format!("ws://{HOST}:{echo}/");
    for name in [
        "ws_proxy",
        "WS_PROXY",
        "http_proxy",
        "HTTP_PROXY",
        "no_proxy",
        "NO_PROXY",
    ] {
        // SAFETY: this binary runs this one test; no other thread reads the environment.
        unsafe { std::env::remove_var(name) };
    }
    // SAFETY: as above.
    unsafe { std::env::set_var("ALL_PROXY", format!("socks5h://127.0.0.1:{socks}")) };
    let ev = probe(&opts(&url), &NoWire).await;
    let p = ev.proxy.as_ref().expect("proxy evidence");
    assert_eq!(
        (p.chosen_by.as_str(), &p.outcome),
        ("ALL_PROXY", &ProxyOutcome::Tunnel)
    );
    assert!(matches!(
        ev.session.expect("session").message,
        MessageOutcome::Echoed { .. }
    ));

    // ws_proxy is more specific than ALL_PROXY.
    // SAFETY: as above.
    unsafe { std::env::set_var("ws_proxy", format!("socks5h://127.0.0.1:{socks}")) };
    let ev = probe(&opts(&url), &NoWire).await;
    assert_eq!(ev.proxy.expect("proxy").chosen_by, "ws_proxy");

    // SAFETY: as above.
    unsafe { std::env::set_var("NO_PROXY", format!("localhost,.{HOST}")) };
    let ev = probe(&opts(&url), &NoWire).await;
    let p = ev.proxy.expect("the bypass is recorded");
    assert_eq!(p.outcome, wsdoctor_core::evidence::ProxyOutcome::Bypassed);
    assert_eq!(p.chosen_by, "ws_proxy, bypassed by NO_PROXY");
    assert!(ev.tcp.is_some_and(|t| t.connected.is_some()));
}
