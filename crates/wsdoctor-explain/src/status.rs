//! HTTP status → catalog causes, for a status that answered a WebSocket Upgrade.
//!
//! Anything but 101 fails the handshake, and the status alone already narrows the
//! cause down to a few: `explain 403`, the status in a pasted exception, an access log
//! line and `check` all read it the same way through these functions.

use wsdoctor_core::CauseId;
use wsdoctor_core::CauseId as C;

/// The most likely catalog cause for a handshake answered with `status`; `None` for
/// 101 (the handshake worked).
pub fn status_cause(status: u16) -> Option<CauseId> {
    status_causes(status).first().copied()
}

/// Likely causes of a handshake answered with `status`, most common first. Empty for
/// 101 only.
pub fn status_causes(status: u16) -> &'static [CauseId] {
    match status {
        101 => &[],
        200 => &[
            C::HttpNotUpgraded,
            C::ProxyUpgradeNotForwarded,
            C::HttpSockJsEndpoint,
            C::ServerWebsocketUnsupported,
        ],
        201..=299 => &[
            C::HttpNotUpgraded,
            C::ServerWebsocketUnsupported,
            C::ProxyUpgradeNotForwarded,
        ],
        300..=399 => &[C::HttpRedirect],
        400 => &[
            C::HttpBadRequest,
            C::ProxyUpgradeNotForwarded,
            C::HttpSocketIoEndpoint,
            C::HttpStickySessionMissing,
        ],
        401 => &[C::HttpUnauthorized],
        403 => &[C::HttpForbidden, C::HttpUnauthorized],
        404 => &[C::HttpNotFound, C::ServerWebsocketUnsupported],
        407 => &[C::ProxyAuthRequired],
        426 => &[C::HttpUpgradeRequired, C::ProxyUpgradeNotForwarded],
        429 => &[C::HttpRateLimited],
        // nginx's "client closed request": the client gave up waiting for the 101.
        499 => &[C::SessionClientAborted, C::HttpGatewayTimeout],
        500 => &[C::HttpServerError],
        501 => &[C::ServerWebsocketUnsupported, C::HttpServerError],
        502 => &[C::HttpBadGateway],
        503 => &[C::HttpServiceUnavailable, C::ServerWebsocketUnsupported],
        504 => &[C::HttpGatewayTimeout],
        // Cloudflare's origin errors: 520 unknown answer, 521 refused, 522 connect timeout,
        // 523 unreachable, 525/526 TLS to the origin; 524 origin took too long.
        520..=523 | 525 | 526 => &[C::HttpBadGateway],
        524 => &[C::HttpGatewayTimeout],
        _ => &[C::HttpUnexpectedStatus],
    }
}

/// The standard reason phrase, for display.
pub fn reason(status: u16) -> &'static str {
    match status {
        101 => "Switching Protocols",
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
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
        assert_eq!(status_cause(200), Some(C::HttpNotUpgraded));
        for s in [301, 302, 307, 308] {
            assert_eq!(status_cause(s), Some(C::HttpRedirect), "{s}");
        }
        let expect = [
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
