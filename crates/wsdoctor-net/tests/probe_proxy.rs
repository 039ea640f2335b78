//! Through forward proxies: real squid (open, with Basic auth, with a CONNECT-deny
//! rule), a SOCKS5 server, an unreachable proxy, and --compare-direct.

mod common;

use common::external::squid;
use common::*;
use wsdoctor_core::Layer;
use wsdoctor_core::evidence::*;
use wsdoctor_net::{NoWire, ProbeOptions, ProxySetting, probe};

fn via(url: &str, proxy: &str) -> ProbeOptions {
    ProbeOptions {
        proxy: ProxySetting::Url(proxy.to_string()),
        ..opts(url)
    }
}

fn proxy_ev(ev: &Evidence) -> &ProxyEvidence {
    ev.proxy.as_ref().expect("proxy evidence")
}

fn echoed(ev: &Evidence) -> bool {
    ev.session
        .as_ref()
        .is_some_and(|s| matches!(s.message, MessageOutcome::Echoed { .. }))
}

#[tokio::test]
async fn squid_tunnels_ws_and_wss() {
    let Some(sq) = squid(None, None) else {
        return;
    };
    let echo = echo_server().await;
    let ev = probe(
        &via(
            &format!("ws://127.0.0.1:{echo}/"),
            &format!("http://127.0.0.1:{}", sq.port),
        ),
        &NoWire,
    )
    .await;
    let p = proxy_ev(&ev);
    assert_eq!(p.outcome, ProxyOutcome::Tunnel, "{:?}", p.reply_head);
    assert_eq!((p.kind, p.chosen_by.as_str()), (ProxyKind::Http, "--proxy"));
    assert!(
        p.reply_head
            .as_deref()
            .is_some_and(|h| h.starts_with("HTTP/1.1 200"))
    );
    // The proxy hop is the proxy's evidence; no direct TCP was made.
    assert!(ev.tcp.is_none());
    assert!(ev.timings.iter().any(|t| t.layer == Layer::Proxy));
    assert!(echoed(&ev));

    let root = Ca::root("wsdoctor test root");
    let tls = tls_server(&root.leaf(&[HOST], -1, 1), &[], None).await;
    let file = pem_file(&root.pem());
    let mut o = via(
        &format!("wss://{HOST}:{tls}/"),
        &format!("http://127.0.0.1:{}", sq.port),
    );
    o.cacert = Some(file.path().to_path_buf());
    // squid cannot resolve the test name: --connect-to aims the tunnel, while SNI,
    // Host and the certificate check keep the name.
    o.connect_to = vec![wsdoctor_net::ConnectTo {
        from_host: Some(HOST.into()),
        to_host: Some("127.0.0.1".into()),
        ..Default::default()
    }];
    let ev = probe(&o, &NoWire).await;
    assert_eq!(
        proxy_ev(&ev).outcome,
        ProxyOutcome::Tunnel,
        "{:?}",
        proxy_ev(&ev).reply_head
    );
    assert_eq!(ev.tls.as_ref().and_then(|t| t.sni.as_deref()), Some(HOST));
    assert_eq!(
        ev.tls.as_ref().map(|t| &t.outcome),
        Some(&TlsOutcome::Established)
    );
    assert!(echoed(&ev));
}

#[tokio::test]
async fn squid_with_auth_says_407_then_works_with_credentials() {
    let Some(sq) = squid(Some(("alice", "s3cret")), None) else {
        return;
    };
    let echo = echo_server().await;
    let url = format!("ws://127.0.0.1:{echo}/");
    let ev = probe(
        &via(&url, &format!("http://127.0.0.1:{}", sq.port)),
        &NoWire,
    )
    .await;
    let p = proxy_ev(&ev);
    assert_eq!(
        p.outcome,
        ProxyOutcome::AuthRequired {
            scheme: Some("Basic".into())
        }
    );
    assert!(
        p.reply_head
            .as_deref()
            .is_some_and(|h| h.starts_with("HTTP/1.1 407"))
    );
    assert!(ev.http.is_none());

    let wrong = probe(
        &via(&url, &format!("http://alice:nope@127.0.0.1:{}", sq.port)),
        &NoWire,
    )
    .await;
    assert!(matches!(
        proxy_ev(&wrong).outcome,
        ProxyOutcome::AuthRequired { .. }
    ));

    let ev = probe(
        &via(&url, &format!("http://alice:s3cret@127.0.0.1:{}", sq.port)),
        &NoWire,
    )
    .await;
    let p = proxy_ev(&ev);
    assert_eq!(p.outcome, ProxyOutcome::Tunnel);
    assert!(!p.url.contains("s3cret"), "{}", p.url);
    assert!(echoed(&ev));
}

#[tokio::test]
async fn squid_connect_deny_rule_is_refused_with_its_page() {
    let echo = echo_server().await;
    let Some(sq) = squid(None, Some(echo)) else {
        return;
    };
    let ev = probe(
        &via(
            &format!("ws://127.0.0.1:{echo}/"),
            &format!("http://127.0.0.1:{}", sq.port),
        ),
        &NoWire,
    )
    .await;
    let p = proxy_ev(&ev);
    assert_eq!(p.outcome, ProxyOutcome::Refused { status: 403 });
    assert!(p.reply_body.as_deref().is_some_and(|b| !b.is_empty()));
    assert!(ev.http.is_none());
}

#[tokio::test]
async fn compare_direct_reports_how_the_direct_path_ended() {
    let Some(sq) = squid(Some(("alice", "s3cret")), None) else {
        return;
    };
    let echo = echo_server().await;
    let mut o = via(
        &format!("ws://127.0.0.1:{echo}/"),
        &format!("http://127.0.0.1:{}", sq.port),
    );
    o.compare_direct = true;
    let ev = probe(&o, &NoWire).await;
    let p = proxy_ev(&ev);
    assert!(matches!(p.outcome, ProxyOutcome::AuthRequired { .. }));
    let direct = p.direct.as_ref().expect("direct evidence");
    assert!(
        matches!(
            direct.session.as_ref().map(|s| &s.message),
            Some(wsdoctor_core::evidence::MessageOutcome::Echoed { .. })
        ),
        "{direct:?}"
    );
    assert!(direct.proxy.is_none());
}

#[tokio::test]
async fn unreachable_proxy_and_bad_proxy_urls() {
    let closed = closed_port().await;
    let echo = echo_server().await;
    let url = format!("ws://127.0.0.1:{echo}/");
    let ev = probe(&via(&url, &format!("127.0.0.1:{closed}")), &NoWire).await;
    let p = proxy_ev(&ev);
    assert!(
        matches!(&p.outcome, ProxyOutcome::Unreachable { detail } if detail.contains("refused")),
        "{:?}",
        p.outcome
    );
    assert_eq!(p.kind, ProxyKind::Http);

    let ev = probe(&via(&url, "ftp://127.0.0.1:21"), &NoWire).await;
    assert!(matches!(proxy_ev(&ev).outcome, ProxyOutcome::Error { .. }));

    // --noproxy: direct, no proxy evidence.
    let mut o = opts(&url);
    o.proxy = ProxySetting::None;
    let ev = probe(&o, &NoWire).await;
    assert!(ev.proxy.is_none() && echoed(&ev));
}

#[tokio::test]
async fn socks5_with_and_without_password() {
    let echo = echo_server().await;
    let open = socks5_server(None).await;
    let url = format!("ws://{HOST}:{echo}/");
    let ev = probe(&via(&url, &format!("socks5h://127.0.0.1:{open}")), &NoWire).await;
    let p = proxy_ev(&ev);
    assert_eq!(
        (p.kind, &p.outcome),
        (ProxyKind::Socks5, &ProxyOutcome::Tunnel)
    );
    assert!(ev.dns.is_none(), "socks5h leaves DNS to the proxy");
    assert!(echoed(&ev));

    // socks5:// resolves locally (here through --resolve).
    let ev = probe(&via(&url, &format!("socks5://127.0.0.1:{open}")), &NoWire).await;
    assert_eq!(ev.dns.as_ref().map(|d| d.source), Some(DnsSource::Override));
    assert!(echoed(&ev));

    let locked = socks5_server(Some(("bob", "pw"))).await;
    let ev = probe(
        &via(&url, &format!("socks5h://bob:wrong@127.0.0.1:{locked}")),
        &NoWire,
    )
    .await;
    assert!(matches!(
        proxy_ev(&ev).outcome,
        ProxyOutcome::AuthRequired { .. }
    ));
    let ev = probe(
        &via(&url, &format!("socks5h://127.0.0.1:{locked}")),
        &NoWire,
    )
    .await;
    assert!(matches!(
        proxy_ev(&ev).outcome,
        ProxyOutcome::AuthRequired { .. }
    ));
    let ev = probe(
        &via(&url, &format!("socks5h://bob:pw@127.0.0.1:{locked}")),
        &NoWire,
    )
    .await;
    assert_eq!(proxy_ev(&ev).outcome, ProxyOutcome::Tunnel);
    assert!(echoed(&ev));

    let closed = closed_port().await;
    let ev = probe(
        &via(
            &format!("ws://127.0.0.1:{closed}/"),
            &format!("socks5h://127.0.0.1:{open}"),
        ),
        &NoWire,
    )
    .await;
    assert_eq!(proxy_ev(&ev).outcome, ProxyOutcome::Refused { status: 5 });
}
