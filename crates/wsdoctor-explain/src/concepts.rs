//! Tier 3: concepts — technical words that carry a meaning together without a fixed
//! wording ("Origin … not allowed", "send … after close"). A concept needs one word of
//! each of its groups within [`WINDOW`] bytes; it answers with medium or low confidence
//! and only where the families and vocabularies found nothing specific.

use crate::explain::Confidence;
use wsdoctor_core::CauseId as C;

/// How far apart (in bytes) the words of one concept may be: about a log line's message.
pub const WINDOW: usize = 100;

/// Words that say the other side ended the connection: a "send after close" concept
/// does not hold where one of them stands ("closed by the remote host").
const PEER_ENDED: &[&str] = &[
    "by the remote",
    "by remote",
    "by peer",
    "by the peer",
    "reset by",
    "forcibly closed",
    "prematurely closed",
    "aborted by",
    "client closed",
    "by the client",
    "by the server",
];

/// Words that name a forward proxy of the SOCKS kind (the failure is the proxy's, not
/// the target's); `phase` reads them too.
pub const FORWARD_PROXY: &[&str] = &["socks", "socks4", "socks5", "socks5h"];

pub struct Concept {
    pub name: &'static str,
    /// Every group must occur (one of its words, lowercase, matched at a word start).
    pub groups: &'static [&'static [&'static str]],
    pub causes: &'static [C],
    pub confidence: Confidence,
    /// Words that take the meaning away when one occurs within [`WINDOW`] of the
    /// anchor: "closed by the remote host" is the peer ending it, not a send after
    /// our own close.
    pub unless: &'static [&'static str],
}

impl Concept {
    /// A concept that only says the Upgrade did not succeed ("not 101", "unable to
    /// upgrade"), not why: a status or a code in the same text says more, and ranks
    /// before it.
    pub fn outcome_only(&self) -> bool {
        matches!(
            self.causes.first(),
            Some(C::HttpUnexpectedStatus | C::HttpNotUpgraded)
        )
    }
}

use Confidence::{Low, Medium};

/// The one table of concepts, most specific first.
pub static CONCEPTS: &[Concept] = &[
    // ── the opening handshake, field by field (RFC 6455 §4): which header, which
    // defect, and whether the request (a server's complaint) or the response (a
    // client's) carried it ─────────────────────────────────────────────────────
    Concept {
        name: "subprotocol-unrequested",
        groups: &[
            &["sec-websocket-protocol", "subprotocol"],
            &[
                "more than once",
                "duplicate",
                "multiple values",
                "not requested",
                "unrequested",
                "did not request",
                "didn't request",
                "was not offered",
                "not offered",
                "none was requested",
                "no subprotocol was requested",
                "not one of the requested",
            ],
        ],
        causes: &[C::HandshakeSubprotocolUnrequested],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "subprotocol-rejected",
        groups: &[
            &[
                "client protocols",
                "subprotocol",
                "sub-protocol",
                "sec-websocket-protocol",
            ],
            &[
                "don't overlap",
                "do not overlap",
                "no matching",
                "none of the requested",
                "not supported by the server",
                "not accepted",
                "rejected",
                "unsupported",
            ],
        ],
        causes: &[C::HttpSubprotocolRejected, C::HandshakeSubprotocolNotEchoed],
        confidence: Medium,
        unless: &["socket.io", "engine.io"],
    },
    Concept {
        name: "extension-unoffered",
        groups: &[
            &[
                "extension",
                "permessage-deflate",
                "sec-websocket-extensions",
            ],
            &[
                "invalid",
                "unexpected",
                "not offered",
                "unsupported",
                "unrequested",
                "not requested",
                "not negotiated",
                "mismatch",
                "unknown",
            ],
        ],
        causes: &[C::HandshakeExtensionUnoffered, C::SessionReservedBits],
        confidence: Medium,
        unless: &["chrome-extension", "moz-extension", "file extension"],
    },
    Concept {
        name: "status-line-malformed",
        groups: &[
            &[
                "status line",
                "http response",
                "http message",
                "response line",
                "http reply",
            ],
            &[
                "malformed",
                "badly formatted",
                "not valid",
                "invalid",
                "could not parse",
                "couldn't parse",
                "unable to parse",
                "failed to parse",
                "did not receive a valid",
                "no valid",
                "not a valid",
                "garbage",
            ],
        ],
        causes: &[C::HandshakeStatusLine, C::HttpNotHttp],
        confidence: Medium,
        unless: &[],
    },
    // A server that complains about the request's Upgrade or Connection value: the
    // client (or a proxy rewriting it) sent something RFC 6455 does not accept.
    Concept {
        name: "request-header-invalid",
        groups: &[
            &[
                "upgrade",
                "connection",
                "sec-websocket-key",
                "sec-websocket-version",
            ],
            &["header", "value"],
            &[
                "invalid",
                "bad",
                "unexpected value",
                "must contain",
                "must include",
                "must be",
                "malformed",
                "wrong",
                "not supported",
                "unsupported",
            ],
            &["request", "client sent", "from client", "handshake error"],
        ],
        causes: &[
            C::HandshakeInvalidRequest,
            C::ProxyUpgradeNotForwarded,
            C::HandshakeConnectionMissing,
        ],
        confidence: Medium,
        unless: &["response", "from server", "server sent"],
    },
    // A client that finds the response's Upgrade or Connection header missing or wrong.
    Concept {
        name: "response-upgrade-header",
        groups: &[
            &["upgrade"],
            &["header"],
            &["response", "from server", "server sent", "server returned"],
            &[
                "missing",
                "invalid",
                "not present",
                "not found",
                "absent",
                "expected",
                "wrong",
                "bad",
                "empty",
            ],
        ],
        causes: &[C::HandshakeUpgradeMissing, C::ProxyUpgradeNotForwarded],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "response-connection-header",
        groups: &[
            &["connection"],
            &["header"],
            &["response", "from server", "server sent", "server returned"],
            &[
                "missing",
                "invalid",
                "not present",
                "not found",
                "absent",
                "expected",
                "wrong",
                "bad",
                "empty",
            ],
        ],
        causes: &[C::HandshakeConnectionMissing, C::ProxyUpgradeNotForwarded],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "key-or-version-invalid",
        groups: &[
            &[
                "sec-websocket-key",
                "sec-websocket-version",
                "websocket version",
            ],
            &[
                "missing",
                "invalid",
                "unsupported",
                "not supported",
                "required",
                "bad",
                "wrong",
            ],
        ],
        causes: &[C::HandshakeInvalidRequest],
        confidence: Medium,
        unless: &[],
    },
    // ── how an open session ended, and who ended it ─────────────────────────────
    Concept {
        name: "client-ended",
        groups: &[
            &["client", "browser", "downstream"],
            &[
                "closed connection",
                "closed the connection",
                "prematurely closed",
                "reset the request",
                "reported an error when copying",
                "disconnected",
                "aborted",
                "went away",
                "gone away",
                "hung up",
                "canceled",
                "cancelled",
            ],
        ],
        causes: &[C::SessionClientAborted],
        confidence: Low,
        // Node's "Client network socket disconnected before secure TLS connection" is
        // the local client's TLS handshake, not a peer leaving.
        unless: &[
            "upstream prematurely",
            "server disconnected",
            "client:",
            "client network socket",
            "before secure",
        ],
    },
    Concept {
        name: "peer-reset",
        groups: &[&[
            "forcibly closed",
            "connectionresetexception",
            "terminated abnormally",
            "closed by the remote",
            "closed by remote",
            "software caused connection abort",
            "aborted by the software",
            "i/o operation has been aborted",
            "socket error on client",
            "reached the end of the file",
        ]],
        causes: &[C::SessionReset, C::TcpReset, C::SessionAbruptEof],
        confidence: Low,
        unless: &[],
    },
    Concept {
        name: "connection-lost",
        groups: &[&[
            "lost connection",
            "connection lost",
            "connection was lost",
            "socket closed",
            "connection dropped",
            "disconnected unexpectedly",
        ]],
        causes: &[C::SessionAbruptEof, C::SessionReset, C::ProxyIdleTimeout],
        confidence: Low,
        unless: &[],
    },
    // A send, a close or any call on a socket that is not open (yet, or any more).
    Concept {
        name: "send-while-connecting",
        groups: &[
            &["send", "write", "call", "operation"],
            &[
                "connecting state",
                "still connecting",
                "not yet open",
                "before the connection is open",
                "before open",
                "not open yet",
                "before it is open",
                "before the socket is open",
            ],
        ],
        causes: &[C::AsyncSendBeforeOpen, C::AsyncDoubleConnect],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "invalid-state",
        groups: &[
            &["invalid state", "invalidstate", "wrong state"],
            &["aborted", "closed", "closing", "closesent", "closereceived"],
        ],
        causes: &[C::AsyncSendAfterClose, C::SessionAbruptEof],
        confidence: Medium,
        unless: &["connecting"],
    },
    Concept {
        name: "socket-object-gone",
        groups: &[
            &[
                "'nonetype' object",
                "nonetype object",
                "cannot read properties of null",
                "cannot read properties of undefined",
            ],
            &["sock", "write_message", "send", "socket", "websocket", "ws"],
        ],
        causes: &[C::AsyncSendAfterClose],
        confidence: Low,
        unless: &[],
    },
    // ── TLS by meaning: the certificate, and which side rejected whose ──────────
    Concept {
        name: "client-rejected-server-cert",
        groups: &[
            &[
                "handshake error from",
                "from client",
                "client rejected",
                "client sent alert",
            ],
            &[
                "unknown certificate",
                "bad certificate",
                "certificate unknown",
                "unknown ca",
            ],
        ],
        causes: &[C::TlsSelfSigned, C::TlsUnknownIssuer, C::TlsIncompleteChain],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "certificate-invalid",
        groups: &[
            &["certificate", "cert"],
            &[
                "is invalid",
                "invalid according",
                "validation procedure",
                "not valid",
                "didn't look good",
                "did not look good",
                "verification failed",
                "validation failed",
                "could not be verified",
                "failed to verify",
                "on verifying",
                "verify error",
                "certificate unknown",
                "bad certificate",
                "untrusted",
            ],
        ],
        causes: &[
            C::TlsUnknownIssuer,
            C::TlsSelfSigned,
            C::TlsClientTrustStoreMissing,
            C::TlsHostnameMismatch,
        ],
        confidence: Medium,
        unless: &["client certificate", "not valid for"],
    },
    Concept {
        name: "origin-rejected",
        groups: &[
            &["origin"],
            &[
                "reject",
                "blocked",
                "not allowed",
                "disallowed",
                "denied",
                "forbidden",
                "cross origin",
                "cross-origin",
                "untrusted",
                "not trusted",
                "refus",
                "mismatch",
                "could not check",
                "couldn't check",
                "not an accepted",
                "not accepted",
                "not authorized",
                "unauthorized",
                "invalid",
                "bad origin",
                "check failed",
                "not whitelisted",
                "not in the allowed",
            ],
        ],
        causes: &[C::HttpForbidden],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "upgrade-header-missing",
        groups: &[
            &["upgrade", "http_upgrade"],
            &["header", "http_upgrade", "token"],
            &[
                "missing",
                "empty",
                "invalid",
                "null",
                "absent",
                "not present",
                "not found",
                "required",
            ],
        ],
        causes: &[
            C::ProxyUpgradeNotForwarded,
            C::HandshakeUpgradeMissing,
            C::HandshakeInvalidRequest,
        ],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "concurrent-send",
        groups: &[
            &["concurrent", "simultaneous", "parallel"],
            &["write", "send", "writer", "sending", "writing"],
        ],
        causes: &[C::AsyncConcurrentSend],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "send-after-close",
        groups: &[
            &["send", "write", "writing", "sending", "deliver", "emit"],
            &[
                "closed",
                "after close",
                "closing",
                "once a close",
                "already close",
                "close was",
                "websocket.close",
            ],
        ],
        causes: &[C::AsyncSendAfterClose, C::SessionClientAborted],
        confidence: Low,
        unless: PEER_ENDED,
    },
    Concept {
        name: "ping-timeout",
        groups: &[
            &["ping", "pong", "heartbeat", "keepalive", "keep-alive"],
            &[
                "timeout",
                "timed out",
                "time out",
                "expired",
                "missed",
                "no response",
            ],
        ],
        causes: &[
            C::SessionNoPong,
            C::AsyncEventLoopBlocked,
            C::AsyncServerPingTimeout,
        ],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "session-id-unknown",
        groups: &[
            &[
                "session id",
                "sessionid",
                "sid",
                "connection id",
                "connectionid",
                "with that id",
            ],
            &[
                "unknown",
                "invalid",
                "not found",
                "sticky",
                "no connection",
                "no session",
            ],
        ],
        causes: &[C::HttpStickySessionMissing],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "sticky-session",
        groups: &[&["sticky"], &["session"]],
        causes: &[C::HttpStickySessionMissing],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "socketio-version",
        groups: &[
            &["socket.io", "engine.io", "socketio", "engineio"],
            &[
                "protocol version",
                "unsupported version",
                "version mismatch",
                "incompatible",
                "not compatible",
                "different version",
                "eio version",
            ],
        ],
        causes: &[C::SocketioVersionMismatch],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "certificate-expired",
        groups: &[
            &["certificate", "cert", "x509"],
            &["expired", "has expired", "not yet valid"],
        ],
        causes: &[C::TlsCertExpired, C::TlsCertNotYetValid],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "certificate-self-signed",
        groups: &[
            &["certificate", "cert", "x509"],
            &["self signed", "self-signed", "selfsigned"],
        ],
        causes: &[C::TlsSelfSigned, C::TlsUnknownIssuer],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "certificate-untrusted",
        groups: &[
            &["certificate", "cert", "issuer"],
            &[
                "unknown authority",
                "unknown ca",
                "untrusted",
                "not trusted",
                "unable to verify",
                "verify failed",
                "unknown issuer",
                "local issuer",
            ],
        ],
        causes: &[
            C::TlsUnknownIssuer,
            C::TlsClientTrustStoreMissing,
            C::TlsIncompleteChain,
        ],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "certificate-hostname",
        groups: &[
            &["certificate", "cert", "x509"],
            &[
                "hostname",
                "host name",
                "altname",
                "subject alternative",
                "not valid for",
                "ip sans",
                "common name",
            ],
        ],
        causes: &[C::TlsHostnameMismatch],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "proxy-auth",
        groups: &[
            &["proxy"],
            &[
                "407",
                "authentication required",
                "auth required",
                "proxy-authenticate",
            ],
        ],
        causes: &[C::ProxyAuthRequired],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "proxy-connect",
        groups: &[
            &["proxy", "tunnel"],
            &["connect"],
            &["fail", "refused", "denied", "403", "502", "error"],
        ],
        causes: &[C::ProxyConnectRefused, C::ProxyTunnelClosed],
        confidence: Low,
        unless: &[],
    },
    Concept {
        name: "hijack",
        groups: &[&["hijack"]],
        causes: &[C::ServerWebsocketUnsupported, C::ProxyUpgradeNotForwarded],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "websocket-unsupported",
        groups: &[
            &["websocket", "web socket"],
            &[
                "not supported",
                "unsupported",
                "not enabled",
                "without websocket",
                "disabled",
            ],
        ],
        causes: &[C::ServerWebsocketUnsupported],
        confidence: Low,
        unless: &[],
    },
    Concept {
        name: "out-of-connections",
        groups: &[&[
            "too many open files",
            "emfile",
            "worker_connections are not enough",
            "out of system resource",
            "too many connections",
        ]],
        causes: &[C::HttpServiceUnavailable, C::AsyncKeepaliveHolds],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "no-route",
        groups: &[&[
            "no route found",
            "no route for",
            "route not found",
            "no matching route",
            "no handler found",
            "no method found matching route",
        ]],
        causes: &[C::HttpNotFound],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "reader-cannot-keep-up",
        groups: &[&[
            "keep up",
            "pending messages",
            "buffer full",
            "backpressure",
            "back pressure",
            "slow consumer",
            "queue full",
        ]],
        causes: &[C::AsyncBackpressure],
        confidence: Low,
        unless: &[],
    },
    Concept {
        name: "upgrade-refused",
        groups: &[&[
            "unable to upgrade",
            "failed to upgrade",
            "error upgrading",
            "invalid http upgrade",
            "invalid upgrade response",
            "notanupgrade",
            "httpupgradeerror",
            "无法升级",
            "升级失败",
        ]],
        causes: &[
            C::HttpNotUpgraded,
            C::ProxyUpgradeNotForwarded,
            C::HttpUpgradeRequired,
        ],
        confidence: Low,
        unless: &[],
    },
    Concept {
        name: "write-in-progress",
        groups: &[&[
            "text_full_writing",
            "text_partial_writing",
            "binary_full_writing",
            "binary_partial_writing",
            "another coroutine",
        ]],
        causes: &[C::AsyncConcurrentSend],
        confidence: Medium,
        unless: &[],
    },
    // The server says the request came without the Upgrade it needs (Kubernetes'
    // "Upgrade request required"): the proxy in front did not pass it on.
    Concept {
        name: "upgrade-request-required",
        groups: &[&[
            "upgrade request required",
            "upgrade required but",
            "expected upgrade request",
            "not an upgrade request",
            "request is not an upgrade",
        ]],
        causes: &[C::ProxyUpgradeNotForwarded, C::HttpUpgradeRequired],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "host-header-check",
        groups: &[&[
            "invalid host header",
            "host header is invalid",
            "disallowedhost",
            "disallowed host",
            "allowed_hosts",
            "allowedhosts",
        ]],
        causes: &[C::HttpForbidden],
        confidence: Medium,
        unless: &[],
    },
    // A session, connection or socket used after it closed: a send, a call, a delivery.
    Concept {
        name: "closed-session-used",
        groups: &[
            &[
                "session",
                "connection",
                "socket",
                "websocket",
                "channel",
                "endpoint",
            ],
            &[
                "has been closed",
                "is closed",
                "already closed",
                "was closed",
                "is closing",
                "no longer open",
                "not open",
            ],
            &[
                "send", "write", "call", "method", "deliver", "message", "emit", "post",
            ],
        ],
        causes: &[C::AsyncSendAfterClose],
        confidence: Medium,
        unless: PEER_ENDED,
    },
    Concept {
        name: "delivery-failed",
        groups: &[
            &[
                "failed to deliver",
                "messagedeliveryexception",
                "exception writing",
                "error writing",
                "no decoder for session",
            ],
            &["websocket", "session", "client", "socket", "connection"],
        ],
        causes: &[C::AsyncSendAfterClose, C::SessionClientAborted],
        confidence: Low,
        unless: &[],
    },
    // API Gateway answers 410 Gone to a post to a connection that no longer exists.
    Concept {
        name: "connection-gone",
        groups: &[&["goneexception"]],
        causes: &[C::AsyncSendAfterClose],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "post-to-gone-connection",
        groups: &[&["posttoconnection", "@connections"], &["410", "gone"]],
        causes: &[C::AsyncSendAfterClose],
        confidence: Medium,
        unless: &[],
    },
    // A worker or task that stopped answering: the event loop (or the worker) was busy.
    Concept {
        name: "worker-stalled",
        groups: &[&[
            "worker timeout",
            "worker timed out",
            "took too long to shut down",
            "blocking the event loop",
            "event loop blocked",
            "event loop is blocked",
            "blocked the event loop",
            "slow callback",
            "executing <task",
        ]],
        causes: &[C::AsyncEventLoopBlocked],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "keepalive-task-failed",
        groups: &[
            &["keepalive ping task", "keepalive_ping", "heartbeat task"],
            &["exception", "error", "failed", "traceback"],
        ],
        causes: &[C::AsyncEventLoopBlocked, C::SessionNoPong],
        confidence: Low,
        unless: &[],
    },
    Concept {
        name: "no-data-within",
        groups: &[
            &[
                "did not receive",
                "didn't receive",
                "without receiving",
                "no message received",
                "no messages received",
                "no data received",
                "not received any",
            ],
            &["within", "elapsed", "timeout", "ttl", "in the last"],
        ],
        causes: &[C::SessionNoMessage, C::AsyncServerPingTimeout],
        confidence: Medium,
        unless: &[],
    },
    // A Socket.IO 3+ server meeting a 2.x client: the client never joins a namespace.
    Concept {
        name: "socketio-no-namespace",
        groups: &[&["socket.io", "engine.io"], &["no namespace joined"]],
        causes: &[C::SocketioVersionMismatch],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "socketio-eio3",
        groups: &[
            &["eio=3", "alloweio3", "allow_eio3", "eio version 3", "eio 3"],
            &[
                "400",
                "error",
                "unsupported",
                "fail",
                "refused",
                "invalid",
                "mismatch",
            ],
        ],
        causes: &[C::SocketioVersionMismatch, C::HttpBadRequest],
        confidence: Low,
        unless: &[],
    },
    Concept {
        name: "proxy-denied",
        groups: &[&[
            "tcp_denied",
            "denied by proxy",
            "proxy denied",
            "forbidden port",
            "denied by acl",
            "blocked by proxy",
        ]],
        causes: &[C::ProxyConnectRefused],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "name-not-resolved",
        groups: &[&[
            "could not be resolved",
            "host not found",
            "name or service not known",
            "nodename nor servname",
            "no address associated with hostname",
            "temporary failure in name resolution",
            "dns failed",
            "dns lookup failed",
            "dns resolution failed",
        ]],
        causes: &[C::DnsNxdomain, C::DnsFailure],
        confidence: Medium,
        unless: &[],
    },
    // A host that could not be resolved, in any wording: a resolve verb beside a host
    // word ("Host is unresolved", "unable to resolve host"; a bundler's "Can't resolve
    // './x'" names no host).
    Concept {
        name: "host-unresolved",
        groups: &[
            &[
                "could not resolve",
                "couldn't resolve",
                "cannot resolve",
                "can't resolve",
                "unable to resolve",
                "failed to resolve",
                "is unresolved",
                "unresolved",
            ],
            &["host", "hostname", "domain", "dns", "address"],
        ],
        causes: &[C::DnsNxdomain, C::DnsFailure],
        confidence: Medium,
        unless: &[],
    },
    // uWSGI (and other servers) built or started without WebSocket support.
    Concept {
        name: "server-lacks-websocket",
        groups: &[
            &["uwsgi", "websocket handshake api", "http-websockets"],
            &[
                "need to build",
                "build uwsgi",
                "unable to complete websocket handshake",
                "unrecognized option",
                "not supported",
                "without",
            ],
        ],
        causes: &[C::ServerWebsocketUnsupported],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "closed-before-handshake",
        groups: &[
            &[
                "closed before",
                "disconnected before",
                "ended before",
                "eof before",
                "closed during",
            ],
            &[
                "handshake",
                "upgrade",
                "response",
                "101",
                "headers",
                "established",
            ],
        ],
        causes: &[C::HttpClosedWithoutResponse, C::HttpNoResponse],
        confidence: Medium,
        unless: &[],
    },
    // Windows' and .NET's socket texts in the user's language (by meaning: "forcibly
    // closed by the remote host", "actively refused", "did not respond properly",
    // "unable to connect to the remote server").
    Concept {
        name: "socket-reset-localised",
        groups: &[&[
            "强迫关闭",
            "强制关闭",
            "強制關閉",
            "強制的に切断",
            "강제로 끊",
            "vom remotehost geschlossen",
            "fermée par l'hôte distant",
            "forzado la interrupción",
            "принудительно разорвал",
            "forçado o cancelamento",
            "gwałtownie zamknięte",
            "interrotta forzatamente",
        ]],
        causes: &[C::SessionReset, C::TcpReset],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "socket-refused-localised",
        groups: &[&[
            "积极拒绝",
            "拒絕連線",
            "拒否されたため",
            "연결을 거부",
            "verbindung verweigerte",
            "expressément refusée",
            "denegó expresamente",
            "отверг запрос на подключение",
            "recusou ativamente",
            "aktywnie go odmawia",
            "rifiuto persistente",
        ]],
        causes: &[C::TcpRefused],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "socket-timeout-localised",
        groups: &[&[
            "没有正确答复",
            "沒有正確回應",
            "正しく応答しなかった",
            "nicht richtig reagiert",
            "pas répondu convenablement",
            "no respondió adecuadamente",
            "не получен нужный отклик",
            "não respondeu corretamente",
            "nie odpowiedziała poprawnie",
        ]],
        causes: &[C::TcpTimeout],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "remote-server-unreachable-localised",
        groups: &[&[
            "nie można połączyć się z serwerem zdalnym",
            "keine verbindung mit dem remoteserver",
            "impossible de se connecter au serveur distant",
            "no es posible conectar con el servidor remoto",
            "无法连接到远程服务器",
            "無法連接至遠端伺服器",
            "невозможно соединиться с удаленным сервером",
            "リモート サーバーに接続できません",
            "impossível conectar-se ao servidor remoto",
            "无法建立到",
            "無法建立到",
        ]],
        causes: &[C::TcpRefused, C::TcpUnreachable, C::TcpTimeout],
        confidence: Low,
        unless: &[],
    },
    // A send that failed because the peer had closed: the close code is how it ended,
    // the send after it is the bug.
    Concept {
        name: "send-failed-closed",
        groups: &[
            &[
                "unable to send",
                "in send",
                "error sending",
                "failed to send",
                "cannot send",
                "can't send",
                "while sending",
                "write_message",
                "send_text",
                "send_json",
                "send_bytes",
            ],
            &[
                "closed",
                "disconnect",
                "websocketdisconnect",
                "websocketclosederror",
                "1000",
                "1001",
                "1005",
                "1006",
            ],
        ],
        causes: &[C::AsyncSendAfterClose, C::SessionAbruptEof],
        confidence: Medium,
        unless: PEER_ENDED,
    },
    Concept {
        name: "reserved-bits",
        groups: &[&[
            "rsv1",
            "rsv2",
            "rsv3",
            "reserved bit",
            "rsv bit",
            "compressed bit",
            "rsv data",
            "bad rsv",
            "invalid rsv",
            "nonzero rsv",
            "non-zero rsv",
        ]],
        causes: &[C::SessionReservedBits, C::HandshakeExtensionUnoffered],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "url-scheme-must-be-ws",
        groups: &[
            &[
                "protocol must be",
                "scheme must be",
                "url scheme",
                "url's protocol",
                "unsupported protocol",
                "invalid url scheme",
            ],
            &["ws:", "wss:", "\"ws\"", "'ws'", "ws or wss", "ws://"],
        ],
        causes: &[C::UrlUnsupportedScheme, C::UrlHttpScheme],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "status-not-101",
        groups: &[&[
            "invalid status code",
            "unexpected status code",
            "non-101",
            "not 101",
            "not '101",
            "not \"101",
            "other than 101",
            "instead of 101",
            "bad status",
            "invalid response code",
            "unexpected response code",
        ]],
        causes: &[C::HttpUnexpectedStatus, C::HttpForbidden, C::HttpNotFound],
        confidence: Low,
        unless: &[],
    },
    // Development proxies (Create React App, Vite, http-proxy-middleware) that could not
    // reach the backend.
    Concept {
        name: "dev-proxy-error",
        groups: &[&[
            "could not proxy request",
            "http proxy error",
            "ws proxy error",
            "error occurred while proxying",
            "error occurred while trying to proxy",
        ]],
        causes: &[
            C::TcpRefused,
            C::HttpClosedWithoutResponse,
            C::HttpBadGateway,
        ],
        confidence: Low,
        unless: &[],
    },
    Concept {
        name: "invalid-session",
        groups: &[&[
            "invalid session",
            "unknown session",
            "session not found",
            "session does not exist",
            "session unknown",
        ]],
        causes: &[C::HttpStickySessionMissing],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "worker-cannot-upgrade",
        groups: &[&["error handling request"], &["upgrade", "websocket"]],
        causes: &[C::ServerWebsocketUnsupported, C::HttpServerError],
        confidence: Low,
        unless: &[],
    },
    Concept {
        name: "application-exception",
        groups: &[
            &[
                "exception inside application",
                "uncaught exception",
                "error handling request",
                "unhandled exception",
            ],
            &[
                "websocket",
                "asgi",
                "daphne",
                "channels",
                "consumer",
                "notebookapp",
                "handshake",
            ],
        ],
        causes: &[C::HttpServerError, C::SessionCloseServerError],
        confidence: Low,
        unless: &[],
    },
    Concept {
        name: "tls-timeout",
        groups: &[
            &[
                "ssl connection",
                "tls connection",
                "ssl handshake",
                "tls handshake",
                "ssl connect",
            ],
            &["timeout", "timed out"],
        ],
        causes: &[C::TlsHandshakeFailed, C::TcpTimeout],
        confidence: Medium,
        unless: &[],
    },
    // close() called with a code the API does not allow (1006, 1005, 1015 are reserved).
    Concept {
        name: "close-code-not-allowed",
        groups: &[
            &[
                "close code",
                "closing code",
                "code must be",
                "invalidaccesserror",
            ],
            &[
                "is not valid",
                "invalid",
                "not allowed",
                "must be either",
                "out of range",
                "not supported",
                "reserved",
            ],
        ],
        causes: &[C::AsyncCloseCodeNotAllowed],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "tls-handshake",
        groups: &[&["tls", "ssl"], &["handshake"]],
        causes: &[C::TlsHandshakeFailed],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "tls-authentication",
        groups: &[&["authentication failed", "authentication or decryption"]],
        causes: &[C::TlsHandshakeFailed],
        confidence: Low,
        unless: &[],
    },
    Concept {
        name: "frame-too-large",
        groups: &[
            &[
                "frame size",
                "message size",
                "read limit",
                "payload",
                "message length",
                "frame length",
            ],
            &[
                "exceed",
                "cannot exceed",
                "too large",
                "too big",
                "maximum",
                "limited at",
            ],
        ],
        causes: &[C::SessionMessageTooLarge, C::SessionCloseMessageTooBig],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "transport-connection-reset",
        groups: &[
            &[
                "transport connection",
                "existing connection",
                "established connection",
            ],
            &["forcibly closed", "aborted", "reset"],
        ],
        causes: &[C::SessionReset, C::SessionClientAborted],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "client-went-away",
        groups: &[&["context canceled", "aborting with incomplete"]],
        causes: &[C::SessionClientAborted],
        confidence: Low,
        unless: &[],
    },
    Concept {
        name: "stream-ended",
        groups: &[&["end of stream", "end of the stream"], &["unexpected"]],
        causes: &[C::SessionAbruptEof, C::HttpClosedWithoutResponse],
        confidence: Low,
        unless: &[],
    },
    Concept {
        name: "handshake-timeout",
        groups: &[&["handshake"], &["timed out", "timeout"]],
        causes: &[C::AsyncSlowResponse, C::TcpTimeout, C::HttpNoResponse],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "accept-missing",
        groups: &[
            &["sec-websocket-accept"],
            &[
                "missing",
                "not found",
                "absent",
                "not present",
                "no sec-websocket-accept",
                "empty",
                "lacks",
                "without",
            ],
        ],
        causes: &[C::HandshakeAcceptMissing, C::ProxyUpgradeNotForwarded],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "accept-mismatch",
        groups: &[
            &["sec-websocket-accept"],
            &["match", "mismatch", "invalid", "wrong"],
        ],
        causes: &[C::HandshakeAcceptMismatch, C::AsyncDoubleConnect],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "subprotocol-not-echoed",
        groups: &[
            &["sec-websocket-protocol", "subprotocol"],
            &[
                "expected",
                "missing",
                "no subprotocol",
                "mismatch",
                "not echoed",
                "no response",
                "not returned",
                "was not received",
                "did not return",
                "didn't return",
                "not selected",
            ],
        ],
        causes: &[C::HandshakeSubprotocolNotEchoed],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "cleartext-not-permitted",
        groups: &[
            &["cleartext", "insecure"],
            &["not permitted", "not allowed", "blocked"],
        ],
        causes: &[C::UrlMixedContent],
        confidence: Medium,
        unless: &[],
    },
    Concept {
        name: "no-transport",
        groups: &[&[
            "no transport could",
            "failed to start the transport",
            "unable to connect to the server with any of the available transports",
        ]],
        causes: &[C::ServerWebsocketUnsupported, C::ProxyUpgradeNotForwarded],
        confidence: Low,
        unless: &[],
    },
    Concept {
        name: "not-authenticated",
        groups: &[&[
            "couldn't authenticate",
            "could not authenticate",
            "not authenticated",
            "unauthorized",
            "unauthorised",
        ]],
        causes: &[C::HttpUnauthorized, C::HttpForbidden],
        confidence: Low,
        unless: &[],
    },
    Concept {
        name: "frame-unreadable",
        groups: &[
            &["frame"],
            &["cannot be read", "could not be read", "unable to read"],
        ],
        causes: &[C::SessionAbruptEof, C::SessionReset],
        confidence: Low,
        unless: &[],
    },
    Concept {
        name: "upstream-disabled",
        groups: &[&["upstream"], &["temporarily disabled"]],
        causes: &[C::HttpClosedWithoutResponse, C::HttpBadGateway],
        confidence: Low,
        unless: &[],
    },
    // The browser API's state check, in the words of those that do not say which state.
    Concept {
        name: "not-open-state",
        groups: &[&[
            "not in the open state",
            "not in open state",
            "not in the open readystate",
            "readystate is not open",
        ]],
        causes: &[C::AsyncSendAfterClose, C::AsyncSendBeforeOpen],
        confidence: Medium,
        unless: &[],
    },
    // A server (or the application behind it) that turned the opening handshake down.
    Concept {
        name: "handshake-denied",
        groups: &[
            &["websocket", "handshake", "upgrade"],
            &[
                "access denied",
                "rejected by application",
                "rejected by the application",
                "rejected by the server",
                "denied by the server",
            ],
        ],
        causes: &[C::HttpForbidden, C::HttpUnauthorized],
        confidence: Medium,
        unless: &[],
    },
    // Daphne's access log: the application rejected the WebSocket.
    Concept {
        name: "access-log-reject",
        groups: &[&["wsreject"]],
        causes: &[C::HttpForbidden, C::HttpUnauthorized],
        confidence: Medium,
        unless: &[],
    },
    // nginx refusing a configuration whose header uses a variable no map defines
    // (`$connection_upgrade` without its `map`).
    Concept {
        name: "unknown-variable",
        groups: &[&["unknown \""], &["variable"]],
        causes: &[C::ProxyMapMissing, C::ProxyConfigRejected],
        confidence: Medium,
        unless: &[],
    },
    // A forward (SOCKS) proxy that failed the connection it was asked to make.
    Concept {
        name: "socks-failure",
        groups: &[
            FORWARD_PROXY,
            &[
                "refused",
                "failure",
                "failed",
                "error",
                "unreachable",
                "rejected",
                "denied",
                "responded with",
            ],
        ],
        causes: &[C::ProxyConnectRefused, C::ProxyUnreachable],
        confidence: Medium,
        unless: &[],
    },
    // A certificate issued by a product that intercepts TLS (corporate gateways,
    // antivirus, debugging proxies): the chain the client saw is the middlebox's.
    Concept {
        name: "tls-interceptor",
        groups: &[
            &[
                "zscaler",
                "netskope",
                "bluecoat",
                "blue coat",
                "fortigate",
                "fortinet",
                "palo alto networks",
                "sophos",
                "kaspersky",
                "avast",
                "bitdefender",
                "forcepoint",
                "cisco umbrella",
                "mcafee web gateway",
                "mitmproxy",
                "charles proxy",
                "fiddler",
                "burp",
            ],
            &[
                "certificate",
                "cert",
                "root ca",
                "intermediate",
                "issuer",
                "ssl",
                "tls",
                "i:",
                "cn =",
                "cn=",
            ],
        ],
        causes: &[C::ProxyTlsIntercepted, C::TlsUnknownIssuer],
        confidence: Medium,
        unless: &[],
    },
    // "WebSocket handshake failed" with no why: only that the Upgrade did not succeed.
    Concept {
        name: "websocket-handshake-failed",
        groups: &[
            &[
                "websocket handshake",
                "opening handshake",
                "websocket upgrade",
            ],
            &[
                "failed",
                "failure",
                "fail",
                "error",
                "unsuccessful",
                "could not",
                "unable",
            ],
        ],
        causes: &[
            C::HttpNotUpgraded,
            C::ProxyUpgradeNotForwarded,
            C::HttpUnexpectedStatus,
        ],
        confidence: Low,
        unless: &[],
    },
];

/// A concept found in a text, with the words that led there.
pub struct ConceptMatch {
    pub concept: &'static Concept,
    pub words: Vec<&'static str>,
}

/// Every concept whose groups all occur within one window, in table order.
pub fn find(text: &str) -> Vec<ConceptMatch> {
    let lower = normalise(text);
    CONCEPTS
        .iter()
        .filter_map(|c| find_one(&lower, c))
        .collect()
}

/// The text as the table's words are written: Unicode lower case (the table holds
/// words of other languages too), typographic quotes and apostrophes as ASCII ones,
/// and the full-width punctuation of CJK texts as ASCII (`Sec-WebSocket-Accept not
/// found。`, `‘Sec-WebSocket-Protocol’`, `can’t`).
pub fn normalise(text: &str) -> String {
    // Log lines are nearly always ASCII: the standard lower-casing has a fast path for
    // them, and there is nothing else to map (`logs` runs this on every WebSocket line).
    let lower = text.to_lowercase();
    if lower.is_ascii() {
        return lower;
    }
    lower
        .chars()
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{2032}' => '\'',
            '\u{201C}' | '\u{201D}' | '\u{201F}' | '\u{2033}' => '"',
            '\u{FF1A}' => ':',
            '\u{3002}' | '\u{FF0E}' => '.',
            '\u{FF0C}' | '\u{3001}' => ',',
            '\u{FF08}' => '(',
            '\u{FF09}' => ')',
            '\u{00A0}' | '\u{3000}' => ' ',
            c => c,
        })
        .collect()
}

/// Byte positions where `word` starts a word of `lower`.
fn starts<'a>(lower: &'a str, word: &'a str) -> impl Iterator<Item = usize> + 'a {
    let bytes = lower.as_bytes();
    lower
        .match_indices(word)
        .map(|(i, _)| i)
        .filter(move |&i| i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
}

fn find_one(lower: &str, concept: &'static Concept) -> Option<ConceptMatch> {
    let (first, rest) = concept.groups.split_first()?;
    // Where each word occurs, found once per text (not once per anchor: a long paste
    // full of "connection" would otherwise be scanned again for every occurrence).
    let positions = |group: &'static [&'static str]| -> Vec<(&'static str, Vec<usize>)> {
        group
            .iter()
            .map(|w| (*w, starts(lower, w).collect::<Vec<usize>>()))
            .collect()
    };
    let groups: Vec<Vec<(&'static str, Vec<usize>)>> = rest.iter().map(|g| positions(g)).collect();
    if groups.iter().any(|g| g.iter().all(|(_, at)| at.is_empty())) {
        return None;
    }
    let vetoes = positions(concept.unless);
    // Sorted positions: is one within WINDOW of `at`?
    let near = |list: &[usize], at: usize| {
        let i = list.partition_point(|&p| p + WINDOW < at);
        list.get(i).is_some_and(|&p| p.abs_diff(at) <= WINDOW)
    };
    for anchor_word in *first {
        for at in starts(lower, anchor_word) {
            // Each other group needs a word near the anchor; no veto word may be.
            let words: Option<Vec<&'static str>> = groups
                .iter()
                .map(|g| g.iter().find(|(_, ps)| near(ps, at)).map(|(w, _)| *w))
                .collect();
            let vetoed = vetoes.iter().any(|(_, ps)| near(ps, at));
            if let Some(mut words) = words.filter(|_| !vetoed) {
                words.insert(0, anchor_word);
                return Some(ConceptMatch { concept, words });
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<&'static str> {
        find(text).iter().map(|m| m.concept.name).collect()
    }

    #[test]
    fn each_concept_on_its_own_wording() {
        let cases: &[(&str, &str)] = &[
            (
                "Request origin https://evil.test was not allowed by policy",
                "origin-rejected",
            ),
            (
                "403: cross-origin websocket refused, origin header mismatch",
                "origin-rejected",
            ),
            (
                "HTTP_UPGRADE is empty in the request environ",
                "upgrade-header-missing",
            ),
            (
                "upgrade header missing from request",
                "upgrade-header-missing",
            ),
            (
                "two goroutines called the writer concurrently: concurrent write",
                "concurrent-send",
            ),
            (
                "tried to send a frame after close was called",
                "send-after-close",
            ),
            ("heartbeat missed twice, dropping peer", "ping-timeout"),
            ("keepalive ping timeout", "ping-timeout"),
            (
                "the session id abc is unknown to this node",
                "session-id-unknown",
            ),
            ("enable sticky session on the balancer", "sticky-session"),
            (
                "socket.io server refused: unsupported protocol version 3",
                "socketio-version",
            ),
            (
                "x509: certificate has expired or is not yet valid",
                "certificate-expired",
            ),
            ("peer certificate is self-signed", "certificate-self-signed"),
            (
                "certificate signed by unknown authority",
                "certificate-untrusted",
            ),
            (
                "the certificate is not valid for host name api.test",
                "certificate-hostname",
            ),
            ("proxy answered 407 to our request", "proxy-auth"),
            ("tunnel CONNECT to proxy failed", "proxy-connect"),
            ("the ResponseWriter cannot hijack the connection", "hijack"),
            (
                "uWSGI: websocket not supported by this build",
                "websocket-unsupported",
            ),
            (
                "accept4() failed (24: Too many open files)",
                "out-of-connections",
            ),
            ("No route found for path 'ws/chat'", "no-route"),
            (
                "reader unable to keep up with messages",
                "reader-cannot-keep-up",
            ),
            ("the Origin header value is invalid", "origin-rejected"),
            ("Invalid Host header", "host-header-check"),
            ("Upgrade request required", "upgrade-request-required"),
            (
                "the channel is closed, cannot send the message",
                "closed-session-used",
            ),
            ("GoneException when posting", "connection-gone"),
            ("TLS handshake timed out after 10 s", "tls-timeout"),
            (
                "close code 1005 is reserved and invalid here",
                "close-code-not-allowed",
            ),
            ("[CRITICAL] WORKER TIMEOUT (pid:7)", "worker-stalled"),
            ("no data received within 30 s", "no-data-within"),
            (
                "socket.io client: no namespace joined yet",
                "socketio-no-namespace",
            ),
            ("TCP_DENIED/403 CONNECT example.com:443", "proxy-denied"),
            (
                "backend.internal could not be resolved",
                "name-not-resolved",
            ),
            (
                "uwsgi: websocket handshake api not supported",
                "server-lacks-websocket",
            ),
            (
                "connection closed before handshake response",
                "closed-before-handshake",
            ),
            (
                "远程主机强迫关闭了一个现有的连接。",
                "socket-reset-localised",
            ),
            (
                "Es konnte keine Verbindung hergestellt werden, da der Zielcomputer die Verbindung verweigerte.",
                "socket-refused-localised",
            ),
            (
                "Невозможно соединиться с удаленным сервером",
                "remote-server-unreachable-localised",
            ),
            (
                "error sending frame: the socket was closed (1006)",
                "send-failed-closed",
            ),
            ("frame with RSV1 set but no extension", "reserved-bits"),
            (
                "the url scheme must be \"ws\" or \"wss\"",
                "url-scheme-must-be-ws",
            ),
            (
                "server answered with an unexpected status code",
                "status-not-101",
            ),
            (
                "[HPM] Error occurred while proxying request",
                "dev-proxy-error",
            ),
            ("rejecting: unknown session abc", "invalid-session"),
            (
                "Error handling request /ws (upgrade to websocket)",
                "worker-cannot-upgrade",
            ),
            (
                "Exception inside application: KeyError in the websocket consumer",
                "application-exception",
            ),
        ];
        for (text, name) in cases {
            assert!(
                names(text).contains(name),
                "{text:?} gave {:?}",
                names(text)
            );
        }
    }

    /// Paraphrases written for this test, in no corpus: the handshake concepts read the
    /// header, the defect and the side, whatever the library's wording.
    #[test]
    fn handshake_fields_by_meaning() {
        let first = |t: &str| find(t).first().map(|m| m.concept.name);
        let cases: &[(&str, &str)] = &[
            (
                "server answered with a subprotocol although none was requested",
                "subprotocol-unrequested",
            ),
            (
                "Sec-WebSocket-Protocol appears twice: duplicate header in reply",
                "subprotocol-unrequested",
            ),
            (
                "negotiation failed: offered subprotocols do not overlap with the server's list",
                "subprotocol-rejected",
            ),
            (
                "server accepted permessage-deflate parameters we never sent: unexpected client_max_window_bits",
                "extension-unoffered",
            ),
            (
                "could not parse the status line of the upgrade answer",
                "status-line-malformed",
            ),
            (
                "rejecting handshake request: Upgrade header has value 'h2c', must be websocket",
                "request-header-invalid",
            ),
            (
                "dial failed: the Upgrade header was missing from the server's response",
                "response-upgrade-header",
            ),
            (
                "handshake: connection header in response is absent",
                "response-connection-header",
            ),
            (
                "426: Sec-WebSocket-Version 8 not supported",
                "key-or-version-invalid",
            ),
        ];
        for (text, name) in cases {
            assert_eq!(first(text), Some(*name), "{text:?} gave {:?}", names(text));
        }
    }

    /// Paraphrases: who ended an open session, and a socket used in the wrong state.
    #[test]
    fn a_socketio_protocol_version_is_not_a_subprotocol() {
        let n = names("The client speaks an unsupported version of the Engine.IO protocols");
        assert!(!n.contains(&"subprotocol-rejected"), "{n:?}");
        assert!(
            names("server: requested subprotocols are unsupported here")
                .contains(&"subprotocol-rejected")
        );
    }

    #[test]
    fn session_endings_by_meaning() {
        let has = |t: &str, n: &str| names(t).contains(&n);
        assert!(has(
            "websocket: browser went away mid-stream, dropping session",
            "client-ended"
        ));
        assert!(has(
            "recv: the link was forcibly closed, giving up",
            "peer-reset"
        ));
        assert!(has(
            "chat: connection lost, retrying in 2 s",
            "connection-lost"
        ));
        assert!(has(
            "cannot send: websocket is still connecting",
            "send-while-connecting"
        ));
        assert!(has(
            "ws.send failed: socket in invalid state (Closing)",
            "invalid-state"
        ));
        // The peer closed it: not a send after our own close.
        assert!(!has(
            "write failed: the socket was closed by the remote end",
            "send-after-close"
        ));
        assert!(has(
            "write failed: the socket was already closed by us",
            "send-after-close"
        ));
        // Node's own client socket failing its TLS handshake is not a client leaving.
        assert!(!has(
            "Client network socket disconnected before secure TLS connection was established",
            "client-ended"
        ));
    }

    #[test]
    fn certificates_by_meaning() {
        let first = |t: &str| find(t).first().map(|m| m.concept.name);
        assert_eq!(
            first("TLS: peer cert failed to verify against the system roots"),
            Some("certificate-invalid")
        );
        assert_eq!(
            first("tls handshake error from 10.1.2.3:5555: remote error: bad certificate"),
            Some("client-rejected-server-cert")
        );
        assert!(
            !names("no client certificate is valid for this host").contains(&"certificate-invalid")
        );
    }

    #[test]
    fn words_far_apart_are_not_a_concept() {
        let far = format!("origin {} rejected", "x".repeat(WINDOW + 10));
        assert!(!names(&far).contains(&"origin-rejected"));
    }

    #[test]
    fn words_inside_other_words_do_not_count() {
        // "certificate" and "expired" must start words: "precertificate" / "unexpired" don't.
        assert!(names("precertificate unexpired").is_empty());
    }

    #[test]
    fn the_words_are_reported() {
        let m = find("heartbeat timeout after 30 s");
        assert_eq!(m[0].words, vec!["heartbeat", "timeout"]);
    }

    /// Paraphrases written for this test, in no corpus: the concepts added from the
    /// kinds of miss of the second fresh set, each in a wording no set has.
    #[test]
    fn kinds_of_unseen_wording() {
        let cases: &[(&str, &str)] = &[
            (
                "fatal: unable to resolve host 'gw.internal'",
                "host-unresolved",
            ),
            (
                "handshake: no Sec-WebSocket-Accept in reply (missing)",
                "accept-missing",
            ),
            (
                "send() skipped: socket not in the OPEN state",
                "not-open-state",
            ),
            (
                "websocket upgrade rejected by the application (policy)",
                "handshake-denied",
            ),
            (
                "10.1.2.3:5555 - - [01/Jan/2030:00:00:00] \"WSREJECT /live/\" - -",
                "access-log-reject",
            ),
            (
                "nginx: [emerg] unknown \"http_upgrade_map\" variable",
                "unknown-variable",
            ),
            ("SOCKS5 reply: host unreachable", "socks-failure"),
            (
                "issuer: O=Netskope Inc, CN=ca.corp root ca",
                "tls-interceptor",
            ),
            (
                "client: the websocket handshake failed, retrying",
                "websocket-handshake-failed",
            ),
            ("max payload of 4096 bytes exceeded", "frame-too-large"),
            ("protocol violation: bad RSV3 value", "reserved-bits"),
            ("peer closed before established", "closed-before-handshake"),
            (
                "got 'Connection: close'; bad header in handshake error",
                "request-header-invalid",
            ),
            (
                "lookup failed: no connection with that id",
                "session-id-unknown",
            ),
            ("the answer's status is not \"101\"", "status-not-101"),
        ];
        for (text, name) in cases {
            assert!(
                names(text).contains(name),
                "{text:?} gave {:?}",
                names(text)
            );
        }
        // A bundler that cannot resolve a module names no host; a proxy that connected
        // reports no failure.
        assert!(
            !names("Module not found: Can't resolve './util' in '/src'")
                .contains(&"host-unresolved")
        );
        assert!(names("connected to SOCKS5 proxy at 127.0.0.1:9050").is_empty());
        assert!(names("Zscaler client connector updated").is_empty());
    }

    /// Typographic quotes and apostrophes, and CJK full-width punctuation, read as
    /// their ASCII forms: the words of the table are written once.
    #[test]
    fn typographic_punctuation_is_read_as_ascii() {
        assert!(
            names("Sent a \u{2018}Sec-WebSocket-Protocol\u{2019} header, but no response")
                .contains(&"subprotocol-not-echoed")
        );
        assert!(names("Sec-WebSocket-Accept\u{FF1A}not found\u{3002}").contains(&"accept-missing"));
        assert!(names("subprotocols don\u{2019}t overlap").contains(&"subprotocol-rejected"));
        assert_eq!(normalise("\u{201C}A\u{201D}\u{FF08}b\u{FF09}"), "\"a\"(b)");
    }

    #[test]
    fn table_words_are_lowercase_and_every_concept_has_a_cause() {
        for c in CONCEPTS {
            assert!(!c.causes.is_empty(), "{}", c.name);
            assert!(c.confidence != Confidence::High, "{}", c.name);
            for w in c.groups.iter().flat_map(|g| g.iter()) {
                assert_eq!(*w, w.to_lowercase(), "{}", c.name);
            }
        }
    }
}
