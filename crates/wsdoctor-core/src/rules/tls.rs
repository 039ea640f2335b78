//! TLS findings: every certificate problem the probe recorded, plus handshake
//! failures and the two scheme/port mix-ups (wss:// to plaintext, ws:// to TLS).

use crate::catalog::CauseId;
use crate::dates;
use crate::evidence::{CertProblem, Evidence, HttpOutcome, TlsAlert, TlsOutcome};
use crate::report::Finding;

/// A certificate valid for fewer days than this gets a warning.
const EXPIRY_WARNING_DAYS: i64 = 14;

pub fn findings(e: &Evidence, out: &mut Vec<Finding>) {
    let Some(t) = &e.tls else { return };
    let now = e.checked_at;
    let intercepted = t
        .problems
        .iter()
        .any(|p| matches!(p, CertProblem::InterceptionSuspected { .. }));
    for p in &t.problems {
        let f = match p {
            CertProblem::Expired { not_after } => Finding::new(
                CauseId::TlsCertExpired,
                format!(
                    "The certificate expired on {} ({} days ago).",
                    dates::utc(*not_after),
                    -dates::days_between(now, *not_after)
                ),
            ),
            CertProblem::NotYetValid { not_before } => Finding::new(
                CauseId::TlsCertNotYetValid,
                format!(
                    "The certificate becomes valid on {} (in {} days); this machine's clock says {}. If that date looks wrong, check the clock (clock skew).",
                    dates::utc(*not_before),
                    dates::days_between(now, *not_before),
                    dates::utc(now)
                ),
            ),
            CertProblem::HostnameMismatch { host, sans } => Finding::new(
                CauseId::TlsHostnameMismatch,
                format!(
                    "The certificate is for {}, not {host}.",
                    if sans.is_empty() {
                        "no subject alternative name at all".to_string()
                    } else {
                        sans.join(", ")
                    }
                ),
            ),
            // An interception CA is also unknown; name the root cause once.
            CertProblem::UnknownIssuer { .. } if intercepted => continue,
            CertProblem::UnknownIssuer { issuer } => Finding::new(
                CauseId::TlsUnknownIssuer,
                format!("The chain ends at \"{issuer}\", which is not a trusted CA here."),
            ),
            CertProblem::SelfSigned { subject } => Finding::new(
                CauseId::TlsSelfSigned,
                format!("\"{subject}\" signs itself."),
            ),
            CertProblem::IncompleteChain { missing_issuer } => Finding::new(
                CauseId::TlsIncompleteChain,
                format!(
                    "The server sent {} certificate(s); the issuer \"{missing_issuer}\" was not among them and is not a trust anchor.",
                    t.chain.len()
                ),
            ),
            CertProblem::InterceptionSuspected { issuer } => Finding::new(
                CauseId::ProxyTlsIntercepted,
                format!(
                    "The certificate was issued by \"{issuer}\", which looks like a TLS-inspection product, not the site's CA."
                ),
            ),
            CertProblem::Other { message } => Finding::new(
                CauseId::TlsHandshakeFailed,
                format!("Certificate problem: {message}."),
            ),
        };
        out.push(f);
    }
    if t.problems.is_empty()
        && let Some(leaf) = t.chain.first()
    {
        let days = dates::days_between(now, leaf.not_after);
        if (0..EXPIRY_WARNING_DAYS).contains(&days) {
            out.push(Finding::new(
                CauseId::TlsCertExpiringSoon,
                format!(
                    "The certificate expires on {} (in {days} days).",
                    dates::utc(leaf.not_after)
                ),
            ));
        }
    }
    outcome(e, out);
    if e.request.insecure && !t.problems.is_empty() && t.outcome == TlsOutcome::Established {
        out.push(Finding::new(
            CauseId::TlsInsecureUsed,
            "-k/--insecure let the connection go on; clients that verify certificates fail on the problems above.",
        ));
    }
}

fn outcome(e: &Evidence, out: &mut Vec<Finding>) {
    let Some(t) = &e.tls else { return };
    if let Some(f) = plaintext_answer(e) {
        out.push(f);
        return;
    }
    let f = match &t.outcome {
        TlsOutcome::Established => match rejected_after_handshake(e) {
            // TLS 1.3 servers check the client certificate after the client has
            // finished its side of the handshake: the rejection arrives as an alert
            // on the first read, where the probe expected the HTTP answer.
            Some(why) if t.client_cert_requested && !e.request.client_cert => Finding::new(
                CauseId::TlsClientCertRequired,
                format!(
                    "The server asked for a client certificate, none was sent, and it rejected the connection ({why})."
                ),
            ),
            Some(why) => Finding::new(
                CauseId::TlsHandshakeFailed,
                format!("The server ended TLS right after the handshake: {why}."),
            ),
            None => return,
        },
        TlsOutcome::NotTls { first_bytes } => Finding::new(
            CauseId::TlsToPlaintextPort,
            format!(
                "Port {} answered the TLS ClientHello with plaintext: {first_bytes:?}.",
                e.url.port
            ),
        )
        .also(format!(
            "Use ws://{}:{}{} (plaintext), or the TLS port with wss://.",
            e.url.host, e.url.port, e.url.resource
        )),
        TlsOutcome::Failed { alert, message } => {
            if !t.problems.is_empty() {
                // The certificate findings above are the cause of the failure.
                return;
            }
            let cert_alert = alert.is_some_and(TlsAlert::refuses_client_cert);
            if t.client_cert_requested && !e.request.client_cert && (cert_alert || alert.is_none())
            {
                Finding::new(
                    CauseId::TlsClientCertRequired,
                    format!(
                        "The server asked for a client certificate, none was sent, and it ended the handshake ({message})."
                    ),
                )
            } else {
                Finding::new(
                    CauseId::TlsHandshakeFailed,
                    match alert {
                        Some(a) => format!("The handshake ended with the alert {a}: {message}."),
                        None => format!("The handshake failed: {message}."),
                    },
                )
            }
        }
        TlsOutcome::Silence => Finding::new(
            CauseId::TlsHandshakeFailed,
            "The server accepted the TCP connection but never answered the TLS ClientHello.",
        ),
        TlsOutcome::Closed => {
            if t.client_cert_requested && !e.request.client_cert {
                Finding::new(
                    CauseId::TlsClientCertRequired,
                    "The server asked for a client certificate, none was sent, and it closed the connection.",
                )
            } else {
                Finding::new(
                    CauseId::TlsHandshakeFailed,
                    "The server closed the connection during the TLS handshake.",
                )
            }
        }
    };
    out.push(f);
}

/// TLS died without a byte from the server, and the same port answered a plaintext
/// HTTP request: a plaintext server that drops a ClientHello instead of answering it.
fn plaintext_answer(e: &Evidence) -> Option<Finding> {
    let t = e.tls.as_ref()?;
    let probe = t.plaintext_probe.as_ref()?;
    probe.status?;
    let died = matches!(t.outcome, TlsOutcome::Closed | TlsOutcome::Failed { .. });
    if !died || !t.problems.is_empty() || t.client_cert_requested {
        return None;
    }
    Some(
        Finding::new(
            CauseId::TlsToPlaintextPort,
            format!(
                "Port {} ended the connection on the TLS ClientHello without sending a byte, and answered a plaintext HTTP request with {}: it speaks {}.",
                e.url.port,
                probe.answer,
                // The redacted URL: the raw resource may carry a secret.
                e.url.effective.replacen("wss://", "ws://", 1)
            ),
        )
        .evidence(format!("plaintext GET / answered: {}", probe.answer)),
    )
}

/// The reason, when TLS completed from our side but the server rejected the
/// connection with an alert (or dropped it, having asked for a client certificate
/// we did not send) before any HTTP answer.
pub(super) fn rejected_after_handshake(e: &Evidence) -> Option<String> {
    let t = e
        .tls
        .as_ref()
        .filter(|t| t.outcome == TlsOutcome::Established)?;
    let outcome = &e.http.as_ref()?.outcome;
    let unanswered_cert_request = t.client_cert_requested && !e.request.client_cert;
    match outcome {
        HttpOutcome::Malformed {
            alert: Some(alert), ..
        } => Some(format!("TLS alert {alert}")),
        HttpOutcome::Closed | HttpOutcome::Reset if unanswered_cert_request => {
            Some("the connection ended before any HTTP answer".into())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::CauseId;
    use crate::evidence::*;
    use crate::rules::test_support::ids;

    const NOW: i64 = 1_790_000_000;

    fn tls(problems: Vec<CertProblem>, outcome: TlsOutcome) -> Evidence {
        Evidence {
            url: crate::url::analyze("wss://127.0.0.1:8443/", false),
            checked_at: NOW,
            tls: Some(TlsEvidence {
                outcome,
                problems,
                chain: vec![CertInfo {
                    not_after: NOW + 90 * 86_400,
                    ..CertInfo::default()
                }],
                ..TlsEvidence::default()
            }),
            ..Evidence::default()
        }
    }

    fn failed() -> TlsOutcome {
        TlsOutcome::Failed {
            alert: None,
            message: "invalid peer certificate".into(),
        }
    }

    #[test]
    fn every_certificate_problem_is_reported() {
        let e = tls(
            vec![
                CertProblem::Expired {
                    not_after: NOW - 86_400 * 3,
                },
                CertProblem::HostnameMismatch {
                    host: "127.0.0.1".into(),
                    sans: vec!["wrong.example".into()],
                },
                CertProblem::UnknownIssuer {
                    issuer: "Other CA".into(),
                },
            ],
            failed(),
        );
        assert_eq!(
            ids(&e),
            [
                CauseId::TlsCertExpired,
                CauseId::TlsHostnameMismatch,
                CauseId::TlsUnknownIssuer
            ]
        );
    }

    #[test]
    fn single_problems_map_to_their_ids() {
        let cases = [
            (
                CertProblem::NotYetValid {
                    not_before: NOW + 86_400,
                },
                CauseId::TlsCertNotYetValid,
            ),
            (
                CertProblem::SelfSigned {
                    subject: "x".into(),
                },
                CauseId::TlsSelfSigned,
            ),
            (
                CertProblem::IncompleteChain {
                    missing_issuer: "Int".into(),
                },
                CauseId::TlsIncompleteChain,
            ),
        ];
        for (p, id) in cases {
            assert_eq!(ids(&tls(vec![p], failed())), [id]);
        }
    }

    #[test]
    fn interception_replaces_unknown_issuer() {
        let e = tls(
            vec![
                CertProblem::UnknownIssuer {
                    issuer: "FortiGate SSL Inspection".into(),
                },
                CertProblem::InterceptionSuspected {
                    issuer: "FortiGate SSL Inspection".into(),
                },
            ],
            failed(),
        );
        assert_eq!(ids(&e), [CauseId::ProxyTlsIntercepted]);
    }

    #[test]
    fn outcomes_without_certificate_problems() {
        let not_tls = TlsOutcome::NotTls {
            first_bytes: "HTTP/1.1 400".into(),
        };
        assert_eq!(ids(&tls(vec![], not_tls)), [CauseId::TlsToPlaintextPort]);
        assert_eq!(
            ids(&tls(vec![], TlsOutcome::Silence)),
            [CauseId::TlsHandshakeFailed]
        );
        let mut e = tls(
            vec![],
            TlsOutcome::Failed {
                alert: Some(TlsAlert::CertificateRequired),
                message: "peer sent alert".into(),
            },
        );
        e.tls.as_mut().unwrap().client_cert_requested = true;
        assert_eq!(ids(&e), [CauseId::TlsClientCertRequired]);
        e.request.client_cert = true;
        assert_eq!(ids(&e), [CauseId::TlsHandshakeFailed]);
    }

    #[test]
    fn only_client_certificate_alerts_name_a_missing_client_certificate() {
        let with = |alert| {
            let mut e = tls(
                vec![],
                TlsOutcome::Failed {
                    alert: Some(alert),
                    message: "received fatal alert".into(),
                },
            );
            e.tls.as_mut().unwrap().client_cert_requested = true;
            ids(&e)
        };
        for alert in [
            TlsAlert::CertificateRequired,
            TlsAlert::HandshakeFailure,
            TlsAlert::BadCertificate,
        ] {
            assert_eq!(with(alert), [CauseId::TlsClientCertRequired], "{alert}");
        }
        for alert in [
            TlsAlert::ProtocolVersion,
            TlsAlert::UnrecognisedName,
            TlsAlert::from_code(200),
        ] {
            assert_eq!(with(alert), [CauseId::TlsHandshakeFailed], "{alert}");
        }
    }

    #[test]
    fn alerts_round_trip_their_wire_codes_and_names() {
        for code in 0..=u8::MAX {
            assert_eq!(TlsAlert::from_code(code).code(), code);
        }
        assert_eq!(TlsAlert::from_code(116), TlsAlert::CertificateRequired);
        assert_eq!(TlsAlert::from_code(48).to_string(), "UnknownCA");
        assert_eq!(TlsAlert::from_code(7).to_string(), "Unknown(7)");
        let json = serde_json::to_value(TlsAlert::CertificateRequired).unwrap();
        assert_eq!(json, "CertificateRequired");
    }

    #[test]
    fn a_port_that_drops_the_client_hello_but_speaks_http_is_plaintext() {
        let reset = TlsOutcome::Failed {
            alert: None,
            message: "Connection reset by peer (os error 104)".into(),
        };
        for outcome in [TlsOutcome::Closed, reset] {
            let mut e = tls(vec![], outcome);
            assert_eq!(ids(&e), [CauseId::TlsHandshakeFailed], "no probe, no claim");
            let probe = |status| PlaintextProbe {
                status,
                answer: "HTTP/1.1 404 Not Found".into(),
                ms: 0.3,
            };
            e.tls.as_mut().unwrap().plaintext_probe = Some(probe(None));
            assert_eq!(ids(&e), [CauseId::TlsHandshakeFailed], "no HTTP answer");
            e.tls.as_mut().unwrap().plaintext_probe = Some(probe(Some(404)));
            assert_eq!(ids(&e), [CauseId::TlsToPlaintextPort]);
        }
    }

    #[test]
    fn tls13_client_certificate_rejection_after_the_handshake() {
        let mut e = tls(vec![], TlsOutcome::Established);
        e.tls.as_mut().unwrap().client_cert_requested = true;
        e.http = Some(HttpEvidence {
            outcome: HttpOutcome::Malformed {
                // The typed alert decides, not the wording of the I/O error.
                message: "peer rejected the connection".into(),
                first_bytes: String::new(),
                alert: Some(TlsAlert::CertificateRequired),
            },
            ..HttpEvidence::default()
        });
        assert_eq!(ids(&e), [CauseId::TlsClientCertRequired]);
        e.tls.as_mut().unwrap().client_cert_requested = false;
        assert_eq!(ids(&e), [CauseId::TlsHandshakeFailed]);
        e.http.as_mut().unwrap().outcome = HttpOutcome::Malformed {
            message: "bad status line, not an alert".into(),
            first_bytes: "HTTP/1.1 x".into(),
            alert: None,
        };
        assert!(!ids(&e).contains(&CauseId::TlsHandshakeFailed));
    }

    #[test]
    fn expiring_soon_and_insecure() {
        let mut e = tls(vec![], TlsOutcome::Established);
        e.tls.as_mut().unwrap().chain[0].not_after = NOW + 5 * 86_400;
        assert_eq!(ids(&e), [CauseId::TlsCertExpiringSoon]);
        let mut e = tls(
            vec![CertProblem::SelfSigned {
                subject: "x".into(),
            }],
            TlsOutcome::Established,
        );
        e.request.insecure = true;
        assert_eq!(ids(&e), [CauseId::TlsSelfSigned, CauseId::TlsInsecureUsed]);
    }
}
