//! Access-log formats written as templates — an nginx `log_format`, an Apache
//! `LogFormat`, an Envoy format string — compiled into a field extractor, so a log in
//! any layout an operator chose reads as well as the combined format: the request, the
//! status, the duration and the upstream wherever the template puts them.
//!
//! A template is a list of literals and fields. A line is read left to right: each
//! literal must be where the template says, and a field runs to the next literal. Two
//! kinds of field hold the next literal themselves and are handled by what they are:
//! `$time_local` / `%t` hold one space, and nginx's `$upstream_*` fields are lists
//! (`10.0.0.1:80, 10.0.0.2:80 : 10.0.0.3:80`) when a request was retried.

use super::fields::{self, Request};

/// Templates longer than this are refused (no real one comes close).
const MAX_TEMPLATE: usize = 8 << 10;

/// What a template field holds, as far as `logs` cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Skip,
    /// `GET /ws HTTP/1.1`
    Request,
    Method,
    Target,
    Status,
    Duration(Unit),
    UpstreamAddr,
    UpstreamName,
    UpstreamStatus,
    UpstreamTime(Unit),
    /// Envoy's `%RESPONSE_FLAGS%`.
    Flags,
}

/// The unit a duration field is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Secs,
    Millis,
    Micros,
    Nanos,
}

impl Unit {
    pub fn secs(self, v: f64) -> f64 {
        match self {
            Unit::Secs => v,
            Unit::Millis => v / 1e3,
            Unit::Micros => v / 1e6,
            Unit::Nanos => v / 1e9,
        }
    }
}

#[derive(Clone, Debug)]
struct Part {
    /// What precedes the field.
    lit: Vec<u8>,
    field: Field,
    /// Spaces the value itself holds (`$time_local`: one).
    spaces: u8,
    /// A comma- or colon-separated list (`$upstream_addr`).
    list: bool,
}

/// A compiled template.
#[derive(Clone, Debug)]
pub struct Template {
    parts: Vec<Part>,
    /// The literal after the last field.
    tail: Vec<u8>,
    /// Whether the template carries a status: a template without one cannot tell an
    /// access line from any other.
    has_status: bool,
}

/// Why a template was refused.
#[derive(Debug, PartialEq, Eq)]
pub struct TemplateError(pub String);

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The syntax a template is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    /// nginx `log_format`: `$remote_addr - [$time_local] "$request" $status`.
    Nginx,
    /// Apache `LogFormat`: `%h %l %u %t "%r" %>s %b %D`.
    Apache,
    /// Envoy format string: `[%START_TIME%] "%REQ(:METHOD)% …" %RESPONSE_CODE%`.
    Envoy,
}

impl Syntax {
    /// Which syntax a template is in, from the way its fields are written.
    pub fn of(t: &str) -> Syntax {
        let envoy = ["%RESPONSE_CODE%", "%START_TIME", "%REQ(", "%DURATION%"];
        if envoy.iter().any(|m| t.contains(m)) {
            Syntax::Envoy
        } else if t.contains('$') {
            Syntax::Nginx
        } else {
            Syntax::Apache
        }
    }
}

/// The ingress-nginx controller's default `log-format-upstream` (`upstreaminfo`), from
/// <https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/log-format/>.
pub const INGRESS_NGINX: &str = concat!(
    r#"$remote_addr - $remote_user [$time_local] "$request" "#,
    r#"$status $body_bytes_sent "$http_referer" "$http_user_agent" "#,
    r#"$request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr "#,
    r#"$upstream_response_length $upstream_response_time $upstream_status $req_id"#
);

/// Envoy's default access-log format, from
/// <https://www.envoyproxy.io/docs/envoy/latest/configuration/observability/access_log/usage#default-format-string>.
pub const ENVOY: &str = concat!(
    r#"[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" "#,
    r#"%RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% "#,
    r#"%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "#,
    r#""%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%""#
);

impl Template {
    /// Compiles a template in whichever syntax it is written.
    pub fn compile(t: &str) -> Result<Template, TemplateError> {
        if t.len() > MAX_TEMPLATE {
            return Err(TemplateError(format!(
                "the log format is longer than {} KiB: pass the log_format string itself",
                MAX_TEMPLATE >> 10
            )));
        }
        let tokens = match Syntax::of(t) {
            Syntax::Nginx => nginx_tokens(t),
            Syntax::Apache => apache_tokens(t),
            Syntax::Envoy => envoy_tokens(t),
        };
        let mut parts = Vec::new();
        let mut lit = Vec::new();
        for tok in tokens {
            match tok {
                Token::Lit(s) => lit.extend_from_slice(s.as_bytes()),
                Token::Field(field, spaces, list) => {
                    if let Some(Part { field: prev, .. }) = parts.last()
                        && lit.is_empty()
                        && *prev != Field::Skip
                        && field != Field::Skip
                    {
                        return Err(TemplateError(
                            "two fields with nothing between them cannot be told apart: put a space or a quote between them".into(),
                        ));
                    }
                    parts.push(Part {
                        lit: std::mem::take(&mut lit),
                        field,
                        spaces,
                        list,
                    });
                }
            }
        }
        let has_status = parts.iter().any(|p| p.field == Field::Status);
        let has_target = parts
            .iter()
            .any(|p| matches!(p.field, Field::Request | Field::Target));
        if !has_status || !has_target {
            return Err(TemplateError(
                "the log format has no status or no request field ($status and $request in nginx, %>s and %r in Apache): logs needs both".into(),
            ));
        }
        Ok(Template {
            parts,
            tail: lit,
            has_status,
        })
    }

    /// Reads one line; `None` when it is not in this format.
    pub fn extract<'a>(&self, line: &'a [u8]) -> Option<Request<'a>> {
        let mut r = Request::default();
        let mut status = None;
        let (mut duration, mut upstream_time) = (None, None);
        let mut pos = 0;
        for (i, p) in self.parts.iter().enumerate() {
            if !line[pos..].starts_with(&p.lit) {
                return None;
            }
            pos += p.lit.len();
            let next = self.parts.get(i + 1).map_or(&self.tail, |n| &n.lit);
            let end = self.value_end(line, pos, p, next, i + 1 == self.parts.len())?;
            let v = &line[pos..end];
            match p.field {
                Field::Skip => {}
                Field::Request => {
                    let mut w = v.splitn(3, |&b| b == b' ');
                    r.method = w.next().unwrap_or_default();
                    r.target = w.next().unwrap_or_default();
                }
                Field::Method => r.method = v,
                Field::Target => r.target = v,
                Field::Status => status = fields::status3(v),
                Field::Duration(u) => duration = number(v).map(|n| u.secs(n)),
                Field::UpstreamAddr => r.upstream = r.upstream.or(dash(v)),
                Field::UpstreamName => r.upstream = dash(v).or(r.upstream),
                Field::UpstreamStatus => r.upstream_status = last_item(v).and_then(fields::status3),
                Field::UpstreamTime(u) => {
                    upstream_time = last_item(v).and_then(number).map(|n| u.secs(n))
                }
                Field::Flags => r.flags = dash(v).unwrap_or_default(),
            }
            pos = end;
        }
        if !line[pos..].starts_with(&self.tail) || (self.has_status && status.is_none()) {
            return None;
        }
        r.status = status?;
        r.duration = duration.or(upstream_time);
        Some(r)
    }

    /// Where the value of `p`, starting at `pos`, ends.
    fn value_end(
        &self,
        line: &[u8],
        pos: usize,
        p: &Part,
        next: &[u8],
        last: bool,
    ) -> Option<usize> {
        let mut from = pos;
        for _ in 0..p.spaces {
            from += memchr::memchr(b' ', &line[from..])? + 1;
        }
        if next.is_empty() {
            return Some(if last && self.tail.is_empty() {
                line.len()
            } else {
                memchr::memchr(b' ', &line[from..]).map_or(line.len(), |i| from + i)
            });
        }
        let finder = |at: usize| memchr::memmem::find(&line[at..], next).map(|i| at + i);
        let mut end = finder(from)?;
        // A list goes on past ", " and " : ".
        if p.list {
            loop {
                if end > pos && line[end - 1] == b',' {
                    end = finder(end + 1)?;
                } else if line[end..].starts_with(b" : ") {
                    end = finder(end + 3)?;
                } else {
                    break;
                }
            }
        }
        Some(end)
    }
}

enum Token<'a> {
    Lit(&'a str),
    Field(Field, u8, bool),
}

fn nginx_tokens(t: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut rest = t;
    while let Some(i) = rest.find('$') {
        out.push(Token::Lit(&rest[..i]));
        let after = &rest[i + 1..];
        let (name, len) = if let Some(braced) = after.strip_prefix('{') {
            match braced.find('}') {
                Some(e) => (&braced[..e], e + 2),
                None => (braced, braced.len() + 1),
            }
        } else {
            let e = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..e], e)
        };
        if name.is_empty() {
            out.push(Token::Lit("$"));
        } else {
            out.push(nginx_field(name));
        }
        rest = &after[len..];
    }
    out.push(Token::Lit(rest));
    out
}

fn nginx_field(name: &str) -> Token<'static> {
    let f = match name {
        "request" => Field::Request,
        "request_method" => Field::Method,
        "request_uri" | "uri" | "document_uri" => Field::Target,
        "status" => Field::Status,
        "request_time" => Field::Duration(Unit::Secs),
        "upstream_response_time" => Field::UpstreamTime(Unit::Secs),
        "upstream_addr" => Field::UpstreamAddr,
        "proxy_upstream_name" => Field::UpstreamName,
        "upstream_status" => Field::UpstreamStatus,
        "time_local" => return Token::Field(Field::Skip, 1, false),
        n if n.starts_with("upstream_") => return Token::Field(Field::Skip, 0, true),
        _ => Field::Skip,
    };
    let list = matches!(
        f,
        Field::UpstreamAddr | Field::UpstreamStatus | Field::UpstreamTime(_)
    );
    Token::Field(f, 0, list)
}

fn apache_tokens(t: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut rest = t;
    while let Some(i) = rest.find('%') {
        out.push(Token::Lit(&rest[..i]));
        let mut after = &rest[i + 1..];
        if let Some(r) = after.strip_prefix('%') {
            out.push(Token::Lit("%"));
            rest = r;
            continue;
        }
        // Conditions and redirection modifiers: `%400,501{User-agent}i`, `%>s`, `%<s`.
        after = after.trim_start_matches(|c: char| c.is_ascii_digit() || c == ',' || c == '!');
        after = after.trim_start_matches(['<', '>']);
        let mut arg = "";
        if let Some(b) = after.strip_prefix('{') {
            let e = b.find('}').unwrap_or(b.len());
            arg = &b[..e];
            after = b.get(e + 1..).unwrap_or("");
        }
        let Some(letter) = after.chars().next() else {
            break;
        };
        let f = match (letter, arg) {
            ('r', _) => Field::Request,
            ('m', _) => Field::Method,
            ('U', _) => Field::Target,
            ('s', _) => Field::Status,
            ('D', _) => Field::Duration(Unit::Micros),
            ('T', "ms") => Field::Duration(Unit::Millis),
            ('T', "us") => Field::Duration(Unit::Micros),
            ('T', _) => Field::Duration(Unit::Secs),
            ('t', "") => {
                out.push(Token::Field(Field::Skip, 1, false));
                rest = &after[letter.len_utf8()..];
                continue;
            }
            _ => Field::Skip,
        };
        out.push(Token::Field(f, 0, false));
        rest = &after[letter.len_utf8()..];
    }
    out.push(Token::Lit(rest));
    out
}

fn envoy_tokens(t: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut rest = t;
    while let Some(i) = rest.find('%') {
        let after = &rest[i + 1..];
        let Some(e) = after.find('%') else { break };
        let op = &after[..e];
        if op.is_empty() || !op.starts_with(|c: char| c.is_ascii_uppercase()) {
            out.push(Token::Lit(&rest[..i + 1]));
            rest = after;
            continue;
        }
        out.push(Token::Lit(&rest[..i]));
        let name = op.split('(').next().unwrap_or(op);
        let f = match (name, op) {
            (_, "REQ(:METHOD)") => Field::Method,
            (_, o) if o.starts_with("REQ(X-ENVOY-ORIGINAL-PATH") || o == "REQ(:PATH)" => {
                Field::Target
            }
            ("RESPONSE_CODE", _) => Field::Status,
            ("RESPONSE_FLAGS", _) => Field::Flags,
            ("DURATION", _) => Field::Duration(Unit::Millis),
            ("UPSTREAM_HOST", _) => Field::UpstreamAddr,
            ("UPSTREAM_CLUSTER", _) => Field::UpstreamName,
            _ => Field::Skip,
        };
        out.push(Token::Field(f, 0, false));
        rest = &after[e + 1..];
    }
    out.push(Token::Lit(rest));
    out
}

/// `-` (and empty) is no value.
fn dash(v: &[u8]) -> Option<&[u8]> {
    (!v.is_empty() && v != b"-").then_some(v)
}

/// The last item of an nginx list (`0.001, 0.002 : 60.001`): the attempt that answered.
fn last_item(v: &[u8]) -> Option<&[u8]> {
    let last = v.rsplit(|&b| b == b',' || b == b':').next()?.trim_ascii();
    dash(last)
}

fn number(v: &[u8]) -> Option<f64> {
    std::str::from_utf8(v)
        .ok()?
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n >= 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ingress_nginx_default_reads_request_time_in_the_middle() {
        let t = Template::compile(INGRESS_NGINX).expect("compiles");
        let l = br#"10.244.0.1 - - [03/Dec/2026:14:09:36 +0000] "GET /ws?room=1 HTTP/1.1" 101 13 "-" "Mozilla/5.0 (X11; Linux x86_64)" 345 60.004 [default-chat-8080] [] 10.244.1.7:8080 0 60.003 101 a462e2be8d7a4f70a7fb9e97ac6c14e7"#;
        let r = t.extract(l).expect("parses");
        assert_eq!(
            (r.method, r.target, r.status),
            (&b"GET"[..], &b"/ws?room=1"[..], 101)
        );
        assert_eq!(r.duration, Some(60.004));
        assert_eq!(r.upstream, Some(&b"default-chat-8080"[..]));
        assert_eq!(r.upstream_status, Some(101));
        // Retried upstreams make lists; the name still wins, the last status counts.
        let l = br#"10.244.0.1 - - [03/Dec/2026:14:09:36 +0000] "GET /ws HTTP/1.1" 502 150 "-" "curl/8.5.0" 85 0.010 [default-chat-8080] [] 10.244.1.7:8080, 10.244.1.8:8080 : 10.244.1.9:8080 0, 0 : 0 0.001, 0.004 : 0.005 502, 502 : 502 0bc6cd2a"#;
        let r = t.extract(l).expect("parses lists");
        assert_eq!((r.status, r.upstream_status), (502, Some(502)));
        assert_eq!(r.duration, Some(0.010));
        assert!(
            t.extract(b"2024/05/01 10:00:00 [error] 7#7: *1 upstream timed out")
                .is_none()
        );
    }

    #[test]
    fn apache_microseconds_and_envoy_milliseconds() {
        let t = Template::compile(r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %D"#)
            .expect("compiles");
        let r = t
            .extract(br#"127.0.0.1 - - [03/Dec/2026:14:09:35 +0000] "GET /ws HTTP/1.1" 101 - "-" "Mozilla/5.0" 60012345"#)
            .expect("parses");
        assert_eq!((r.status, r.duration), (101, Some(60.012345)));
        let t = Template::compile(r#"%h %l %u %t "%r" %>s %b %T"#).expect("compiles");
        let r = t
            .extract(
                br#"127.0.0.1 - - [03/Dec/2026:14:09:35 +0000] "GET /ws?a=1 HTTP/1.1" 101 - 60"#,
            )
            .expect("parses");
        assert_eq!((r.target, r.duration), (&b"/ws?a=1"[..], Some(60.0)));
        let e = Template::compile(ENVOY).expect("compiles");
        // The example line of Envoy's documentation, with a WebSocket path.
        let r = e
            .extract(br#"[2016-04-15T20:17:00.310Z] "GET /ws HTTP/1.1" 101 SI 154 0 300002 100 "10.0.35.28" "nsq2http" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "tcp://10.0.2.1:80""#)
            .expect("parses");
        assert_eq!(
            (r.status, r.flags, r.duration),
            (101, &b"SI"[..], Some(300.002))
        );
        assert_eq!(r.upstream, Some(&b"tcp://10.0.2.1:80"[..]));
    }

    #[test]
    fn templates_that_cannot_be_read_are_refused_with_the_reason() {
        assert!(Template::compile("$remote_addr $body_bytes_sent").is_err());
        assert!(Template::compile("$request$status").is_err());
        assert!(Template::compile(&"$status ".repeat(5000)).is_err());
    }
}
