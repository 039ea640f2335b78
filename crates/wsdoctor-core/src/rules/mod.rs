//! Diagnosis: pure functions from `Evidence` to `Finding`s, one module per layer.
//! No sockets, no clock (the probe's time is `evidence.checked_at`), so every rule is
//! unit-tested on hand-built evidence. Findings take their title and default fix
//! from the catalog; the rules add what this run saw.

mod connect;
mod h2;
mod http;
mod session;
mod tls;
mod url;

pub use session::event_loop_blocked;

use crate::evidence::Evidence;
use crate::report::{Finding, Report};

/// Every finding the evidence supports.
pub fn diagnose(e: &Evidence) -> Vec<Finding> {
    let mut out = Vec::new();
    url::findings(e, &mut out);
    connect::dns(e, &mut out);
    connect::tcp(e, &mut out);
    connect::proxy(e, &mut out);
    tls::findings(e, &mut out);
    http::findings(e, &mut out);
    http::handshake(e, &mut out);
    session::findings(e, &mut out);
    session::over_time(e, &mut out);
    h2::findings(e, &mut out);
    out
}

/// Diagnose and build the report in one step.
pub fn report(e: Evidence) -> Report {
    let findings = diagnose(&e);
    Report::new(e, findings)
}

#[cfg(test)]
pub(crate) mod test_support {
    use crate::evidence::*;

    /// Evidence of a healthy plaintext run up to (and including) the upgrade.
    pub fn healthy() -> Evidence {
        Evidence {
            url: crate::url::analyze("ws://127.0.0.1:9000/ws", false),
            http: Some(HttpEvidence {
                key: "dGhlIHNhbXBsZSBub25jZQ==".into(),
                expected_accept: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".into(),
                outcome: HttpOutcome::Response(response(
                    101,
                    &[
                        ("Upgrade", "websocket"),
                        ("Connection", "Upgrade"),
                        ("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
                    ],
                    "",
                )),
                ..HttpEvidence::default()
            }),
            session: Some(SessionEvidence {
                message: MessageOutcome::Echoed { ms: 0.3 },
                ping: PingOutcome::Pong {
                    ms: 0.2,
                    payload_matches: true,
                },
                close: CloseOutcome::Clean {
                    code: Some(1000),
                    reason: String::new(),
                    ms: 0.2,
                },
                ..SessionEvidence::default()
            }),
            ..Evidence::default()
        }
    }

    pub fn response(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
        HttpResponse {
            version: 1,
            status,
            reason: String::new(),
            headers: headers
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            body: body.into(),
        }
    }

    /// Replace the upgrade response.
    pub fn with_response(mut e: Evidence, r: HttpResponse) -> Evidence {
        if let Some(h) = e.http.as_mut() {
            h.outcome = HttpOutcome::Response(r);
        }
        e
    }

    pub fn ids(e: &Evidence) -> Vec<crate::CauseId> {
        super::diagnose(e).into_iter().map(|f| f.id).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;

    #[test]
    fn healthy_evidence_has_no_findings() {
        assert!(ids(&healthy()).is_empty());
    }
}
