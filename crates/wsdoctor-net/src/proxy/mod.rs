//! Forward proxies: choosing one like curl does, reaching it, and opening a tunnel to
//! the target through HTTP CONNECT or SOCKS5 — keeping the proxy's own answer (407
//! with its `Proxy-Authenticate`, a 403 page, a SOCKS reply code) as evidence, since
//! that answer is usually the whole diagnosis.

mod choose;
mod connect;
mod socks;

use crate::deadline::ms_since;
use crate::dns::{self, Target};
use crate::options::ProbeOptions;
use crate::stream::BoxIo;
use crate::tcp;
use crate::wire::Wire;
pub use choose::validate as validate_proxy;
pub(crate) use choose::{Chosen, Route, choose};
use tokio::time::Instant;
use wsdoctor_core::evidence::{
    DnsEvidence, DnsOutcome, ProxyEvidence, ProxyKind, ProxyOutcome, TcpOutcome,
};

/// What the proxy step produced.
pub(crate) struct Tunnel {
    pub evidence: ProxyEvidence,
    /// The target's DNS, when it was resolved here (`socks5://` resolves locally).
    pub target_dns: Option<DnsEvidence>,
    pub io: Option<BoxIo>,
}

/// The route for this probe, reading the process environment when `proxy` is `Auto`.
pub(crate) fn route(opts: &ProbeOptions) -> Route {
    choose(
        &opts.proxy,
        &opts.url.host,
        opts.url.port,
        opts.url.secure,
        &|name| std::env::var(name).ok(),
    )
}

/// Connects to the proxy and opens a tunnel to `target`.
pub(crate) async fn tunnel(
    chosen: &Chosen,
    target: &Target,
    opts: &ProbeOptions,
    end: Instant,
    wire: Wire<'_>,
) -> Tunnel {
    let start = Instant::now();
    let mut evidence = ProxyEvidence {
        url: shown_url(chosen, opts.show_secrets),
        kind: chosen.kind,
        chosen_by: chosen.chosen_by.clone(),
        outcome: ProxyOutcome::Closed,
        reply_head: None,
        reply_body: None,
        direct: None,
        ms: 0.0,
    };
    wire.note(format!(
        "Using proxy {} (chosen by {})",
        evidence.url, evidence.chosen_by
    ));
    let mut target_dns = None;
    let io = match reach(chosen, opts, end, wire).await {
        Err(detail) => {
            evidence.outcome = ProxyOutcome::Unreachable { detail };
            None
        }
        Ok(io) => match chosen.kind {
            ProxyKind::Http => {
                let reply = connect::connect(
                    io,
                    target,
                    credentials(chosen),
                    opts.show_secrets,
                    end,
                    wire,
                )
                .await;
                evidence.outcome = reply.outcome;
                evidence.reply_head = reply.head;
                evidence.reply_body = reply.body;
                reply.io
            }
            ProxyKind::Socks5 => {
                let (outcome, dns, io) =
                    socks::connect(io, target, chosen, credentials(chosen), opts, end, wire).await;
                evidence.outcome = outcome;
                target_dns = dns;
                io
            }
        },
    };
    evidence.ms = ms_since(start);
    Tunnel {
        evidence,
        target_dns,
        io,
    }
}

/// DNS and TCP to the proxy itself; the error says what failed, for `Unreachable`.
async fn reach(
    chosen: &Chosen,
    opts: &ProbeOptions,
    end: Instant,
    wire: Wire<'_>,
) -> Result<BoxIo, String> {
    let host = chosen.url.host_str().unwrap_or_default();
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = chosen
        .url
        .port_or_known_default()
        .unwrap_or(match chosen.kind {
            ProxyKind::Http => 80,
            ProxyKind::Socks5 => 1080,
        });
    let target = Target { host, port };
    let dns = dns::resolve(opts, &target, end.min(Instant::now() + dns::DNS_CAP), wire).await;
    if dns.addresses.is_empty() {
        let why = dns
            .queries
            .iter()
            .map(|q| match &q.outcome {
                DnsOutcome::NxDomain => format!("{}: NXDOMAIN", q.record),
                DnsOutcome::NoAnswer => format!("{}: no answer", q.record),
                DnsOutcome::Timeout => format!("{}: timed out", q.record),
                DnsOutcome::Error { message } => format!("{}: {message}", q.record),
                DnsOutcome::Answers { .. } => format!("{}: no usable address", q.record),
            })
            .collect::<Vec<_>>()
            .join(", ");
        return Err(format!(
            "cannot resolve the proxy host {} ({why})",
            target.host
        ));
    }
    let (tcp, stream) = tcp::connect(&dns.addresses, port, end, wire).await;
    match stream {
        Some(s) => Ok(Box::new(s)),
        None => Err(tcp
            .attempts
            .iter()
            .map(|a| format!("{} {}", a.addr, tcp_word(&a.outcome)))
            .collect::<Vec<_>>()
            .join(", ")),
    }
}

fn tcp_word(o: &TcpOutcome) -> String {
    match o {
        TcpOutcome::Connected => "connected".into(),
        TcpOutcome::Refused => "refused the connection".into(),
        TcpOutcome::TimedOut => "timed out".into(),
        TcpOutcome::Unreachable { detail } => format!("unreachable ({detail})"),
        TcpOutcome::Reset => "reset the connection".into(),
        TcpOutcome::Cancelled => "cancelled".into(),
        TcpOutcome::Error { message } | TcpOutcome::LocalLimit { message } => message.clone(),
    }
}

/// User name and password from the proxy URL's userinfo, percent-decoded.
fn credentials(chosen: &Chosen) -> Option<(String, String)> {
    let user = chosen.url.username();
    if user.is_empty() {
        return None;
    }
    let pass = chosen.url.password().unwrap_or("");
    Some((percent_decode(user), percent_decode(pass)))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn shown_url(chosen: &Chosen, show_secrets: bool) -> String {
    if show_secrets {
        chosen.url.to_string()
    } else {
        wsdoctor_core::redact::url(chosen.url.as_str())
    }
}

/// `host:port` as CONNECT and SOCKS expect it (IPv6 in brackets).
pub(crate) fn authority(target: &Target) -> String {
    if target.host.contains(':') {
        format!("[{}]:{}", target.host, target.port)
    } else {
        format!("{}:{}", target.host, target.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_percent_decoded() {
        let url = url::Url::parse("http://al%40ice:p%3Ass@proxy:3128").expect("url");
        let chosen = Chosen {
            url,
            kind: ProxyKind::Http,
            local_dns: false,
            chosen_by: "--proxy".into(),
        };
        assert_eq!(
            credentials(&chosen),
            Some(("al@ice".to_string(), "p:ss".to_string()))
        );
        assert!(!shown_url(&chosen, false).contains("p%3Ass"));
        assert_eq!(percent_decode("100%"), "100%");
    }
}
