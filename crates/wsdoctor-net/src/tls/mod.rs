//! The TLS layer for `wss://`: rustls with a verifier that records every certificate
//! problem, a client-certificate hook that notes whether the server asked for one,
//! and a recorder of the first bytes received so that a plaintext server behind a
//! `wss://` URL is named as such instead of as a corrupt TLS record.

mod certs;
mod config;
pub(crate) mod recorder;
mod verify;

pub(crate) use verify::RecordingVerifier;

use crate::deadline::ms_since;
use crate::stream::BoxIo;
use crate::text::printable;
use crate::wire::Wire;
use recorder::Recorder;
use rustls::pki_types::ServerName;
use std::io;
use std::sync::atomic::Ordering;
use tokio::time::{Instant, timeout_at};
use tokio_rustls::TlsConnector;
use wsdoctor_core::evidence::{TlsAlert, TlsEvidence, TlsOutcome};

pub(crate) use config::TlsSetup;

/// ALPN for the RFC 6455 Upgrade: HTTP/1.1 only.
pub(crate) const HTTP1: &[&[u8]] = &[b"http/1.1"];
/// ALPN for the HTTP/2 probe: what a browser offers, so the server chooses as it would
/// for a browser.
pub(crate) const H2_OR_HTTP1: &[&[u8]] = &[b"h2", b"http/1.1"];

/// How many of the server's first bytes are kept for diagnosis.
pub(crate) const FIRST_BYTES: usize = 64;

/// Runs the TLS handshake for `host` over `io`. Returns the evidence and, when the
/// handshake completed (with `-k`, despite problems), the encrypted stream.
pub(crate) async fn handshake(
    setup: &TlsSetup,
    host: &str,
    io: BoxIo,
    end: Instant,
    wire: Wire<'_>,
) -> (TlsEvidence, Option<BoxIo>) {
    let (ev, io, _) = handshake_recorded(setup, host, io, end, wire, HTTP1).await;
    (ev, io)
}

/// `handshake`, also saying whether it died (closed, reset, failed) before the server
/// sent a single byte: the case where only a plaintext probe can tell what listens.
pub(crate) async fn handshake_recorded(
    setup: &TlsSetup,
    host: &str,
    io: BoxIo,
    end: Instant,
    wire: Wire<'_>,
    alpn: &[&[u8]],
) -> (TlsEvidence, Option<BoxIo>, bool) {
    let start = Instant::now();
    let mut ev = TlsEvidence {
        sni: host
            .parse::<std::net::IpAddr>()
            .is_err()
            .then(|| host.to_string()),
        ..Default::default()
    };
    let Ok(name) = ServerName::try_from(host.to_string()) else {
        ev.outcome = TlsOutcome::Failed {
            alert: None,
            message: format!("{host:?} is not a name TLS can verify"),
        };
        return (ev, None, false);
    };
    let (config, state) = match setup.client_config(alpn) {
        Ok(c) => c,
        Err(message) => {
            ev.outcome = TlsOutcome::Failed {
                alert: None,
                message,
            };
            return (ev, None, false);
        }
    };
    let (io, first) = Recorder::new(io, FIRST_BYTES);
    wire.note(format!("TLS handshake with {host}"));
    let connect = TlsConnector::from(config).connect(name, io);
    let result = timeout_at(end, connect).await;
    ev.ms = ms_since(start);
    if let Ok(r) = state.recorded.lock() {
        ev.chain = r.chain.clone();
        ev.problems = r.problems.clone();
    }
    ev.client_cert_requested = state.client_cert_requested.load(Ordering::Relaxed);
    let first = first.lock().map(|b| b.clone()).unwrap_or_default();
    match result {
        Ok(Ok(stream)) => {
            let (_, conn) = stream.get_ref();
            ev.version = conn
                .protocol_version()
                .map(|v| version_name(&format!("{v:?}")));
            ev.cipher = conn
                .negotiated_cipher_suite()
                .map(|s| format!("{:?}", s.suite()));
            ev.alpn = conn
                .alpn_protocol()
                .map(|p| String::from_utf8_lossy(p).into_owned());
            ev.outcome = TlsOutcome::Established;
            wire.note(format!(
                "TLS established: {} / {}{}",
                ev.version.as_deref().unwrap_or("?"),
                ev.cipher.as_deref().unwrap_or("?"),
                ev.alpn
                    .as_deref()
                    .map(|a| format!(" / ALPN {a}"))
                    .unwrap_or_default()
            ));
            (ev, Some(Box::new(stream)), false)
        }
        Ok(Err(e)) => {
            ev.outcome = classify(&e, &first);
            wire.note(format!("TLS failed: {e}"));
            (ev, None, first.is_empty())
        }
        Err(_) => {
            ev.outcome = if first.is_empty() {
                TlsOutcome::Silence
            } else if !looks_like_tls(&first) {
                TlsOutcome::NotTls {
                    first_bytes: printable(&first),
                }
            } else {
                TlsOutcome::Failed {
                    alert: None,
                    message: "the handshake did not finish before the deadline".to_string(),
                }
            };
            wire.note("TLS: no handshake before the deadline");
            // Silence used the whole deadline: no time is left for a probe.
            (ev, None, false)
        }
    }
}

fn classify(e: &io::Error, first: &[u8]) -> TlsOutcome {
    if !first.is_empty() && !looks_like_tls(first) {
        return TlsOutcome::NotTls {
            first_bytes: printable(first),
        };
    }
    if let Some(alert) = alert_received(e) {
        return TlsOutcome::Failed {
            alert: Some(alert),
            message: e.to_string(),
        };
    }
    let tls = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>());
    match (tls, e.kind()) {
        (None, io::ErrorKind::UnexpectedEof) if first.is_empty() => TlsOutcome::Closed,
        (None, io::ErrorKind::UnexpectedEof) => TlsOutcome::Failed {
            alert: None,
            message: "the server closed the connection during the handshake".to_string(),
        },
        _ => TlsOutcome::Failed {
            alert: None,
            message: e.to_string(),
        },
    }
}

/// The TLS alert the peer sent, when `e` is rustls reporting one (during the handshake
/// or on a later read: TLS 1.3 servers reject client certificates after it).
pub(crate) fn alert_received(e: &io::Error) -> Option<TlsAlert> {
    match e.get_ref()?.downcast_ref::<rustls::Error>()? {
        rustls::Error::AlertReceived(a) => Some(TlsAlert::from_code(u8::from(*a))),
        _ => None,
    }
}

/// A TLS record starts with a content type 20..=24 and major version 3.
pub(crate) fn looks_like_tls(first: &[u8]) -> bool {
    matches!(first.first(), Some(20..=24)) && first.get(1).is_none_or(|v| *v == 3)
}

/// rustls spells versions `TLSv1_3`; people write `TLSv1.3`.
pub(crate) fn version_name(debug: &str) -> String {
    debug.replace('_', ".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plaintext_first_bytes_mean_not_tls() {
        let e = io::Error::new(io::ErrorKind::InvalidData, "corrupt message");
        assert_eq!(
            classify(&e, b"HTTP/1.1 400 Bad Request\r\n"),
            TlsOutcome::NotTls {
                first_bytes: "HTTP/1.1 400 Bad Request\\r\\n".to_string()
            }
        );
        let eof = io::Error::from(io::ErrorKind::UnexpectedEof);
        assert_eq!(classify(&eof, b""), TlsOutcome::Closed);
        assert!(matches!(
            classify(&eof, &[0x15, 0x03, 0x03]),
            TlsOutcome::Failed { .. }
        ));
    }

    #[test]
    fn version_names_use_dots() {
        assert_eq!(version_name("TLSv1_3"), "TLSv1.3");
    }
}
