//! Human output for a check: one line per layer with status and time, then each
//! finding with its evidence, the fix and the catalog id.

use crate::output::{Paint, Style};
use std::io::{self, Write};
use wsdoctor_core::evidence::{
    CloseOutcome, DnsSource, Evidence, HttpOutcome, MessageOutcome, PingOutcome, TlsOutcome,
};
use wsdoctor_core::{Finding, Layer, PhaseStatus, Report, Severity, dates};

pub fn report(r: &Report, style: Style, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "{} {}",
        style.paint("wsdoctor check", Paint::Bold),
        r.target
    )?;
    writeln!(out)?;
    for p in &r.phases {
        let status = match p.status {
            PhaseStatus::Ok => style.paint("ok     ", Paint::Ok),
            PhaseStatus::Warning => style.paint("warning", Paint::Warn),
            PhaseStatus::Failed => style.paint("failed ", Paint::Error),
            PhaseStatus::Skipped => style.paint("skipped", Paint::Dim),
        };
        let ms =
            p.ms.map(|m| format!("{m:>8.1} ms"))
                .unwrap_or_else(|| " ".repeat(11));
        let summary = summary(p.layer, &r.evidence);
        writeln!(
            out,
            "  {:<10} {status} {ms}  {}",
            p.layer.as_str(),
            style.paint(&summary, Paint::Dim)
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
            &format!("[{} · {} · {}]", f.id, f.layer, f.severity.as_str()),
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
        Layer::Session => e.session.as_ref().map_or(String::new(), |s| {
            let msg = match &s.message {
                MessageOutcome::Echoed { ms } => format!("echo {ms:.1} ms"),
                MessageOutcome::Received { ms, .. } => format!("message {ms:.1} ms"),
                MessageOutcome::NoReply { .. } => "no reply".into(),
                MessageOutcome::NotTried => "message not tried".into(),
            };
            let ping = match &s.ping {
                PingOutcome::Pong { ms, .. } => format!("pong {ms:.1} ms"),
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
        }),
        Layer::Async => {
            let mut parts = Vec::new();
            if let Some(i) = &e.idle {
                parts.push(match &i.cut {
                    Some(c) => format!("idle cut after {:.1} s", c.after_ms / 1000.0),
                    None => format!("held idle {:.0} s", i.requested_s),
                });
            }
            if let Some(l) = &e.load {
                parts.push(format!(
                    "rtt p50 {:.1} → {:.1} ms under {} connections",
                    l.idle_rtt_p50_ms, l.loaded_rtt_p50_ms, l.connections
                ));
            }
            parts.join(", ")
        }
        _ => String::new(),
    }
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
}
