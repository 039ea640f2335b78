//! Human output for a check: one line per layer with status and time, then each
//! finding with its evidence, the fix and the catalog id.

use crate::output::{Paint, Style};
use std::io::{self, Write};
use wsdoctor_core::evidence::{
    CloseOutcome, DnsSource, Evidence, H2Evidence, H2Outcome, HttpOutcome, MessageOutcome,
    PingOutcome, SessionEvidence, TlsOutcome,
};
use wsdoctor_core::{Finding, Layer, PhaseStatus, Report, Severity, SkipReason, dates};

pub fn report(r: &Report, style: Style, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "{} {}",
        style.paint("wsdoctor check", Paint::Bold),
        r.target
    )?;
    writeln!(out)?;
    for p in &r.phases {
        phase(p, summary(p.layer, &r.evidence), &r.evidence, style, out)?;
    }
    if let (Some(t), Some(h)) = (&r.h2, &r.evidence.h2) {
        writeln!(
            out,
            "  {}",
            style.paint("over HTTP/2 (RFC 8441):", Paint::Bold)
        )?;
        for p in &t.phases {
            phase(p, h2_summary(p.layer, h), &r.evidence, style, out)?;
        }
    }
    if let Some(b) = r.browser_path {
        writeln!(
            out,
            "  {}",
            style.paint(&format!("a browser would use: {}", b.as_str()), Paint::Dim)
        )?;
    }
    chain(&r.evidence, style, out)?;
    if !r.findings.is_empty() {
        writeln!(out)?;
    }
    for f in &r.findings {
        finding(f, style, out)?;
    }
    writeln!(out)?;
    let verdict = match r.verdict {
        wsdoctor_core::Verdict::Ok => style.paint("ok: the WebSocket endpoint works", Paint::Ok),
        wsdoctor_core::Verdict::Warning => style.paint("works, with warnings", Paint::Warn),
        wsdoctor_core::Verdict::Failed => style.paint(
            &format!(
                "failed at the {} layer",
                r.failing_layer().map_or("?", Layer::as_str)
            ),
            Paint::Error,
        ),
    };
    writeln!(out, "verdict: {verdict} (exit {})", r.exit_code())
}

fn phase(
    p: &wsdoctor_core::Phase,
    summary: String,
    e: &Evidence,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let status = match p.status {
        PhaseStatus::Ok => style.paint("ok     ", Paint::Ok),
        PhaseStatus::Warning => style.paint("warning", Paint::Warn),
        PhaseStatus::Failed => style.paint("failed ", Paint::Error),
        PhaseStatus::Skipped => style.paint("skipped", Paint::Dim),
    };
    let ms =
        p.ms.map(|m| format!("{:>11}", duration(m)))
            .unwrap_or_else(|| " ".repeat(11));
    let summary = match (p.reason, summary) {
        (Some(SkipReason::NotUsed), s) if s.is_empty() => format!("not used ({})", scheme(e)),
        (Some(SkipReason::NotReached), s) if s.is_empty() => "not reached".into(),
        (_, s) => s,
    };
    writeln!(
        out,
        "  {:<10} {status} {ms}  {}",
        p.layer.as_str(),
        style.paint(&summary, Paint::Dim)
    )
}

/// A few words per layer of the HTTP/2 probe.
fn h2_summary(layer: Layer, h: &H2Evidence) -> String {
    match layer {
        Layer::Tls => format!("ALPN {}", h.alpn.as_deref().unwrap_or("none")),
        Layer::Http => match &h.outcome {
            H2Outcome::NotTried => String::new(),
            H2Outcome::NotNegotiated => "HTTP/2 not offered".into(),
            H2Outcome::NotHttp2 { message, .. } => format!("not HTTP/2: {message}"),
            H2Outcome::Failed { message } => message.clone(),
            H2Outcome::NotAdvertised => "no SETTINGS_ENABLE_CONNECT_PROTOCOL".into(),
            H2Outcome::NoAnswer { .. } => "CONNECT unanswered".into(),
            H2Outcome::Reset { error } => format!("CONNECT reset: {}", error.name),
            H2Outcome::Rejected { status } | H2Outcome::Open { status } => {
                format!("extended CONNECT → {status}")
            }
            _ => String::new(),
        },
        Layer::Handshake if matches!(h.outcome, H2Outcome::Open { .. }) => {
            "RFC 8441 §5 checks".into()
        }
        Layer::Session => h.session.as_ref().map_or(String::new(), session),
        _ => String::new(),
    }
}

/// One finding block. Shared by `check` and `tour`.
pub fn finding(f: &Finding, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let (mark, paint) = match f.severity {
        Severity::Error => ("✗", Paint::Error),
        Severity::Warning => ("!", Paint::Warn),
        Severity::Info => ("i", Paint::Info),
    };
    writeln!(
        out,
        "{} {}  {}",
        style.paint(mark, paint),
        style.paint(&f.title, Paint::Bold),
        style.paint(
            &match f.transport {
                Some(t) => format!(
                    "[{} · {} · {} · {}]",
                    f.id,
                    f.layer,
                    f.severity.as_str(),
                    t.as_str()
                ),
                None => format!("[{} · {} · {}]", f.id, f.layer, f.severity.as_str()),
            },
            Paint::Dim
        )
    )?;
    writeln!(out, "    {}", f.detail)?;
    for e in &f.evidence {
        writeln!(out, "    {} {e}", style.paint("·", Paint::Dim))?;
    }
    writeln!(out, "    {} {}", style.paint("fix:", paint), f.fix)
}

fn chain(e: &Evidence, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let Some(t) = &e.tls else { return Ok(()) };
    if t.chain.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "  certificate chain as sent by the server:")?;
    for (i, c) in t.chain.iter().enumerate() {
        let days = dates::days_between(e.checked_at, c.not_after);
        let expiry = if days < 0 {
            style.paint(
                &format!("expired {} ({} days ago)", dates::utc(c.not_after), -days),
                Paint::Error,
            )
        } else {
            format!("expires {} (in {days} days)", dates::utc(c.not_after))
        };
        writeln!(out, "    {i} {}", c.subject)?;
        writeln!(out, "      issuer {}  ·  {expiry}", c.issuer)?;
        if !c.sans.is_empty() {
            writeln!(out, "      names  {}", c.sans.join(", "))?;
        }
    }
    Ok(())
}

/// A time for people: milliseconds with one decimal, microseconds below 0.1 ms (where
/// one decimal of a millisecond would read `0.0 ms`).
pub fn duration(ms: f64) -> String {
    if ms < 0.1 {
        format!("{:.0} µs", ms * 1000.0)
    } else {
        format!("{ms:.1} ms")
    }
}

fn scheme(e: &Evidence) -> &'static str {
    if e.url.secure { "wss://" } else { "ws://" }
}

/// A few words per layer: what was seen there.
fn summary(layer: Layer, e: &Evidence) -> String {
    match layer {
        Layer::Url => e.url.effective.clone(),
        Layer::Dns => e.dns.as_ref().map_or(String::new(), |d| {
            let how = match d.source {
                DnsSource::Literal => "literal",
                DnsSource::Override => "--resolve",
                DnsSource::System => "system resolver",
                DnsSource::Resolver => "DNS",
            };
            let addrs: Vec<String> = d.addresses.iter().take(4).map(|a| a.to_string()).collect();
            format!(
                "{} ({how})",
                if addrs.is_empty() {
                    "no address".into()
                } else {
                    addrs.join(", ")
                }
            )
        }),
        Layer::Tcp => e.tcp.as_ref().map_or(String::new(), |t| match t.connected {
            Some(a) => format!("connected to {a} ({} attempt(s))", t.attempts.len()),
            None => format!("no connection ({} attempt(s))", t.attempts.len()),
        }),
        Layer::Proxy => e
            .proxy
            .as_ref()
            .map_or(String::new(), |p| format!("{} ({})", p.url, p.chosen_by)),
        Layer::Tls => e.tls.as_ref().map_or(String::new(), |t| match &t.outcome {
            TlsOutcome::Established => {
                [t.version.as_deref(), t.cipher.as_deref(), t.alpn.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(", ")
            }
            TlsOutcome::Failed { message, .. } => message.clone(),
            TlsOutcome::NotTls { .. } => "the server answered in plaintext".into(),
            TlsOutcome::Silence => "no answer to the ClientHello".into(),
            TlsOutcome::Closed => "closed during the handshake".into(),
        }),
        Layer::Http => e.http.as_ref().map_or(String::new(), |h| match &h.outcome {
            HttpOutcome::Response(r) => format!("HTTP/1.{} {} {}", r.version, r.status, r.reason),
            HttpOutcome::Silence => "no answer".into(),
            HttpOutcome::Closed => "closed without an answer".into(),
            HttpOutcome::Reset => "reset".into(),
            HttpOutcome::NotHttp { .. } => "not HTTP".into(),
            HttpOutcome::HeadTooLarge { limit } => format!("head over {limit} bytes"),
            HttpOutcome::Malformed { message, .. } => message.clone(),
        }),
        Layer::Handshake => match e.http.as_ref().map(|h| &h.outcome) {
            Some(HttpOutcome::Response(r)) if r.status == 101 => "RFC 6455 §4.1 checks".into(),
            _ => String::new(),
        },
        Layer::Session => e.session.as_ref().map_or(String::new(), session),
        Layer::Async => {
            let mut parts = Vec::new();
            if let Some(i) = &e.idle {
                parts.push(match &i.cut {
                    Some(c) => format!("idle cut after {:.1} s", c.after_ms / 1000.0),
                    None if i.messages > 0 => format!(
                        "not idle: {} message(s) from the server during the {:.0} s hold",
                        i.messages, i.requested_s
                    ),
                    None => format!("held idle {:.0} s", i.requested_s),
                });
            }
            if let Some(l) = &e.load {
                parts.push(format!(
                    "rtt p50 {} → {} under {} connections",
                    duration(l.idle_rtt_p50_ms),
                    duration(l.loaded_rtt_p50_ms),
                    l.connections
                ));
            }
            parts.join(", ")
        }
        _ => String::new(),
    }
}

/// The session's three steps in a few words (the HTTP/1.1 walk's and the HTTP/2 stream's).
fn session(s: &SessionEvidence) -> String {
    let msg = match &s.message {
        MessageOutcome::Echoed { ms } => format!("echo {}", duration(*ms)),
        MessageOutcome::Received { ms, .. } => format!("message {}", duration(*ms)),
        MessageOutcome::NoReply { .. } => "no reply".into(),
        MessageOutcome::NotTried => "message not tried".into(),
    };
    let ping = match &s.ping {
        PingOutcome::Pong { ms, .. } => format!("pong {}", duration(*ms)),
        PingOutcome::NoPong { .. } => "no pong".into(),
        PingOutcome::NotTried => "ping not tried".into(),
    };
    let close = match &s.close {
        CloseOutcome::Clean { code, .. } => {
            format!("closed {}", code.map_or("-".into(), |c| c.to_string()))
        }
        CloseOutcome::ByServer { code, .. } => {
            format!(
                "server closed {}",
                code.map_or("-".into(), |c| c.to_string())
            )
        }
        CloseOutcome::Eof { .. } => "dropped (1006)".into(),
        CloseOutcome::Reset { .. } => "reset".into(),
        CloseOutcome::NoAnswer { .. } => "close unanswered".into(),
        CloseOutcome::FailedByUs { code } => format!("failed by us ({code})"),
        CloseOutcome::NotTried => "close not tried".into(),
    };
    format!("{msg}, {ping}, {close}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsdoctor_core::evidence::{Timing, UrlEvidence};
    use wsdoctor_core::{CauseId, Evidence, Finding};

    fn render(r: &Report) -> String {
        let mut out = Vec::new();
        report(r, Style::plain(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn one_line_per_layer_then_findings_then_verdict() {
        let e = Evidence {
            url: UrlEvidence {
                effective: "ws://127.0.0.1:1/".into(),
                ..UrlEvidence::default()
            },
            timings: vec![
                Timing {
                    layer: Layer::Dns,
                    ms: 0.0,
                },
                Timing {
                    layer: Layer::Tcp,
                    ms: 1.5,
                },
            ],
            ..Evidence::default()
        };
        let r = Report::new(e, vec![Finding::new(CauseId::TcpRefused, "refused")]);
        let text = render(&r);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[2].trim_start().starts_with("url "), "{text}");
        assert!(
            lines
                .iter()
                .any(|l| l.trim_start().starts_with("tcp        failed")),
            "{text}"
        );
        assert!(text.contains("[tcp-refused · tcp · error]"), "{text}");
        assert!(lines.last().unwrap().ends_with("(exit 12)"), "{text}");
        assert!(!text.contains('\x1b'), "no colour in plain style");
    }

    fn healthy_ws() -> Report {
        let mut e = Evidence {
            url: wsdoctor_core::url::analyze("ws://127.0.0.1:9/ws", false),
            ..Evidence::default()
        };
        e.http = Some(wsdoctor_core::evidence::HttpEvidence {
            outcome: HttpOutcome::Response(wsdoctor_core::evidence::HttpResponse {
                version: 1,
                status: 101,
                ..Default::default()
            }),
            ..Default::default()
        });
        e.session = Some(wsdoctor_core::evidence::SessionEvidence {
            message: MessageOutcome::Echoed { ms: 0.042 },
            ping: PingOutcome::Pong {
                ms: 0.25,
                payload_matches: true,
            },
            ..Default::default()
        });
        e.timings = [
            (Layer::Dns, 0.004),
            (Layer::Http, 0.8),
            (Layer::Session, 0.6),
        ]
        .map(|(layer, ms)| Timing { layer, ms })
        .to_vec();
        Report::new(e, vec![])
    }

    fn line<'a>(text: &'a str, layer: &str) -> &'a str {
        text.lines()
            .find(|l| l.trim_start().starts_with(&format!("{layer} ")))
            .unwrap_or_else(|| panic!("no {layer} line in {text}"))
    }

    #[test]
    fn a_healthy_ws_run_shows_the_handshake_ok_and_tls_not_used() {
        let text = render(&healthy_ws());
        assert!(
            line(&text, "handshake").contains("handshake  ok "),
            "{text}"
        );
        let tls = line(&text, "tls");
        assert!(
            tls.contains("skipped") && tls.ends_with("not used (ws://)"),
            "{text}"
        );
    }

    #[test]
    fn times_below_a_tenth_of_a_millisecond_are_microseconds() {
        let text = render(&healthy_ws());
        assert!(line(&text, "dns").contains("  4 µs"), "{text}");
        assert!(line(&text, "http").contains("0.8 ms"), "{text}");
        assert!(
            line(&text, "session").contains("echo 42 µs, pong 0.2 ms"),
            "{text}"
        );
        assert!(!text.contains("0.0 ms"), "{text}");
    }
}
