//! The TLS layer against rustls servers with certificates generated at run time:
//! every certificate problem is recorded (several at once), -k goes on, and
//! wss:// to a plaintext port / ws:// to a TLS port are recognised.

mod common;

use common::*;
use wsdoctor_core::evidence::*;
use wsdoctor_net::{NoWire, ProbeOptions, probe};

fn wss(port: u16) -> String {
    format!("wss://{HOST}:{port}/")
}

fn with_ca(mut o: ProbeOptions, ca: &Ca) -> (ProbeOptions, tempfile::NamedTempFile) {
    let file = pem_file(&ca.pem());
    o.cacert = Some(file.path().to_path_buf());
    (o, file)
}

fn tls(ev: &Evidence) -> &TlsEvidence {
    ev.tls.as_ref().expect("tls evidence")
}

fn kinds(t: &TlsEvidence) -> Vec<&'static str> {
    t.problems
        .iter()
        .map(|p| match p {
            CertProblem::Expired { .. } => "expired",
            CertProblem::NotYetValid { .. } => "not-yet-valid",
            CertProblem::HostnameMismatch { .. } => "hostname-mismatch",
            CertProblem::UnknownIssuer { .. } => "unknown-issuer",
            CertProblem::SelfSigned { .. } => "self-signed",
            CertProblem::IncompleteChain { .. } => "incomplete-chain",
            CertProblem::InterceptionSuspected { .. } => "interception",
            _ => "other",
        })
        .collect()
}

#[tokio::test]
async fn trusted_chain_is_established_and_session_runs() {
    let root = Ca::root("wsdoctor test root");
    let port = tls_server(&root.leaf(&[HOST], -1, 1), &[], None).await;
    let (o, _f) = with_ca(opts(&wss(port)), &root);
    let ev = probe(&o, &NoWire).await;
    let t = tls(&ev);
    assert_eq!(t.outcome, TlsOutcome::Established, "{:?}", t.problems);
    assert!(t.problems.is_empty(), "{:?}", t.problems);
    assert_eq!(t.sni.as_deref(), Some(HOST));
    assert_eq!(t.version.as_deref(), Some("TLSv1.3"));
    assert_eq!(t.alpn, None);
    assert_eq!(t.chain.len(), 1);
    assert_eq!(t.chain[0].sans, vec![HOST.to_string()]);
    assert!(t.chain[0].issuer.contains("wsdoctor test root"));
    assert!(!t.client_cert_requested);
    let s = ev.session.as_ref().expect("session");
    assert!(
        matches!(s.message, MessageOutcome::Echoed { .. }),
        "{:?}",
        s.message
    );
}

#[tokio::test]
async fn expired_certificate_fails_and_insecure_goes_on() {
    let root = Ca::root("wsdoctor test root");
    let port = tls_server(&root.leaf(&[HOST], -3, -1), &[], None).await;
    let (mut o, _f) = with_ca(opts(&wss(port)), &root);
    let ev = probe(&o, &NoWire).await;
    let t = tls(&ev);
    assert_eq!(kinds(t), vec!["expired"]);
    assert!(matches!(t.outcome, TlsOutcome::Failed { .. }));
    let CertProblem::Expired { not_after } = t.problems[0] else {
        unreachable!()
    };
    assert_eq!(not_after, t.chain[0].not_after);
    assert!(not_after < ev.checked_at);
    assert!(ev.http.is_none());

    o.insecure = true;
    let ev = probe(&o, &NoWire).await;
    assert_eq!(kinds(tls(&ev)), vec!["expired"]);
    assert_eq!(tls(&ev).outcome, TlsOutcome::Established);
    assert!(ev.request.insecure);
    let s = ev.session.expect("session");
    assert!(matches!(s.message, MessageOutcome::Echoed { .. }));
}

#[tokio::test]
async fn not_yet_valid_is_told_from_expired() {
    let root = Ca::root("wsdoctor test root");
    let port = tls_server(&root.leaf(&[HOST], 1, 2), &[], None).await;
    let (o, _f) = with_ca(opts(&wss(port)), &root);
    let ev = probe(&o, &NoWire).await;
    assert_eq!(kinds(tls(&ev)), vec!["not-yet-valid"]);
}

#[tokio::test]
async fn self_signed_certificate_is_named() {
    let port = tls_server(&self_signed(&[HOST]), &[], None).await;
    let ev = probe(&opts(&wss(port)), &NoWire).await;
    let t = tls(&ev);
    assert_eq!(kinds(t), vec!["self-signed"]);
    assert!(t.chain[0].self_signed);
}

#[tokio::test]
async fn wrong_host_lists_the_sans_and_combines_with_other_problems() {
    let root = Ca::root("wsdoctor test root");
    let port = tls_server(
        &root.leaf(&["other.test", "*.other.test"], -1, 1),
        &[],
        None,
    )
    .await;
    let (o, _f) = with_ca(opts(&wss(port)), &root);
    let ev = probe(&o, &NoWire).await;
    let t = tls(&ev);
    assert_eq!(
        t.problems,
        vec![CertProblem::HostnameMismatch {
            host: HOST.to_string(),
            sans: vec!["other.test".to_string(), "*.other.test".to_string()],
        }]
    );

    // Expired AND wrong host AND an untrusted CA, all in one run.
    let stranger = Ca::root("stranger root");
    let port = tls_server(
        &stranger.leaf(&["other.test"], -3, -1),
        &[stranger.der()],
        None,
    )
    .await;
    let ev = probe(&opts(&wss(port)), &NoWire).await;
    assert_eq!(
        kinds(tls(&ev)),
        vec!["expired", "hostname-mismatch", "unknown-issuer"]
    );
}

#[tokio::test]
async fn unknown_ca_is_not_called_a_missing_intermediate() {
    let stranger = Ca::root("stranger root");
    let port = tls_server(&stranger.leaf(&[HOST], -1, 1), &[stranger.der()], None).await;
    let ev = probe(&opts(&wss(port)), &NoWire).await;
    let t = tls(&ev);
    assert_eq!(
        t.problems,
        vec![CertProblem::UnknownIssuer {
            issuer: "CN=stranger root".to_string()
        }]
    );
    assert_eq!(t.chain.len(), 2);
    assert!(t.chain[1].is_ca && t.chain[1].self_signed);
}

#[tokio::test]
async fn missing_intermediate_is_an_incomplete_chain() {
    let root = Ca::root("wsdoctor test root");
    let inter = root.intermediate("wsdoctor test intermediate");
    let leaf = inter.leaf(&[HOST], -1, 1);
    let incomplete = tls_server(&leaf, &[], None).await;
    let complete = tls_server(&leaf, &[inter.der()], None).await;

    let (o, _f) = with_ca(opts(&wss(incomplete)), &root);
    let ev = probe(&o, &NoWire).await;
    assert_eq!(
        tls(&ev).problems,
        vec![CertProblem::IncompleteChain {
            missing_issuer: "CN=wsdoctor test intermediate".to_string()
        }]
    );

    let (o, _f) = with_ca(opts(&wss(complete)), &root);
    let ev = probe(&o, &NoWire).await;
    assert!(tls(&ev).problems.is_empty(), "{:?}", tls(&ev).problems);
    assert_eq!(tls(&ev).chain.len(), 2);
}

#[tokio::test]
async fn interception_products_are_suspected_by_issuer_name() {
    let mitm = Ca::root("mitmproxy");
    let port = tls_server(&mitm.leaf(&[HOST], -1, 1), &[], None).await;
    let (o, _f) = with_ca(opts(&wss(port)), &mitm);
    let ev = probe(&o, &NoWire).await;
    let t = tls(&ev);
    // Trusted (as a corporate root would be), so the handshake goes on, but named.
    assert_eq!(t.outcome, TlsOutcome::Established);
    assert_eq!(
        t.problems,
        vec![CertProblem::InterceptionSuspected {
            issuer: "CN=mitmproxy".to_string()
        }]
    );
}

#[tokio::test]
async fn client_certificate_request_is_noticed() {
    let root = Ca::root("wsdoctor test root");
    let port = tls_server(&root.leaf(&[HOST], -1, 1), &[], Some(&root)).await;
    let (o, _f) = with_ca(opts(&wss(port)), &root);
    let ev = probe(&o, &NoWire).await;
    assert!(tls(&ev).client_cert_requested);
}

#[tokio::test]
async fn client_certificate_is_presented_with_cert_and_key() {
    let root = Ca::root("wsdoctor test root");
    let client = root.leaf(&["client.test"], -1, 1);
    let cert = pem_file(&pem("CERTIFICATE", &client.der));
    let key = pem_file(&client.key.serialize_pem());
    let port = tls_server_requiring_client_cert(&root.leaf(&[HOST], -1, 1), &root).await;
    let (mut o, _f) = with_ca(opts(&wss(port)), &root);
    let ev = probe(&o, &NoWire).await;
    assert!(tls(&ev).client_cert_requested);
    assert!(
        ev.session.is_none(),
        "the server refuses a client without a certificate"
    );
    // rustls refuses with the typed alert, in the handshake or (TLS 1.3) on the first read.
    let alert = match (&tls(&ev).outcome, ev.http.as_ref().map(|h| &h.outcome)) {
        (TlsOutcome::Failed { alert, .. }, _) => *alert,
        (_, Some(HttpOutcome::Malformed { alert, .. })) => *alert,
        other => panic!("no alert recorded: {other:?}"),
    };
    assert_eq!(alert, Some(TlsAlert::CertificateRequired));

    o.client_cert = Some(cert.path().to_path_buf());
    o.client_key = Some(key.path().to_path_buf());
    let ev = probe(&o, &NoWire).await;
    assert!(ev.request.client_cert);
    assert_eq!(tls(&ev).outcome, TlsOutcome::Established);
    assert!(matches!(
        ev.session.expect("session").message,
        MessageOutcome::Echoed { .. }
    ));
}

#[tokio::test]
async fn wss_to_a_plaintext_port_is_not_tls() {
    let port =
        scripted_server(|_| b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".to_vec())
            .await;
    let ev = probe(&opts(&wss(port)), &NoWire).await;
    match &tls(&ev).outcome {
        TlsOutcome::NotTls { first_bytes } => assert!(first_bytes.starts_with("HTTP/1.1 400")),
        other => panic!("expected NotTls, got {other:?}"),
    }
    assert!(ev.http.is_none());
}

#[tokio::test]
async fn ws_to_a_tls_port_is_recognised() {
    let root = Ca::root("wsdoctor test root");
    let port = tls_server(&root.leaf(&[HOST], -1, 1), &[], None).await;
    let mut o = opts(&format!("ws://{HOST}:{port}/"));
    o.timeout = std::time::Duration::from_secs(2);
    let ev = probe(&o, &NoWire).await;
    let outcome = &ev.http.as_ref().expect("http").outcome;
    // rustls answers a plaintext request with an alert record (0x15 0x03 …).
    assert!(
        matches!(outcome, HttpOutcome::NotHttp { looks_like_tls: true, first_bytes } if first_bytes.starts_with("\\x15\\x03")),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn unreadable_cacert_is_a_tls_failure_naming_the_flag() {
    let echo = echo_server().await;
    let mut o = opts(&wss(echo));
    o.cacert = Some("/nonexistent/ca.pem".into());
    let ev = probe(&o, &NoWire).await;
    assert!(matches!(
        &tls(&ev).outcome,
        TlsOutcome::Failed { message, .. } if message.contains("--cacert")
    ));
}
