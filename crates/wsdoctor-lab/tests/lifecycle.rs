//! Starting and stopping the whole lab: every scenario gets its own loopback
//! listener, selection and port errors name the fix, and shutdown really stops
//! everything (even with clients still connected).

mod common;

use common::*;
use std::collections::HashSet;
use std::time::Instant;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use wsdoctor_lab::{Lab, LabError, LabOptions, SCENARIOS};

#[tokio::test]
async fn the_whole_lab_starts_on_loopback_with_one_port_per_scenario() {
    let started = Instant::now();
    let lab = within("lab start", Lab::start(LabOptions::default()))
        .await
        .expect("starts");
    eprintln!("whole lab started in {:?}", started.elapsed());
    assert_eq!(lab.endpoints().len(), SCENARIOS.len());
    let mut ports = HashSet::new();
    for (ep, s) in lab.endpoints().iter().zip(SCENARIOS) {
        assert_eq!(ep.scenario.name, s.name, "table order");
        assert!(ep.addr.ip().is_loopback());
        assert!(ports.insert(ep.addr.port()), "{}: port reused", s.name);
        let scheme = if s.plan.secure {
            "wss://127.0.0.1:"
        } else {
            "ws://127.0.0.1:"
        };
        assert!(ep.url.starts_with(scheme), "{}: {}", s.name, ep.url);
        assert!(ep.url.ends_with(s.path), "{}: {}", s.name, ep.url);
        assert_eq!(ep.proxy.is_some(), s.plan.via_forward_proxy, "{}", s.name);
    }
    lab.shutdown().await;
}

#[tokio::test]
async fn the_lab_ca_is_a_ca_named_for_the_lab() {
    let lab = lab(&["healthy-tls-echo"]).await;
    let pem = lab.ca_pem();
    let (_, block) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).expect("PEM");
    let cert = block.parse_x509().expect("X.509");
    assert!(cert.is_ca());
    assert_eq!(cert.subject(), cert.issuer(), "a root");
    let cn = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|c| c.as_str().ok());
    assert_eq!(cn, Some(wsdoctor_lab::pki::LAB_CA_NAME));
    lab.shutdown().await;
}

#[tokio::test]
async fn unknown_names_are_refused_naming_the_valid_ones() {
    let opts = LabOptions {
        only: vec!["healthy-echo".into(), "nope".into()],
        port_base: None,
    };
    match Lab::start(opts).await {
        Err(LabError::UnknownScenario { name, valid }) => {
            assert_eq!(name, "nope");
            let valid: Vec<&str> = valid.split(", ").collect();
            assert_eq!(valid, SCENARIOS.iter().map(|s| s.name).collect::<Vec<_>>());
        }
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("an unknown name must be refused"),
    }
}

#[tokio::test]
async fn a_port_base_too_high_is_refused_before_binding() {
    let last = SCENARIOS.last().expect("scenarios").name;
    let opts = LabOptions {
        only: vec![last.into()],
        port_base: Some(u16::MAX - 1),
    };
    match Lab::start(opts).await {
        Err(LabError::PortRange { scenario, max, .. }) => {
            assert_eq!(scenario, last);
            assert_eq!(
                usize::from(max) + SCENARIOS.len() - 1,
                usize::from(u16::MAX)
            );
        }
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("port overflow must be refused"),
    }
}

#[tokio::test]
async fn shutdown_stops_listeners_and_held_connections() {
    let lab = lab(&[
        "black-hole",
        "healthy-echo",
        "blocked-event-loop",
        "healthy-behind-proxy",
    ])
    .await;
    let addrs: Vec<_> = lab.endpoints().iter().map(|e| e.addr).collect();
    // A client held by the black hole and an open WebSocket must not keep the lab alive.
    let mut held = within("connect", TcpStream::connect(addr(&lab, "black-hole")))
        .await
        .expect("connect");
    held.write_all(b"GET /ws HTTP/1.1\r\n")
        .await
        .expect("write");
    let open = upgrade(addr(&lab, "healthy-echo"), "/ws", &[]).await;
    assert_eq!(open.response.status, 101);
    let t = Instant::now();
    within("shutdown", lab.shutdown()).await;
    eprintln!("shutdown took {:?}", t.elapsed());
    for a in addrs {
        let refused = TcpStream::connect(a).await;
        assert!(refused.is_err(), "{a} still accepts after shutdown");
    }
    let mut held_stream = open.stream;
    let mut buf = Vec::new();
    assert_eq!(
        try_next_frame(&mut held_stream, &mut buf).await,
        None,
        "open session ended"
    );
}

#[tokio::test]
async fn a_client_past_the_connection_cap_gets_the_labs_own_refusal() {
    use wsdoctor_lab::cap::{MAX_CONNECTIONS, SERVER_NAME, refusal_text};
    let lab = lab(&["healthy-echo", "healthy-tls-echo"]).await;
    for name in ["healthy-echo", "healthy-tls-echo"] {
        let a = addr(&lab, name);
        let mut held = Vec::new();
        for _ in 0..MAX_CONNECTIONS {
            held.push(
                within("connect", TcpStream::connect(a))
                    .await
                    .expect("connect"),
            );
        }
        let answered = if name == "healthy-tls-echo" {
            let tls = tls_connect(a, lab_client(&lab, false))
                .await
                .expect("the refusal speaks TLS on a TLS port");
            let r = upgrade_on(tls, path(&lab, name), &[]).await;
            (
                r.response.status,
                r.header("server").map(str::to_string),
                r.body(),
            )
        } else {
            let r = upgrade(a, path(&lab, name), &[]).await;
            (
                r.response.status,
                r.header("server").map(str::to_string),
                r.body(),
            )
        };
        assert_eq!(answered.0, 503, "{name}");
        assert_eq!(answered.1.as_deref(), Some(SERVER_NAME), "{name}");
        assert_eq!(answered.2, refusal_text(name, MAX_CONNECTIONS), "{name}");
        // Once the held connections are gone, clients are served again.
        drop(held);
        within("served again", async {
            loop {
                let ok = match name {
                    "healthy-echo" => upgrade(a, path(&lab, name), &[]).await.response.status,
                    _ => {
                        let tls = tls_connect(a, lab_client(&lab, false)).await.expect("TLS");
                        upgrade_on(tls, path(&lab, name), &[]).await.response.status
                    }
                };
                if ok == 101 {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        })
        .await;
    }
    lab.shutdown().await;
}
