//! The TLS scenarios: a client that trusts the lab CA fails each broken one for
//! exactly the intended reason (rustls's verdict), the chains on the wire are the ones
//! declared (x509-parser), and the healthy one carries a WebSocket.

mod common;

use common::*;
use rustls::{AlertDescription, CertificateError, Error as TlsError};
use std::io;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wsdoctor_lab::pki::{
    INSPECTION_CA_NAME, LAB_CA_NAME, LAB_INTERMEDIATE_NAME, OTHER_CA_NAME, WRONG_HOST,
};
use x509_parser::prelude::*;

fn tls_error(e: &io::Error) -> Option<&TlsError> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<TlsError>())
}

/// What rustls, trusting only the lab CA, says about a scenario's certificate.
async fn verdict(lab: &wsdoctor_lab::Lab, name: &str) -> TlsError {
    match tls_connect(addr(lab, name), lab_client(lab, false)).await {
        Ok(_) => panic!("{name}: the handshake should fail"),
        Err(e) => tls_error(&e)
            .cloned()
            .unwrap_or_else(|| panic!("{name}: not a TLS error: {e}")),
    }
}

struct Seen {
    subject: String,
    issuer: String,
    not_after_past: bool,
    not_before_future: bool,
    ip_sans: Vec<String>,
    dns_sans: Vec<String>,
}

/// Subjects, issuers and SANs of the chain the scenario sends, leaf first.
async fn chain(lab: &wsdoctor_lab::Lab, name: &str) -> Vec<Seen> {
    let (config, seen) = recording_client(lab);
    let _ = tls_connect(addr(lab, name), config).await;
    let ders = seen.lock().expect("not poisoned").clone();
    let now = ASN1Time::now();
    ders.iter()
        .map(|der| {
            let (_, cert) = X509Certificate::from_der(der).expect("valid DER");
            let (mut ip_sans, mut dns_sans) = (Vec::new(), Vec::new());
            if let Ok(Some(san)) = cert.subject_alternative_name() {
                for n in &san.value.general_names {
                    match n {
                        GeneralName::IPAddress(b) => ip_sans.push(format!("{b:?}")),
                        GeneralName::DNSName(d) => dns_sans.push(d.to_string()),
                        _ => {}
                    }
                }
            }
            let cn = |n: &X509Name| {
                n.iter_common_name()
                    .next()
                    .and_then(|c| c.as_str().ok())
                    .unwrap_or("")
                    .to_string()
            };
            Seen {
                subject: cn(cert.subject()),
                issuer: cn(cert.issuer()),
                not_after_past: cert.validity().not_after < now,
                not_before_future: cert.validity().not_before > now,
                ip_sans,
                dns_sans,
            }
        })
        .collect()
}

const LOOPBACK_SAN: &str = "[127, 0, 0, 1]";

#[tokio::test]
async fn each_broken_certificate_fails_for_its_own_reason() {
    let names = [
        "tls-expired",
        "tls-not-yet-valid",
        "tls-self-signed",
        "tls-wrong-host",
        "tls-unknown-ca",
        "tls-missing-intermediate",
        "tls-intercepted",
    ];
    let lab = lab(&names).await;
    for name in names {
        let v = verdict(&lab, name).await;
        let ok = match name {
            "tls-expired" => matches!(
                v,
                TlsError::InvalidCertificate(
                    CertificateError::Expired | CertificateError::ExpiredContext { .. }
                )
            ),
            "tls-not-yet-valid" => matches!(
                v,
                TlsError::InvalidCertificate(
                    CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. }
                )
            ),
            "tls-wrong-host" => matches!(
                v,
                TlsError::InvalidCertificate(
                    CertificateError::NotValidForName
                        | CertificateError::NotValidForNameContext { .. }
                )
            ),
            // rustls says UnknownIssuer for all three; the chains below tell them apart.
            _ => v == TlsError::InvalidCertificate(CertificateError::UnknownIssuer),
        };
        assert!(ok, "{name}: unexpected verdict {v:?}");
    }
    lab.shutdown().await;
}

#[tokio::test]
async fn chains_on_the_wire_are_the_declared_ones() {
    let names = [
        "healthy-tls-echo",
        "tls-expired",
        "tls-not-yet-valid",
        "tls-self-signed",
        "tls-wrong-host",
        "tls-unknown-ca",
        "tls-missing-intermediate",
        "tls-intercepted",
    ];
    let lab = lab(&names).await;
    for name in names {
        let c = chain(&lab, name).await;
        let shape: Vec<(&str, &str)> = c
            .iter()
            .map(|s| (s.subject.as_str(), s.issuer.as_str()))
            .collect();
        let leaf = &c[0];
        match name {
            "tls-self-signed" => assert_eq!(shape, [("127.0.0.1", "127.0.0.1")]),
            "tls-missing-intermediate" => assert_eq!(shape, [("127.0.0.1", LAB_INTERMEDIATE_NAME)]),
            "tls-wrong-host" => {
                assert_eq!(
                    shape,
                    [
                        (WRONG_HOST, LAB_INTERMEDIATE_NAME),
                        (LAB_INTERMEDIATE_NAME, LAB_CA_NAME)
                    ]
                );
                assert_eq!(
                    (leaf.dns_sans.as_slice(), leaf.ip_sans.len()),
                    ([WRONG_HOST.to_string()].as_slice(), 0)
                );
            }
            "tls-unknown-ca" => assert_eq!(
                shape,
                [("127.0.0.1", OTHER_CA_NAME), (OTHER_CA_NAME, OTHER_CA_NAME)]
            ),
            "tls-intercepted" => {
                assert_eq!(
                    shape,
                    [
                        ("127.0.0.1", INSPECTION_CA_NAME),
                        (INSPECTION_CA_NAME, INSPECTION_CA_NAME)
                    ]
                )
            }
            _ => assert_eq!(
                shape,
                [
                    ("127.0.0.1", LAB_INTERMEDIATE_NAME),
                    (LAB_INTERMEDIATE_NAME, LAB_CA_NAME)
                ]
            ),
        }
        if name != "tls-wrong-host" {
            assert_eq!(leaf.ip_sans, [LOOPBACK_SAN], "{name}");
        }
        assert_eq!(leaf.not_after_past, name == "tls-expired", "{name}");
        assert_eq!(
            leaf.not_before_future,
            name == "tls-not-yet-valid",
            "{name}"
        );
        // Only the leaf is ever out of its validity window.
        assert!(
            c[1..]
                .iter()
                .all(|s| !s.not_after_past && !s.not_before_future),
            "{name}"
        );
    }
    lab.shutdown().await;
}

#[tokio::test]
async fn healthy_tls_echo_verifies_against_the_lab_ca_and_echoes() {
    let lab = lab(&["healthy-tls-echo"]).await;
    let url = url(&lab, "healthy-tls-echo");
    assert!(url.starts_with("wss://127.0.0.1:"));
    let tls = tls_connect(addr(&lab, "healthy-tls-echo"), lab_client(&lab, false))
        .await
        .expect("verifies");
    assert_eq!(tungstenite_echo(tls, &url, "over TLS").await, "over TLS");
    // The written CA is the one that verified.
    assert!(lab.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
    lab.shutdown().await;
}

#[tokio::test]
async fn client_certificate_is_required_and_the_lab_client_cert_works() {
    let lab = lab(&["tls-client-cert-required"]).await;
    let a = addr(&lab, "tls-client-cert-required");
    // In TLS 1.3 the client learns of the refusal from an alert after its own Finished,
    // so the failure may show at connect or at the first read.
    let refused = match tls_connect(a, lab_client(&lab, false)).await {
        Err(e) => tls_error(&e).cloned(),
        Ok(mut tls) => {
            let _ = tls.write_all(&request("/ws", &[]).to_bytes()).await;
            let mut buf = [0u8; 64];
            match within("alert", tls.read(&mut buf)).await {
                Err(e) => tls_error(&e).cloned(),
                Ok(n) => panic!("server answered {n} bytes without a client certificate"),
            }
        }
    };
    assert_eq!(
        refused,
        Some(TlsError::AlertReceived(
            AlertDescription::CertificateRequired
        ))
    );
    let tls = tls_connect(a, lab_client(&lab, true))
        .await
        .expect("with the lab client cert");
    assert_eq!(
        tungstenite_echo(tls, &url(&lab, "tls-client-cert-required"), "mtls").await,
        "mtls"
    );
    lab.shutdown().await;
}

#[tokio::test]
async fn plaintext_upgrade_to_the_tls_port_gets_a_tls_alert() {
    let lab = lab(&["ws-to-tls-port"]).await;
    assert!(url(&lab, "ws-to-tls-port").starts_with("ws://"));
    let mut tcp = within(
        "connect",
        tokio::net::TcpStream::connect(addr(&lab, "ws-to-tls-port")),
    )
    .await
    .expect("connect");
    tcp.write_all(&request("/ws", &[]).to_bytes())
        .await
        .expect("write");
    let mut buf = Vec::new();
    within("alert", tcp.read_to_end(&mut buf))
        .await
        .expect("read until the server closes");
    // A TLS record of type alert (21), not HTTP.
    assert_eq!(buf.first(), Some(&0x15), "got {buf:?}");
    assert!(!buf.starts_with(b"HTTP/"));
    lab.shutdown().await;
}
