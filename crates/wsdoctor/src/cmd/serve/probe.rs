//! One `check` report as the samples of a `/probe` answer. Every value is read from
//! the report's evidence and findings; nothing here diagnoses.
//!
//! Cardinality is bounded by construction: `layer` takes the nine layers, `cause` the
//! catalog's ids, `severity` three values, `phase` six, `problem` eight, `version` the
//! TLS versions rustls speaks. No label carries the target, a header or a message.

use super::metrics::{Exposition, Metric};
use std::time::Duration;
use wsdoctor_core::Layer;
use wsdoctor_core::evidence::{
    CertProblem, CloseOutcome, HttpOutcome, MessageOutcome, PingOutcome,
};
use wsdoctor_core::{Report, Verdict};

/// The blackbox phases, each with the check layers whose time it sums.
pub const PHASES: [&str; 6] = [
    "resolve",
    "connect",
    "tls",
    "upgrade",
    "processing",
    "transfer",
];

/// The samples of one probe. `duration` is the wall time of the whole check.
pub fn exposition(report: &Report, duration: Duration) -> Exposition {
    let mut e = Exposition::default();
    let ev = &report.evidence;
    let failed = report.failing_layer();
    let secs = |ms: f64| ms / 1000.0;
    e.sample(
        Metric::ProbeSuccess,
        &[],
        f64::from(report.verdict != Verdict::Failed),
    );
    e.sample(Metric::ProbeDuration, &[], duration.as_secs_f64());
    let layer_ms = |l: Layer| {
        ev.timings
            .iter()
            .filter(|t| t.layer == l)
            .map(|t| t.ms)
            .sum::<f64>()
    };
    e.sample(Metric::DnsLookup, &[], secs(layer_ms(Layer::Dns)));
    let ip = ev
        .tcp
        .as_ref()
        .and_then(|t| t.connected)
        .map_or(0.0, |a| if a.is_ipv4() { 4.0 } else { 6.0 });
    e.sample(Metric::IpProtocol, &[], ip);
    let session_ms = layer_ms(Layer::Session);
    let processing = ev.session.as_ref().map_or(0.0, |s| match s.message {
        MessageOutcome::Echoed { ms } | MessageOutcome::Received { ms, .. } => ms,
        MessageOutcome::NoReply { waited_ms } => waited_ms,
        MessageOutcome::NotTried => 0.0,
    });
    let processing = processing.min(session_ms);
    let phase_ms = [
        layer_ms(Layer::Dns),
        layer_ms(Layer::Tcp) + layer_ms(Layer::Proxy),
        layer_ms(Layer::Tls),
        layer_ms(Layer::Http),
        processing,
        (session_ms - processing).max(0.0),
    ];
    for (phase, ms) in PHASES.iter().zip(phase_ms) {
        e.sample(Metric::PhaseDuration, &[phase], secs(ms));
    }
    let status = match ev.http.as_ref().map(|h| &h.outcome) {
        Some(HttpOutcome::Response(r)) => r.status,
        _ => 0,
    };
    e.sample(Metric::StatusCode, &[], f64::from(status));
    let upgraded =
        status == 101 && failed.is_none_or(|l| l > Layer::Handshake) && ev.session.is_some();
    e.sample(Metric::Upgraded, &[], f64::from(upgraded));
    for layer in Layer::ALL {
        e.sample(
            Metric::Failed,
            &[layer.as_str()],
            f64::from(failed == Some(layer)),
        );
    }
    let mut causes: Vec<_> = report
        .findings
        .iter()
        .map(|f| (f.id.as_str(), f.layer.as_str(), f.severity.as_str()))
        .collect();
    causes.sort();
    causes.dedup();
    e.declare(Metric::CauseInfo);
    for (id, layer, severity) in causes {
        e.sample(Metric::CauseInfo, &[id, layer, severity], 1.0);
    }
    e.sample(Metric::ExitCode, &[], f64::from(report.exit_code()));
    session(&mut e, report);
    tls(&mut e, report);
    e
}

fn session(e: &mut Exposition, report: &Report) {
    let Some(s) = report.evidence.session.as_ref() else {
        return;
    };
    if let MessageOutcome::Echoed { ms } | MessageOutcome::Received { ms, .. } = s.message {
        e.sample(Metric::MessageRtt, &[], ms / 1000.0);
    }
    if let PingOutcome::Pong { ms, .. } = s.ping {
        e.sample(Metric::PingRtt, &[], ms / 1000.0);
    }
    let code = match &s.close {
        CloseOutcome::Clean { code, .. } | CloseOutcome::ByServer { code, .. } => {
            // A close frame without a code is what a browser reports as 1005.
            Some(code.unwrap_or(1005))
        }
        CloseOutcome::Eof { .. } | CloseOutcome::Reset { .. } => Some(1006),
        CloseOutcome::FailedByUs { code } => Some(*code),
        CloseOutcome::NotTried | CloseOutcome::NoAnswer { .. } => None,
    };
    if let Some(c) = code {
        e.sample(Metric::CloseCode, &[], f64::from(c));
    }
}

/// Certificate metrics come from the chain as the server sent it, which the probe
/// records whether or not it verified: an expired certificate still has an expiry.
fn tls(e: &mut Exposition, report: &Report) {
    let Some(t) = report.evidence.tls.as_ref() else {
        return;
    };
    if let Some(v) = &t.version {
        // blackbox spells versions "TLS 1.3"; the probe says "TLSv1.3".
        let v = v.replacen("TLSv", "TLS ", 1);
        e.sample(Metric::TlsVersion, &[&v], 1.0);
    }
    if t.chain.is_empty() {
        return;
    }
    let earliest = t
        .chain
        .iter()
        .map(|c| c.not_after)
        .min()
        .unwrap_or_default();
    e.sample(Metric::SslEarliestExpiry, &[], earliest as f64);
    e.sample(Metric::SslLeafExpiry, &[], t.chain[0].not_after as f64);
    e.sample(Metric::SslChainLength, &[], t.chain.len() as f64);
    e.sample(Metric::SslCertValid, &[], f64::from(t.problems.is_empty()));
    let mut kinds: Vec<&str> = t.problems.iter().map(problem_kind).collect();
    kinds.sort();
    kinds.dedup();
    e.declare(Metric::SslCertProblem);
    for k in kinds {
        e.sample(Metric::SslCertProblem, &[k], 1.0);
    }
}

fn problem_kind(p: &CertProblem) -> &'static str {
    match p {
        CertProblem::Expired { .. } => "expired",
        CertProblem::NotYetValid { .. } => "not-yet-valid",
        CertProblem::HostnameMismatch { .. } => "hostname-mismatch",
        CertProblem::UnknownIssuer { .. } => "unknown-issuer",
        CertProblem::SelfSigned { .. } => "self-signed",
        CertProblem::IncompleteChain { .. } => "incomplete-chain",
        CertProblem::InterceptionSuspected { .. } => "interception-suspected",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsdoctor_core::CauseId;
    use wsdoctor_core::evidence::{CertInfo, Evidence, Timing, TlsEvidence};

    fn line<'a>(text: &'a str, start: &str) -> Option<&'a str> {
        text.lines().find(|l| l.starts_with(start))
    }

    #[test]
    fn a_failed_tls_layer_keeps_its_certificate_metrics() {
        let mut ev = Evidence::default();
        ev.url.effective = "wss://127.0.0.1:1/".into();
        ev.url.secure = true;
        ev.timings = vec![Timing {
            layer: Layer::Tls,
            ms: 12.0,
        }];
        ev.tls = Some(TlsEvidence {
            version: Some("TLSv1.3".into()),
            chain: vec![
                CertInfo {
                    not_after: 1_700_000_000,
                    ..CertInfo::default()
                },
                CertInfo {
                    not_after: 1_600_000_000,
                    ..CertInfo::default()
                },
            ],
            problems: vec![CertProblem::Expired {
                not_after: 1_700_000_000,
            }],
            ..TlsEvidence::default()
        });
        let findings = vec![wsdoctor_core::Finding::new(CauseId::TlsCertExpired, "x")];
        let report = wsdoctor_core::Report::new(ev, findings);
        let text = exposition(&report, Duration::from_millis(20)).render();
        assert_eq!(line(&text, "probe_success "), Some("probe_success 0"));
        assert_eq!(
            line(&text, "probe_ssl_earliest_cert_expiry "),
            Some("probe_ssl_earliest_cert_expiry 1600000000")
        );
        assert_eq!(
            line(&text, "probe_websocket_ssl_leaf_cert_expiry "),
            Some("probe_websocket_ssl_leaf_cert_expiry 1700000000")
        );
        assert!(text.contains("probe_websocket_ssl_cert_problem{problem=\"expired\"} 1"));
        assert!(text.contains("probe_websocket_ssl_cert_valid 0"));
        assert!(text.contains("probe_websocket_failed{layer=\"tls\"} 1"));
        assert!(text.contains("probe_websocket_failed{layer=\"tcp\"} 0"));
        assert!(text.contains(
            "probe_websocket_cause_info{cause=\"tls-cert-expired\",layer=\"tls\",severity=\"error\"} 1"
        ));
        assert!(text.contains("probe_websocket_duration_seconds{phase=\"tls\"} 0.012"));
        assert!(text.contains("probe_tls_version_info{version=\"TLS 1.3\"} 1"));
        assert!(text.contains("probe_websocket_exit_code 14"));
    }
}
