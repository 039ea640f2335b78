//! The Upgrade answer: what a non-101 status means (with the component that gave
//! it), and for a 101 every RFC 6455 §4.1 requirement as a named finding.

use super::connect::first_line;
use crate::catalog::CauseId;
use crate::evidence::{Evidence, HttpOutcome, HttpResponse, RequestOptions};
use crate::fingerprint::{self, Component};
use crate::report::Finding;
use crate::tables::stacks;
use crate::tables::status::{status_cause, status_causes};

pub fn findings(e: &Evidence, out: &mut Vec<Finding>) {
    let Some(h) = &e.http else { return };
    if super::tls::rejected_after_handshake(e).is_some() {
        return; // a TLS finding, not an HTTP one
    }
    let secure = e.url.secure;
    let f = match &h.outcome {
        HttpOutcome::Response(r) if r.status == 101 => return,
        HttpOutcome::Response(r) => {
            status_findings(e, r, out);
            return;
        }
        HttpOutcome::Silence if !secure => Finding::new(
            CauseId::HttpNoResponse,
            format!(
                "Port {} accepted the connection but sent nothing back to the Upgrade request.",
                e.url.port
            ),
        )
        .evidence(
            "A TLS port waiting for a ClientHello looks the same: if it expects TLS, use wss://.",
        ),
        HttpOutcome::Silence => Finding::new(
            CauseId::HttpNoResponse,
            "The server completed TLS but sent nothing back to the Upgrade request.",
        ),
        HttpOutcome::Closed => Finding::new(
            CauseId::HttpClosedWithoutResponse,
            "The server closed the connection after reading the Upgrade request, without a byte of answer.",
        ),
        HttpOutcome::Reset => Finding::new(
            CauseId::HttpResetWithoutResponse,
            "The connection was reset after the Upgrade request was sent.",
        ),
        HttpOutcome::NotHttp {
            first_bytes,
            looks_like_tls: true,
        } if !secure => Finding::new(
            CauseId::PlaintextToTlsPort,
            format!(
                "Port {} answered the plaintext request with a TLS record: {first_bytes}.",
                e.url.port
            ),
        )
        .also(format!(
            "Use wss://{}:{}{}",
            e.url.host, e.url.port, e.url.resource
        )),
        HttpOutcome::NotHttp { first_bytes, .. } => Finding::new(
            CauseId::HttpNotHttp,
            format!("The server's first bytes were {first_bytes}."),
        ),
        HttpOutcome::HeadTooLarge { limit } => Finding::new(
            CauseId::HttpHeadTooLarge,
            format!("The response head did not end within {limit} bytes."),
        ),
        HttpOutcome::Malformed {
            message,
            first_bytes,
            ..
        } => Finding::new(
            CauseId::HandshakeStatusLine,
            format!("The response could not be parsed ({message}): {first_bytes}."),
        ),
    };
    out.push(f);
}

fn status_findings(e: &Evidence, r: &HttpResponse, out: &mut Vec<Finding>) {
    let components = fingerprint::identify(r);
    let status_line = format!("HTTP/1.{} {} {}", r.version, r.status, r.reason);
    let passing = fingerprint::passing_proxy(&components);
    let body = r.body.to_ascii_lowercase();
    let with_context = |f: Finding| {
        let f = f.evidence(status_line.clone());
        let f = components.iter().fold(f, |f, c| {
            f.evidence(format!("answered by {} ({})", c.name, c.clue))
        });
        match first_line(&r.body) {
            b if b.is_empty() => f,
            b => f.evidence(format!("body: {b}")),
        }
    };

    if r.version == 0 {
        out.push(with_context(Finding::new(
            CauseId::HttpVersion10,
            format!(
                "The server answered with HTTP/1.0 {}: it cannot switch protocols.",
                r.status
            ),
        )));
        if matches!(r.status, 200 | 400 | 426) {
            return;
        }
    }
    let id = refined(e, r, &components, passing, &body)
        .or_else(|| status_cause(r.status))
        .unwrap_or(CauseId::HttpUnexpectedStatus);
    let mut f = Finding::new(id, detail(id, e, r, passing));
    if let Some(fix) = specific_fix(id, e, r, passing) {
        f = f.also(fix);
    }
    out.push(with_context(f));
    // The stack that answered has a known way of failing with this status: rank its
    // cause beside the generic one, with the clue that named the stack.
    for (c, known) in stacks::stack_failures(r) {
        if known.cause != id && !out.iter().any(|f| f.id == known.cause) {
            out.push(
                Finding::new(
                    known.cause,
                    format!(
                        "{} answered {} to the Upgrade, and that is how it fails when its WebSocket support is missing or off.",
                        c.name, r.status
                    ),
                )
                .evidence(format!("answered by {} ({})", c.name, c.clue))
                .evidence(format!("{}: {}.", c.name, known.how)),
            );
        }
    }
    if id == CauseId::HttpNotFound && fingerprint::is_socketio_path(&e.url.resource) {
        out.push(Finding::new(
            CauseId::HttpSocketIoEndpoint,
            "The path is a Socket.IO path; a raw WebSocket needs /socket.io/?EIO=4&transport=websocket and Socket.IO framing.",
        ));
    }
}

/// A more specific cause than the bare status gives, read from what only a live
/// answer carries (the fingerprinted stack, the body, the request we sent). Each
/// refinement names a cause the shared table ([`status_causes`]) lists for that status,
/// so `explain` ranks it too; with no headers and no body this returns `None` and the
/// table's first cause stands (see the module docs of [`crate::tables::status`]).
fn refined(
    e: &Evidence,
    r: &HttpResponse,
    components: &[Component],
    passing: Option<&Component>,
    body: &str,
) -> Option<CauseId> {
    let id = match r.status {
        200 if fingerprint::is_socketio(components) => CauseId::HttpSocketIoEndpoint,
        200 if fingerprint::is_sockjs(components) => CauseId::HttpSockJsEndpoint,
        400 if body.contains("session id unknown") => CauseId::HttpStickySessionMissing,
        400 if body.contains("subprotocol") && !e.request.subprotocols.is_empty() => {
            CauseId::HttpSubprotocolRejected
        }
        400 if fingerprint::is_socketio(components) => CauseId::HttpSocketIoEndpoint,
        // python-socketio answers a raw WebSocket on its path with a bare 400.
        400 if fingerprint::is_socketio_path(&e.url.resource) => CauseId::HttpSocketIoEndpoint,
        400 if fingerprint::is_sockjs(components) => CauseId::HttpSockJsEndpoint,
        400 if body.contains("plain http request was sent to https port") => {
            CauseId::PlaintextToTlsPort
        }
        400 | 426 if passing.is_some() || backend_missed_upgrade(body) => {
            CauseId::ProxyUpgradeNotForwarded
        }
        404 if fingerprint::is_sockjs(components) => CauseId::HttpSockJsEndpoint,
        _ => return None,
    };
    debug_assert!(
        status_causes(r.status).contains(&id),
        "{id:?} is not ranked for {} in the shared table",
        r.status
    );
    Some(id)
}

/// The backend's own words say the Upgrade or Connection header it needed was missing
/// or wrong (Python websockets, gorilla, Node ws, Spring wording). wsdoctor always sends
/// both, so such a complaint proves a hop in between dropped or rewrote them.
fn backend_missed_upgrade(body: &str) -> bool {
    [
        "invalid connection header",
        "missing connection header",
        "invalid upgrade header",
        "missing upgrade header",
        "'upgrade' token not found",
        "'websocket' token not found",
        "not using the websocket protocol",
        "can \"upgrade\" only to \"websocket\"",
        "connection must be upgrade",
    ]
    .iter()
    .any(|needle| body.contains(needle))
}

fn detail(id: CauseId, e: &Evidence, r: &HttpResponse, passing: Option<&Component>) -> String {
    let status = r.status;
    match id {
        CauseId::HttpRedirect => format!(
            "The server answered {status} and points to {}; WebSocket clients do not follow redirects.",
            r.header("location").unwrap_or("(no Location header)")
        ),
        CauseId::ProxyUpgradeNotForwarded if passing.is_none() => format!(
            "The backend answered {status} complaining about {}: it never saw the Upgrade/Connection headers wsdoctor sent, so a hop in between dropped or rewrote them.",
            super::connect::first_line(&r.body)
        ),
        CauseId::ProxyUpgradeNotForwarded => format!(
            "{} passed on a {status} from the backend: the backend saw a request without Upgrade/Connection.",
            passing.map_or("A proxy", |c| c.name)
        ),
        CauseId::HttpVersion10 => format!(
            "The answer is {status} HTTP Version Not Supported although wsdoctor sent HTTP/1.1: a hop in between (e.g. nginx proxy_http_version 1.0) spoke HTTP/1.0 to the backend."
        ),
        CauseId::HttpForbidden => match &e.request.origin {
            Some(o) => {
                format!("The server refused the Upgrade with 403; the request carried Origin: {o}.")
            }
            None => {
                "The server refused the Upgrade with 403; the request carried no Origin header."
                    .into()
            }
        },
        CauseId::HttpUnauthorized => format!(
            "The server wants authentication{}.",
            r.header("www-authenticate")
                .map(|w| format!(" (WWW-Authenticate: {w})"))
                .unwrap_or_default()
        ),
        CauseId::HttpNotFound => format!("Nothing is served at {} on this server.", e.url.resource),
        CauseId::HttpRateLimited => format!(
            "The server answered 429{}.",
            r.header("retry-after")
                .map(|v| format!("; Retry-After: {v}"))
                .unwrap_or_default()
        ),
        CauseId::HttpNotUpgraded => format!(
            "The server answered {status} {} to the Upgrade request{}.",
            r.reason,
            r.header("content-type")
                .map(|c| format!(" with {c}"))
                .unwrap_or_default()
        ),
        _ => format!(
            "The server answered {status} {} to the Upgrade request.",
            r.reason
        ),
    }
}

/// What to change for this run in particular (the redirect target, nginx's
/// directives); it goes in the detail, after the catalog's fix.
fn specific_fix(
    id: CauseId,
    e: &Evidence,
    r: &HttpResponse,
    passing: Option<&Component>,
) -> Option<String> {
    match id {
        CauseId::HttpRedirect => {
            let loc = r.header("location")?;
            let ws = loc.replacen("https://", "wss://", 1).replacen("http://", "ws://", 1);
            Some(format!("Connect to {ws} directly (WebSocket clients do not follow redirects), or stop redirecting the WebSocket path."))
        }
        CauseId::ProxyUpgradeNotForwarded if passing.is_some_and(|c| c.name == "nginx") => Some(
            "In the nginx location: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade; with map $http_upgrade $connection_upgrade { default upgrade; '' close; } in http {}.".into(),
        ),
        CauseId::HttpForbidden if e.request.origin.is_none() => Some(
            "If the server checks Origin, retry with --origin https://your.site to see whether that is the cause; otherwise send the credentials it expects.".into(),
        ),
        _ => None,
    }
}

/// RFC 6455 §4.1 client-side checks on a 101.
pub fn handshake(e: &Evidence, out: &mut Vec<Finding>) {
    let Some(h) = &e.http else { return };
    let HttpOutcome::Response(r) = &h.outcome else {
        return;
    };
    if r.status != 101 {
        return;
    }
    if !r.has_token("upgrade", "websocket") {
        out.push(Finding::new(
            CauseId::HandshakeUpgradeMissing,
            got("Upgrade", r),
        ));
    }
    if !r.has_token("connection", "upgrade") {
        out.push(Finding::new(
            CauseId::HandshakeConnectionMissing,
            got("Connection", r),
        ));
    }
    match r.header("sec-websocket-accept") {
        None => out.push(Finding::new(
            CauseId::HandshakeAcceptMissing,
            "The 101 has no Sec-WebSocket-Accept header.",
        )),
        Some(a) if a.trim() != h.expected_accept => out.push(
            Finding::new(
                CauseId::HandshakeAcceptMismatch,
                "Sec-WebSocket-Accept does not match the key sent.",
            )
            .evidence(format!("Sec-WebSocket-Key sent: {}", h.key))
            .evidence(format!("expected accept: {}", h.expected_accept))
            .evidence(format!("received accept: {}", a.trim())),
        ),
        Some(_) => {}
    }
    negotiation(&e.request, r, out);
}

/// The subprotocol and extensions the server selected, against what was offered: the
/// same checks on a 101 and on an HTTP/2 2xx (RFC 8441 §5 keeps RFC 6455's headers).
pub(crate) fn negotiation(request: &RequestOptions, r: &HttpResponse, out: &mut Vec<Finding>) {
    let answer = if r.version == 2 { "The 2xx" } else { "The 101" };
    let requested = &request.subprotocols;
    let selected: Vec<&str> = r.tokens("sec-websocket-protocol").collect();
    match selected.as_slice() {
        [] if !requested.is_empty() => out.push(Finding::new(
            CauseId::HandshakeSubprotocolNotEchoed,
            format!(
                "Requested {}; {answer} selected none.",
                requested.join(", ")
            ),
        )),
        [] => {}
        [one] if requested.iter().any(|p| p == one) => {}
        _ => out.push(Finding::new(
            CauseId::HandshakeSubprotocolUnrequested,
            format!(
                "{answer} selected {}; requested: {}.",
                selected.join(", "),
                if requested.is_empty() {
                    "none".to_string()
                } else {
                    requested.join(", ")
                }
            ),
        )),
    }
    let offered: Vec<&str> = request
        .extensions
        .iter()
        .map(|x| x.split(';').next().unwrap_or("").trim())
        .collect();
    for ext in r.tokens("sec-websocket-extensions") {
        let name = ext.split(';').next().unwrap_or("").trim();
        if !offered.iter().any(|o| o.eq_ignore_ascii_case(name)) {
            out.push(Finding::new(
                CauseId::HandshakeExtensionUnoffered,
                format!(
                    "{answer} accepted the extension {name}; offered: {}.",
                    if offered.is_empty() {
                        "none".to_string()
                    } else {
                        offered.join(", ")
                    }
                ),
            ));
        }
    }
}

fn got(name: &str, r: &HttpResponse) -> String {
    match r.header(name) {
        Some(v) => format!("{name}: {v} does not carry the required token."),
        None => format!("The 101 has no {name} header."),
    }
}

#[cfg(test)]
mod tests {
    use crate::CauseId;
    use crate::evidence::*;
    use crate::rules::test_support::*;

    fn status(code: u16, headers: &[(&str, &str)], body: &str) -> Vec<CauseId> {
        ids(&with_response(
            healthy_no_session(),
            response(code, headers, body),
        ))
    }

    fn healthy_no_session() -> Evidence {
        Evidence {
            session: None,
            ..healthy()
        }
    }

    #[test]
    fn statuses_map_to_causes() {
        let cases: &[(u16, CauseId)] = &[
            (200, CauseId::HttpNotUpgraded),
            (301, CauseId::HttpRedirect),
            (308, CauseId::HttpRedirect),
            (400, CauseId::HttpBadRequest),
            (401, CauseId::HttpUnauthorized),
            (403, CauseId::HttpForbidden),
            (404, CauseId::HttpNotFound),
            (426, CauseId::HttpUpgradeRequired),
            (429, CauseId::HttpRateLimited),
            (500, CauseId::HttpServerError),
            (502, CauseId::HttpBadGateway),
            (503, CauseId::HttpServiceUnavailable),
            (504, CauseId::HttpGatewayTimeout),
            (418, CauseId::HttpUnexpectedStatus),
        ];
        for (code, id) in cases {
            assert_eq!(status(*code, &[], ""), [*id], "status {code}");
        }
    }

    #[test]
    fn a_stack_with_a_known_failure_ranks_it_beside_the_generic_cause() {
        // uvicorn without websockets/wsproto answers an Upgrade to a WebSocket route 404.
        let e = with_response(
            healthy_no_session(),
            response(404, &[("server", "uvicorn")], "Not Found"),
        );
        let f = crate::rules::diagnose(&e);
        let got: Vec<CauseId> = f.iter().map(|f| f.id).collect();
        assert_eq!(
            got,
            [CauseId::HttpNotFound, CauseId::ServerWebsocketUnsupported]
        );
        assert!(
            f[1].evidence
                .iter()
                .any(|l| l == "answered by uvicorn (server: uvicorn)")
        );
        // The same status from a stack without that failure mode: the generic cause alone.
        assert_eq!(
            status(404, &[("server", "nginx")], ""),
            [CauseId::HttpNotFound]
        );
        // A status the stack does not fail with: nothing added.
        assert_eq!(
            status(500, &[("server", "uvicorn")], ""),
            [CauseId::HttpServerError]
        );
        // A platform that does not pass Upgrades on to its functions.
        assert_eq!(
            status(200, &[("x-vercel-id", "fra1::x")], "<html>"),
            [
                CauseId::HttpNotUpgraded,
                CauseId::ServerWebsocketUnsupported
            ]
        );
        assert_eq!(
            status(503, &[("server", "Microsoft-IIS/10.0")], ""),
            [
                CauseId::HttpServiceUnavailable,
                CauseId::ServerWebsocketUnsupported
            ]
        );
    }

    #[test]
    fn a_proxy_passing_the_backend_426_dropped_the_upgrade() {
        assert_eq!(
            status(426, &[("Server", "nginx/1.22.1")], "Upgrade Required"),
            [CauseId::ProxyUpgradeNotForwarded]
        );
        assert_eq!(
            status(400, &[("Via", "1.1 lab-proxy")], ""),
            [CauseId::ProxyUpgradeNotForwarded]
        );
        assert_eq!(
            status(
                400,
                &[("Server", "nginx")],
                "<center>The plain HTTP request was sent to HTTPS port</center><center>nginx</center>"
            ),
            [CauseId::PlaintextToTlsPort]
        );
    }

    #[test]
    fn a_400_about_the_subprotocol_blames_the_subprotocol() {
        let mut e = with_response(
            healthy_no_session(),
            response(
                400,
                &[],
                "Failed to open a WebSocket connection: invalid subprotocol; expected one of v2.\n",
            ),
        );
        assert_eq!(
            ids(&e),
            [CauseId::HttpBadRequest],
            "no subprotocol was requested"
        );
        e.request.subprotocols = vec!["v1".into()];
        assert_eq!(ids(&e), [CauseId::HttpSubprotocolRejected]);
    }

    #[test]
    fn a_backend_complaining_about_upgrade_headers_was_behind_a_stripping_hop() {
        // Apache without upgrade=websocket passes Python websockets' 426 on unchanged
        // (its own Server header), so only the body shows what the backend received.
        let body =
            "Failed to open a WebSocket connection: invalid Connection header: Keep-Alive.\n";
        assert_eq!(
            status(426, &[("Server", "Python/3.11 websockets/17.4")], body),
            [CauseId::ProxyUpgradeNotForwarded]
        );
        // nginx with proxy_http_version 1.0 in front of websockets: 505.
        assert_eq!(
            status(505, &[("Server", "nginx/1.22.1")], ""),
            [CauseId::HttpVersion10]
        );
    }

    #[test]
    fn a_400_on_a_socketio_path_is_the_socketio_endpoint() {
        for path in [
            "ws://127.0.0.1:9000/socket.io/",
            "ws://127.0.0.1:9000/chat/engine.io/?x=1",
        ] {
            let mut e = with_response(healthy_no_session(), response(400, &[], "Bad Request"));
            e.url = crate::url::analyze(path, false);
            assert_eq!(ids(&e), [CauseId::HttpSocketIoEndpoint], "{path}");
        }
        assert_eq!(status(400, &[], "Bad Request"), [CauseId::HttpBadRequest]);
    }

    #[test]
    fn what_is_specific_to_the_run_goes_in_the_detail_not_the_fix() {
        let e = with_response(
            healthy_no_session(),
            response(301, &[("Location", "https://a.test/ws")], ""),
        );
        let f = crate::diagnose(&e);
        assert_eq!(f[0].id, CauseId::HttpRedirect);
        assert_eq!(f[0].fix, CauseId::HttpRedirect.cause().fix);
        assert!(f[0].detail.contains("wss://a.test/ws"), "{}", f[0].detail);
        let mut e = healthy_no_session();
        e.http.as_mut().unwrap().outcome = HttpOutcome::NotHttp {
            first_bytes: "15 03 03".into(),
            looks_like_tls: true,
        };
        let f = crate::diagnose(&e);
        assert_eq!(f[0].fix, CauseId::PlaintextToTlsPort.cause().fix);
        assert!(f[0].detail.contains("wss://127.0.0.1:9000/ws"));
        let json = serde_json::to_value(&f[0]).unwrap();
        assert_eq!(
            json["blame"],
            serde_json::json!(CauseId::PlaintextToTlsPort.cause().blame)
        );
    }

    #[test]
    fn fingerprinted_endpoints() {
        assert_eq!(
            status(400, &[], r#"{"code":0,"message":"Transport unknown"}"#),
            [CauseId::HttpSocketIoEndpoint]
        );
        assert_eq!(
            status(400, &[], r#"{"code":1,"message":"Session ID unknown"}"#),
            [CauseId::HttpStickySessionMissing]
        );
        assert_eq!(
            status(200, &[], "Welcome to SockJS!\n"),
            [CauseId::HttpSockJsEndpoint]
        );
        let mut r = response(200, &[("Server", "SimpleHTTP/0.6 Python/3.11.7")], "<html>");
        r.version = 0;
        assert_eq!(
            ids(&with_response(healthy_no_session(), r)),
            [CauseId::HttpVersion10]
        );
    }

    #[test]
    fn transport_outcomes() {
        let mut e = healthy_no_session();
        let set = |e: &mut Evidence, o: HttpOutcome| e.http.as_mut().unwrap().outcome = o;
        set(&mut e, HttpOutcome::Silence);
        assert_eq!(ids(&e), [CauseId::HttpNoResponse]);
        set(&mut e, HttpOutcome::Closed);
        assert_eq!(ids(&e), [CauseId::HttpClosedWithoutResponse]);
        set(&mut e, HttpOutcome::Reset);
        assert_eq!(ids(&e), [CauseId::HttpResetWithoutResponse]);
        set(
            &mut e,
            HttpOutcome::NotHttp {
                first_bytes: "15 03 03 00 02".into(),
                looks_like_tls: true,
            },
        );
        assert_eq!(ids(&e), [CauseId::PlaintextToTlsPort]);
        set(
            &mut e,
            HttpOutcome::NotHttp {
                first_bytes: "SSH-2.0".into(),
                looks_like_tls: false,
            },
        );
        assert_eq!(ids(&e), [CauseId::HttpNotHttp]);
        set(&mut e, HttpOutcome::HeadTooLarge { limit: 65536 });
        assert_eq!(ids(&e), [CauseId::HttpHeadTooLarge]);
    }

    fn handshake(
        headers: &[(&str, &str)],
        protocols: &[&str],
        extensions: &[&str],
    ) -> Vec<CauseId> {
        let mut e = with_response(healthy_no_session(), response(101, headers, ""));
        e.request.subprotocols = protocols.iter().map(|s| s.to_string()).collect();
        e.request.extensions = extensions.iter().map(|s| s.to_string()).collect();
        ids(&e)
    }

    const ACCEPT: (&str, &str) = ("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    const UPGRADE: (&str, &str) = ("Upgrade", "websocket");
    const CONNECTION: (&str, &str) = ("Connection", "Upgrade");

    #[test]
    fn each_rfc_requirement_is_a_named_finding() {
        assert!(handshake(&[UPGRADE, CONNECTION, ACCEPT], &[], &[]).is_empty());
        assert_eq!(
            handshake(&[CONNECTION, ACCEPT], &[], &[]),
            [CauseId::HandshakeUpgradeMissing]
        );
        assert_eq!(
            handshake(&[UPGRADE, ACCEPT], &[], &[]),
            [CauseId::HandshakeConnectionMissing]
        );
        assert_eq!(
            handshake(&[UPGRADE, CONNECTION], &[], &[]),
            [CauseId::HandshakeAcceptMissing]
        );
        assert_eq!(
            handshake(
                &[UPGRADE, CONNECTION, ("Sec-WebSocket-Accept", "bogus=")],
                &[],
                &[]
            ),
            [CauseId::HandshakeAcceptMismatch]
        );
        assert_eq!(
            handshake(&[UPGRADE, CONNECTION, ACCEPT], &["chat"], &[]),
            [CauseId::HandshakeSubprotocolNotEchoed]
        );
        assert!(
            handshake(
                &[
                    UPGRADE,
                    CONNECTION,
                    ACCEPT,
                    ("Sec-WebSocket-Protocol", "chat")
                ],
                &["chat"],
                &[]
            )
            .is_empty()
        );
        assert_eq!(
            handshake(
                &[
                    UPGRADE,
                    CONNECTION,
                    ACCEPT,
                    ("Sec-WebSocket-Protocol", "chat")
                ],
                &[],
                &[]
            ),
            [CauseId::HandshakeSubprotocolUnrequested]
        );
        assert_eq!(
            handshake(
                &[
                    UPGRADE,
                    CONNECTION,
                    ACCEPT,
                    ("Sec-WebSocket-Extensions", "x-bogus")
                ],
                &[],
                &[]
            ),
            [CauseId::HandshakeExtensionUnoffered]
        );
        assert!(
            handshake(
                &[
                    UPGRADE,
                    CONNECTION,
                    ACCEPT,
                    (
                        "Sec-WebSocket-Extensions",
                        "permessage-deflate; server_no_context_takeover"
                    )
                ],
                &[],
                &["permessage-deflate; client_max_window_bits"]
            )
            .is_empty()
        );
        // Token matching is case-insensitive and looks inside lists.
        assert!(
            handshake(
                &[
                    ("Upgrade", "WebSocket"),
                    ("Connection", "keep-alive, Upgrade"),
                    ACCEPT
                ],
                &[],
                &[]
            )
            .is_empty()
        );
    }
}
