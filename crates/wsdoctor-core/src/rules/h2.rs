//! The WebSocket over HTTP/2 (RFC 8441): what the extended-CONNECT probe's evidence
//! means, and how it compares with the HTTP/1.1 walk. Findings about the HTTP/2 path
//! carry `transport: h2`; inside the stream the RFC 6455 rules of the HTTP/1.1 session
//! apply unchanged, so they are the same rules run on the stream's session.

use super::{http, session};
use crate::catalog::CauseId;
use crate::evidence::{CloseOutcome, Evidence, H2Evidence, H2Outcome, HttpResponse};
use crate::report::{Finding, Transport};
use crate::tables::h2::{ENABLE_CONNECT_PROTOCOL, PROTOCOL_ERROR};

/// Runs after the HTTP/1.1 rules: `out` holds their findings, which say whether the
/// HTTP/1.1 path worked.
pub fn findings(e: &Evidence, out: &mut Vec<Finding>) {
    let Some(h) = &e.h2 else { return };
    let h1_ok = e.session.is_some() && !out.iter().any(Finding::is_error);
    let mut mine = Vec::new();
    match &h.outcome {
        H2Outcome::NotTried | H2Outcome::Failed { .. } => {}
        H2Outcome::NotNegotiated if h.requested => mine.push(Finding::new(
            CauseId::H2NotNegotiated,
            format!(
                "Offered h2 and http/1.1 in ALPN, the server chose {}.",
                h.alpn.as_deref().unwrap_or("no protocol")
            ),
        )),
        H2Outcome::NotNegotiated => {}
        // `ws://` with `--http2`: no ALPN, so a server without h2c answering our
        // preface in HTTP/1.1 says only that it has no cleartext HTTP/2 (browsers never
        // use h2c).
        H2Outcome::NotHttp2 { first_bytes, .. } if h.alpn.is_none() => mine.push(
            Finding::new(
                CauseId::H2NotNegotiated,
                "The plaintext port does not speak HTTP/2 with prior knowledge (h2c); browsers never use h2c.",
            )
            .evidence(format!("the server's first bytes: {first_bytes}")),
        ),
        H2Outcome::NotHttp2 {
            first_bytes,
            message,
        } => mine.push(
            Finding::new(
                CauseId::H2AlpnMismatch,
                format!("ALPN chose h2, then the HTTP/2 connection failed: {message}."),
            )
            .evidence(format!("the server's first bytes: {first_bytes}")),
        ),
        H2Outcome::NotAdvertised => mine.push(not_advertised(h)),
        H2Outcome::NoAnswer { waited_ms } => mine.push(Finding::new(
            CauseId::H2ConnectNoAnswer,
            format!(
                "No response headers to the extended CONNECT within {:.1} s.",
                waited_ms / 1000.0
            ),
        )),
        H2Outcome::Reset { error } if error.code == PROTOCOL_ERROR && !error.goaway => mine.push(
            Finding::new(
                CauseId::H2ProtocolUnsupported,
                "The extended CONNECT was reset with PROTOCOL_ERROR: it was read as a malformed CONNECT.",
            ),
        ),
        H2Outcome::Reset { error } => mine.push(Finding::new(
            CauseId::H2StreamReset,
            format!(
                "The extended CONNECT was answered with {} {} (0x{:x}) instead of response headers.",
                if error.goaway { "GOAWAY" } else { "RST_STREAM" },
                error.name,
                error.code
            ),
        )),
        H2Outcome::Rejected { status } => mine.push(rejected(*status, h.response.as_ref())),
        H2Outcome::Open { .. } => open(e, h, &mut mine),
    }
    let h2_failed = mine.iter().any(Finding::is_error);
    let h2_ok = matches!(h.outcome, H2Outcome::Open { .. }) && !h2_failed;
    out.extend(mine.into_iter().map(|f| f.on(Transport::H2)));
    if h2_ok && !h1_ok {
        out.push(Finding::new(
            CauseId::H2WorksH1Fails,
            "The extended CONNECT over HTTP/2 opened and passed the session checks; the HTTP/1.1 Upgrade did not.",
        ));
    }
    if h2_failed && h1_ok && h.browser_uses_h2() {
        out.push(Finding::new(
            CauseId::H2FailsH1Works,
            "The HTTP/1.1 Upgrade works; the server advertises SETTINGS_ENABLE_CONNECT_PROTOCOL, so browsers use the HTTP/2 path that fails.",
        ));
    }
}

fn not_advertised(h: &H2Evidence) -> Finding {
    let state = match h.setting(ENABLE_CONNECT_PROTOCOL) {
        None => "absent from".to_string(),
        Some(v) => format!("{v} in"),
    };
    let mut f = Finding::new(
        CauseId::H2ConnectProtocolNotAdvertised,
        format!(
            "SETTINGS_ENABLE_CONNECT_PROTOCOL is {state} the server's SETTINGS: browsers open this WebSocket over HTTP/1.1."
        ),
    );
    for s in &h.settings {
        let name = if s.name.is_empty() {
            format!("0x{:x}", s.id)
        } else {
            s.name.clone()
        };
        f = f.evidence(format!("{name} = {}", s.value));
    }
    f
}

fn rejected(status: u16, r: Option<&HttpResponse>) -> Finding {
    let id = if status == 501 {
        CauseId::H2ProtocolUnsupported
    } else {
        CauseId::H2ConnectRejected
    };
    let mut f = Finding::new(
        id,
        format!("The extended CONNECT (:protocol websocket) was answered {status}."),
    );
    if let Some(server) = r.and_then(|r| r.header("server")) {
        f = f.evidence(format!("server: {server}"));
    }
    if let Some(line) = r.and_then(|r| r.body.lines().find(|l| !l.trim().is_empty())) {
        f = f.evidence(format!("body: {}", line.trim()));
    }
    f
}

/// A 2xx: the RFC 6455 negotiation headers, then the session over the stream.
fn open(e: &Evidence, h: &H2Evidence, out: &mut Vec<Finding>) {
    if let Some(r) = &h.response {
        http::negotiation(&e.request, r, out);
    }
    if let Some(ms) = h.send_stalled_ms {
        // Nothing we sent could arrive: the missing echo and pong follow from it.
        let window = h
            .setting(crate::tables::h2::INITIAL_WINDOW_SIZE)
            .map(|w| format!(" (SETTINGS_INITIAL_WINDOW_SIZE = {w})"))
            .unwrap_or_default();
        out.push(Finding::new(
            CauseId::H2FlowControlStall,
            format!(
                "Our message waited {:.1} s for flow-control window that never came{window}.",
                ms / 1000.0
            ),
        ));
        return;
    }
    // A reset after the closing handshake completed ends nothing (servers reset a
    // finished stream with CANCEL or NO_ERROR instead of ending it).
    let closed_cleanly = h
        .session
        .as_ref()
        .is_some_and(|s| matches!(s.close, CloseOutcome::Clean { .. }));
    if let Some(err) = h.stream_error.as_ref().filter(|_| !closed_cleanly) {
        out.push(Finding::new(
            CauseId::H2StreamReset,
            format!(
                "After the 2xx the {} was ended with {} {} (0x{:x}).",
                if err.goaway { "connection" } else { "stream" },
                if err.goaway { "GOAWAY" } else { "RST_STREAM" },
                err.name,
                err.code
            ),
        ));
    }
    let Some(s) = &h.session else { return };
    let mut s = s.clone();
    if h.stream_error.is_some() && matches!(s.close, CloseOutcome::Reset { .. }) {
        // The reset is named above with its HTTP/2 code; not a TCP reset.
        s.close = CloseOutcome::NotTried;
    }
    let stream = Evidence {
        request: e.request.clone(),
        session: Some(s),
        ..Evidence::default()
    };
    session::findings(&stream, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Severity;
    use crate::evidence::*;
    use crate::report::Report;
    use crate::rules::test_support::*;

    fn settings(connect: Option<u32>) -> Vec<H2Setting> {
        let mut v = vec![H2Setting {
            id: 3,
            name: "SETTINGS_MAX_CONCURRENT_STREAMS".into(),
            value: 100,
        }];
        if let Some(value) = connect {
            v.push(H2Setting {
                id: ENABLE_CONNECT_PROTOCOL,
                name: "SETTINGS_ENABLE_CONNECT_PROTOCOL".into(),
                value,
            });
        }
        v
    }

    fn h2(outcome: H2Outcome) -> H2Evidence {
        H2Evidence {
            alpn: Some("h2".into()),
            settings: settings(Some(1)),
            outcome,
            ..H2Evidence::default()
        }
    }

    fn with_h2(h: H2Evidence) -> Evidence {
        Evidence {
            h2: Some(h),
            ..healthy()
        }
    }

    fn open_h2() -> H2Evidence {
        let mut h = h2(H2Outcome::Open { status: 200 });
        let mut r = response(200, &[], "");
        r.version = 2;
        h.response = Some(r);
        h.session = healthy().session;
        h
    }

    fn h2_ids(e: &Evidence) -> Vec<(CauseId, Option<Transport>)> {
        crate::rules::diagnose(e)
            .into_iter()
            .map(|f| (f.id, f.transport))
            .collect()
    }

    #[test]
    fn a_healthy_h2_websocket_has_no_findings_and_browsers_take_it() {
        let e = with_h2(open_h2());
        assert!(ids(&e).is_empty());
        let r = Report::new(e.clone(), crate::rules::diagnose(&e));
        assert_eq!(r.browser_path, Some(Transport::H2));
        assert_eq!(r.h2.as_ref().map(|t| t.verdict), Some(crate::Verdict::Ok));
    }

    #[test]
    fn no_setting_is_information_and_browsers_use_http_1_1() {
        let mut h = h2(H2Outcome::NotAdvertised);
        h.settings = settings(None);
        let e = with_h2(h);
        let found = crate::rules::diagnose(&e);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, CauseId::H2ConnectProtocolNotAdvertised);
        assert_eq!(found[0].severity, Severity::Info);
        assert!(found[0].detail.contains("absent"), "{}", found[0].detail);
        let r = Report::new(e, found);
        assert_eq!(r.verdict, crate::Verdict::Ok);
        assert_eq!(r.exit_code(), 0);
        assert_eq!(r.browser_path, Some(Transport::Http11));
    }

    #[test]
    fn alpn_choosing_http_1_1_is_silent_unless_h2_was_asked_for() {
        let mut h = h2(H2Outcome::NotNegotiated);
        h.alpn = Some("http/1.1".into());
        h.settings.clear();
        assert!(ids(&with_h2(h.clone())).is_empty());
        h.requested = true;
        assert_eq!(ids(&with_h2(h)), [CauseId::H2NotNegotiated]);
    }

    #[test]
    fn rejections_name_the_status_and_explain_the_browser_failure() {
        let e = with_h2(h2(H2Outcome::Rejected { status: 405 }));
        let found = crate::rules::diagnose(&e);
        let ids: Vec<_> = found.iter().map(|f| (f.id, f.transport)).collect();
        assert_eq!(
            ids,
            [
                (CauseId::H2ConnectRejected, Some(Transport::H2)),
                (CauseId::H2FailsH1Works, None)
            ]
        );
        assert!(found[0].detail.contains("405"));
        let r = Report::new(e, found);
        assert_eq!(r.exit_code(), crate::Layer::Http.exit_code());
        let other = r.h2.expect("h2 phases");
        assert_eq!(other.verdict, crate::Verdict::Failed);
        let http = other.phases.iter().find(|p| p.layer == crate::Layer::Http);
        assert_eq!(http.map(|p| p.status), Some(crate::PhaseStatus::Failed));
        assert!(
            r.phases
                .iter()
                .all(|p| p.status != crate::PhaseStatus::Failed),
            "the HTTP/1.1 phases stay as they were"
        );
        assert_eq!(
            h2_ids(&with_h2(h2(H2Outcome::Rejected { status: 501 })))[0].0,
            CauseId::H2ProtocolUnsupported
        );
    }

    #[test]
    fn resets_name_the_code() {
        let reset = |code, goaway| {
            let e = with_h2(h2(H2Outcome::Reset {
                error: H2Error::new(code, goaway),
            }));
            crate::rules::diagnose(&e)
        };
        assert_eq!(
            reset(PROTOCOL_ERROR, false)[0].id,
            CauseId::H2ProtocolUnsupported
        );
        let f = reset(0x7, false);
        assert_eq!(f[0].id, CauseId::H2StreamReset);
        assert!(f[0].detail.contains("REFUSED_STREAM"), "{}", f[0].detail);
        let f = reset(PROTOCOL_ERROR, true);
        assert_eq!(
            f[0].id,
            CauseId::H2StreamReset,
            "a GOAWAY is not about :protocol"
        );
    }

    #[test]
    fn a_reset_inside_the_session_is_named_not_called_a_tcp_reset() {
        let mut h = open_h2();
        h.stream_error = Some(H2Error::new(0x2, false));
        if let Some(s) = h.session.as_mut() {
            s.message = MessageOutcome::NoReply { waited_ms: 1.0 };
            s.ping = PingOutcome::NotTried;
            s.close = CloseOutcome::Reset { after_ms: 1.0 };
        }
        let found = ids(&with_h2(h));
        assert_eq!(found[0], CauseId::H2StreamReset);
        assert!(!found.contains(&CauseId::SessionReset), "{found:?}");
    }

    #[test]
    fn a_reset_after_a_clean_close_is_no_finding() {
        let mut h = open_h2();
        h.stream_error = Some(H2Error::new(0x8, false));
        assert!(ids(&with_h2(h)).is_empty());
    }

    #[test]
    fn violations_inside_the_stream_use_the_session_ids() {
        let mut h = open_h2();
        if let Some(s) = h.session.as_mut() {
            s.violations.push(Violation::MaskedFrame);
        }
        assert_eq!(
            h2_ids(&with_h2(h))[0],
            (CauseId::SessionMaskedFrame, Some(Transport::H2))
        );
    }

    #[test]
    fn a_flow_control_stall_stands_for_the_missing_echo() {
        let mut h = open_h2();
        h.send_stalled_ms = Some(3000.0);
        if let Some(s) = h.session.as_mut() {
            s.message = MessageOutcome::NoReply { waited_ms: 0.0 };
        }
        let found = ids(&with_h2(h));
        assert_eq!(found[0], CauseId::H2FlowControlStall);
        assert!(!found.contains(&CauseId::SessionNoEcho));
    }

    #[test]
    fn negotiation_is_checked_on_the_2xx() {
        let mut h = open_h2();
        if let Some(r) = h.response.as_mut() {
            r.headers
                .push(("sec-websocket-protocol".into(), "chat".into()));
        }
        assert_eq!(
            h2_ids(&with_h2(h))[0],
            (
                CauseId::HandshakeSubprotocolUnrequested,
                Some(Transport::H2)
            )
        );
    }

    #[test]
    fn h2_working_where_http_1_1_fails_is_a_warning_of_its_own() {
        let mut e = with_response(healthy(), response(400, &[], ""));
        e.session = None;
        e.h2 = Some(open_h2());
        let found = ids(&e);
        assert!(found.contains(&CauseId::HttpBadRequest));
        assert!(found.contains(&CauseId::H2WorksH1Fails));
    }

    #[test]
    fn no_h2c_on_a_plaintext_port_is_information() {
        let h = H2Evidence {
            requested: true,
            outcome: H2Outcome::NotHttp2 {
                first_bytes: "HTTP/1.1 400".into(),
                message: "no SETTINGS frame first".into(),
            },
            ..H2Evidence::default()
        };
        let found = crate::rules::diagnose(&with_h2(h));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, CauseId::H2NotNegotiated);
        assert_eq!(found[0].severity, Severity::Info);
    }

    #[test]
    fn alpn_mismatch_is_an_error() {
        let mut h = h2(H2Outcome::NotHttp2 {
            first_bytes: "HTTP/1.1 400".into(),
            message: "no SETTINGS frame".into(),
        });
        h.settings.clear();
        assert_eq!(ids(&with_h2(h)), [CauseId::H2AlpnMismatch]);
    }
}
