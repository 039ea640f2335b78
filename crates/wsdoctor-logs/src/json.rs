//! JSON access and application logs, one object per line: Caddy, Traefik's JSON access
//! log, Cloudflare Logpush, nginx `escape=json` formats, and application loggers (pino,
//! structlog, logback's JSON encoder…). A shallow walker reads the scalars of the top
//! two levels without building a tree or allocating; the keys each writer uses say
//! what the values are.

use super::fields::{self, Request};
use super::template::Unit;

/// Nesting deeper than this is skipped, not walked (and never recursed into).
const MAX_DEPTH: usize = 2;

/// A scalar value as written: a string's bytes between its quotes (escapes kept) or
/// a number, `true`, `false`, `null`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'a> {
    Str(&'a [u8]),
    Lit(&'a [u8]),
}

impl<'a> Value<'a> {
    pub fn bytes(self) -> &'a [u8] {
        match self {
            Value::Str(b) | Value::Lit(b) => b,
        }
    }
}

/// Calls `f(parent, key, value)` for the scalars of the object on `line` (`parent` is
/// empty at the top level, else the key of the enclosing object). `false` when the
/// line is not a JSON object.
pub fn walk<'a>(line: &'a [u8], f: &mut dyn FnMut(&'a [u8], &'a [u8], Value<'a>)) -> bool {
    let mut w = Walker { b: line, i: 0 };
    w.ws();
    w.object(b"", 1, f).is_some()
}

/// Who wrote a JSON log line, from its keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Writer {
    Caddy,
    Traefik,
    Cloudflare,
    /// An access log in keys of the operator's choosing (nginx `escape=json`).
    Access,
    /// An application log: a message, no request.
    App,
}

impl Writer {
    pub fn name(self) -> &'static str {
        match self {
            Writer::Caddy => "caddy",
            Writer::Traefik => "traefik-json",
            Writer::Cloudflare => "cloudflare",
            Writer::Access => "json-access",
            Writer::App => "json",
        }
    }
}

/// What a JSON line says.
#[derive(Debug, Default)]
pub struct Line<'a> {
    pub writer: Option<Writer>,
    pub request: Option<Request<'a>>,
    /// The message of an application log line (escapes kept).
    pub message: Option<&'a [u8]>,
}

/// Reads one JSON log line.
pub fn read(line: &[u8]) -> Option<Line<'_>> {
    let mut r = Request::default();
    let mut status = None;
    let mut writer = None;
    let mut duration = None;
    let (mut start, mut end): (Option<f64>, Option<f64>) = (None, None);
    let mut message = None;
    let mut request_line: Option<&[u8]> = None;
    let ok = walk(line, &mut |parent, key, v| {
        let b = v.bytes();
        match (parent, key) {
            (b"", b"logger") if b.starts_with(b"http.log.access") => writer = Some(Writer::Caddy),
            (b"", b"DownstreamStatus") => {
                writer = Some(Writer::Traefik);
                // Traefik writes 0 for a connection handed to the backend (an upgrade).
                status = match number(b) {
                    Some(0.0) => Some(101),
                    _ => fields::status3(b),
                };
            }
            (b"", b"EdgeResponseStatus") => {
                writer = Some(Writer::Cloudflare);
                status = fields::status3(b);
            }
            (b"", b"status" | b"status_code" | b"response_code") => {
                status = status.or(fields::status3(b))
            }
            (b"" | b"request", b"method" | b"request_method" | b"RequestMethod")
            | (b"", b"ClientRequestMethod") => r.method = b,
            (b"" | b"request", b"uri" | b"request_uri" | b"path" | b"RequestPath")
            | (b"", b"ClientRequestURI") => r.target = b,
            (b"", b"request") => request_line = Some(b),
            (b"", b"request_time") => duration = number(b),
            // Caddy's is seconds; Traefik's is nanoseconds.
            (b"", b"duration") => duration = number(b),
            (b"", b"Duration") => duration = number(b).map(|n| Unit::Nanos.secs(n)),
            (b"", b"EdgeStartTimestamp") => start = epoch_secs(v),
            (b"", b"EdgeEndTimestamp") => end = epoch_secs(v),
            (b"", b"upstream_addr" | b"ServiceURL" | b"OriginIP" | b"upstream")
                if !b.is_empty() && b != b"-" =>
            {
                r.upstream = Some(b)
            }
            (b"", b"upstream_status" | b"OriginStatus" | b"OriginResponseStatus") => {
                r.upstream_status = fields::status3(b)
            }
            (b"", b"msg" | b"message" | b"error" | b"err") | (b"err" | b"error", b"message")
                if matches!(v, Value::Str(_)) && !b.is_empty() =>
            {
                message = message.or(Some(b))
            }
            _ => {}
        }
    });
    if !ok {
        return None;
    }
    if let Some(rl) = request_line
        && r.target.is_empty()
    {
        let mut w = rl.splitn(3, |&c| c == b' ');
        r.method = w.next().unwrap_or_default();
        r.target = w.next().unwrap_or_default();
    }
    if let (Some(s), Some(e)) = (start, end) {
        duration = duration.or(Some((e - s).max(0.0)));
    }
    let request = match status {
        Some(s) if !r.target.is_empty() => {
            r.status = s;
            r.duration = duration;
            writer = writer.or(Some(Writer::Access));
            Some(r)
        }
        _ => None,
    };
    if request.is_none() && writer != Some(Writer::Caddy) {
        writer = message.map(|_| Writer::App).or(writer);
    }
    Some(Line {
        writer,
        request,
        // Caddy's access entries all say "handled request".
        message: if writer == Some(Writer::Caddy) && status.is_some() {
            None
        } else {
            message
        },
    })
}

/// A Cloudflare timestamp: Unix nanoseconds, seconds, or RFC 3339.
fn epoch_secs(v: Value<'_>) -> Option<f64> {
    match v {
        Value::Lit(b) => number(b).map(|n| if n > 1e15 { Unit::Nanos.secs(n) } else { n }),
        Value::Str(b) => super::timestamp::parse(b).map(|t| t.secs()),
    }
}

fn number(b: &[u8]) -> Option<f64> {
    std::str::from_utf8(b)
        .ok()?
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n >= 0.0)
}

struct Walker<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Walker<'a> {
    fn ws(&mut self) {
        while self.b.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.b.get(self.i) == Some(&c)).then(|| self.i += 1)
    }

    /// The bytes of a string starting at the quote under the cursor.
    fn string(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let start = self.i;
        loop {
            let j = self.i + memchr::memchr2(b'"', b'\\', &self.b[self.i..])?;
            if self.b[j] == b'\\' {
                self.i = j + 2;
                if self.i > self.b.len() {
                    return None;
                }
            } else {
                self.i = j + 1;
                return Some(&self.b[start..j]);
            }
        }
    }

    fn object(
        &mut self,
        parent: &'a [u8],
        depth: usize,
        f: &mut dyn FnMut(&'a [u8], &'a [u8], Value<'a>),
    ) -> Option<()> {
        self.eat(b'{')?;
        if self.eat(b'}').is_some() {
            return Some(());
        }
        loop {
            self.ws();
            let key = self.string()?;
            self.eat(b':')?;
            self.ws();
            match *self.b.get(self.i)? {
                b'"' => {
                    let s = self.string()?;
                    f(parent, key, Value::Str(s));
                }
                b'{' if depth < MAX_DEPTH => self.object(key, depth + 1, f)?,
                b'{' | b'[' => self.skip_nested()?,
                _ => {
                    let start = self.i;
                    while self.b.get(self.i).is_some_and(|c| {
                        !matches!(c, b',' | b'}' | b']') && !c.is_ascii_whitespace()
                    }) {
                        self.i += 1;
                    }
                    if self.i == start {
                        return None;
                    }
                    f(parent, key, Value::Lit(&self.b[start..self.i]));
                }
            }
            if self.eat(b',').is_some() {
                continue;
            }
            return self.eat(b'}');
        }
    }

    /// Skips a nested object or array without recursing: brackets are counted, strings
    /// jumped over.
    fn skip_nested(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            match *self.b.get(self.i)? {
                b'"' => {
                    self.string()?;
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        self.i += 1;
                        return Some(());
                    }
                }
                _ => {}
            }
            self.i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caddy_traefik_cloudflare_and_nginx_json() {
        let caddy = br#"{"level":"info","ts":1796306976.787,"logger":"http.log.access.log0","msg":"handled request","request":{"remote_ip":"127.0.0.1","proto":"HTTP/1.1","method":"GET","host":"chat.example.com","uri":"/ws?room=1","headers":{"Upgrade":["websocket"]}},"bytes_read":0,"duration":60.0123,"size":13,"status":101,"resp_headers":{"Server":["Caddy"]}}"#;
        let l = read(caddy).expect("json");
        assert_eq!(l.writer, Some(Writer::Caddy));
        let r = l.request.expect("request");
        assert_eq!(
            (r.method, r.target, r.status, r.duration),
            (&b"GET"[..], &b"/ws?room=1"[..], 101, Some(60.0123))
        );
        assert_eq!(l.message, None);
        let traefik = br#"{"ClientAddr":"127.0.0.1:35674","DownstreamStatus":0,"Duration":1299152502,"OriginStatus":0,"RequestMethod":"GET","RequestPath":"/ws?room=x0","RouterName":"ws@file","ServiceURL":"http://127.0.0.1:37145","level":"info","msg":"","time":"2026-12-03T14:09:36Z"}"#;
        let l = read(traefik).expect("json");
        let r = l.request.expect("request");
        assert_eq!((l.writer, r.status), (Some(Writer::Traefik), 101));
        assert!((r.duration.unwrap() - 1.299152502).abs() < 1e-9);
        let cf = br#"{"ClientIP":"192.0.2.1","ClientRequestHost":"chat.example.com","ClientRequestMethod":"GET","ClientRequestURI":"/ws","EdgeEndTimestamp":1526810389280000000,"EdgeResponseStatus":101,"EdgeStartTimestamp":1526810289280000000,"OriginResponseStatus":101,"RayID":"41ddf1740f67442d"}"#;
        let l = read(cf).expect("json");
        let r = l.request.expect("request");
        assert_eq!(
            (l.writer, r.status, r.duration),
            (Some(Writer::Cloudflare), 101, Some(100.0))
        );
        let app = br#"{"level":50,"time":1714557600000,"msg":"WebSocket connection to 'wss://api.example.com/ws' failed: Error during WebSocket handshake: Unexpected response code: 502","err":{"type":"Error"}}"#;
        let l = read(app).expect("json");
        assert_eq!(l.writer, Some(Writer::App));
        assert!(
            l.message
                .is_some_and(|m| m.starts_with(b"WebSocket connection"))
        );
    }

    #[test]
    fn not_json_or_too_deep_is_bounded() {
        assert!(read(b"2024/05/01 10:00:00 [error] x").is_none());
        assert!(read(br#"{"a":"unterminated"#).is_none());
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(read(deep.as_bytes()).is_some());
        let cut = format!("{{\"a\":{}", "{\"b\":".repeat(100_000));
        assert!(read(cut.as_bytes()).is_none());
    }
}
