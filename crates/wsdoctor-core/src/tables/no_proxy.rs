//! `NO_PROXY` matching: which hosts bypass the proxy the environment names. The
//! probe (wsdoctor-net) decides its route with it, and anything that explains a route
//! reads the same rule. Pure: a list, a host and a port in, yes or no out.

use std::net::IpAddr;

/// Whether `host:port` is excluded from proxying by `list`, read as curl and Go's
/// `httpproxy` read `NO_PROXY`: entries separated by commas or spaces; `*` alone
/// matches everything; a host name matches itself and its subdomains (`example.com`,
/// `.example.com` and `*.example.com` all match `a.example.com`, never
/// `badexample.com`); an IP address matches itself (`::1` or `[::1]`); a CIDR range
/// (`10.0.0.0/8`, `fd00::/8`) matches the addresses in it; an entry with a port
/// (`example.com:8443`, `[::1]:8080`, `10.0.0.1:443`) matches only that port.
/// Case and a trailing dot do not matter.
pub fn no_proxy_matches(list: &str, host: &str, port: u16) -> bool {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let ip = host.parse::<IpAddr>().ok();
    list.split([',', ' '])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            let (entry, entry_port) = split_port(entry);
            if entry_port.is_some_and(|p| p != port) {
                return false;
            }
            let entry = entry
                .trim_start_matches("*.")
                .trim_start_matches('.')
                .trim_end_matches('.')
                .to_ascii_lowercase();
            match (ip, entry.split_once('/')) {
                (Some(ip), Some((net, bits))) => cidr_contains(net, bits, ip),
                (Some(ip), None) => entry.parse::<IpAddr>().is_ok_and(|e| e == ip),
                (None, _) => host == entry || host.ends_with(&format!(".{entry}")),
            }
        })
}

/// An entry and the port it names, if any: `[::1]:8080`, `host:443`, `1.2.3.4:80`;
/// a bare IPv6 address (`::1`, `fd00::/8`) has no port.
fn split_port(entry: &str) -> (&str, Option<u16>) {
    if let Some(rest) = entry.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((addr, tail)) => (addr, tail.strip_prefix(':').and_then(|p| p.parse().ok())),
            None => (rest, None),
        };
    }
    match entry.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => match p.parse() {
            Ok(p) => (h, Some(p)),
            Err(_) => (entry, None),
        },
        _ => (entry, None),
    }
}

fn cidr_contains(net: &str, bits: &str, ip: IpAddr) -> bool {
    let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u32>()) else {
        return false;
    };
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) if bits <= 32 => {
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) if bits <= 128 => {
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::no_proxy_matches as m;

    #[test]
    fn wildcard() {
        assert!(m("*", "anything", 80));
        assert!(m("foo, *", "anything", 80));
        assert!(!m("", "anything", 80));
    }

    #[test]
    fn suffix_and_leading_dot() {
        assert!(m("example.com", "example.com", 443));
        assert!(m("example.com", "a.example.com", 443));
        assert!(m(".example.com", "a.b.example.com", 443));
        assert!(m(".example.com", "example.com", 443));
        assert!(m("*.example.com", "a.example.com", 443));
        assert!(m("EXAMPLE.com.", "a.Example.COM.", 443));
        assert!(!m("example.com", "badexample.com", 443));
        assert!(!m("a.example.com", "example.com", 443));
        assert!(m("internal,corp.test", "ws.corp.test", 443));
        assert!(!m("corp.test", "corp.test.evil", 443));
    }

    #[test]
    fn port() {
        assert!(m("example.com:8443", "example.com", 8443));
        assert!(!m("example.com:8443", "example.com", 443));
        assert!(m("10.0.0.1:443", "10.0.0.1", 443));
        assert!(!m("10.0.0.1:443", "10.0.0.1", 80));
        assert!(m("[::1]:8080", "::1", 8080));
        assert!(!m("[::1]:8080", "::1", 8081));
        assert!(m("example.com", "example.com", 1), "no port: every port");
    }

    #[test]
    fn ipv4_addresses_and_cidr() {
        assert!(m("127.0.0.1", "127.0.0.1", 80));
        assert!(!m("127.0.0.1", "127.0.0.2", 80));
        assert!(m("127.0.0.0/8", "127.0.0.2", 80));
        assert!(!m("127.0.0.0/8", "128.0.0.1", 80));
        assert!(m("10.1.0.0/16", "10.1.255.3", 80));
        assert!(m("0.0.0.0/0", "192.0.2.1", 80));
        assert!(!m("10.0.0.0/99", "10.0.0.1", 80));
        assert!(!m("10.0.0.0/8", "example.com", 80));
    }

    #[test]
    fn ipv6_addresses_and_cidr() {
        assert!(m("::1", "::1", 80));
        assert!(m("[::1]", "::1", 80));
        assert!(m("::1", "[::1]", 80));
        assert!(m("fd00::/8", "fd12:3456::1", 80));
        assert!(!m("fd00::/8", "fe80::1", 80));
        assert!(m("2001:db8::/32", "2001:db8:ffff::1", 80));
        assert!(!m("2001:db8::/129", "2001:db8::1", 80));
        assert!(!m("fd00::/8", "10.0.0.1", 80), "families never mix");
    }
}
