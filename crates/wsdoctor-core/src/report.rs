//! The report model: findings, per-layer phases and the verdict. Renderers (human,
//! JSON) consume it; nothing here prints.

use crate::catalog::CauseId;
use crate::evidence::Evidence;
use crate::layer::{Blame, Layer, Severity};
use serde::{Deserialize, Serialize};

/// Version of the JSON schema. Fields are only ever added; a removal or a change of
/// meaning bumps the major number.
pub const SCHEMA: &str = "wsdoctor.report/1";

/// One diagnosis: a catalog cause plus what this run saw.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct Finding {
    pub id: CauseId,
    pub layer: Layer,
    pub severity: Severity,
    /// Who has to change something (the catalog's blame: client, server or path).
    pub blame: Blame,
    pub title: String,
    /// What was observed, specific to this run.
    pub detail: String,
    /// The catalog's fix, verbatim: what is specific to this run goes in `detail`.
    pub fix: String,
    /// Supporting lines (headers, dates, addresses), already redacted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    /// The path the finding is about when it is not the HTTP/1.1 walk: `h2` for the
    /// RFC 8441 probe. Absent for HTTP/1.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<Transport>,
}

impl Finding {
    /// A finding with the catalog's layer, severity, title and fix.
    pub fn new(id: CauseId, detail: impl Into<String>) -> Finding {
        let c = id.cause();
        Finding {
            id,
            layer: c.layer,
            severity: c.severity,
            blame: c.blame,
            title: c.title.to_string(),
            detail: detail.into(),
            fix: c.fix.to_string(),
            evidence: Vec::new(),
            transport: None,
        }
    }

    /// The finding is about this path, not the HTTP/1.1 walk.
    pub fn on(mut self, t: Transport) -> Finding {
        self.transport = Some(t);
        self
    }

    pub fn severity(mut self, s: Severity) -> Finding {
        self.severity = s;
        self
    }

    /// Replace the catalog fix with one that names this run's specifics.
    /// Adds a sentence specific to this run to the detail (the fix stays the
    /// catalog's, the same text in every command's output).
    pub fn also(mut self, more: impl AsRef<str>) -> Finding {
        self.detail.push(' ');
        self.detail.push_str(more.as_ref());
        self
    }

    pub fn evidence(mut self, line: impl Into<String>) -> Finding {
        self.evidence.push(line.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// How a WebSocket is carried, spelled as its ALPN name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[non_exhaustive]
pub enum Transport {
    /// The RFC 6455 Upgrade over HTTP/1.1.
    #[serde(rename = "http/1.1")]
    Http11,
    /// Extended CONNECT over HTTP/2 (RFC 8441).
    #[serde(rename = "h2")]
    H2,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Http11 => "http/1.1",
            Transport::H2 => "h2",
        }
    }
}

/// The result of a probe over another transport, shown beside the HTTP/1.1 phases.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct TransportReport {
    pub transport: Transport,
    /// From this transport's findings only.
    pub verdict: Verdict,
    pub phases: Vec<Phase>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Ok,
    Warning,
    Failed,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Warning => "warning",
            Verdict::Failed => "failed",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PhaseStatus {
    Ok,
    Warning,
    Failed,
    Skipped,
}

impl PhaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PhaseStatus::Ok => "ok",
            PhaseStatus::Warning => "warning",
            PhaseStatus::Failed => "failed",
            PhaseStatus::Skipped => "skipped",
        }
    }
}

/// Why a layer was skipped. Added beside `status` (whose values stay as they were) so a
/// program can tell a layer that does not apply from one the probe never reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SkipReason {
    /// The layer does not apply to this URL: TLS for `ws://`.
    NotUsed,
    /// An earlier layer failed, so the probe stopped before this one.
    NotReached,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::NotUsed => "not-used",
            SkipReason::NotReached => "not-reached",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct Phase {
    pub layer: Layer,
    pub status: PhaseStatus,
    /// Milliseconds spent in the layer; null when skipped, and for layers that are
    /// judgement only (url parsing, the handshake checks on the 101).
    pub ms: Option<f64>,
    /// Set only when `status` is `skipped`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<SkipReason>,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema, Deserialize)]
pub struct Report {
    pub schema: String,
    /// The URL probed, secrets redacted.
    pub target: String,
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
    /// The HTTP/1.1 walk's layers (findings without a `transport`).
    pub phases: Vec<Phase>,
    /// The HTTP/2 probe's own phases, when it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub h2: Option<TransportReport>,
    /// Which path a browser would take to this URL, when more than one was probed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser_path: Option<Transport>,
    pub evidence: Evidence,
}

impl Report {
    /// Build the report: findings root cause first — by layer in probe order (an earlier
    /// layer's finding explains the later ones), then by severity, and among equals in
    /// the order the rules gave (each rule puts a cause before its consequences) —
    /// phase status derived from the findings of that layer, the verdict from the worst
    /// finding.
    pub fn new(evidence: Evidence, mut findings: Vec<Finding>) -> Report {
        findings.sort_by(|a, b| a.layer.cmp(&b.layer).then(b.severity.cmp(&a.severity)));
        let h1: Vec<&Finding> = findings.iter().filter(|f| f.transport.is_none()).collect();
        let phases = phases(&evidence, &h1);
        let h2 = evidence.h2.as_ref().map(|h| {
            let mine: Vec<&Finding> = findings
                .iter()
                .filter(|f| f.transport == Some(Transport::H2))
                .collect();
            TransportReport {
                transport: Transport::H2,
                verdict: verdict(mine.iter().copied()),
                phases: h2_phases(h, &mine),
            }
        });
        let browser_path = evidence.h2.as_ref().map(|h| {
            if h.browser_uses_h2() {
                Transport::H2
            } else {
                Transport::Http11
            }
        });
        let verdict = verdict(findings.iter());
        Report {
            schema: SCHEMA.to_string(),
            target: evidence.url.effective.clone(),
            verdict,
            findings,
            phases,
            h2,
            browser_path,
            evidence,
        }
    }

    /// The layer whose exit code the process returns: the first failing one.
    pub fn failing_layer(&self) -> Option<Layer> {
        self.findings
            .iter()
            .filter(|f| f.is_error())
            .map(|f| f.layer)
            .min()
    }

    /// 0 healthy, 1 warnings, else the first failing layer's code.
    pub fn exit_code(&self) -> i32 {
        match (self.verdict, self.failing_layer()) {
            (Verdict::Ok, _) => 0,
            (Verdict::Warning, _) => 1,
            (Verdict::Failed, Some(l)) => l.exit_code(),
            (Verdict::Failed, None) => 3,
        }
    }

    pub fn has(&self, id: CauseId) -> bool {
        self.findings.iter().any(|f| f.id == id)
    }

    pub fn ids(&self) -> Vec<CauseId> {
        self.findings.iter().map(|f| f.id).collect()
    }

    pub fn is_tls(&self) -> bool {
        self.failing_layer() == Some(Layer::Tls)
    }
}

fn verdict<'a>(findings: impl Iterator<Item = &'a Finding>) -> Verdict {
    match findings.map(|f| f.severity).max() {
        Some(Severity::Error) => Verdict::Failed,
        Some(Severity::Warning) => Verdict::Warning,
        _ => Verdict::Ok,
    }
}

fn phases(evidence: &Evidence, findings: &[&Finding]) -> Vec<Phase> {
    let mut out = Vec::new();
    for layer in Layer::ALL {
        let ms = timing(&evidence.timings, layer);
        // The URL layer is pure parsing: it ran whenever the URL was usable. The
        // handshake layer is the RFC 6455 checks on a 101: they ran whenever one came.
        let ran = ms.is_some()
            || match layer {
                Layer::Url => !evidence.url.effective.is_empty(),
                Layer::Handshake => got_101(evidence),
                _ => false,
            };
        let status = status(ran, worst(findings, layer));
        // Optional layers (proxy, async) only appear when they ran or found something.
        let optional = matches!(layer, Layer::Proxy | Layer::Async);
        if optional && status == PhaseStatus::Skipped {
            continue;
        }
        let reason = match (status, layer) {
            (PhaseStatus::Skipped, Layer::Tls) if !evidence.url.secure => Some(SkipReason::NotUsed),
            (PhaseStatus::Skipped, _) => Some(SkipReason::NotReached),
            _ => None,
        };
        out.push(Phase {
            layer,
            status,
            ms,
            reason,
        });
    }
    out
}

/// The HTTP/2 probe's layers: TLS (its own handshake, ALPN), HTTP (SETTINGS and the
/// extended CONNECT), handshake (the RFC 8441 §5 checks on a 2xx) and session.
fn h2_phases(h: &crate::evidence::H2Evidence, findings: &[&Finding]) -> Vec<Phase> {
    use crate::evidence::H2Outcome;
    [Layer::Tls, Layer::Http, Layer::Handshake, Layer::Session]
        .into_iter()
        .filter(|l| *l != Layer::Tls || h.alpn.is_some() || timing(&h.timings, *l).is_some())
        .map(|layer| {
            let ms = timing(&h.timings, layer);
            let ran = ms.is_some()
                || (layer == Layer::Handshake && matches!(h.outcome, H2Outcome::Open { .. }));
            let status = status(ran, worst(findings, layer));
            Phase {
                layer,
                status,
                ms,
                reason: (status == PhaseStatus::Skipped).then_some(SkipReason::NotReached),
            }
        })
        .collect()
}

fn timing(timings: &[crate::evidence::Timing], layer: Layer) -> Option<f64> {
    timings.iter().find(|t| t.layer == layer).map(|t| t.ms)
}

fn worst(findings: &[&Finding], layer: Layer) -> Option<Severity> {
    findings
        .iter()
        .filter(|f| f.layer == layer)
        .map(|f| f.severity)
        .max()
}

fn status(ran: bool, worst: Option<Severity>) -> PhaseStatus {
    match (ran, worst) {
        (_, Some(Severity::Error)) => PhaseStatus::Failed,
        (_, Some(Severity::Warning)) => PhaseStatus::Warning,
        (true, _) | (false, Some(Severity::Info)) => PhaseStatus::Ok,
        (false, None) => PhaseStatus::Skipped,
    }
}

fn got_101(evidence: &Evidence) -> bool {
    use crate::evidence::HttpOutcome;
    matches!(
        evidence.http.as_ref().map(|h| &h.outcome),
        Some(HttpOutcome::Response(r)) if r.status == 101
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::Timing;

    fn ev() -> Evidence {
        let mut e = Evidence::default();
        e.url.effective = "ws://127.0.0.1:1/".into();
        e.timings = vec![
            Timing {
                layer: Layer::Url,
                ms: 0.1,
            },
            Timing {
                layer: Layer::Dns,
                ms: 0.0,
            },
            Timing {
                layer: Layer::Tcp,
                ms: 1.0,
            },
        ];
        e
    }

    #[test]
    fn healthy_report_exits_zero() {
        let r = Report::new(ev(), vec![]);
        assert_eq!(r.verdict, Verdict::Ok);
        assert_eq!(r.exit_code(), 0);
        assert_eq!(r.phases[0].status, PhaseStatus::Ok);
        let tls = r.phases.iter().find(|p| p.layer == Layer::Tls).unwrap();
        assert_eq!(tls.status, PhaseStatus::Skipped);
    }

    #[test]
    fn a_healthy_run_shows_the_handshake_checks_ok_and_tls_not_used() {
        let mut e = crate::rules::test_support::healthy();
        e.timings = [Layer::Dns, Layer::Tcp, Layer::Http, Layer::Session]
            .map(|layer| Timing { layer, ms: 0.5 })
            .to_vec();
        let r = Report::new(e, vec![]);
        let phase = |l: Layer| r.phases.iter().find(|p| p.layer == l).unwrap();
        assert_eq!(phase(Layer::Handshake).status, PhaseStatus::Ok);
        assert_eq!(phase(Layer::Handshake).reason, None);
        let tls = phase(Layer::Tls);
        assert_eq!(
            tls.status,
            PhaseStatus::Skipped,
            "the status values stay as they were"
        );
        assert_eq!(tls.reason, Some(SkipReason::NotUsed));
        let json = serde_json::to_value(tls).unwrap();
        assert_eq!(json["reason"], "not-used");
        let json = serde_json::to_value(phase(Layer::Http)).unwrap();
        assert!(
            json.get("reason").is_none(),
            "only skipped layers carry one"
        );
    }

    #[test]
    fn layers_after_a_failure_are_not_reached() {
        let r = Report::new(ev(), vec![Finding::new(CauseId::TcpRefused, "refused")]);
        let http = r.phases.iter().find(|p| p.layer == Layer::Http).unwrap();
        assert_eq!(http.status, PhaseStatus::Skipped);
        assert_eq!(http.reason, Some(SkipReason::NotReached));
        let handshake = r
            .phases
            .iter()
            .find(|p| p.layer == Layer::Handshake)
            .unwrap();
        assert_eq!(handshake.status, PhaseStatus::Skipped, "no 101, no checks");
    }

    #[test]
    fn first_failing_layer_sets_exit_code() {
        let r = Report::new(
            ev(),
            vec![
                Finding::new(CauseId::HttpNotFound, "404"),
                Finding::new(CauseId::TcpRefused, "refused"),
                Finding::new(CauseId::UrlIdnHost, "idn"),
            ],
        );
        assert_eq!(r.verdict, Verdict::Failed);
        assert_eq!(r.exit_code(), Layer::Tcp.exit_code());
        assert_eq!(r.findings[0].id, CauseId::UrlIdnHost);
    }

    #[test]
    fn warnings_only_exit_one() {
        let r = Report::new(ev(), vec![Finding::new(CauseId::UrlHttpScheme, "http")]);
        assert_eq!(r.verdict, Verdict::Warning);
        assert_eq!(r.exit_code(), 1);
    }
}
