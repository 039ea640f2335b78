//! The cause catalog: the single source of truth for every diagnosis wsdoctor can make.
//!
//! `check`, `explain`, `logs`, `lint`, the lab and the docs all refer to these ids and
//! print this prose; none of them invents text of its own. Ids are stable: they are
//! part of the JSON contract, so an entry may be reworded but never renamed or reused.
//! The table is one macro invocation (like quinn's `errors!`), which generates the
//! `CauseId` enum, its string form and the static table in one go.

use crate::layer::{Blame, Layer, Mistake, Severity};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One catalog entry.
#[derive(Debug)]
pub struct Cause {
    pub id: CauseId,
    pub layer: Layer,
    pub mistake: Mistake,
    pub blame: Blame,
    /// Default severity of a finding with this cause.
    pub severity: Severity,
    pub title: &'static str,
    /// Why this happens and what it means, in two sentences or so.
    pub why: &'static str,
    /// What to change.
    pub fix: &'static str,
}

macro_rules! catalog {
    ($( $variant:ident = $id:literal, $layer:ident, $mistake:ident, $blame:ident, $sev:ident,
        title: $title:literal, why: $why:literal, fix: $fix:literal; )*) => {
        /// A stable cause id. Serialises as its kebab-case string.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum CauseId { $($variant),* }

        /// Every cause, in `CauseId` order (the table below is indexed by discriminant).
        pub static CATALOG: &[Cause] = &[
            $(Cause {
                id: CauseId::$variant,
                layer: Layer::$layer,
                mistake: Mistake::$mistake,
                blame: Blame::$blame,
                severity: Severity::$sev,
                title: $title,
                why: $why,
                fix: $fix,
            }),*
        ];

        impl CauseId {
            /// The stable id string, e.g. `tls-cert-expired`.
            pub fn as_str(self) -> &'static str {
                match self { $(CauseId::$variant => $id),* }
            }
        }
    };
}

impl CauseId {
    /// The catalog entry for this id.
    pub fn cause(self) -> &'static Cause {
        // The table is generated in enum order by the same macro, so the discriminant
        // is the index; the unit test `table_is_in_enum_order` pins it.
        &CATALOG[self as usize]
    }

    pub fn parse(s: &str) -> Option<CauseId> {
        CATALOG.iter().map(|c| c.id).find(|id| id.as_str() == s)
    }

    pub fn layer(self) -> Layer {
        self.cause().layer
    }
}

impl std::fmt::Display for CauseId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CauseId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// In schemas a cause id is a kebab-case string, not an enum of today's ids: ids are
/// only ever added, and a consumer validating with an older schema must still accept
/// a newer wsdoctor's output (the catalog itself is `wsdoctor explain --list --json`).
impl schemars::JsonSchema for CauseId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "CauseId".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$",
            "description": "A stable cause id from the catalog, e.g. tls-cert-expired."
        })
    }
}

impl<'de> Deserialize<'de> for CauseId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        CauseId::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown cause id {s:?}")))
    }
}

catalog! {
    // ── url ────────────────────────────────────────────────────────────────────
    UrlUnparseable = "url-unparseable", Url, Url, Client, Error,
        title: "The URL cannot be parsed",
        why: "The text given is not a valid URL, so no client can connect with it.",
        fix: "Write the URL as ws://host[:port]/path or wss://host[:port]/path.";
    UrlUnsupportedScheme = "url-unsupported-scheme", Url, Url, Client, Error,
        title: "The URL scheme is not a WebSocket scheme",
        why: "WebSocket URLs use ws:// (plaintext) or wss:// (TLS); browsers and libraries reject any other scheme.",
        fix: "Use wss:// for TLS endpoints (usually port 443) or ws:// for plaintext ones.";
    UrlHttpScheme = "url-http-scheme", Url, Url, Client, Warning,
        title: "An http(s):// URL was given for a WebSocket",
        why: "Browsers since 2023 map http:// to ws:// and https:// to wss://, but most libraries reject http(s) URLs or make a plain HTTP request instead of an Upgrade.",
        fix: "Write the WebSocket scheme explicitly: https:// becomes wss://, http:// becomes ws://.";
    UrlNoScheme = "url-no-scheme", Url, Url, Client, Warning,
        title: "The URL has no scheme",
        why: "Without ws:// or wss:// a WebSocket client cannot tell whether to use TLS; most constructors throw a SyntaxError.",
        fix: "Prefix the URL with wss:// (TLS) or ws:// (plaintext).";
    UrlFragment = "url-fragment", Url, Url, Client, Warning,
        title: "The URL has a fragment (#…)",
        why: "RFC 6455 forbids fragments in WebSocket URLs; browsers throw a SyntaxError (older ones) or drop it, and the server never sees it.",
        fix: "Remove the #fragment; pass that information as a query parameter or a message instead.";
    UrlInvalidCharacters = "url-invalid-characters", Url, Url, Client, Warning,
        title: "The URL contains spaces or characters that must be escaped",
        why: "Spaces and other unescaped characters are percent-encoded by some clients and rejected by others, so the server may see a different path than intended.",
        fix: "Percent-encode the characters (a space is %20) or remove them, usually a copy-paste error.";
    UrlWssOnPort80 = "url-wss-on-port-80", Url, Url, Client, Warning,
        title: "wss:// is aimed at port 80",
        why: "Port 80 almost always serves plaintext HTTP, so a TLS handshake there fails with a 'wrong version number' style error.",
        fix: "Use ws:// for port 80, or wss:// on the TLS port (usually 443).";
    UrlWsOnPort443 = "url-ws-on-port-443", Url, Url, Client, Warning,
        title: "ws:// is aimed at port 443",
        why: "Port 443 almost always expects TLS, so a plaintext Upgrade there gets a TLS alert, a 400 'plain HTTP request was sent to HTTPS port', or silence.",
        fix: "Use wss:// for port 443.";
    UrlIdnHost = "url-idn-host", Url, Url, Client, Info,
        title: "The host name is internationalised (IDN)",
        why: "The host is sent on the wire in its punycode (xn--) form; certificates and proxy rules must name that form.",
        fix: "Nothing to change if the certificate and the DNS records use the punycode name shown.";
    UrlUserinfo = "url-userinfo", Url, Url, Client, Warning,
        title: "The URL carries user:password@",
        why: "Browsers do not send URL credentials on a WebSocket Upgrade, and credentials in URLs end up in logs and history.",
        fix: "Send credentials in an Authorization header, a cookie or a short-lived token instead; wsdoctor redacted them.";
    UrlSecretInQuery = "url-secret-in-query", Url, Url, Client, Info,
        title: "The URL query carries a secret",
        why: "Tokens in the query string are written to proxy and server access logs.",
        fix: "Prefer a short-lived, single-use token; wsdoctor redacts it in its output.";
    UrlMixedContent = "url-mixed-content", Url, Url, Client, Error,
        title: "ws:// used from an https:// page (mixed content)",
        why: "Browsers block insecure WebSocket connections from secure pages before any packet is sent.",
        fix: "Use wss:// from https:// pages.";
    // ── dns ────────────────────────────────────────────────────────────────────
    DnsNxdomain = "dns-nxdomain", Dns, Url, Client, Error,
        title: "The host name does not exist (NXDOMAIN)",
        why: "The DNS says no such name exists: a typo, a missing record or the wrong environment's host name.",
        fix: "Check the spelling of the host and that its DNS record exists (dig A/AAAA host).";
    DnsNoAnswer = "dns-no-answer", Dns, Url, Server, Error,
        title: "The host name exists but has no address",
        why: "The name resolves but has no A/AAAA record of the requested family.",
        fix: "Add the A/AAAA record, or drop -4/-6 if one family was forced.";
    DnsTimeout = "dns-timeout", Dns, ProxyFirewall, Path, Error,
        title: "The DNS lookup timed out",
        why: "No resolver answered in time: a resolver down, UDP/53 filtered, or a VPN or captive portal in the way.",
        fix: "Check /etc/resolv.conf and the resolver's reachability; try --resolve host:port:addr to bypass DNS.";
    DnsFailure = "dns-failure", Dns, Url, Path, Error,
        title: "The DNS lookup failed",
        why: "The resolver returned an error (SERVFAIL, REFUSED) or the lookup could not be made.",
        fix: "Retry, check the authoritative servers of the zone, or use --resolve to test the server directly.";
    // ── tcp ────────────────────────────────────────────────────────────────────
    TcpRefused = "tcp-refused", Tcp, ServerConfig, Server, Error,
        title: "Connection refused: nothing listens on that port",
        why: "The host answered with a TCP reset: the server process is not running, listens on another port, or only on another interface (127.0.0.1 vs 0.0.0.0).",
        fix: "Start the server or fix the port; check `ss -ltnp` on the server for the listening address.";
    TcpTimeout = "tcp-timeout", Tcp, ProxyFirewall, Path, Error,
        title: "TCP connect timed out: likely filtered by a firewall",
        why: "No SYN-ACK and no reset came back: a firewall or security group drops the packets, or the host is down.",
        fix: "Open the port in the firewall or security group between you and the server, or check the host is up.";
    TcpUnreachable = "tcp-unreachable", Tcp, ProxyFirewall, Path, Error,
        title: "Network or host unreachable",
        why: "The local stack or a router said there is no route to that address.",
        fix: "Check routing, VPN and IPv6 connectivity; try -4 if IPv6 is not routed here.";
    TcpReset = "tcp-reset", Tcp, ProxyFirewall, Path, Error,
        title: "The connection was reset",
        why: "The peer or a middlebox reset the connection right after it opened: a firewall, an IPS, or a server that rejects the client's address.",
        fix: "Check server-side connection limits, IP allow-lists and middleboxes between you and the server.";
    TcpFamilyBlackholed = "tcp-family-blackholed", Tcp, ProxyFirewall, Path, Warning,
        title: "One address family is black-holed while the other works",
        why: "Connects over one family (often IPv6) time out while the other succeeds; clients without happy eyeballs stall for their whole connect timeout.",
        fix: "Fix routing or the firewall for that family, or remove the broken AAAA/A record.";
    TcpAddressFailed = "tcp-address-failed", Tcp, ProxyFirewall, Path, Warning,
        title: "Some of the host's addresses did not accept connections",
        why: "The host name lists several addresses and at least one failed; clients that pick it fail intermittently.",
        fix: "Remove the dead address from DNS or bring its server back.";
    // ── proxy ──────────────────────────────────────────────────────────────────
    ProxyUnreachable = "proxy-unreachable", Proxy, ProxyFirewall, Client, Error,
        title: "The forward proxy cannot be reached",
        why: "The configured proxy refused or dropped the connection.",
        fix: "Check the proxy address in --proxy or HTTPS_PROXY/ALL_PROXY, or bypass it with --noproxy.";
    ProxyAuthRequired = "proxy-auth-required", Proxy, ProxyFirewall, Client, Error,
        title: "The proxy wants credentials (407)",
        why: "The forward proxy answered CONNECT with 407 Proxy Authentication Required: no credentials were sent or they were wrong.",
        fix: "Put the credentials in the proxy URL (http://user:pass@proxy:3128) or configure your client's proxy authentication.";
    ProxyConnectRefused = "proxy-connect-refused", Proxy, ProxyFirewall, Path, Error,
        title: "The proxy refused the CONNECT tunnel",
        why: "The proxy's policy denies tunnels to this host or port (squid allows CONNECT only to 443 by default).",
        fix: "Ask the proxy's operator to allow CONNECT to this host:port, or use port 443.";
    ProxyBadReply = "proxy-bad-reply", Proxy, ProxyFirewall, Client, Error,
        title: "The proxy does not answer in its protocol",
        why: "The proxy accepted the connection but answered CONNECT (or the SOCKS5 greeting) with bytes that are not that protocol: the URL points at another kind of port (a SOCKS proxy behind http://, an HTTPS-only proxy, some other service) or the proxy is broken.",
        fix: "Check the proxy URL's scheme and port (http:// for an HTTP proxy such as squid on 3128, socks5:// for SOCKS); the proxy's first bytes are in the evidence.";
    ProxyTunnelClosed = "proxy-tunnel-closed", Proxy, ProxyFirewall, Path, Error,
        title: "The proxy closed the tunnel",
        why: "The proxy closed the connection during or right after CONNECT.",
        fix: "Check the proxy's logs; it may limit tunnel duration or inspect traffic.";
    ProxyTlsIntercepted = "proxy-tls-intercepted", Proxy, Tls, Path, Error,
        title: "TLS is being intercepted by a proxy",
        why: "The certificate was issued by an inspection CA (a corporate proxy or antivirus) instead of the site's real CA; clients that do not trust it fail, and some inspecting proxies break WebSocket Upgrades.",
        fix: "Install the inspection CA in the client's trust store (--cacert to test), or exempt the host from TLS inspection.";
    ProxyDirectWorks = "proxy-direct-works", Proxy, ProxyFirewall, Path, Info,
        title: "The direct path behaves differently from the proxied one",
        why: "--compare-direct tried both paths and they disagree: the proxy is the difference.",
        fix: "Fix the proxy's rules for this host, or add the host to NO_PROXY.";
    ProxyUsed = "proxy-used", Proxy, ProxyFirewall, Path, Info,
        title: "A forward proxy is in the path",
        why: "The connection was tunnelled through a proxy chosen by a flag or an environment variable.",
        fix: "Nothing to change if that is intended; --noproxy '*' bypasses it.";
    ProxyBypassed = "proxy-bypassed", Proxy, ProxyFirewall, Path, Info,
        title: "A proxy is configured but bypassed for this host",
        why: "A proxy variable is set, and NO_PROXY/no_proxy excludes this host, so the connection went direct; clients that ignore NO_PROXY (or read another variable) take the proxy instead.",
        fix: "Nothing to change if direct is intended; remove the host from NO_PROXY to test through the proxy.";
    ProxyUpgradeNotForwarded = "proxy-upgrade-not-forwarded", Http, ProxyFirewall, Path, Error,
        title: "A reverse proxy did not pass the Upgrade on",
        why: "Upgrade and Connection are hop-by-hop headers: a reverse proxy must forward them explicitly, otherwise the backend sees a plain GET and answers 200, 400 or 426.",
        fix: "nginx: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade (with its map). Apache: ProxyPass … upgrade=websocket. Envoy: upgrade_configs websocket.";
    ProxyIdleTimeout = "proxy-idle-timeout", Async, ProxyFirewall, Path, Error,
        title: "An idle timeout in the path cuts quiet connections",
        why: "The connection was cut without a close frame (1006 in browsers) after being idle for a round number of seconds: a proxy or load balancer idle timeout.",
        fix: "Send pings (or any message) more often than the timeout, or raise it: nginx proxy_read_timeout, HAProxy timeout tunnel, AWS ALB idle_timeout.timeout_seconds.";
    // ── tls ────────────────────────────────────────────────────────────────────
    TlsCertExpired = "tls-cert-expired", Tls, Tls, Server, Error,
        title: "The server certificate has expired",
        why: "The certificate's notAfter date is in the past; every client rejects it.",
        fix: "Renew the certificate (certbot renew, or your CA's renewal) and reload the server or load balancer.";
    TlsCertNotYetValid = "tls-cert-not-yet-valid", Tls, Tls, Server, Error,
        title: "The server certificate is not valid yet",
        why: "The certificate's notBefore date is in the future: it was issued ahead of time, or the clock of the client or server is wrong.",
        fix: "Check the client's clock (timedatectl); if it is right, deploy a certificate that is already valid.";
    TlsCertExpiringSoon = "tls-cert-expiring-soon", Tls, Tls, Server, Warning,
        title: "The server certificate expires soon",
        why: "The certificate is valid today but expires within 14 days.",
        fix: "Renew it now and check that automatic renewal works.";
    TlsHostnameMismatch = "tls-hostname-mismatch", Tls, Tls, Server, Error,
        title: "The certificate does not name this host",
        why: "None of the certificate's subject alternative names matches the host in the URL: the wrong certificate, a missing SAN, or a default virtual host answering.",
        fix: "Issue a certificate that covers this host name, or connect with a name it does cover.";
    TlsUnknownIssuer = "tls-unknown-issuer", Tls, Tls, Server, Error,
        title: "The certificate was issued by an unknown CA",
        why: "The chain ends at a CA that the client does not trust: a private or internal CA.",
        fix: "Use a certificate from a public CA, or install the private CA on the clients (--cacert FILE to test).";
    TlsSelfSigned = "tls-self-signed", Tls, Tls, Server, Error,
        title: "The certificate is self-signed",
        why: "The server presents a certificate that signs itself; no client trusts it unless told to.",
        fix: "Use a CA-issued certificate (Let's Encrypt for public hosts), or pass the certificate as --cacert for testing.";
    TlsIncompleteChain = "tls-incomplete-chain", Tls, Tls, Server, Error,
        title: "The server does not send its intermediate certificate",
        why: "The leaf is signed by an intermediate CA the server did not send; browsers sometimes fetch it, but libraries and mobile clients fail ('unable to get local issuer certificate').",
        fix: "Serve the full chain: nginx ssl_certificate must point at fullchain.pem (leaf + intermediates), not cert.pem.";
    TlsClientCertRequired = "tls-client-cert-required", Tls, Tls, Client, Error,
        title: "The server requires a client certificate",
        why: "The server asked for a client certificate (mutual TLS) and rejected the handshake without one.",
        fix: "Pass --cert and --key with a certificate the server trusts.";
    TlsHandshakeFailed = "tls-handshake-failed", Tls, Tls, Server, Error,
        title: "The TLS handshake failed",
        why: "The server ended the TLS handshake with an alert or an error other than a certificate problem: no shared protocol version or cipher, or SNI not recognised.",
        fix: "Check the server's TLS versions and ciphers (TLS 1.2+ with modern ciphers) and that it serves this SNI name.";
    TlsToPlaintextPort = "tls-to-plaintext-port", Tls, Url, Client, Error,
        title: "wss:// was aimed at a plaintext port",
        why: "The server answered the TLS ClientHello with plain HTTP bytes: that port does not speak TLS ('wrong version number' in OpenSSL).",
        fix: "Use ws:// for this port, or the TLS port (usually 443) with wss://.";
    PlaintextToTlsPort = "plaintext-to-tls-port", Tls, Url, Client, Error,
        title: "ws:// was aimed at a TLS port",
        why: "The server answered the plaintext Upgrade with a TLS alert, a 'plain HTTP request was sent to HTTPS port' page or nothing: that port expects TLS.",
        fix: "Use wss:// for this port.";
    TlsInsecureUsed = "tls-insecure-used", Tls, Tls, Client, Warning,
        title: "Certificate verification was disabled (-k)",
        why: "The connection went on despite the certificate problems reported; real clients will fail on them.",
        fix: "Fix the certificate problems above instead of disabling verification.";
    // ── http ───────────────────────────────────────────────────────────────────
    HttpNotUpgraded = "http-not-upgraded", Http, ServerConfig, Server, Error,
        title: "The server answered 200: not a WebSocket endpoint",
        why: "An ordinary HTTP route (an SPA catch-all, a static file server, a health check) answered instead of a WebSocket handler, or a proxy dropped the Upgrade.",
        fix: "Point the client at the WebSocket route; make the server (or the proxy in front) handle the Upgrade on that path.";
    HttpRedirect = "http-redirect", Http, Url, Client, Error,
        title: "The server answered with a redirect",
        why: "WebSocket clients do not follow redirects: the handshake fails on 301/302/307/308.",
        fix: "Connect to the Location the server gave (often https→wss or a trailing slash), or remove the redirect for the WebSocket path.";
    HttpBadRequest = "http-bad-request", Http, ServerConfig, Server, Error,
        title: "The server answered 400 Bad Request",
        why: "The server or a proxy rejected the Upgrade request: headers missing after a proxy hop, a Socket.IO/SockJS endpoint reached with a raw WebSocket, or a session id unknown to this node.",
        fix: "Check that Upgrade/Connection reach the server and that the path and protocol match what it serves.";
    HttpUnauthorized = "http-unauthorized", Http, Handshake, Client, Error,
        title: "The server wants credentials (401)",
        why: "The Upgrade request was refused for missing or invalid authentication.",
        fix: "Send the credentials the server expects: -H 'Authorization: Bearer …', a cookie, or a token in the query.";
    HttpForbidden = "http-forbidden", Http, Handshake, Server, Error,
        title: "The server refused the Upgrade (403)",
        why: "An Origin check (gorilla CheckOrigin, Spring allowedOrigins, websockets origins=), an auth rule or a WAF rejected the request.",
        fix: "Send the Origin the server allows (--origin https://your.site) and allow-list the page origin on the server; check auth and WAF rules.";
    HttpNotFound = "http-not-found", Http, Url, Client, Error,
        title: "The path does not exist (404)",
        why: "No handler is registered at this path (/ws vs /ws/ vs /socket.io/), or WebSocket support is not enabled on the host.",
        fix: "Use the exact path the server registers; check the trailing slash and any proxy path rewriting.";
    HttpUpgradeRequired = "http-upgrade-required", Http, Handshake, Server, Error,
        title: "The server answered 426 Upgrade Required",
        why: "The server wants a WebSocket Upgrade it did not receive, or a protocol version it supports: usually a proxy stripped Upgrade/Connection (or sent Connection: websocket).",
        fix: "Forward Upgrade and Connection: upgrade at every proxy hop; check Sec-WebSocket-Version 13.";
    HttpRateLimited = "http-rate-limited", Http, ServerConfig, Server, Error,
        title: "The server is rate limiting (429)",
        why: "Too many connection attempts from this client or address.",
        fix: "Back off and reconnect with jittered exponential delays; check the server's or CDN's rate limits.";
    HttpServerError = "http-server-error", Http, ServerConfig, Server, Error,
        title: "The server failed while handling the Upgrade (5xx)",
        why: "The handler or an interceptor threw during the handshake.",
        fix: "Read the server log at the time of the request and fix the exception.";
    HttpBadGateway = "http-bad-gateway", Http, ProxyFirewall, Server, Error,
        title: "A proxy or load balancer could not reach the backend (502)",
        why: "The hop in front of the application could not connect to it or got an invalid answer: the backend is down, on another port, or speaks TLS where HTTP was expected.",
        fix: "Check the backend is running and the proxy's upstream address; read the proxy's error log.";
    HttpServiceUnavailable = "http-service-unavailable", Http, ServerConfig, Server, Error,
        title: "The service is unavailable (503)",
        why: "No healthy backend, maintenance mode, or overload; IIS answers 503 when the WebSocket feature is off.",
        fix: "Check the backends' health checks and capacity.";
    HttpGatewayTimeout = "http-gateway-timeout", Http, ProxyFirewall, Server, Error,
        title: "The backend did not answer in time (504)",
        why: "A proxy or load balancer waited for the backend's 101 and gave up: a slow or blocked handler, or a backend that never answers Upgrades.",
        fix: "Check why the backend is slow to answer the handshake; check proxy_connect/read timeouts.";
    HttpUnexpectedStatus = "http-unexpected-status", Http, ServerConfig, Server, Error,
        title: "The server answered with an unexpected status",
        why: "Anything but 101 fails the WebSocket handshake.",
        fix: "Read the response body and the server log for the reason.";
    HttpNoResponse = "http-no-response", Http, ServerConfig, Server, Error,
        title: "The server accepted the connection but never answered",
        why: "The Upgrade request got no bytes back before the deadline: a hung server, a black-hole port, or a TLS port waiting for a ClientHello.",
        fix: "Check the server is responsive; if the port expects TLS, use wss://.";
    HttpClosedWithoutResponse = "http-closed-without-response", Http, ServerConfig, Server, Error,
        title: "The server closed the connection without answering",
        why: "The peer closed after reading the Upgrade request: a server that rejects it silently, or a TLS port closing on a plaintext request.",
        fix: "Check the server log; if the port expects TLS, use wss://.";
    HttpResetWithoutResponse = "http-reset-without-response", Http, ProxyFirewall, Path, Error,
        title: "The connection was reset instead of an answer",
        why: "The server or a middlebox reset the connection after the Upgrade request.",
        fix: "Check firewalls and IPS that reset upgrades, and the server's log.";
    HttpNotHttp = "http-not-http", Http, Url, Client, Error,
        title: "The server answered with bytes that are not HTTP",
        why: "Something other than an HTTP server listens on that port (a database, SSH, a raw TCP service).",
        fix: "Check the port: it serves another protocol.";
    HttpHeadTooLarge = "http-head-too-large", Http, ServerConfig, Server, Error,
        title: "The response headers are too large",
        why: "The response head exceeded wsdoctor's cap without ending: a broken or hostile server.",
        fix: "Check what the server sends; no valid handshake needs headers this large.";
    HttpVersion10 = "http-version-1-0", Http, ServerConfig, Server, Error,
        title: "The server speaks HTTP/1.0 and cannot upgrade",
        why: "WebSocket needs HTTP/1.1; an HTTP/1.0 answer means a server stack (or proxy hop, e.g. proxy_http_version 1.0) without WebSocket support.",
        fix: "Serve WebSockets from an HTTP/1.1 stack; behind nginx set proxy_http_version 1.1.";
    HttpSocketIoEndpoint = "http-socketio-endpoint", Http, ServerConfig, Client, Error,
        title: "This is a Socket.IO (engine.io) endpoint",
        why: "Socket.IO speaks its own protocol over WebSocket; a raw WebSocket client is rejected ('Transport unknown', 'Bad request') and could not speak it anyway.",
        fix: "Use a Socket.IO client, or test the engine.io transport: /socket.io/?EIO=4&transport=websocket.";
    HttpSockJsEndpoint = "http-sockjs-endpoint", Http, ServerConfig, Client, Error,
        title: "This is a SockJS endpoint",
        why: "SockJS serves its own protocol; its raw WebSocket route is <prefix>/websocket.",
        fix: "Use a SockJS client, or connect a raw WebSocket to <prefix>/websocket.";
    HttpStickySessionMissing = "http-sticky-session-missing", Http, ServerConfig, Path, Error,
        title: "Session id unknown: sticky sessions are missing",
        why: "Socket.IO or SignalR long-polling across several nodes needs every request of a session to reach the same node.",
        fix: "Enable sticky sessions (ip_hash, cookie affinity) or use WebSocket-only transport.";
    HttpSubprotocolRejected = "http-subprotocol-rejected", Http, Handshake, Client, Error,
        title: "The server rejected the requested subprotocol",
        why: "The server supports none of the subprotocols in Sec-WebSocket-Protocol and refused the Upgrade (Python websockets answers 400 'invalid subprotocol').",
        fix: "Request a subprotocol the server supports (its answer lists them), or configure the server to accept this one.";
    HttpServedBy = "http-served-by", Http, ProxyFirewall, Path, Info,
        title: "Answered by an identified server or intermediary",
        why: "Response headers or the body identify the component that answered, which is where the fix goes.",
        fix: "Look at that component's configuration first.";
    // ── handshake ──────────────────────────────────────────────────────────────
    HandshakeAcceptMissing = "handshake-accept-missing", Handshake, Handshake, Server, Error,
        title: "The 101 has no Sec-WebSocket-Accept",
        why: "RFC 6455 §4.1: a client must fail the connection when Sec-WebSocket-Accept is missing.",
        fix: "Let a WebSocket library write the handshake response; a proxy must not strip this header.";
    HandshakeAcceptMismatch = "handshake-accept-mismatch", Handshake, Handshake, Server, Error,
        title: "Sec-WebSocket-Accept is wrong",
        why: "The value is not base64(SHA-1(key + GUID)) of the key sent: a hand-written handshake or a proxy that rewrote the key. Chrome: 'Incorrect 'Sec-WebSocket-Accept' header value'.",
        fix: "Compute the accept value from the client's Sec-WebSocket-Key exactly as RFC 6455 §4.2.2 says (or use a library); make proxies forward the key unchanged.";
    HandshakeUpgradeMissing = "handshake-upgrade-missing", Handshake, Handshake, Server, Error,
        title: "The 101 lacks Upgrade: websocket",
        why: "RFC 6455 §4.1: the 101 must carry Upgrade: websocket; clients fail without it.",
        fix: "Send Upgrade: websocket in the 101, and check no proxy strips it.";
    HandshakeConnectionMissing = "handshake-connection-missing", Handshake, Handshake, Server, Error,
        title: "The 101 lacks Connection: Upgrade",
        why: "RFC 6455 §4.1: the 101 must carry Connection: Upgrade; clients fail without it.",
        fix: "Send Connection: Upgrade in the 101, and check no proxy strips it.";
    HandshakeSubprotocolNotEchoed = "handshake-subprotocol-not-echoed", Handshake, Handshake, Server, Error,
        title: "A subprotocol was requested but none was selected",
        why: "Browsers fail the connection when they sent Sec-WebSocket-Protocol and the 101 has none ('Sent non-empty Sec-WebSocket-Protocol header but no response was received'); tokens passed as a protocol are a common trigger.",
        fix: "Make the server echo one of the requested protocols, or stop requesting one.";
    HandshakeSubprotocolUnrequested = "handshake-subprotocol-unrequested", Handshake, Handshake, Server, Error,
        title: "The server selected a subprotocol that was not requested",
        why: "RFC 6455 §4.1: the selected protocol must be one the client offered; clients fail otherwise.",
        fix: "Only echo a protocol the client listed in Sec-WebSocket-Protocol.";
    HandshakeExtensionUnoffered = "handshake-extension-unoffered", Handshake, Handshake, Server, Error,
        title: "The server accepted an extension that was not offered",
        why: "RFC 6455 §4.1: an extension in the response that the client did not request fails the connection.",
        fix: "Only return extensions the client offered in Sec-WebSocket-Extensions.";
    HandshakeStatusLine = "handshake-bad-status-line", Handshake, Handshake, Server, Error,
        title: "The 101 status line is malformed",
        why: "The response head could not be parsed as HTTP/1.1.",
        fix: "Send a standard 'HTTP/1.1 101 Switching Protocols' head.";
    // ── session ────────────────────────────────────────────────────────────────
    SessionNoEcho = "session-no-echo", Session, Async, Server, Warning,
        title: "No reply to the test message",
        why: "The server accepted the connection but sent nothing back within the deadline; fine for servers that do not echo, a problem for those that should.",
        fix: "If the server should reply, check its message handler; use --expect to wait for any server message instead of an echo.";
    SessionNoMessage = "session-no-message", Session, Async, Server, Error,
        title: "The expected message never came",
        why: "--expect waited for a server message that did not arrive before the deadline.",
        fix: "Check the server's message handler and that it is not blocked.";
    SessionNoPong = "session-no-pong", Session, Async, Server, Error,
        title: "The server does not answer pings",
        why: "RFC 6455 §5.5.2 requires a Pong for every Ping; clients that use pings as a health check will drop the connection.",
        fix: "Use a library that answers pings automatically, or answer them in the handler.";
    SessionAbruptEof = "session-abrupt-eof", Session, Async, Server, Error,
        title: "The connection dropped without a close frame (1006)",
        why: "The TCP connection ended without a WebSocket close: a crash, a proxy timeout or a server that closes the socket directly. Browsers report code 1006.",
        fix: "Close with a close frame on the server; look for crashes and proxy timeouts at that moment.";
    SessionReset = "session-reset", Session, Async, Path, Error,
        title: "The connection was reset during the session",
        why: "A TCP reset ended the WebSocket session.",
        fix: "Check the server's log and middleboxes that reset long connections.";
    SessionCloseGoingAway = "session-close-going-away", Session, Async, Server, Warning,
        title: "The server closed with 1001 (going away)",
        why: "The server is shutting down or restarting, or the endpoint went away.",
        fix: "Reconnect with backoff; deploy with connection draining.";
    SessionCloseProtocolError = "session-close-protocol-error", Session, Async, Server, Error,
        title: "The server closed with 1002 (protocol error)",
        why: "The server thinks the client broke RFC 6455.",
        fix: "Read the close reason and the server log; check client masking and extension use.";
    SessionCloseUnsupportedData = "session-close-unsupported-data", Session, Async, Server, Error,
        title: "The server closed with 1003 (unsupported data)",
        why: "The server cannot accept this kind of message (text vs binary).",
        fix: "Send the message type the server expects.";
    SessionCloseInvalidPayload = "session-close-invalid-payload", Session, Async, Server, Error,
        title: "The server closed with 1007 (invalid payload)",
        why: "The server received data it judged inconsistent with the message type, usually invalid UTF-8 in text.",
        fix: "Send valid UTF-8 in text messages, or use binary.";
    SessionClosePolicy = "session-close-policy", Session, Async, Server, Error,
        title: "The server closed with 1008 (policy violation)",
        why: "Authentication, origin or rate-limit policy rejected the session after it opened.",
        fix: "Read the close reason; send the credentials or origin the server expects.";
    SessionCloseMessageTooBig = "session-close-message-too-big", Session, Async, Server, Error,
        title: "The server closed with 1009 (message too big)",
        why: "A message exceeded the server's size limit (Python websockets: 1 MiB by default; ws: 100 MiB).",
        fix: "Send smaller messages, or raise the server's max message size (max_size, maxPayload).";
    SessionCloseExtensionRequired = "session-close-extension-required", Session, Async, Client, Error,
        title: "The server closed with 1010 (extension required)",
        why: "Sent by a client when the server did not negotiate an extension it needs.",
        fix: "Negotiate the extension named in the reason.";
    SessionCloseServerError = "session-close-server-error", Session, Async, Server, Error,
        title: "The server closed with 1011 (internal error)",
        why: "The server's handler hit an unexpected condition and closed the session.",
        fix: "Read the server log at that moment; fix the handler's exception.";
    SessionCloseTryLater = "session-close-try-later", Session, Async, Server, Warning,
        title: "The server closed with 1012/1013/1014 (restart, try again later, bad gateway)",
        why: "The server or gateway is restarting or overloaded.",
        fix: "Reconnect with jittered backoff.";
    SessionCloseApplication = "session-close-application", Session, Async, Server, Warning,
        title: "The server closed with an application-defined code (3000–4999)",
        why: "Codes 3000–3999 are registered by libraries and frameworks, 4000–4999 are private to the application.",
        fix: "Look the code up in the server's or framework's documentation.";
    SessionCloseInvalidCode = "session-close-invalid-code", Session, Async, Server, Error,
        title: "The server sent a close code that is not allowed on the wire",
        why: "Codes such as 1005, 1006, 1015, below 1000 or 1016–2999 must never be sent.",
        fix: "Send 1000 for a normal close or a valid registered/private code.";
    SessionCloseNoAnswer = "session-close-no-answer", Session, Async, Server, Warning,
        title: "The server did not answer the close frame",
        why: "RFC 6455 §5.5.1: an endpoint must answer a close with a close; the server dropped the connection or stayed silent.",
        fix: "Let the server's library answer close frames.";
    SessionMaskedFrame = "session-masked-frame", Session, Handshake, Server, Error,
        title: "The server sent a masked frame",
        why: "RFC 6455 §5.1: a client must close the connection when a server frame is masked.",
        fix: "The server must not mask its frames: use a correct WebSocket library on the server.";
    SessionReservedBits = "session-reserved-bits", Session, Handshake, Server, Error,
        title: "A frame has reserved bits set without an extension",
        why: "RFC 6455 §5.2: RSV1–3 must be 0 unless a negotiated extension defines them (RSV1 for permessage-deflate).",
        fix: "Negotiate the extension before using RSV bits, or clear them.";
    SessionInvalidUtf8 = "session-invalid-utf8", Session, Handshake, Server, Error,
        title: "A text message is not valid UTF-8",
        why: "RFC 6455 §8.1: text must be UTF-8; clients close with 1007.",
        fix: "Send binary frames for binary data, or encode text as UTF-8.";
    SessionControlFrameTooLong = "session-control-frame-too-long", Session, Handshake, Server, Error,
        title: "A control frame is longer than 125 bytes",
        why: "RFC 6455 §5.5: ping, pong and close payloads are at most 125 bytes.",
        fix: "Keep control payloads short.";
    SessionFragmentedControl = "session-fragmented-control", Session, Handshake, Server, Error,
        title: "A control frame is fragmented",
        why: "RFC 6455 §5.5: control frames must not be fragmented (FIN must be set).",
        fix: "Send ping, pong and close as single frames.";
    SessionUnknownOpcode = "session-unknown-opcode", Session, Handshake, Server, Error,
        title: "A frame uses a reserved opcode",
        why: "RFC 6455 §5.2: opcodes 3–7 and 11–15 are reserved; clients fail the connection.",
        fix: "Only send defined opcodes.";
    SessionBadFragmentation = "session-bad-fragmentation", Session, Handshake, Server, Error,
        title: "Fragments arrive out of order",
        why: "RFC 6455 §5.4: a continuation without a started message, or a new data frame inside a fragmented message, fails the connection.",
        fix: "Send fragments as one message: first frame with the opcode, continuations, FIN on the last.";
    SessionBadClosePayload = "session-bad-close-payload", Session, Handshake, Server, Error,
        title: "The close frame's payload is invalid",
        why: "RFC 6455 §5.5.1: a close payload is empty or a 2-byte code plus UTF-8 reason.",
        fix: "Send a valid close code and a UTF-8 reason.";
    SessionMessageTooLarge = "session-message-too-large", Session, Async, Server, Error,
        title: "A server message exceeded wsdoctor's size cap",
        why: "The server sent or announced more than the cap allows in one message (a frame length of 2^63, a message whose fragments never end), so wsdoctor failed the connection with 1009 as a client with that limit does.",
        fix: "If messages that large are expected, raise --max-message (and the limit of your clients); otherwise fix the server's framing: a message must end with a final frame of a sane length.";
    SessionProtocolViolation = "session-protocol-violation", Session, Handshake, Server, Error,
        title: "The server broke RFC 6455 framing",
        why: "A frame did not follow RFC 6455 in a way not covered by a more specific finding.",
        fix: "Use a conforming WebSocket library on the server.";
    // ── async ──────────────────────────────────────────────────────────────────
    AsyncEventLoopBlocked = "async-event-loop-blocked", Async, Async, Server, Error,
        title: "The server's event loop blocks",
        why: "Latency on one connection rises in lock-step with load on the others: a handler blocks the loop (synchronous IO, CPU work, a lock) and stalls every connection.",
        fix: "Move blocking work off the event loop (run_in_executor, worker threads, spawn_blocking) and keep handlers non-blocking.";
    AsyncSlowResponse = "async-slow-response", Async, Async, Server, Warning,
        title: "The server answers slowly",
        why: "Echo or pong round trips took longer than 1 s on loopback-class paths.",
        fix: "Profile the handler; look for blocking calls.";
    AsyncBackpressure = "async-backpressure", Async, Async, Server, Warning,
        title: "The server stopped reading (backpressure)",
        why: "Our writes stalled: the server's receive buffer is full because it does not read while busy.",
        fix: "Read continuously and apply backpressure per connection, not per process.";
    AsyncServerPingTimeout = "async-server-ping-timeout", Async, Async, Client, Warning,
        title: "The server closes clients that do not answer its pings",
        why: "The server pings and drops connections that do not pong in time; clients that stall their loop or do not answer pings are cut.",
        fix: "Make sure the client answers pings promptly (most libraries do it automatically while the loop runs).";
    AsyncKeepaliveHolds = "async-keepalive-holds", Async, Async, Path, Info,
        title: "Keep-alive pings hold the connection open",
        why: "With pings more often than the idle timeout the connection survived, which proves the fix.",
        fix: "Configure the client or server to ping at the interval shown.";
    AsyncConnectionLimit = "async-connection-limit", Async, Async, Server, Warning,
        title: "The server refused connections past a limit",
        why: "Under --concurrency some load connections got no 101 (a 503 or 429, a refusal, a reset, no answer) or were ended while the others stayed open: the server, or a proxy in front of it, caps concurrent connections, and clients past the cap fail.",
        fix: "Raise the limit where it is (nginx worker_connections, the server's max-connections setting, the ulimit -n of its process), or make clients retry with backoff; the first refusal is quoted in the evidence.";
    AsyncLoadIncomplete = "async-load-incomplete", Async, Async, Client, Warning,
        title: "The load test could not apply the load",
        why: "wsdoctor itself could not open every load connection (out of file descriptors, or the deadline came first), so the round trips under load were measured with less load than asked and prove nothing healthy.",
        fix: "Raise the open-files limit (ulimit -n), lower --concurrency, or give the run more time with --timeout.";
    AsyncSendBeforeOpen = "async-send-before-open", Async, Async, Client, Error,
        title: "The client sends before the connection is open",
        why: "send() while readyState is CONNECTING throws InvalidStateError ('Still in CONNECTING state').",
        fix: "Send from the onopen handler, or queue messages until open.";
    AsyncDoubleConnect = "async-double-connect", Async, Async, Client, Warning,
        title: "The socket is closed while still connecting",
        why: "A component opens and immediately closes its socket (React StrictMode runs effects twice in development): 'WebSocket is closed before the connection is established'.",
        fix: "Close the socket in the effect's cleanup and tolerate the development double run; create it once.";
    // ── WebSockets over HTTP/2 (RFC 8441; owned by the h2 probe's authors) ──────
    H2NotNegotiated = "h2-not-negotiated", Tls, ServerConfig, Server, Info,
        title: "The server does not offer HTTP/2 here",
        why: "Offered h2 and http/1.1 in ALPN, the server chose HTTP/1.1 (or nothing): browsers open their WebSocket with the HTTP/1.1 Upgrade, which is the path checked above.",
        fix: "Nothing to change for WebSockets; enable HTTP/2 on the TLS listener only if you also want RFC 8441 WebSockets.";
    H2AlpnMismatch = "h2-alpn-mismatch", Tls, ServerConfig, Server, Error,
        title: "ALPN chose h2 but the server does not speak HTTP/2",
        why: "The TLS handshake agreed on h2, then the server sent no HTTP/2 SETTINGS frame (often HTTP/1.1 bytes): a TLS terminator or passthrough that announces h2 for a backend that only speaks HTTP/1.1. Browsers fail every request on that connection, the WebSocket included.",
        fix: "Announce h2 in ALPN only where HTTP/2 is really spoken: remove h2 from the ALPN list of the TLS terminator (HAProxy alpn, nginx http2, the load balancer's HTTP/2 setting) or enable HTTP/2 on the backend it forwards to.";
    H2ConnectProtocolNotAdvertised = "h2-connect-protocol-not-advertised", Http, ServerConfig, Server, Info,
        title: "HTTP/2 without WebSocket support (no SETTINGS_ENABLE_CONNECT_PROTOCOL)",
        why: "The server speaks HTTP/2 but does not send SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 (RFC 8441 §3), so clients may not send a WebSocket over it; browsers open a separate HTTP/1.1 connection instead, which works when the HTTP/1.1 check works. nginx (http2 on) has no RFC 8441 support and is always in this case.",
        fix: "Nothing to change while the HTTP/1.1 path works; to carry WebSockets over HTTP/2, use a server that implements RFC 8441 (Apache H2WebSockets on, HAProxy 2.4+, hypercorn, Node http2 enableConnectProtocol).";
    H2ConnectRejected = "h2-connect-rejected", Http, ServerConfig, Server, Error,
        title: "The server advertises WebSockets over HTTP/2 but rejects the extended CONNECT",
        why: "The server sends SETTINGS_ENABLE_CONNECT_PROTOCOL = 1, so browsers send the WebSocket as an extended CONNECT, but its WebSocket layer answered with a status other than 2xx: frameworks that only know the HTTP/1.1 GET Upgrade answer 405 (Spring), proxies without an HTTP/2 WebSocket upstream 502 (Go's ReverseProxy). Browsers fail while HTTP/1.1 clients work.",
        fix: "Make the WebSocket route accept CONNECT with :protocol websocket (upgrade the framework or its HTTP/2 WebSocket support), or stop advertising SETTINGS_ENABLE_CONNECT_PROTOCOL so browsers keep to HTTP/1.1.";
    H2ProtocolUnsupported = "h2-protocol-unsupported", Http, ProxyFirewall, Path, Error,
        title: "The :protocol pseudo-header is stripped or not understood",
        why: "The extended CONNECT came back as a malformed request (RST_STREAM PROTOCOL_ERROR) or 501 Not Implemented although the server advertises SETTINGS_ENABLE_CONNECT_PROTOCOL: a hop dropped :protocol, leaving a plain CONNECT with :path that RFC 9113 §8.5 forbids, or the layer behind the announcing one does not implement RFC 8441.",
        fix: "Make every HTTP/2 hop pass :protocol on (or end RFC 8441 at the first hop and speak HTTP/1.1 Upgrade behind it); otherwise disable SETTINGS_ENABLE_CONNECT_PROTOCOL at the front so browsers use HTTP/1.1.";
    H2ConnectNoAnswer = "h2-connect-no-answer", Http, ServerConfig, Server, Error,
        title: "The extended CONNECT got no answer",
        why: "The server took the CONNECT stream but sent no response headers before the deadline: a handler waiting for an HTTP/1.1 Upgrade that never comes, or a proxy holding the stream while its backend does not answer.",
        fix: "Check that the WebSocket handler (or the proxy's upstream) answers extended CONNECT; read its log for the stream.";
    H2StreamReset = "h2-stream-reset", Http, ServerConfig, Server, Error,
        title: "The HTTP/2 stream carrying the WebSocket was reset",
        why: "The server (or a hop) ended the stream with RST_STREAM or the connection with GOAWAY; the error code says why (REFUSED_STREAM: too many streams, CANCEL: the handler gave up, INTERNAL_ERROR: it failed, HTTP_1_1_REQUIRED: this route only works over HTTP/1.1). Browsers report it as a 1006 close.",
        fix: "Read the server's log for the stream's error; for HTTP_1_1_REQUIRED or a handler that cannot work over HTTP/2, stop advertising SETTINGS_ENABLE_CONNECT_PROTOCOL for it.";
    H2FlowControlStall = "h2-flow-control-stall", Session, Async, Server, Error,
        title: "HTTP/2 flow control stopped the WebSocket's messages",
        why: "Our message waited for flow-control window that the server never granted: its stream window is 0 (SETTINGS_INITIAL_WINDOW_SIZE) and no WINDOW_UPDATE came. The WebSocket looks open, but nothing the client sends arrives.",
        fix: "The server or proxy must give the stream window (a non-zero initial window, WINDOW_UPDATE as it reads); check its HTTP/2 window settings and that the WebSocket handler reads from the stream.";
    H2WorksH1Fails = "h2-works-h1-fails", Http, ProxyFirewall, Path, Warning,
        title: "The WebSocket works over HTTP/2 but not over HTTP/1.1",
        why: "Browsers that reuse the HTTP/2 connection get through, while clients that only speak the HTTP/1.1 Upgrade (most libraries, curl, mobile SDKs, older browsers) fail as reported above: the HTTP/1.1 route is the broken one.",
        fix: "Fix the HTTP/1.1 failure reported above (usually a proxy's Upgrade handling): non-browser clients depend on it.";
    H2FailsH1Works = "h2-fails-h1-works", Http, ServerConfig, Server, Info,
        title: "Browsers take the failing HTTP/2 path although HTTP/1.1 works",
        why: "The server advertises WebSockets over HTTP/2, so browsers send them there and fail, while HTTP/1.1 clients (and a plain HTTP/1.1 check) succeed; the failure shows only in browsers.",
        fix: "Fix the HTTP/2 failure reported above, or stop advertising SETTINGS_ENABLE_CONNECT_PROTOCOL so browsers use the HTTP/1.1 path that works.";
    // ── added for explain/logs (owned by the explain crate's authors; append below) ──
    CorsNotWebsocket = "cors-not-websocket", Http, ServerConfig, Server, Error,
        title: "A CORS error: this is the HTTP fallback, not the WebSocket",
        why: "Plain WebSocket connections are not subject to CORS; a CORS error comes from an HTTP request beside it, usually Socket.IO or SignalR long-polling or negotiate, that the server does not allow from this origin or that never reached the server.",
        fix: "Enable CORS for the page origin on the Socket.IO/SignalR server (credentials need an explicit origin, not '*'), or connect with the WebSocket transport only.";
    ServerWebsocketUnsupported = "server-websocket-unsupported", Http, ServerConfig, Server, Error,
        title: "The server stack has no WebSocket support enabled",
        why: "The application server or host cannot accept Upgrades: uvicorn without websockets/wsproto, a WSGI server, Flask-SocketIO without an async server, Django without a Channels 'websocket' route, IIS without the WebSocket Protocol feature, Apache without mod_proxy_wstunnel, or a serverless platform.",
        fix: "Install or enable the WebSocket support of the stack (pip install 'uvicorn[standard]', eventlet/gevent-websocket, a ProtocolTypeRouter 'websocket' entry, the IIS feature, LoadModule proxy_wstunnel_module) or host the endpoint where sockets can stay open.";
    HandshakeInvalidRequest = "handshake-invalid-request", Handshake, Handshake, Client, Error,
        title: "The server rejected the Upgrade request as invalid",
        why: "The request that reached the server was not a valid RFC 6455 opening handshake: not a GET, Sec-WebSocket-Version other than 13, Sec-WebSocket-Key missing, or no HTTP at all (a health check, a scanner, TLS sent to a plaintext port).",
        fix: "Send GET with Sec-WebSocket-Version: 13 and a Sec-WebSocket-Key (any maintained library does), and check that proxies pass these headers unchanged.";
    SessionCloseNormal = "session-close-normal", Session, Async, Server, Info,
        title: "The connection closed normally (1000)",
        why: "One side closed with a complete closing handshake (1000, or a close frame without a code): the application asked for it, this is not a failure.",
        fix: "Nothing to fix in the transport; if the close was unexpected, look for the code that called close() on either side.";
    AsyncSendAfterClose = "async-send-after-close", Async, Async, Client, Error,
        title: "The socket is used after it closed",
        why: "send() or receive() ran after the connection had closed or failed ('already in CLOSING or CLOSED state'); the real failure happened earlier and was not handled.",
        fix: "Handle the close event: stop sending, reconnect with backoff, and look for the earlier error that closed the socket.";
    AsyncConcurrentSend = "async-concurrent-send", Async, Async, Server, Error,
        title: "Two writes run at once on one socket",
        why: "Most WebSocket libraries allow one writer at a time (gorilla: 'concurrent write to websocket connection'; .NET: one outstanding SendAsync); concurrent writes interleave frames and corrupt the stream.",
        fix: "Serialise writes per connection: one writer task fed by a channel, or a mutex around send.";
    UrlInvalidSubprotocol = "url-invalid-subprotocol", Url, Url, Client, Error,
        title: "The subprotocol list is invalid",
        why: "A subprotocol must be an HTTP token without spaces or separators and listed once; passing a token or 'Bearer …' as a protocol makes the constructor throw.",
        fix: "Pass only protocol names (e.g. graphql-transport-ws) once each; send tokens in a cookie, the query or the first message.";
    AsyncCloseCodeNotAllowed = "async-close-code-not-allowed", Async, Async, Client, Error,
        title: "The application closes with a code it may not send",
        why: "Browsers let scripts close only with 1000 or 3000–4999; codes such as 1001, 1006 or 1011 are reserved for the browser itself.",
        fix: "Close with 1000 or an application code in 4000–4999 and put the reason in the reason text.";
    SocketioVersionMismatch = "socketio-version-mismatch", Handshake, Handshake, Client, Error,
        title: "Socket.IO client and server do not match",
        why: "The Socket.IO/engine.io client and server speak different protocol versions (a v2 client with EIO=3 against a v3/v4 server), use different parsers, or the client joins a namespace the server does not define.",
        fix: "Use matching major versions on both sides (or allowEIO3 on the server), the same parser, and a namespace the server registers.";
    SessionClientSuspended = "session-client-suspended", Session, Async, Client, Warning,
        title: "The client's page or app was suspended",
        why: "Mobile browsers and operating systems close sockets of background tabs and suspended apps (Safari: 'closed due to suspension', usually 1001).",
        fix: "Reconnect when the page becomes visible again (visibilitychange, app foreground) and resume state from the server.";
    UrlClientLacksTls = "url-client-lacks-tls", Url, Url, Client, Error,
        title: "The client was built without TLS support",
        why: "The WebSocket library can only open wss:// URLs when a TLS backend is compiled in or installed (tungstenite: 'TLS support not compiled in').",
        fix: "Enable the library's TLS feature (e.g. tokio-tungstenite 'rustls-tls-webpki-roots' or 'native-tls'), or use ws:// where plaintext is acceptable.";
    SessionClientAborted = "session-client-aborted", Session, Async, Client, Warning,
        title: "The client went away before the exchange finished",
        why: "The client closed or lost its connection first (tab closed, network change, a client-side timeout): HAProxy CD/CH/CR, nginx 499. Many at once point at a slow handshake or a network problem on the client side.",
        fix: "If these cluster, look at what made clients give up: slow handshakes (compare the time taken), mobile network changes, or client-side timeouts.";
    TlsClientTrustStoreMissing = "tls-client-trust-store-missing", Tls, Tls, Client, Error,
        title: "The client has no CA certificates to verify with",
        why: "The client's trust store is empty or not found, so every certificate fails ('unable to get local issuer certificate'): a minimal container without ca-certificates, or python.org's macOS Python before 'Install Certificates.command'.",
        fix: "Install the CA bundle (apt-get install ca-certificates, run Install Certificates.command, or point SSL_CERT_FILE at one); wsdoctor check uses its own roots, so it passing while the client fails points here.";
    ProxyHttp2Only = "proxy-http2-only", Proxy, ProxyFirewall, Path, Error,
        title: "A hop speaks HTTP/2 only and cannot carry the Upgrade",
        why: "HTTP/1.1 Upgrade does not exist in HTTP/2; a hop that talks only HTTP/2 to the next one, without RFC 8441 extended CONNECT on both sides, cannot pass a WebSocket on.",
        fix: "Let the WebSocket path use HTTP/1.1 on every hop (most proxies allow it per route), or enable RFC 8441 end to end.";
    // ── added for lint (owned by the lint crate's authors; append below) ──
    ProxyMapMissing = "proxy-map-missing", Http, ProxyFirewall, Path, Error,
        title: "A proxy header uses a variable that no map defines",
        why: "nginx's $connection_upgrade is not built in: without its `map $http_upgrade $connection_upgrade` block in http {}, `nginx -t` fails with 'unknown \"connection_upgrade\" variable' and the configuration never loads.",
        fix: "Add to http {}: map $http_upgrade $connection_upgrade { default upgrade; '' close; }";
    ProxySslSniOff = "proxy-ssl-sni-off", Http, ProxyFirewall, Path, Warning,
        title: "The proxy opens TLS to the backend without SNI",
        why: "nginx's proxy_ssl_server_name is off by default, so an https upstream behind SNI routing (a CDN, a cloud load balancer, a shared host) fails the TLS handshake and the client gets 502.",
        fix: "Add proxy_ssl_server_name on; (and proxy_ssl_name if the upstream name differs from the certificate's).";
    ProxyLocationShadowed = "proxy-location-shadowed", Http, ProxyFirewall, Path, Error,
        title: "Another location takes the WebSocket path first",
        why: "nginx checks regex locations after the longest prefix match and lets the first matching regex win, unless the prefix location uses ^~: the WebSocket location's Upgrade headers never apply.",
        fix: "Mark the WebSocket location `location ^~ /path/`, or make it an exact or earlier regex location.";
    ProxyConnectionUpgradeKeepalive = "proxy-connection-upgrade-keepalive", Http, ProxyFirewall, Path, Warning,
        title: "Connection: upgrade is sent on every request to a keep-alive upstream",
        why: "With `keepalive` in the upstream, ordinary requests must reach it with an empty Connection header; a hard-coded \"upgrade\" (or a map's '' close branch) makes the upstream close every ordinary connection, defeating keep-alive.",
        fix: "Use map $http_upgrade $connection_upgrade { default upgrade; '' ''; } and proxy_set_header Connection $connection_upgrade;";
    ProxyRewriteNoUpgradeCondition = "proxy-rewrite-no-upgrade-condition", Http, ProxyFirewall, Path, Warning,
        title: "Requests are rewritten to ws:// without checking for an Upgrade",
        why: "A RewriteRule [P] to ws:// without RewriteCond %{HTTP:Upgrade} sends every request on that path, also plain HTTP ones such as Socket.IO long-polling, through the WebSocket tunnel, where they fail.",
        fix: "Put RewriteCond %{HTTP:Upgrade} websocket [NC] and RewriteCond %{HTTP:Connection} upgrade [NC] before the RewriteRule.";
    ProxyStreamLifetime = "proxy-stream-lifetime", Async, ProxyFirewall, Path, Warning,
        title: "A proxy closes WebSocket connections after a fixed lifetime",
        why: "Some timeouts are not idle timeouts: they close a connection a fixed time after it opened, busy or not (GCP backend timeoutSec, Caddy stream_timeout), and pings do not help.",
        fix: "Raise the lifetime limit well above your sessions' length (or remove it) and make clients reconnect with backoff.";
    ProxyConfigRejected = "proxy-config-rejected", Http, ProxyFirewall, Path, Error,
        title: "The proxy refuses this configuration",
        why: "A directive copied from an old WebSocket guide no longer exists (HAProxy removed option http-tunnel in 2.1 and option forceclose in 2.0): the proxy does not start or reload, so nothing is served.",
        fix: "Remove the directive: current versions tunnel upgraded connections by themselves.";
}

/// Causes that nothing reports by itself — no `check` rule, lint rule, or `explain` /
/// `logs` rule produces them — kept so that `explain <id>` and the docs can name them.
/// Every other cause has a producer: the test `catalog_coverage` in the `wsdoctor`
/// crate holds both directions (a producer for each cause not listed here, none for a
/// cause listed here).
pub static TEXT_ONLY: &[CauseId] = &[
    // `check` prints the component that answered as evidence on the status finding
    // ("answered by nginx (server: nginx/1.22.1)"), not as a finding of its own.
    CauseId::HttpServedBy,
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn table_is_in_enum_order() {
        for (i, c) in CATALOG.iter().enumerate() {
            assert_eq!(c.id as usize, i, "{} out of order", c.id);
        }
    }

    #[test]
    fn ids_are_unique_kebab_case_and_parse_back() {
        let mut seen = HashSet::new();
        for c in CATALOG {
            let s = c.id.as_str();
            assert!(seen.insert(s), "duplicate id {s}");
            assert!(
                s.chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
            );
            assert_eq!(CauseId::parse(s), Some(c.id));
        }
    }

    #[test]
    fn every_entry_has_prose() {
        for c in CATALOG {
            assert!(
                !c.title.is_empty() && !c.why.is_empty() && !c.fix.is_empty(),
                "{}",
                c.id
            );
        }
    }

    #[test]
    fn serialises_as_the_id_string() {
        let json = serde_json::to_string(&CauseId::TlsCertExpired).unwrap();
        assert_eq!(json, "\"tls-cert-expired\"");
        let back: CauseId = serde_json::from_str(&json).unwrap();
        assert_eq!(back, CauseId::TlsCertExpired);
    }
}
