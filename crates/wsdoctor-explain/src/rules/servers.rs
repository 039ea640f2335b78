//! Servers and intermediaries: nginx error.log, HAProxy termination states, Apache
//! mod_proxy(_wstunnel), IIS, Heroku router codes, Cloudflare and AWS ALB pages,
//! Python and Java server stacks without WebSocket support, dev-server proxies.
//!
//! nginx lines end with `, client: …, server: …, request: "GET /ws HTTP/1.1",
//! upstream: "http://…"`; only the message part before them is matched here, the
//! log scanner reads the rest.

use super::Causes::{Fixed as F, Status, Termination};
use super::Rule;
use wsdoctor_core::CauseId as C;

pub(super) static RULES: &[Rule] = &[
    // ── nginx ───────────────────────────────────────────────────────────────────
    // The idle cut is logged at `info` level, invisible with the default `error`.
    rule!(
        "nginx-upgraded-timeout",
        "nginx",
        9,
        Any,
        ["while proxying upgraded connection"],
        r"timed out[^\n]{0,60}while proxying upgraded connection",
        F(&[C::ProxyIdleTimeout])
    ),
    rule!(
        "nginx-upgraded-reset",
        "nginx",
        8,
        Any,
        ["while proxying upgraded connection"],
        r"(?:reset by peer|prematurely closed|broken pipe|failed \(\d+)[^\n]{0,80}while proxying upgraded connection",
        F(&[C::SessionReset, C::SessionAbruptEof])
    ),
    rule!(
        "nginx-premature-close-header",
        "nginx",
        9,
        Ws,
        ["prematurely closed connection while reading response header"],
        // The upstream (the WebSocket server) closed before any response header: the
        // client is shown nginx's 502, and the server closed without answering.
        r"prematurely closed connection while reading response header",
        F(&[
            C::HttpBadGateway,
            C::HttpClosedWithoutResponse,
            C::ProxyUpgradeNotForwarded
        ])
    ),
    rule!(
        "nginx-timeout-header",
        "nginx",
        9,
        Ws,
        ["while reading response header from upstream"],
        r"timed out[^\n]{0,60}while reading response header from upstream",
        F(&[C::HttpGatewayTimeout])
    ),
    rule!(
        "nginx-timeout-reading-upstream",
        "nginx",
        9,
        Ws,
        ["while reading upstream"],
        r"timed out[^\n]{0,60}while reading upstream",
        F(&[C::ProxyUpgradeNotForwarded, C::HttpGatewayTimeout])
    ),
    rule!(
        "nginx-connect-refused",
        "nginx",
        9,
        Ws,
        ["while connecting to upstream"],
        r"(?:refused|\(111)[^\n]{0,60}while connecting to upstream",
        F(&[C::HttpBadGateway, C::TcpRefused])
    ),
    rule!(
        "nginx-connect-timeout",
        "nginx",
        9,
        Ws,
        ["while connecting to upstream"],
        r"timed out[^\n]{0,60}while connecting to upstream",
        F(&[C::HttpGatewayTimeout, C::TcpTimeout])
    ),
    rule!(
        "nginx-connect-unreachable",
        "nginx",
        9,
        Ws,
        ["while connecting to upstream"],
        r"(?:no route to host|unreachable|\(11[23])[^\n]{0,60}while connecting to upstream",
        F(&[C::HttpBadGateway, C::TcpUnreachable])
    ),
    rule!(
        "nginx-no-live-upstreams",
        "nginx",
        9,
        Ws,
        ["no live upstreams"],
        r"no live upstreams",
        F(&[C::HttpBadGateway])
    ),
    rule!(
        "nginx-upstream-invalid",
        "nginx",
        8,
        Ws,
        ["upstream sent"],
        r"upstream sent (?:invalid|no valid|too big)",
        F(&[C::HttpBadGateway, C::HttpNotHttp])
    ),
    rule!(
        "nginx-upstream-tls",
        "nginx",
        9,
        Ws,
        ["upstream ssl certificate", "ssl handshaking to upstream"],
        r"upstream ssl certificate (?:verify error|does not match)|while ssl handshaking to upstream",
        F(&[
            C::HttpBadGateway,
            C::TlsUnknownIssuer,
            C::TlsHostnameMismatch,
            C::TlsCertExpired
        ])
    ),
    rule!(
        "nginx-plain-http-to-https",
        "nginx",
        9,
        Any,
        [
            "plain http request was sent to https port",
            "http request to an https server",
            "speaking plain http to an ssl-enabled server"
        ],
        r"plain http request was sent to https port|http request to an https server|speaking plain http to an ssl-enabled server",
        F(&[C::PlaintextToTlsPort])
    ),
    // ── HAProxy ─────────────────────────────────────────────────────────────────
    rule!(
        "haproxy-termination-state",
        "haproxy",
        9,
        Any,
        [
            "termination_state",
            "termination state",
            "termination flags"
        ],
        r"termination[_ ](?:state|flags)\s*[=:]?\s*(?P<ts>[a-z-]{2})",
        Termination
    ),
    // A log line: timers Tq/Tw/Tc/Tr/Ta, status, bytes, two cookie fields, the state.
    rule!(
        "haproxy-log-line",
        "haproxy",
        8,
        Any,
        ["haproxy["],
        r"haproxy\[\d+\]:[^\n]*\s-?\d+/-?\d+/-?\d+/-?\d+/\+?\d+ (?P<status>\d{3}) \+?\d+ \S+ \S+ (?P<ts>[a-z-]{2})[a-z-]{2} ",
        Termination
    ),
    // ── Apache httpd ────────────────────────────────────────────────────────────
    rule!(
        "apache-tunnel-timeout",
        "apache-httpd",
        9,
        Any,
        ["tunnel timed out", "ah10225"],
        r"tunnel timed out|ah10225",
        F(&[C::ProxyIdleTimeout])
    ),
    rule!(
        "apache-no-protocol-handler",
        "apache-httpd",
        9,
        Any,
        ["no protocol handler was valid", "ah01144"],
        r"no protocol handler was valid|ah01144",
        F(&[C::ServerWebsocketUnsupported])
    ),
    rule!(
        "apache-backend-connect",
        "apache-httpd",
        9,
        Any,
        [
            "ah00957",
            "ah01114",
            "ah02452",
            "failed to make connection to backend",
            "attempt to connect to"
        ],
        r"ah00957|ah01114|ah02452|failed to make connection to backend|attempt to connect to \S+ [^\n]{0,60}failed",
        F(&[C::HttpBadGateway, C::TcpRefused])
    ),
    rule!(
        "apache-status-line",
        "apache-httpd",
        9,
        Any,
        [
            "ah01102",
            "error reading status line from remote server",
            "ah01097",
            "pass request body failed"
        ],
        r"ah01102|error reading status line from remote server|ah01097|pass request body failed",
        F(&[C::HttpBadGateway, C::HttpClosedWithoutResponse])
    ),
    rule!(
        "apache-wstunnel-hup",
        "apache-httpd",
        8,
        Any,
        ["ah02447", "err/hup on backconnection"],
        r"ah02447|err/hup on backconnection",
        F(&[C::SessionAbruptEof, C::SessionReset])
    ),
    // ── hosted platforms and load balancers ───────────────────────────────────────
    rule!(
        "heroku-idle",
        "heroku",
        9,
        Any,
        ["code=h15", "code=h28"],
        r"code=h(?:15|28)\b",
        F(&[C::ProxyIdleTimeout])
    ),
    rule!(
        "heroku-request-timeout",
        "heroku",
        9,
        Any,
        ["code=h12"],
        r"code=h12\b",
        F(&[C::HttpGatewayTimeout])
    ),
    rule!(
        "heroku-closed-without-response",
        "heroku",
        9,
        Any,
        ["code=h13", "code=h18"],
        r"code=h1[38]\b",
        F(&[C::HttpClosedWithoutResponse, C::HttpServerError])
    ),
    rule!(
        "heroku-unavailable",
        "heroku",
        9,
        Any,
        ["code=h10", "code=h11", "code=h14", "code=h20", "code=h99"],
        r"code=h(?:1[014]|20|99)\b",
        F(&[C::HttpServiceUnavailable])
    ),
    rule!(
        "heroku-client-interrupted",
        "heroku",
        9,
        Any,
        ["code=h27"],
        r"code=h27\b",
        F(&[C::SessionClientAborted])
    ),
    // Cloudflare's "Error 1006: Access denied" is an IP ban page, not close code 1006.
    rule!(
        "cloudflare-access-denied",
        "cloudflare",
        9,
        Any,
        ["error 100", "access denied", "has banned"],
        r"error 100[5-9]\b[^\n]{0,20}access denied|access denied[^\n]{0,60}cloudflare|cloudflare[^\n]{0,60}access denied|has banned (?:your|the) ip",
        F(&[C::HttpForbidden])
    ),
    rule!(
        "cloudflare-origin-status",
        "cloudflare",
        8,
        Any,
        [
            "origin",
            "web server",
            "cloudflare",
            "a timeout occurred",
            "ssl handshake failed",
            "invalid ssl certificate"
        ],
        r"\b(?P<status>52[0-7])\b[^\n]{0,12}(?:origin|web server|a timeout occurred|ssl handshake failed|invalid ssl certificate)|cloudflare[^\n]{0,30}\b(?P<status2>52[0-7])\b",
        Status(&[C::HttpBadGateway])
    ),
    rule!(
        "idle-cut-after-seconds",
        "load-balancers",
        7,
        Ws,
        ["after", "idle"],
        r"(?:closed|cut|dropped|disconnect(?:ed|s)?|drops?|terminated|killed)[^\n]{0,40}after (?:~|about |exactly |around )?\d+(?:\.\d+)? ?(?:s|secs?|seconds)\b|idle (?:connection|timeout|websocket)|idle_timeout",
        F(&[C::ProxyIdleTimeout, C::SessionAbruptEof])
    ),
    rule!(
        "envoy-upstream-reset",
        "envoy",
        8,
        Any,
        ["upstream connect error or disconnect/reset before headers"],
        r"upstream connect error or disconnect/reset before headers",
        F(&[C::HttpBadGateway, C::TcpRefused])
    ),
    // ── server stacks without WebSocket support ────────────────────────────────
    rule!(
        "stack-no-websocket",
        "server-stacks",
        9,
        Any,
        [
            "unsupported upgrade request",
            "websocket transport",
            "scope type 'websocket'",
            "websockets are disabled",
            "no supported websocket library",
            "websocket request made to a site"
        ],
        r"unsupported upgrade request|no supported websocket library|websocket transport (?:is )?not available|no application configured for scope type 'websocket'|websockets are disabled|websocket request made to a site",
        F(&[C::ServerWebsocketUnsupported])
    ),
    rule!(
        "iis-503-websocket",
        "iis",
        9,
        Any,
        ["503.0"],
        r"503\.0[^\n]{0,20}websocket",
        F(&[C::ServerWebsocketUnsupported])
    ),
    rule!(
        "vite-hmr",
        "vite",
        9,
        Any,
        ["[vite]"],
        r"\[vite\] failed to connect to websocket|\[vite\] server connection lost",
        F(&[
            C::ProxyUpgradeNotForwarded,
            C::ProxyHttp2Only,
            C::TcpRefused
        ])
    ),
];
