use super::*;
use wsdoctor_core::CauseId as C;

fn ids(e: &Explanation) -> Vec<CauseId> {
    e.causes.iter().map(|c| c.id).collect()
}

#[test]
fn close_codes_are_explained() {
    let e = explain("1006");
    assert_eq!(e.kind, Kind::CloseCode);
    assert!(e.recognised);
    assert_eq!(ids(&e)[0], C::SessionAbruptEof);
    assert!(ids(&e).contains(&C::ProxyIdleTimeout));
    let info = e.close_code.expect("close code info");
    assert_eq!((info.code, info.on_wire), (1006, false));
    assert!(e.check.contains("--idle"));
    assert_eq!(
        ids(&explain("close 1009")),
        vec![C::SessionCloseMessageTooBig]
    );
    assert_eq!(ids(&explain("4001"))[0], C::SessionCloseApplication);
    assert_eq!(explain("1011 Internal Error").kind, Kind::CloseCode);
}

#[test]
fn statuses_are_explained() {
    let e = explain("403");
    assert_eq!(e.kind, Kind::Status);
    assert_eq!(ids(&e)[0], C::HttpForbidden);
    assert_eq!(e.status.as_ref().map(|s| s.code), Some(403));
    assert!(e.check.contains("--origin"));
    assert_eq!(ids(&explain("HTTP 502")), vec![C::HttpBadGateway]);
    assert_eq!(ids(&explain("404 Not Found"))[0], C::HttpNotFound);
    let ok = explain("101");
    assert!(ok.recognised && ok.causes.is_empty());
}

#[test]
fn cause_ids_are_explained() {
    let e = explain("tls-cert-expired");
    assert_eq!(e.kind, Kind::Cause);
    assert_eq!(ids(&e), vec![C::TlsCertExpired]);
    assert_eq!(e.layer, Some(Layer::Tls));
}

/// A specific wording with a status of at most two readings names its cause; one with
/// many readings (400, 404, 200) is medium.
#[test]
fn a_named_status_is_high_only_with_few_readings() {
    let conf = |t: &str| explain(t).confidence;
    let chrome = "WebSocket connection to 'wss://a.example/ws' failed: Error during WebSocket handshake: Unexpected response code: ";
    assert_eq!(conf(&format!("{chrome}403")), Some(Confidence::High));
    assert_eq!(conf(&format!("{chrome}502")), Some(Confidence::High));
    assert_eq!(conf(&format!("{chrome}400")), Some(Confidence::Medium));
    assert_eq!(conf(&format!("{chrome}200")), Some(Confidence::Medium));
}

#[test]
fn messages_rank_causes_and_carry_the_url() {
    let e = explain(
        "WebSocket connection to 'wss://chat.example.com/live?token=abc123' failed: Error during WebSocket handshake: Unexpected response code: 404",
    );
    assert_eq!(e.kind, Kind::Message);
    // A 404 has several readings (a wrong path, a SockJS or Socket.IO mount, a stack
    // without WebSockets): however exact the wording, it only narrows it down.
    assert_eq!(e.confidence, Some(Confidence::Medium));
    assert_eq!(ids(&e)[0], C::HttpNotFound);
    assert_eq!(e.layer, Some(Layer::Http));
    assert_eq!(e.matched[0].rule, "chrome-unexpected-response-code");
    let url = e.url.as_deref().expect("url found");
    assert!(
        url.starts_with("wss://chat.example.com/live?token="),
        "{url}"
    );
    assert!(!url.contains("abc123"), "secret leaked: {url}");
    assert!(
        e.check
            .starts_with("wsdoctor check 'wss://chat.example.com/live?token="),
        "{}",
        e.check
    );
}

#[test]
fn http_urls_become_websocket_urls_and_addresses_are_found() {
    assert_eq!(
        find_url("GET https://api.example.com failed"),
        Some("wss://api.example.com/".into())
    );
    assert_eq!(
        find_url("see http://10.0.0.1:8080/ws."),
        Some("ws://10.0.0.1:8080/ws".into())
    );
    let e = explain("dial tcp 10.0.0.7:8080: connect: connection refused");
    assert_eq!(ids(&e)[0], C::TcpRefused);
    assert_eq!(e.check, "wsdoctor check 'ws://10.0.0.7:8080/<path>'");
}

#[test]
fn unrelated_text_is_not_recognised() {
    for text in [
        "java.lang.NullPointerException\n\tat com.example.Foo.bar(Foo.java:42)",
        "No space left on device",
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit.",
        "42",
        "999999",
    ] {
        let e = explain(text);
        assert_eq!(e.kind, Kind::NotRecognised, "{text:?}");
        assert!(
            !e.recognised && e.causes.is_empty() && e.layer.is_none(),
            "{text:?}"
        );
        assert_eq!(e.triage.len(), TRIAGE.len());
        assert_eq!(e.check, "wsdoctor check 'wss://<host>/<path>'");
    }
}

#[test]
fn generic_wording_is_low_confidence() {
    let e = explain("the request failed with status 418");
    assert_eq!(e.confidence, Some(Confidence::Low));
    assert_eq!(ids(&e), vec![C::HttpUnexpectedStatus]);
}

#[test]
fn huge_input_is_capped() {
    let text = "x".repeat(MAX_INPUT * 2) + " ERR_CONNECTION_REFUSED";
    let e = explain(&text);
    assert!(!e.recognised, "text beyond the cap is not read");
    assert!(e.input.chars().count() <= 501);
}

#[test]
fn exit_codes_come_from_the_layers() {
    let codes = crate::exit_codes();
    let nums: Vec<i32> = codes.iter().map(|c| c.code).collect();
    assert_eq!(nums, vec![0, 1, 2, 3, 10, 11, 12, 13, 14, 15, 16, 17, 18]);
    assert_eq!(codes[4].layer, Some(Layer::Url));
}

/// Tier 2: codes no family was written for are read from their vocabulary, with the
/// tier and the vocabulary named.
#[test]
fn vocabulary_codes_are_recognised() {
    let cases: &[(&str, C, &str)] = &[
        (
            "GET wss://a.example/ws net::ERR_CERT_DATE_INVALID",
            C::TlsCertExpired,
            "chrome-net-error",
        ),
        (
            "Task <1F2> finished with error [-1202] Error Domain=NSURLErrorDomain Code=-1202 \"The certificate for this server is invalid.\"",
            C::TlsCertExpired,
            "apple-nsurlerror",
        ),
        (
            "SSL_connect failed: error:0A000086:SSL routines::certificate verify failed",
            C::TlsUnknownIssuer,
            "openssl-ssl-reason",
        ),
        (
            "ConnectionRefusedError: [Errno 111] Connect call failed",
            C::TcpRefused,
            "errno-linux",
        ),
        (
            "System.Net.Sockets.SocketException (10061): No connection could be made",
            C::TcpRefused,
            "windows-winsock",
        ),
        (
            "The certificate chain was issued by an authority that is not trusted 0x80090325",
            C::TlsUnknownIssuer,
            "windows-schannel",
        ),
        (
            "Firefox: SEC_ERROR_EXPIRED_CERTIFICATE",
            C::TlsCertExpired,
            "nss",
        ),
        (
            "Error: self-signed: DEPTH_ZERO_SELF_SIGNED_CERT",
            C::TlsSelfSigned,
            "openssl-verify",
        ),
    ];
    assert_vocabulary(cases);
}

/// Each text gets its cause from the named vocabulary (tier 2).
fn assert_vocabulary(cases: &[(&str, C, &str)]) {
    for (text, id, vocab) in cases {
        let e = explain(text);
        assert!(ids(&e).contains(id), "{text:?}: {:?}", ids(&e));
        assert!(
            e.matched
                .iter()
                .any(|m| m.tier == Tier::Vocabulary && m.rule == *vocab),
            "{text:?}: {:?}",
            e.matched.iter().map(|m| m.rule).collect::<Vec<_>>()
        );
    }
}

/// A known code that names no WebSocket cause is not an answer.
#[test]
fn vocabulary_codes_without_a_cause_are_not_answers() {
    let e = explain("net::ERR_CACHE_MISS");
    assert!(!e.recognised, "{:?}", ids(&e));
}

#[test]
fn vocabulary_codes_of_libraries_are_recognised() {
    let cases: &[(&str, C, &str)] = &[
        (
            "Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match",
            C::TlsHostnameMismatch,
            "node-error",
        ),
        (
            "RangeError: Invalid WebSocket frame: WS_ERR_UNEXPECTED_MASK",
            C::SessionMaskedFrame,
            "node-ws",
        ),
        (
            "websockets.exceptions.PayloadTooBig: over size limit",
            C::SessionMessageTooLarge,
            "python-exception",
        ),
        (
            "Caused by: java.security.cert.CertificateExpiredException: NotAfter: Mon",
            C::TlsCertExpired,
            "java-exception",
        ),
        (
            "WebSocket protocol error: Key mismatch in \"Sec-WebSocket-Accept\" header",
            C::HandshakeAcceptMismatch,
            "rust-error",
        ),
    ];
    assert_vocabulary(cases);
}

#[test]
fn a_concept_answers_where_no_family_or_code_does() {
    // No family or vocabulary knows this wording; the words Origin + refused do.
    let e = explain("gateway says: the Origin you came from is refused here");
    assert!(e.recognised);
    assert_eq!(ids(&e)[0], C::HttpForbidden);
    assert_eq!(e.confidence, Some(Confidence::Medium));
    assert_eq!(e.matched[0].tier, Tier::Concept);
    assert_eq!(e.matched[0].rule, "origin-rejected");
    assert_eq!(e.matched[0].text, "origin + refus");
}

#[test]
fn a_concept_stays_silent_under_a_specific_family() {
    let e = explain(
        "WebSocket connection to 'wss://a.test/' failed: Error during WebSocket handshake: Unexpected response code: 404 (no sticky session)",
    );
    assert_eq!(ids(&e)[0], C::HttpNotFound);
    assert!(e.matched.iter().all(|m| m.tier != Tier::Concept));
}

#[test]
fn statuses_in_unknown_wrappings_name_their_cause() {
    let e = explain("error: unable to upgrade connection: Forbidden");
    assert_eq!(ids(&e).first(), Some(&C::HttpForbidden));
    assert_eq!(e.status.as_ref().map(|s| s.code), Some(403));
    assert_eq!(e.confidence, Some(Confidence::Medium));
    let e = explain("lws_client_ws_upgrade: got bad HTTP response '404'");
    assert_eq!(ids(&e).first(), Some(&C::HttpNotFound));
    let e = explain("InvalidStatusCode(401, Headers([]))  while opening the WebSocket");
    assert_eq!(ids(&e).first(), Some(&C::HttpUnauthorized));
}

#[test]
fn statuses_outside_a_websocket_text_are_not_read() {
    // A 404 on a page request and a success line say nothing about a handshake.
    assert!(!explain("INFO: 10.0.0.1 - \"GET /favicon.ico HTTP/1.1\" 404 Not Found").recognised);
    assert!(!explain("GET / Sent 200 in 306us").recognised);
}

#[test]
fn socketio_400_with_a_session_id_is_the_sticky_session() {
    let e = explain(
        "WebSocket connection to 'wss://a.test/socket.io/?EIO=4&transport=websocket&sid=abc' failed: Error during WebSocket handshake: Unexpected response code: 400",
    );
    assert_eq!(ids(&e).first(), Some(&C::HttpStickySessionMissing));
    assert_eq!(e.confidence, Some(Confidence::Medium));
}

#[test]
fn a_close_code_next_to_a_failure_is_not_high_confidence() {
    let e =
        explain("Connection Closed: 1000 {\"error\": \"initialization failed: token required\"}");
    assert_ne!(e.confidence, Some(Confidence::High));
}

#[test]
fn server_side_upgrade_header_missing_blames_the_proxy_first() {
    let e = explain("Handshake failed due to invalid Upgrade header: null");
    assert_eq!(ids(&e).first(), Some(&C::ProxyUpgradeNotForwarded));
}

#[test]
fn a_pasted_head_from_a_stack_with_a_known_failure_ranks_it_second() {
    // What `curl -i` shows of uvicorn without websockets/wsproto (the head check sees).
    let head = "HTTP/1.1 404 Not Found\ndate: Thu, 03 Dec 2026 14:53:20 GMT\nserver: uvicorn\ncontent-type: text/plain; charset=utf-8";
    let e = explain(head);
    assert_eq!(
        ids(&e)[..2],
        [C::HttpNotFound, C::ServerWebsocketUnsupported]
    );
    let stack = e.matched.iter().find(|m| m.tier == Tier::Stack);
    assert_eq!(
        stack.map(|m| (m.rule, m.text.as_str())),
        Some(("uvicorn", "server: uvicorn"))
    );
    // The same head from a server without that failure mode keeps the table's order.
    let nginx = explain(&head.replace("uvicorn", "nginx/1.22.1"));
    assert!(nginx.matched.iter().all(|m| m.tier != Tier::Stack));
    assert_ne!(ids(&nginx).get(1), Some(&C::ServerWebsocketUnsupported));
}

#[test]
fn check_and_explain_read_the_same_stack_table() {
    // For every entry and status of the shared table, a live answer (check) and the
    // same head pasted (explain) name the stack's cause beside the status's first cause.
    use wsdoctor_core::evidence::{Evidence, HttpEvidence, HttpOutcome, HttpResponse};
    for f in wsdoctor_core::tables::STACK_FAILURES {
        let (name, value) = match f.stack {
            "Vercel" => ("x-vercel-id", "fra1::x".to_string()),
            "Netlify" => ("x-nf-request-id", "01H".to_string()),
            "IIS" => ("Server", "Microsoft-IIS/10.0".to_string()),
            other => ("Server", other.to_string()),
        };
        for s in f.statuses {
            let pasted = explain(&format!("HTTP/1.1 {s} X\n{name}: {value}"));
            assert_eq!(
                ids(&pasted).get(1),
                Some(&f.cause),
                "explain {} {s}",
                f.stack
            );
            let live = Evidence {
                url: wsdoctor_core::url::analyze("ws://127.0.0.1:9/ws", false),
                http: Some(HttpEvidence {
                    outcome: HttpOutcome::Response(HttpResponse {
                        version: 1,
                        status: *s,
                        reason: "X".into(),
                        headers: vec![(name.into(), value.clone())],
                        body: String::new(),
                    }),
                    ..HttpEvidence::default()
                }),
                ..Evidence::default()
            };
            let found: Vec<CauseId> = wsdoctor_core::diagnose(&live)
                .iter()
                .map(|f| f.id)
                .collect();
            assert!(found.contains(&f.cause), "check {} {s}: {found:?}", f.stack);
        }
    }
}

/// Paraphrases in no corpus: a database or queue refusing is another bug, not the
/// WebSocket's; the same refusal from the WebSocket's own port still counts.
#[test]
fn other_services_are_not_recognised() {
    for text in [
        "ConnectionRefusedError: [Errno 111] Connect call failed ('10.0.0.5', 5432)",
        "pymongo.errors.ServerSelectionTimeoutError: db:27017: [Errno 111] Connection refused",
        "Error: connect ECONNREFUSED 127.0.0.1:6379",
    ] {
        assert!(!explain(text).recognised, "{text}");
    }
    let ws = explain(
        "WebSocket connection to 'ws://10.0.0.5:6379/' failed: net::ERR_CONNECTION_REFUSED",
    );
    assert_eq!(ids(&ws)[0], C::TcpRefused);
    assert_eq!(
        ids(&explain("Error: connect ECONNREFUSED 127.0.0.1:8080"))[0],
        C::TcpRefused
    );
}

/// A status anywhere in the text says more than a wording that only says the Upgrade
/// failed.
#[test]
fn a_status_outranks_a_not_upgraded_wording() {
    for (text, want) in [
        (
            "upgrade failed: server answered 404 Not Found",
            C::HttpNotFound,
        ),
        (
            "websocket: bad handshake with resp: 401 401 Unauthorized",
            C::HttpUnauthorized,
        ),
        ("HTTPUpgradeError.notAnUpgrade(502)", C::HttpBadGateway),
        ("ws dial: invalid status code 403.", C::HttpForbidden),
    ] {
        assert_eq!(ids(&explain(text))[0], want, "{text}");
    }
}

/// The browser's InvalidStateError while CONNECTING is a send before open, never a
/// high-confidence send after close.
#[test]
fn invalid_state_while_connecting_is_a_send_before_open() {
    let e = explain("InvalidStateError: send() called on a WebSocket that is still connecting");
    assert_eq!(ids(&e)[0], C::AsyncSendBeforeOpen);
    assert_ne!(e.confidence, Some(Confidence::High));
}

/// Tornado's exceptions and its pseudo-status 599 (no HTTP answer), by class name or
/// by what they print; and a library's close-status name, as its close code.
#[test]
fn tornado_and_close_status_names() {
    let first = |t: &str| ids(&explain(t))[0];
    assert_eq!(
        first("tornado.websocket.WebSocketClosedError while pushing an update"),
        C::AsyncSendAfterClose
    );
    assert_eq!(
        first("tornado.simple_httpclient.HTTPTimeoutError: HTTP 599: Timeout while connecting"),
        C::TcpTimeout
    );
    assert_eq!(
        first("websocket_connect failed: HTTP 599: Stream closed"),
        C::HttpClosedWithoutResponse
    );
    assert_eq!(
        first("read loop ended: websocket: StatusGoingAway"),
        C::SessionCloseGoingAway
    );
    assert_eq!(
        first("onClose: CloseReason[CloseCodes.TOO_BIG]"),
        C::SessionCloseMessageTooBig
    );
}

/// Paraphrases, in no corpus: the JVM WebSocket libraries' vocabulary, and an HRESULT
/// printed as a signed number.
#[test]
fn jvm_websocket_codes_and_signed_hresults() {
    let first = |t: &str| ids(&explain(t)).first().copied();
    // A code that only says "not 101" yields to the status the same text names.
    assert_eq!(
        first(
            "OpeningHandshakeException: The status code of the opening handshake response is not '101 Switching Protocols'. The status line is: HTTP/1.1 401 Unauthorized"
        ),
        Some(C::HttpUnauthorized)
    );
    assert_eq!(
        first("org.java_websocket.exceptions.InvalidFrameException: bad rsv 1 in frame"),
        Some(C::SessionReservedBits)
    );
    assert_eq!(
        first(
            "com.neovisionaries.ws.client.WebSocketException: The opening handshake response does not contain 'Sec-WebSocket-Accept' header."
        ),
        Some(C::HandshakeAcceptMissing)
    );
    assert_eq!(
        first("TLS setup failed (OSStatus error -2146762487.)"),
        Some(C::TlsUnknownIssuer)
    );
    assert_eq!(
        first("schannel: HRESULT 0x800B010F"),
        Some(C::TlsHostnameMismatch)
    );
    // A negative number that is not after a code word is no HRESULT.
    assert!(!explain("offset -2146762487 in the file").recognised);
}

/// Paraphrases, in no corpus: high must be right, so where words of the same text form
/// a concept that points elsewhere, a single-cause code is only medium.
#[test]
fn a_concept_that_points_elsewhere_lowers_high() {
    let e = explain("connect ECONNREFUSED 10.0.0.9:8080");
    assert_eq!(e.confidence, Some(Confidence::High));
    let e = explain(
        "connect ECONNREFUSED 10.0.0.9:8080 after: request origin https://x.test was not allowed",
    );
    assert_eq!(ids(&e)[0], C::TcpRefused);
    assert_eq!(e.confidence, Some(Confidence::Medium));
    // nginx's "upstream prematurely closed … while reading response header": the
    // proxy's 502, and the server that closed without answering.
    let e = explain(
        "[error] 7#7: *3 upstream prematurely closed connection while reading response header from upstream, request: \"GET /ws HTTP/1.1\"",
    );
    assert_eq!(
        ids(&e)[..2],
        [C::HttpBadGateway, C::HttpClosedWithoutResponse]
    );
}
