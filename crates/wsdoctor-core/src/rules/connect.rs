//! Getting to the server: DNS answers, TCP attempts and the forward proxy.

use crate::catalog::CauseId;
use crate::evidence::{DnsOutcome, Evidence, ProxyEvidence, ProxyOutcome, TcpOutcome};
use crate::layer::Severity;
use crate::report::Finding;
use std::net::SocketAddr;

pub fn dns(e: &Evidence, out: &mut Vec<Finding>) {
    let Some(d) = &e.dns else { return };
    if !d.addresses.is_empty() {
        return;
    }
    let outcomes: Vec<&DnsOutcome> = d.queries.iter().map(|q| &q.outcome).collect();
    let (id, what) = if outcomes.iter().any(|o| matches!(o, DnsOutcome::NxDomain)) {
        (
            CauseId::DnsNxdomain,
            format!("{} does not exist in DNS (NXDOMAIN).", d.host),
        )
    } else if !outcomes.is_empty() && outcomes.iter().all(|o| matches!(o, DnsOutcome::Timeout)) {
        (
            CauseId::DnsTimeout,
            format!("No DNS answer for {} within the deadline.", d.host),
        )
    } else if outcomes
        .iter()
        .any(|o| matches!(o, DnsOutcome::Error { .. }))
    {
        let msg = outcomes.iter().find_map(|o| match o {
            DnsOutcome::Error { message } => Some(message.as_str()),
            _ => None,
        });
        (
            CauseId::DnsFailure,
            format!(
                "The lookup of {} failed: {}.",
                d.host,
                msg.unwrap_or("unknown error")
            ),
        )
    } else {
        let records: Vec<&str> = d.queries.iter().map(|q| q.record.as_str()).collect();
        (
            CauseId::DnsNoAnswer,
            format!("{} exists but has no {} record.", d.host, records.join("/")),
        )
    };
    let mut f = Finding::new(id, what);
    for q in &d.queries {
        f = f.evidence(format!(
            "{} query: {} in {:.0} ms",
            q.record,
            describe_dns(&q.outcome),
            q.ms
        ));
    }
    out.push(f);
}

fn describe_dns(o: &DnsOutcome) -> String {
    match o {
        DnsOutcome::Answers { addresses, .. } => addresses
            .iter()
            .map(|a| a.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        DnsOutcome::NoAnswer => "no answer".into(),
        DnsOutcome::NxDomain => "NXDOMAIN".into(),
        DnsOutcome::Timeout => "timed out".into(),
        DnsOutcome::Error { message } => format!("error: {message}"),
    }
}

pub fn tcp(e: &Evidence, out: &mut Vec<Finding>) {
    let Some(t) = &e.tcp else { return };
    let failed: Vec<_> = t
        .attempts
        .iter()
        .filter(|a| !matches!(a.outcome, TcpOutcome::Connected | TcpOutcome::Cancelled))
        .collect();
    let evidence = |f: Finding| {
        t.attempts.iter().fold(f, |f, a| {
            f.evidence(format!(
                "{}: {} after {:.0} ms",
                a.addr,
                describe_tcp(&a.outcome),
                a.ms
            ))
        })
    };
    let Some(connected) = t.connected else {
        if let Some(first) = failed.first() {
            let (id, what) = tcp_failure(&first.outcome, first.addr);
            out.push(evidence(Finding::new(id, what)));
        }
        return;
    };
    if failed.is_empty() {
        return;
    }
    let timed_out_family = failed
        .iter()
        .find(|a| a.outcome == TcpOutcome::TimedOut && a.addr.is_ipv4() != connected.is_ipv4());
    if let Some(a) = timed_out_family {
        let fam = |s: &SocketAddr| if s.is_ipv4() { "IPv4" } else { "IPv6" };
        out.push(evidence(Finding::new(
            CauseId::TcpFamilyBlackholed,
            format!(
                "{} ({}) timed out while {} ({}) connected.",
                fam(&a.addr),
                a.addr,
                fam(&connected),
                connected
            ),
        )));
    } else {
        let list: Vec<String> = failed
            .iter()
            .map(|a| format!("{} ({})", a.addr, describe_tcp(&a.outcome)))
            .collect();
        out.push(evidence(Finding::new(
            CauseId::TcpAddressFailed,
            format!("{} failed; {connected} worked.", list.join(", ")),
        )));
    }
}

fn tcp_failure(o: &TcpOutcome, addr: SocketAddr) -> (CauseId, String) {
    match o {
        TcpOutcome::Refused => (
            CauseId::TcpRefused,
            format!("{addr} refused the connection: nothing listens there."),
        ),
        TcpOutcome::TimedOut => (
            CauseId::TcpTimeout,
            format!("{addr} did not answer the TCP handshake in time."),
        ),
        TcpOutcome::Unreachable { detail } => {
            (CauseId::TcpUnreachable, format!("{addr}: {detail}."))
        }
        TcpOutcome::Reset => (CauseId::TcpReset, format!("{addr} reset the connection.")),
        TcpOutcome::Error { message } => (CauseId::TcpUnreachable, format!("{addr}: {message}.")),
        TcpOutcome::LocalLimit { message } => (
            CauseId::TcpUnreachable,
            format!("{addr}: this machine could not open a socket ({message})."),
        ),
        TcpOutcome::Connected | TcpOutcome::Cancelled => {
            (CauseId::TcpUnreachable, format!("{addr}: no outcome."))
        }
    }
}

fn describe_tcp(o: &TcpOutcome) -> String {
    match o {
        TcpOutcome::Connected => "connected".into(),
        TcpOutcome::Refused => "refused".into(),
        TcpOutcome::TimedOut => "timed out".into(),
        TcpOutcome::Unreachable { detail } => format!("unreachable ({detail})"),
        TcpOutcome::Reset => "reset".into(),
        TcpOutcome::Cancelled => "cancelled (another address won)".into(),
        TcpOutcome::Error { message } | TcpOutcome::LocalLimit { message } => message.clone(),
    }
}

pub fn proxy(e: &Evidence, out: &mut Vec<Finding>) {
    let Some(p) = &e.proxy else { return };
    let head = |f: Finding| match &p.reply_head {
        Some(h) => f.evidence(h.lines().next().unwrap_or("").to_string()),
        None => f,
    };
    let f = match &p.outcome {
        ProxyOutcome::Bypassed => Finding::new(
            CauseId::ProxyBypassed,
            format!(
                "{} ({}) was not used for {}.",
                p.url, p.chosen_by, e.url.host
            ),
        ),
        ProxyOutcome::Tunnel => Finding::new(
            CauseId::ProxyUsed,
            format!(
                "Tunnelled through {} ({:?}, chosen by {}).",
                p.url, p.kind, p.chosen_by
            ),
        ),
        ProxyOutcome::Unreachable { detail } => Finding::new(
            CauseId::ProxyUnreachable,
            format!("{} (chosen by {}): {detail}.", p.url, p.chosen_by),
        ),
        ProxyOutcome::Timeout => Finding::new(
            CauseId::ProxyUnreachable,
            format!(
                "{} (chosen by {}) did not answer in time.",
                p.url, p.chosen_by
            ),
        ),
        ProxyOutcome::AuthRequired { scheme } => head(Finding::new(
            CauseId::ProxyAuthRequired,
            format!(
                "{} answered CONNECT with 407{}.",
                p.url,
                scheme
                    .as_deref()
                    .map(|s| format!(" and asks for {s} credentials"))
                    .unwrap_or_default()
            ),
        )),
        ProxyOutcome::Refused { status } => refused(e, p, *status),
        ProxyOutcome::Closed => Finding::new(
            CauseId::ProxyTunnelClosed,
            format!("{} closed the connection during CONNECT.", p.url),
        ),
        ProxyOutcome::BadReply { message } => Finding::new(
            CauseId::ProxyBadReply,
            format!("{} (chosen by {}): {message}.", p.url, p.chosen_by),
        ),
        // A proxy URL that cannot be used, or a failure before the tunnel existed.
        ProxyOutcome::Error { message } => {
            Finding::new(CauseId::ProxyUnreachable, format!("{}: {message}.", p.url))
        }
    };
    let proxied_failed = f.is_error() || has_later_error(e);
    let Some(direct) = p.direct.as_ref().filter(|_| proxied_failed) else {
        out.push(f);
        return;
    };
    // The direct path has no proxy evidence, so this does not recurse further.
    let direct_findings = super::diagnose(direct);
    match direct_findings.iter().find(|d| d.is_error()) {
        None => {
            out.push(f);
            out.push(
                Finding::new(
                    CauseId::ProxyDirectWorks,
                    "Direct, without the proxy, the same check works: the proxy is the difference.",
                )
                .severity(Severity::Info),
            );
        }
        Some(d) => out.push(f.evidence(format!(
            "direct, without the proxy, the check fails too: {} ({})",
            d.id, d.title
        ))),
    }
}

/// Whether the proxied probe failed after the tunnel was up (TLS, HTTP, session…).
fn has_later_error(e: &Evidence) -> bool {
    let without_proxy = Evidence {
        proxy: None,
        ..e.clone()
    };
    super::diagnose(&without_proxy)
        .iter()
        .any(Finding::is_error)
}

/// A CONNECT answered with an error status. A proxy that tried and could not reach
/// the server says so (squid: `X-Squid-Error: ERR_CONNECT_FAIL 111`; 502/503/504):
/// that is the server's or the network's fault, reported with the id the same
/// failure gets without a proxy. Anything else is the proxy's policy.
fn refused(e: &Evidence, p: &ProxyEvidence, status: u16) -> Finding {
    let head = p.reply_head.as_deref().unwrap_or("");
    let squid = head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("x-squid-error")
            .then(|| value.trim().to_string())
    });
    let target = format!("{}:{}", e.url.host, e.url.port);
    let said = proxy_said(p, squid.as_deref());
    let upstream = match squid
        .as_deref()
        .map(|s| s.split_whitespace().collect::<Vec<_>>())
    {
        Some(w) if w.first() == Some(&"ERR_CONNECT_FAIL") => Some(match w.get(1).copied() {
            Some("111") => (
                CauseId::TcpRefused,
                format!("{target} refused the proxy's connection: nothing listens there."),
            ),
            Some("110") => (
                CauseId::TcpTimeout,
                format!("The proxy's connection to {target} timed out."),
            ),
            _ => (
                CauseId::TcpUnreachable,
                format!("The proxy could not connect to {target}."),
            ),
        }),
        Some(w) if w.first() == Some(&"ERR_DNS_FAIL") => Some((
            CauseId::DnsNxdomain,
            format!("The proxy could not resolve {}.", e.url.host),
        )),
        Some(_) if matches!(status, 502..=504) => Some((
            CauseId::TcpUnreachable,
            format!("The proxy could not reach {target}."),
        )),
        None if matches!(status, 502 | 504) => Some((
            CauseId::TcpUnreachable,
            format!("The proxy could not reach {target} (status {status})."),
        )),
        _ => None,
    };
    let f = match upstream {
        Some((id, detail)) => Finding::new(id, detail).evidence(format!(
            "via {} (chosen by {}), CONNECT answered {status}",
            p.url, p.chosen_by
        )),
        None => Finding::new(
            CauseId::ProxyConnectRefused,
            format!(
                "{} refused CONNECT to {target} with status {status}.",
                p.url
            ),
        ),
    };
    let f = match head.lines().next() {
        Some(l) if !l.is_empty() => f.evidence(l.to_string()),
        _ => f,
    };
    match said {
        Some(s) => f.evidence(format!("proxy said: {s}")),
        None => f,
    }
}

/// The proxy's own words: squid's error code, else the page's <title>, else its first
/// line of text.
fn proxy_said(p: &ProxyEvidence, squid: Option<&str>) -> Option<String> {
    if let Some(s) = squid {
        return Some(s.to_string());
    }
    let body = p.reply_body.as_deref()?.trim();
    let lower = body.to_ascii_lowercase();
    if let (Some(a), Some(b)) = (lower.find("<title>"), lower.find("</title>"))
        && a + 7 <= b
    {
        return Some(body[a + 7..b].trim().to_string());
    }
    let line = first_line(body);
    (!line.is_empty()).then_some(line)
}

pub(crate) fn first_line(s: &str) -> String {
    let l = s
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    l.chars().take(160).collect()
}

#[cfg(test)]
mod tests {
    use crate::CauseId;
    use crate::evidence::*;
    use crate::rules::test_support::ids;

    fn dns(outcomes: &[DnsOutcome]) -> Evidence {
        let queries = outcomes
            .iter()
            .zip(["A", "AAAA"])
            .map(|(o, r)| DnsQuery {
                record: r.into(),
                outcome: o.clone(),
                ms: 1.0,
            })
            .collect();
        Evidence {
            dns: Some(DnsEvidence {
                host: "h.example".into(),
                source: DnsSource::Resolver,
                queries,
                addresses: vec![],
                ms: 1.0,
            }),
            ..Evidence::default()
        }
    }

    #[test]
    fn dns_outcomes_are_told_apart() {
        assert_eq!(
            ids(&dns(&[DnsOutcome::NxDomain, DnsOutcome::NxDomain])),
            [CauseId::DnsNxdomain]
        );
        assert_eq!(
            ids(&dns(&[DnsOutcome::NoAnswer, DnsOutcome::NoAnswer])),
            [CauseId::DnsNoAnswer]
        );
        assert_eq!(
            ids(&dns(&[DnsOutcome::Timeout, DnsOutcome::Timeout])),
            [CauseId::DnsTimeout]
        );
        assert_eq!(
            ids(&dns(&[DnsOutcome::Error {
                message: "SERVFAIL".into()
            }])),
            [CauseId::DnsFailure]
        );
    }

    fn tcp(attempts: &[(&str, TcpOutcome)], connected: Option<&str>) -> Evidence {
        Evidence {
            tcp: Some(TcpEvidence {
                attempts: attempts
                    .iter()
                    .map(|(a, o)| TcpAttempt {
                        addr: a.parse().unwrap(),
                        started_ms: 0.0,
                        ms: 1.0,
                        outcome: o.clone(),
                    })
                    .collect(),
                connected: connected.map(|c| c.parse().unwrap()),
            }),
            ..Evidence::default()
        }
    }

    #[test]
    fn tcp_failures_are_classified() {
        assert_eq!(
            ids(&tcp(&[("127.0.0.1:1", TcpOutcome::Refused)], None)),
            [CauseId::TcpRefused]
        );
        assert_eq!(
            ids(&tcp(&[("10.0.0.1:1", TcpOutcome::TimedOut)], None)),
            [CauseId::TcpTimeout]
        );
        assert_eq!(
            ids(&tcp(&[("127.0.0.1:1", TcpOutcome::Reset)], None)),
            [CauseId::TcpReset]
        );
        let unreachable = TcpOutcome::Unreachable {
            detail: "no route to host".into(),
        };
        assert_eq!(
            ids(&tcp(&[("127.0.0.1:1", unreachable)], None)),
            [CauseId::TcpUnreachable]
        );
    }

    #[test]
    fn a_blackholed_family_is_a_finding_when_the_other_works() {
        let e = tcp(
            &[
                ("[2001:db8::1]:443", TcpOutcome::TimedOut),
                ("192.0.2.1:443", TcpOutcome::Connected),
            ],
            Some("192.0.2.1:443"),
        );
        assert_eq!(ids(&e), [CauseId::TcpFamilyBlackholed]);
        let e = tcp(
            &[
                ("192.0.2.2:443", TcpOutcome::Refused),
                ("192.0.2.1:443", TcpOutcome::Connected),
            ],
            Some("192.0.2.1:443"),
        );
        assert_eq!(ids(&e), [CauseId::TcpAddressFailed]);
        let e = tcp(
            &[
                ("192.0.2.1:443", TcpOutcome::Connected),
                ("[2001:db8::1]:443", TcpOutcome::Cancelled),
            ],
            Some("192.0.2.1:443"),
        );
        assert!(ids(&e).is_empty());
    }

    fn proxy(outcome: ProxyOutcome) -> Evidence {
        Evidence {
            proxy: Some(ProxyEvidence {
                url: "http://127.0.0.1:3128".into(),
                kind: ProxyKind::Http,
                chosen_by: "--proxy".into(),
                outcome,
                reply_head: Some("HTTP/1.1 403 Forbidden".into()),
                reply_body: Some("Access Denied".into()),
                direct: None,
                ms: 1.0,
            }),
            ..Evidence::default()
        }
    }

    #[test]
    fn a_proxy_that_cannot_reach_the_server_blames_the_server() {
        let mut e = proxy(ProxyOutcome::Refused { status: 503 });
        let p = e.proxy.as_mut().unwrap();
        p.reply_head =
            Some("HTTP/1.1 503 Service Unavailable\r\nX-Squid-Error: ERR_CONNECT_FAIL 111".into());
        p.reply_body = Some("<!DOCTYPE html><html><head><title>ERROR: The requested URL could not be retrieved</title>".into());
        let f = crate::diagnose(&e);
        assert_eq!(
            f.iter().map(|f| f.id).collect::<Vec<_>>(),
            [CauseId::TcpRefused]
        );
        assert!(
            f[0].evidence
                .iter()
                .any(|l| l == "proxy said: ERR_CONNECT_FAIL 111")
        );
        e.proxy.as_mut().unwrap().reply_head =
            Some("HTTP/1.1 503 x\r\nX-Squid-Error: ERR_DNS_FAIL 0".into());
        assert_eq!(ids(&e), [CauseId::DnsNxdomain]);
        // A policy refusal keeps its own id, quoting the page title, not the doctype.
        let mut e = proxy(ProxyOutcome::Refused { status: 403 });
        e.proxy.as_mut().unwrap().reply_body =
            Some("<!DOCTYPE html><title>Access Denied</title>".into());
        let f = crate::diagnose(&e);
        assert_eq!(f[0].id, CauseId::ProxyConnectRefused);
        assert!(
            f[0].evidence
                .iter()
                .any(|l| l == "proxy said: Access Denied")
        );
    }

    #[test]
    fn bypassed_proxy_is_noted() {
        assert_eq!(
            ids(&proxy(ProxyOutcome::Bypassed)),
            [CauseId::ProxyBypassed]
        );
    }

    #[test]
    fn compare_direct_diagnoses_the_direct_path_alike() {
        let mut e = proxy(ProxyOutcome::Refused { status: 403 });
        e.proxy.as_mut().unwrap().direct = Some(Box::new(crate::rules::test_support::healthy()));
        assert_eq!(
            ids(&e),
            [CauseId::ProxyConnectRefused, CauseId::ProxyDirectWorks]
        );
        let mut broken = crate::rules::test_support::healthy();
        broken.session.as_mut().unwrap().ping = PingOutcome::NoPong { waited_ms: 3000.0 };
        e.proxy.as_mut().unwrap().direct = Some(Box::new(broken.clone()));
        let f = crate::diagnose(&e);
        assert_eq!(
            f.iter().map(|f| f.id).collect::<Vec<_>>(),
            [CauseId::ProxyConnectRefused]
        );
        assert!(f[0].evidence.iter().any(|l| l.contains("session-no-pong")));
        // Both paths working: nothing to compare.
        let mut e = proxy(ProxyOutcome::Tunnel);
        e.proxy.as_mut().unwrap().direct = Some(Box::new(crate::rules::test_support::healthy()));
        assert_eq!(ids(&e), [CauseId::ProxyUsed]);
    }

    #[test]
    fn proxy_outcomes() {
        assert_eq!(ids(&proxy(ProxyOutcome::Tunnel)), [CauseId::ProxyUsed]);
        assert_eq!(
            ids(&proxy(ProxyOutcome::AuthRequired {
                scheme: Some("Basic".into())
            })),
            [CauseId::ProxyAuthRequired]
        );
        assert_eq!(
            ids(&proxy(ProxyOutcome::Refused { status: 403 })),
            [CauseId::ProxyConnectRefused]
        );
        assert_eq!(
            ids(&proxy(ProxyOutcome::Closed)),
            [CauseId::ProxyTunnelClosed]
        );
        assert_eq!(
            ids(&proxy(ProxyOutcome::Unreachable {
                detail: "refused".into()
            })),
            [CauseId::ProxyUnreachable]
        );
        assert_eq!(
            ids(&proxy(ProxyOutcome::BadReply {
                message: "the proxy did not answer CONNECT with HTTP".into()
            })),
            [CauseId::ProxyBadReply]
        );
    }
}
