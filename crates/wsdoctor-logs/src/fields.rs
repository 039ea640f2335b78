//! Field extraction from the line formats that carry WebSocket facts beyond a message:
//! combined access logs (nginx, Apache, Traefik: the status of the Upgrade and, with a
//! duration as the last field, the session's length), HAProxy HTTP and TCP logs
//! (status, timers, termination state, backend), AWS ALB access logs and the trailing
//! fields of nginx error.log lines (request, upstream, host). Hand-written byte
//! scanning, no allocation. Formats written as templates are in `template`, JSON
//! ones in `json`; all of them yield a [`Request`].

/// What an access-log line says, in whichever format it was written.
#[derive(Debug, Default, PartialEq)]
pub struct Request<'a> {
    pub method: &'a [u8],
    /// The request target, query included.
    pub target: &'a [u8],
    pub status: u16,
    /// Seconds the exchange lasted; for a 101, the session.
    pub duration: Option<f64>,
    /// The backend as the proxy names it (an upstream name, a backend/server, an address).
    pub upstream: Option<&'a [u8]>,
    /// The status the upstream answered (the last attempt's).
    pub upstream_status: Option<u16>,
    /// Envoy's response flags (`UF,URX`); empty when none.
    pub flags: &'a [u8],
}

/// `addr - user [time] "GET /ws HTTP/1.1" 101 123 "ref" "ua" 60.001`
///
/// A last field after the quoted ones is a duration: `60.001` is nginx's
/// `$request_time` (seconds), `60001ms` Traefik's (milliseconds), an integer Apache's
/// `%D` (microseconds). Traefik writes status `0` for a connection it handed over to
/// the backend (an upgraded WebSocket): that reads as 101.
pub fn access(line: &[u8]) -> Option<Request<'_>> {
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
    let tail = after_method[q2 + 1..].trim_ascii_start();
    let (mut status, code_len) = match (status3(tail.get(..3)?), tail.get(..2)) {
        (Some(s), _) => (s, 3),
        (None, Some(b"0 ")) => (0, 1),
        _ => return None,
    };
    if tail.get(code_len).is_some_and(|b| *b != b' ') {
        return None;
    }
    let mut duration = None;
    // Only after a quoted field is a last number not the byte count of `%b`.
    if memchr::memchr(b'"', tail).is_some()
        && let Some(last) = last_field(tail)
    {
        duration = if let Some(ms) = last.strip_suffix(b"ms") {
            integer(ms).map(|n| n as f64 / 1e3)
        } else if last.contains(&b'.') {
            float_secs(last)
        } else {
            integer(last).map(|n| n as f64 / 1e6)
        };
        if status == 0 && last.ends_with(b"ms") {
            status = 101;
        }
    }
    if status == 0 {
        return None;
    }
    Some(Request {
        method,
        target,
        status,
        duration,
        ..Request::default()
    })
}

/// An AWS Application Load Balancer access-log entry
/// (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html>):
/// `ws 2018-07-02T22:23:00.186641Z app/my-lb/50dc… 10.0.0.140:40914 10.0.1.192:8010
/// 0.001 0.003 0.000 101 101 218 587 "GET http://10.0.0.30:80/ HTTP/1.1" "-" - - arn:…
/// "Root=…" "-" "-" 1 2018-07-02T22:22:48.364000Z "forward" …`. For `ws`/`wss` the
/// entry is written when the connection closes, so the session lasted from
/// `request_creation_time` to `time`.
pub fn alb(line: &[u8]) -> Option<Request<'_>> {
    let mut f = AlbFields { rest: line };
    let kind = f.next()?;
    if !matches!(kind, b"http" | b"https" | b"h2" | b"ws" | b"wss" | b"grpcs") {
        return None;
    }
    let time = f.next()?;
    if !f.next()?.starts_with(b"app/") {
        return None;
    }
    let _client = f.next()?;
    let target_addr = f.next()?;
    let times = [f.next()?, f.next()?, f.next()?];
    let status = status3(f.next()?);
    let target_status = status3(f.next()?);
    let _received = f.next()?;
    let _sent = f.next()?;
    let request = f.next()?;
    let mut w = request.splitn(3, |&b| b == b' ');
    let method = w.next().unwrap_or_default();
    let url = w.next().unwrap_or_default();
    // The target of `GET http://10.0.0.30:80/chat?x=1 HTTP/1.1` is its path.
    let target = url
        .windows(3)
        .position(|w| w == b"://")
        .and_then(|i| memchr::memchr(b'/', &url[i + 3..]).map(|j| &url[i + 3 + j..]))
        .unwrap_or(url);
    // user_agent ssl_cipher ssl_protocol target_group_arn trace_id domain_name
    // chosen_cert_arn matched_rule_priority, then request_creation_time.
    for _ in 0..8 {
        f.next();
    }
    let created = f.next();
    let duration = if matches!(kind, b"ws" | b"wss") {
        let end = super::timestamp::parse(time)?;
        created
            .and_then(super::timestamp::parse)
            .map(|start| (end.secs() - start.secs()).max(0.0))
    } else {
        let parts: Option<Vec<f64>> = times.iter().map(|t| float_secs(t)).collect();
        parts.map(|p| p.iter().sum())
    };
    Some(Request {
        method,
        target,
        // `-`: the load balancer never answered (the client went away first).
        status: status?,
        duration,
        upstream: (target_addr != b"-").then_some(target_addr),
        upstream_status: target_status,
        flags: b"",
    })
}

/// Space-separated fields, a quoted one being one field (without its quotes).
struct AlbFields<'a> {
    rest: &'a [u8],
}

impl<'a> AlbFields<'a> {
    fn next(&mut self) -> Option<&'a [u8]> {
        let r = self.rest.trim_ascii_start();
        if r.is_empty() {
            return None;
        }
        let (field, after) = if let Some(q) = r.strip_prefix(b"\"") {
            let e = memchr::memchr(b'"', q)?;
            (&q[..e], &q[e + 1..])
        } else {
            let e = memchr::memchr(b' ', r).unwrap_or(r.len());
            (&r[..e], &r[e..])
        };
        self.rest = after;
        Some(field)
    }
}

/// What a HAProxy HTTP or TCP log line says.
#[derive(Debug, PartialEq)]
pub struct Haproxy<'a> {
    pub backend: &'a [u8],
    /// 0 in a TCP log (no HTTP there).
    pub status: u16,
    /// Total time (Ta in the HTTP log, Tt in the TCP log), seconds.
    pub total: Option<f64>,
    /// The first two termination-state letters.
    pub termination: [u8; 2],
    pub target: Option<&'a [u8]>,
    /// A TCP log line (`option tcplog`): a connection, not a request.
    pub tcp: bool,
}

/// `… fe be/srv Tq/Tw/Tc/Tr/Ta status bytes cookie cookie TTTT conns queues "GET /ws HTTP/1.1"`
/// or, with `option tcplog`, `… fe be/srv Tw/Tc/Tt bytes TT conns queues`.
pub fn haproxy(line: &[u8]) -> Option<Haproxy<'_>> {
    let mut tokens = line
        .split(|&b| b == b' ')
        .filter(|t| !t.is_empty())
        .peekable();
    let mut prev: &[u8] = b"";
    while let Some(t) = tokens.next() {
        let timers = timers(t);
        if timers == 5 || (timers == 3 && prev.contains(&b'/')) {
            let tcp = timers == 3;
            let status = if tcp { 0 } else { status3(tokens.next()?)? };
            let _bytes = tokens.next()?;
            if !tcp {
                let _req_cookie = tokens.next()?;
                let _resp_cookie = tokens.next()?;
            }
            let ts = tokens.next()?;
            if ts.len() != if tcp { 2 } else { 4 } {
                return None;
            }
            let total = t.rsplit(|&b| b == b'/').next().and_then(|ta| {
                let ta = ta.strip_prefix(b"+").unwrap_or(ta);
                integer(ta).map(|ms| ms as f64 / 1000.0)
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
                tcp,
            });
        }
        prev = t;
    }
    None
}

/// How many slash-separated integers `t` is (`-1` allowed, `+` before the last); 0
/// when it is not such a list.
fn timers(t: &[u8]) -> usize {
    let mut n = 0;
    for part in t.split(|&b| b == b'/') {
        let part = part.strip_prefix(b"+").unwrap_or(part);
        let part = part.strip_prefix(b"-").unwrap_or(part);
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return 0;
        }
        n += 1;
    }
    n
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

fn integer(f: &[u8]) -> Option<u64> {
    if f.is_empty() || f.len() > 18 || !f.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(f).ok()?.parse().ok()
}

pub(super) fn status3(f: &[u8]) -> Option<u16> {
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
