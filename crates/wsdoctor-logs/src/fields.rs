//! Field extraction from the line formats that carry WebSocket facts beyond a message:
//! combined access logs (nginx, Apache: the status of the Upgrade and, with
//! `$request_time` last, the session's duration), HAProxy HTTP logs (status, timers,
//! termination state, backend) and the trailing fields of nginx error.log lines
//! (request, upstream, host). Hand-written byte scanning, no allocation.

/// What an access-log line says.
#[derive(Debug, PartialEq)]
pub struct Access<'a> {
    pub method: &'a [u8],
    /// The request target, query included.
    pub target: &'a [u8],
    pub status: u16,
    /// Seconds, for a 101 whose last field is a request time (`$request_time`: `60.001`).
    pub duration: Option<f64>,
}

/// `addr - user [time] "GET /ws HTTP/1.1" 101 123 "ref" "ua" 60.001`
pub fn access(line: &[u8]) -> Option<Access<'_>> {
    // Runs on every line of an access log: a few memchr jumps, no splitting.
    let close = memchr::memchr(b']', line)?;
    let rest = &line[close + 1..];
    let q1 = memchr::memchr(b'"', rest)?;
    let request = &rest[q1 + 1..];
    let sp1 = memchr::memchr2(b' ', b'"', request)?;
    let method = &request[..sp1];
    if method.is_empty() || request[sp1] != b' ' || !method.iter().all(u8::is_ascii_uppercase) {
        return None;
    }
    let after_method = &request[sp1 + 1..];
    let sp2 = memchr::memchr2(b' ', b'"', after_method)?;
    let target = &after_method[..sp2];
    let q2 = sp2 + memchr::memchr(b'"', &after_method[sp2..])?;
    let tail = &after_method[q2 + 1..];
    let status = status3(tail.trim_ascii_start().get(..3)?)?;
    if tail.trim_ascii_start().get(3).is_some_and(|b| *b != b' ') {
        return None;
    }
    // Only an upgraded session's request time is its duration.
    let duration = if status == 101 {
        last_field(tail).and_then(float_secs)
    } else {
        None
    };
    Some(Access {
        method,
        target,
        status,
        duration,
    })
}

/// What a HAProxy HTTP log line says.
#[derive(Debug, PartialEq)]
pub struct Haproxy<'a> {
    pub backend: &'a [u8],
    pub status: u16,
    /// Total time (Ta), seconds.
    pub total: Option<f64>,
    /// The first two termination-state letters.
    pub termination: [u8; 2],
    pub target: Option<&'a [u8]>,
}

/// `… fe be/srv Tq/Tw/Tc/Tr/Ta status bytes cookie cookie TTTT conns queues "GET /ws HTTP/1.1"`
pub fn haproxy(line: &[u8]) -> Option<Haproxy<'_>> {
    let mut tokens = line
        .split(|&b| b == b' ')
        .filter(|t| !t.is_empty())
        .peekable();
    let mut prev: &[u8] = b"";
    while let Some(t) = tokens.next() {
        if is_timers(t) {
            let status = status3(tokens.next()?)?;
            let _bytes = tokens.next()?;
            let _req_cookie = tokens.next()?;
            let _resp_cookie = tokens.next()?;
            let ts = tokens.next()?;
            if ts.len() != 4 {
                return None;
            }
            let total = t.rsplit(|&b| b == b'/').next().and_then(|ta| {
                let ta = ta.strip_prefix(b"+").unwrap_or(ta);
                std::str::from_utf8(ta)
                    .ok()?
                    .parse::<i64>()
                    .ok()
                    .filter(|v| *v >= 0)
                    .map(|ms| ms as f64 / 1000.0)
            });
            let target = memchr::memchr(b'"', line).and_then(|q| {
                let req = &line[q + 1..];
                let mut p = req.split(|&b| b == b' ');
                p.next()?;
                p.next()
            });
            return Some(Haproxy {
                backend: prev,
                status,
                total,
                termination: [ts[0], ts[1]],
                target,
            });
        }
        prev = t;
    }
    None
}

/// Five slash-separated integers (`-1` allowed, `+` before the last).
fn is_timers(t: &[u8]) -> bool {
    let mut n = 0;
    for part in t.split(|&b| b == b'/') {
        let part = part.strip_prefix(b"+").unwrap_or(part);
        let part = part.strip_prefix(b"-").unwrap_or(part);
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return false;
        }
        n += 1;
    }
    n == 5
}

/// A field after an nginx error message.
#[derive(Clone, Copy)]
pub enum NginxField {
    Request,
    Upstream,
}

/// The value of `name: "value"` in the tail of an nginx error.log line.
pub fn nginx_field(line: &[u8], field: NginxField) -> Option<&[u8]> {
    use memchr::memmem::Finder;
    use std::sync::LazyLock;
    static CLIENT: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(", client: "));
    static REQUEST: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(", request: \""));
    static UPSTREAM: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(", upstream: \""));
    // The fields follow the message; searching from ", client: " skips it.
    let from = CLIENT.find(line)?;
    let finder = match field {
        NginxField::Request => &*REQUEST,
        NginxField::Upstream => &*UPSTREAM,
    };
    let start = from + finder.find(&line[from..])? + finder.needle().len();
    let v = &line[start..];
    let end = memchr::memchr(b'"', v)?;
    Some(&v[..end])
}

/// The target of an nginx `request: "GET /ws HTTP/1.1"` field.
pub fn nginx_request_target(line: &[u8]) -> Option<&[u8]> {
    let req = nginx_field(line, NginxField::Request)?;
    let mut p = req.split(|&b| b == b' ');
    p.next()?;
    p.next()
}

/// The path of a request target, without its query.
pub fn path_of(target: &[u8]) -> &[u8] {
    let end = memchr::memchr2(b'?', b'#', target).unwrap_or(target.len());
    &target[..end]
}

fn last_field(b: &[u8]) -> Option<&[u8]> {
    b.trim_ascii_end().rsplit(|&c| c == b' ').next()
}

/// `60.001` → 60.001; integers (byte counts) are not times, `-` is no value.
fn float_secs(f: &[u8]) -> Option<f64> {
    if !f.contains(&b'.') || !f.iter().all(|c| c.is_ascii_digit() || *c == b'.') {
        return None;
    }
    std::str::from_utf8(f)
        .ok()?
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite() && *v >= 0.0)
}

fn status3(f: &[u8]) -> Option<u16> {
    match *f {
        [a @ b'1'..=b'5', b @ b'0'..=b'9', c @ b'0'..=b'9'] => {
            Some(u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0'))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combined_access_line_with_request_time() {
        let l = br#"203.0.113.7 - - [01/May/2024:10:00:00 +0000] "GET /ws?token=x HTTP/1.1" 101 1834 "-" "Mozilla/5.0 (X11; Linux x86_64)" 60.002"#;
        let a = access(l).expect("parses");
        assert_eq!(
            (a.method, a.target, a.status),
            (&b"GET"[..], &b"/ws?token=x"[..], 101)
        );
        assert_eq!(a.duration, Some(60.002));
        assert_eq!(path_of(a.target), b"/ws");
    }

    #[test]
    fn combined_access_line_without_request_time() {
        let l = br#"203.0.113.7 - - [01/May/2024:10:00:00 +0000] "GET /ws HTTP/1.1" 502 157 "-" "curl/8.0""#;
        let a = access(l).expect("parses");
        assert_eq!(a.status, 502);
        assert_eq!(a.duration, None);
        assert!(access(b"2024/05/01 10:00:00 [error] 7#7: *1 upstream timed out").is_none());
    }

    #[test]
    fn haproxy_http_log_line() {
        let l = br#"May  1 10:01:00 lb haproxy[99]: 10.0.0.1:5555 [01/May/2024:10:00:00.000] fe~ be_ws/ws1 0/0/1/3/60002 101 1234 - - cD-- 10/10/5/5/0 0/0 "GET /ws HTTP/1.1""#;
        let h = haproxy(l).expect("parses");
        assert_eq!(h.backend, b"be_ws/ws1");
        assert_eq!((h.status, h.termination), (101, *b"cD"));
        assert_eq!(h.total, Some(60.002));
        assert_eq!(h.target, Some(&b"/ws"[..]));
        let refused = br#"haproxy[99]: 10.0.0.1:5555 [01/May/2024:10:00:00.000] fe be/s1 0/0/-1/-1/3001 503 212 - - SC-- 1/1/0/0/3 0/0 "GET /ws HTTP/1.1""#;
        assert_eq!(
            haproxy(refused).map(|h| (h.status, h.termination, h.total)),
            Some((503, *b"SC", Some(3.001)))
        );
    }

    #[test]
    fn nginx_error_fields() {
        let l = br#"2024/05/01 10:00:00 [error] 7#7: *1 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 10.0.0.1, server: ex.com, request: "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1", upstream: "http://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket", host: "ex.com""#;
        assert_eq!(
            nginx_request_target(l),
            Some(&b"/socket.io/?EIO=4&transport=websocket"[..])
        );
        assert_eq!(
            nginx_field(l, NginxField::Upstream),
            Some(&b"http://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket"[..])
        );
        let no_fields = b"2024/05/01 10:00:00 [error] 7#7: *1 no live upstreams";
        assert_eq!(nginx_field(no_fields, NginxField::Upstream), None);
        assert_eq!(nginx_request_target(no_fields), None);
    }
}
