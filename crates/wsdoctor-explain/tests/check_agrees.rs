//! `check` (live) and `explain` (pasted) give the same first cause for every HTTP
//! status 100–599 and every close code 1000–4999, the unassigned and reserved ranges
//! included. For each value the test builds the Evidence the live probe records when a
//! server answers the Upgrade with that status (or ends the session with that code),
//! runs the core rules on it, and compares the first finding with `explain`'s first
//! ranked cause for the bare number.

use wsdoctor_core::CauseId;
use wsdoctor_core::evidence::*;
use wsdoctor_explain::explain;

fn upgrade_answered(status: u16) -> Evidence {
    Evidence {
        url: wsdoctor_core::url::analyze("ws://127.0.0.1:9000/ws", false),
        http: Some(HttpEvidence {
            key: "dGhlIHNhbXBsZSBub25jZQ==".into(),
            expected_accept: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".into(),
            outcome: HttpOutcome::Response(HttpResponse {
                version: 1,
                status,
                reason: String::new(),
                headers: if status == 101 {
                    vec![
                        ("Upgrade".into(), "websocket".into()),
                        ("Connection".into(), "Upgrade".into()),
                        (
                            "Sec-WebSocket-Accept".into(),
                            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".into(),
                        ),
                    ]
                } else {
                    Vec::new()
                },
                body: String::new(),
            }),
            ..HttpEvidence::default()
        }),
        ..Evidence::default()
    }
}

fn first_explained(text: &str) -> Option<CauseId> {
    explain(text).causes.first().map(|c| c.id)
}

#[test]
fn every_status_gets_the_same_first_cause_live_and_pasted() {
    let mut differ = Vec::new();
    for status in 100..600u16 {
        let findings = wsdoctor_core::diagnose(&upgrade_answered(status));
        assert_catalog_text(&findings);
        let live = findings.first().map(|f| f.id);
        let pasted = first_explained(&status.to_string());
        if live != pasted {
            differ.push(format!("{status}: check {live:?}, explain {pasted:?}"));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

/// What the live probe records for a session that ended with `code`. 1005, 1006 and
/// 1015 never travel in a close frame (RFC 6455 §7.4.1): a browser reports them for a
/// close frame without a code, a TCP end without a close frame, and a failed TLS
/// handshake, so the probe's evidence is that condition.
fn session_ended(code: u16) -> Evidence {
    let mut e = upgrade_answered(101);
    let close = match code {
        1005 => CloseOutcome::ByServer {
            code: None,
            reason: String::new(),
            after_ms: 5.0,
        },
        1006 => CloseOutcome::Eof { after_ms: 5.0 },
        1015 => {
            e.url = wsdoctor_core::url::analyze("wss://127.0.0.1:9000/ws", false);
            e.tls = Some(TlsEvidence {
                outcome: TlsOutcome::Failed {
                    alert: None,
                    message: "the TLS handshake failed".into(),
                },
                ms: 1.0,
                ..TlsEvidence::default()
            });
            e.http = None;
            return e;
        }
        c => CloseOutcome::ByServer {
            code: Some(c),
            reason: String::new(),
            after_ms: 5.0,
        },
    };
    e.session = Some(SessionEvidence {
        message: MessageOutcome::Echoed { ms: 0.3 },
        ping: PingOutcome::Pong {
            ms: 0.2,
            payload_matches: true,
        },
        close,
        ..SessionEvidence::default()
    });
    e
}

#[test]
fn every_close_code_gets_the_same_first_cause_live_and_pasted() {
    let mut differ = Vec::new();
    for code in 1000..5000u16 {
        // A normal close is no finding for `check`; `explain` names it as normal.
        let findings = wsdoctor_core::diagnose(&session_ended(code));
        assert_catalog_text(&findings);
        let live = findings
            .first()
            .map_or(CauseId::SessionCloseNormal, |f| f.id);
        let pasted = first_explained(&code.to_string());
        if Some(live) != pasted {
            differ.push(format!("{code}: check {live:?}, explain {pasted:?}"));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

/// Every finding prints the catalog's fix verbatim and carries its blame.
fn assert_catalog_text(findings: &[wsdoctor_core::Finding]) {
    for f in findings {
        let c = f.id.cause();
        assert_eq!(f.fix, c.fix, "{:?}", f.id);
        assert_eq!(f.blame, c.blame, "{:?}", f.id);
    }
}
