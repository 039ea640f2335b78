//! HTTP status → ranked catalog causes, for a status that answered a WebSocket Upgrade.
//!
//! Anything but 101 fails the handshake, and the status alone already narrows the
//! cause down to a few. `check` (a live answer), `explain` (a pasted status), `logs`
//! (an access-log line, a HAR entry) and `lint` all read this one table, so the same
//! status gets the same first cause everywhere.
//!
//! # Refinements in `check`
//!
//! A live answer carries more than its status: headers that fingerprint the stack, a
//! body in the backend's own words, the HTTP version. `check` may pick a more specific
//! cause from that evidence, but only one listed in this table for the status (so
//! `explain` names it too, further down), and only on evidence a bare status never has:
//! with no headers and no body, `check` reports exactly [`status_causes`]`(s)[0]`. The
//! test `check_agrees` in wsdoctor-explain holds that for every status 100–599. Two
//! readings that used to live only in `check` are the table's first causes now: 505
//! (every WebSocket client sends HTTP/1.1, so "version not supported" means a hop in
//! between spoke HTTP/1.0, e.g. nginx `proxy_http_version 1.0`), and Cloudflare's
//! 520–526 (its edge could not get an answer from the origin: a bad gateway, 524 a
//! gateway timeout, never the origin's own 500).

use crate::catalog::CauseId;
use crate::catalog::CauseId as C;

/// Likely causes of a handshake answered with `status`, most common first. Empty for
/// 101 only (the handshake worked).
pub fn status_causes(status: u16) -> &'static [CauseId] {
    match status {
        101 => &[],
        200 => &[
            C::HttpNotUpgraded,
            C::ProxyUpgradeNotForwarded,
            C::HttpSockJsEndpoint,
            C::HttpSocketIoEndpoint,
            C::ServerWebsocketUnsupported,
        ],
        201..=299 => &[
            C::HttpNotUpgraded,
            C::ServerWebsocketUnsupported,
            C::ProxyUpgradeNotForwarded,
        ],
        // The redirects: each carries a Location a WebSocket client will not follow.
        // 304 (not modified) and 305/306 (obsolete) are no redirect of an Upgrade.
        300..=303 | 307 | 308 => &[C::HttpRedirect],
        400 => &[
            C::HttpBadRequest,
            C::ProxyUpgradeNotForwarded,
            C::HttpSocketIoEndpoint,
            C::HttpSockJsEndpoint,
            C::HttpStickySessionMissing,
            C::HttpSubprotocolRejected,
            C::PlaintextToTlsPort,
            C::HttpVersion10,
            C::ServerWebsocketUnsupported,
        ],
        401 => &[C::HttpUnauthorized],
        403 => &[C::HttpForbidden, C::HttpUnauthorized],
        404 => &[
            C::HttpNotFound,
            C::HttpSockJsEndpoint,
            C::HttpSocketIoEndpoint,
            C::ServerWebsocketUnsupported,
        ],
        407 => &[C::ProxyAuthRequired],
        426 => &[
            C::HttpUpgradeRequired,
            C::ProxyUpgradeNotForwarded,
            C::HttpVersion10,
        ],
        429 => &[C::HttpRateLimited],
        // nginx's "client closed request": the client gave up waiting for the 101.
        499 => &[C::SessionClientAborted, C::HttpGatewayTimeout],
        501 => &[C::ServerWebsocketUnsupported, C::HttpServerError],
        502 => &[C::HttpBadGateway],
        503 => &[C::HttpServiceUnavailable, C::ServerWebsocketUnsupported],
        504 => &[C::HttpGatewayTimeout],
        505 => &[C::HttpVersion10, C::HttpServerError],
        // Cloudflare's origin errors: 520 unknown answer, 521 refused, 522 connect timeout,
        // 523 unreachable, 525/526 TLS to the origin; 524 origin took too long.
        520..=523 | 525 | 526 => &[C::HttpBadGateway],
        524 => &[C::HttpGatewayTimeout],
        // 500 and any other 5xx: the server side failing.
        500..=599 => &[C::HttpServerError],
        _ => &[C::HttpUnexpectedStatus],
    }
}

/// The most likely catalog cause for a handshake answered with `status`; `None` for
/// 101 (the handshake worked).
pub fn status_cause(status: u16) -> Option<CauseId> {
    status_causes(status).first().copied()
}

/// The standard reason phrase, for display; empty when there is none worth showing.
pub fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        407 => "Proxy Authentication Required",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        499 => "Client Closed Request (nginx)",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        520 => "Web Server Returned an Unknown Error (Cloudflare)",
        521 => "Web Server Is Down (Cloudflare)",
        522 => "Connection Timed Out (Cloudflare)",
        523 => "Origin Is Unreachable (Cloudflare)",
        524 => "A Timeout Occurred (Cloudflare)",
        525 => "SSL Handshake Failed (Cloudflare)",
        526 => "Invalid SSL Certificate (Cloudflare)",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_statuses_map_to_their_causes() {
        assert_eq!(status_cause(101), None);
        for s in [301, 302, 307, 308] {
            assert_eq!(status_cause(s), Some(C::HttpRedirect), "{s}");
        }
        let expect = [
            (200, C::HttpNotUpgraded),
            (304, C::HttpUnexpectedStatus),
            (400, C::HttpBadRequest),
            (401, C::HttpUnauthorized),
            (403, C::HttpForbidden),
            (404, C::HttpNotFound),
            (426, C::HttpUpgradeRequired),
            (429, C::HttpRateLimited),
            (500, C::HttpServerError),
            (502, C::HttpBadGateway),
            (503, C::HttpServiceUnavailable),
            (504, C::HttpGatewayTimeout),
            (505, C::HttpVersion10),
            (520, C::HttpBadGateway),
            (524, C::HttpGatewayTimeout),
            (599, C::HttpServerError),
            (418, C::HttpUnexpectedStatus),
        ];
        for (s, id) in expect {
            assert_eq!(status_cause(s), Some(id), "{s}");
        }
    }

    #[test]
    fn only_101_has_no_cause() {
        for s in 100..600 {
            assert_eq!(status_causes(s).is_empty(), s == 101, "{s}");
        }
    }
}
