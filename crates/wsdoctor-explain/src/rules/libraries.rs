//! Client and server WebSocket libraries: Node `ws`, socket.io/engine.io, Python
//! `websockets`, `websocket-client`, aiohttp, Go gorilla and coder/websocket, Java
//! OkHttp, Spring, Tyrus, Java-WebSocket, .NET ClientWebSocket and SignalR, Rust
//! tungstenite, Dart, iOS. Families are shared across libraries where the wording is
//! (the accept-key checks of six libraries are one rule).

use super::Causes::{Close, Fixed as F, Status};
use super::Rule;
use super::browsers::UNKNOWN_STATUS;
use wsdoctor_core::CauseId as C;

const ABRUPT: &[C] = &[C::SessionAbruptEof, C::ProxyIdleTimeout, C::SessionReset];

pub(super) static RULES: &[Rule] = &[
    // ── handshake answered with something other than 101 ───────────────────────
    rule!(
        "status-not-101",
        "libraries",
        8,
        Any,
        [
            "unexpected server response",
            "but got",
            "when status code '101'",
            "not upgraded to websocket",
            "http error:",
            "connection rejected (",
            "rejected websocket connection",
            "handshake status",
            "invalid response status",
            "invalid status code received",
            "bad response code",
            "expected http 101",
            "response status"
        ],
        r"unexpected server response:?\s*(?P<status>\d{3}|<\w+>)?|status code 101 but got\s*(?P<status2>\d{3}|<\w+>)?|status code '(?P<status3>\d{3}|<\w+>)' when status code '101'|not upgraded to websocket(?:, http status code:?\s*(?P<status4>\d{3}|<\w+>))?|http error:\s*(?P<status5>\d{3}|<\w+>)|connection rejected \((?P<status6>\d{3}|<\w+>)|rejected websocket connection:? http (?P<status7>\d{3}|<\w+>)|handshake status (?P<status8>\d{3}|<\w+>)|(?P<status9>\d{3}|<\w+>),? message='invalid response status'|invalid status code received:?\s*(?P<status10>\d{3}|<\w+>)|bad response code from server\s*(?P<status11>\d{3}|<\w+>)?|expected http 101 response but was '(?P<status12>\d{3})|response status (?P<status13>\d{3})",
        Status(UNKNOWN_STATUS)
    ),
    rule!(
        "gorilla-bad-handshake",
        "go-gorilla",
        7,
        Any,
        ["websocket: bad handshake"],
        // gorilla says this for any answer but 101 (and for a 101 without its headers):
        // a status elsewhere in the text names it; without one, the plain page (200),
        // some other status, a refusal, a wrong path or a redirect, in that order (in
        // the field, a bare "bad handshake" was as often a status the thread did not
        // name as the plain page).
        r"websocket: bad handshake(?: with resp: (?P<status>[1-5][0-9]{2}))?",
        Status(&[
            C::HttpNotUpgraded,
            C::HttpUnexpectedStatus,
            C::HttpForbidden,
            C::HttpNotFound,
            C::HttpRedirect,
            C::ProxyUpgradeNotForwarded
        ])
    ),
    rule!(
        "handshake-error-wrapper",
        "java",
        5,
        Any,
        ["handshake error", "deploymentexception"],
        // Not Java's SSLHandshakeException nor Dart's "Handshake error in client": TLS.
        r"deploymentexception|handshake error\.",
        F(&[C::HttpUnexpectedStatus, C::HttpForbidden, C::HttpNotFound])
    ),
    rule!(
        "java-websocket-draft-refuses",
        "java-websocket",
        7,
        Any,
        ["refuses handshake"],
        r"draft\S* refuses handshake",
        F(&[
            C::HttpUnexpectedStatus,
            C::HttpSockJsEndpoint,
            C::HandshakeAcceptMissing
        ])
    ),
    rule!(
        "redirect-not-followed",
        "libraries",
        8,
        Any,
        ["redirect"],
        r"maximum redirects exceeded|too many redirects|cannot follow redirect|redirects? (?:is |are )?not (?:supported|allowed|followed)",
        F(&[C::HttpRedirect])
    ),
    // ── the 101 is incomplete or wrong (client side) ───────────────────────────
    rule!(
        "accept-mismatch",
        "libraries",
        8,
        Any,
        ["sec-websocket-accept", "secwebsocketacceptkeymismatch"],
        r"(?:incorrect|mismatch|invalid|wrong|unexpected)[^\n]{0,40}sec-websocket-accept|sec-websocket-accept'?\x22?[^\n]{0,30}(?:is incorrect|mismatch|invalid|does not match|doesn't match)|secwebsocketacceptkeymismatch",
        F(&[C::HandshakeAcceptMismatch])
    ),
    rule!(
        "accept-missing",
        "libraries",
        9,
        Any,
        ["sec-websocket-accept"],
        r"sec-websocket-accept'?\x22?\s*header is missing|(?:missing|no|without)[^\n]{0,20}sec-websocket-accept|(?:did not|didn't|does not|doesn't) contain[^\n]{0,20}sec-websocket-accept|required header 'sec-websocket-accept'",
        F(&[C::HandshakeAcceptMissing])
    ),
    // The server saw a request without a usable Upgrade header: on the way there a
    // proxy dropped it (hop-by-hop) far more often than the client failed to send it.
    rule!(
        "server-upgrade-header-missing",
        "servers",
        9,
        Any,
        [
            "handshake failed due to invalid upgrade",
            "upgrade headers in request",
            "upgrade header in request",
            "upgrade\" header",
            "upgrade header",
            "not using the websocket protocol",
            "can \"upgrade\" only"
        ],
        r"handshake failed due to invalid upgrade header|missing upgrade headers? in (?:the )?request|upgrade headers? (?:is |are )?missing (?:in|from) (?:the )?request|bad \x22?upgrade\x22? header|can \x22?upgrade\x22? only to \x22?websocket|not using the websocket protocol",
        F(&[C::ProxyUpgradeNotForwarded, C::HandshakeUpgradeMissing])
    ),
    rule!(
        "upgrade-header-wrong",
        "libraries",
        8,
        Any,
        [
            "upgrade header",
            "upgrade' header",
            "upgrade\" header",
            "upgrade: websocket",
            "upgrade hdr",
            "required header 'upgrade'"
        ],
        r"upgrade'?\x22?\s*header (?:is missing|value)|'upgrade' header value|no \x22?upgrade: websocket\x22? header|invalid upgrade header|upgrade header \x22[^\x22]*\x22 does not contain websocket|expected 'upgrade' header value|missing upgrade header|required header 'upgrade'|invalid 'upgrade' header",
        F(&[C::HandshakeUpgradeMissing, C::ProxyUpgradeNotForwarded])
    ),
    rule!(
        "connection-header-wrong",
        "libraries",
        8,
        Any,
        [
            "connection' header",
            "connection\" header",
            "connection header",
            "connection: upgrade",
            "connection upgrade",
            "\"connection\" must be",
            "required header 'connection'"
        ],
        r"'connection' header (?:is missing|value)|no \x22?connection: upgrade\x22? header|no connection upgrade hdr|connection header \x22[^\x22]*\x22 does not contain upgrade|\x22connection\x22 must be \x22upgrade\x22|expected 'connection' header value|(?:missing|invalid) connection header|required header 'connection'",
        F(&[C::HandshakeConnectionMissing, C::ProxyUpgradeNotForwarded])
    ),
    rule!(
        "required-header-missing",
        "dotnet-clientwebsocket",
        6,
        Any,
        ["missing the required header"],
        r"missing the required header",
        F(&[
            C::HandshakeUpgradeMissing,
            C::HandshakeConnectionMissing,
            C::HandshakeAcceptMissing
        ])
    ),
    rule!(
        "invalid-websocket-header",
        "python-websocket-client",
        7,
        Any,
        ["invalid websocket header"],
        r"invalid websocket header",
        F(&[
            C::HandshakeUpgradeMissing,
            C::HandshakeConnectionMissing,
            C::HandshakeAcceptMismatch,
            C::HandshakeSubprotocolUnrequested
        ])
    ),
    rule!(
        "subprotocol-not-echoed",
        "libraries",
        9,
        Any,
        [
            "no subprotocol",
            "sec-websocket-protocol' header but no response",
            "subprotocol"
        ],
        r"server sent no subprotocol|sent non-empty 'sec-websocket-protocol' header but no response|no subprotocol (?:was )?(?:selected|returned|echoed|negotiated)|subprotocol[^\n]{0,30}(?:was )?not (?:selected|returned|echoed|negotiated)",
        F(&[C::HandshakeSubprotocolNotEchoed])
    ),
    rule!(
        "subprotocol-unrequested",
        "libraries",
        8,
        Any,
        ["subprotocol", "sec-websocket-protocol"],
        r"sent a subprotocol but none was requested|must not include 'sec-websocket-protocol'|sec-websocket-protocol'? header value[^\n]*does not match|unsupported subprotocol|no subprotocols supported|server sent (?:an? )?(?:invalid|unexpected|unknown|unrequested) subprotocol",
        F(&[C::HandshakeSubprotocolUnrequested])
    ),
    rule!(
        "extension-unoffered",
        "libraries",
        8,
        Any,
        ["extension", "permessage-deflate"],
        r"sec-websocket-extensions|unsupported extension|extension that was not requested|extension[^\n]{0,20}not (?:requested|offered|negotiated)|error in permessage-deflate|permessage-deflate[^\n]{0,40}(?:invalid|error|unsupported)",
        F(&[C::HandshakeExtensionUnoffered])
    ),
    rule!(
        "closed-reading-status-line",
        "python-websockets",
        8,
        Any,
        [
            "while reading http status line",
            "did not receive a valid http response",
            "handshake not finished",
            "handshakeincomplete",
            "before receiving a handshake response"
        ],
        r"closed before receiving a handshake response|closed while reading http status line|did not receive a valid http response|handshake not finished|handshakeincomplete",
        F(&[
            C::HttpClosedWithoutResponse,
            C::PlaintextToTlsPort,
            C::TlsToPlaintextPort
        ])
    ),
    // ── the request was not a valid opening handshake (server side) ────────────
    rule!(
        "not-a-websocket-request",
        "go-gorilla",
        9,
        Any,
        [
            "not using the websocket protocol",
            "not a websocket handshake",
            "token not found in 'upgrade' header",
            "token not found in 'connection' header"
        ],
        r"not using the websocket protocol|not a websocket handshake|token not found in '(?:upgrade|connection)' header",
        F(&[C::ProxyUpgradeNotForwarded, C::HandshakeInvalidRequest])
    ),
    rule!(
        "invalid-upgrade-request",
        "libraries",
        8,
        Any,
        [
            "sec-websocket-version",
            "sec-websocket-key",
            "http method",
            "handshake method",
            "http function",
            "websocket version",
            "protocol version (only 13",
            "request method is not get"
        ],
        r"(?:missing|invalid|unsupported)[^\n]{0,30}sec-websocket-(?:version|key)|sec-websocket-key[^\n]{0,20}(?:missing|must be)|unsupported version: 13 not found|(?:invalid|unexpected|bad) (?:http|handshake) method|wrong http function|unsupported websocket (?:protocol )?version|request method is not get|missing \x22sec-websocket-key\x22",
        F(&[C::HandshakeInvalidRequest, C::ProxyUpgradeNotForwarded])
    ),
    rule!(
        "invalid-http-request",
        "python-websockets",
        8,
        Any,
        [
            "did not receive a valid http request",
            "opening handshake failed"
        ],
        r"did not receive a valid http request|opening handshake failed",
        F(&[
            C::HandshakeInvalidRequest,
            C::TlsToPlaintextPort,
            C::HttpServerError
        ])
    ),
    rule!(
        "origin-rejected",
        "libraries",
        9,
        Any,
        ["origin"],
        r"origin not allowed|checkorigin|origin header value[^\n]{0,60}not allowed|invalid origin header|invalid host/origin header|rejected[^\n]{0,20}origin|origin[^\n]{0,20}(?:rejected|forbidden|not permitted)",
        F(&[C::HttpForbidden])
    ),
    // ── framing ─────────────────────────────────────────────────────────────────
    rule!(
        "masked-server-frame",
        "libraries",
        9,
        Any,
        ["mask"],
        r"must not mask any frames|server-sent frames must not be masked|masked frame from server|maskedframefromserver|received a masked frame",
        F(&[C::SessionMaskedFrame])
    ),
    rule!(
        "unmasked-client-frame",
        "libraries",
        9,
        Any,
        ["unmasked", "must be masked", "mask must be set"],
        r"unmasked frame from client|unmaskedframefromclient|frames? from (?:the )?client must be masked|mask must be set",
        F(&[C::SessionProtocolViolation])
    ),
    rule!(
        "reserved-bits",
        "libraries",
        9,
        Any,
        [
            "reserved bit",
            "rsv1",
            "rsv2",
            "rsv3",
            "nonzeroreservedbits"
        ],
        r"reserved bits? (?:are|is|must|set|on)|rsv[123](?: and rsv[123])? must be (?:clear|0|zero)|nonzeroreservedbits|unexpected rsv",
        F(&[C::SessionReservedBits])
    ),
    rule!(
        "bad-fragmentation",
        "libraries",
        9,
        Any,
        [
            "continuation",
            "previous message is unfinished",
            "nothing to continue",
            "expectedfragment",
            "unexpectedcontinueframe"
        ],
        r"unexpected continuation|previous message is unfinished|invalid continuation|nothing to continue|expected (?:a )?continuation|expectedfragment|unexpectedcontinueframe",
        F(&[C::SessionBadFragmentation, C::AsyncConcurrentSend])
    ),
    rule!(
        "invalid-utf8",
        "libraries",
        8,
        Any,
        ["utf-8", "utf8"],
        r"(?:invalid|not valid|decode[^\n]{0,20}as|malformed) utf-?8|utf-?8 (?:error|sequence)",
        F(&[C::SessionInvalidUtf8, C::SessionCloseInvalidPayload])
    ),
    rule!(
        "unknown-opcode",
        "libraries",
        9,
        Any,
        ["opcode", "unknowndataframetype", "unknowncontrolframetype"],
        r"(?:unrecognized|invalid|unknown|reserved|bad)(?: frame)? opcode|unknown(?:data|control)frametype",
        F(&[C::SessionUnknownOpcode, C::SessionProtocolViolation])
    ),
    rule!(
        "invalid-close-code",
        "libraries",
        9,
        Any,
        [
            "invalid websocket frame: invalid status code",
            "broken close frame",
            "invalid close code",
            "invalid close status",
            "reserved status code"
        ],
        r"invalid websocket frame: invalid status code|broken close frame|invalid close (?:status )?code|invalid close status|close frame[^\n]{0,40}reserved status code",
        F(&[C::SessionCloseInvalidCode])
    ),
    rule!(
        "fragmented-control",
        "libraries",
        9,
        Any,
        ["control frame"],
        r"control frames? must be final|fragmented control frame|control frame[^\n]{0,20}fragmented",
        F(&[C::SessionFragmentedControl])
    ),
    rule!(
        "control-too-long",
        "libraries",
        9,
        Any,
        ["control frame", "controlframetoobig"],
        r"control frame[^\n]{0,30}(?:too (?:big|long|large)|payload (?:too|length))|controlframetoobig",
        F(&[C::SessionControlFrameTooLong])
    ),
    rule!(
        "invalid-frame",
        "libraries",
        5,
        Any,
        [
            "invalid frame",
            "invalid websocket frame",
            "frame header",
            "protocol violation",
            "protocolerror",
            "websocket protocol error"
        ],
        r"invalid (?:websocket )?frame|frame header|websocket protocol (?:violation|error)|protocolerror",
        F(&[C::SessionProtocolViolation])
    ),
    rule!(
        "message-too-big",
        "libraries",
        8,
        Any,
        [
            "exceeds limit",
            "too long",
            "too big",
            "too large",
            "toolong",
            "payload size exceeded",
            "read limit exceeded",
            "space limit exceeded",
            "max_size",
            "maxpayload"
        ],
        r"frame with \S+ bytes exceeds limit|message ?too ?(?:long|big|large)|max(?:imum)? payload size exceeded|read limit exceeded|space limit exceeded|frame (?:size )?too (?:large|big)|exceeds? (?:the )?(?:max_size|maxpayload)",
        // The same words are written by the side that refused the message (its own
        // limit) and by the side that received the 1009 close.
        F(&[C::SessionCloseMessageTooBig, C::SessionMessageTooLarge])
    ),
    rule!(
        "concurrent-write",
        "libraries",
        9,
        Any,
        ["concurrent write", "outstanding"],
        r"concurrent write to websocket connection|already one outstanding '[^']*' call",
        F(&[C::AsyncConcurrentSend])
    ),
    // ── the session ended ───────────────────────────────────────────────────────
    // Only the codes that exist (1000–1015, 3000–4999), and only beside a word that
    // says "close": "error code 1045" from MySQL is not a WebSocket close.
    rule!(
        "close-code",
        "libraries",
        7,
        Ws,
        [
            "close",
            "code",
            "status",
            "received",
            "sent",
            "normal closure",
            "going away",
            "abnormal closure",
            "policy violation",
            "message too big",
            "internal error",
            "try again later",
            "tls handshake",
            "service restart",
            "bad gateway",
            "no status",
            "unsupported data",
            "protocol error"
        ],
        r"(?:close|closed|code|status)\b[^\d\n-]{0,12}?\b(?P<code>10(?:0\d|1[0-5])|[34]\d{3})\b|(?:received|sent) (?P<code3>10(?:0\d|1[0-5])|[34]\d{3}) \(|\b(?P<code2>10(?:0\d|1[0-5])|[34]\d{3})\b[ :-]*\(?(?:normal closure|going away|protocol error|unsupported data|no status|abnormal closure|invalid frame payload|policy violation|message too big|mandatory ext|internal (?:server )?error|service restart|try again later|bad gateway|tls handshake)",
        Close(ABRUPT)
    ),
    // Python websockets' closing summary; with a code it reads like the close-code rule.
    rule!(
        "python-close-exchange",
        "python-websockets",
        8,
        Any,
        ["then sent"],
        r"received (?P<code>\d{4}|<\w+>) \([^)\n]*\)[^;\n]*;\s*then sent",
        Close(&[C::SessionCloseNormal])
    ),
    rule!(
        "abrupt-close",
        "libraries",
        7,
        Any,
        [
            "abnormal closure",
            "unexpected eof",
            "without closing handshake",
            "without completing the close handshake",
            "no close frame",
            "connectionclosederror",
            "closed abnormally",
            "resetwithoutclosinghandshake",
            "remote host was lost",
            "frame header: eof",
            "eofexception"
        ],
        r"eofexception|abnormal closure|unexpected eof|reset without closing handshake|resetwithoutclosinghandshake|without completing the close handshake|no close frame (?:received|sent)|connectionclosederror|closed abnormally|connection to remote host was lost|failed to read frame header: eof",
        F(ABRUPT)
    ),
    rule!(
        "normal-close",
        "libraries",
        7,
        Any,
        [
            "connection closed normally",
            "connectionclosedok",
            "client disconnect"
        ],
        r"connection closed normally|connectionclosedok|io client disconnect",
        F(&[C::SessionCloseNormal])
    ),
    rule!(
        "pong-timeout",
        "libraries",
        8,
        Any,
        [
            "pong",
            "ping timeout",
            "ping timed out",
            "heartbeat",
            "server timeout elapsed"
        ],
        r"server timeout elapsed without receiving|(?:didn't|did not|no)[^\n]{0,30}pong|pong[^\n]{0,20}(?:timeout|timed out|in time|not received)|ping(?:/pong)? timed out|ping timeout|missed heartbeats?|heartbeat (?:timeout|timed out)",
        F(&[
            C::SessionNoPong,
            C::AsyncEventLoopBlocked,
            C::ProxyIdleTimeout
        ])
    ),
    rule!(
        "keepalive-ping-timeout",
        "python-websockets",
        9,
        Any,
        ["keepalive ping timeout"],
        r"keepalive ping timeout",
        F(&[
            C::AsyncServerPingTimeout,
            C::SessionNoPong,
            C::AsyncEventLoopBlocked
        ])
    ),
    rule!(
        "used-after-close",
        "libraries",
        8,
        Any,
        [
            "not open: readystate",
            "already closed",
            "alreadyclosed",
            "closed connection",
            "not connected",
            "transitioned into the",
            "after close",
            "use of closed network connection",
            "close sent"
        ],
        r"websocket: close sent|not open: readystate [1-3]|socket is already closed|already closed|alreadyclosed|work with closed connection|websocket is not connected|transitioned into the '[^']*' state|send(?:ing)? after close|use of closed network connection",
        F(&[C::AsyncSendAfterClose, C::AsyncSendBeforeOpen])
    ),
    rule!(
        "signalr-connection-not-found",
        "signalr",
        9,
        Any,
        ["connection could not be found on the server"],
        r"connection could not be found on the server",
        F(&[C::HttpStickySessionMissing, C::ProxyUpgradeNotForwarded])
    ),
    rule!(
        "node-socket-hang-up",
        "node-core",
        6,
        Ws,
        ["socket hang up"],
        r"socket hang up",
        F(&[C::HttpClosedWithoutResponse, C::SessionAbruptEof])
    ),
    // ── Socket.IO / engine.io ───────────────────────────────────────────────────
    rule!(
        "engineio-transport-unknown",
        "engine.io",
        9,
        Any,
        ["transport unknown"],
        r"transport unknown",
        F(&[C::HttpSocketIoEndpoint])
    ),
    rule!(
        "engineio-session-unknown",
        "engine.io",
        9,
        Any,
        ["session id unknown"],
        r"session id unknown",
        F(&[C::HttpStickySessionMissing])
    ),
    rule!(
        "engineio-bad-handshake-method",
        "engine.io",
        9,
        Any,
        ["bad handshake method"],
        r"bad handshake method",
        F(&[C::HandshakeInvalidRequest])
    ),
    rule!(
        "engineio-bad-request",
        "engine.io",
        9,
        Any,
        ["\"code\":3", "\"code\": 3"],
        r#""code":\s*3\s*,\s*"message":\s*"bad request""#,
        F(&[C::ProxyUpgradeNotForwarded, C::HttpBadRequest])
    ),
    rule!(
        "engineio-version",
        "engine.io",
        9,
        Any,
        ["unsupported protocol version", "invalid namespace"],
        r"unsupported protocol version|invalid namespace",
        F(&[C::SocketioVersionMismatch])
    ),
    rule!(
        "socketio-xhr-poll-error",
        "socket.io",
        8,
        Any,
        ["xhr poll error"],
        r"xhr poll error",
        F(&[
            C::CorsNotWebsocket,
            C::HttpNotFound,
            C::TcpRefused,
            C::ProxyUpgradeNotForwarded
        ])
    ),
    rule!(
        "socketio-xhr-post-error",
        "socket.io",
        8,
        Any,
        ["xhr post error"],
        r"xhr post error",
        F(&[C::SessionCloseMessageTooBig, C::SessionAbruptEof])
    ),
    rule!(
        "socketio-timeout",
        "socket.io",
        9,
        Message,
        [],
        r"^\s*(?:\w*error:?\s*)?timeout\.?\s*$",
        F(&[C::TcpTimeout, C::HttpNoResponse])
    ),
    rule!(
        "socketio-transport-error",
        "socket.io",
        9,
        Message,
        [],
        r"^\s*(?:\w*error:?\s*)?transport error\.?\s*$",
        F(&[
            C::SessionCloseMessageTooBig,
            C::SessionAbruptEof,
            C::ProxyIdleTimeout
        ])
    ),
    rule!(
        "socketio-transport-close",
        "socket.io",
        9,
        Message,
        [],
        r"^\s*(?:\w*error:?\s*)?transport close\.?\s*$",
        F(&[
            C::SessionAbruptEof,
            C::ProxyIdleTimeout,
            C::SessionCloseGoingAway
        ])
    ),
    rule!(
        "socketio-ping-timeout",
        "socket.io",
        9,
        Message,
        [],
        r"^\s*(?:\w*error:?\s*)?ping timeout\.?\s*$",
        F(&[
            C::SessionNoPong,
            C::AsyncEventLoopBlocked,
            C::SocketioVersionMismatch
        ])
    ),
    rule!(
        "socketio-parse-error",
        "socket.io",
        9,
        Message,
        [],
        r"^\s*(?:\w*error:?\s*)?parse error\.?\s*$",
        F(&[C::SocketioVersionMismatch])
    ),
    rule!(
        "socketio-server-disconnect",
        "socket.io",
        9,
        Any,
        ["server namespace disconnect", "io server disconnect"],
        r"server namespace disconnect|io server disconnect",
        F(&[C::SessionCloseApplication, C::SessionClosePolicy])
    ),
    rule!(
        "socketio-forced-close",
        "socket.io",
        9,
        Message,
        [],
        r"^\s*(?:\w*error:?\s*)?forced (?:server )?close\.?\s*$",
        F(&[C::SessionCloseProtocolError, C::SessionCloseNormal])
    ),
    rule!(
        "socketio-websocket-error",
        "engine.io",
        4,
        Any,
        ["websocket error"],
        r"websocket error",
        F(&[
            C::ProxyUpgradeNotForwarded,
            C::TcpRefused,
            C::HttpBadRequest
        ])
    ),
    // ── URLs rejected by client libraries ──────────────────────────────────────
    rule!(
        "url-scheme-rejected",
        "libraries",
        8,
        Any,
        [
            "scheme",
            "protocol \"http",
            "protocol \"https",
            "ws:// or wss://",
            "'ws://' or 'wss://'"
        ],
        r"scheme isn't ws or wss|url scheme not supported|(?:unsupported|invalid|wrong|unknown) (?:url )?scheme|scheme must be ws or wss|protocol \x22https?:\x22 not supported|only uris starting with 'ws://' or 'wss://'|ws:// or wss://",
        F(&[C::UrlUnsupportedScheme, C::UrlHttpScheme])
    ),
    rule!(
        "url-fragment",
        "node-ws",
        9,
        Any,
        ["fragment"],
        r"fragment identifier|url (?:must not |cannot )?contains? a fragment|must not contain a fragment",
        F(&[C::UrlFragment])
    ),
    rule!(
        "tls-not-compiled",
        "rust-tungstenite",
        9,
        Any,
        ["tls support not compiled in", "tls feature"],
        r"tls support not compiled in|tls feature (?:is )?not enabled",
        F(&[C::UrlClientLacksTls])
    ),
    // ── generic wrappers: weak on their own, strengthened by what they wrap ───
    rule!(
        "tungstenite-io-error",
        "rust-tungstenite",
        3,
        Any,
        ["io error:"],
        r"io error:",
        F(&[C::TcpRefused, C::TcpTimeout, C::TcpReset])
    ),
    rule!(
        "tungstenite-tls-error",
        "rust-tungstenite",
        3,
        Any,
        ["tls error:"],
        r"tls error:",
        F(&[C::TlsHandshakeFailed, C::TlsUnknownIssuer])
    ),
    rule!(
        "coder-dial-failed",
        "go-coder-websocket",
        4,
        Any,
        ["failed to websocket dial"],
        r"failed to websocket dial",
        F(&[C::TcpRefused, C::TlsHandshakeFailed, C::DnsNxdomain])
    ),
];
