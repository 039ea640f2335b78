//! Name resolution with enough detail to tell NXDOMAIN, an empty answer, a timeout
//! and a broken resolver apart, per address family and with timings — which the
//! operating system's `getaddrinfo` folds into one error. The system resolver is
//! still used where it knows better (names in /etc/hosts, `localhost`) and as the
//! fallback, because it is what browsers see.

use crate::deadline::ms_since;
use crate::options::{ConnectTo, Family, ProbeOptions};
use crate::wire::Wire;
use hickory_resolver::TokioResolver;
use hickory_resolver::net::NetError;
use std::net::IpAddr;
use std::time::Duration;
use tokio::time::{Instant, timeout_at};
use wsdoctor_core::evidence::{DnsEvidence, DnsOutcome, DnsQuery, DnsSource};

/// How long DNS may take at most, whatever the overall deadline.
pub(crate) const DNS_CAP: Duration = Duration::from_secs(5);

/// The largest /etc/hosts we read; anything bigger is not a hosts file we should parse.
const HOSTS_CAP: u64 = 1024 * 1024;

/// Where the TCP connection goes: the URL's host and port unless `--connect-to` says otherwise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Target {
    pub host: String,
    pub port: u16,
}

/// Applies the first matching `--connect-to` rule (curl uses the first match too).
pub(crate) fn connect_target(host: &str, port: u16, rules: &[ConnectTo]) -> Target {
    let rule = rules.iter().find(|r| {
        r.from_host
            .as_deref()
            .is_none_or(|h| h.is_empty() || strip_brackets(h).eq_ignore_ascii_case(host))
            && r.from_port.is_none_or(|p| p == port)
    });
    match rule {
        Some(r) => Target {
            host: r
                .to_host
                .as_deref()
                .filter(|h| !h.is_empty())
                .map(strip_brackets)
                .unwrap_or(host)
                .to_string(),
            port: r.to_port.unwrap_or(port),
        },
        None => Target {
            host: host.to_string(),
            port,
        },
    }
}

/// Resolves the target, recording every query. Addresses come back filtered by
/// `-4`/`-6` and interleaved by family (RFC 8305), in the order they will be tried.
pub(crate) async fn resolve(
    opts: &ProbeOptions,
    target: &Target,
    end: Instant,
    wire: Wire<'_>,
) -> DnsEvidence {
    let start = Instant::now();
    let host = strip_brackets(&target.host).to_string();
    let (source, queries, addrs) = lookup(opts, target, &host, end).await;
    let addresses = interleave(
        addrs
            .into_iter()
            .filter(|a| opts.family.is_none_or(|f| f.matches(a)))
            .collect(),
    );
    for q in &queries {
        wire.note(describe(&host, q));
    }
    DnsEvidence {
        host,
        source,
        queries,
        addresses,
        ms: ms_since(start),
    }
}

async fn lookup(
    opts: &ProbeOptions,
    target: &Target,
    host: &str,
    end: Instant,
) -> (DnsSource, Vec<DnsQuery>, Vec<IpAddr>) {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return (DnsSource::Literal, Vec::new(), vec![ip]);
    }
    let overridden: Vec<IpAddr> = opts
        .resolve
        .iter()
        .filter(|r| (r.host == "*" || r.host.eq_ignore_ascii_case(host)) && r.port == target.port)
        .flat_map(|r| r.addrs.iter().copied())
        .collect();
    if !overridden.is_empty() {
        return (DnsSource::Override, Vec::new(), overridden);
    }
    if is_local_name(host).await {
        let q = system_query(host, target.port, end).await;
        let addrs = answers(&q);
        return (DnsSource::System, vec![q], addrs);
    }
    let mut queries = match TokioResolver::builder_tokio().and_then(|b| b.build()) {
        Ok(resolver) => per_family(&resolver, host, opts.family, end).await,
        Err(_) => Vec::new(),
    };
    let addrs: Vec<IpAddr> = queries.iter().flat_map(answers).collect();
    if !addrs.is_empty() {
        return (DnsSource::Resolver, queries, addrs);
    }
    // The configured name servers gave nothing usable (or could not be configured):
    // the OS may still know the name (nsswitch, mDNS, search domains), as a browser would.
    let q = system_query(host, target.port, end).await;
    let addrs = answers(&q);
    let source = if addrs.is_empty() && !queries.is_empty() {
        DnsSource::Resolver
    } else {
        DnsSource::System
    };
    queries.push(q);
    (source, queries, addrs)
}

/// A and AAAA as separate queries, concurrently, so each family's fate is visible.
async fn per_family(
    resolver: &TokioResolver,
    host: &str,
    family: Option<Family>,
    end: Instant,
) -> Vec<DnsQuery> {
    let a = async {
        let start = Instant::now();
        let r = timeout_at(end, resolver.ipv4_lookup(host)).await;
        query("A", r, start)
    };
    let aaaa = async {
        let start = Instant::now();
        let r = timeout_at(end, resolver.ipv6_lookup(host)).await;
        query("AAAA", r, start)
    };
    match family {
        Some(Family::V4) => vec![a.await],
        Some(Family::V6) => vec![aaaa.await],
        None => {
            let (a, aaaa) = tokio::join!(a, aaaa);
            vec![a, aaaa]
        }
    }
}

fn query(
    record: &str,
    r: Result<Result<hickory_resolver::lookup::Lookup, NetError>, tokio::time::error::Elapsed>,
    start: Instant,
) -> DnsQuery {
    let outcome = match r {
        Err(_) => DnsOutcome::Timeout,
        Ok(Ok(lookup)) => {
            let records = lookup.answers();
            let addresses: Vec<IpAddr> = records.iter().filter_map(|r| r.data.ip_addr()).collect();
            if addresses.is_empty() {
                DnsOutcome::NoAnswer
            } else {
                let ttl = records.iter().map(|r| r.ttl).min();
                DnsOutcome::Answers { addresses, ttl }
            }
        }
        Ok(Err(e)) => classify(&e),
    };
    DnsQuery {
        record: record.to_string(),
        outcome,
        ms: ms_since(start),
    }
}

fn classify(e: &NetError) -> DnsOutcome {
    if e.is_nx_domain() {
        DnsOutcome::NxDomain
    } else if e.is_no_records_found() {
        DnsOutcome::NoAnswer
    } else if matches!(e, NetError::Timeout) {
        DnsOutcome::Timeout
    } else {
        DnsOutcome::Error {
            message: e.to_string(),
        }
    }
}

/// getaddrinfo through tokio: what the OS (and a browser) sees.
async fn system_query(host: &str, port: u16, end: Instant) -> DnsQuery {
    let start = Instant::now();
    let outcome = match timeout_at(end, tokio::net::lookup_host((host, port))).await {
        Err(_) => DnsOutcome::Timeout,
        Ok(Ok(addrs)) => {
            let mut addresses: Vec<IpAddr> = Vec::new();
            for a in addrs {
                if !addresses.contains(&a.ip()) {
                    addresses.push(a.ip());
                }
            }
            if addresses.is_empty() {
                DnsOutcome::NoAnswer
            } else {
                DnsOutcome::Answers {
                    addresses,
                    ttl: None,
                }
            }
        }
        Ok(Err(e)) => classify_system(&e.to_string()),
    };
    DnsQuery {
        record: "system".to_string(),
        outcome,
        ms: ms_since(start),
    }
}

/// getaddrinfo reports through gai_strerror text only; these are glibc's and the BSDs'.
fn classify_system(message: &str) -> DnsOutcome {
    let m = message.to_ascii_lowercase();
    if m.contains("name or service not known") || m.contains("nodename nor servname") {
        DnsOutcome::NxDomain
    } else if m.contains("no address associated") {
        DnsOutcome::NoAnswer
    } else {
        DnsOutcome::Error {
            message: message.to_string(),
        }
    }
}

fn answers(q: &DnsQuery) -> Vec<IpAddr> {
    match &q.outcome {
        DnsOutcome::Answers { addresses, .. } => addresses.clone(),
        _ => Vec::new(),
    }
}

/// Names the system resolves without DNS: `localhost` (RFC 6761) and /etc/hosts entries.
async fn is_local_name(host: &str) -> bool {
    let lower = host.to_ascii_lowercase();
    let lower = lower.trim_end_matches('.');
    if lower == "localhost" || lower.ends_with(".localhost") {
        return true;
    }
    let Ok(file) = tokio::fs::File::open("/etc/hosts").await else {
        return false;
    };
    let mut text = String::new();
    use tokio::io::AsyncReadExt;
    if file
        .take(HOSTS_CAP)
        .read_to_string(&mut text)
        .await
        .is_err()
    {
        return false;
    }
    hosts_contains(&text, lower)
}

fn hosts_contains(text: &str, host: &str) -> bool {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .flat_map(|l| l.split_whitespace().skip(1))
        .any(|name| name.trim_end_matches('.').eq_ignore_ascii_case(host))
}

/// RFC 8305 §4: alternate families, starting with the family of the first answer.
fn interleave(addrs: Vec<IpAddr>) -> Vec<IpAddr> {
    let mut unique: Vec<IpAddr> = Vec::new();
    for a in addrs {
        if !unique.contains(&a) {
            unique.push(a);
        }
    }
    let Some(first) = unique.first().copied() else {
        return unique;
    };
    let (mut same, mut other): (Vec<IpAddr>, Vec<IpAddr>) = unique
        .into_iter()
        .partition(|a| a.is_ipv4() == first.is_ipv4());
    same.reverse();
    other.reverse();
    let mut out = Vec::new();
    while let Some(a) = same.pop() {
        out.push(a);
        if let Some(b) = other.pop() {
            out.push(b);
        }
    }
    out.extend(other.into_iter().rev());
    out
}

fn strip_brackets(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

fn describe(host: &str, q: &DnsQuery) -> String {
    let what = match &q.outcome {
        DnsOutcome::Answers { addresses, .. } => addresses
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        DnsOutcome::NoAnswer => "no answer".to_string(),
        DnsOutcome::NxDomain => "NXDOMAIN".to_string(),
        DnsOutcome::Timeout => "timed out".to_string(),
        DnsOutcome::Error { message } => format!("error: {message}"),
    };
    format!("{} {host}: {what} ({:.1} ms)", q.record, q.ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test literal")
    }

    #[test]
    fn interleaves_families_starting_with_the_first() {
        let got = interleave(vec![
            ip("::1"),
            ip("::2"),
            ip("::3"),
            ip("10.0.0.1"),
            ip("::1"),
        ]);
        assert_eq!(got, vec![ip("::1"), ip("10.0.0.1"), ip("::2"), ip("::3")]);
    }

    #[test]
    fn connect_to_matches_first_rule_and_keeps_unset_parts() {
        let rules = vec![
            ConnectTo {
                from_host: Some("other".into()),
                from_port: None,
                to_host: Some("x".into()),
                to_port: None,
            },
            ConnectTo {
                from_host: Some("Example.com".into()),
                from_port: Some(443),
                to_host: Some("[::1]".into()),
                to_port: None,
            },
        ];
        assert_eq!(
            connect_target("example.com", 443, &rules),
            Target {
                host: "::1".into(),
                port: 443
            }
        );
        assert_eq!(
            connect_target("example.com", 80, &rules),
            Target {
                host: "example.com".into(),
                port: 80
            }
        );
        let any = vec![ConnectTo {
            to_port: Some(8443),
            ..Default::default()
        }];
        assert_eq!(connect_target("a", 1, &any).port, 8443);
    }

    #[test]
    fn hosts_file_lookup_ignores_comments() {
        let text = "127.0.0.1 localhost\n# 10.0.0.1 hidden\n10.0.0.2 box.lan box # note\n";
        assert!(hosts_contains(text, "box"));
        assert!(hosts_contains(text, "BOX.lan"));
        assert!(!hosts_contains(text, "hidden"));
        assert!(!hosts_contains(text, "10.0.0.2"));
    }

    #[test]
    fn system_errors_are_classified() {
        assert_eq!(
            classify_system("failed to lookup address information: Name or service not known"),
            DnsOutcome::NxDomain
        );
        assert!(matches!(
            classify_system("Temporary failure in name resolution"),
            DnsOutcome::Error { .. }
        ));
    }

    #[tokio::test]
    async fn literal_and_override_skip_lookups() {
        let opts = ProbeOptions {
            resolve: vec![crate::options::Resolve {
                host: "example.test".into(),
                port: 9,
                addrs: vec![ip("127.0.0.2"), ip("::1")],
            }],
            family: Some(Family::V4),
            ..Default::default()
        };
        let end = Instant::now() + Duration::from_secs(1);
        let wire = Wire::new(&crate::NoWire, false);
        let t = Target {
            host: "example.test".into(),
            port: 9,
        };
        let ev = resolve(&opts, &t, end, wire).await;
        assert_eq!(ev.source, DnsSource::Override);
        assert_eq!(ev.addresses, vec![ip("127.0.0.2")]);
        let t = Target {
            host: "[::1]".into(),
            port: 9,
        };
        let ev = resolve(&ProbeOptions::default(), &t, end, wire).await;
        assert_eq!(ev.source, DnsSource::Literal);
        assert_eq!(ev.host, "::1");
        assert!(ev.queries.is_empty());
    }

    /// A scripted UDP name server: answers A queries per `mode`, AAAA with no records.
    async fn fake_dns(mode: &'static str) -> std::net::SocketAddr {
        let sock = tokio::net::UdpSocket::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = sock.local_addr().expect("addr");
        tokio::spawn(async move {
            let mut buf = [0u8; 512];
            while let Ok((n, peer)) = sock.recv_from(&mut buf).await {
                let q = &buf[..n];
                if q.len() < 12 || mode == "silent" {
                    continue;
                }
                // The question's type sits right after the first name.
                let mut i = 12;
                while i < n && q[i] != 0 {
                    i += usize::from(q[i]) + 1;
                }
                let qtype = q
                    .get(i + 1..i + 3)
                    .map(|t| u16::from_be_bytes([t[0], t[1]]));
                let mut r = q[..(i + 5).min(n)].to_vec();
                r[2] = 0x81;
                r[3] = if mode == "nxdomain" { 0x83 } else { 0x80 };
                r[6..12].copy_from_slice(&[0, 0, 0, 0, 0, 0]);
                if mode == "answer" && qtype == Some(1) {
                    r[7] = 1;
                    r.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 9]);
                }
                let _ = sock.send_to(&r, peer).await;
            }
        });
        addr
    }

    fn resolver_at(addr: std::net::SocketAddr) -> TokioResolver {
        use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
        let mut conn = ConnectionConfig::udp();
        conn.port = addr.port();
        let ns = NameServerConfig::new(addr.ip(), true, vec![conn]);
        let config = ResolverConfig::from_parts(None, vec![], vec![ns]);
        let mut b = TokioResolver::builder_with_config(
            config,
            hickory_resolver::net::runtime::TokioRuntimeProvider::default(),
        );
        b.options_mut().timeout = Duration::from_millis(300);
        b.options_mut().attempts = 1;
        b.build().expect("resolver")
    }

    #[tokio::test]
    async fn name_server_answers_are_told_apart_per_family() {
        let end = || Instant::now() + Duration::from_secs(2);
        let r = resolver_at(fake_dns("answer").await);
        let q = per_family(&r, "probe.test.", None, end()).await;
        assert_eq!(q[0].record, "A");
        assert_eq!(
            q[0].outcome,
            DnsOutcome::Answers {
                addresses: vec![ip("127.0.0.9")],
                ttl: Some(60)
            }
        );
        assert_eq!(
            (q[1].record.as_str(), &q[1].outcome),
            ("AAAA", &DnsOutcome::NoAnswer)
        );

        let r = resolver_at(fake_dns("nxdomain").await);
        let q = per_family(&r, "missing.test.", Some(Family::V4), end()).await;
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].outcome, DnsOutcome::NxDomain);

        let r = resolver_at(fake_dns("silent").await);
        let q = per_family(
            &r,
            "slow.test.",
            Some(Family::V6),
            Instant::now() + Duration::from_secs(1),
        )
        .await;
        assert_eq!(
            (q[0].record.as_str(), &q[0].outcome),
            ("AAAA", &DnsOutcome::Timeout)
        );
    }

    #[tokio::test]
    async fn localhost_uses_the_system_resolver() {
        let end = Instant::now() + Duration::from_secs(3);
        let t = Target {
            host: "localhost".into(),
            port: 9,
        };
        let wire = Wire::new(&crate::NoWire, false);
        let ev = resolve(&ProbeOptions::default(), &t, end, wire).await;
        assert_eq!(ev.source, DnsSource::System);
        assert_eq!(ev.queries.len(), 1);
        assert_eq!(ev.queries[0].record, "system");
        assert!(ev.addresses.iter().all(|a| a.is_loopback()));
        assert!(!ev.addresses.is_empty());
    }
}
