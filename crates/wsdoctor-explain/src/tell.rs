//! "What tells them apart": for each cause explain can rank, the observation that
//! confirms it against its neighbours in the ranking.
//!
//! The catalog says what a cause is and how to fix it; this table says how to tell
//! it from the causes that produce the same message, which is what a user holding
//! only an error text needs next. Keyed by cause id so it can move into the catalog
//! as one more column if other front ends want it.

use std::borrow::Cow;
use wsdoctor_core::CauseId;
use wsdoctor_core::CauseId as C;
use wsdoctor_core::tables::{TimeoutKind, vendor_timeout};

/// The idle timeouts met most often, named by the vendor table's ids; the seconds
/// come from the table.
const COMMON_IDLE_CUTS: &[&str] = &["nginx", "aws-alb", "heroku", "cloudflare", "azure-lb"];

/// The evidence that points to `id` rather than to the other causes of the same
/// symptom; `None` for causes that need no telling apart.
pub fn tell(id: CauseId) -> Option<Cow<'static, str>> {
    if id == C::ProxyIdleTimeout {
        return Some(Cow::Owned(idle_cut_tell()));
    }
    let text = match id {
        C::UrlUnparseable => {
            "The URL in the message is empty, 'undefined' or relative: the variable that builds it is wrong."
        }
        C::UrlUnsupportedScheme => {
            "The scheme in the URL is neither ws:// nor wss:// (file:, ftp:, a typo)."
        }
        C::UrlHttpScheme => "The URL starts with http:// or https://.",
        C::UrlNoScheme => "The URL has no scheme at all (example.com/ws).",
        C::UrlFragment => "The URL contains '#'.",
        C::UrlInvalidCharacters => {
            "The URL contains spaces, quotes or other characters that must be escaped."
        }
        C::UrlMixedContent => {
            "The page is https:// and the socket URL is ws://; nothing reaches the server's logs."
        }
        C::UrlInvalidSubprotocol => {
            "The protocols argument holds a token, a space or the same name twice."
        }
        C::UrlClientLacksTls => "ws:// works and every wss:// URL fails before any packet is sent.",
        C::DnsNxdomain => "`dig +short HOST` prints nothing; other hosts resolve.",
        C::DnsFailure => "`dig HOST` shows SERVFAIL or REFUSED rather than NXDOMAIN.",
        C::DnsTimeout => "`dig HOST` times out; it works from another network or resolver.",
        C::TcpRefused => {
            "Fails within milliseconds; `ss -ltnp` on the server shows nothing on that port (or only on 127.0.0.1)."
        }
        C::TcpTimeout => {
            "Takes the full connect timeout; works from inside the server's network but not from outside."
        }
        C::TcpUnreachable => {
            "Fails immediately with 'unreachable' on every port of that host; often IPv6 only."
        }
        C::TcpReset => {
            "Reset right at connect, before any HTTP answer; happens from some networks only (firewall, IPS, antivirus)."
        }
        C::SessionReset => {
            "The connection was open and working, then a reset ended it: look at proxy and server logs at that moment."
        }
        C::ProxyUnreachable => {
            "Only clients configured with that proxy (system settings, PAC, HTTPS_PROXY) fail."
        }
        C::ProxyAuthRequired => {
            "The proxy answers CONNECT with 407 and a Proxy-Authenticate header."
        }
        C::ProxyConnectRefused => {
            "The proxy answers CONNECT with 403 or a policy page; CONNECT to port 443 of another host works."
        }
        C::ProxyTlsIntercepted => {
            "The certificate's issuer is your company's proxy or antivirus, not the site's CA; it works outside that network."
        }
        C::ProxyHttp2Only => {
            "The same endpoint works when reached directly over HTTP/1.1; it fails only through the HTTP/2 hop."
        }
        C::ProxyUpgradeNotForwarded => {
            "The backend reached directly answers 101; through the proxy the same request gets 200, 400 or 426 from the backend."
        }
        C::TlsCertExpired => {
            "The certificate's notAfter date is in the past (openssl s_client -connect HOST:443 | openssl x509 -noout -dates)."
        }
        C::TlsCertNotYetValid => {
            "notBefore is in the future, or the client's clock is wrong (compare `date` with the real time)."
        }
        C::TlsHostnameMismatch => {
            "The host in the URL is not among the certificate's subject alternative names (or you connect by IP)."
        }
        C::TlsUnknownIssuer => {
            "The chain ends at a CA your clients do not have: a private or internal CA."
        }
        C::TlsSelfSigned => "The certificate's issuer equals its subject.",
        C::TlsIncompleteChain => {
            "The server sends only the leaf (openssl s_client -showcerts shows one certificate); browsers work, libraries and mobile clients fail."
        }
        C::TlsClientTrustStoreMissing => {
            "Every HTTPS site fails from that client (a slim container, python.org's macOS Python), not only yours."
        }
        C::TlsClientCertRequired => {
            "The server requests a certificate (CertificateRequest in the handshake) and alerts without one."
        }
        C::TlsHandshakeFailed => {
            "No certificate problem shows up; the server alerts on version or cipher (test with openssl s_client -tls1_2 / -tls1_3)."
        }
        C::TlsToPlaintextPort => {
            "The URL is wss:// but the port answers plain HTTP: `curl http://HOST:PORT/` gets a page."
        }
        C::PlaintextToTlsPort => {
            "The URL is ws:// but the port expects TLS: the answer is a TLS alert or nginx's 'plain HTTP request was sent to HTTPS port'."
        }
        C::HttpNotUpgraded => {
            "The response body is an ordinary page (your SPA's index.html, a health check) and has no Upgrade header."
        }
        C::HttpRedirect => {
            "The response carries a Location header: https→wss, a trailing slash or a login page."
        }
        C::HttpBadRequest => {
            "The response body names the complaint: 'Transport unknown' (Socket.IO), 'Session ID unknown' (no sticky sessions), or a missing Upgrade behind a proxy."
        }
        C::HttpUnauthorized => {
            "The 401 carries WWW-Authenticate; the request lacked the Authorization header, cookie or token the server wants."
        }
        C::HttpForbidden => {
            "The Origin header sent differs from the origins the server allows; native clients that send no Origin behave differently from browsers. A WAF or CDN rule shows its own branded page."
        }
        C::HttpNotFound => {
            "The path differs from the route the server registers (/ws vs /ws/, /socket.io/, a proxy prefix)."
        }
        C::HttpUpgradeRequired => {
            "The backend saw no Upgrade (or 'Connection: websocket'): a proxy in between rewrote the hop-by-hop headers."
        }
        C::HttpRateLimited => {
            "It works after a pause; a Retry-After header or the CDN's rate-limit page is in the response."
        }
        C::HttpServerError => "The server's own log has an exception at the time of the Upgrade.",
        C::HttpBadGateway => {
            "The 502 page comes from the proxy (nginx, ALB, Cloudflare); its error log names the upstream it could not reach."
        }
        C::HttpServiceUnavailable => {
            "All backends are out of the pool (health checks failing) or the site is in maintenance; IIS with the WebSocket feature off answers 503 to Upgrades only."
        }
        C::HttpGatewayTimeout => {
            "The 504 arrives after exactly the proxy's timeout; the backend answers ordinary requests but is slow or silent on the Upgrade."
        }
        C::HttpUnexpectedStatus => "The status code itself: run wsdoctor explain on it.",
        C::HttpNoResponse => {
            "TCP connects, the request is sent, and nothing comes back until the timeout."
        }
        C::HttpClosedWithoutResponse => {
            "TCP connects and the server closes right after the request, with no bytes: look at the server's log, or TLS expected on that port."
        }
        C::HttpNotHttp => {
            "The bytes that come back are not 'HTTP/1.1 …': another protocol, or TLS on a ws:// port."
        }
        C::HttpSocketIoEndpoint => {
            "The path is /socket.io/ and the body says 'Transport unknown' or 'Bad request'."
        }
        C::HttpSockJsEndpoint => {
            "The server is SockJS (Spring withSockJS()); its raw WebSocket route is <prefix>/websocket."
        }
        C::HttpStickySessionMissing => {
            "Works with one backend node, fails with several; the body says 'Session ID unknown'."
        }
        C::HandshakeAcceptMismatch => {
            "The 101's Sec-WebSocket-Accept is not base64(SHA-1(key + GUID)) of the key sent."
        }
        C::HandshakeAcceptMissing => "The 101 has no Sec-WebSocket-Accept header at all.",
        C::HandshakeUpgradeMissing => {
            "The response lacks 'Upgrade: websocket' (a proxy or a hand-written server)."
        }
        C::HandshakeConnectionMissing => {
            "The response lacks 'Connection: Upgrade' (a proxy or a hand-written server)."
        }
        C::HandshakeSubprotocolNotEchoed => {
            "The request has Sec-WebSocket-Protocol and the 101 has none."
        }
        C::HandshakeSubprotocolUnrequested => {
            "The 101 names a Sec-WebSocket-Protocol that the request did not offer."
        }
        C::HandshakeExtensionUnoffered => {
            "The 101's Sec-WebSocket-Extensions names an extension (or parameters) the client did not offer."
        }
        C::HandshakeStatusLine => {
            "The first line of the answer is not 'HTTP/1.1 101 Switching Protocols'."
        }
        C::HandshakeInvalidRequest => {
            "The request that reached the server is not a GET, lacks Sec-WebSocket-Key, or has a Sec-WebSocket-Version other than 13 (compare what the client sent with what the server logged)."
        }
        C::SessionAbruptEof => {
            "No close frame was received before the TCP connection ended; the time since open tells idle cuts (round numbers) from crashes (random)."
        }
        C::SessionNoPong => {
            "Pings go out and no pong comes back while the TCP connection stays up."
        }
        C::SessionCloseGoingAway => "1001 at deploys and restarts, or when a browser tab closes.",
        C::SessionCloseProtocolError => {
            "The close reason names the rule the peer thinks was broken."
        }
        C::SessionCloseInvalidPayload => {
            "The last message before the close has invalid UTF-8 in a text frame."
        }
        C::SessionClosePolicy => {
            "The close reason names the policy (auth expired, origin, rate limit)."
        }
        C::SessionCloseMessageTooBig => {
            "The last message before the close is larger than the receiver's limit (the defaults above, or gorilla's SetReadLimit)."
        }
        C::SessionCloseServerError => {
            "The server's log has an exception at the moment of the close."
        }
        C::SessionCloseTryLater => "Closes cluster at deploys or at peak load.",
        C::SessionCloseApplication => "The server's or framework's documentation lists the code.",
        C::SessionCloseInvalidCode => {
            "The close frame carries 1005, 1006, 1015 or another code that must not be sent."
        }
        C::SessionCloseNormal => {
            "The close came with a close frame and 1000: find the code that called close()."
        }
        C::SessionMaskedFrame => "Frames from the server have the MASK bit set.",
        C::SessionReservedBits => {
            "Frames have RSV1 set while the 101 negotiated no permessage-deflate (often a proxy that stripped Sec-WebSocket-Extensions)."
        }
        C::SessionInvalidUtf8 => "A text frame holds bytes that are not UTF-8.",
        C::SessionUnknownOpcode => {
            "Bytes after the 101 are not WebSocket frames (a proxy injecting data, or a protocol mismatch)."
        }
        C::SessionBadFragmentation => {
            "Two messages interleave: the server writes from several threads or tasks at once."
        }
        C::SessionFragmentedControl => "A ping, pong or close frame arrives with FIN clear.",
        C::SessionControlFrameTooLong => "A ping, pong or close payload is longer than 125 bytes.",
        C::SessionProtocolViolation => {
            "Frames are malformed: capture the bytes (wsdoctor check -v) and compare with RFC 6455 §5.2."
        }
        C::SessionClientSuspended => {
            "Closes line up with the page going to the background or the phone locking."
        }
        C::SessionClientAborted => {
            "The client side ends first (HAProxy C* flags, nginx 499) while the server was still answering or idle."
        }
        C::AsyncEventLoopBlocked => {
            "Every connection of that server process stalls at the same time; CPU-heavy or blocking work runs in the handler."
        }
        C::AsyncServerPingTimeout => {
            "The server pings and closes clients that do not answer in time (1011 'keepalive ping timeout'); the client's loop was busy."
        }
        C::AsyncSendBeforeOpen => "send() runs before the open event (readyState 0).",
        C::AsyncSendAfterClose => {
            "send() runs after a close or error event that the code did not handle; look for that earlier event."
        }
        C::AsyncDoubleConnect => {
            "The socket is closed by the page's own code while connecting (React StrictMode effects run twice in development)."
        }
        C::AsyncConcurrentSend => {
            "Several threads or tasks call send on the same socket without a lock."
        }
        C::AsyncCloseCodeNotAllowed => {
            "The code passed to close() is not 1000 and not in 3000–4999."
        }
        C::CorsNotWebsocket => {
            "The failing request in devtools is an XHR/fetch (polling, negotiate), not the WebSocket."
        }
        C::ServerWebsocketUnsupported => {
            "The same server never answers 101 on any path; its startup log warns that no WebSocket implementation was found."
        }
        C::SocketioVersionMismatch => {
            "The query has EIO=3 (Socket.IO v2 client) while the server is v3/v4, or the namespace is not registered."
        }
        _ => return None,
    };
    Some(Cow::Borrowed(text))
}

/// "The connection dies after the same number of seconds of silence every time (60 s
/// nginx, 60 s aws-alb, …)", from the vendor table.
fn idle_cut_tell() -> String {
    let cuts: Vec<String> = COMMON_IDLE_CUTS
        .iter()
        .map(|id| vendor_timeout(id))
        .filter(|v| v.kind == TimeoutKind::Idle)
        .map(|v| format!("{} s {}", v.seconds, v.id))
        .collect();
    format!(
        "The connection dies after the same number of seconds of silence every time ({}); pings more often than that keep it alive.",
        cuts.join(", ")
    )
}
