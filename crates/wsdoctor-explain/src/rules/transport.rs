//! Below and around WebSocket: socket errors (errno names and texts from libc,
//! Windows, Node, Go, Rust, Java, iOS), DNS, TLS libraries (OpenSSL, rustls, Go
//! x509, Node, Java, Apple) and bare HTTP status lines. This wording is not specific
//! to WebSockets, so in logs these rules count only on lines that are (`Ctx::Ws`).

use super::Causes::{Fixed as F, Status};
use super::Rule;
use super::browsers::UNKNOWN_STATUS;
use wsdoctor_core::CauseId as C;

pub(super) static RULES: &[Rule] = &[
    // ── sockets ────────────────────────────────────────────────────────────────
    // asyncio writes "[Errno N] Connect call failed (addr)" for every connect error: the
    // errno (whose numbers differ by platform) says which, these words only narrow it.
    rule!(
        "asyncio-connect-failed",
        "sockets",
        5,
        Ws,
        ["connect call failed"],
        r"connect call failed",
        F(&[C::TcpRefused, C::TcpTimeout, C::TcpUnreachable])
    ),
    rule!(
        "errno-refused",
        "sockets",
        7,
        Ws,
        [
            "refused",
            "econnrefused",
            "os error 111",
            "error 61",
            "cannot connect to host",
            "could not connect to the server",
            "unable to connect to the remote server",
            "couldn't connect to server"
        ],
        r"econnrefused|connection ?refused|couldn't connect to server|actively refused|os error 111|posix error 61\b|cannot connect to host|could not connect to the server",
        F(&[C::TcpRefused])
    ),
    rule!(
        "unable-to-connect",
        "dotnet",
        6,
        Ws,
        ["unable to connect to the remote server"],
        r"unable to connect to the remote server",
        F(&[C::TcpRefused, C::TcpTimeout])
    ),
    rule!(
        "errno-timeout",
        "sockets",
        6,
        Ws,
        [
            "etimedout",
            "timed out",
            "i/o timeout",
            "os error 110",
            "connecttimeout",
            "sockettimeout"
        ],
        r"etimedout|connect(?:ion)? timed out|i/o timeout|os error 110|operation timed out|request timed out|connecttimeoutexception|sockettimeoutexception: connect",
        F(&[C::TcpTimeout, C::HttpNoResponse])
    ),
    rule!(
        "errno-reset",
        "sockets",
        6,
        Ws,
        [
            "econnreset",
            "reset by peer",
            "connection reset",
            "os error 104",
            "error 54",
            "wsaeconnreset"
        ],
        r"econnreset|reset by peer|connection reset|os error 104|posix error 54\b|wsaeconnreset",
        F(&[C::SessionReset, C::TcpReset, C::ProxyIdleTimeout])
    ),
    rule!(
        "errno-unreachable",
        "sockets",
        7,
        Ws,
        [
            "unreachable",
            "enetunreach",
            "ehostunreach",
            "no route to host",
            "os error 113",
            "os error 101",
            "appears to be offline"
        ],
        r"enetunreach|ehostunreach|network is unreachable|host is unreachable|no route to host|os error 113|os error 101\b|appears to be offline",
        F(&[C::TcpUnreachable])
    ),
    rule!(
        "errno-broken-pipe",
        "sockets",
        5,
        Ws,
        ["epipe", "broken pipe", "os error 32"],
        r"epipe|broken pipe|os error 32\b",
        F(&[C::SessionAbruptEof, C::SessionReset])
    ),
    rule!(
        "errno-not-connected",
        "sockets",
        6,
        Ws,
        ["posix error 57", "socket is not connected"],
        r"posix error 57\b|socket is not connected",
        F(&[C::SessionAbruptEof, C::AsyncSendAfterClose])
    ),
    // ── DNS ────────────────────────────────────────────────────────────────────
    // The name that did not resolve is a scheme or a flag: the URL was built wrong
    // ("wss://https://host", a CLI option taken for the host).
    rule!(
        "url-scheme-as-host",
        "dns",
        9,
        Any,
        ["enotfound", "eai_again", "://", "lookup "],
        r"(?:enotfound|eai_again) (?:https?|wss?|-[\w-]*)(?:\s|:|$)|\b(?:wss?|https?)://(?:wss?|https?)(?::/|//|:\d)|\blookup (?:https?|wss?)(?::| on )",
        F(&[C::UrlUnparseable, C::DnsNxdomain])
    ),
    rule!(
        "dns-not-found",
        "dns",
        7,
        Ws,
        [
            "enotfound",
            "getaddrinfo",
            "name or service not known",
            "nodename nor servname",
            "no such host",
            "could not resolve",
            "failed to lookup address",
            "unknownhostexception",
            "specified hostname could not be found",
            "no address associated",
            "failed host lookup",
            "name_not_resolved"
        ],
        r"enotfound|getaddrinfo (?:enotfound|failed)|name or service not known|nodename nor servname|no such host|could not resolve host|failed to lookup address|unknownhostexception|specified hostname could not be found|no address associated with hostname|failed host lookup",
        F(&[C::DnsNxdomain, C::DnsFailure])
    ),
    rule!(
        "dns-temporary",
        "dns",
        8,
        Ws,
        [
            "eai_again",
            "temporary failure in name resolution",
            "servfail"
        ],
        r"eai_again|temporary failure in name resolution|servfail",
        F(&[C::DnsTimeout, C::DnsFailure])
    ),
    // Go: "dial tcp: lookup host on 127.0.0.53:53: i/o timeout" is the resolver, not TCP.
    rule!(
        "dns-lookup-timeout",
        "dns",
        8,
        Ws,
        ["lookup "],
        r"\blookup \S+(?: on \S+)?: (?:i/o timeout|server misbehaving)",
        F(&[C::DnsTimeout, C::DnsFailure])
    ),
    // ── TLS ────────────────────────────────────────────────────────────────────
    rule!(
        "tls-expired",
        "tls",
        8,
        Ws,
        ["expired", "notafter", "not valid after"],
        r"certificate (?:has )?expired|cert_has_expired|certificate is not valid after|certexpired|expired certificate|certificate_expired|invalid peer certificate: expired|notafter",
        F(&[C::TlsCertExpired, C::TlsCertNotYetValid])
    ),
    rule!(
        "tls-not-yet-valid",
        "tls",
        9,
        Ws,
        ["not yet valid", "notvalidyet", "cert_not_yet_valid"],
        r"not yet valid|notvalidyet|cert_not_yet_valid",
        F(&[C::TlsCertNotYetValid])
    ),
    rule!(
        "tls-hostname",
        "tls",
        8,
        Ws,
        [
            "hostname",
            "altnames",
            "not valid for name",
            "valid for",
            "notvalidforname",
            "subject alternative name",
            "server name type",
            "ip address mismatch",
            "sslpeerunverified",
            "no subject alternative",
            "not valid for any names"
        ],
        r"no subject alternative (?:dns |ip )?names? matching|not valid for any names|hostname mismatch|does not match certificate's altnames|not valid for name|certificate is (?:only )?valid for|notvalidforname|doesn't match any of the subject alternative names|no alternative certificate subject name matches|x509: certificate is valid for|ip address mismatch|hostname[^\n]{0,40}not verified|presented server name type wasn't supported|sslpeerunverifiedexception|host ?name[^\n]{0,30}(?:doesn't|does not) match",
        F(&[C::TlsHostnameMismatch])
    ),
    rule!(
        "tls-self-signed",
        "tls",
        8,
        Ws,
        ["self signed", "self-signed", "self_signed"],
        r"self[- _]signed",
        F(&[
            C::TlsSelfSigned,
            C::TlsUnknownIssuer,
            C::ProxyTlsIntercepted
        ])
    ),
    // OpenSSL says this for an unknown CA and a missing intermediate alike, and for a
    // TLS-intercepting proxy whose CA the client lacks (half of the field's cases).
    rule!(
        "tls-local-issuer",
        "tls",
        8,
        Ws,
        [
            "unable to get local issuer",
            "unable to verify the first certificate",
            "unable_to_verify_leaf_signature",
            "unable_to_get_issuer_cert",
            "unable to get issuer certificate"
        ],
        r"unable to get (?:local )?issuer|unable to verify the first certificate|unable_to_verify_leaf_signature|unable_to_get_issuer_cert",
        F(&[
            C::TlsIncompleteChain,
            C::TlsUnknownIssuer,
            C::ProxyTlsIntercepted,
            C::TlsClientTrustStoreMissing
        ])
    ),
    rule!(
        "tls-unknown-authority",
        "tls",
        8,
        Ws,
        [
            "unknown authority",
            "unknownissuer",
            "pkix path building failed",
            "valid certification path",
            "untrusted root",
            "untrustedroot",
            "servercertificateuntrusted",
            "not trusted",
            "unknown ca",
            "certificate for this server is invalid"
        ],
        r"unknown authority|certificate for this server is invalid|unknownissuer|pkix path building failed|unable to find valid certification path|untrusted root|untrustedroot|servercertificateuntrusted|certificate (?:is |was )?not trusted|unknown ca\b",
        F(&[
            C::TlsUnknownIssuer,
            C::TlsSelfSigned,
            C::TlsIncompleteChain,
            C::TlsClientTrustStoreMissing
        ])
    ),
    rule!(
        "tls-verify-failed",
        "tls",
        5,
        Ws,
        [
            "certificate verify failed",
            "certificate_verify_failed",
            "invalid peer certificate",
            "certificate validation",
            "remotecertificatechainerrors"
        ],
        r"certificate[ _]verify[ _]failed|invalid peer certificate|certificate validation failed|remotecertificatechainerrors",
        F(&[
            C::TlsUnknownIssuer,
            C::TlsIncompleteChain,
            C::TlsCertExpired,
            C::TlsHostnameMismatch
        ])
    ),
    rule!(
        "tls-to-plaintext",
        "tls",
        8,
        Ws,
        [
            "wrong version number",
            "wrong_version_number",
            "first record does not look like a tls handshake",
            "http response to https client",
            "invalidcontenttype",
            "corrupt message",
            "packet length too long",
            "ssl3_get_record",
            "unknown protocol"
        ],
        r"wrong[ _]version[ _]number|first record does not look like a tls handshake|http response to https client|invalidcontenttype|received corrupt message|packet length too long|ssl3_get_record|ssl routines[^\n]{0,40}unknown protocol",
        F(&[
            C::TlsToPlaintextPort,
            C::TlsHandshakeFailed,
            C::PlaintextToTlsPort
        ])
    ),
    rule!(
        "tls-version-or-cipher",
        "tls",
        7,
        Ws,
        [
            "unsupported_protocol",
            "unsupported protocol",
            "protocol version",
            "no protocols available",
            "no shared cipher",
            "handshake failure",
            "no cipher suites in common",
            "nociphersuitesincommon",
            "peerincompatible",
            "insufficient security",
            "inappropriate fallback"
        ],
        r"unsupported[_ ]protocol|alert protocol version|no protocols available|no shared cipher|handshake failure|no cipher suites in common|nociphersuitesincommon|peerincompatible|insufficient security|inappropriate fallback",
        F(&[C::TlsHandshakeFailed])
    ),
    rule!(
        "tls-client-cert",
        "tls",
        8,
        Ws,
        [
            "certificate required",
            "certificaterequired",
            "did not return a certificate",
            "bad certificate",
            "client certificate"
        ],
        r"certificate required|certificaterequired|peer did not return a certificate|alert bad certificate|client certificate (?:required|missing|rejected)",
        F(&[C::TlsClientCertRequired])
    ),
    rule!(
        "tls-handshake-cut",
        "tls",
        6,
        Ws,
        [
            "before secure tls connection",
            "ssl_error_syscall",
            "unexpected eof while reading",
            "eof occurred in violation of protocol",
            "tls handshake",
            "remote error: tls",
            "handshake error in client",
            "an ssl error has occurred",
            "handshakeexception"
        ],
        r"disconnected before secure tls connection was established|an ssl error has occurred|handshakeexception|ssl_error_syscall|unexpected eof while reading|eof occurred in violation of protocol|tls handshake (?:error|failed|failure|timeout)|remote error: tls|handshake error in client",
        F(&[
            C::TlsHandshakeFailed,
            C::TlsToPlaintextPort,
            C::ProxyTlsIntercepted
        ])
    ),
    // ── proxies in front of the client ────────────────────────────────────────
    rule!(
        "proxy-auth",
        "proxies",
        8,
        Ws,
        ["proxy"],
        r"proxy[^\n]{0,60}\b407\b|\b407\b[^\n]{0,40}proxy|proxy authentication required|err_proxy_auth",
        F(&[C::ProxyAuthRequired])
    ),
    rule!(
        "proxy-connect-rejected",
        "proxies",
        8,
        Ws,
        [
            "proxy rejected",
            "tunnel through proxy",
            "connect tunnel failed",
            "proxy connect"
        ],
        r"proxy rejected connection|unable to tunnel through proxy|connect tunnel failed|proxy connect(?:ion)? (?:aborted|refused|failed|rejected)",
        F(&[C::ProxyConnectRefused, C::ProxyAuthRequired])
    ),
    // ── HTTP status lines and status words ─────────────────────────────────────
    rule!(
        "http-status-line",
        "http",
        6,
        Ws,
        ["http/1.1 ", "http/1.0 ", "http/2 ", "http/2.0 "],
        r"http/(?:1\.[01]|2(?:\.0)?) (?P<status>[1-5]\d\d)\b",
        Status(UNKNOWN_STATUS)
    ),
    rule!(
        "status-word",
        "http",
        3,
        Ws,
        ["status", "response code", "http "],
        r"(?:status(?: ?code)?|response code|http)[ :=]+'?(?P<status>[1-5]\d\d)\b",
        Status(UNKNOWN_STATUS)
    ),
];
