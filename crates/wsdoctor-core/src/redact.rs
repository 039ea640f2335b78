//! Secret redaction, applied by default everywhere wsdoctor shows what it sent or
//! saw (DESIGN.md contract): credential headers, URL userinfo and query parameters
//! that look like secrets. `--show-secrets` opts out.

/// What a secret is replaced with.
pub const REDACTED: &str = "[redacted]";

const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "x-auth-token",
];

/// Query parameter names (lower case, exact or as a `_`/`-` separated part) whose
/// values are secrets.
const SECRET_PARAMS: &[&str] = &[
    "token",
    "key",
    "secret",
    "signature",
    "sig",
    "password",
    "passwd",
    "pass",
    "auth",
    "jwt",
    "apikey",
    "session",
    "sessionid",
    "credential",
    "credentials",
    "code",
];

pub fn is_secret_header(name: &str) -> bool {
    SECRET_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// A header value as it may be shown: secret values keep their scheme word
/// (`Bearer [redacted]`) so the user still sees what kind of credential was sent.
pub fn header_value(name: &str, value: &str) -> String {
    if !is_secret_header(name) {
        return value.to_string();
    }
    match value.split_once(' ') {
        Some((scheme, _)) if name.to_ascii_lowercase().ends_with("authorization") => {
            format!("{scheme} {REDACTED}")
        }
        _ => REDACTED.to_string(),
    }
}

pub fn is_secret_param(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_PARAMS.contains(&lower.as_str())
        || lower
            .split(['_', '-', '.'])
            .any(|part| SECRET_PARAMS.contains(&part) && part != "code" && part != "session")
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

/// `path?query` with secret parameter values replaced.
pub fn resource(resource: &str) -> String {
    let Some((path, query)) = resource.split_once('?') else {
        return resource.to_string();
    };
    let parts: Vec<String> = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if is_secret_param(k) => format!("{k}={REDACTED}"),
            _ => kv.to_string(),
        })
        .collect();
    format!("{path}?{}", parts.join("&"))
}

/// A whole URL with userinfo and secret query values replaced. Works on text so it
/// also redacts URLs that do not parse.
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
    let (tail, fragment) = match tail.split_once('#') {
        Some((t, f)) => (t, Some(f)),
        None => (tail, None),
    };
    let mut out = String::new();
    if let Some(s) = scheme {
        out.push_str(s);
        out.push_str("://");
    }
    out.push_str(&authority);
    out.push_str(&resource(tail));
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// One raw request or response head line (`Name: value` or a request line).
pub fn head_line(line: &str) -> String {
    if let Some((name, value)) = line.split_once(':')
        && !name.contains(' ')
    {
        return format!("{name}: {}", header_value(name.trim(), value.trim()));
    }
    // A request line: GET /path?query HTTP/1.1
    let mut parts = line.splitn(3, ' ');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(target), Some(v)) => format!("{m} {} {v}", resource(target)),
        _ => line.to_string(),
    }
}

/// A whole head (CRLF-separated lines), line by line.
pub fn head(text: &str) -> String {
    text.split("\r\n")
        .map(head_line)
        .collect::<Vec<_>>()
        .join("\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_headers_keep_their_scheme() {
        assert_eq!(
            header_value("Authorization", "Bearer abc.def"),
            "Bearer [redacted]"
        );
        assert_eq!(header_value("cookie", "sid=1; x=2"), "[redacted]");
        assert_eq!(header_value("Origin", "https://a"), "https://a");
    }

    #[test]
    fn urls_lose_userinfo_and_secret_params() {
        assert_eq!(
            url("wss://bob:hunter2@example.com/ws?room=1&token=abc&api_key=z#frag"),
            "wss://[redacted]@example.com/ws?room=1&token=[redacted]&api_key=[redacted]#frag"
        );
        assert_eq!(url("ws://h/p?keyboard=1"), "ws://h/p?keyboard=1");
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
}
