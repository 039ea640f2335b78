//! The rule table's own invariants, then one realistic message per family.

use super::*;
use crate::eval;
use std::collections::HashSet;
use wsdoctor_core::CauseId as C;

/// (text, expected rule, expected top cause of that rule's match)
const FAMILIES: &[(&str, &str, C)] = &[
    (
        "websocket: the client is not using the websocket protocol: 'upgrade' token not found in 'Connection' header",
        "server-upgrade-header-missing",
        C::ProxyUpgradeNotForwarded,
    ),
    (
        "Error: getaddrinfo ENOTFOUND wss wss:443",
        "url-scheme-as-host",
        C::UrlUnparseable,
    ),
    (
        "WebSocket connection to 'wss://x.example/ws' failed: Error during WebSocket handshake: Unexpected response code: 403",
        "chrome-unexpected-response-code",
        C::HttpForbidden,
    ),
    (
        "WebSocket connection to 'ws://localhost:8080/' failed: Error during WebSocket handshake: Unexpected response code: 200",
        "chrome-unexpected-response-code",
        C::HttpNotUpgraded,
    ),
    (
        "Error: Unexpected server response: 426",
        "status-not-101",
        C::HttpUpgradeRequired,
    ),
    (
        "failed to WebSocket dial: expected handshake response status code 101 but got 404",
        "status-not-101",
        C::HttpNotFound,
    ),
    (
        "The server returned status code '502' when status code '101' was expected.",
        "status-not-101",
        C::HttpBadGateway,
    ),
    (
        "websockets.exceptions.InvalidStatus: server rejected WebSocket connection: HTTP 401",
        "status-not-101",
        C::HttpUnauthorized,
    ),
    (
        "websocket._exceptions.WebSocketBadStatusException: Handshake status 504 Gateway Timeout",
        "status-not-101",
        C::HttpGatewayTimeout,
    ),
    (
        "HTTP error: 301 Moved Permanently",
        "status-not-101",
        C::HttpRedirect,
    ),
    (
        "Error during WebSocket handshake: Incorrect 'Sec-WebSocket-Accept' header value",
        "accept-mismatch",
        C::HandshakeAcceptMismatch,
    ),
    (
        "Error during WebSocket handshake: Sec-WebSocket-Accept mismatch",
        "accept-mismatch",
        C::HandshakeAcceptMismatch,
    ),
    (
        "WebSocket protocol error: Key mismatch in \"Sec-WebSocket-Accept\" header",
        "accept-mismatch",
        C::HandshakeAcceptMismatch,
    ),
    (
        "Error during WebSocket handshake: 'Sec-WebSocket-Accept' header is missing",
        "accept-missing",
        C::HandshakeAcceptMissing,
    ),
    (
        "websocket: the client is not using the websocket protocol: 'upgrade' token not found in 'Connection' header",
        "not-a-websocket-request",
        C::ProxyUpgradeNotForwarded,
    ),
    (
        "Handshake failed due to unsupported WebSocket version: 8. Supported versions: [13]",
        "invalid-upgrade-request",
        C::HandshakeInvalidRequest,
    ),
    (
        "websocket: request origin not allowed by Upgrader.CheckOrigin",
        "origin-rejected",
        C::HttpForbidden,
    ),
    (
        "Error: Server sent no subprotocol",
        "subprotocol-not-echoed",
        C::HandshakeSubprotocolNotEchoed,
    ),
    (
        "Error: Server sent a subprotocol but none was requested",
        "subprotocol-unrequested",
        C::HandshakeSubprotocolUnrequested,
    ),
    (
        "Error: Invalid WebSocket frame: RSV1 must be clear",
        "reserved-bits",
        C::SessionReservedBits,
    ),
    (
        "A server must not mask any frames that it sends to the client.",
        "masked-server-frame",
        C::SessionMaskedFrame,
    ),
    (
        "Could not decode a text frame as UTF-8.",
        "invalid-utf8",
        C::SessionInvalidUtf8,
    ),
    (
        "websocket: close 1006 (abnormal closure): unexpected EOF",
        "close-code",
        C::SessionAbruptEof,
    ),
    (
        "websocket: close 1009 (message too big)",
        "close-code",
        C::SessionCloseMessageTooBig,
    ),
    (
        "WebSocket closed with code 4403",
        "close-code",
        C::SessionCloseApplication,
    ),
    (
        "received 1000 (OK); then sent 1000 (OK)",
        "python-close-exchange",
        C::SessionCloseNormal,
    ),
    (
        "java.net.SocketTimeoutException: sent ping but didn't receive pong within 10000ms (after 3 successful ping/pongs)",
        "pong-timeout",
        C::SessionNoPong,
    ),
    (
        "panic: concurrent write to websocket connection",
        "concurrent-write",
        C::AsyncConcurrentSend,
    ),
    (
        "{\"code\":0,\"message\":\"Transport unknown\"}",
        "engineio-transport-unknown",
        C::HttpSocketIoEndpoint,
    ),
    (
        "{\"code\":1,\"message\":\"Session ID unknown\"}",
        "engineio-session-unknown",
        C::HttpStickySessionMissing,
    ),
    (
        "2024/05/01 10:00:00 [info] 77#77: *9 upstream timed out (110: Connection timed out) while proxying upgraded connection, client: 10.0.0.1, server: x, request: \"GET /ws HTTP/1.1\", upstream: \"http://127.0.0.1:9000/ws\"",
        "nginx-upgraded-timeout",
        C::ProxyIdleTimeout,
    ),
    (
        "2024/05/01 10:00:00 [error] 77#77: *9 upstream prematurely closed connection while reading response header from upstream, client: 10.0.0.1",
        "nginx-premature-close-header",
        C::HttpBadGateway,
    ),
    (
        "2024/05/01 10:00:00 [error] 77#77: *9 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 10.0.0.1",
        "nginx-timeout-header",
        C::HttpGatewayTimeout,
    ),
    (
        "2024/05/01 10:00:00 [error] 77#77: *9 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.1",
        "nginx-connect-refused",
        C::HttpBadGateway,
    ),
    (
        "2024/05/01 10:00:00 [error] 77#77: *9 no live upstreams while connecting to upstream, client: 10.0.0.1",
        "nginx-no-live-upstreams",
        C::HttpBadGateway,
    ),
    (
        "May  1 10:01:00 lb haproxy[99]: 10.0.0.1:5555 [01/May/2024:10:00:00.000] fe be/s1 0/0/1/3/60002 101 1234 - - sD-- 1/1/1/1/0 0/0 \"GET /ws HTTP/1.1\"",
        "haproxy-log-line",
        C::ProxyIdleTimeout,
    ),
    (
        "May  1 10:01:00 lb haproxy[99]: 10.0.0.1:5555 [01/May/2024:10:00:00.000] fe be/s1 0/0/-1/-1/3001 503 212 - - SC-- 1/1/0/0/3 0/0 \"GET /ws HTTP/1.1\"",
        "haproxy-log-line",
        C::HttpBadGateway,
    ),
    (
        "termination_state=CD",
        "haproxy-termination-state",
        C::SessionClientAborted,
    ),
    (
        "[Wed May 01 10:00:00.123456 2024] [proxy:error] [pid 12:tid 34] (111)Connection refused: AH00957: WS: attempt to connect to 127.0.0.1:9000 (localhost:9000) failed",
        "apache-backend-connect",
        C::HttpBadGateway,
    ),
    (
        "[Wed May 01 10:00:00.123456 2024] [proxy:warn] [pid 12:tid 34] AH01144: No protocol handler was valid for the URL /ws (scheme 'ws').",
        "apache-no-protocol-handler",
        C::ServerWebsocketUnsupported,
    ),
    (
        "at=error code=H15 desc=\"Idle connection\" method=GET path=\"/cable\" host=x.herokuapp.com status=503",
        "heroku-idle",
        C::ProxyIdleTimeout,
    ),
    (
        "Error 1006: Access denied. The owner of this website has banned your IP address",
        "cloudflare-access-denied",
        C::HttpForbidden,
    ),
    (
        "HTTP/1.1 522 Origin Connection Time-out",
        "cloudflare-origin-status",
        C::HttpBadGateway,
    ),
    (
        "Error: connect ECONNREFUSED 127.0.0.1:8080",
        "errno-refused",
        C::TcpRefused,
    ),
    (
        "dial tcp: lookup ws.example.invalid: no such host",
        "dns-not-found",
        C::DnsNxdomain,
    ),
    (
        "Error: getaddrinfo EAI_AGAIN ws.example.com",
        "dns-temporary",
        C::DnsTimeout,
    ),
    (
        "x509: certificate signed by unknown authority",
        "tls-unknown-authority",
        C::TlsUnknownIssuer,
    ),
    (
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate (_ssl.c:1000)",
        "tls-local-issuer",
        C::TlsIncompleteChain,
    ),
    (
        "invalid peer certificate: certificate not valid for name \"ws.example.com\"; certificate is only valid for DnsName(\"example.com\")",
        "tls-hostname",
        C::TlsHostnameMismatch,
    ),
    (
        "write EPROTO 140:error:1408F10B:SSL routines:ssl3_get_record:wrong version number",
        "tls-to-plaintext",
        C::TlsToPlaintextPort,
    ),
    (
        "400 The plain HTTP request was sent to HTTPS port",
        "nginx-plain-http-to-https",
        C::PlaintextToTlsPort,
    ),
    (
        "WebSocket is closed due to suspension.",
        "safari-suspension",
        C::SessionClientSuspended,
    ),
    (
        "ValueError: No application configured for scope type 'websocket'",
        "stack-no-websocket",
        C::ServerWebsocketUnsupported,
    ),
    (
        "Access to XMLHttpRequest at 'https://api.example.com/socket.io/?EIO=4&transport=polling' from origin 'https://app.example.com' has been blocked by CORS policy",
        "cors-blocked",
        C::CorsNotWebsocket,
    ),
    ("timeout", "socketio-timeout", C::TcpTimeout),
];

/// Text from other software that must match nothing.
const UNRELATED: &[&str] = &[
    "Exception in thread \"main\" java.lang.NullPointerException: Cannot invoke \"String.length()\" because \"s\" is null\n\tat com.example.Foo.bar(Foo.java:42)\n\tat com.example.Main.main(Main.java:7)",
    "OSError: [Errno 28] No space left on device: '/var/lib/postgresql/data/base/16384/2619'",
    "write /var/log/app.log: no space left on device",
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.",
    "ERROR 1045 (28000): Access denied for user 'root'@'localhost' (using password: YES)",
    "Segmentation fault (core dumped)",
    "fatal: not a git repository (or any of the parent directories): .git",
    "TypeError: Cannot read properties of undefined (reading 'map') at App.render (App.js:12:34)",
    "2024-05-01 10:00:00 INFO  Started Application in 4.2 seconds (process running for 5.0)",
];

#[test]
fn every_rule_compiles_and_names_are_unique() {
    let rules = all();
    assert!(rules.len() > 100);
    for i in 0..rules.len() {
        matcher().regex(i);
    }
    matcher().set();
    let mut names = HashSet::new();
    for r in rules {
        assert!(names.insert(r.name), "duplicate rule name {}", r.name);
        assert!((1..=9).contains(&r.weight), "{}", r.name);
        assert!(
            r.anchors.iter().all(|a| *a == a.to_lowercase()),
            "{}: anchors must be lower case",
            r.name
        );
        assert_eq!(
            r.ctx == Ctx::Message,
            r.anchors.is_empty(),
            "{}: message rules and only they have no anchors",
            r.name
        );
        if let Causes::Fixed(list) = r.causes {
            assert!(!list.is_empty(), "{}", r.name);
        }
    }
}

#[test]
fn families_match_with_their_top_cause() {
    for (text, rule, top) in FAMILIES {
        let ms = matcher().match_message(text.as_bytes());
        let m = ms.iter().find(|m| m.rule.name == *rule).unwrap_or_else(|| {
            panic!(
                "{rule} did not match {text:?}; got {:?}",
                ms.iter().map(|m| m.rule.name).collect::<Vec<_>>()
            )
        });
        assert_eq!(m.causes.first(), Some(top), "{rule} on {text:?}");
    }
}

/// The prefilter may only skip a line when no rule can match it: every regex match
/// must contain one of its rule's anchors. Checked on every message we have.
#[test]
fn anchors_cover_every_match() {
    let data = eval::load(
        include_str!("../../data/error-messages.jsonl"),
        include_str!("../../data/gold.tsv"),
    )
    .expect("data loads");
    let unseen = eval::load_unseen(include_str!("../../data/unseen.tsv")).expect("unseen loads");
    let unseen2 = eval::load_unseen(include_str!("../../data/unseen2.tsv")).expect("unseen2 loads");
    let texts = data
        .iter()
        .chain(&unseen)
        .chain(&unseen2)
        .map(|s| s.message.as_str())
        .chain(FAMILIES.iter().map(|f| f.0));
    let mut uncovered = Vec::new();
    for text in texts {
        let lower = text.to_lowercase();
        for m in matcher().match_message(text.as_bytes()) {
            if m.rule.ctx != Ctx::Message && !m.rule.anchors.iter().any(|a| lower.contains(a)) {
                uncovered.push(format!("{}: {text:?}", m.rule.name));
            }
        }
    }
    assert!(
        uncovered.is_empty(),
        "matches without an anchor:\n{}",
        uncovered.join("\n")
    );
}

#[test]
fn log_line_matching_agrees_with_message_matching() {
    let mut scratch = Vec::new();
    for (text, rule, _) in FAMILIES.iter().filter(|f| f.1 != "socketio-timeout") {
        let ms = matcher().match_line(text.as_bytes(), &mut scratch);
        assert!(
            ms.iter().any(|m| m.rule.name == *rule),
            "{rule} not found on the log path for {text:?}"
        );
    }
}

#[test]
fn unrelated_text_matches_nothing() {
    for text in UNRELATED {
        let ms = matcher().match_message(text.as_bytes());
        assert!(
            ms.is_empty(),
            "{text:?} matched {:?}",
            ms.iter().map(|m| m.rule.name).collect::<Vec<_>>()
        );
    }
}

#[test]
fn bare_message_rules_need_the_whole_text() {
    let ms = matcher()
        .match_message(b"2024-05-01 worker 3: timeout while fetching https://example.com/feed");
    assert!(ms.iter().all(|m| m.rule.ctx != Ctx::Message));
}

#[test]
fn haproxy_states_map() {
    assert_eq!(termination_causes(*b"cD"), &[C::ProxyIdleTimeout]);
    assert_eq!(termination_causes(*b"sH"), &[C::HttpGatewayTimeout]);
    assert!(termination_causes(*b"--").is_empty());
}
