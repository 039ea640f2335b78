//! Secret redaction, the one table every command uses (DESIGN.md contract): which
//! header and query names carry secrets, how each kind of value is shown, and a
//! last pass over any text a command prints (`text`), so a secret that reached an
//! output by a path nobody redacted at collection time is still caught. Also what
//! untrusted text may look like on a terminal (`terminal`). `--show-secrets` opts
//! out of the redaction, never of the terminal escaping.

use regex::{Captures, Regex};
use std::borrow::Cow;
use std::sync::LazyLock;

/// What a secret is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Header names whose value is a credential (lower case). Names whose parts say
/// so (`X-Vault-Token`, `X-Client-Secret`) are secret too, see `is_secret_header`.
pub const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "api-key",
    "apikey",
    "x-goog-api-key",
    "ocp-apim-subscription-key",
    "x-functions-key",
    "x-amz-security-token",
    "x-amz-signature",
    "x-amz-credential",
    "x-csrf-token",
    "x-xsrf-token",
    "private-token",
    "x-hub-signature",
    "x-hub-signature-256",
];

/// Parts of a header name (split at `-`/`_`) that make it secret.
const SECRET_HEADER_PARTS: &[&str] = &[
    "token",
    "secret",
    "password",
    "passwd",
    "signature",
    "credential",
    "credentials",
    "apikey",
    "jwt",
    "session",
];

/// Headers whose value is a URL: shown with `url`.
const URL_HEADERS: &[&str] = &["location", "content-location", "referer", "refresh", "link"];

/// Query and fragment parameter names (lower case) that are secrets when they are
/// the whole name.
pub const SECRET_PARAMS: &[&str] = &[
    "token",
    "key",
    "secret",
    "signature",
    "sig",
    "password",
    "passwd",
    "pass",
    "pwd",
    "auth",
    "jwt",
    "apikey",
    "session",
    "sessionid",
    "sid",
    "credential",
    "credentials",
    "code",
    "ticket",
    "otp",
    "assertion",
    "samlresponse",
    "samlrequest",
];

/// Parts of a parameter name (split at `_`, `-`, `.` and camelCase humps) that make
/// it secret: `access_token`, `accessToken`, `X-Amz-Security-Token`, `client_secret`.
/// `code` and `session` only count as the whole name (`error_code`, `session_count`
/// are not secrets).
const SECRET_PARTS: &[&str] = &[
    "token",
    "key",
    "secret",
    "signature",
    "password",
    "passwd",
    "pwd",
    "auth",
    "jwt",
    "apikey",
    "credential",
    "credentials",
    "authorization",
    "assertion",
];

/// Whole names made of two words that are secrets though neither part is
/// (`session_id`, `auth_code`).
const SECRET_COMPOUNDS: &[&str] = &["sessionid", "authcode", "sessiontoken"];

/// Authorization schemes whose word is kept in front of the redacted credential
/// (lower case). An unknown first word may itself be the credential, so it is not kept.
const AUTH_SCHEMES: &[&str] = &[
    "basic",
    "bearer",
    "digest",
    "negotiate",
    "ntlm",
    "token",
    "jwt",
    "aws4-hmac-sha256",
    "hoba",
    "mutual",
    "scram-sha-1",
    "scram-sha-256",
    "vapid",
    "dpop",
    "mac",
    "oauth",
    "hawk",
    "apikey",
    "key",
    "sswss",
    "ssws",
    "kerberos",
    "splunk",
    "googlelogin",
];

/// The prefix Kubernetes uses to carry a bearer token in `Sec-WebSocket-Protocol`.
pub const K8S_BEARER_PROTOCOL: &str = "base64url.bearer.authorization.k8s.io.";

/// True when a header of this name carries a secret. `Sec-WebSocket-Key` is not one
/// (it is a nonce the diagnosis needs).
pub fn is_secret_header(name: &str) -> bool {
    let lower = name.trim().to_ascii_lowercase();
    SECRET_HEADERS.contains(&lower.as_str())
        || lower
            .split(['-', '_'])
            .any(|part| SECRET_HEADER_PARTS.contains(&part))
}

/// A header value as it may be shown. Authorization keeps a known scheme word
/// (`Bearer [redacted]`); cookies keep their names and attributes; a Kubernetes
/// token subprotocol keeps its prefix; URL-valued headers lose their secrets.
pub fn header_value(name: &str, value: &str) -> String {
    let lower = name.trim().to_ascii_lowercase();
    match lower.as_str() {
        "authorization" | "proxy-authorization" => authorization(value),
        "cookie" => cookie(value),
        "set-cookie" => set_cookie(value),
        "sec-websocket-protocol" => subprotocols(value),
        l if URL_HEADERS.contains(&l) => text(value).into_owned(),
        _ if is_secret_header(name) => REDACTED.to_string(),
        _ => text(value).into_owned(),
    }
}

/// One subprotocol name as it may be shown (a Kubernetes bearer token or a JWT
/// offered as a subprotocol is redacted).
pub fn subprotocol(p: &str) -> String {
    let t = p.trim();
    if let Some(prefix) = t
        .get(..K8S_BEARER_PROTOCOL.len())
        .filter(|s| s.eq_ignore_ascii_case(K8S_BEARER_PROTOCOL))
    {
        return format!("{prefix}{REDACTED}");
    }
    text(t).into_owned()
}

/// A `Sec-WebSocket-Protocol` list as it may be shown.
pub fn subprotocols(value: &str) -> String {
    value
        .split(',')
        .map(subprotocol)
        .collect::<Vec<_>>()
        .join(", ")
}

fn authorization(value: &str) -> String {
    let v = value.trim();
    match v.split_once([' ', '\t']) {
        Some((scheme, _)) if AUTH_SCHEMES.contains(&scheme.to_ascii_lowercase().as_str()) => {
            format!("{scheme} {REDACTED}")
        }
        _ => REDACTED.to_string(),
    }
}

/// `a=1; b=2` → `a=[redacted]; b=[redacted]`: every cookie, names kept.
fn cookie(value: &str) -> String {
    value
        .split(';')
        .map(|c| match c.trim().split_once('=') {
            Some((n, _)) => format!("{}={REDACTED}", n.trim()),
            None if c.trim().is_empty() => String::new(),
            None => REDACTED.to_string(),
        })
        .filter(|c| !c.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// `sid=x; Path=/; HttpOnly` → the value redacted, the standard attributes kept.
fn set_cookie(value: &str) -> String {
    const ATTRS: &[&str] = &[
        "path",
        "domain",
        "expires",
        "max-age",
        "samesite",
        "secure",
        "httponly",
        "partitioned",
        "priority",
    ];
    let mut parts = value.split(';');
    let first = match parts.next().map(str::trim).and_then(|c| c.split_once('=')) {
        Some((n, _)) => format!("{}={REDACTED}", n.trim()),
        None => REDACTED.to_string(),
    };
    let rest = parts.map(|a| {
        let a = a.trim();
        let name = a.split_once('=').map_or(a, |(n, _)| n).trim();
        if ATTRS.contains(&name.to_ascii_lowercase().as_str()) {
            a.to_string()
        } else {
            format!("{name}={REDACTED}")
        }
    });
    std::iter::once(first)
        .chain(rest)
        .collect::<Vec<_>>()
        .join("; ")
}

/// True when a query or fragment parameter of this name carries a secret.
pub fn is_secret_param(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if SECRET_PARAMS.contains(&lower.as_str()) {
        return true;
    }
    let parts = name_parts(name);
    let joined: String = parts.concat();
    SECRET_COMPOUNDS.contains(&joined.as_str())
        || parts.iter().any(|p| SECRET_PARTS.contains(&p.as_str()))
}

/// `X-Amz-Security_Token.v2` → `x, amz, security, token, v2`; `accessToken`,
/// `APIKey` → `access, token`, `api, key`.
fn name_parts(name: &str) -> Vec<String> {
    let mut parts = Vec::new();
    for word in name.split(['_', '-', '.', '[', ']']) {
        let chars: Vec<char> = word.chars().collect();
        let mut cur = String::new();
        for (i, &c) in chars.iter().enumerate() {
            let hump = c.is_uppercase()
                && i > 0
                && (chars[i - 1].is_lowercase()
                    || chars[i - 1].is_ascii_digit()
                    || (chars[i - 1].is_uppercase()
                        && chars.get(i + 1).is_some_and(|n| n.is_lowercase())));
            if hump && !cur.is_empty() {
                parts.push(std::mem::take(&mut cur));
            }
            cur.extend(c.to_lowercase());
        }
        if !cur.is_empty() {
            parts.push(cur);
        }
    }
    parts
}

/// The names of secret-looking parameters in a query string (without `?`).
pub fn secret_params(query: &str) -> Vec<String> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('=').map(|(k, _)| k).or(Some(kv)))
        .filter(|k| !k.is_empty() && is_secret_param(k))
        .map(str::to_string)
        .collect()
}

/// `a=1&token=2` with secret values replaced (a query or a `#fragment` of pairs).
pub fn params(query: &str) -> String {
    query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if is_secret_param(k) => format!("{k}={REDACTED}"),
            _ => text(kv).into_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// `path?query#fragment` with secret parameter values replaced.
pub fn resource(resource: &str) -> String {
    let (rest, fragment) = match resource.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (resource, None),
    };
    let mut out = match rest.split_once('?') {
        Some((path, query)) => format!("{path}?{}", params(query)),
        None => rest.to_string(),
    };
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(&fragment_text(f));
    }
    out
}

/// A `#fragment` as it may be shown: OAuth puts tokens there (`#access_token=…`).
pub fn fragment_text(f: &str) -> String {
    if f.contains('=') {
        params(f)
    } else {
        text(f).into_owned()
    }
}

/// A whole URL with userinfo and secret query and fragment values replaced. Works
/// on text so it also redacts URLs that do not parse. The userinfo is everything
/// up to the last `@` before the first `/`, `?` or `#`: a backslash (which WHATWG
/// parsers read as `/` in ws/http URLs) does not end it, so `u:p\w@h` loses `p\w`.
pub fn url(text: &str) -> String {
    let (scheme, rest) = match text.split_once("://") {
        Some((s, r)) => (Some(s), r),
        None => (None, text),
    };
    let auth_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(auth_end);
    let authority = match authority.rsplit_once('@') {
        Some((_, host)) => format!("{REDACTED}@{host}"),
        None => authority.to_string(),
    };
    let mut out = String::new();
    if let Some(s) = scheme {
        out.push_str(s);
        out.push_str("://");
    }
    out.push_str(&authority);
    out.push_str(&resource(tail));
    out
}

/// One raw request or response head line (`Name: value` or a request line).
pub fn head_line(line: &str) -> String {
    if let Some((name, value)) = line.split_once(':')
        && !name.contains(' ')
        && !name.is_empty()
    {
        return format!("{name}: {}", header_value(name.trim(), value.trim()));
    }
    // A request line: GET /path?query HTTP/1.1
    let mut parts = line.splitn(3, ' ');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(target), Some(v)) => {
            let target = if target.contains("://") {
                url(target)
            } else {
                resource(target)
            };
            text(&format!("{m} {target} {v}")).into_owned()
        }
        _ => text(line).into_owned(),
    }
}

/// A whole head (CRLF-separated lines), line by line.
pub fn head(text: &str) -> String {
    text.split("\r\n")
        .map(head_line)
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// Any text about to be printed (a report line, a log excerpt, pasted error text,
/// a JSON string): every secret shape the table knows is replaced wherever it
/// appears — URL userinfo, `Authorization`/cookie header text, secret `name=value`,
/// `name: value` and `"name": "value"` pairs, a HAR-style
/// `{"name":"Authorization","value":"…"}`, credentials after a scheme word, JWTs,
/// Kubernetes subprotocol tokens and AWS access key ids. Borrowed when nothing
/// matched, which is the common case.
pub fn text(s: &str) -> Cow<'_, str> {
    if !PREFILTER.is_match(s) {
        return Cow::Borrowed(s);
    }
    let mut out = Cow::Borrowed(s);
    for (re, replace) in TEXT_RULES.iter() {
        if re.is_match(&out) {
            out = Cow::Owned(re.replace_all(&out, |c: &Captures| replace(c)).into_owned());
        }
    }
    out
}

/// Untrusted text as it may be shown on a terminal: control characters (ESC, CSI,
/// BEL, backspace, carriage return, C1 controls, bidi overrides) become visible
/// escapes so a server or an input file cannot move the cursor, retitle the window
/// or hide text. Newlines and tabs stay. Borrowed when nothing needed escaping.
pub fn terminal(s: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A value that is a placeholder in documentation (`<token>`, `$TOKEN`, `…`), or
/// already redacted: left as it is so catalog prose reads the same.
fn placeholder(v: &str) -> bool {
    v.is_empty()
        || v.starts_with(['<', '$', '{', '[', '…', '*'])
        || v.starts_with("...")
        || [
            "xxx",
            "user:pass",
            "user:password",
            "username:password",
            "user",
        ]
        .iter()
        .any(|p| v.eq_ignore_ascii_case(p))
}

type Replace = fn(&Captures) -> String;

/// Cheap test that a text may hold a secret at all (most report lines do not).
static PREFILTER: LazyLock<Regex> = LazyLock::new(|| {
    // The pattern is a constant; it compiles (the tests run it).
    Regex::new(r"(?i)[=:@]|eyJ|A[SK]IA|bearer|basic|token|negotiate|ntlm|k8s\.io").expect("valid")
});

static TEXT_RULES: LazyLock<Vec<(Regex, Replace)>> = LazyLock::new(|| {
    let secret_header = SECRET_HEADERS.join("|");
    let schemes = AUTH_SCHEMES.join("|");
    // The patterns are constants built from the tables above; they compile (the
    // tests run every rule).
    let re = |p: &str| Regex::new(p).expect("valid redaction pattern");
    vec![
        // HAR / JSON header objects: {"name": "Cookie", "value": "…"}
        (
            re(r#"(?i)("name"\s*:\s*"([A-Za-z0-9_-]+)"\s*,\s*"value"\s*:\s*")((?:[^"\\]|\\.)*)""#),
            |c| {
                if is_secret_header(&c[2]) && !placeholder(&c[3]) {
                    format!("{}{REDACTED}\"", &c[1])
                } else {
                    c[0].to_string()
                }
            },
        ),
        // scheme://userinfo@ (a backslash does not end the userinfo)
        (re(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/?#@\s]*)@"), |c| {
            if placeholder(&c[2]) {
                c[0].to_string()
            } else {
                format!("{}{REDACTED}@", &c[1])
            }
        }),
        // Header text: "Authorization: Bearer x", "Cookie: a=b; c=d" — to the end of
        // the line or of the quoted string.
        (
            re(&format!(
                r#"(?i)\b({secret_header}|[a-z0-9-]*(?:token|secret|password|signature|credential)[a-z0-9-]*)(\s*:\s*)([^\r\n"']*)"#
            )),
            |c| {
                let v = c[3].trim();
                let mut words = v.split_whitespace();
                let first = words.next().unwrap_or(v);
                let cred = if AUTH_SCHEMES.contains(&first.to_ascii_lowercase().as_str()) {
                    words.next().unwrap_or(first)
                } else {
                    first
                };
                if placeholder(v) || placeholder(cred) {
                    return c[0].to_string();
                }
                format!("{}{}{}", &c[1], &c[2], header_value(&c[1], v))
            },
        ),
        // "name": "value" and 'name': 'value' in JSON or code
        (
            re(r#"(?i)(["']([A-Za-z0-9_.-]+)["']\s*:\s*["'])([^"'\r\n]*)(["'])"#),
            |c| {
                if is_secret_param(&c[2]) && !placeholder(&c[3]) {
                    format!("{}{REDACTED}{}", &c[1], &c[4])
                } else {
                    c[0].to_string()
                }
            },
        ),
        // name=value in a query, a fragment, a log or a command line
        (re(r#"([A-Za-z0-9_.\-\[\]]+)=([^&\s"',;#<>)]+)"#), |c| {
            if is_secret_param(&c[1]) && !placeholder(&c[2]) {
                format!("{}={REDACTED}", &c[1])
            } else {
                c[0].to_string()
            }
        }),
        // a credential after a scheme word anywhere: "Bearer abc.def", "Basic Zm9v"
        (
            re(&format!(
                r"(?i)\b({schemes})(\s+)([A-Za-z0-9._~+/=:-]{{8,}})"
            )),
            |c| {
                let cred = &c[3];
                let looks_secret = cred.len() >= 24
                    || cred
                        .chars()
                        .any(|ch| ch.is_ascii_digit() || "._~+/=:-".contains(ch));
                if looks_secret && cred != REDACTED {
                    format!("{}{}{REDACTED}", &c[1], &c[2])
                } else {
                    c[0].to_string()
                }
            },
        ),
        // Kubernetes bearer token as a subprotocol
        (
            re(r"(?i)(base64url\.bearer\.authorization\.k8s\.io\.)[A-Za-z0-9_=-]+"),
            |c| format!("{}{REDACTED}", &c[1]),
        ),
        // JWTs anywhere
        (
            re(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),
            |_| REDACTED.to_string(),
        ),
        // AWS access key ids
        (re(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), |_| {
            REDACTED.to_string()
        }),
    ]
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_headers_keep_their_scheme() {
        assert_eq!(
            header_value("Authorization", "Bearer abc.def"),
            "Bearer [redacted]"
        );
        for scheme in ["Basic", "Token", "JWT", "Negotiate", "AWS4-HMAC-SHA256"] {
            assert_eq!(
                header_value("authorization", &format!("{scheme} s3cr3t=x, Signature=y")),
                format!("{scheme} [redacted]")
            );
        }
        assert_eq!(
            header_value("Authorization", "s3cr3t-no-scheme"),
            "[redacted]"
        );
        assert_eq!(header_value("Authorization", "hunter2 x"), "[redacted]");
        assert_eq!(
            header_value("cookie", "sid=1; x=2"),
            "sid=[redacted]; x=[redacted]"
        );
        assert_eq!(
            header_value("Set-Cookie", "sid=abc; Path=/; HttpOnly; x=y"),
            "sid=[redacted]; Path=/; HttpOnly; x=[redacted]"
        );
        assert_eq!(header_value("Origin", "https://a"), "https://a");
        assert_eq!(header_value("X-Amz-Security-Token", "FQo"), "[redacted]");
        assert_eq!(header_value("X-Vault-Token", "s.x"), "[redacted]");
        assert_eq!(header_value("Sec-WebSocket-Key", "dGhl"), "dGhl");
        assert_eq!(
            header_value("Location", "wss://u:p@h/cb?code=abc#id_token=z"),
            "wss://[redacted]@h/cb?code=[redacted]#id_token=[redacted]"
        );
    }

    #[test]
    fn kubernetes_tokens_in_subprotocols() {
        assert_eq!(
            header_value(
                "Sec-WebSocket-Protocol",
                "v4.channel.k8s.io, base64url.bearer.authorization.k8s.io.ZXlKaGJH"
            ),
            "v4.channel.k8s.io, base64url.bearer.authorization.k8s.io.[redacted]"
        );
        assert_eq!(subprotocol("chat"), "chat");
    }

    #[test]
    fn param_names_in_every_spelling() {
        for n in [
            "token",
            "access_token",
            "accessToken",
            "authToken",
            "AuthToken",
            "id_token",
            "idToken",
            "refresh-token",
            "code",
            "X-Amz-Security-Token",
            "X-Amz-Signature",
            "X-Amz-Credential",
            "client_secret",
            "clientSecret",
            "APIKey",
            "api_key",
            "session_id",
            "sessionId",
            "password",
        ] {
            assert!(is_secret_param(n), "{n}");
        }
        for n in [
            "room",
            "keyboard",
            "error_code",
            "status_code",
            "session_count",
            "encoding",
            "monkey",
        ] {
            assert!(!is_secret_param(n), "{n}");
        }
    }

    #[test]
    fn urls_lose_userinfo_and_secret_params() {
        assert_eq!(
            url("wss://bob:hunter2@example.com/ws?room=1&token=abc&api_key=z#frag"),
            "wss://[redacted]@example.com/ws?room=1&token=[redacted]&api_key=[redacted]#frag"
        );
        assert_eq!(url("ws://h/p?keyboard=1"), "ws://h/p?keyboard=1");
        assert_eq!(
            url("ws://bob:hun\\ter2@h/x"),
            "ws://[redacted]@h/x",
            "a backslash stays in the userinfo"
        );
        assert_eq!(
            url("wss://h/cb#access_token=abc&state=1"),
            "wss://h/cb#access_token=[redacted]&state=1"
        );
        assert_eq!(
            url("wss://h/?accessToken=a&authToken=b"),
            "wss://h/?accessToken=[redacted]&authToken=[redacted]"
        );
        assert_eq!(
            secret_params("a=1&access_token=2&sig=3"),
            vec!["access_token", "sig"]
        );
    }

    #[test]
    fn heads_are_redacted_line_by_line() {
        let h = "GET /ws?token=t HTTP/1.1\r\nHost: x\r\nAuthorization: Basic Zm9v";
        assert_eq!(
            head(h),
            "GET /ws?token=[redacted] HTTP/1.1\r\nHost: x\r\nAuthorization: Basic [redacted]"
        );
    }

    #[test]
    fn free_text_loses_every_shape() {
        let cases = [
            ("GET wss://bob:pw1@h/ x", "pw1"),
            ("connect ws://u:p\\ss9@h/", "ss9"),
            ("Authorization: Bearer abc123def", "abc123def"),
            ("header Cookie: a=k1; b=k2", "k2"),
            ("set-cookie: sid=k3; Path=/", "k3"),
            ("url /ws?accessToken=k4&x=1", "k4"),
            ("cb#id_token=k5", "k5"),
            (
                r#"{"name":"Authorization","value":"Negotiate k6k6k6k6"}"#,
                "k6",
            ),
            (r#"{"token": "k7k7"}"#, "k7"),
            (
                "Sec-WebSocket-Protocol: base64url.bearer.authorization.k8s.io.k8tok",
                "k8tok",
            ),
            ("tok eyJhbGciOi.eyJzdWIiOi.sig9", "sig9"),
            ("X-Amz-Security-Token: FQoGk10", "FQoGk10"),
            ("key AKIAABCDEFGHIJKLMNOP", "AKIAABCDEFGHIJKLMNOP"),
            ("sent Bearer tok-12345678", "tok-12345678"),
            (
                "AWS4-HMAC-SHA256 Credential=AK/x, Signature=k11abc",
                "k11abc",
            ),
        ];
        for (input, secret) in cases {
            let out = text(input);
            assert!(!out.contains(secret), "{input:?} -> {out:?}");
            assert!(out.contains(REDACTED), "{input:?} -> {out:?}");
        }
        for plain in [
            "the server closed with 1006",
            "proxy_set_header Upgrade $http_upgrade;",
            "send ?token=<token> in the query",
            "Authorization: Bearer <token>",
            "Basic authentication failed",
            "ws://127.0.0.1:9/ws?room=1",
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
        ] {
            assert_eq!(text(plain), plain);
        }
    }

    #[test]
    fn terminal_escapes_controls() {
        assert_eq!(terminal("a\x1b[31mb\n"), "a\\u{1b}[31mb\n");
        assert_eq!(terminal("x\u{9b}2J\r\x07"), "x\\u{9b}2J\\u{d}\\u{7}");
        assert_eq!(terminal("evil\u{202e}txt"), "evil\\u{202e}txt");
        assert!(matches!(terminal("plain"), Cow::Borrowed(_)));
    }
}

#[cfg(test)]
mod catalog_prose {
    /// The last pass runs over whole reports, so it must leave the catalog's own
    /// prose (printed verbatim) alone: a rule that matches a fix text is too broad.
    #[test]
    fn catalog_text_survives_the_last_pass() {
        for c in crate::CATALOG {
            for t in [c.title, c.why, c.fix] {
                assert_eq!(super::text(t), t, "{}", c.id.as_str());
            }
        }
    }
}
