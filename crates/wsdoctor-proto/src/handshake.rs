//! The opening handshake (RFC 6455 §4): the Upgrade request, the 101 response, the accept key.
//!
//! Half of all WebSocket failures show up here — a proxy that drops `Upgrade`, an SPA answering
//! 200, a wrong `Sec-WebSocket-Accept` — so the parsers keep everything the peer sent (status,
//! reason, every header in order, repeated headers) for the diagnosis to look at, and
//! [`response_problems`] names every RFC requirement a response breaks instead of stopping at
//! the first. Parsing is bounded by a caller-supplied head size and never judges by itself.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha1::{Digest, Sha1};

/// The GUID appended to the client's key before hashing (RFC 6455 §1.3).
pub const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`: base64(SHA-1(key + GUID)).
pub fn accept_key(key: &str) -> String {
    let mut sha = Sha1::new();
    sha.update(key.as_bytes());
    sha.update(GUID.as_bytes());
    BASE64.encode(sha.finalize())
}

/// A `Sec-WebSocket-Key` from 16 caller-supplied random bytes.
pub fn key_from_bytes(nonce: [u8; 16]) -> String {
    BASE64.encode(nonce)
}

/// The client's Upgrade request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientRequest {
    /// Path and query, e.g. `/chat?room=1`.
    pub path: String,
    /// The `Host` header value (`host` or `host:port`).
    pub host: String,
    /// `Sec-WebSocket-Key`, see [`key_from_bytes`].
    pub key: String,
    pub origin: Option<String>,
    /// Subprotocols, sent as one comma-separated `Sec-WebSocket-Protocol`.
    pub protocols: Vec<String>,
    /// Extension offers, sent as one comma-separated `Sec-WebSocket-Extensions`.
    pub extensions: Vec<String>,
    /// Extra headers, written after the standard ones in order.
    pub headers: Vec<(String, String)>,
}

impl ClientRequest {
    /// The request head, ending with the empty line.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut s = format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: {}\r\nSec-WebSocket-Version: 13\r\n",
            self.path, self.host, self.key
        );
        if let Some(origin) = &self.origin {
            push_header(&mut s, "Origin", origin);
        }
        if !self.protocols.is_empty() {
            push_header(&mut s, "Sec-WebSocket-Protocol", &self.protocols.join(", "));
        }
        if !self.extensions.is_empty() {
            push_header(
                &mut s,
                "Sec-WebSocket-Extensions",
                &self.extensions.join(", "),
            );
        }
        for (name, value) in &self.headers {
            push_header(&mut s, name, value);
        }
        s.push_str("\r\n");
        s.into_bytes()
    }
}

/// A parsed HTTP response head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// 0 = HTTP/1.0, 1 = HTTP/1.1.
    pub version: u8,
    pub status: u16,
    pub reason: String,
    /// Every header in wire order; values decoded lossily if they are not UTF-8.
    pub headers: Vec<(String, String)>,
    /// Bytes of the head including the final empty line; what follows is WebSocket data.
    pub head_len: usize,
}

impl Response {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        first_header(&self.headers, name)
    }

    /// Every header of that name, in order.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        headers_named(&self.headers, name)
    }

    /// Whether a comma-separated header contains `token` (case-insensitive), across repeats.
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        has_token(&self.headers, name, token)
    }
}

/// A parsed HTTP request head (for the lab's servers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// The request target as sent (path and query).
    pub path: String,
    /// 0 = HTTP/1.0, 1 = HTTP/1.1.
    pub version: u8,
    pub headers: Vec<(String, String)>,
    pub head_len: usize,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        first_header(&self.headers, name)
    }

    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        headers_named(&self.headers, name)
    }

    pub fn has_token(&self, name: &str, token: &str) -> bool {
        has_token(&self.headers, name, token)
    }

    /// Whether this is a WebSocket Upgrade request a server should accept (RFC 6455 §4.2.1).
    pub fn is_websocket_upgrade(&self) -> bool {
        self.method == "GET"
            && self.version >= 1
            && self.has_token("Upgrade", "websocket")
            && self.has_token("Connection", "Upgrade")
            && self.header("Sec-WebSocket-Version").map(str::trim) == Some("13")
            && self.header("Sec-WebSocket-Key").is_some()
    }
}

/// A response head for servers to send; the lab may write anything into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerResponse {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
}

impl ServerResponse {
    /// A correct `101 Switching Protocols` for a client key.
    pub fn switching_protocols(client_key: &str) -> ServerResponse {
        ServerResponse {
            status: 101,
            reason: "Switching Protocols".into(),
            headers: vec![
                ("Upgrade".into(), "websocket".into()),
                ("Connection".into(), "Upgrade".into()),
                ("Sec-WebSocket-Accept".into(), accept_key(client_key.trim())),
            ],
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> ServerResponse {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The response head, ending with the empty line.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut s = format!("HTTP/1.1 {} {}\r\n", self.status, self.reason);
        for (name, value) in &self.headers {
            push_header(&mut s, name, value);
        }
        s.push_str("\r\n");
        s.into_bytes()
    }
}

/// Why a request or response head could not be parsed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HeadError {
    /// The head did not end within the caller's limit.
    #[error("HTTP head larger than {limit} bytes")]
    TooLarge { limit: usize },
    /// The peer is not speaking HTTP (e.g. a TLS server answering plain text, SSH, a binary protocol).
    #[error("the peer did not answer with HTTP")]
    NotHttp,
    /// It looked like HTTP but broke the grammar.
    #[error("malformed HTTP head: {0}")]
    Malformed(String),
}

/// Parses a response head from the start of `buf`; `Ok(None)` until the empty line arrives.
pub fn parse_response(buf: &[u8], max_head: usize) -> Result<Option<Response>, HeadError> {
    let n = buf.len().min(5);
    if buf[..n] != b"HTTP/"[..n] {
        return Err(HeadError::NotHttp);
    }
    parse_head(buf, max_head, |headers, window| {
        let mut res = httparse::Response::new(headers);
        let httparse::Status::Complete(head_len) = res.parse(window)? else {
            return Ok(None);
        };
        Ok(Some(Response {
            version: res.version.unwrap_or(1),
            status: res.code.unwrap_or(0),
            reason: res.reason.unwrap_or("").to_string(),
            headers: owned_headers(res.headers),
            head_len,
        }))
    })
}

/// Parses a request head from the start of `buf`; `Ok(None)` until the empty line arrives.
pub fn parse_request(buf: &[u8], max_head: usize) -> Result<Option<Request>, HeadError> {
    // A method is a token followed by a space; anything else in the first bytes (a TLS
    // ClientHello starts with 0x16) means the client is not speaking HTTP.
    for &b in buf.iter().take(32) {
        if b == b' ' {
            break;
        }
        if !is_tchar(b) {
            return Err(HeadError::NotHttp);
        }
    }
    parse_head(buf, max_head, |headers, window| {
        let mut req = httparse::Request::new(headers);
        let httparse::Status::Complete(head_len) = req.parse(window)? else {
            return Ok(None);
        };
        Ok(Some(Request {
            method: req.method.unwrap_or("").to_string(),
            path: req.path.unwrap_or("").to_string(),
            version: req.version.unwrap_or(1),
            headers: owned_headers(req.headers),
            head_len,
        }))
    })
}

/// One extension from `Sec-WebSocket-Extensions`, e.g. `permessage-deflate; client_max_window_bits`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    pub name: String,
    /// Parameters in order; values have quotes removed.
    pub params: Vec<(String, Option<String>)>,
}

impl Extension {
    /// The first parameter of that name (case-insensitive): `None` if absent, `Some(None)` if
    /// present without a value.
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_deref())
    }
}

/// Splits a `Sec-WebSocket-Extensions` value into extensions and parameters (RFC 6455 §9.1),
/// honouring quoted values. Empty elements are skipped.
pub fn parse_extensions(value: &str) -> Vec<Extension> {
    split_outside_quotes(value, ',')
        .into_iter()
        .filter_map(|element| {
            let mut parts = split_outside_quotes(element, ';').into_iter();
            let name = parts.next()?.trim();
            if name.is_empty() {
                return None;
            }
            let params = parts
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| match p.split_once('=') {
                    Some((k, v)) => (k.trim().to_string(), Some(unquote(v.trim()))),
                    None => (p.to_string(), None),
                })
                .collect();
            Some(Extension {
                name: name.to_string(),
                params,
            })
        })
        .collect()
}

/// What is wrong with a server's answer to our Upgrade request, one item per RFC 6455 §4.1
/// requirement (the client's checklist in "_Fail the WebSocket Connection_" order).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeProblem {
    #[error("status {0} instead of 101 Switching Protocols")]
    NotSwitchingProtocols(u16),
    #[error("the Upgrade header does not name websocket")]
    UpgradeHeaderMissing,
    #[error("the Connection header does not contain Upgrade")]
    ConnectionHeaderMissing,
    #[error("no Sec-WebSocket-Accept header")]
    AcceptKeyMissing,
    #[error("Sec-WebSocket-Accept is {got:?}, expected {expected:?}")]
    AcceptKeyMismatch { expected: String, got: String },
    #[error("the server chose subprotocol {0:?}, which was not offered")]
    ProtocolNotOffered(String),
    #[error("the server sent Sec-WebSocket-Protocol more than once")]
    ProtocolRepeated,
    #[error("the server accepted extension {0:?}, which was not offered")]
    ExtensionNotOffered(String),
}

/// Every problem with `resp` as an answer to `req`; empty means the handshake succeeded.
pub fn response_problems(resp: &Response, req: &ClientRequest) -> Vec<HandshakeProblem> {
    let mut problems = Vec::new();
    if resp.status != 101 {
        problems.push(HandshakeProblem::NotSwitchingProtocols(resp.status));
        return problems;
    }
    if !resp.has_token("Upgrade", "websocket") {
        problems.push(HandshakeProblem::UpgradeHeaderMissing);
    }
    if !resp.has_token("Connection", "Upgrade") {
        problems.push(HandshakeProblem::ConnectionHeaderMissing);
    }
    let expected = accept_key(&req.key);
    match resp.header("Sec-WebSocket-Accept").map(str::trim) {
        None => problems.push(HandshakeProblem::AcceptKeyMissing),
        Some(got) if got != expected => problems.push(HandshakeProblem::AcceptKeyMismatch {
            expected,
            got: got.to_string(),
        }),
        Some(_) => {}
    }
    let protocols: Vec<&str> = resp.headers_named("Sec-WebSocket-Protocol").collect();
    if protocols.len() > 1 {
        problems.push(HandshakeProblem::ProtocolRepeated);
    }
    for p in protocols.iter().map(|p| p.trim()) {
        if !req.protocols.iter().any(|o| o == p) {
            problems.push(HandshakeProblem::ProtocolNotOffered(p.to_string()));
        }
    }
    let offered: Vec<String> = req
        .extensions
        .iter()
        .flat_map(|e| parse_extensions(e))
        .map(|e| e.name.to_ascii_lowercase())
        .collect();
    for value in resp.headers_named("Sec-WebSocket-Extensions") {
        for ext in parse_extensions(value) {
            if !offered.contains(&ext.name.to_ascii_lowercase()) {
                problems.push(HandshakeProblem::ExtensionNotOffered(ext.name));
            }
        }
    }
    problems
}

/// Runs an httparse parser over at most `max_head` bytes, growing the header array as needed.
fn parse_head<T>(
    buf: &[u8],
    max_head: usize,
    parse: impl for<'b> Fn(&mut [httparse::Header<'b>], &'b [u8]) -> Result<Option<T>, httparse::Error>,
) -> Result<Option<T>, HeadError> {
    let window = &buf[..buf.len().min(max_head)];
    let mut capacity = 32;
    loop {
        let mut headers = vec![httparse::EMPTY_HEADER; capacity];
        match parse(&mut headers, window) {
            Ok(Some(head)) => return Ok(Some(head)),
            Ok(None) if buf.len() >= max_head => {
                return Err(HeadError::TooLarge { limit: max_head });
            }
            Ok(None) => return Ok(None),
            // Each header takes at least 3 bytes, so the head limit also bounds this growth.
            Err(httparse::Error::TooManyHeaders) if capacity < window.len() / 3 + 1 => {
                capacity *= 4;
            }
            Err(e) => return Err(HeadError::Malformed(e.to_string())),
        }
    }
}

fn owned_headers(headers: &[httparse::Header<'_>]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|h| {
            (
                h.name.to_string(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect()
}

fn first_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn headers_named<'a>(
    headers: &'a [(String, String)],
    name: &'a str,
) -> impl Iterator<Item = &'a str> {
    headers
        .iter()
        .filter(move |(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn has_token(headers: &[(String, String)], name: &str, token: &str) -> bool {
    headers_named(headers, name)
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

fn push_header(s: &mut String, name: &str, value: &str) {
    s.push_str(name);
    s.push_str(": ");
    s.push_str(value);
    s.push_str("\r\n");
}

/// RFC 9110 token characters.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn split_outside_quotes(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == sep && !quoted => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

fn unquote(v: &str) -> String {
    match v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rfc_accept_key_example() {
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn key_is_base64_of_the_nonce() {
        assert_eq!(
            key_from_bytes(*b"the sample nonce"),
            "dGhlIHNhbXBsZSBub25jZQ=="
        );
    }

    fn request() -> ClientRequest {
        ClientRequest {
            path: "/chat?x=1".into(),
            host: "server.example.com:8080".into(),
            key: "dGhlIHNhbXBsZSBub25jZQ==".into(),
            origin: Some("http://example.com".into()),
            protocols: vec!["chat".into(), "superchat".into()],
            extensions: vec!["permessage-deflate; client_max_window_bits".into()],
            headers: vec![("Authorization".into(), "Bearer x".into())],
        }
    }

    #[test]
    fn client_request_bytes() {
        let expected = "GET /chat?x=1 HTTP/1.1\r\nHost: server.example.com:8080\r\n\
            Upgrade: websocket\r\nConnection: Upgrade\r\n\
            Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
            Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n\
            Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\
            Authorization: Bearer x\r\n\r\n";
        assert_eq!(String::from_utf8(request().to_bytes()).unwrap(), expected);
    }

    #[test]
    fn client_request_parses_back_as_an_upgrade() {
        let bytes = request().to_bytes();
        let req = parse_request(&bytes, 4096).unwrap().unwrap();
        assert!(req.is_websocket_upgrade());
        assert_eq!(req.path, "/chat?x=1");
        assert_eq!(req.head_len, bytes.len());
        assert!(req.has_token("sec-websocket-protocol", "SUPERCHAT"));
    }

    const RFC_RESPONSE: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
        Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
        Sec-WebSocket-Protocol: chat\r\n\r\n\x81\x05Hello";

    #[test]
    fn parses_the_rfc_response_and_leaves_frames_after_the_head() {
        let resp = parse_response(RFC_RESPONSE, 4096).unwrap().unwrap();
        assert_eq!(
            (resp.version, resp.status, resp.reason.as_str()),
            (1, 101, "Switching Protocols")
        );
        assert_eq!(&RFC_RESPONSE[resp.head_len..], b"\x81\x05Hello");
        assert_eq!(
            resp.header("sec-websocket-accept"),
            Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        );
        assert_eq!(response_problems(&resp, &request()), vec![]);
    }

    #[test]
    fn incomplete_heads_ask_for_more_until_the_limit() {
        for cut in 0..RFC_RESPONSE.len() - 7 {
            let got = parse_response(&RFC_RESPONSE[..cut], 4096).unwrap();
            assert!(got.is_none(), "cut {cut}");
        }
        assert!(matches!(
            parse_response(&RFC_RESPONSE[..40], 40),
            Err(HeadError::TooLarge { limit: 40 })
        ));
    }

    #[test]
    fn non_http_peers_are_named() {
        assert!(matches!(
            parse_response(b"\x15\x03\x01\x00\x02", 4096),
            Err(HeadError::NotHttp)
        ));
        assert!(matches!(
            parse_response(b"SSH-2.0-OpenSSH", 4096),
            Err(HeadError::NotHttp)
        ));
        assert!(matches!(parse_response(b"HTT", 4096), Ok(None)));
        assert!(matches!(
            parse_request(b"\x16\x03\x01\x02\x00", 4096),
            Err(HeadError::NotHttp)
        ));
        assert!(matches!(
            parse_response(b"HTTP/1.1 abc\r\n\r\n", 4096),
            Err(HeadError::Malformed(_))
        ));
    }

    #[test]
    fn tokens_across_repeated_headers() {
        let resp = parse_response(
            b"HTTP/1.1 101 OK\r\nConnection: keep-alive\r\nconnection: x, UPGRADE\r\n\r\n",
            4096,
        )
        .unwrap()
        .unwrap();
        assert!(resp.has_token("Connection", "upgrade"));
        assert_eq!(resp.headers_named("CONNECTION").count(), 2);
        assert!(!resp.has_token("Upgrade", "websocket"));
    }

    #[test]
    fn many_headers_within_the_limit_parse() {
        let mut head = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..100 {
            head.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
        }
        head.extend_from_slice(b"\r\n");
        assert_eq!(
            parse_response(&head, 8192).unwrap().unwrap().headers.len(),
            100
        );
    }

    #[test]
    fn response_problems_lists_every_requirement_broken() {
        let resp = parse_response(
            b"HTTP/1.1 101 OK\r\nSec-WebSocket-Accept: nope\r\nSec-WebSocket-Protocol: mqtt\r\n\
              Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n\r\n",
            4096,
        )
        .unwrap()
        .unwrap();
        let problems = response_problems(&resp, &request());
        assert_eq!(
            problems,
            vec![
                HandshakeProblem::UpgradeHeaderMissing,
                HandshakeProblem::ConnectionHeaderMissing,
                HandshakeProblem::AcceptKeyMismatch {
                    expected: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".into(),
                    got: "nope".into()
                },
                HandshakeProblem::ProtocolNotOffered("mqtt".into()),
                HandshakeProblem::ExtensionNotOffered("x-webkit-deflate-frame".into()),
            ]
        );
        let spa = parse_response(b"HTTP/1.1 200 OK\r\n\r\n", 4096)
            .unwrap()
            .unwrap();
        assert_eq!(
            response_problems(&spa, &request()),
            vec![HandshakeProblem::NotSwitchingProtocols(200)]
        );
    }

    #[test]
    fn server_response_is_a_valid_101() {
        let bytes = ServerResponse::switching_protocols("dGhlIHNhbXBsZSBub25jZQ==")
            .with_header("Sec-WebSocket-Protocol", "chat")
            .to_bytes();
        let resp = parse_response(&bytes, 4096).unwrap().unwrap();
        assert_eq!(response_problems(&resp, &request()), vec![]);
    }

    #[test]
    fn extensions_with_params_and_quotes() {
        let exts = parse_extensions(
            "permessage-deflate; client_max_window_bits; server_max_window_bits=\"10\", x-foo;a=\"b,c\" , ,",
        );
        assert_eq!(
            exts,
            vec![
                Extension {
                    name: "permessage-deflate".into(),
                    params: vec![
                        ("client_max_window_bits".into(), None),
                        ("server_max_window_bits".into(), Some("10".into())),
                    ],
                },
                Extension {
                    name: "x-foo".into(),
                    params: vec![("a".into(), Some("b,c".into()))]
                },
            ]
        );
        assert_eq!(exts[0].param("SERVER_MAX_WINDOW_BITS"), Some(Some("10")));
        assert_eq!(exts[0].param("client_max_window_bits"), Some(None));
        assert_eq!(exts[0].param("nope"), None);
    }

    proptest! {
        #[test]
        fn head_parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256), limit in 0usize..300) {
            let _ = parse_response(&bytes, limit);
            let _ = parse_request(&bytes, limit);
        }

        #[test]
        fn extension_parser_never_panics(s in ".{0,64}") {
            let _ = parse_extensions(&s);
        }
    }
}
