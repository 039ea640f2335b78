//! The scenario table: every failure the lab reproduces, declared once.
//!
//! Each entry names a server behaviour and the cause ids `wsdoctor check` must report
//! against it. That single declaration drives `wsdoctor lab`'s listing, `wsdoctor tour`
//! and the scenario-matrix test, so a scenario cannot say one thing in the table and be
//! checked against another. The table is long on purpose: one row per scenario reads
//! better than scenarios scattered over the server modules.

use crate::servers::canned;
use crate::servers::{
    Cert, EchoGate, ForwardMode, H2Fault, HandshakeFault, ProxyMode, Serve, SessionFault,
};
use std::time::Duration;
use wsdoctor_core::CauseId;

/// One reproducible situation: a server on 127.0.0.1 and what `check` must find there.
#[derive(Debug)]
pub struct Scenario {
    /// Stable, kebab-case; used by `--only` and in JSON.
    pub name: &'static str,
    pub group: Group,
    /// One line: what is wrong (or what is right, for healthy scenarios).
    pub what: &'static str,
    /// The cause ids `check` must report; empty = healthy: no error or warning at all.
    pub expect: &'static [CauseId],
    /// How to run `check` against this scenario.
    pub plan: CheckPlan,
    /// Path (and query) of the URL a client should use.
    pub path: &'static str,
    pub(crate) serve: Serve,
}

impl Scenario {
    /// True for the scenarios that must produce no error or warning.
    pub fn is_healthy(&self) -> bool {
        self.expect.is_empty()
    }

    /// The scenario with this name.
    pub fn named(name: &str) -> Option<&'static Scenario> {
        SCENARIOS.iter().find(|s| s.name == name)
    }
}

/// Which of the six places WebSockets fail a scenario belongs to (plus the healthy ones).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    Url,
    ServerConfig,
    Tls,
    ProxyFirewall,
    Handshake,
    Session,
    Healthy,
}

impl Group {
    pub fn as_str(self) -> &'static str {
        match self {
            Group::Url => "url",
            Group::ServerConfig => "server-config",
            Group::Tls => "tls",
            Group::ProxyFirewall => "proxy-firewall",
            Group::Handshake => "handshake",
            Group::Session => "session",
            Group::Healthy => "healthy",
        }
    }
}

/// The options `check` needs so that only the intended problem shows.
#[derive(Clone, Copy, Debug, Default)]
pub struct CheckPlan {
    /// The URL is `wss://` (independent of whether the port speaks TLS).
    pub secure: bool,
    /// `--subprotocol` values to request.
    pub subprotocols: &'static [&'static str],
    /// `--origin` to send.
    pub origin: Option<&'static str>,
    /// Pass the lab CA as `--cacert`.
    pub use_lab_ca: bool,
    /// Go through `Endpoint::proxy` (`--proxy`).
    pub via_forward_proxy: bool,
    /// `--idle SECONDS`: hold the open connection idle that long.
    pub idle_s: Option<u64>,
    /// `--concurrency N`: load the server with N connections.
    pub concurrency: Option<usize>,
    /// Wait for any server message (`--expect`) instead of an echo.
    pub expect_message: bool,
    /// `--message TEXT` to send instead of the default test message.
    pub message: Option<&'static str>,
    /// `--timeout SECS`: a shorter overall deadline for scenarios whose finding *is* the
    /// deadline passing (a black hole), so a tour does not wait the default 10 s.
    pub timeout_s: Option<u64>,
}

impl CheckPlan {
    /// The `wsdoctor check` flags this plan stands for. `ca_file` is added as `--cacert`
    /// when the plan trusts the lab CA; `proxy` as `--proxy` when it goes through one.
    pub fn check_flags(&self, ca_file: Option<&str>, proxy: Option<&str>) -> Vec<String> {
        let mut out = Vec::new();
        let mut flag = |name: &str, value: String| {
            out.push(name.to_string());
            out.push(value);
        };
        if let (true, Some(ca)) = (self.use_lab_ca, ca_file) {
            flag("--cacert", ca.to_string());
        }
        if let (true, Some(proxy)) = (self.via_forward_proxy, proxy) {
            flag("--proxy", proxy.to_string());
        }
        if let Some(origin) = self.origin {
            flag("--origin", origin.to_string());
        }
        for protocol in self.subprotocols {
            flag("--subprotocol", protocol.to_string());
        }
        if let Some(idle) = self.idle_s {
            flag("--idle", idle.to_string());
        }
        if let Some(n) = self.concurrency {
            flag("--concurrency", n.to_string());
        }
        if let Some(message) = self.message {
            flag("--message", message.to_string());
        }
        if let Some(secs) = self.timeout_s {
            flag("--timeout", secs.to_string());
        }
        if self.expect_message {
            out.push("--expect".to_string());
        }
        out
    }
}

// Numbers that a server uses and a scenario's `what` states are written once, as a
// literal in a macro: `concat!` builds the description from it at compile time and the
// constant below is made from the same literal, so the two cannot drift apart.
macro_rules! too_big_limit {
    () => {
        8
    };
}
macro_rules! idle_cut_ms {
    () => {
        500
    };
}
macro_rules! blocking_handler_ms {
    () => {
        40
    };
}
macro_rules! blocked_loop_connections {
    () => {
        4
    };
}
macro_rules! slow_echo_ms {
    () => {
        1100
    };
}
macro_rules! close_after_messages {
    () => {
        1
    };
}
macro_rules! close_after_code {
    () => {
        1013
    };
}

macro_rules! h2_rejected_status {
    () => {
        405
    };
}

/// The status the `h2-connect-rejected` server answers an extended CONNECT with.
pub const H2_REJECTED_STATUS: u16 = h2_rejected_status!();
/// Maximum message size of the `message-too-big` scenario, in bytes.
pub const TOO_BIG_LIMIT: usize = too_big_limit!();
/// Idle time after which the `proxy-idle-cut` proxy cuts an upgraded connection.
/// Short, so that the tour's idle probe and its keep-alive proof take about 1.5 s.
pub const IDLE_CUT: Duration = Duration::from_millis(idle_cut_ms!());
/// How long the `blocked-event-loop` server blocks its loop for each message: with
/// `BLOCKED_LOOP_CONNECTIONS` busy connections a ping waits behind 3–4 of them
/// (120–160 ms against well under 1 ms quiet), clear of the rule's 50 ms floor.
pub const BLOCKING_HANDLER: Duration = Duration::from_millis(blocking_handler_ms!());
/// The `--concurrency` of the `blocked-event-loop` scenario.
pub const BLOCKED_LOOP_CONNECTIONS: usize = blocked_loop_connections!();
/// How long the `slow-echo` server takes for each echo: just over the 1 s above which
/// `check` calls a reply slow, so `check` names it and `bench` must report at least it.
pub const SLOW_ECHO: Duration = Duration::from_millis(slow_echo_ms!());
/// The `close-after-messages` server echoes this many messages per connection, then
/// closes with `CLOSE_AFTER_CODE` (1013, try again later: a server shedding load). One,
/// so that `check`'s single message sees the close too.
pub const CLOSE_AFTER_MESSAGES: usize = close_after_messages!();
pub const CLOSE_AFTER_CODE: u16 = close_after_code!();
/// The Origin the `origin-forbidden` server allows (send it to prove the fix).
pub const ALLOWED_ORIGIN: &str = "https://app.example";
/// The bearer token the `auth-required` server accepts.
pub const BEARER_TOKEN: &str = "wsdoctor-lab-token";
/// The credentials the `forward-proxy-auth` proxy accepts (`http://lab:lab@…`).
pub const PROXY_USER: &str = "lab";
pub const PROXY_PASSWORD: &str = "lab";

const PLAIN: CheckPlan = CheckPlan {
    secure: false,
    subprotocols: &[],
    origin: None,
    use_lab_ca: false,
    via_forward_proxy: false,
    idle_s: None,
    concurrency: None,
    expect_message: false,
    message: None,
    timeout_s: None,
};
const TLS: CheckPlan = CheckPlan {
    secure: true,
    use_lab_ca: true,
    ..PLAIN
};

use CauseId as C;

/// Every scenario, in listing order. Ports given with `--port-base` follow this order.
pub static SCENARIOS: &[Scenario] = &[
    // ── url / port ──────────────────────────────────────────────────────────────
    Scenario {
        name: "plain-http-site",
        group: Group::Url,
        what: "an ordinary web site answers 200 with an HTML page",
        expect: &[C::HttpNotUpgraded],
        plan: PLAIN,
        path: "/",
        serve: Serve::Canned(&canned::PLAIN_SITE),
    },
    Scenario {
        name: "wrong-path",
        group: Group::Url,
        what: "the WebSocket lives at /ws; this URL's path answers 404",
        expect: &[C::HttpNotFound],
        plan: PLAIN,
        path: "/websocket",
        serve: Serve::Echo {
            path: "/ws",
            gate: EchoGate::Open,
        },
    },
    Scenario {
        name: "redirect",
        group: Group::Url,
        what: "the server redirects /ws to /ws/ (301); WebSocket clients do not follow redirects",
        expect: &[C::HttpRedirect],
        plan: PLAIN,
        path: "/ws",
        serve: Serve::Redirect {
            from: "/ws",
            to: "/ws/",
        },
    },
    Scenario {
        name: "ws-to-tls-port",
        group: Group::Url,
        what: "ws:// aimed at a port that speaks TLS",
        expect: &[C::PlaintextToTlsPort],
        plan: PLAIN,
        path: "/ws",
        serve: Serve::TlsEcho {
            cert: Cert::Lab,
            client_auth: false,
        },
    },
    Scenario {
        name: "wss-to-plain-port",
        group: Group::Url,
        what: "wss:// aimed at a plaintext port (the server answers the ClientHello with HTTP 400)",
        expect: &[C::TlsToPlaintextPort],
        plan: CheckPlan {
            secure: true,
            ..PLAIN
        },
        path: "/ws",
        serve: Serve::Echo {
            path: "/ws",
            gate: EchoGate::Open,
        },
    },
    // ── server configuration ────────────────────────────────────────────────────
    Scenario {
        name: "spa-catch-all",
        group: Group::ServerConfig,
        what: "a single-page app's catch-all route answers 200 index.html for every path",
        expect: &[C::HttpNotUpgraded],
        plan: PLAIN,
        path: "/ws",
        serve: Serve::Canned(&canned::SPA_INDEX),
    },
    Scenario {
        name: "upgrade-required",
        group: Group::ServerConfig,
        what: "the server answers 426 Upgrade Required",
        expect: &[C::HttpUpgradeRequired],
        plan: PLAIN,
        path: "/ws",
        serve: Serve::Canned(&canned::UPGRADE_REQUIRED),
    },
    Scenario {
        name: "bad-request",
        group: Group::ServerConfig,
        what: "the server answers 400: a header it requires is missing",
        expect: &[C::HttpBadRequest],
        plan: PLAIN,
        path: "/ws",
        serve: Serve::Canned(&canned::BAD_REQUEST),
    },
    Scenario {
        name: "server-error",
        group: Group::ServerConfig,
        what: "the WebSocket handler throws: 500 Internal Server Error",
        expect: &[C::HttpServerError],
        plan: PLAIN,
        path: "/ws",
        serve: Serve::Canned(&canned::SERVER_ERROR),
    },
    Scenario {
        name: "socketio-endpoint",
        group: Group::ServerConfig,
        what: "a Socket.IO (engine.io) endpoint reached with a raw WebSocket: 400 Transport unknown",
        expect: &[C::HttpSocketIoEndpoint],
        plan: PLAIN,
        path: "/socket.io/",
        serve: Serve::Canned(&canned::ENGINE_IO),
    },
    Scenario {
        name: "sockjs-endpoint",
        group: Group::ServerConfig,
        what: "a SockJS endpoint reached with a raw WebSocket: 200 'Welcome to SockJS!'",
        expect: &[C::HttpSockJsEndpoint],
        plan: PLAIN,
        path: "/echo",
        serve: Serve::SockJs { prefix: "/echo" },
    },
    Scenario {
        name: "http-1-0-server",
        group: Group::ServerConfig,
        what: "an HTTP/1.0 server without WebSocket support (Python SimpleHTTP)",
        expect: &[C::HttpVersion10],
        plan: PLAIN,
        path: "/",
        serve: Serve::Canned(&canned::SIMPLE_HTTP_1_0),
    },
    Scenario {
        name: "bad-gateway",
        group: Group::ServerConfig,
        what: "nginx in front answers 502: its backend is down",
        expect: &[C::HttpBadGateway],
        plan: PLAIN,
        path: "/ws",
        serve: Serve::Canned(&canned::NGINX_502),
    },
    Scenario {
        name: "service-unavailable",
        group: Group::ServerConfig,
        what: "an AWS load balancer answers 503: no healthy target",
        expect: &[C::HttpServiceUnavailable],
        plan: PLAIN,
        path: "/ws",
        serve: Serve::Canned(&canned::ELB_503),
    },
    Scenario {
        name: "gateway-timeout",
        group: Group::ServerConfig,
        what: "nginx in front answers 504: the backend did not answer in time",
        expect: &[C::HttpGatewayTimeout],
        plan: PLAIN,
        path: "/ws",
        serve: Serve::Canned(&canned::NGINX_504),
    },
    // ── tls ─────────────────────────────────────────────────────────────────────
    Scenario {
        name: "tls-expired",
        group: Group::Tls,
        what: "the certificate expired 30 days ago",
        expect: &[C::TlsCertExpired],
        plan: TLS,
        path: "/ws",
        serve: Serve::TlsEcho {
            cert: Cert::Expired,
            client_auth: false,
        },
    },
    Scenario {
        name: "tls-not-yet-valid",
        group: Group::Tls,
        what: "the certificate becomes valid in 30 days (or the clock is wrong)",
        expect: &[C::TlsCertNotYetValid],
        plan: TLS,
        path: "/ws",
        serve: Serve::TlsEcho {
            cert: Cert::NotYetValid,
            client_auth: false,
        },
    },
    Scenario {
        name: "tls-self-signed",
        group: Group::Tls,
        what: "the certificate is self-signed",
        expect: &[C::TlsSelfSigned],
        plan: TLS,
        path: "/ws",
        serve: Serve::TlsEcho {
            cert: Cert::SelfSigned,
            client_auth: false,
        },
    },
    Scenario {
        name: "tls-wrong-host",
        group: Group::Tls,
        what: "the certificate names only wrong.example.invalid",
        expect: &[C::TlsHostnameMismatch],
        plan: TLS,
        path: "/ws",
        serve: Serve::TlsEcho {
            cert: Cert::WrongHost,
            client_auth: false,
        },
    },
    Scenario {
        name: "tls-unknown-ca",
        group: Group::Tls,
        what: "the certificate chains to a private CA the client does not trust",
        expect: &[C::TlsUnknownIssuer],
        plan: TLS,
        path: "/ws",
        serve: Serve::TlsEcho {
            cert: Cert::UnknownCa,
            client_auth: false,
        },
    },
    Scenario {
        name: "tls-missing-intermediate",
        group: Group::Tls,
        what: "the server sends its certificate without the intermediate CA",
        expect: &[C::TlsIncompleteChain],
        plan: TLS,
        path: "/ws",
        serve: Serve::TlsEcho {
            cert: Cert::MissingIntermediate,
            client_auth: false,
        },
    },
    Scenario {
        name: "tls-client-cert-required",
        group: Group::Tls,
        what: "the server requires a client certificate (mutual TLS)",
        expect: &[C::TlsClientCertRequired],
        plan: TLS,
        path: "/ws",
        serve: Serve::TlsEcho {
            cert: Cert::Lab,
            client_auth: true,
        },
    },
    Scenario {
        name: "tls-intercepted",
        group: Group::Tls,
        what: "a corporate TLS-inspection CA (\"Fortinet SSL Inspection CA\") issued the certificate",
        expect: &[C::ProxyTlsIntercepted],
        plan: TLS,
        path: "/ws",
        serve: Serve::TlsEcho {
            cert: Cert::Intercepted,
            client_auth: false,
        },
    },
    // ── proxies and firewalls ───────────────────────────────────────────────────
    Scenario {
        name: "black-hole",
        group: Group::ProxyFirewall,
        what: "the port accepts connections and never answers",
        expect: &[C::HttpNoResponse],
        plan: CheckPlan {
            timeout_s: Some(2),
            ..PLAIN
        },
        path: "/ws",
        serve: Serve::BlackHole,
    },
    Scenario {
        name: "connection-reset",
        group: Group::ProxyFirewall,
        what: "the connection is reset (RST) after the Upgrade request",
        expect: &[C::HttpResetWithoutResponse],
        plan: PLAIN,
        path: "/ws",
        serve: Serve::Reset,
    },
    Scenario {
        name: "proxy-drops-upgrade",
        group: Group::ProxyFirewall,
        what: "a reverse proxy does not forward Upgrade/Connection; the backend answers 426",
        expect: &[C::ProxyUpgradeNotForwarded],
        plan: PLAIN,
        path: "/ws",
        serve: Serve::ReverseProxy(ProxyMode::DropUpgrade),
    },
    Scenario {
        name: "proxy-idle-cut",
        group: Group::ProxyFirewall,
        what: concat!(
            "a reverse proxy cuts upgraded connections idle for ",
            idle_cut_ms!(),
            " ms, without a close frame"
        ),
        expect: &[C::ProxyIdleTimeout],
        plan: CheckPlan {
            idle_s: Some(3),
            ..PLAIN
        },
        path: "/ws",
        serve: Serve::ReverseProxy(ProxyMode::IdleCut(IDLE_CUT)),
    },
    Scenario {
        name: "forward-proxy-auth",
        group: Group::ProxyFirewall,
        what: "the forward proxy answers CONNECT with 407 (Basic auth; lab:lab works)",
        expect: &[C::ProxyAuthRequired],
        plan: CheckPlan {
            via_forward_proxy: true,
            ..PLAIN
        },
        path: "/ws",
        serve: Serve::ForwardProxy(ForwardMode::AuthRequired),
    },
    Scenario {
        name: "forward-proxy-refuses",
        group: Group::ProxyFirewall,
        what: "the forward proxy refuses CONNECT to ports other than 443 (403, like squid)",
        expect: &[C::ProxyConnectRefused],
        plan: CheckPlan {
            via_forward_proxy: true,
            ..PLAIN
        },
        path: "/ws",
        serve: Serve::ForwardProxy(ForwardMode::SslPortsOnly),
    },
    // ── handshake ───────────────────────────────────────────────────────────────
    Scenario {
        name: "wrong-accept",
        group: Group::Handshake,
        what: "the 101's Sec-WebSocket-Accept is computed without the RFC 6455 GUID",
        expect: &[C::HandshakeAcceptMismatch],
        plan: PLAIN,
        path: "/ws",
        serve: Serve::BrokenHandshake(HandshakeFault::WrongAccept),
    },
    Scenario {
        name: "no-upgrade-header",
        group: Group::Handshake,
        what: "the 101 has no Upgrade: websocket",
        expect: &[C::HandshakeUpgradeMissing],
        plan: PLAIN,
        path: "/ws",
        serve: Serve::BrokenHandshake(HandshakeFault::NoUpgrade),
    },
    Scenario {
        name: "no-connection-header",
        group: Group::Handshake,
        what: "the 101 has no Connection: Upgrade",
        expect: &[C::HandshakeConnectionMissing],
        plan: PLAIN,
        path: "/ws",
        serve: Serve::BrokenHandshake(HandshakeFault::NoConnection),
    },
    Scenario {
        name: "subprotocol-not-echoed",
        group: Group::Handshake,
        what: "the client asks for subprotocol \"chat\"; the 101 selects none",
        expect: &[C::HandshakeSubprotocolNotEchoed],
        plan: CheckPlan {
            subprotocols: &["chat"],
            ..PLAIN
        },
        path: "/ws",
        serve: Serve::BrokenHandshake(HandshakeFault::DropSubprotocol),
    },
    Scenario {
        name: "subprotocol-unrequested",
        group: Group::Handshake,
        what: "the 101 selects subprotocol \"chat\" that the client never asked for",
        expect: &[C::HandshakeSubprotocolUnrequested],
        plan: PLAIN,
        path: "/ws",
        serve: Serve::BrokenHandshake(HandshakeFault::UnrequestedSubprotocol),
    },
    Scenario {
        name: "extension-unoffered",
        group: Group::Handshake,
        what: "the 101 accepts extension x-wsdoctor-bogus that the client never offered",
        expect: &[C::HandshakeExtensionUnoffered],
        plan: PLAIN,
        path: "/ws",
        serve: Serve::BrokenHandshake(HandshakeFault::UnofferedExtension),
    },
    Scenario {
        name: "origin-forbidden",
        group: Group::Handshake,
        what: "an Origin check answers 403 (only https://app.example is allowed)",
        expect: &[C::HttpForbidden],
        plan: CheckPlan {
            origin: Some("https://evil.example"),
            ..PLAIN
        },
        path: "/ws",
        serve: Serve::Echo {
            path: "/ws",
            gate: EchoGate::Origin(ALLOWED_ORIGIN),
        },
    },
    Scenario {
        name: "auth-required",
        group: Group::Handshake,
        what: "the server answers 401 with WWW-Authenticate: Bearer (no credentials sent)",
        expect: &[C::HttpUnauthorized],
        plan: PLAIN,
        path: "/ws",
        serve: Serve::Echo {
            path: "/ws",
            gate: EchoGate::Bearer(BEARER_TOKEN),
        },
    },
    // ── session / async ─────────────────────────────────────────────────────────
    Scenario {
        name: "no-pong",
        group: Group::Session,
        what: "the server echoes messages but never answers pings",
        expect: &[C::SessionNoPong],
        // The finding *is* the wait for a pong that never comes: 2 s make the point.
        plan: CheckPlan {
            timeout_s: Some(2),
            ..PLAIN
        },
        path: "/ws",
        serve: Serve::BrokenSession(SessionFault::NoPong),
    },
    Scenario {
        name: "masked-frames",
        group: Group::Session,
        what: "the server masks its frames (only clients may)",
        expect: &[C::SessionMaskedFrame],
        plan: PLAIN,
        path: "/ws",
        serve: Serve::BrokenSession(SessionFault::Masked),
    },
    Scenario {
        name: "invalid-utf8",
        group: Group::Session,
        what: "the server answers with a text frame that is not valid UTF-8",
        expect: &[C::SessionInvalidUtf8],
        plan: PLAIN,
        path: "/ws",
        serve: Serve::BrokenSession(SessionFault::InvalidUtf8),
    },
    Scenario {
        name: "reserved-bits",
        group: Group::Session,
        what: "the server sets RSV2 on its frames without any extension",
        expect: &[C::SessionReservedBits],
        plan: PLAIN,
        path: "/ws",
        serve: Serve::BrokenSession(SessionFault::ReservedBits),
    },
    Scenario {
        name: "close-1011",
        group: Group::Session,
        what: "the handler fails on the first message and closes with 1011",
        expect: &[C::SessionCloseServerError],
        plan: PLAIN,
        path: "/ws",
        serve: Serve::BrokenSession(SessionFault::Close1011),
    },
    Scenario {
        name: "abrupt-eof",
        group: Group::Session,
        what: "the server drops TCP right after the 101, without a close frame (1006)",
        expect: &[C::SessionAbruptEof],
        plan: PLAIN,
        path: "/ws",
        serve: Serve::BrokenSession(SessionFault::AbruptEof),
    },
    Scenario {
        name: "blocked-event-loop",
        group: Group::Session,
        what: concat!(
            "a single-threaded server blocks its loop ",
            blocking_handler_ms!(),
            " ms per message, stalling every connection (",
            blocked_loop_connections!(),
            " busy)"
        ),
        // A loop that blocks also stops reading: the push after the round trips stalls.
        expect: &[C::AsyncEventLoopBlocked, C::AsyncBackpressure],
        plan: CheckPlan {
            concurrency: Some(BLOCKED_LOOP_CONNECTIONS),
            ..PLAIN
        },
        path: "/ws",
        serve: Serve::BlockedLoop(BLOCKING_HANDLER),
    },
    Scenario {
        name: "message-too-big",
        group: Group::Session,
        what: concat!(
            "the server closes with 1009 when a message exceeds ",
            too_big_limit!(),
            " bytes"
        ),
        expect: &[C::SessionCloseMessageTooBig],
        plan: CheckPlan {
            message: Some("a message longer than eight bytes"),
            ..PLAIN
        },
        path: "/ws",
        serve: Serve::BrokenSession(SessionFault::TooBig(TOO_BIG_LIMIT)),
    },
    // ── under load (`wsdoctor bench`) ───────────────────────────────────────────
    Scenario {
        name: "slow-echo",
        group: Group::Session,
        what: concat!(
            "the server answers every message (not pings) ",
            slow_echo_ms!(),
            " ms late (a slow handler)"
        ),
        expect: &[C::AsyncSlowResponse],
        plan: PLAIN,
        path: "/ws",
        serve: Serve::BrokenSession(SessionFault::SlowEcho(SLOW_ECHO)),
    },
    Scenario {
        name: "close-after-messages",
        group: Group::Session,
        what: concat!(
            "the server echoes ",
            close_after_messages!(),
            " message(s) per connection, then closes with ",
            close_after_code!(),
            " (shedding load)"
        ),
        expect: &[C::SessionCloseTryLater],
        plan: PLAIN,
        path: "/ws",
        serve: Serve::BrokenSession(SessionFault::CloseAfter {
            messages: CLOSE_AFTER_MESSAGES,
            code: CLOSE_AFTER_CODE,
        }),
    },
    Scenario {
        name: "stops-reading",
        group: Group::Session,
        what: "the server completes the upgrade, then never reads the socket again",
        expect: &[C::SessionNoPong, C::SessionNoEcho],
        plan: CheckPlan {
            timeout_s: Some(2),
            ..PLAIN
        },
        path: "/ws",
        serve: Serve::BrokenSession(SessionFault::StopsReading),
    },
    // ── healthy ─────────────────────────────────────────────────────────────────
    // ── WebSockets over HTTP/2 (RFC 8441): TLS offering h2 and http/1.1 ────────────
    Scenario {
        name: "h2-connect-rejected",
        group: Group::ServerConfig,
        what: concat!(
            "advertises WebSockets over HTTP/2, answers the extended CONNECT ",
            h2_rejected_status!(),
            " (Spring); HTTP/1.1 works"
        ),
        // Also h2-fails-h1-works (information; tests/check_h2.rs holds it).
        expect: &[C::H2ConnectRejected],
        plan: TLS,
        path: "/ws",
        serve: Serve::Http2(H2Fault::Rejected(H2_REJECTED_STATUS)),
    },
    Scenario {
        name: "h2-connect-no-answer",
        group: Group::ServerConfig,
        what: "advertises WebSockets over HTTP/2 and never answers the extended CONNECT",
        expect: &[C::H2ConnectNoAnswer],
        plan: TLS,
        path: "/ws",
        serve: Serve::Http2(H2Fault::NoAnswer),
    },
    Scenario {
        name: "h2-alpn-mismatch",
        group: Group::ServerConfig,
        what: "chooses h2 in ALPN, then answers in HTTP/1.1 (a TLS terminator in front of an HTTP/1.1 backend)",
        expect: &[C::H2AlpnMismatch],
        plan: TLS,
        path: "/ws",
        serve: Serve::Http2(H2Fault::AlpnMismatch),
    },
    Scenario {
        name: "h2-protocol-stripped",
        group: Group::ProxyFirewall,
        what: "advertises WebSockets over HTTP/2, resets the extended CONNECT with PROTOCOL_ERROR (:protocol stripped by a hop)",
        expect: &[C::H2ProtocolUnsupported],
        plan: TLS,
        path: "/ws",
        serve: Serve::Http2(H2Fault::ProtocolError),
    },
    Scenario {
        name: "h2-only-works",
        group: Group::ProxyFirewall,
        what: "WebSockets over HTTP/2 work; the HTTP/1.1 Upgrade gets 426 (a proxy dropping Upgrade)",
        expect: &[C::HttpUpgradeRequired, C::H2WorksH1Fails],
        plan: TLS,
        path: "/ws",
        serve: Serve::Http2(H2Fault::H1Fails),
    },
    Scenario {
        name: "h2-stream-reset",
        group: Group::Session,
        what: "answers the extended CONNECT 200, then resets the stream (INTERNAL_ERROR) at the first message",
        expect: &[C::H2StreamReset],
        plan: TLS,
        path: "/ws",
        serve: Serve::Http2(H2Fault::ResetAfterOpen),
    },
    Scenario {
        name: "h2-masked-frames",
        group: Group::Session,
        what: "answers the extended CONNECT 200, then sends masked frames inside the stream (RFC 6455 §5.1)",
        expect: &[C::SessionMaskedFrame],
        plan: TLS,
        path: "/ws",
        serve: Serve::Http2(H2Fault::Masked),
    },
    Scenario {
        name: "h2-flow-control-stall",
        group: Group::Session,
        what: "answers the extended CONNECT 200 with SETTINGS_INITIAL_WINDOW_SIZE 0 and never a WINDOW_UPDATE",
        expect: &[C::H2FlowControlStall],
        plan: TLS,
        path: "/ws",
        serve: Serve::Http2(H2Fault::FlowStall),
    },
    Scenario {
        name: "healthy-echo",
        group: Group::Healthy,
        what: "a correct echo server (tokio-tungstenite)",
        expect: &[],
        plan: PLAIN,
        path: "/ws",
        serve: Serve::Echo {
            path: "/ws",
            gate: EchoGate::Open,
        },
    },
    Scenario {
        name: "healthy-tls-echo",
        group: Group::Healthy,
        what: "a correct TLS echo server whose certificate chains to the lab CA",
        expect: &[],
        plan: TLS,
        path: "/ws",
        serve: Serve::TlsEcho {
            cert: Cert::Lab,
            client_auth: false,
        },
    },
    Scenario {
        name: "healthy-behind-proxy",
        group: Group::Healthy,
        what: "a correct echo server behind a correctly configured reverse proxy",
        expect: &[],
        plan: PLAIN,
        path: "/ws",
        serve: Serve::ReverseProxy(ProxyMode::Correct),
    },
    Scenario {
        name: "healthy-h2-echo",
        group: Group::Healthy,
        what: "a correct echo over HTTP/1.1 and over HTTP/2 (RFC 8441, tokio-tungstenite on the stream)",
        expect: &[],
        plan: TLS,
        path: "/ws",
        serve: Serve::Http2(H2Fault::Healthy),
    },
    Scenario {
        name: "h2-no-connect-protocol",
        group: Group::Healthy,
        what: "HTTP/2 without SETTINGS_ENABLE_CONNECT_PROTOCOL (like nginx): browsers use HTTP/1.1, which works",
        // Browsers fall back to HTTP/1.1: information (h2-connect-protocol-not-advertised),
        // not a fault. tests/check_h2.rs holds the finding.
        expect: &[],
        plan: TLS,
        path: "/ws",
        serve: Serve::Http2(H2Fault::NoConnectProtocol),
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_kebab_case() {
        let mut seen = HashSet::new();
        for s in SCENARIOS {
            assert!(seen.insert(s.name), "duplicate scenario {}", s.name);
            assert!(
                s.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            );
            assert!(s.path.starts_with('/'), "{}", s.name);
            assert!(!s.what.is_empty() && !s.what.contains('\n'), "{}", s.name);
        }
    }

    #[test]
    fn only_the_healthy_group_expects_nothing() {
        for s in SCENARIOS {
            assert_eq!(s.is_healthy(), s.group == Group::Healthy, "{}", s.name);
        }
        let healthy: Vec<_> = SCENARIOS
            .iter()
            .filter(|s| s.is_healthy())
            .map(|s| s.name)
            .collect();
        assert_eq!(
            healthy,
            [
                "healthy-echo",
                "healthy-tls-echo",
                "healthy-behind-proxy",
                "healthy-h2-echo",
                "h2-no-connect-protocol"
            ]
        );
    }

    #[test]
    fn every_group_has_scenarios() {
        for g in [
            Group::Url,
            Group::ServerConfig,
            Group::Tls,
            Group::ProxyFirewall,
            Group::Handshake,
            Group::Session,
            Group::Healthy,
        ] {
            assert!(SCENARIOS.iter().any(|s| s.group == g), "{}", g.as_str());
        }
    }

    #[test]
    fn tls_scenarios_trust_the_lab_ca_so_only_the_fault_shows() {
        for s in SCENARIOS
            .iter()
            .filter(|s| matches!(s.serve, Serve::TlsEcho { .. }))
        {
            if s.plan.secure {
                assert!(s.plan.use_lab_ca, "{}", s.name);
            }
        }
    }

    #[test]
    fn forward_proxy_scenarios_are_checked_through_the_proxy() {
        for s in SCENARIOS {
            assert_eq!(
                matches!(s.serve, Serve::ForwardProxy(_)),
                s.plan.via_forward_proxy,
                "{}",
                s.name
            );
        }
    }

    #[test]
    fn the_too_big_message_really_is_too_big() {
        let s = Scenario::named("message-too-big").expect("in the table");
        assert!(s.plan.message.expect("declares its message").len() > TOO_BIG_LIMIT);
    }

    #[test]
    fn plans_become_check_flags() {
        let flags = |name: &str| {
            let s = Scenario::named(name).expect("in the table");
            s.plan
                .check_flags(Some("/tmp/ca.pem"), Some("http://127.0.0.1:9"))
        };
        assert!(flags("healthy-echo").is_empty());
        assert_eq!(flags("healthy-tls-echo"), ["--cacert", "/tmp/ca.pem"]);
        assert_eq!(
            flags("forward-proxy-auth"),
            ["--proxy", "http://127.0.0.1:9"]
        );
        assert_eq!(
            flags("origin-forbidden"),
            ["--origin", "https://evil.example"]
        );
        assert_eq!(flags("subprotocol-not-echoed"), ["--subprotocol", "chat"]);
        assert_eq!(flags("proxy-idle-cut"), ["--idle", "3"]);
        assert_eq!(flags("blocked-event-loop"), ["--concurrency", "4"]);
        assert_eq!(flags("black-hole"), ["--timeout", "2"]);
        assert_eq!(flags("no-pong"), ["--timeout", "2"]);
        assert_eq!(flags("message-too-big")[0], "--message");
    }

    #[test]
    fn descriptions_state_the_numbers_the_servers_use() {
        let what = |name: &str| Scenario::named(name).expect("in the table").what;
        let cut = format!("idle for {} ms", IDLE_CUT.as_millis());
        assert!(what("proxy-idle-cut").contains(&cut));
        let block = format!("{} ms per message", BLOCKING_HANDLER.as_millis());
        assert!(what("blocked-event-loop").contains(&block));
        let busy = format!("({BLOCKED_LOOP_CONNECTIONS} busy)");
        assert!(what("blocked-event-loop").contains(&busy));
        let limit = format!("exceeds {TOO_BIG_LIMIT} bytes");
        assert!(what("message-too-big").contains(&limit));
        let slow = format!("{} ms late", SLOW_ECHO.as_millis());
        assert!(what("slow-echo").contains(&slow));
        let close = format!(
            "echoes {CLOSE_AFTER_MESSAGES} message(s) per connection, then closes with {CLOSE_AFTER_CODE}"
        );
        assert!(what("close-after-messages").contains(&close));
    }

    #[test]
    fn idle_check_outlasts_the_idle_cut() {
        let s = Scenario::named("proxy-idle-cut").expect("in the table");
        assert!(Duration::from_secs(s.plan.idle_s.expect("idle plan")) > IDLE_CUT);
    }
}
